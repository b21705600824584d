//! Newsroom queries: sessions, the desk, revisions and the audit log. The
//! writes (drafts, saves, transitions) are composed on [`crate::Tx`].

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
    /// Tag names, replacing the story's tags; the use case resolves them to
    /// tags (making new ones) inside its transaction, after its checks.
    pub tags: Vec<String>,
    /// Staff bylines in order, replacing the story's (empty: keep the creator
    /// for a new story; agency copy uses `byline_text`).
    pub authors: Vec<i64>,
    pub lead_picture_id: Option<i64>,
}

impl StoryEdit {
    /// A story's fields as an edit that changes nothing (the editor's form
    /// filled in; a change to one field starts from it).
    pub fn of(s: &broadsheet_domain::Story) -> StoryEdit {
        StoryEdit {
            section_id: s.section_id,
            headline: s.headline.clone(),
            standfirst: s.standfirst.clone(),
            body: s.body.clone(),
            byline_text: s.byline_text.clone(),
            access: s.access,
            breaking: s.breaking,
            seo_title: s.seo_title.clone(),
            seo_description: s.seo_description.clone(),
            tags: s.tags.iter().map(|t| t.name.clone()).collect(),
            authors: s.authors.iter().map(|a| a.id).collect(),
            lead_picture_id: s.lead_picture.as_ref().map(|p| p.id),
        }
    }
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

/// One audit row: what was done, by whom (`actor`: staff, operator,
/// scheduler, reader, agency; `actor_id` for staff, readers and agencies).
#[derive(Debug, Clone, FromRow)]
pub struct AuditEntry {
    pub action: String,
    pub actor: String,
    pub actor_id: Option<i64>,
    pub at: i64,
    pub detail: String,
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

    /// Scheduled stories whose time has come, as (id, version).
    pub async fn due_scheduled(&self, now: i64) -> Result<Vec<(i64, i64)>> {
        let rows: Vec<(i64, i64)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, version FROM stories WHERE status = 'scheduled' AND scheduled_at <= $1 ORDER BY scheduled_at"
        ).bind(now).fetch_all(p).await)?;
        Ok(rows)
    }

    pub async fn revisions(&self, story_id: i64) -> Result<Vec<Revision>> {
        let rows: Vec<Revision> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, version, author_id, at, headline, standfirst, body, note FROM revisions \
             WHERE story_id = $1 ORDER BY id DESC"
        ).bind(story_id).fetch_all(p).await)?;
        Ok(rows)
    }

    /// A story's audit rows, newest first.
    pub async fn audit_of(&self, story_id: i64) -> Result<Vec<AuditEntry>> {
        let rows: Vec<AuditEntry> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT action, actor, actor_id, at, detail FROM audit_log WHERE story_id = $1 ORDER BY id DESC"
        ).bind(story_id).fetch_all(p).await)?;
        Ok(rows)
    }

    /// The newest audit rows about no story (people, Editor's Picks), newest first.
    pub async fn audit_general(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows: Vec<AuditEntry> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT action, actor, actor_id, at, detail FROM audit_log WHERE story_id IS NULL ORDER BY id DESC LIMIT $1"
        ).bind(limit).fetch_all(p).await)?;
        Ok(rows)
    }
}
