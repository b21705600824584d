//! Whether this paper is the generated demo paper: a mark kept in the
//! installation's name/value table (`installation_secrets`, row
//! `demo_paper`), written when a demo paper is loaded, so every node and
//! every restart knows to show the "generated and fictional" notice, and a
//! paper started with `--no-demo` never does.

use crate::{Store, with_pool};

type Result<T> = std::result::Result<T, crate::StoreError>;

const NAME: &str = "demo_paper";

impl Store {
    /// Marks the paper as the generated demo paper (idempotent).
    pub async fn mark_demo_paper(&self, now: i64) -> Result<()> {
        with_pool!(&self.db, p => sqlx::query(
            "INSERT INTO installation_secrets (name, value, created_at) VALUES ($1, 'yes', $2) ON CONFLICT (name) DO NOTHING"
        ).bind(NAME).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// True when a demo paper was loaded into this database.
    pub async fn is_demo_paper(&self) -> Result<bool> {
        let n: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM installation_secrets WHERE name = $1"
        ).bind(NAME).fetch_one(p).await)?;
        Ok(n > 0)
    }
}
