//! The store's transaction handle: [`Tx`], from [`Store::begin`]. Every write
//! that must happen together is composed by the app on one `Tx`: the change
//! itself, its audit row ([`Tx::audit`]) and its change event
//! ([`Tx::change`]), each statement written once here, in SQL both backends
//! accept. Dropping a `Tx` without [`Tx::commit`] rolls it back.
//!
//! On SQLite a transaction starts with `BEGIN IMMEDIATE`: it takes the write
//! lock at once (waiting up to the busy timeout), so two writers queue
//! rather than one failing when it upgrades from reading to writing.

use broadsheet_domain::{Actor, StoryStatus};

use crate::{Db, Store, StoreError, StoryEdit};

type Result<T> = std::result::Result<T, StoreError>;

/// One open transaction on whichever backend the store has.
pub struct Tx(pub(crate) TxInner, pub(crate) ReaderMark);

/// Whether a transaction wrote reader sessions or entitlements (see
/// `live.rs`): then its commit appends a `readers` change event and moves
/// the reader generation once committed. The readers whose entitlements it
/// changed are named in that event too (`commenter-N`), since a thread page
/// shows whether each commenter subscribes.
pub(crate) struct ReaderMark {
    live: crate::live::SharedLive,
    touched: bool,
    entitled: Vec<i64>,
}

pub(crate) enum TxInner {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs the same expression on the transaction's connection, binding it
/// to `$c` (use `&mut *$c` as the executor).
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match &mut $tx.0 {
            TxInner::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            TxInner::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

impl Store {
    /// Opens a transaction for writing.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(Tx(
            match &self.db {
                Db::Sqlite(p) => TxInner::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
                Db::Postgres(p) => TxInner::Postgres(p.begin().await?),
            },
            ReaderMark {
                live: self.live.clone(),
                touched: false,
                entitled: Vec::new(),
            },
        ))
    }
}

/// Where a story stands: what a guarded move checks against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoryState {
    pub status: StoryStatus,
    pub version: i64,
}

impl Tx {
    /// Makes everything written on this handle permanent.
    /// A write to reader sessions or entitlements also appends the
    /// `readers` change event here, and moves this node's reader generation
    /// once the commit succeeded (see `live.rs`).
    pub async fn commit(mut self) -> Result<()> {
        if self.1.touched {
            let at = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default();
            let mut keys = crate::READERS_KEY.to_string();
            let mut entitled = std::mem::take(&mut self.1.entitled);
            entitled.sort_unstable();
            entitled.dedup();
            for r in entitled {
                keys.push(' ');
                keys.push_str(crate::live::COMMENTER_KEY_PREFIX);
                keys.push_str(&r.to_string());
            }
            self.change(&keys, at).await?;
        }
        let Tx(inner, mark) = self;
        match inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        if mark.touched {
            mark.live.bump_readers();
        }
        Ok(())
    }

    /// Marks this transaction as changing `reader`'s entitlements (and so
    /// what their sessions are worth, and their "Subscriber" badge).
    pub(crate) fn touch_entitlements(&mut self, reader: i64) {
        self.1.touched = true;
        self.1.entitled.push(reader);
    }

    /// Marks this transaction as changing what reader sessions are worth.
    pub(crate) fn touch_readers(&mut self) {
        self.1.touched = true;
    }

    // ----- the two rows every change writes -----------------------------------------

    /// Appends an audit row: who (`actor`: kind and id), what, on which story.
    pub async fn audit(
        &mut self,
        actor: &Actor,
        action: &str,
        story_id: Option<i64>,
        detail: &str,
        now: i64,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO audit_log (at, actor, actor_id, action, story_id, detail) VALUES ($1, $2, $3, $4, $5, $6)"
        ).bind(now).bind(actor.kind()).bind(actor.id()).bind(action).bind(story_id).bind(detail)
         .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Appends a change event naming the surrogate keys every node must
    /// purge. Nothing is written for no keys.
    pub async fn change(&mut self, keys: &str, now: i64) -> Result<()> {
        if keys.trim().is_empty() {
            return Ok(());
        }
        on_tx!(self, c => sqlx::query("INSERT INTO change_events (at, keys) VALUES ($1, $2)")
            .bind(now).bind(keys).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    // ----- stories -----------------------------------------------------------------

    /// Inserts a new draft (version 1) and returns its id. Tags and bylines
    /// are set separately ([`Tx::set_story_tags`], [`Tx::set_story_authors`]).
    pub async fn insert_draft(
        &mut self,
        e: &StoryEdit,
        slug: &str,
        created_by: Option<i64>,
        now: i64,
    ) -> Result<i64> {
        let id: i64 = on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO stories (section_id, slug, headline, standfirst, body, byline_text, status, access, breaking, \
             created_at, modified_at, version, created_by, seo_title, seo_description, lead_picture_id) \
             VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $9, $9, 1, $10, $11, $12, $13) RETURNING id",
        )
        .bind(e.section_id).bind(slug).bind(&e.headline).bind(&e.standfirst).bind(&e.body).bind(&e.byline_text)
        .bind(e.access.as_str()).bind(i64::from(e.breaking)).bind(now).bind(created_by).bind(&e.seo_title)
        .bind(&e.seo_description).bind(e.lead_picture_id)
        .fetch_one(&mut *c).await)?;
        Ok(id)
    }

    /// Writes an edit made from version `from`; false (nothing changed) if
    /// the story is no longer at that version. `published_update` sets
    /// "Updated:" (a published story changed).
    pub async fn update_story_text(
        &mut self,
        id: i64,
        from: i64,
        e: &StoryEdit,
        now: i64,
        published_update: bool,
    ) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE stories SET section_id = $1, headline = $2, standfirst = $3, body = $4, byline_text = $5, \
             access = $6, breaking = $7, seo_title = $8, seo_description = $9, modified_at = $10, \
             updated_at = CASE WHEN $11 = 1 THEN $10 ELSE updated_at END, version = version + 1, \
             lead_picture_id = $14 WHERE id = $12 AND version = $13",
        )
        .bind(e.section_id).bind(&e.headline).bind(&e.standfirst).bind(&e.body).bind(&e.byline_text)
        .bind(e.access.as_str()).bind(i64::from(e.breaking)).bind(&e.seo_title).bind(&e.seo_description)
        .bind(now).bind(i64::from(published_update)).bind(id).bind(from).bind(e.lead_picture_id)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// A story's status and version as this transaction sees them.
    pub async fn story_state(&mut self, id: i64) -> Result<Option<StoryState>> {
        let row: Option<(String, i64)> = on_tx!(self, c => sqlx::query_as(
            "SELECT status, version FROM stories WHERE id = $1"
        ).bind(id).fetch_optional(&mut *c).await)?;
        Ok(row.map(|(s, version)| StoryState {
            status: StoryStatus::parse(&s),
            version,
        }))
    }

    /// Moves a story from `from` to `to` only if it is still in `from` (and,
    /// if given, still at `version`): of two racing moves, one wins and the
    /// other gets false and changes nothing. Sets `scheduled_at` (cleared by
    /// `None`), `published_at` the first time it is published, and bumps the
    /// version.
    #[allow(
        clippy::too_many_arguments,
        reason = "one statement's parameters; a struct would only rename them"
    )]
    pub async fn move_story(
        &mut self,
        id: i64,
        from: StoryStatus,
        version: Option<i64>,
        to: StoryStatus,
        scheduled_at: Option<i64>,
        now: i64,
    ) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE stories SET status = $1, modified_at = $2, scheduled_at = $3, \
             published_at = CASE WHEN $1 = 'published' AND published_at IS NULL THEN $2 ELSE published_at END, \
             version = version + 1 WHERE id = $4 AND status = $5 AND ($6 IS NULL OR version = $6)",
        )
        .bind(to.as_str()).bind(now).bind(scheduled_at).bind(id).bind(from.as_str()).bind(version)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Marks a published story updated (a correction): "Updated:" and a new version.
    pub async fn mark_updated(&mut self, id: i64, now: i64) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "UPDATE stories SET updated_at = $1, modified_at = $1, version = version + 1 WHERE id = $2"
        ).bind(now).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Keeps a story's text as a revision.
    #[allow(
        clippy::too_many_arguments,
        reason = "one statement's parameters; a struct would only rename them"
    )]
    pub async fn revision(
        &mut self,
        story_id: i64,
        version: i64,
        author_id: Option<i64>,
        e: &StoryEdit,
        note: &str,
        now: i64,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO revisions (story_id, version, author_id, at, headline, standfirst, body, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ).bind(story_id).bind(version).bind(author_id).bind(now)
         .bind(&e.headline).bind(&e.standfirst).bind(&e.body).bind(note)
         .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Replaces a story's tags.
    pub async fn set_story_tags(&mut self, story_id: i64, tags: &[i64]) -> Result<()> {
        on_tx!(self, c => sqlx::query("DELETE FROM story_tags WHERE story_id = $1")
            .bind(story_id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        for t in tags {
            on_tx!(self, c => sqlx::query(
                "INSERT INTO story_tags (story_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            ).bind(story_id).bind(*t).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// Replaces a story's staff bylines, in order (a name listed twice is
    /// kept once, where it first appears).
    pub async fn set_story_authors(&mut self, story_id: i64, authors: &[i64]) -> Result<()> {
        on_tx!(self, c => sqlx::query("DELETE FROM story_authors WHERE story_id = $1")
            .bind(story_id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        let mut pos = 0i64;
        for (i, a) in authors.iter().enumerate() {
            if authors[..i].contains(a) {
                continue;
            }
            on_tx!(self, c => sqlx::query(
                "INSERT INTO story_authors (story_id, author_id, position) VALUES ($1, $2, $3)"
            ).bind(story_id).bind(*a).bind(pos).execute(&mut *c).await.map(|r| r.rows_affected()))?;
            pos += 1;
        }
        Ok(())
    }

    /// Adds a dated correction to a story; returns its id.
    pub async fn insert_correction(&mut self, story_id: i64, text: &str, now: i64) -> Result<i64> {
        let id: i64 = on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO corrections (story_id, at, text) VALUES ($1, $2, $3) RETURNING id"
        ).bind(story_id).bind(now).bind(text).fetch_one(&mut *c).await)?;
        Ok(id)
    }

    // ----- the front -----------------------------------------------------------------

    /// Replaces the Editor's Picks with `ids`, in this order.
    pub async fn set_editors_picks(&mut self, ids: &[i64]) -> Result<()> {
        on_tx!(self, c => sqlx::query("DELETE FROM editors_picks").execute(&mut *c).await.map(|r| r.rows_affected()))?;
        for (pos, id) in ids.iter().enumerate() {
            on_tx!(self, c => sqlx::query(
                "INSERT INTO editors_picks (position, story_id) VALUES ($1, $2)"
            ).bind(pos as i64).bind(*id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    // ----- sections and tags ----------------------------------------------------------

    /// The id of the tag with this slug, making it (named `name`) if there is
    /// none. Two saves making the same new tag at once both get its id.
    pub async fn tag_id(&mut self, slug: &str, name: &str) -> Result<i64> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO tags (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING"
        ).bind(slug).bind(name).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        let id: i64 = on_tx!(self, c => sqlx::query_scalar("SELECT id FROM tags WHERE slug = $1")
            .bind(slug).fetch_one(&mut *c).await)?;
        Ok(id)
    }

    /// Adds a section after all others; returns its id. A path already
    /// taken is `StoreError::Conflict("sections_path_key")`.
    pub async fn insert_section(
        &mut self,
        slug: &str,
        name: &str,
        parent_id: Option<i64>,
        path: &str,
    ) -> Result<i64> {
        let pos: i64 = on_tx!(self, c => sqlx::query_scalar(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM sections"
        ).fetch_one(&mut *c).await)?;
        let id: i64 = on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO sections (slug, name, parent_id, position, path) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        ).bind(slug).bind(name).bind(parent_id).bind(pos).bind(path).fetch_one(&mut *c).await)?;
        Ok(id)
    }

    pub async fn rename_section(&mut self, id: i64, name: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE sections SET name = $1 WHERE id = $2")
            .bind(name).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Swaps the positions of two sections (moving one up or down).
    pub async fn swap_sections(&mut self, a: i64, b: i64) -> Result<()> {
        let pa: i64 = on_tx!(self, c => sqlx::query_scalar("SELECT position FROM sections WHERE id = $1")
            .bind(a).fetch_one(&mut *c).await)?;
        let pb: i64 = on_tx!(self, c => sqlx::query_scalar("SELECT position FROM sections WHERE id = $1")
            .bind(b).fetch_one(&mut *c).await)?;
        on_tx!(self, c => sqlx::query("UPDATE sections SET position = $1 WHERE id = $2")
            .bind(pb).bind(a).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        on_tx!(self, c => sqlx::query("UPDATE sections SET position = $1 WHERE id = $2")
            .bind(pa).bind(b).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Merges tag `from` into `into`: its stories get `into`, its address
    /// redirects to `into`'s, and it is gone.
    pub async fn merge_tags(&mut self, from: i64, into: i64) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO story_tags (story_id, tag_id) SELECT story_id, $2 FROM story_tags WHERE tag_id = $1 \
             ON CONFLICT DO NOTHING",
        ).bind(from).bind(into).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        on_tx!(self, c => sqlx::query("DELETE FROM story_tags WHERE tag_id = $1")
            .bind(from).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        on_tx!(self, c => sqlx::query("UPDATE tag_redirects SET tag_id = $2 WHERE tag_id = $1")
            .bind(from).bind(into).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        on_tx!(self, c => sqlx::query(
            "INSERT INTO tag_redirects (slug, tag_id) SELECT slug, $2 FROM tags WHERE id = $1 \
             ON CONFLICT (slug) DO UPDATE SET tag_id = excluded.tag_id"
        ).bind(from).bind(into).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        on_tx!(self, c => sqlx::query("DELETE FROM tags WHERE id = $1")
            .bind(from).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    // ----- people ------------------------------------------------------------------

    /// Sets a staff member's byline bio and picture.
    pub async fn set_author_profile(
        &mut self,
        id: i64,
        bio: &str,
        picture_id: Option<i64>,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE authors SET bio = $1, picture_id = $2 WHERE id = $3")
            .bind(bio).bind(picture_id).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Adds a staff member; returns their id. A username or author page
    /// already taken is `StoreError::Conflict("authors_username_key")`
    /// (`"authors_slug_key"`).
    pub async fn insert_author(&mut self, a: &crate::NewAuthor, now: i64) -> Result<i64> {
        let id: i64 = on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO authors (username, slug, display_name, email, role, bio, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"
        ).bind(&a.username).bind(&a.slug).bind(&a.display_name).bind(&a.email).bind(&a.role)
         .bind(&a.bio).bind(now).fetch_one(&mut *c).await)?;
        Ok(id)
    }

    pub async fn set_author_role(&mut self, id: i64, role: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE authors SET role = $1 WHERE id = $2")
            .bind(role).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn set_author_password(&mut self, id: i64, hash: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE authors SET password_hash = $1 WHERE id = $2")
            .bind(hash).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Turns two-factor sign-in off for a staff member.
    pub async fn clear_two_factor(&mut self, id: i64) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE authors SET totp_secret = NULL WHERE id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Ends every session of a staff member.
    pub async fn end_sessions_of(&mut self, author_id: i64) -> Result<u64> {
        let n = on_tx!(self, c => sqlx::query("DELETE FROM sessions WHERE author_id = $1")
            .bind(author_id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }
}
