//! Rankings: Most Read, Most Commented, Editor's Picks, the breaking banner
//! and the latest stories (More from), computed from stored rows and shared
//! by every page.
//!
//! Most Read is read from the hourly view aggregates (a bounded number of
//! rows, whatever the traffic). Each node recomputes on a configurable
//! cadence (`rankings_refresh_secs`), and at once when a change event arrives
//! (a pick, a breaking flag, a publish); when what a page shows changed, the
//! purgers hear `Key::Rankings` and the web layer re-renders only the shared
//! page parts.

use std::collections::HashMap;
use std::time::Duration;

use broadsheet_domain::StoryCard;

use crate::{App, Result, now};

/// How many stories a ranking lists.
pub const RANKED: i64 = 10;
/// A story flagged breaking keeps its banner while flagged, for at most this
/// long after publication (a flag an editor forgot does not linger).
const BREAKING_FOR_SECS: i64 = 48 * 3600;

/// A story in a ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub card: StoryCard,
    /// Views (Most Read) or comments (Most Commented) in the window.
    pub count: i64,
    /// Visible comments on the story, all time.
    pub comments: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Rankings {
    pub most_read: Vec<Ranked>,
    pub most_commented: Vec<Ranked>,
    pub picks: Vec<Ranked>,
    pub breaking: Option<StoryCard>,
    /// The newest published stories, newest first (More from).
    pub latest: Vec<StoryCard>,
    pub computed_at: i64,
}

/// Latest stories kept for More from (a page shows six, minus itself).
pub const LATEST: i64 = 7;

impl Rankings {
    pub(crate) async fn compute(app: &App) -> Result<Rankings> {
        let store = app.store();
        let cfg = app.config();
        let t = now();
        let read = store
            .most_read(t - cfg.most_read_window_secs, RANKED)
            .await?;
        let commented = store
            .most_commented(t - cfg.most_commented_window_secs, RANKED)
            .await?;
        let picks = store.editors_picks().await?;
        let mut ids: Vec<i64> = read
            .iter()
            .chain(commented.iter())
            .map(|(id, _)| *id)
            .collect();
        ids.extend(&picks);
        ids.sort_unstable();
        ids.dedup();
        let cards: HashMap<i64, StoryCard> = store
            .cards_by_ids(&ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let comments = store.comment_counts(&ids).await?;
        let ranked = |list: &[(i64, i64)]| -> Vec<Ranked> {
            list.iter()
                .filter_map(|(id, n)| {
                    Some(Ranked {
                        card: cards.get(id)?.clone(),
                        count: *n,
                        comments: comments.get(id).copied().unwrap_or(0),
                    })
                })
                .collect()
        };
        let pick_list: Vec<(i64, i64)> = picks.iter().map(|id| (*id, 0)).collect();
        Ok(Rankings {
            most_read: ranked(&read),
            most_commented: ranked(&commented),
            picks: ranked(&pick_list),
            breaking: store.breaking_since(t - BREAKING_FOR_SECS).await?,
            latest: store
                .cards(broadsheet_store::Listing::All, LATEST, 0)
                .await?,
            computed_at: t,
        })
    }

    /// True when a page would show the same thing with either (view counts are
    /// not shown, so they do not count).
    pub fn same_as(&self, other: &Rankings) -> bool {
        fn shown(list: &[Ranked]) -> Vec<(&StoryCard, i64)> {
            list.iter().map(|r| (&r.card, r.comments)).collect()
        }
        shown(&self.most_read) == shown(&other.most_read)
            && shown(&self.most_commented) == shown(&other.most_commented)
            && shown(&self.picks) == shown(&other.picks)
            && self.breaking == other.breaking
            && self.latest == other.latest
    }
}

/// Deletes what counting no longer needs: hourly rows older than the Most
/// Read window plus a day (each row is bounded, so this bounds the storage).
pub(crate) async fn prune_views(
    store: &broadsheet_store::Store,
    cfg: &crate::PaperConfig,
    t: i64,
) -> Result<u64> {
    Ok(store
        .prune_views(t - cfg.most_read_window_secs - 86_400)
        .await?)
}

/// Recomputes the rankings every `rankings_refresh_secs` (so new views reach
/// Most Read and windows slide), and once a minute prunes expired view rows
/// and old change events.
pub(crate) async fn refresh_loop(app: App, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let every = Duration::from_secs(app.config().rankings_refresh_secs.clamp(1, 3600));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_prune = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        let t = now();
        if t - last_prune >= 60 {
            last_prune = t;
            if let Err(e) = app.store().prune_changes(t - 86_400).await {
                tracing::warn!(error = %e, "pruning change events failed");
            }
            if let Err(e) = prune_views(app.store(), app.config(), t).await {
                tracing::warn!(error = %e, "pruning view rows failed");
            }
        }
        if let Err(e) = app.refresh_rankings().await {
            tracing::warn!(error = %e, "rankings refresh failed; keeping the previous rankings");
        }
    }
}
