//! Reader accounts in the database: the accounts, their sessions, the
//! one-time tokens behind mailed links, and entitlements (the one record of
//! who may read paid text). Reads are on [`Store`]; writes are on [`Tx`] so
//! the app composes each with its audit row. Session ids and tokens arrive
//! here already hashed (SHA-256 hex): the random values never reach the
//! database.

use broadsheet_domain::{EntitlementSource, ReaderAccount};
use sqlx::FromRow;

use crate::tx::{Tx, TxInner, on_tx};
use crate::{Store, StoreError, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

/// A `readers` row.
#[derive(Debug, Clone, FromRow)]
pub struct ReaderRow {
    pub id: i64,
    pub email: String,
    pub email_verified_at: Option<i64>,
    pub display_name: String,
    pub password_hash: Option<String>,
    /// A JSON list of newsletter names.
    pub newsletters: String,
    pub created_at: i64,
    pub session_epoch: i64,
}

impl ReaderRow {
    pub fn account(&self) -> ReaderAccount {
        ReaderAccount {
            id: self.id,
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            email_verified: self.email_verified_at.is_some(),
            has_password: self.password_hash.as_deref().is_some_and(|h| !h.is_empty()),
            created_at: self.created_at,
        }
    }
}

/// A `reader_tokens` row (a mailed link), without its hash.
#[derive(Debug, Clone, FromRow)]
pub struct ReaderTokenRow {
    pub purpose: String,
    pub reader_id: Option<i64>,
    pub email: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A `reader_sessions` row, without its hash.
#[derive(Debug, Clone, FromRow)]
pub struct ReaderSessionRow {
    pub created_at: i64,
    pub expires_at: i64,
    pub session_epoch: i64,
}

/// A `reader_entitlements` row.
#[derive(Debug, Clone, FromRow)]
pub struct EntitlementRow {
    pub id: i64,
    pub reader_id: i64,
    pub source: String,
    pub reference: String,
    pub starts_at: i64,
    pub ends_at: Option<i64>,
    pub created_at: i64,
}

/// A current session as the gate sees it ([`Store::gate_session`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateSession {
    pub reader_id: i64,
    /// Holds an entitlement now.
    pub subscriber: bool,
    /// Until when (unix seconds, exclusive) this answer holds without a write.
    pub holds_until: i64,
}

impl Store {
    pub async fn reader_by_id(&self, id: i64) -> Result<Option<ReaderRow>> {
        let row = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, email, email_verified_at, display_name, password_hash, newsletters, created_at, session_epoch \
             FROM readers WHERE id = $1"
        ).bind(id).fetch_optional(p).await)?;
        Ok(row)
    }

    /// The reader with this (already lower-cased) email address.
    pub async fn reader_by_email(&self, email: &str) -> Result<Option<ReaderRow>> {
        let row = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, email, email_verified_at, display_name, password_hash, newsletters, created_at, session_epoch \
             FROM readers WHERE email = $1"
        ).bind(email).fetch_optional(p).await)?;
        Ok(row)
    }

    /// The reader a session belongs to, if the session is current: not
    /// expired, and made since the reader last signed out everywhere.
    pub async fn reader_by_session(&self, token_hash: &str, now: i64) -> Result<Option<ReaderRow>> {
        let row = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT r.id, r.email, r.email_verified_at, r.display_name, r.password_hash, r.newsletters, \
             r.created_at, r.session_epoch FROM reader_sessions s JOIN readers r ON r.id = s.reader_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.session_epoch = r.session_epoch"
        ).bind(token_hash).bind(now).fetch_optional(p).await)?;
        Ok(row)
    }

    /// What the gate needs of a session, in one statement: the reader it
    /// belongs to (if current, as [`Store::reader_by_session`] decides),
    /// whether they hold an entitlement at `now` (a `reader_entitlements`
    /// row in force, or a verified address in an organisation's domain, as
    /// `readers::is_subscriber` decides), and until when that answer holds
    /// by the clock alone (the session's expiry, or the next start or end
    /// of one of their entitlements).
    pub async fn gate_session(&self, token_hash: &str, now: i64) -> Result<Option<GateSession>> {
        let row: Option<(i64, i64, i64, i64, Option<i64>)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT r.id, s.expires_at, \
             CAST((SELECT COUNT(*) FROM reader_entitlements e WHERE e.reader_id = r.id AND e.starts_at <= $2 \
                   AND (e.ends_at IS NULL OR e.ends_at > $2)) AS BIGINT), \
             CAST(CASE WHEN r.email_verified_at IS NOT NULL AND EXISTS (SELECT 1 FROM organisation_domains d \
                   WHERE substr(r.email, length(r.email) - length(d.domain)) = '@' || d.domain) THEN 1 ELSE 0 END AS BIGINT), \
             CAST((SELECT MIN(x) FROM (SELECT e.starts_at AS x FROM reader_entitlements e WHERE e.reader_id = r.id AND e.starts_at > $2 \
                   UNION ALL SELECT e.ends_at AS x FROM reader_entitlements e WHERE e.reader_id = r.id AND e.ends_at > $2) t) AS BIGINT) \
             FROM reader_sessions s JOIN readers r ON r.id = s.reader_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.session_epoch = r.session_epoch"
        ).bind(token_hash).bind(now).fetch_optional(p).await)?;
        Ok(
            row.map(|(id, expires, entitled, domain, next)| GateSession {
                reader_id: id,
                subscriber: entitled > 0 || domain > 0,
                holds_until: next.map_or(expires, |n| n.min(expires)),
            }),
        )
    }

    /// Whether the reader holds an entitlement at `now` (see
    /// `broadsheet_domain::readers::entitlement_holds`).
    pub async fn reader_entitled(&self, reader_id: i64, now: i64) -> Result<bool> {
        let n: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM reader_entitlements WHERE reader_id = $1 AND starts_at <= $2 \
             AND (ends_at IS NULL OR ends_at > $2)"
        ).bind(reader_id).bind(now).fetch_one(p).await)?;
        Ok(n > 0)
    }

    /// The soonest time after `now` at which one of `readers` gains or loses
    /// an entitlement by the clock alone (a start or an end already
    /// recorded), if any: until then, whether each is entitled stays as it
    /// is unless a write changes it.
    pub async fn next_entitlement_change(&self, readers: &[i64], now: i64) -> Result<Option<i64>> {
        if readers.is_empty() {
            return Ok(None);
        }
        let at: Option<i64> = with_pool!(&self.db, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT MIN(CASE WHEN starts_at > ",
            );
            qb.push_bind(now);
            qb.push(" THEN starts_at ELSE ends_at END) FROM reader_entitlements WHERE (starts_at > ");
            qb.push_bind(now);
            qb.push(" OR ends_at > ");
            qb.push_bind(now);
            qb.push(") AND reader_id IN (");
            let mut sep = qb.separated(", ");
            for id in readers {
                sep.push_bind(*id);
            }
            qb.push(")");
            qb.build_query_scalar().fetch_one(p).await
        })?;
        Ok(at)
    }

    /// Every entitlement of a reader, oldest first.
    pub async fn reader_entitlements(&self, reader_id: i64) -> Result<Vec<EntitlementRow>> {
        let rows = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, reader_id, source, reference, starts_at, ends_at, created_at \
             FROM reader_entitlements WHERE reader_id = $1 ORDER BY starts_at, id"
        ).bind(reader_id).fetch_all(p).await)?;
        Ok(rows)
    }

    /// A reader's sessions (current or not yet pruned), newest first.
    pub async fn reader_sessions(&self, reader_id: i64) -> Result<Vec<ReaderSessionRow>> {
        let rows = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT created_at, expires_at, session_epoch FROM reader_sessions WHERE reader_id = $1 \
             ORDER BY created_at DESC"
        ).bind(reader_id).fetch_all(p).await)?;
        Ok(rows)
    }

    /// The mailed links made for a reader (or for their address), newest first.
    pub async fn reader_tokens(&self, reader_id: i64, email: &str) -> Result<Vec<ReaderTokenRow>> {
        let rows = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT purpose, reader_id, email, created_at, expires_at, used_at FROM reader_tokens \
             WHERE reader_id = $1 OR email = $2 ORDER BY created_at DESC"
        ).bind(reader_id).bind(email).fetch_all(p).await)?;
        Ok(rows)
    }

    /// A mailed link by its hash, whatever its state.
    pub async fn reader_token(&self, token_hash: &str) -> Result<Option<ReaderTokenRow>> {
        let row = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT purpose, reader_id, email, created_at, expires_at, used_at FROM reader_tokens \
             WHERE token_hash = $1"
        ).bind(token_hash).fetch_optional(p).await)?;
        Ok(row)
    }

    /// What a reader did, as the audit log has it (newest first).
    pub async fn reader_audit(&self, reader_id: i64) -> Result<Vec<crate::AuditEntry>> {
        let rows = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT action, actor, actor_id, at, detail FROM audit_log WHERE actor = 'reader' AND actor_id = $1 \
             ORDER BY id DESC"
        ).bind(reader_id).fetch_all(p).await)?;
        Ok(rows)
    }

    /// How many links were made for `email` since `since` (a bound on the
    /// mail one address can be sent).
    pub async fn reader_tokens_since(&self, email: &str, since: i64) -> Result<i64> {
        let n: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM reader_tokens WHERE email = $1 AND created_at >= $2"
        ).bind(email).bind(since).fetch_one(p).await)?;
        Ok(n)
    }
}

impl Tx {
    /// Adds a reader; `None` if the email address is taken already (the
    /// check and the insert are one statement, so two sign-ups racing for
    /// one address cannot both win).
    pub async fn insert_reader(
        &mut self,
        email: &str,
        display_name: &str,
        password_hash: Option<&str>,
        verified_at: Option<i64>,
        now: i64,
    ) -> Result<Option<i64>> {
        let id: Option<i64> = on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO readers (email, email_verified_at, display_name, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING RETURNING id"
        ).bind(email).bind(verified_at).bind(display_name).bind(password_hash).bind(now)
         .fetch_optional(&mut *c).await)?;
        Ok(id)
    }

    /// The reader as this transaction sees them.
    pub async fn reader(&mut self, id: i64) -> Result<Option<ReaderRow>> {
        let row = on_tx!(self, c => sqlx::query_as(
            "SELECT id, email, email_verified_at, display_name, password_hash, newsletters, created_at, session_epoch \
             FROM readers WHERE id = $1"
        ).bind(id).fetch_optional(&mut *c).await)?;
        Ok(row)
    }

    /// The reader with this email, as this transaction sees them.
    pub async fn reader_by_email(&mut self, email: &str) -> Result<Option<ReaderRow>> {
        let row = on_tx!(self, c => sqlx::query_as(
            "SELECT id, email, email_verified_at, display_name, password_hash, newsletters, created_at, session_epoch \
             FROM readers WHERE email = $1"
        ).bind(email).fetch_optional(&mut *c).await)?;
        Ok(row)
    }

    /// Marks the reader's address verified (keeps the first time it was).
    pub async fn mark_reader_verified(&mut self, id: i64, now: i64) -> Result<()> {
        self.touch_readers();
        on_tx!(self, c => sqlx::query(
            "UPDATE readers SET email_verified_at = COALESCE(email_verified_at, $1) WHERE id = $2"
        ).bind(now).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Moves the reader to a new (proven) address; false if another account
    /// has it.
    pub async fn set_reader_email(&mut self, id: i64, email: &str, now: i64) -> Result<bool> {
        self.touch_readers();
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE readers SET email = $1, email_verified_at = $2 WHERE id = $3 \
             AND NOT EXISTS (SELECT 1 FROM readers o WHERE o.email = $1 AND o.id <> $3)"
        ).bind(email).bind(now).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub async fn set_reader_password(&mut self, id: i64, hash: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE readers SET password_hash = $1 WHERE id = $2")
            .bind(hash).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Removes the account's password (it signs in by link or provider
    /// until the owner chooses a new one).
    pub async fn clear_reader_password(&mut self, id: i64) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE readers SET password_hash = NULL WHERE id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Sets the display name and the newsletters (a JSON list).
    pub async fn set_reader_profile(
        &mut self,
        id: i64,
        display_name: &str,
        newsletters_json: &str,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "UPDATE readers SET display_name = $1, newsletters = $2 WHERE id = $3"
        ).bind(display_name).bind(newsletters_json).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Deletes a reader; their sessions, tokens and entitlements go with
    /// them (foreign keys cascade). False if there was no such reader.
    pub async fn delete_reader(&mut self, id: i64) -> Result<bool> {
        self.touch_readers();
        // Links mailed before the account existed name only the address.
        on_tx!(self, c => sqlx::query(
            "DELETE FROM reader_tokens WHERE email = (SELECT email FROM readers WHERE id = $1)"
        ).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        let n = on_tx!(self, c => sqlx::query("DELETE FROM readers WHERE id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Opens a session at the reader's current session epoch.
    pub async fn insert_reader_session(
        &mut self,
        token_hash: &str,
        reader_id: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO reader_sessions (token_hash, reader_id, created_at, expires_at, session_epoch) \
             SELECT $1, id, $3, $4, session_epoch FROM readers WHERE id = $2"
        ).bind(token_hash).bind(reader_id).bind(now).bind(expires_at)
         .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn delete_reader_session(&mut self, token_hash: &str) -> Result<()> {
        self.touch_readers();
        on_tx!(self, c => sqlx::query("DELETE FROM reader_sessions WHERE token_hash = $1")
            .bind(token_hash).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Ends every session of a reader: bumps the epoch (so a session being
    /// made at this moment is dead too) and deletes the rows.
    pub async fn end_reader_sessions(&mut self, reader_id: i64) -> Result<u64> {
        self.touch_readers();
        on_tx!(self, c => sqlx::query("UPDATE readers SET session_epoch = session_epoch + 1 WHERE id = $1")
            .bind(reader_id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        let n = on_tx!(self, c => sqlx::query("DELETE FROM reader_sessions WHERE reader_id = $1")
            .bind(reader_id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// Forgets expired sessions and links (of everyone).
    pub async fn prune_reader_rows(&mut self, now: i64) -> Result<()> {
        on_tx!(self, c => sqlx::query("DELETE FROM reader_sessions WHERE expires_at <= $1")
            .bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        // Used or expired links are kept a day, so "already used" can be told.
        on_tx!(self, c => sqlx::query("DELETE FROM reader_tokens WHERE expires_at <= $1")
            .bind(now - 86_400).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Keeps a mailed link's hash.
    pub async fn insert_reader_token(
        &mut self,
        token_hash: &str,
        purpose: &str,
        reader_id: Option<i64>,
        email: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO reader_tokens (token_hash, purpose, reader_id, email, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        ).bind(token_hash).bind(purpose).bind(reader_id).bind(email).bind(now).bind(expires_at)
         .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Uses a link: marks it used if it is for `purpose`, unused and not
    /// expired, and returns it; `None` otherwise. One statement, so a link
    /// works once however many requests race with it.
    pub async fn use_reader_token(
        &mut self,
        token_hash: &str,
        purpose: &str,
        now: i64,
    ) -> Result<Option<ReaderTokenRow>> {
        let row = on_tx!(self, c => sqlx::query_as(
            "UPDATE reader_tokens SET used_at = $3 WHERE token_hash = $1 AND purpose = $2 \
             AND used_at IS NULL AND expires_at > $3 \
             RETURNING purpose, reader_id, email, created_at, expires_at, used_at"
        ).bind(token_hash).bind(purpose).bind(now).fetch_optional(&mut *c).await)?;
        Ok(row)
    }

    /// Records an entitlement; returns its id.
    pub async fn grant_entitlement(
        &mut self,
        reader_id: i64,
        source: EntitlementSource,
        reference: &str,
        starts_at: i64,
        ends_at: Option<i64>,
    ) -> Result<i64> {
        self.touch_entitlements(reader_id);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let id: i64 = on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO reader_entitlements (reader_id, source, reference, starts_at, ends_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
        ).bind(reader_id).bind(source.as_str()).bind(reference).bind(starts_at).bind(ends_at).bind(now)
         .fetch_one(&mut *c).await)?;
        Ok(id)
    }

    /// Ends an entitlement at `at` (never later than an end it has already);
    /// false if there is no such entitlement or it ended before `at`.
    pub async fn end_entitlement(&mut self, id: i64, at: i64) -> Result<bool> {
        let reader: Option<i64> = on_tx!(self, c => sqlx::query_scalar(
            "UPDATE reader_entitlements SET ends_at = $2 WHERE id = $1 AND (ends_at IS NULL OR ends_at > $2) \
             RETURNING reader_id"
        ).bind(id).bind(at).fetch_optional(&mut *c).await)?;
        match reader {
            Some(r) => {
                self.touch_entitlements(r);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
