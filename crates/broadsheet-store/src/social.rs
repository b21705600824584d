//! Social sign-in in the database: the provider identities readers sign in
//! with (`reader_identities`, unique per provider and subject) and the
//! server-side state of flows in progress (`social_flows`, each used once).
//! Reads are on [`Store`]; writes are on [`Tx`] so the app composes each
//! with the reader's account and audit row. Flow keys arrive here already
//! hashed (SHA-256 hex).

use sqlx::FromRow;

use crate::tx::{Tx, TxInner, on_tx};
use crate::{Store, StoreError, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

/// A `reader_identities` row.
#[derive(Debug, Clone, FromRow)]
pub struct IdentityRow {
    pub id: i64,
    pub provider: String,
    pub subject: String,
    pub reader_id: i64,
    pub email: String,
    /// 1 when the provider vouched for `email`.
    pub email_verified: i64,
    pub linked_at: i64,
}

/// A `social_flows` row, without its key.
#[derive(Debug, Clone, FromRow)]
pub struct SocialFlowRow {
    pub provider: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    pub link_reader_id: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Store {
    /// The identities linked to a reader, oldest first.
    pub async fn reader_identities(&self, reader_id: i64) -> Result<Vec<IdentityRow>> {
        let rows = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, provider, subject, reader_id, email, email_verified, linked_at \
             FROM reader_identities WHERE reader_id = $1 ORDER BY linked_at, id"
        ).bind(reader_id).fetch_all(p).await)?;
        Ok(rows)
    }

    /// How many identities and flows exist in all (tests and checks use it
    /// to see that a refused flow wrote nothing).
    pub async fn social_row_counts(&self) -> Result<(i64, i64)> {
        let ids: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM reader_identities"
        ).fetch_one(p).await)?;
        let flows: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM social_flows"
        ).fetch_one(p).await)?;
        Ok((ids, flows))
    }
}

impl Tx {
    /// Keeps a new flow (its key hashed); expired flows of everyone are
    /// forgotten first, so the table stays as small as the flows in progress.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_social_flow(
        &mut self,
        flow_hash: &str,
        provider: &str,
        state: &str,
        nonce: &str,
        pkce_verifier: &str,
        return_to: &str,
        link_reader_id: Option<i64>,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query("DELETE FROM social_flows WHERE expires_at <= $1")
            .bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        on_tx!(self, c => sqlx::query(
            "INSERT INTO social_flows (flow_hash, provider, state, nonce, pkce_verifier, return_to, \
             link_reader_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ).bind(flow_hash).bind(provider).bind(state).bind(nonce).bind(pkce_verifier).bind(return_to)
         .bind(link_reader_id).bind(now).bind(expires_at)
         .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Takes a flow: deletes it and returns it, expired or not (the caller
    /// checks). One statement, so a flow is taken once however many
    /// callbacks race for it.
    pub async fn take_social_flow(&mut self, flow_hash: &str) -> Result<Option<SocialFlowRow>> {
        let row = on_tx!(self, c => sqlx::query_as(
            "DELETE FROM social_flows WHERE flow_hash = $1 RETURNING provider, state, nonce, \
             pkce_verifier, return_to, link_reader_id, created_at, expires_at"
        ).bind(flow_hash).fetch_optional(&mut *c).await)?;
        Ok(row)
    }

    /// The identity for (provider, subject), as this transaction sees it.
    pub async fn identity(&mut self, provider: &str, subject: &str) -> Result<Option<IdentityRow>> {
        let row = on_tx!(self, c => sqlx::query_as(
            "SELECT id, provider, subject, reader_id, email, email_verified, linked_at \
             FROM reader_identities WHERE provider = $1 AND subject = $2"
        ).bind(provider).bind(subject).fetch_optional(&mut *c).await)?;
        Ok(row)
    }

    /// Links (provider, subject) to a reader; `None` if that identity is
    /// linked already (check and insert are one statement).
    pub async fn insert_identity(
        &mut self,
        provider: &str,
        subject: &str,
        reader_id: i64,
        email: &str,
        email_verified: bool,
        now: i64,
    ) -> Result<Option<i64>> {
        let id: Option<i64> = on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO reader_identities (provider, subject, reader_id, email, email_verified, linked_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (provider, subject) DO NOTHING RETURNING id"
        ).bind(provider).bind(subject).bind(reader_id).bind(email).bind(i64::from(email_verified)).bind(now)
         .fetch_optional(&mut *c).await)?;
        Ok(id)
    }

    /// Unlinks a reader's identities whose email the provider did not vouch
    /// for; returns how many. Used when a proven owner of the address claims
    /// an account whose address was never proven (so whoever made it with
    /// an unproven address loses that way in).
    pub async fn delete_unverified_identities(&mut self, reader_id: i64) -> Result<u64> {
        let n = on_tx!(self, c => sqlx::query(
            "DELETE FROM reader_identities WHERE reader_id = $1 AND email_verified = 0"
        ).bind(reader_id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }
}
