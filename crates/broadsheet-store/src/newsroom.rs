//! Newsroom queries: sessions, drafts, saves with optimistic locking,
//! revisions, workflow transitions and the audit log.

use broadsheet_domain::{Access, StoryStatus};
use sqlx::FromRow;

use crate::{Store, StoreError, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

/// A signed-in staff member, as a session finds them.
#[derive(Debug, Clone, FromRow)]
pub struct SessionUser {
    pub author_id: i64,
    pub csrf: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
}

/// The editable fields of a story.
#[derive(Debug, Clone)]
pub struct StoryEdit {
    pub section_id: i64,
    pub headline: String,
    pub standfirst: String,
    pub body: String,
    pub byline_text: Option<String>,
    pub access: Access,
    pub breaking: bool,
    pub seo_title: String,
    pub seo_description: String,
    /// Tag ids, replacing the story's tags.
    pub tags: Vec<i64>,
    /// Staff bylines in order, replacing the story's (empty: keep the creator
    /// for a new story; agency copy uses `byline_text`).
    pub authors: Vec<i64>,
    pub lead_picture_id: Option<i64>,
}

/// The result of a save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// Saved; the story is now at this version.
    Ok(i64),
    /// Someone saved first: the story is at `current`, not the version this
    /// save started from. The refused text is kept as a revision.
    Conflict { current: i64 },
}

/// A line in a newsroom list.
#[derive(Debug, Clone, FromRow)]
pub struct DeskItem {
    pub id: i64,
    pub headline: String,
    pub status: String,
    pub section_id: i64,
    pub modified_at: i64,
    pub scheduled_at: Option<i64>,
    pub created_by: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct Revision {
    pub id: i64,
    pub version: i64,
    pub author_id: Option<i64>,
    pub at: i64,
    pub headline: String,
    pub standfirst: String,
    pub body: String,
    pub note: String,
}

impl Store {
    // ----- sessions -----------------------------------------------------------

    pub async fn create_session(
        &self,
        id_hash: &str,
        author_id: i64,
        csrf: &str,
        now: i64,
        expires: i64,
    ) -> Result<()> {
        with_pool!(&self.db, p => sqlx::query(
            "INSERT INTO sessions (id, author_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)"
        ).bind(id_hash).bind(author_id).bind(csrf).bind(now).bind(expires).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn session(&self, id_hash: &str, now: i64) -> Result<Option<SessionUser>> {
        let row: Option<SessionUser> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT s.author_id, s.csrf, a.username, a.display_name, a.role FROM sessions s \
             JOIN authors a ON a.id = s.author_id WHERE s.id = $1 AND s.expires_at > $2"
        ).bind(id_hash).bind(now).fetch_optional(p).await)?;
        Ok(row)
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        with_pool!(&self.db, p => sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id_hash).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Ends every session of a staff member (sign out everywhere; password change).
    pub async fn delete_sessions_of(&self, author_id: i64) -> Result<u64> {
        let n = with_pool!(&self.db, p => sqlx::query("DELETE FROM sessions WHERE author_id = $1")
            .bind(author_id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }

    // ----- stories ------------------------------------------------------------

    /// Starts a draft by `author_id`, with its first revision.
    pub async fn create_draft(
        &self,
        e: &StoryEdit,
        slug: &str,
        author_id: i64,
        now: i64,
    ) -> Result<i64> {
        let id = with_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO stories (section_id, slug, headline, standfirst, body, byline_text, status, access, breaking, \
                 created_at, modified_at, version, created_by, seo_title, seo_description, lead_picture_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $9, $9, 1, $10, $11, $12, $13) RETURNING id",
            )
            .bind(e.section_id).bind(slug).bind(&e.headline).bind(&e.standfirst).bind(&e.body).bind(&e.byline_text)
            .bind(e.access.as_str()).bind(i64::from(e.breaking)).bind(now).bind(author_id).bind(&e.seo_title)
            .bind(&e.seo_description).bind(e.lead_picture_id)
            .fetch_one(&mut *tx).await?;
            let authors: Vec<i64> = if e.authors.is_empty() { vec![author_id] } else { e.authors.clone() };
            for (pos, a) in authors.iter().enumerate() {
                sqlx::query("INSERT INTO story_authors (story_id, author_id, position) VALUES ($1, $2, $3)")
                    .bind(id).bind(*a).bind(pos as i64).execute(&mut *tx).await?;
            }
            for t in &e.tags {
                sqlx::query("INSERT INTO story_tags (story_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id).bind(*t).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO revisions (story_id, version, author_id, at, headline, standfirst, body, note) VALUES ($1, 1, $2, $3, $4, $5, $6, 'created')")
                .bind(id).bind(author_id).bind(now).bind(&e.headline).bind(&e.standfirst).bind(&e.body)
                .execute(&mut *tx).await?;
            sqlx::query("INSERT INTO audit_log (at, actor_id, action, story_id, detail) VALUES ($1, $2, 'create', $3, '')")
                .bind(now).bind(author_id).bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<i64, sqlx::Error>(id)
        })?;
        Ok(id)
    }

    /// Saves an edit made from version `from`. If the story moved on since,
    /// nothing is changed and the text is kept as a conflict revision.
    /// `published_update` sets "Updated:" (a published story changed).
    /// `keys`: surrogate keys to purge (recorded as a change event) when saved.
    #[allow(
        clippy::too_many_arguments,
        reason = "one call site per operation; a struct would only rename the same fields"
    )]
    pub async fn save_story(
        &self,
        id: i64,
        from: i64,
        e: &StoryEdit,
        actor: i64,
        now: i64,
        published_update: bool,
        keys: &str,
    ) -> Result<Saved> {
        let saved = with_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE stories SET section_id = $1, headline = $2, standfirst = $3, body = $4, byline_text = $5, \
                 access = $6, breaking = $7, seo_title = $8, seo_description = $9, modified_at = $10, \
                 updated_at = CASE WHEN $11 = 1 THEN $10 ELSE updated_at END, version = version + 1, \
                 lead_picture_id = $14 WHERE id = $12 AND version = $13",
            )
            .bind(e.section_id).bind(&e.headline).bind(&e.standfirst).bind(&e.body).bind(&e.byline_text)
            .bind(e.access.as_str()).bind(i64::from(e.breaking)).bind(&e.seo_title).bind(&e.seo_description)
            .bind(now).bind(i64::from(published_update)).bind(id).bind(from).bind(e.lead_picture_id)
            .execute(&mut *tx).await?.rows_affected();
            let current: i64 = sqlx::query_scalar("SELECT version FROM stories WHERE id = $1")
                .bind(id).fetch_one(&mut *tx).await?;
            if n == 1 {
                sqlx::query("DELETE FROM story_tags WHERE story_id = $1").bind(id).execute(&mut *tx).await?;
                for t in &e.tags {
                    sqlx::query("INSERT INTO story_tags (story_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(id).bind(*t).execute(&mut *tx).await?;
                }
                if !e.authors.is_empty() {
                    sqlx::query("DELETE FROM story_authors WHERE story_id = $1").bind(id).execute(&mut *tx).await?;
                    for (pos, a) in e.authors.iter().enumerate() {
                        sqlx::query("INSERT INTO story_authors (story_id, author_id, position) VALUES ($1, $2, $3)")
                            .bind(id).bind(*a).bind(pos as i64).execute(&mut *tx).await?;
                    }
                }
            }
            let (note, outcome) = if n == 1 {
                ("saved".to_string(), Saved::Ok(current))
            } else {
                (format!("not applied: started from version {from}, story was at {current}"), Saved::Conflict { current })
            };
            sqlx::query("INSERT INTO revisions (story_id, version, author_id, at, headline, standfirst, body, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(id).bind(if n == 1 { current } else { from }).bind(actor).bind(now)
                .bind(&e.headline).bind(&e.standfirst).bind(&e.body).bind(&note)
                .execute(&mut *tx).await?;
            sqlx::query("INSERT INTO audit_log (at, actor_id, action, story_id, detail) VALUES ($1, $2, $3, $4, $5)")
                .bind(now).bind(actor).bind(if n == 1 { "save" } else { "save-conflict" }).bind(id).bind(&note)
                .execute(&mut *tx).await?;
            if n == 1 && !keys.is_empty() {
                sqlx::query("INSERT INTO change_events (at, keys) VALUES ($1, $2)")
                    .bind(now).bind(keys).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<Saved, sqlx::Error>(outcome)
        })?;
        Ok(saved)
    }

    /// Moves a story to `to`, records who did it, and the keys to purge.
    /// Publishing sets `published_at` the first time.
    #[allow(
        clippy::too_many_arguments,
        reason = "one call site per operation; a struct would only rename the same fields"
    )]
    pub async fn transition(
        &self,
        id: i64,
        to: StoryStatus,
        actor: i64,
        now: i64,
        scheduled_at: Option<i64>,
        keys: &str,
        detail: &str,
    ) -> Result<()> {
        with_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "UPDATE stories SET status = $1, modified_at = $2, scheduled_at = $3, \
                 published_at = CASE WHEN $1 = 'published' AND published_at IS NULL THEN $2 ELSE published_at END, \
                 version = version + 1 WHERE id = $4",
            )
            .bind(to.as_str()).bind(now).bind(scheduled_at).bind(id)
            .execute(&mut *tx).await?;
            sqlx::query("INSERT INTO audit_log (at, actor_id, action, story_id, detail) VALUES ($1, $2, $3, $4, $5)")
                .bind(now).bind(actor).bind(to.as_str()).bind(id).bind(detail)
                .execute(&mut *tx).await?;
            if !keys.is_empty() {
                sqlx::query("INSERT INTO change_events (at, keys) VALUES ($1, $2)")
                    .bind(now).bind(keys).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<(), sqlx::Error>(())
        })?;
        Ok(())
    }

    /// Stories in a status, newest change first; only `owner`'s if given.
    pub async fn desk(
        &self,
        status: StoryStatus,
        owner: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DeskItem>> {
        let rows: Vec<DeskItem> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, headline, status, section_id, modified_at, scheduled_at, created_by FROM stories \
             WHERE status = $1 AND ($2 = 0 OR created_by = $2 OR id IN (SELECT story_id FROM story_authors WHERE author_id = $2)) \
             ORDER BY modified_at DESC, id DESC LIMIT $3"
        ).bind(status.as_str()).bind(owner.unwrap_or(0)).bind(limit).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Scheduled stories whose time has come.
    pub async fn due_scheduled(&self, now: i64) -> Result<Vec<i64>> {
        let ids: Vec<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT id FROM stories WHERE status = 'scheduled' AND scheduled_at <= $1 ORDER BY scheduled_at"
        ).bind(now).fetch_all(p).await)?;
        Ok(ids)
    }

    pub async fn revisions(&self, story_id: i64) -> Result<Vec<Revision>> {
        let rows: Vec<Revision> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, version, author_id, at, headline, standfirst, body, note FROM revisions \
             WHERE story_id = $1 ORDER BY id DESC"
        ).bind(story_id).fetch_all(p).await)?;
        Ok(rows)
    }

    /// (action, actor id, at, detail) for a story, newest first.
    pub async fn audit_of(&self, story_id: i64) -> Result<Vec<(String, Option<i64>, i64, String)>> {
        let rows: Vec<(String, Option<i64>, i64, String)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT action, actor_id, at, detail FROM audit_log WHERE story_id = $1 ORDER BY id DESC"
        ).bind(story_id).fetch_all(p).await)?;
        Ok(rows)
    }
}
