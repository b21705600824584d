//! Sign-in state kept in the database so every node agrees: per-installation
//! secrets (signing keys) and the last accepted two-factor time step.

use crate::{Store, StoreError, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

impl Store {
    /// The installation's secret called `name`, storing `fresh` first if
    /// there is none yet. Several nodes racing agree on the one stored first.
    pub async fn installation_secret(&self, name: &str, fresh: &str, now: i64) -> Result<String> {
        with_pool!(&self.db, p => sqlx::query(
            "INSERT INTO installation_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING"
        ).bind(name).bind(fresh).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        let value: String = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT value FROM installation_secrets WHERE name = $1"
        ).bind(name).fetch_one(p).await)?;
        Ok(value)
    }

    /// Records `step` as the account's last accepted TOTP step if it is newer
    /// than the one recorded. False means the code was used already (or an
    /// older one was): refuse it. One statement, so two nodes cannot both
    /// accept the same step.
    pub async fn accept_totp_step(&self, author_id: i64, step: i64) -> Result<bool> {
        let n = with_pool!(&self.db, p => sqlx::query(
            "UPDATE authors SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)"
        ).bind(step).bind(author_id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Turns two-factor sign-in on with `secret` (recording the step of the
    /// code that confirmed it), or off with `None`.
    pub async fn set_two_factor(
        &self,
        author_id: i64,
        secret: Option<&str>,
        step: Option<i64>,
    ) -> Result<()> {
        with_pool!(&self.db, p => sqlx::query(
            "UPDATE authors SET totp_secret = $1, totp_last_step = $2 WHERE id = $3"
        ).bind(secret).bind(step).bind(author_id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}
