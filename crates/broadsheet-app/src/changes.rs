//! Change events: every write that changes what readers see appends the
//! surrogate keys it touches to `change_events`, in the same transaction.
//! Every node polls the table and purges its page cache by those keys, so a
//! change made on one node (or by the CLI) reaches all of them.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::keys::{self, Key};
use crate::{App, Result};

/// Ids are read again this far back: with PostgreSQL, a transaction that took
/// a smaller id can commit after a larger one, so a plain "id > last" would
/// miss it.
const LOOKBACK: i64 = 64;

#[derive(Default)]
pub(crate) struct Seen {
    set: HashSet<i64>,
    order: VecDeque<i64>,
}

impl Seen {
    fn insert(&mut self, id: i64) -> bool {
        if !self.set.insert(id) {
            return false;
        }
        self.order.push_back(id);
        while self.order.len() > 4 * LOOKBACK as usize {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

pub(crate) async fn apply(app: &App) -> Result<usize> {
    let last = app.inner.last_change.load(Ordering::Acquire);
    let rows = app.store().changes_since(last - LOOKBACK).await?;
    let mut keys_out: Vec<Key> = Vec::new();
    let mut max = last;
    {
        let mut seen = match app.inner.seen.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        for (id, ks) in &rows {
            max = max.max(*id);
            // Changes from before this node started are already in what it loaded.
            if *id <= app.inner.change_floor || !seen.insert(*id) {
                continue;
            }
            keys_out.extend(keys::parse_list(ks));
        }
    }
    app.inner.last_change.fetch_max(max, Ordering::AcqRel);
    if keys_out.contains(&Key::Readers) {
        // A reader's session or entitlement changed (here or elsewhere):
        // what this node remembers of readers is no longer used.
        app.store().reader_state_changed();
        keys_out.retain(|k| *k != Key::Readers);
    }
    if keys_out.is_empty() {
        return Ok(0);
    }
    keys_out.sort();
    keys_out.dedup();
    let n = keys_out.len();
    if keys_out.iter().any(|k| k.is_everything()) {
        app.reload_sections().await?;
    }
    // Search (issue 13): re-read the stories named into this node's index.
    crate::search::follow(app, &keys_out).await;
    app.purge(keys_out);
    app.refresh_rankings().await?;
    Ok(n)
}

pub(crate) async fn poll_loop(app: App, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        if let Err(e) = apply(&app).await {
            tracing::warn!(error = %e, "reading change events failed; will retry");
        }
    }
}
