//! Comment reactions, featured comments, ignore lists and commenter badges
//! in the database (issue 12). A comment's `reactions` column is recounted
//! from `comment_reactions` in the transaction of every reaction; the
//! "most reacted" thread order pages by offset on the `comments_reacted`
//! index (counts move, so there is no stable keyset); featured comments are
//! found on the partial `comments_featured` index.

use sqlx::QueryBuilder;

use crate::comments::CommentRow;
use crate::tx::{Tx, TxInner, on_tx};
use crate::{Store, StoreError, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

const COLUMNS: &str = "c.id, c.story_id, c.reader_id, c.parent_id, c.author_name, c.body, c.status, \
     c.created_at, c.edited_at, c.held_rule, c.held_score, c.held_threshold, c.decision, c.reason, c.open_reports, \
     c.reactions, c.featured_at";

/// A commenter ignored by a reader, as their list shows it.
#[derive(Debug, Clone, sqlx::FromRow, PartialEq, Eq)]
pub struct IgnoredRow {
    pub ignored_id: i64,
    pub display_name: String,
    pub created_at: i64,
}

impl Store {
    /// A page of a story's public top-level comments, most reacted first
    /// (ties: oldest first), skipping `offset`.
    pub async fn thread_page_reacted(
        &self,
        story_id: i64,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<CommentRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM comments c WHERE c.story_id = $1 AND c.status = 'public' \
             AND c.parent_id IS NULL ORDER BY c.reactions DESC, c.id ASC LIMIT $2 OFFSET $3"
        );
        let rows = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(story_id).bind(limit).bind(offset).fetch_all(p).await)?;
        Ok(rows)
    }

    /// The featured public comments of a story, most recently featured first.
    pub async fn featured_comments(&self, story_id: i64, limit: i64) -> Result<Vec<CommentRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM comments c WHERE c.story_id = $1 AND c.featured_at IS NOT NULL \
             AND c.status = 'public' ORDER BY c.featured_at DESC, c.id DESC LIMIT $2"
        );
        let rows = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(story_id).bind(limit).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Which of these comments `reader_id` has reacted to.
    pub async fn reacted_by(&self, reader_id: i64, comments: &[i64]) -> Result<Vec<i64>> {
        if comments.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = with_pool!(&self.db, p => {
            let mut qb = QueryBuilder::new("SELECT comment_id FROM comment_reactions WHERE reader_id = ");
            qb.push_bind(reader_id);
            qb.push(" AND comment_id IN (");
            let mut sep = qb.separated(", ");
            for id in comments {
                sep.push_bind(*id);
            }
            qb.push(")");
            qb.build_query_scalar().fetch_all(p).await
        })?;
        Ok(ids)
    }

    /// The commenters `reader_id` ignores, with their names, newest first.
    pub async fn ignored_commenters(&self, reader_id: i64) -> Result<Vec<IgnoredRow>> {
        let rows = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT i.ignored_id, r.display_name, i.created_at FROM comment_ignores i \
             JOIN readers r ON r.id = i.ignored_id WHERE i.reader_id = $1 \
             ORDER BY i.created_at DESC, i.ignored_id DESC LIMIT 1000"
        ).bind(reader_id).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Of these readers, those whose verified address is that of a newsroom
    /// account that can sign in (the staff badge).
    pub async fn staff_readers(&self, readers: &[i64]) -> Result<Vec<i64>> {
        if readers.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = with_pool!(&self.db, p => {
            let mut qb = QueryBuilder::new(
                "SELECT r.id FROM readers r WHERE r.email_verified_at IS NOT NULL AND EXISTS \
                 (SELECT 1 FROM authors a WHERE lower(a.email) = lower(r.email) \
                 AND a.password_hash IS NOT NULL) AND r.id IN (",
            );
            let mut sep = qb.separated(", ");
            for id in readers {
                sep.push_bind(*id);
            }
            qb.push(")");
            qb.build_query_scalar().fetch_all(p).await
        })?;
        Ok(ids)
    }
}

impl Tx {
    /// Adds `reader_id`'s reaction to a comment, or takes it back when they
    /// had one; returns whether they react now and the comment's new count.
    pub async fn toggle_reaction(
        &mut self,
        comment_id: i64,
        reader_id: i64,
        now: i64,
    ) -> Result<(bool, i64)> {
        let removed = on_tx!(self, x => sqlx::query(
            "DELETE FROM comment_reactions WHERE comment_id = $1 AND reader_id = $2"
        ).bind(comment_id).bind(reader_id).execute(&mut *x).await.map(|r| r.rows_affected()))?;
        if removed == 0 {
            on_tx!(self, x => sqlx::query(
                "INSERT INTO comment_reactions (comment_id, reader_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (comment_id, reader_id) DO NOTHING"
            ).bind(comment_id).bind(reader_id).bind(now).execute(&mut *x).await.map(|r| r.rows_affected()))?;
        }
        let n: i64 = on_tx!(self, x => sqlx::query_scalar(
            "UPDATE comments SET reactions = (SELECT COUNT(*) FROM comment_reactions WHERE comment_id = $1) \
             WHERE id = $1 RETURNING reactions"
        ).bind(comment_id).fetch_one(&mut *x).await)?;
        Ok((removed == 0, n))
    }

    /// Features (`Some(now)`) or unfeatures (`None`) a comment, only while
    /// it is public. False: it was not public (or already so).
    pub async fn set_featured(&mut self, comment_id: i64, at: Option<i64>) -> Result<bool> {
        let n = on_tx!(self, x => sqlx::query(
            "UPDATE comments SET featured_at = $2 WHERE id = $1 AND status = 'public' \
             AND ((featured_at IS NULL) <> ($2 IS NULL))"
        ).bind(comment_id).bind(at).execute(&mut *x).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Unfeatures every featured comment of these stories that is no longer
    /// public (after a hide, a removal, a deletion or a ban).
    pub async fn unfeature_gone(&mut self, stories: &[i64]) -> Result<u64> {
        let mut n = 0;
        for s in stories {
            n += on_tx!(self, x => sqlx::query(
                "UPDATE comments SET featured_at = NULL WHERE story_id = $1 AND featured_at IS NOT NULL \
                 AND status <> 'public'"
            ).bind(*s).execute(&mut *x).await.map(|r| r.rows_affected()))?;
        }
        Ok(n)
    }

    /// `reader_id` ignores `ignored_id` (or stops, `on` false). True when it changed.
    pub async fn set_ignored(
        &mut self,
        reader_id: i64,
        ignored_id: i64,
        on: bool,
        now: i64,
    ) -> Result<bool> {
        let n = if on {
            on_tx!(self, x => sqlx::query(
                "INSERT INTO comment_ignores (reader_id, ignored_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (reader_id, ignored_id) DO NOTHING"
            ).bind(reader_id).bind(ignored_id).bind(now).execute(&mut *x).await.map(|r| r.rows_affected()))?
        } else {
            on_tx!(self, x => sqlx::query(
                "DELETE FROM comment_ignores WHERE reader_id = $1 AND ignored_id = $2"
            ).bind(reader_id).bind(ignored_id).execute(&mut *x).await.map(|r| r.rows_affected()))?
        };
        Ok(n == 1)
    }
}
