//! Admin API tokens, webhooks and their deliveries (issue 13 item 7). The
//! rows only: who may issue a token, what a scope allows, when a delivery
//! is retried and how it is signed are the app's
//! (`broadsheet_app::admin_api`, `broadsheet_app::webhooks`).

use sqlx::FromRow;

use crate::tx::{TxInner, on_tx};
use crate::{Store, StoreError, Tx, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ApiTokenRow {
    pub id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub name: String,
    pub scopes: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Who a presented token acts for.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TokenHolder {
    pub token_id: i64,
    pub author_id: i64,
    pub role: String,
    pub scopes: String,
    pub last_used_at: Option<i64>,
}

/// A webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct WebhookRow {
    pub id: i64,
    pub url: String,
    pub secret: String,
    pub events: String,
    pub active: bool,
    pub created_at: i64,
}

/// One delivery (a job and its log line).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i64,
    pub url: String,
    pub event: String,
    pub story_id: Option<i64>,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_at: i64,
    pub last_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

const DELIVERY_COLUMNS: &str = "d.id, d.webhook_id, w.url, d.event, d.story_id, d.payload, \
     d.status, d.attempts, d.next_at, d.last_code, d.last_error, d.created_at, d.finished_at";

impl Store {
    /// The token with this hash, if it is not revoked, with its holder's role.
    pub async fn api_token_holder(&self, hash: &str) -> Result<Option<TokenHolder>> {
        Ok(with_pool!(&self.db, p => sqlx::query_as(
            "SELECT t.id AS token_id, t.author_id, a.role, t.scopes, t.last_used_at \
             FROM api_tokens t JOIN authors a ON a.id = t.author_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
        ).bind(hash).fetch_optional(p).await)?)
    }

    /// Notes when a token was last used (callers do it at most once a minute).
    pub async fn touch_api_token(&self, id: i64, now: i64) -> Result<()> {
        with_pool!(&self.db, p => sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(id).bind(now).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Tokens, newest first: one holder's, or everyone's (`None`).
    pub async fn api_tokens(&self, author: Option<i64>) -> Result<Vec<ApiTokenRow>> {
        Ok(with_pool!(&self.db, p => sqlx::query_as(
            "SELECT t.id, t.author_id, a.display_name AS author_name, t.name, t.scopes, t.created_at, \
             t.last_used_at, t.revoked_at FROM api_tokens t JOIN authors a ON a.id = t.author_id \
             WHERE ($1 IS NULL OR t.author_id = $1) ORDER BY t.id DESC LIMIT 500"
        ).bind(author).fetch_all(p).await)?)
    }

    pub async fn api_token(&self, id: i64) -> Result<Option<ApiTokenRow>> {
        Ok(with_pool!(&self.db, p => sqlx::query_as(
            "SELECT t.id, t.author_id, a.display_name AS author_name, t.name, t.scopes, t.created_at, \
             t.last_used_at, t.revoked_at FROM api_tokens t JOIN authors a ON a.id = t.author_id \
             WHERE t.id = $1"
        ).bind(id).fetch_optional(p).await)?)
    }

    /// Every webhook, newest first.
    pub async fn webhooks(&self) -> Result<Vec<WebhookRow>> {
        Ok(with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, url, secret, events, active <> 0 AS active, created_at FROM webhooks ORDER BY id DESC"
        ).fetch_all(p).await)?)
    }

    pub async fn webhook(&self, id: i64) -> Result<Option<WebhookRow>> {
        Ok(with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, url, secret, events, active <> 0 AS active, created_at FROM webhooks WHERE id = $1"
        ).bind(id).fetch_optional(p).await)?)
    }

    /// The newest deliveries (the log), of one webhook or all.
    pub async fn webhook_deliveries(
        &self,
        webhook: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE ($1 IS NULL OR d.webhook_id = $1) ORDER BY d.id DESC LIMIT $2"
        );
        Ok(
            with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(webhook).bind(limit).fetch_all(p).await)?,
        )
    }

    /// Claims up to `limit` due deliveries for this node until `until`: a
    /// delivery is claimed by one node at a time (the guarded update), and a
    /// claim that ran out (a node died mid-post) is taken again.
    pub async fn claim_deliveries(
        &self,
        now: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.status = 'pending' AND d.next_at <= $1 \
             AND (d.claimed_until IS NULL OR d.claimed_until < $1) ORDER BY d.next_at, d.id LIMIT $2"
        );
        let due: Vec<DeliveryRow> = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(now).bind(limit).fetch_all(p).await)?;
        let mut out = Vec::new();
        for row in due {
            // Guarded by the attempts read and still being due: a row
            // another node claimed and tried meanwhile is not taken (and
            // the row read above is the one claimed).
            let n = with_pool!(&self.db, p => sqlx::query(
                "UPDATE webhook_deliveries SET claimed_until = $2 WHERE id = $1 AND status = 'pending' \
                 AND attempts = $4 AND next_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3)"
            ).bind(row.id).bind(until).bind(now).bind(row.attempts).execute(p).await.map(|r| r.rows_affected()))?;
            if n == 1 {
                out.push(row);
            }
        }
        Ok(out)
    }

    /// The secret of a delivery's webhook (read at send time: a rotated or
    /// deleted webhook is honoured).
    pub async fn webhook_secret(&self, webhook: i64) -> Result<Option<(String, bool)>> {
        let row: Option<(String, bool)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT secret, active <> 0 FROM webhooks WHERE id = $1"
        ).bind(webhook).fetch_optional(p).await)?;
        Ok(row)
    }

    /// Records an attempt: `status` delivered or failed (finished), or
    /// pending again at `next_at`.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_delivery(
        &self,
        id: i64,
        status: &str,
        attempts: i64,
        next_at: i64,
        code: Option<i64>,
        error: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let finished = (status != "pending").then_some(now);
        with_pool!(&self.db, p => sqlx::query(
            "UPDATE webhook_deliveries SET status = $2, attempts = $3, next_at = $4, last_code = $5, \
             last_error = $6, finished_at = $7, claimed_until = NULL WHERE id = $1"
        ).bind(id).bind(status).bind(attempts).bind(next_at).bind(code).bind(error).bind(finished)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }
}

impl Tx {
    pub async fn insert_api_token(
        &mut self,
        author: i64,
        name: &str,
        hash: &str,
        scopes: &str,
        now: i64,
    ) -> Result<i64> {
        let row: (i64,) = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO api_tokens (author_id, name, token_hash, scopes, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id"
        ).bind(author).bind(name).bind(hash).bind(scopes).bind(now).fetch_one(&mut *c).await)?;
        Ok(row.0)
    }

    /// Revokes a token; false if it was revoked already.
    pub async fn revoke_api_token(&mut self, id: i64, now: i64) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL"
        ).bind(id).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub async fn insert_webhook(
        &mut self,
        url: &str,
        secret: &str,
        events: &str,
        by: Option<i64>,
        now: i64,
    ) -> Result<i64> {
        let row: (i64,) = on_tx!(self, c => sqlx::query_as(
            "INSERT INTO webhooks (url, secret, events, active, created_by, created_at) \
             VALUES ($1, $2, $3, 1, $4, $5) RETURNING id"
        ).bind(url).bind(secret).bind(events).bind(by).bind(now).fetch_one(&mut *c).await)?;
        Ok(row.0)
    }

    /// Turns a webhook on or off; false if there is no such webhook.
    pub async fn set_webhook_active(&mut self, id: i64, active: bool) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query("UPDATE webhooks SET active = $2 WHERE id = $1")
            .bind(id).bind(i64::from(active)).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Deletes a webhook and its log; false if there was none.
    pub async fn delete_webhook(&mut self, id: i64) -> Result<bool> {
        on_tx!(self, c => sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
            .bind(id).execute(&mut *c).await.map(|_| ()))?;
        let n = on_tx!(self, c => sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Queues a delivery of `event` to every active webhook subscribed to
    /// it, in this transaction (so the event is queued if and only if the
    /// change it reports commits). Returns how many were queued.
    pub async fn queue_webhook_event(
        &mut self,
        event: &str,
        story: Option<i64>,
        payload: &str,
        now: i64,
    ) -> Result<u64> {
        let hooks: Vec<(i64, String)> = on_tx!(self, c => sqlx::query_as(
            "SELECT id, events FROM webhooks WHERE active <> 0"
        ).fetch_all(&mut *c).await)?;
        let mut n = 0;
        for (id, events) in hooks {
            if !events.split_whitespace().any(|e| e == event) {
                continue;
            }
            on_tx!(self, c => sqlx::query(
                "INSERT INTO webhook_deliveries (webhook_id, event, story_id, payload, status, attempts, next_at, created_at) \
                 VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)"
            ).bind(id).bind(event).bind(story).bind(payload).bind(now).execute(&mut *c).await.map(|_| ()))?;
            n += 1;
        }
        Ok(n)
    }
}
