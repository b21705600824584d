//! Counting views for Most Read.
//!
//! Views arrive from the view beacon (an image every reader page embeds, so
//! a page served from a CDN still counts). They queue in memory and are
//! written in batches every second; the once-per-reader-per-window rule is
//! applied by the database insert, so several nodes count correctly together.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use broadsheet_store::{Store, ViewRecord};

use crate::{App, Result};

pub struct ViewCounter {
    store: Store,
    window_secs: i64,
    cap: usize,
    pending: Mutex<Vec<ViewRecord>>,
    dropped: AtomicU64,
    flushing: tokio::sync::Mutex<()>,
}

impl ViewCounter {
    pub(crate) fn new(store: Store, window_secs: i64, cap: usize) -> ViewCounter {
        ViewCounter {
            store,
            window_secs,
            cap: cap.max(1),
            pending: Mutex::new(Vec::new()),
            dropped: AtomicU64::new(0),
            flushing: tokio::sync::Mutex::new(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<ViewRecord>> {
        match self.pending.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Queues a view. Bots must already be filtered out. Returns false if the
    /// queue is full (the view is dropped and counted as dropped).
    pub fn record(&self, story_id: i64, reader: String, at: i64) -> bool {
        let mut q = self.lock();
        if q.len() >= self.cap {
            drop(q);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("broadsheet_views_dropped_total").increment(1);
            return false;
        }
        q.push(ViewRecord {
            story_id,
            reader,
            at,
        });
        true
    }

    /// Views waiting to be written.
    pub fn backlog(&self) -> usize {
        self.lock().len()
    }

    /// Writes the queued views. On failure they go back on the queue.
    pub async fn flush(&self) -> Result<u64> {
        let _one = self.flushing.lock().await;
        let batch = std::mem::take(&mut *self.lock());
        if batch.is_empty() {
            return Ok(0);
        }
        match self.store.record_views(&batch, self.window_secs).await {
            Ok(n) => {
                metrics::counter!("broadsheet_views_counted_total").increment(n);
                metrics::gauge!("broadsheet_view_backlog").set(self.backlog() as f64);
                Ok(n)
            }
            Err(e) => {
                let mut q = self.lock();
                let room = self.cap.saturating_sub(q.len());
                q.extend(batch.into_iter().take(room));
                Err(e.into())
            }
        }
    }
}

pub(crate) async fn flush_loop(app: App, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stop = tokio::select! {
            _ = tick.tick() => false,
            _ = shutdown.changed() => true,
        };
        match app.views().flush().await {
            Ok(n) if n > 0 => {
                // Tell every node (this one included) that Most Read may have moved.
                if let Err(e) = app
                    .store()
                    .append_change(crate::keys::RANKINGS, crate::now())
                    .await
                {
                    tracing::warn!(error = %e, "could not record a rankings change");
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, backlog = app.views().backlog(), "writing views failed; will retry")
            }
        }
        if stop {
            return;
        }
    }
}
