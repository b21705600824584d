//! Wire ingest (issue 14): agencies, the newest version of each of their
//! items and the quarantine of files that could not be read. The rows
//! only: what an item becomes, who may do what and when a version replaces
//! another are the app's (`broadsheet_app::wire`).

use sqlx::FromRow;

use crate::tx::{TxInner, on_tx};
use crate::{Store, StoreError, Tx, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

/// An agency as the admin set it up.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AgencyRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub byline: String,
    pub credit: String,
    pub section_id: i64,
    /// `queue` or `auto`.
    pub mode: String,
    pub rules: String,
    pub token_hash: Option<String>,
    pub active: bool,
    pub created_at: i64,
}

const AGENCY_COLUMNS: &str = "id, slug, name, byline, credit, section_id, mode, rules, token_hash, \
     active <> 0 AS active, created_at";

/// An agency's fields as set in the newsroom (or the CLI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyFields {
    pub slug: String,
    pub name: String,
    pub byline: String,
    pub credit: String,
    pub section_id: i64,
    pub mode: String,
    pub active: bool,
}

/// The newest version of an agency item and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct WireItemRow {
    pub id: i64,
    pub agency_id: i64,
    pub item_id: String,
    pub status: String,
    /// What the newest version says the story is.
    #[sqlx(flatten)]
    pub content: WireContent,
    pub story_id: Option<i64>,
    pub story_version: Option<i64>,
    pub received_at: i64,
    pub updated_at: i64,
}

const ITEM_COLUMNS: &str = "id, agency_id, item_id, version, status, headline, standfirst, body, \
     byline, section_id, tags, subjects, urgency, breaking <> 0 AS breaking, language, embargo, notes, \
     picture_id, story_id, story_version, received_at, updated_at";

/// What an item's version says the story is (the content columns).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct WireContent {
    pub version: i64,
    pub headline: String,
    pub standfirst: String,
    pub body: String,
    pub byline: String,
    pub section_id: i64,
    /// Tag names, one a line.
    pub tags: String,
    /// Subjects and places, one a line (for the queue's filter).
    pub subjects: String,
    pub urgency: Option<i64>,
    pub breaking: bool,
    pub language: Option<String>,
    pub embargo: Option<i64>,
    /// Notes to editors, one a line (never shown to readers).
    pub notes: String,
    pub picture_id: Option<i64>,
}

/// A file that could not be read (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct QuarantineRow {
    pub id: i64,
    pub agency_id: Option<i64>,
    pub name: String,
    pub transport: String,
    pub reason: String,
    pub size: i64,
    pub received_at: i64,
    pub cleared_at: Option<i64>,
}

/// The wire queue's filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireFilter {
    pub agency_id: Option<i64>,
    /// Urgency at most this (1 most urgent).
    pub max_urgency: Option<i64>,
    /// A subject or place, as written (case-insensitive, whole line).
    pub subject: Option<String>,
    pub limit: i64,
}

impl Store {
    pub async fn agencies(&self) -> Result<Vec<AgencyRow>> {
        let sql = format!("SELECT {AGENCY_COLUMNS} FROM agencies ORDER BY name, id");
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_all(p).await)?,
        )
    }

    pub async fn agency(&self, id: i64) -> Result<Option<AgencyRow>> {
        let sql = format!("SELECT {AGENCY_COLUMNS} FROM agencies WHERE id = $1");
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id).fetch_optional(p).await)?,
        )
    }

    pub async fn agency_by_slug(&self, slug: &str) -> Result<Option<AgencyRow>> {
        let sql = format!("SELECT {AGENCY_COLUMNS} FROM agencies WHERE slug = $1");
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(slug).fetch_optional(p).await)?,
        )
    }

    pub async fn wire_item(&self, id: i64) -> Result<Option<WireItemRow>> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM wire_items WHERE id = $1");
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id).fetch_optional(p).await)?,
        )
    }

    /// An agency's item by the agency's id for it.
    pub async fn wire_item_by_key(
        &self,
        agency: i64,
        item_id: &str,
    ) -> Result<Option<WireItemRow>> {
        let sql =
            format!("SELECT {ITEM_COLUMNS} FROM wire_items WHERE agency_id = $1 AND item_id = $2");
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(agency).bind(item_id).fetch_optional(p).await)?,
        )
    }

    /// The items with a story (to find which agency item a story came from).
    pub async fn wire_item_of_story(&self, story: i64) -> Result<Option<WireItemRow>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM wire_items WHERE story_id = $1 ORDER BY id LIMIT 1"
        );
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(story).fetch_optional(p).await)?,
        )
    }

    /// Items in the given states, newest first, filtered.
    pub async fn wire_items_in(&self, states: &[&str], f: &WireFilter) -> Result<Vec<WireItemRow>> {
        // The states are the app's constants, never input: inlined as literals.
        let states: Vec<String> = states
            .iter()
            .filter(|s| s.chars().all(|c| c.is_ascii_lowercase()))
            .map(|s| format!("'{s}'"))
            .collect();
        if states.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM wire_items WHERE status IN ({}) \
             AND ($1 IS NULL OR agency_id = $1) AND ($2 IS NULL OR urgency <= $2) \
             AND ($3 IS NULL OR LOWER(subjects) LIKE $3) \
             ORDER BY updated_at DESC, id DESC LIMIT $4",
            states.join(", ")
        );
        let subject = f.subject.as_ref().map(|s| {
            let s: String = s
                .to_lowercase()
                .chars()
                .filter(|c| !matches!(c, '%' | '_' | '\\'))
                .collect();
            format!("%{s}%")
        });
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(f.agency_id).bind(f.max_urgency).bind(subject.clone()).bind(f.limit.max(1))
            .fetch_all(p).await)?,
        )
    }

    /// What holds back a story made from an agency item: the item's
    /// embargo, and whether the agency killed it. `None`: not agency copy.
    pub async fn story_wire_hold(&self, story: i64) -> Result<Option<(Option<i64>, bool)>> {
        let row: Option<(Option<i64>, String)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT embargo, status FROM wire_items WHERE story_id = $1 ORDER BY id LIMIT 1"
        ).bind(story).fetch_optional(p).await)?;
        Ok(row.map(|(embargo, status)| (embargo, status == "killed")))
    }

    /// Quarantined files not yet dismissed, newest first.
    pub async fn quarantine_open(&self, limit: i64) -> Result<Vec<QuarantineRow>> {
        Ok(with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, agency_id, name, transport, reason, CAST(LENGTH(original) AS BIGINT) AS size, \
             received_at, cleared_at FROM wire_quarantine WHERE cleared_at IS NULL \
             ORDER BY received_at DESC, id DESC LIMIT $1"
        ).bind(limit).fetch_all(p).await)?)
    }

    /// How many quarantined files wait for someone to look.
    pub async fn quarantine_count(&self) -> Result<i64> {
        Ok(with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM wire_quarantine WHERE cleared_at IS NULL"
        ).fetch_one(p).await)?)
    }

    /// A quarantined file's name and bytes, as received.
    pub async fn quarantine_original(&self, id: i64) -> Result<Option<(String, Vec<u8>)>> {
        Ok(with_pool!(&self.db, p => sqlx::query_as(
            "SELECT name, original FROM wire_quarantine WHERE id = $1"
        ).bind(id).fetch_optional(p).await)?)
    }
}

impl Tx {
    pub async fn insert_agency(&mut self, a: &AgencyFields, now: i64) -> Result<i64> {
        Ok(on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO agencies (slug, name, byline, credit, section_id, mode, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
        ).bind(&a.slug).bind(&a.name).bind(&a.byline).bind(&a.credit).bind(a.section_id)
            .bind(&a.mode).bind(i64::from(a.active)).bind(now).fetch_one(&mut *c).await)?)
    }

    pub async fn update_agency(&mut self, id: i64, a: &AgencyFields) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE agencies SET name = $1, byline = $2, credit = $3, section_id = $4, mode = $5, \
             active = $6 WHERE id = $7"
        ).bind(&a.name).bind(&a.byline).bind(&a.credit).bind(a.section_id).bind(&a.mode)
            .bind(i64::from(a.active)).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub async fn set_agency_rules(&mut self, id: i64, rules: &str) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query("UPDATE agencies SET rules = $1 WHERE id = $2")
            .bind(rules).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub async fn set_agency_token(&mut self, id: i64, hash: Option<&str>) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query("UPDATE agencies SET token_hash = $1 WHERE id = $2")
            .bind(hash).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// An agency's item as this transaction sees it; on PostgreSQL the row
    /// is locked until the transaction ends (two nodes taking two versions
    /// of one item queue; on SQLite the transaction holds the write lock).
    pub async fn wire_item_locked(
        &mut self,
        agency: i64,
        item_id: &str,
    ) -> Result<Option<WireItemRow>> {
        let lock = match &self.0 {
            TxInner::Postgres(_) => " FOR UPDATE",
            TxInner::Sqlite(_) => "",
        };
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM wire_items WHERE agency_id = $1 AND item_id = $2{lock}"
        );
        Ok(
            on_tx!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(agency).bind(item_id).fetch_optional(&mut *c).await)?,
        )
    }

    /// Records a new item; `None` if another transaction recorded it first.
    pub async fn insert_wire_item(
        &mut self,
        agency: i64,
        item_id: &str,
        status: &str,
        w: &WireContent,
        now: i64,
    ) -> Result<Option<i64>> {
        Ok(on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO wire_items (agency_id, item_id, version, status, headline, standfirst, body, \
             byline, section_id, tags, subjects, urgency, breaking, language, embargo, notes, picture_id, \
             received_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
             $14, $15, $16, $17, $18, $18) ON CONFLICT (agency_id, item_id) DO NOTHING RETURNING id"
        ).bind(agency).bind(item_id).bind(w.version).bind(status).bind(&w.headline)
            .bind(&w.standfirst).bind(&w.body).bind(&w.byline).bind(w.section_id).bind(&w.tags)
            .bind(&w.subjects).bind(w.urgency).bind(i64::from(w.breaking)).bind(&w.language)
            .bind(w.embargo).bind(&w.notes).bind(w.picture_id).bind(now)
            .fetch_optional(&mut *c).await)?)
    }

    /// Replaces an item's content with a newer version's.
    pub async fn update_wire_content(&mut self, id: i64, w: &WireContent, now: i64) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "UPDATE wire_items SET version = $1, headline = $2, standfirst = $3, body = $4, byline = $5, \
             section_id = $6, tags = $7, subjects = $8, urgency = $9, breaking = $10, language = $11, \
             embargo = $12, notes = $13, picture_id = COALESCE($14, picture_id), updated_at = $15 \
             WHERE id = $16"
        ).bind(w.version).bind(&w.headline).bind(&w.standfirst).bind(&w.body).bind(&w.byline)
            .bind(w.section_id).bind(&w.tags).bind(&w.subjects).bind(w.urgency)
            .bind(i64::from(w.breaking)).bind(&w.language).bind(w.embargo).bind(&w.notes)
            .bind(w.picture_id).bind(now).bind(id).execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// Records a version the item reached without new content (a kill or
    /// a hold), and its state.
    pub async fn set_wire_version(&mut self, id: i64, version: i64, now: i64) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "UPDATE wire_items SET version = $1, updated_at = $2 WHERE id = $3"
        ).bind(version).bind(now).bind(id).execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// What became of an item: its state, its story and the story's
    /// version as the wire (or the desk taking it) left it.
    pub async fn set_wire_state(
        &mut self,
        id: i64,
        status: &str,
        story: Option<i64>,
        story_version: Option<i64>,
        now: i64,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "UPDATE wire_items SET status = $1, story_id = COALESCE($2, story_id), \
             story_version = COALESCE($3, story_version), updated_at = $4 WHERE id = $5"
        ).bind(status).bind(story).bind(story_version).bind(now).bind(id)
            .execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// Takes a queued item for a story, if it is still queued (of two
    /// people opening it, one gets it).
    pub async fn take_wire_item(
        &mut self,
        id: i64,
        story: i64,
        story_version: i64,
        now: i64,
    ) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE wire_items SET status = 'taken', story_id = $1, story_version = $2, updated_at = $3 \
             WHERE id = $4 AND status IN ('queued', 'held') AND story_id IS NULL"
        ).bind(story).bind(story_version).bind(now).bind(id)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Keeps a file that could not be read, whole, with the reason.
    pub async fn quarantine(
        &mut self,
        agency: Option<i64>,
        name: &str,
        transport: &str,
        reason: &str,
        original: &[u8],
        now: i64,
    ) -> Result<i64> {
        Ok(on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO wire_quarantine (agency_id, name, transport, reason, original, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
        ).bind(agency).bind(name).bind(transport).bind(reason).bind(original).bind(now)
            .fetch_one(&mut *c).await)?)
    }

    /// Dismisses a quarantine alert (the file stays); false if it was
    /// dismissed already or does not exist.
    pub async fn clear_quarantine(&mut self, id: i64, by: Option<i64>, now: i64) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE wire_quarantine SET cleared_at = $1, cleared_by = $2 WHERE id = $3 AND cleared_at IS NULL"
        ).bind(now).bind(by).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
