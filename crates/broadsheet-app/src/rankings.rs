//! Rankings: Most Read, Most Commented, Editor's Picks and the breaking
//! banner, computed from stored rows and shared by every page.

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
    pub computed_at: i64,
}

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
    }
}

/// Recomputes the rankings every 30 s, so windows slide even when nothing
/// happens, and prunes old change events. New views and comments reach the
/// rankings sooner, through change events (see `views.rs`, `changes.rs`).
pub(crate) async fn refresh_loop(app: App, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        if let Err(e) = app.store().prune_changes(now() - 86_400).await {
            tracing::warn!(error = %e, "pruning change events failed");
        }
        if let Err(e) = app.refresh_rankings().await {
            tracing::warn!(error = %e, "rankings refresh failed; keeping the previous rankings");
        }
    }
}
