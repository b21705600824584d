//! Subscriptions, payments and group access in the database: plans, the
//! provider's subscriptions as webhooks last described them, every accepted
//! webhook event (once by its id), and organisations with their seats and
//! verified domains. Entitlement itself stays in `reader_entitlements`
//! (see `readers.rs`); the rows here say why one starts and ends. Reads are
//! on [`Store`], writes on [`Tx`] so the app composes each with its audit row.

use sqlx::FromRow;

use crate::tx::{Tx, TxInner, on_tx};
use crate::{Store, StoreError, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

/// A `plans` row.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct PlanRow {
    pub id: i64,
    pub name: String,
    /// `month` or `year`.
    pub billing_interval: String,
    pub price_minor: i64,
    pub currency: String,
    pub trial_days: i64,
    pub provider_price_id: String,
    pub active: i64,
    pub created_at: i64,
}

/// What an admin sets on a plan.
#[derive(Debug, Clone)]
pub struct NewPlan {
    pub name: String,
    pub billing_interval: String,
    pub price_minor: i64,
    pub currency: String,
    pub trial_days: i64,
    pub provider_price_id: String,
    pub active: bool,
}

/// A `subscriptions` row.
#[derive(Debug, Clone, FromRow)]
pub struct SubscriptionRow {
    pub id: i64,
    pub reader_id: i64,
    pub plan_id: Option<i64>,
    pub provider_subscription_id: String,
    pub provider_customer_id: String,
    pub status: String,
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: i64,
    pub grace_until: Option<i64>,
    pub entitlement_id: Option<i64>,
    pub provider_updated_at: i64,
    pub retention_offered_at: Option<i64>,
    pub created_at: i64,
}

/// A `payment_events` row.
#[derive(Debug, Clone, FromRow)]
pub struct PaymentEventRow {
    pub event_id: String,
    pub event_type: String,
    pub provider_created: i64,
    pub received_at: i64,
    pub outcome: String,
    pub reader_id: Option<i64>,
    pub detail: String,
}

/// An organisation with its domains (comma-separated) and seats taken.
#[derive(Debug, Clone, FromRow)]
pub struct OrganisationRow {
    pub id: i64,
    pub name: String,
    pub seats: i64,
    pub created_at: i64,
    pub domains: String,
    pub seats_taken: i64,
}

/// A reader found by the newsroom's search.
#[derive(Debug, Clone, FromRow)]
pub struct ReaderListing {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub email_verified_at: Option<i64>,
    pub created_at: i64,
}

/// A seat holder of an organisation.
#[derive(Debug, Clone, FromRow)]
pub struct SeatRow {
    pub reader_id: i64,
    pub email: String,
    pub entitlement_id: Option<i64>,
}

const SUB_COLS: &str = "id, reader_id, plan_id, provider_subscription_id, provider_customer_id, status, \
     current_period_end, cancel_at_period_end, grace_until, entitlement_id, provider_updated_at, \
     retention_offered_at, created_at";

const ORG_SELECT: &str = "SELECT o.id, o.name, o.seats, o.created_at, \
     COALESCE((SELECT string_agg(d.domain, ',') FROM organisation_domains d WHERE d.organisation_id = o.id), '') AS domains, \
     (SELECT COUNT(*) FROM organisation_seats s WHERE s.organisation_id = o.id) AS seats_taken \
     FROM organisations o";

impl Store {
    /// Every plan (active first, then by name).
    pub async fn plans(&self) -> Result<Vec<PlanRow>> {
        let rows = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, name, billing_interval, price_minor, currency, trial_days, provider_price_id, active, created_at \
             FROM plans ORDER BY active DESC, name, id"
        ).fetch_all(p).await)?;
        Ok(rows)
    }

    pub async fn plan(&self, id: i64) -> Result<Option<PlanRow>> {
        let row = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, name, billing_interval, price_minor, currency, trial_days, provider_price_id, active, created_at \
             FROM plans WHERE id = $1"
        ).bind(id).fetch_optional(p).await)?;
        Ok(row)
    }

    /// A reader's subscriptions, newest first.
    pub async fn subscriptions_of(&self, reader_id: i64) -> Result<Vec<SubscriptionRow>> {
        let rows = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SUB_COLS} FROM subscriptions WHERE reader_id = $1 ORDER BY created_at DESC, id DESC"
        ))).bind(reader_id).fetch_all(p).await)?;
        Ok(rows)
    }

    pub async fn subscription_by_provider_id(&self, sid: &str) -> Result<Option<SubscriptionRow>> {
        let row = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SUB_COLS} FROM subscriptions WHERE provider_subscription_id = $1"
        ))).bind(sid).fetch_optional(p).await)?;
        Ok(row)
    }

    /// Webhook events about a reader (refunds, failures, …), newest first.
    pub async fn payment_events_of(&self, reader_id: i64) -> Result<Vec<PaymentEventRow>> {
        let rows = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT event_id, event_type, provider_created, received_at, outcome, reader_id, detail \
             FROM payment_events WHERE reader_id = $1 ORDER BY received_at DESC, provider_created DESC"
        ).bind(reader_id).fetch_all(p).await)?;
        Ok(rows)
    }

    pub async fn payment_event(&self, event_id: &str) -> Result<Option<PaymentEventRow>> {
        let row = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT event_id, event_type, provider_created, received_at, outcome, reader_id, detail \
             FROM payment_events WHERE event_id = $1"
        ).bind(event_id).fetch_optional(p).await)?;
        Ok(row)
    }

    pub async fn payment_event_count(&self) -> Result<i64> {
        let n: i64 = with_pool!(&self.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM payment_events")
            .fetch_one(p).await)?;
        Ok(n)
    }

    /// Readers whose email or name contains `q` (case-insensitive), newest
    /// first, at most `limit`.
    pub async fn search_readers(&self, q: &str, limit: i64) -> Result<Vec<ReaderListing>> {
        let pattern = format!(
            "%{}%",
            q.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let rows = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, email, display_name, email_verified_at, created_at FROM readers \
             WHERE email LIKE $1 ESCAPE '\\' OR LOWER(display_name) LIKE $1 ESCAPE '\\' \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        ).bind(&pattern).bind(limit).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Whether the reader's *verified* address is at a domain of an
    /// organisation: the organisation's id, if so.
    pub async fn domain_organisation(&self, reader_id: i64) -> Result<Option<i64>> {
        let id: Option<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT d.organisation_id FROM readers r JOIN organisation_domains d \
             ON substr(r.email, length(r.email) - length(d.domain)) = '@' || d.domain \
             WHERE r.id = $1 AND r.email_verified_at IS NOT NULL LIMIT 1"
        ).bind(reader_id).fetch_optional(p).await)?;
        Ok(id)
    }

    pub async fn organisations(&self) -> Result<Vec<OrganisationRow>> {
        let rows = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{ORG_SELECT} ORDER BY o.name, o.id"
        ))).fetch_all(p).await)?;
        Ok(rows)
    }

    pub async fn seats_of(&self, organisation_id: i64) -> Result<Vec<SeatRow>> {
        let rows = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT s.reader_id, r.email, s.entitlement_id FROM organisation_seats s \
             JOIN readers r ON r.id = s.reader_id WHERE s.organisation_id = $1 ORDER BY r.email"
        ).bind(organisation_id).fetch_all(p).await)?;
        Ok(rows)
    }
}

impl Tx {
    pub async fn insert_plan(&mut self, p: &NewPlan, now: i64) -> Result<i64> {
        let id: i64 = on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO plans (name, billing_interval, price_minor, currency, trial_days, provider_price_id, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
        ).bind(&p.name).bind(&p.billing_interval).bind(p.price_minor).bind(&p.currency).bind(p.trial_days)
         .bind(&p.provider_price_id).bind(i64::from(p.active)).bind(now).fetch_one(&mut *c).await)?;
        Ok(id)
    }

    /// Turns a plan on or off for new subscribers; false if there is none.
    pub async fn set_plan_active(&mut self, id: i64, active: bool) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query("UPDATE plans SET active = $1 WHERE id = $2")
            .bind(i64::from(active)).bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Records an event id; false if it was recorded before (a duplicate:
    /// the check and the insert are one statement).
    pub async fn record_payment_event(
        &mut self,
        event_id: &str,
        event_type: &str,
        provider_created: i64,
        now: i64,
    ) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "INSERT INTO payment_events (event_id, event_type, provider_created, received_at, outcome) \
             VALUES ($1, $2, $3, $4, 'received') ON CONFLICT (event_id) DO NOTHING"
        ).bind(event_id).bind(event_type).bind(provider_created).bind(now)
         .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Says what became of an event.
    pub async fn set_payment_event_outcome(
        &mut self,
        event_id: &str,
        outcome: &str,
        reader_id: Option<i64>,
        detail: &str,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "UPDATE payment_events SET outcome = $2, reader_id = $3, detail = $4 WHERE event_id = $1"
        ).bind(event_id).bind(outcome).bind(reader_id).bind(detail)
         .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The subscription, locked against a concurrent webhook on PostgreSQL.
    pub async fn subscription_by_provider_id(
        &mut self,
        sid: &str,
    ) -> Result<Option<SubscriptionRow>> {
        let row = match &mut self.0 {
            TxInner::Sqlite(t) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {SUB_COLS} FROM subscriptions WHERE provider_subscription_id = $1"
            ))).bind(sid).fetch_optional(&mut **t).await?,
            TxInner::Postgres(t) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {SUB_COLS} FROM subscriptions WHERE provider_subscription_id = $1 FOR UPDATE"
            ))).bind(sid).fetch_optional(&mut **t).await?,
        };
        Ok(row)
    }

    /// The subscriptions of a provider customer.
    pub async fn subscriptions_of_customer(
        &mut self,
        customer: &str,
    ) -> Result<Vec<SubscriptionRow>> {
        let rows = on_tx!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SUB_COLS} FROM subscriptions WHERE provider_customer_id = $1 ORDER BY id"
        ))).bind(customer).fetch_all(&mut *c).await)?;
        Ok(rows)
    }

    /// Adds a subscription row (first news of it); `None` if another
    /// request added it first.
    pub async fn insert_subscription(
        &mut self,
        reader_id: i64,
        plan_id: Option<i64>,
        sid: &str,
        customer: &str,
        now: i64,
    ) -> Result<Option<i64>> {
        let id: Option<i64> = on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO subscriptions (reader_id, plan_id, provider_subscription_id, provider_customer_id, status, \
             provider_updated_at, created_at) VALUES ($1, $2, $3, $4, 'incomplete', 0, $5) \
             ON CONFLICT (provider_subscription_id) DO NOTHING RETURNING id"
        ).bind(reader_id).bind(plan_id).bind(sid).bind(customer).bind(now).fetch_optional(&mut *c).await)?;
        Ok(id)
    }

    /// Writes the provider's state of a subscription.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_subscription(
        &mut self,
        id: i64,
        status: &str,
        current_period_end: Option<i64>,
        cancel_at_period_end: bool,
        grace_until: Option<i64>,
        entitlement_id: Option<i64>,
        provider_updated_at: i64,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "UPDATE subscriptions SET status = $2, current_period_end = $3, cancel_at_period_end = $4, \
             grace_until = $5, entitlement_id = $6, provider_updated_at = $7 WHERE id = $1"
        ).bind(id).bind(status).bind(current_period_end).bind(i64::from(cancel_at_period_end))
         .bind(grace_until).bind(entitlement_id).bind(provider_updated_at)
         .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Marks the retention offer shown; false if it had been already (one
    /// statement, so it is offered once however requests race).
    pub async fn mark_retention_offered(&mut self, id: i64, now: i64) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE subscriptions SET retention_offered_at = $2 WHERE id = $1 AND retention_offered_at IS NULL"
        ).bind(id).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Sets when an entitlement ends (`None`: open), later or earlier;
    /// false if there is no such entitlement.
    pub async fn set_entitlement_end(&mut self, id: i64, ends_at: Option<i64>) -> Result<bool> {
        let reader: Option<i64> = on_tx!(self, c => sqlx::query_scalar(
            "UPDATE reader_entitlements SET ends_at = $2 WHERE id = $1 RETURNING reader_id"
        ).bind(id).bind(ends_at).fetch_optional(&mut *c).await)?;
        match reader {
            Some(r) => {
                self.touch_entitlements(r);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// An entitlement's (reader, start, end).
    pub async fn entitlement(&mut self, id: i64) -> Result<Option<(i64, i64, Option<i64>)>> {
        let row = on_tx!(self, c => sqlx::query_as(
            "SELECT reader_id, starts_at, ends_at FROM reader_entitlements WHERE id = $1"
        ).bind(id).fetch_optional(&mut *c).await)?;
        Ok(row)
    }

    pub async fn insert_organisation(&mut self, name: &str, seats: i64, now: i64) -> Result<i64> {
        let id: i64 = on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO organisations (name, seats, created_at) VALUES ($1, $2, $3) RETURNING id"
        ).bind(name).bind(seats).bind(now).fetch_one(&mut *c).await)?;
        Ok(id)
    }

    /// Adds a verified domain; false if some organisation has it already.
    pub async fn add_organisation_domain(&mut self, org: i64, domain: &str) -> Result<bool> {
        self.touch_readers();
        let n = on_tx!(self, c => sqlx::query(
            "INSERT INTO organisation_domains (domain, organisation_id) VALUES ($1, $2) ON CONFLICT (domain) DO NOTHING"
        ).bind(domain).bind(org).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// The organisation (seats, seats taken), locked on PostgreSQL so two
    /// admins cannot both take the last seat.
    pub async fn organisation_seats_locked(&mut self, org: i64) -> Result<Option<(i64, i64)>> {
        let seats: Option<i64> = match &mut self.0 {
            TxInner::Sqlite(t) => {
                sqlx::query_scalar("SELECT seats FROM organisations WHERE id = $1")
                    .bind(org)
                    .fetch_optional(&mut **t)
                    .await?
            }
            TxInner::Postgres(t) => {
                sqlx::query_scalar("SELECT seats FROM organisations WHERE id = $1 FOR UPDATE")
                    .bind(org)
                    .fetch_optional(&mut **t)
                    .await?
            }
        };
        let Some(seats) = seats else { return Ok(None) };
        let taken: i64 = on_tx!(self, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM organisation_seats WHERE organisation_id = $1"
        ).bind(org).fetch_one(&mut *c).await)?;
        Ok(Some((seats, taken)))
    }

    /// Gives a reader a seat; false if they hold one there already.
    pub async fn insert_seat(
        &mut self,
        org: i64,
        reader_id: i64,
        entitlement_id: i64,
        now: i64,
    ) -> Result<bool> {
        self.touch_entitlements(reader_id);
        let n = on_tx!(self, c => sqlx::query(
            "INSERT INTO organisation_seats (organisation_id, reader_id, entitlement_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (organisation_id, reader_id) DO NOTHING"
        ).bind(org).bind(reader_id).bind(entitlement_id).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Takes a seat away; its entitlement id, if there was a seat.
    pub async fn delete_seat(&mut self, org: i64, reader_id: i64) -> Result<Option<Option<i64>>> {
        self.touch_entitlements(reader_id);
        let row: Option<Option<i64>> = on_tx!(self, c => sqlx::query_scalar(
            "DELETE FROM organisation_seats WHERE organisation_id = $1 AND reader_id = $2 RETURNING entitlement_id"
        ).bind(org).bind(reader_id).fetch_optional(&mut *c).await)?;
        Ok(row)
    }
}
