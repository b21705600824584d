//! Live pages (issue 12 item 5): which stories are live (`live_stories`) and
//! their timestamped updates (`live_updates`), read for pages and for the
//! Server-Sent Events replay, and written on a [`Tx`]. Every write to an
//! update first bumps its story's `seq` ([`Tx::bump_live_seq`]): writers of
//! one story queue on that row, so a larger seq is never committed before a
//! smaller one and "updates with seq > N" is a gap-free resume. What the
//! rows mean (who may write, what is shown) is the app's
//! (`broadsheet_app::live_pages`).

use sqlx::FromRow;

use crate::tx::{TxInner, on_tx};
use crate::{Store, StoreError, Tx, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

/// A story that is, or was, live.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LiveState {
    pub story_id: i64,
    pub started_at: i64,
    /// `None` while live.
    pub ended_at: Option<i64>,
    /// The newest update sequence number written for the story.
    pub seq: i64,
}

impl LiveState {
    pub fn is_live(&self) -> bool {
        self.ended_at.is_none()
    }
}

/// One update of a live story.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LiveUpdate {
    pub id: i64,
    pub story_id: i64,
    /// The story's sequence number at this update's last write.
    pub seq: i64,
    pub posted_at: i64,
    pub edited_at: Option<i64>,
    pub author_id: Option<i64>,
    /// As written (Markdown or plain text).
    pub body: String,
    /// Sanitised HTML, rendered when written.
    pub html: String,
    pub pinned: bool,
    pub removed: bool,
}

const UPDATE_COLUMNS: &str = "id, story_id, seq, posted_at, edited_at, author_id, body, html, \
     pinned <> 0 AS pinned, removed <> 0 AS removed";

impl Store {
    /// The live state of a story (`None`: never live).
    pub async fn live_state(&self, story: i64) -> Result<Option<LiveState>> {
        Ok(with_pool!(&self.db, p => sqlx::query_as(
            "SELECT story_id, started_at, ended_at, seq FROM live_stories WHERE story_id = $1"
        ).bind(story).fetch_optional(p).await)?)
    }

    /// Shown updates (not removed) of a story: pinned first, then newest
    /// first.
    pub async fn live_updates(
        &self,
        story: i64,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<LiveUpdate>> {
        let sql = format!(
            "SELECT {UPDATE_COLUMNS} FROM live_updates WHERE story_id = $1 AND removed = 0 \
             ORDER BY pinned DESC, posted_at DESC, id DESC LIMIT $2 OFFSET $3"
        );
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(story).bind(limit).bind(offset).fetch_all(p).await)?,
        )
    }

    /// How many updates of a story are shown (not removed).
    pub async fn live_update_count(&self, story: i64) -> Result<i64> {
        let n: (i64,) = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT COUNT(*) FROM live_updates WHERE story_id = $1 AND removed = 0"
        ).bind(story).fetch_one(p).await)?;
        Ok(n.0)
    }

    /// Where a shown update sits in [`Store::live_updates`]'s order (0 the
    /// first), or `None` if it is not shown.
    pub async fn live_update_position(&self, story: i64, id: i64) -> Result<Option<i64>> {
        let Some(u) = self.live_update(id).await? else {
            return Ok(None);
        };
        if u.story_id != story || u.removed {
            return Ok(None);
        }
        let n: (i64,) = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT COUNT(*) FROM live_updates WHERE story_id = $1 AND removed = 0 AND \
             (pinned > $2 OR (pinned = $2 AND (posted_at > $3 OR (posted_at = $3 AND id > $4))))"
        ).bind(story).bind(i64::from(u.pinned)).bind(u.posted_at).bind(u.id).fetch_one(p).await)?;
        Ok(Some(n.0))
    }

    /// One update, removed or not.
    pub async fn live_update(&self, id: i64) -> Result<Option<LiveUpdate>> {
        let sql = format!("SELECT {UPDATE_COLUMNS} FROM live_updates WHERE id = $1");
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id).fetch_optional(p).await)?,
        )
    }

    /// Every update of a story written after sequence number `after`
    /// (removed ones included: a reader must learn of a removal), in
    /// sequence order, at most `limit`.
    pub async fn live_updates_after(
        &self,
        story: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<LiveUpdate>> {
        let sql = format!(
            "SELECT {UPDATE_COLUMNS} FROM live_updates WHERE story_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3"
        );
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(story).bind(after).bind(limit).fetch_all(p).await)?,
        )
    }
}

impl Tx {
    /// Marks a story live (again, if it had ended). Returns false if it is
    /// live already.
    pub async fn start_live(&mut self, story: i64, now: i64) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "INSERT INTO live_stories (story_id, started_at, ended_at, seq) VALUES ($1, $2, NULL, 0) \
             ON CONFLICT (story_id) DO UPDATE SET ended_at = NULL, started_at = $2 \
             WHERE live_stories.ended_at IS NOT NULL"
        ).bind(story).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Ends a live story. Returns false if it was not live.
    pub async fn end_live(&mut self, story: i64, now: i64) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE live_stories SET ended_at = $2 WHERE story_id = $1 AND ended_at IS NULL"
        ).bind(story).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Takes the story's next update sequence number (locking its row until
    /// commit). `None` if the story is not live.
    pub async fn bump_live_seq(&mut self, story: i64) -> Result<Option<i64>> {
        let row: Option<(i64,)> = on_tx!(self, c => sqlx::query_as(
            "UPDATE live_stories SET seq = seq + 1 WHERE story_id = $1 AND ended_at IS NULL RETURNING seq"
        ).bind(story).fetch_optional(&mut *c).await)?;
        Ok(row.map(|r| r.0))
    }

    /// Adds an update; returns its id.
    pub async fn insert_live_update(
        &mut self,
        story: i64,
        seq: i64,
        author: Option<i64>,
        body: &str,
        html: &str,
        now: i64,
    ) -> Result<i64> {
        let row: (i64,) = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO live_updates (story_id, seq, posted_at, author_id, body, html) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
        ).bind(story).bind(seq).bind(now).bind(author).bind(body).bind(html).fetch_one(&mut *c).await)?;
        Ok(row.0)
    }

    /// The story of a shown (not removed) update, read in this transaction.
    pub async fn live_update_story(&mut self, id: i64) -> Result<Option<i64>> {
        let row: Option<(i64,)> = on_tx!(self, c => sqlx::query_as(
            "SELECT story_id FROM live_updates WHERE id = $1 AND removed = 0"
        ).bind(id).fetch_optional(&mut *c).await)?;
        Ok(row.map(|r| r.0))
    }

    /// Replaces an update's text.
    pub async fn edit_live_update(
        &mut self,
        id: i64,
        seq: i64,
        body: &str,
        html: &str,
        now: i64,
    ) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE live_updates SET seq = $2, body = $3, html = $4, edited_at = $5 WHERE id = $1 AND removed = 0"
        ).bind(id).bind(seq).bind(body).bind(html).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Pins or unpins an update.
    pub async fn pin_live_update(&mut self, id: i64, seq: i64, pinned: bool) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE live_updates SET seq = $2, pinned = $3 WHERE id = $1 AND removed = 0"
        ).bind(id).bind(seq).bind(i64::from(pinned)).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Removes an update (kept, marked removed, so resuming readers learn of it).
    pub async fn remove_live_update(&mut self, id: i64, seq: i64) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE live_updates SET seq = $2, removed = 1, pinned = 0 WHERE id = $1 AND removed = 0"
        ).bind(id).bind(seq).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Sets or clears a story's breaking flag (set only on a published
    /// story). Returns false if nothing changed.
    pub async fn set_breaking(&mut self, story: i64, on: bool) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE stories SET breaking = $2 WHERE id = $1 AND breaking <> $2 AND (status = 'published' OR $2 = 0)"
        ).bind(story).bind(i64::from(on)).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
