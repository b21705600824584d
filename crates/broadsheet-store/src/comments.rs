//! Reader comments in the database: threads (keyset-paginated by id on the
//! `comments_thread` and `comments_replies` indexes), a reader's own
//! comments, reports, the moderation queues, the paper's settings and
//! per-story/section policies, and commenters' standing and sanctions.
//! Reads are on [`Store`]; writes on [`Tx`], where every state move is
//! guarded by the state it was read in (`… WHERE status = $from`).

use sqlx::{FromRow, QueryBuilder};

use crate::tx::{Tx, TxInner, on_tx};
use crate::{Store, StoreError, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

const COMMENT_COLUMNS: &str = "c.id, c.story_id, c.reader_id, c.parent_id, c.author_name, c.body, c.status, \
     c.created_at, c.edited_at, c.held_rule, c.held_score, c.held_threshold, c.decision, c.reason, c.open_reports, \
     c.reactions, c.featured_at";

/// A `comments` row.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct CommentRow {
    pub id: i64,
    pub story_id: i64,
    pub reader_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub author_name: String,
    pub body: String,
    pub status: String,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub held_rule: String,
    pub held_score: i64,
    pub held_threshold: i64,
    pub decision: String,
    pub reason: String,
    pub open_reports: i64,
    /// Readers' reactions (`comment_extras`).
    pub reactions: i64,
    /// When a moderator featured it (`comment_extras`).
    pub featured_at: Option<i64>,
}

/// A comment in a moderation queue, with its story's headline and its
/// reports' reasons.
#[derive(Debug, Clone, FromRow)]
pub struct QueueRow {
    #[sqlx(flatten)]
    pub comment: CommentRow,
    pub headline: String,
}

/// The paper's comment settings.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct CommentSettingsRow {
    pub enabled: i64,
    pub off_message: String,
    pub who: String,
    pub close_after_hours: i64,
    pub new_commenter_holds: i64,
    pub banned_words: String,
    pub suspect_words: String,
    pub hold_threshold: i64,
    pub default_moderation: String,
}

/// A story's or section's comment policy.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct PolicyRow {
    pub scope: String,
    pub target_id: i64,
    pub open: String,
    pub moderation: String,
    pub legal: i64,
}

/// A commenter's standing row.
#[derive(Debug, Clone, FromRow, Default, PartialEq, Eq)]
pub struct StandingRow {
    pub approved: i64,
    pub banned: i64,
    pub suspended_until: i64,
    pub premod: i64,
    pub reason: String,
}

/// A sanction as recorded.
#[derive(Debug, Clone, FromRow)]
pub struct SanctionRow {
    pub id: i64,
    pub kind: String,
    pub until_at: Option<i64>,
    pub reason: String,
    pub note: String,
    pub staff_id: Option<i64>,
    pub created_at: i64,
}

/// A report on a comment.
#[derive(Debug, Clone, FromRow)]
pub struct ReportRow {
    pub comment_id: i64,
    pub reason: String,
    pub created_at: i64,
}

/// Which queue, filtered how.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// pending, reported, approved, rejected, or all.
    pub queue: String,
    pub story_id: Option<i64>,
    pub reader_id: Option<i64>,
    /// Comments with an id below this (the next page).
    pub before: Option<i64>,
    pub limit: i64,
}

/// A new comment.
#[derive(Debug, Clone)]
pub struct NewComment<'a> {
    pub story_id: i64,
    pub reader_id: i64,
    pub parent_id: Option<i64>,
    pub author_name: &'a str,
    pub body: &'a str,
    pub body_hash: &'a str,
    pub status: &'a str,
    pub held_rule: &'a str,
    pub held_score: i64,
    pub held_threshold: i64,
}

impl Store {
    /// The paper's comment settings (the row the migration made).
    pub async fn comment_settings(&self) -> Result<CommentSettingsRow> {
        let row = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT enabled, off_message, who, close_after_hours, new_commenter_holds, banned_words, \
             suspect_words, hold_threshold, default_moderation FROM comment_settings WHERE id = 1"
        ).fetch_one(p).await)?;
        Ok(row)
    }

    /// Every story and section policy.
    pub async fn comment_policies(&self) -> Result<Vec<PolicyRow>> {
        let rows = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT scope, target_id, open, moderation, legal FROM comment_policies ORDER BY scope, target_id"
        ).fetch_all(p).await)?;
        Ok(rows)
    }

    /// The policy of one story or section, if set.
    pub async fn comment_policy(&self, scope: &str, id: i64) -> Result<Option<PolicyRow>> {
        let row = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT scope, target_id, open, moderation, legal FROM comment_policies WHERE scope = $1 AND target_id = $2"
        ).bind(scope).bind(id).fetch_optional(p).await)?;
        Ok(row)
    }

    /// A commenter's standing (all zero if never recorded).
    pub async fn commenter_standing(&self, reader_id: i64) -> Result<StandingRow> {
        let row: Option<StandingRow> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT approved, banned, suspended_until, premod, reason FROM commenter_standing WHERE reader_id = $1"
        ).bind(reader_id).fetch_optional(p).await)?;
        Ok(row.unwrap_or_default())
    }

    pub async fn comment(&self, id: i64) -> Result<Option<CommentRow>> {
        let sql = format!("SELECT {COMMENT_COLUMNS} FROM comments c WHERE c.id = $1");
        let row = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id).fetch_optional(p).await)?;
        Ok(row)
    }

    /// One page of a story's public top-level comments, oldest or newest
    /// first, after (or before, newest first) the comment `cursor`: one
    /// index range scan however long the thread.
    pub async fn thread_page(
        &self,
        story_id: i64,
        newest: bool,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Vec<CommentRow>> {
        let (cmp, order) = if newest { ("<", "DESC") } else { (">", "ASC") };
        let sql = format!(
            "SELECT {COMMENT_COLUMNS} FROM comments c WHERE c.story_id = $1 AND c.status = 'public' \
             AND c.parent_id IS NULL AND c.id {cmp} $2 ORDER BY c.id {order} LIMIT $3"
        );
        let start = cursor.unwrap_or(if newest { i64::MAX } else { 0 });
        let rows = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(story_id).bind(start).bind(limit).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Public replies to these comments, oldest first, at most `per_parent`
    /// for each (and how many each has in all).
    pub async fn public_replies(
        &self,
        parents: &[i64],
        per_parent: i64,
    ) -> Result<(Vec<CommentRow>, Vec<(i64, i64)>)> {
        if parents.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let mut rows: Vec<CommentRow> = Vec::new();
        // One bounded range scan per parent on comments_replies.
        for parent in parents {
            let sql = format!(
                "SELECT {COMMENT_COLUMNS} FROM comments c WHERE c.parent_id = $1 AND c.status = 'public' \
                 ORDER BY c.id ASC LIMIT $2"
            );
            let mut some: Vec<CommentRow> = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(*parent).bind(per_parent).fetch_all(p).await)?;
            rows.append(&mut some);
        }
        let counts: Vec<(i64, i64)> = with_pool!(&self.db, p => {
            let mut qb = QueryBuilder::new(
                "SELECT parent_id, COUNT(*) FROM comments WHERE status = 'public' AND parent_id IN (",
            );
            let mut sep = qb.separated(", ");
            for id in parents {
                sep.push_bind(*id);
            }
            qb.push(") GROUP BY parent_id");
            qb.build_query_as().fetch_all(p).await
        })?;
        Ok((rows, counts))
    }

    /// Public comments on a story (top-level and replies).
    pub async fn public_comment_count(&self, story_id: i64) -> Result<i64> {
        let n: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments WHERE story_id = $1 AND status = 'public'"
        ).bind(story_id).fetch_one(p).await)?;
        Ok(n)
    }

    /// A reader's own comments on a story, every state but deleted, oldest first.
    pub async fn own_comments(&self, story_id: i64, reader_id: i64) -> Result<Vec<CommentRow>> {
        let sql = format!(
            "SELECT {COMMENT_COLUMNS} FROM comments c WHERE c.story_id = $1 AND c.reader_id = $2 \
             AND c.status <> 'deleted' ORDER BY c.id ASC LIMIT 500"
        );
        let rows = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(story_id).bind(reader_id).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Whether the reader posted the same text (by hash) since `since`.
    pub async fn recent_duplicate(&self, reader_id: i64, hash: &str, since: i64) -> Result<bool> {
        let n: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments WHERE reader_id = $1 AND created_at >= $2 AND body_hash = $3 \
             AND status <> 'deleted'"
        ).bind(reader_id).bind(since).bind(hash).fetch_one(p).await)?;
        Ok(n > 0)
    }

    /// A moderation queue, newest first.
    pub async fn comment_queue(&self, f: &QueueFilter) -> Result<Vec<QueueRow>> {
        let rows: Vec<QueueRow> = with_pool!(&self.db, p => {
            let mut qb = QueryBuilder::new(format!(
                "SELECT {COMMENT_COLUMNS}, s.headline FROM comments c JOIN stories s ON s.id = c.story_id WHERE "
            ));
            match f.queue.as_str() {
                "pending" => qb.push("c.status = 'pending'"),
                "reported" => qb.push("c.open_reports > 0 AND c.status IN ('public', 'hidden', 'pending')"),
                "approved" => qb.push("c.decision = 'approved'"),
                "rejected" => qb.push("c.decision = 'rejected'"),
                _ => qb.push("c.reader_id IS NOT NULL"),
            };
            if let Some(s) = f.story_id {
                qb.push(" AND c.story_id = ").push_bind(s);
            }
            if let Some(r) = f.reader_id {
                qb.push(" AND c.reader_id = ").push_bind(r);
            }
            if let Some(b) = f.before {
                qb.push(" AND c.id < ").push_bind(b);
            }
            qb.push(" ORDER BY c.id DESC LIMIT ").push_bind(f.limit.clamp(1, 200));
            qb.build_query_as().fetch_all(p).await
        })?;
        Ok(rows)
    }

    /// Open reports on these comments.
    pub async fn open_reports(&self, ids: &[i64]) -> Result<Vec<ReportRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = with_pool!(&self.db, p => {
            let mut qb = QueryBuilder::new(
                "SELECT comment_id, reason, created_at FROM comment_reports WHERE resolved_at IS NULL AND comment_id IN (",
            );
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            qb.push(") ORDER BY created_at");
            qb.build_query_as().fetch_all(p).await
        })?;
        Ok(rows)
    }

    /// A reader's sanctions, newest first.
    pub async fn comment_sanctions(&self, reader_id: i64) -> Result<Vec<SanctionRow>> {
        let rows = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, kind, until_at, reason, note, staff_id, created_at FROM comment_sanctions \
             WHERE reader_id = $1 ORDER BY id DESC LIMIT 100"
        ).bind(reader_id).fetch_all(p).await)?;
        Ok(rows)
    }
}

impl Tx {
    /// Inserts a comment and returns its id.
    pub async fn insert_comment(&mut self, c: &NewComment<'_>, now: i64) -> Result<i64> {
        let id: i64 = on_tx!(self, x => sqlx::query_scalar(
            "INSERT INTO comments (story_id, reader_id, parent_id, author_name, body, body_hash, status, \
             held_rule, held_score, held_threshold, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"
        ).bind(c.story_id).bind(c.reader_id).bind(c.parent_id).bind(c.author_name).bind(c.body)
         .bind(c.body_hash).bind(c.status).bind(c.held_rule).bind(c.held_score).bind(c.held_threshold).bind(now)
         .fetch_one(&mut *x).await)?;
        Ok(id)
    }

    /// Moves a comment from `from` to `to` (only if it is still in `from`),
    /// recording the decision (unchanged when empty) and the reason shown to
    /// its author. False: it was no longer in `from`.
    pub async fn move_comment(
        &mut self,
        id: i64,
        from: &str,
        to: &str,
        decision: &str,
        reason: &str,
        now: i64,
    ) -> Result<bool> {
        let n = on_tx!(self, x => sqlx::query(
            "UPDATE comments SET status = $3, \
             decision = CASE WHEN $4 = '' THEN decision ELSE $4 END, reason = $5, moderated_at = $6 \
             WHERE id = $1 AND status = $2"
        ).bind(id).bind(from).bind(to).bind(decision).bind(reason).bind(now)
         .execute(&mut *x).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// The author's edit: new text, state and hold, only from `from`.
    #[allow(clippy::too_many_arguments)]
    pub async fn edit_comment(
        &mut self,
        id: i64,
        from: &str,
        to: &str,
        body: &str,
        hash: &str,
        hold: (&str, i64, i64),
        now: i64,
    ) -> Result<bool> {
        let n = on_tx!(self, x => sqlx::query(
            "UPDATE comments SET status = $3, body = $4, body_hash = $5, held_rule = $6, held_score = $7, \
             held_threshold = $8, edited_at = $9 WHERE id = $1 AND status = $2"
        ).bind(id).bind(from).bind(to).bind(body).bind(hash).bind(hold.0).bind(hold.1).bind(hold.2).bind(now)
         .execute(&mut *x).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Records a reader's report (once per reader and comment). False: they
    /// had reported it already.
    pub async fn report_comment(
        &mut self,
        comment_id: i64,
        reader_id: i64,
        reason: &str,
        now: i64,
    ) -> Result<bool> {
        let n = on_tx!(self, x => sqlx::query(
            "INSERT INTO comment_reports (comment_id, reader_id, reason, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (comment_id, reader_id) DO NOTHING"
        ).bind(comment_id).bind(reader_id).bind(reason).bind(now)
         .execute(&mut *x).await.map(|r| r.rows_affected()))?;
        if n == 1 {
            on_tx!(self, x => sqlx::query("UPDATE comments SET open_reports = open_reports + 1 WHERE id = $1")
                .bind(comment_id).execute(&mut *x).await.map(|r| r.rows_affected()))?;
        }
        Ok(n == 1)
    }

    /// Closes a comment's open reports.
    pub async fn resolve_reports(&mut self, comment_id: i64, now: i64) -> Result<()> {
        on_tx!(self, x => sqlx::query(
            "UPDATE comment_reports SET resolved_at = $2 WHERE comment_id = $1 AND resolved_at IS NULL"
        ).bind(comment_id).bind(now).execute(&mut *x).await.map(|r| r.rows_affected()))?;
        on_tx!(self, x => sqlx::query("UPDATE comments SET open_reports = 0 WHERE id = $1")
            .bind(comment_id).execute(&mut *x).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Counts one more approved comment for a reader.
    pub async fn count_approved(&mut self, reader_id: i64) -> Result<()> {
        on_tx!(self, x => sqlx::query(
            "INSERT INTO commenter_standing (reader_id, approved) VALUES ($1, 1) \
             ON CONFLICT (reader_id) DO UPDATE SET approved = commenter_standing.approved + 1"
        ).bind(reader_id).execute(&mut *x).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Writes a commenter's sanctions (not the approved count).
    pub async fn set_standing(&mut self, reader_id: i64, s: &StandingRow) -> Result<()> {
        on_tx!(self, x => sqlx::query(
            "INSERT INTO commenter_standing (reader_id, banned, suspended_until, premod, reason) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (reader_id) DO UPDATE SET banned = $2, \
             suspended_until = $3, premod = $4, reason = $5"
        ).bind(reader_id).bind(s.banned).bind(s.suspended_until).bind(s.premod).bind(&s.reason)
         .execute(&mut *x).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_sanction(
        &mut self,
        reader_id: i64,
        kind: &str,
        until: Option<i64>,
        reason: &str,
        note: &str,
        staff_id: Option<i64>,
        now: i64,
    ) -> Result<i64> {
        let id: i64 = on_tx!(self, x => sqlx::query_scalar(
            "INSERT INTO comment_sanctions (reader_id, kind, until_at, reason, note, staff_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"
        ).bind(reader_id).bind(kind).bind(until).bind(reason).bind(note).bind(staff_id).bind(now)
         .fetch_one(&mut *x).await)?;
        Ok(id)
    }

    /// A ban: every public comment of the reader becomes hidden (author
    /// only) with `reason`. Returns the stories they were on.
    pub async fn hide_public_comments_of(
        &mut self,
        reader_id: i64,
        reason: &str,
        now: i64,
    ) -> Result<Vec<i64>> {
        let stories: Vec<i64> = on_tx!(self, x => sqlx::query_scalar(
            "UPDATE comments SET status = 'hidden', reason = $2, moderated_at = $3 \
             WHERE reader_id = $1 AND status = 'public' RETURNING story_id"
        ).bind(reader_id).bind(reason).bind(now).fetch_all(&mut *x).await)?;
        let mut s = stories;
        s.sort_unstable();
        s.dedup();
        Ok(s)
    }

    /// Marks a reply as announced to the comment it answers; false if it was already.
    pub async fn mark_reply_notified(&mut self, id: i64) -> Result<bool> {
        let n = on_tx!(self, x => sqlx::query(
            "UPDATE comments SET reply_notified = 1 WHERE id = $1 AND reply_notified = 0"
        ).bind(id).execute(&mut *x).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub async fn set_comment_settings(&mut self, s: &CommentSettingsRow, now: i64) -> Result<()> {
        on_tx!(self, x => sqlx::query(
            "UPDATE comment_settings SET enabled = $1, off_message = $2, who = $3, close_after_hours = $4, \
             new_commenter_holds = $5, banned_words = $6, suspect_words = $7, hold_threshold = $8, \
             default_moderation = $9, updated_at = $10 WHERE id = 1"
        ).bind(s.enabled).bind(&s.off_message).bind(&s.who).bind(s.close_after_hours)
         .bind(s.new_commenter_holds).bind(&s.banned_words).bind(&s.suspect_words).bind(s.hold_threshold)
         .bind(&s.default_moderation).bind(now)
         .execute(&mut *x).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn set_comment_policy(&mut self, p: &PolicyRow) -> Result<()> {
        on_tx!(self, x => sqlx::query(
            "INSERT INTO comment_policies (scope, target_id, open, moderation, legal) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (scope, target_id) DO UPDATE SET open = $3, moderation = $4, legal = $5"
        ).bind(&p.scope).bind(p.target_id).bind(&p.open).bind(&p.moderation).bind(p.legal)
         .execute(&mut *x).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}
