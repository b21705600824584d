//! Subscriptions, payments and group access: the plans readers can buy
//! (set by an admin), checkout and the customer portal through the
//! [`PaymentProvider`], the provider's webhooks, a reader's billing on their
//! account page (plan, renewal, invoices, cancel with a one-time retention
//! offer, the grace period after a failed renewal), organisations that
//! grant reading by seat or by verified email domain, and the newsroom's
//! view of readers (search, entitlements, grant and revoke, refunds noted).
//!
//! **Entitlement lives in one place**: `reader_entitlements`, which the
//! gate reads through `readers::is_subscriber`. A subscription keeps one
//! row there (`subscriptions.entitlement_id`) whose end follows the
//! provider's state ([`entitlement_for`]); a seat keeps a `group` row; a
//! staff grant is a `grant` row. Only a verified email domain is decided at
//! read time (`readers::is_subscriber` asks [`domain_grants`]), so a
//! domain added or removed takes effect for everyone at once.
//!
//! **Webhooks** ([`receive_webhook`]): the signature is checked before
//! anything is read or written; each event id is recorded once
//! (`payment_events`, one `INSERT … ON CONFLICT DO NOTHING`), so a
//! duplicate is answered as done and changes nothing; an event older than
//! the newest one applied to its subscription (the provider's own `created`
//! stamps) is recorded as `stale`, and a canceled or refunded subscription
//! never comes back to life from an event; unknown types are recorded as
//! `ignored`. The event row, the subscription, its entitlement and the
//! audit row are one transaction. Changing a reader's entitlement changes
//! no shared page but the comment threads showing their "Subscriber" badge
//! (cached pages are otherwise the same for every reader); the store
//! appends a `readers commenter-N` change event to such a transaction by
//! itself, so every node forgets what it remembered of readers
//! (`gatecache.rs`) and purges those threads.

use broadsheet_domain::permissions::Action;
use broadsheet_domain::readers as rules;
use broadsheet_domain::{Actor, EntitlementSource, ReaderAccount};
use broadsheet_store::{NewPlan, Tx};
// The rows these pages show, named through the app (the web crate does not
// depend on the store).
pub use broadsheet_store::{
    EntitlementRow, OrganisationRow, PaymentEventRow, PlanRow, ReaderListing, SeatRow,
    SubscriptionRow,
};
use serde_json::Value;

use crate::newsroom::Staff;
use crate::payments::{
    self, CheckoutRequest, Invoice, PaymentError, PaymentProvider, ProviderSubscription,
    SignatureError, StripeProvider,
};
use crate::{App, AppError, Result, now};

const DAY: i64 = 86_400;

impl From<PaymentError> for AppError {
    fn from(e: PaymentError) -> AppError {
        match e {
            PaymentError::NotConfigured => AppError::Invalid(
                "Subscriptions cannot be bought here yet: the paper has not set up payments."
                    .into(),
            ),
            PaymentError::Provider(m) => AppError::Internal(m),
        }
    }
}

/// The configured provider, or [`PaymentError::NotConfigured`].
pub fn provider(app: &App) -> std::result::Result<StripeProvider, PaymentError> {
    let s = app
        .config()
        .payments
        .stripe
        .clone()
        .ok_or(PaymentError::NotConfigured)?;
    StripeProvider::new(s)
}

// ----- the rule ---------------------------------------------------------------

/// What a subscription in `status` gives: `None`, no entitlement (ended at
/// once if there was one); `Some(None)`, open; `Some(Some(t))`, until `t`.
/// Paid or trialing: open, or until the period end once cancelled at period
/// end; a failed renewal (`past_due`): until the grace period ends; anything
/// else (canceled, unpaid, refunded, incomplete): none.
pub fn entitlement_for(
    status: &str,
    cancel_at_period_end: bool,
    current_period_end: Option<i64>,
    grace_until: Option<i64>,
) -> Option<Option<i64>> {
    match status {
        "active" | "trialing" => {
            if cancel_at_period_end {
                current_period_end.map(Some)
            } else {
                Some(None)
            }
        }
        "past_due" => grace_until.map(Some),
        _ => None,
    }
}

/// Statuses a subscription never leaves.
fn is_final(status: &str) -> bool {
    matches!(status, "canceled" | "refunded" | "incomplete_expired")
}

/// Makes the subscription's entitlement row say what `want` says; returns
/// its id (a new row if there was none, or it had already ended).
async fn sync_entitlement(
    tx: &mut Tx,
    sub: &SubscriptionRow,
    want: Option<Option<i64>>,
    at: i64,
) -> Result<Option<i64>> {
    let current = match sub.entitlement_id {
        Some(id) => tx.entitlement(id).await?.map(|(_, _, end)| (id, end)),
        None => None,
    };
    match (current, want) {
        (Some((id, end)), Some(new_end)) if end.is_none_or(|e| e > at) => {
            tx.set_entitlement_end(id, new_end).await?;
            Ok(Some(id))
        }
        (_, Some(new_end)) => Ok(Some(
            tx.grant_entitlement(
                sub.reader_id,
                EntitlementSource::Subscription,
                &sub.provider_subscription_id,
                at,
                new_end,
            )
            .await?,
        )),
        (Some((id, _)), None) => {
            tx.end_entitlement(id, at).await?;
            Ok(Some(id))
        }
        (None, None) => Ok(None),
    }
}

/// Writes a new provider state of `sub` and its entitlement.
#[allow(clippy::too_many_arguments)]
async fn apply_state(
    tx: &mut Tx,
    sub: &SubscriptionRow,
    status: &str,
    period_end: Option<i64>,
    cancel_at_period_end: bool,
    grace_until: Option<i64>,
    stamp: i64,
    at: i64,
) -> Result<()> {
    let want = entitlement_for(status, cancel_at_period_end, period_end, grace_until);
    let ent = sync_entitlement(tx, sub, want, at).await?;
    tx.update_subscription(
        sub.id,
        status,
        period_end,
        cancel_at_period_end,
        grace_until,
        ent,
        stamp.max(sub.provider_updated_at),
    )
    .await?;
    Ok(())
}

// ----- webhooks ---------------------------------------------------------------

/// What became of a webhook whose signature was good (each answered 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    Applied,
    /// The event id was seen before: nothing done.
    Duplicate,
    /// A type we do not act on: recorded, nothing else.
    Ignored,
    /// Older than what we hold for its subscription: recorded, nothing else.
    Stale,
    /// About a subscription or customer we do not know: recorded.
    Unmatched,
}

impl WebhookOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookOutcome::Applied => "applied",
            WebhookOutcome::Duplicate => "duplicate",
            WebhookOutcome::Ignored => "ignored",
            WebhookOutcome::Stale => "stale",
            WebhookOutcome::Unmatched => "unmatched",
        }
    }
}

/// Why a webhook was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// No provider configured: the endpoint does not exist.
    #[error("payments are not configured")]
    NotConfigured,
    /// Bad, missing or stale signature: 400, nothing written.
    #[error("signature refused: {0}")]
    Signature(SignatureError),
    /// Signed but not an event we can read: 400, nothing written.
    #[error("{0}")]
    Malformed(String),
    /// Ours (the provider retries on 5xx); detail for the log.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<AppError> for WebhookError {
    fn from(e: AppError) -> Self {
        WebhookError::Internal(e.to_string())
    }
}

impl From<broadsheet_store::StoreError> for WebhookError {
    fn from(e: broadsheet_store::StoreError) -> Self {
        WebhookError::Internal(e.to_string())
    }
}

/// Handles one webhook delivery: `signature` is the `Stripe-Signature`
/// header, `payload` the raw body.
pub async fn receive_webhook(
    app: &App,
    signature: Option<&str>,
    payload: &[u8],
) -> std::result::Result<WebhookOutcome, WebhookError> {
    let cfg = &app.config().payments;
    let stripe = cfg.stripe.as_ref().ok_or(WebhookError::NotConfigured)?;
    let t = now();
    payments::verify_signature(
        signature.unwrap_or(""),
        payload,
        &stripe.webhook_secret.0,
        t,
        cfg.webhook_tolerance_secs,
    )
    .map_err(WebhookError::Signature)?;
    let event: Value = serde_json::from_slice(payload)
        .map_err(|e| WebhookError::Malformed(format!("the body is not JSON: {e}")))?;
    let (Some(id), Some(kind), Some(created)) = (
        event["id"].as_str(),
        event["type"].as_str(),
        event["created"].as_i64(),
    ) else {
        return Err(WebhookError::Malformed(
            "the event has no id, type or created time".into(),
        ));
    };
    let object = &event["data"]["object"];
    if !object.is_object() {
        return Err(WebhookError::Malformed(
            "the event has no data.object".into(),
        ));
    }
    if app.store().payment_event(id).await?.is_some() {
        return Ok(WebhookOutcome::Duplicate);
    }
    // A completed checkout names the subscription; its state is read from
    // the provider before the transaction (no network call holds a write lock).
    let fetched = if kind == "checkout.session.completed" {
        match object["subscription"]
            .as_str()
            .or(object["subscription"]["id"].as_str())
        {
            Some(sid) => Some(
                provider(app)
                    .map_err(|e| WebhookError::Internal(e.to_string()))?
                    .fetch_subscription(sid)
                    .await
                    .map_err(|e| WebhookError::Internal(e.to_string()))?,
            ),
            None => None,
        }
    } else {
        None
    };

    let mut tx = app.store().begin().await?;
    if !tx.record_payment_event(id, kind, created, t).await? {
        return Ok(WebhookOutcome::Duplicate);
    }
    let (outcome, reader, detail) = match kind {
        "checkout.session.completed" => {
            let reader = object["client_reference_id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .or_else(|| payments::meta_i64(object, "reader_id"));
            match fetched {
                Some(mut sub) => {
                    sub.reader_id = sub.reader_id.or(reader);
                    sub.plan_id = sub
                        .plan_id
                        .or_else(|| payments::meta_i64(object, "plan_id"));
                    on_subscription(&mut tx, &sub, created, t).await?
                }
                None => (
                    WebhookOutcome::Unmatched,
                    reader,
                    "checkout without a subscription".into(),
                ),
            }
        }
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => {
            let sub = ProviderSubscription::from_json(object).ok_or_else(|| {
                WebhookError::Malformed(
                    "the subscription object lacks id, customer or status".into(),
                )
            })?;
            on_subscription(&mut tx, &sub, created, t).await?
        }
        "invoice.payment_failed" => on_invoice(&mut tx, app, object, false, created, t).await?,
        "invoice.paid" | "invoice.payment_succeeded" => {
            on_invoice(&mut tx, app, object, true, created, t).await?
        }
        "charge.refunded" => on_refund(&mut tx, object, created, t).await?,
        _ => (WebhookOutcome::Ignored, None, String::new()),
    };
    tx.set_payment_event_outcome(id, outcome.as_str(), reader, &detail)
        .await?;
    if let (WebhookOutcome::Applied, Some(r)) = (outcome, reader) {
        tx.audit(
            &Actor::Reader { id: r },
            &format!("payment.{kind}"),
            None,
            &format!("provider event {id}: {detail}"),
            t,
        )
        .await?;
    }
    // A failed renewal is told to the reader (each failed attempt the
    // provider reports), once the new state is committed.
    let notice = match (kind, outcome, reader) {
        ("invoice.payment_failed", WebhookOutcome::Applied, Some(r)) => {
            renewal_failed_mail(app, &mut tx, r, object).await?
        }
        _ => None,
    };
    tx.commit().await?;
    if let Some(m) = notice {
        app.mailer().send_later(m);
    }
    Ok(outcome)
}

/// The message telling reader `reader_id` that a renewal payment failed:
/// until when they keep reading (the grace period just written) and where
/// to pay another way. `None` if the reader or subscription is gone.
async fn renewal_failed_mail(
    app: &App,
    tx: &mut Tx,
    reader_id: i64,
    invoice: &Value,
) -> Result<Option<crate::mail::Mail>> {
    let Some(r) = tx.reader(reader_id).await? else {
        return Ok(None);
    };
    let sid = invoice["subscription"]
        .as_str()
        .map(str::to_string)
        .or_else(|| payments::id_of(&invoice["parent"]["subscription_details"]["subscription"]));
    let Some(sub) = (match sid {
        Some(sid) => tx.subscription_by_provider_id(&sid).await?,
        None => None,
    }) else {
        return Ok(None);
    };
    let paper = &app.config().name;
    let until = sub
        .grace_until
        .map(|g| {
            format!(
                "You can keep reading until {} while we try again.",
                broadsheet_domain::time::show(g, &app.config().time_zone).date
            )
        })
        .unwrap_or_default();
    Ok(Some(crate::mail::Mail {
        to: r.email,
        subject: format!("We could not take your {paper} subscription payment"),
        text: format!(
            "We tried to renew your {paper} subscription, but the payment did not go through. {until}\n\nTo pay with another card, or to see your invoices, open your subscription page: {}\n\nIf the payment keeps failing, the subscription ends when that time is up.\n",
            crate::readers::site_link(app, "/account/subscription"),
        ),
    }))
}

type Handled = (WebhookOutcome, Option<i64>, String);

/// A subscription's state as the provider describes it (checkout,
/// created/updated/deleted).
async fn on_subscription(
    tx: &mut Tx,
    p: &ProviderSubscription,
    created: i64,
    t: i64,
) -> Result<Handled> {
    let row = match tx.subscription_by_provider_id(&p.id).await? {
        Some(r) => r,
        None => {
            let Some(reader) = p.reader_id else {
                return Ok((
                    WebhookOutcome::Unmatched,
                    None,
                    format!("subscription {} names no reader", p.id),
                ));
            };
            if tx.reader(reader).await?.is_none() {
                return Ok((
                    WebhookOutcome::Unmatched,
                    None,
                    format!("no reader {reader}"),
                ));
            }
            tx.insert_subscription(reader, p.plan_id, &p.id, &p.customer, t)
                .await?;
            tx.subscription_by_provider_id(&p.id)
                .await?
                .ok_or_else(|| AppError::Internal("subscription vanished".into()))?
        }
    };
    let reader = Some(row.reader_id);
    if created < row.provider_updated_at || (is_final(&row.status) && p.status != row.status) {
        return Ok((
            WebhookOutcome::Stale,
            reader,
            format!("{} is {}; this event said {}", p.id, row.status, p.status),
        ));
    }
    // A failed renewal's grace period survives updates that still say past_due.
    let grace = if p.status == "past_due" {
        row.grace_until
    } else {
        None
    };
    apply_state(
        tx,
        &row,
        &p.status,
        p.current_period_end,
        p.cancel_at_period_end,
        grace,
        created,
        t,
    )
    .await?;
    Ok((
        WebhookOutcome::Applied,
        reader,
        format!("{} {}", p.id, p.status),
    ))
}

/// An invoice paid (renewal: back to active) or failed (grace period).
async fn on_invoice(
    tx: &mut Tx,
    app: &App,
    object: &Value,
    paid: bool,
    created: i64,
    t: i64,
) -> Result<Handled> {
    let sid = object["subscription"]
        .as_str()
        .map(str::to_string)
        .or_else(|| payments::id_of(&object["parent"]["subscription_details"]["subscription"]));
    let Some(sid) = sid else {
        return Ok((
            WebhookOutcome::Unmatched,
            None,
            "invoice without a subscription".into(),
        ));
    };
    let Some(row) = tx.subscription_by_provider_id(&sid).await? else {
        return Ok((
            WebhookOutcome::Unmatched,
            None,
            format!("unknown subscription {sid}"),
        ));
    };
    let reader = Some(row.reader_id);
    if created < row.provider_updated_at || is_final(&row.status) {
        return Ok((
            WebhookOutcome::Stale,
            reader,
            format!("{sid} is {}", row.status),
        ));
    }
    let period_end = object["lines"]["data"][0]["period"]["end"]
        .as_i64()
        .or(row.current_period_end);
    if paid {
        let status = if row.status == "trialing" {
            "trialing"
        } else {
            "active"
        };
        apply_state(
            tx,
            &row,
            status,
            period_end,
            row.cancel_at_period_end != 0,
            None,
            created,
            t,
        )
        .await?;
        Ok((
            WebhookOutcome::Applied,
            reader,
            format!("{sid}: invoice paid"),
        ))
    } else {
        let grace = row
            .grace_until
            .unwrap_or(created + app.config().payments.grace_days * DAY);
        let attempts = object["attempt_count"].as_i64().unwrap_or(1);
        let next = object["next_payment_attempt"].as_i64();
        apply_state(
            tx,
            &row,
            "past_due",
            row.current_period_end,
            row.cancel_at_period_end != 0,
            Some(grace),
            created,
            t,
        )
        .await?;
        Ok((
            WebhookOutcome::Applied,
            reader,
            format!(
                "{sid}: renewal failed (attempt {attempts}{}); reading continues until {grace}",
                next.map(|n| format!(", next try at {n}"))
                    .unwrap_or_default()
            ),
        ))
    }
}

/// A refund: the customer's subscriptions end at once.
async fn on_refund(tx: &mut Tx, object: &Value, created: i64, t: i64) -> Result<Handled> {
    let Some(customer) = payments::id_of(&object["customer"]) else {
        return Ok((
            WebhookOutcome::Unmatched,
            None,
            "refund without a customer".into(),
        ));
    };
    let subs = tx.subscriptions_of_customer(&customer).await?;
    let Some(first) = subs.first() else {
        return Ok((
            WebhookOutcome::Unmatched,
            None,
            format!("unknown customer {customer}"),
        ));
    };
    let reader = Some(first.reader_id);
    for s in &subs {
        apply_state(
            tx,
            s,
            "refunded",
            s.current_period_end,
            s.cancel_at_period_end != 0,
            None,
            created,
            t,
        )
        .await?;
    }
    let amount = object["amount_refunded"].as_i64().unwrap_or(0);
    let currency = object["currency"].as_str().unwrap_or("");
    Ok((
        WebhookOutcome::Applied,
        reader,
        format!(
            "refund of {} {currency}: access ended",
            money(amount, currency)
        ),
    ))
}

/// `1234` → `12.34` (currencies with two decimals; the code is shown beside it).
pub fn money(minor: i64, currency: &str) -> String {
    let c = currency.to_uppercase();
    let sym = match c.as_str() {
        "GBP" => "£",
        "EUR" => "€",
        "USD" => "$",
        _ => "",
    };
    let s = format!("{sym}{}.{:02}", minor / 100, (minor % 100).abs());
    if sym.is_empty() {
        format!("{s} {c}")
    } else {
        s
    }
}

// ----- plans ------------------------------------------------------------------

/// Plans on sale (for `/subscribe`): the same for everyone.
pub async fn plans_on_sale(app: &App) -> Result<Vec<PlanRow>> {
    Ok(app
        .store()
        .plans()
        .await?
        .into_iter()
        .filter(|p| p.active != 0)
        .collect())
}

/// Every plan (newsroom): needs `ManagePlans`.
pub async fn all_plans(app: &App, staff: &Staff) -> Result<Vec<PlanRow>> {
    crate::newsroom::require(
        &staff.actor(),
        Action::ManagePlans,
        "manage subscription plans",
    )?;
    Ok(app.store().plans().await?)
}

/// A plan as an admin types it.
#[derive(Debug, Clone, Default)]
pub struct PlanForm {
    pub name: String,
    pub interval: String,
    /// Decimal, like `9.99`.
    pub price: String,
    pub currency: String,
    pub trial_days: String,
    pub provider_price_id: String,
}

/// Parses `9.99` / `9` / `9.9` into minor units.
fn parse_price(s: &str) -> Option<i64> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    w.checked_mul(100)?
        .checked_add(f)
        .filter(|v| *v > 0 && *v < 100_000_000)
}

fn check_plan(f: &PlanForm) -> Result<NewPlan> {
    let bad = |m: &str| AppError::Invalid(m.to_string());
    let name = f.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 80 {
        return Err(bad(
            "Give the plan a name readers will see (at most 80 characters).",
        ));
    }
    let interval = match f.interval.trim() {
        "month" | "year" => f.interval.trim().to_string(),
        _ => return Err(bad("Choose how often the plan renews: month or year.")),
    };
    let price_minor = parse_price(&f.price).ok_or_else(|| {
        bad("Write the price as a number like 9.99 (more than 0, two decimals at most).")
    })?;
    let currency = f.currency.trim().to_lowercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(bad("Give the currency as its three-letter code, like GBP."));
    }
    let trial_days: i64 = if f.trial_days.trim().is_empty() {
        0
    } else {
        f.trial_days
            .trim()
            .parse()
            .ok()
            .filter(|d| (0..=365).contains(d))
            .ok_or_else(|| bad("Trial days must be a whole number from 0 to 365."))?
    };
    let price_id = f.provider_price_id.trim().to_string();
    if price_id.is_empty()
        || price_id.len() > 255
        || !price_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(bad(
            "Paste the payment provider's price id (like price_1Abc…) from its dashboard.",
        ));
    }
    Ok(NewPlan {
        name,
        billing_interval: interval,
        price_minor,
        currency,
        trial_days,
        provider_price_id: price_id,
        active: true,
    })
}

/// Adds a plan (on sale at once): needs `ManagePlans`; audited.
pub async fn create_plan(app: &App, staff: &Staff, f: &PlanForm) -> Result<i64> {
    crate::newsroom::require(
        &staff.actor(),
        Action::ManagePlans,
        "manage subscription plans",
    )?;
    let plan = check_plan(f)?;
    let t = now();
    let mut tx = app.store().begin().await?;
    let id = tx.insert_plan(&plan, t).await?;
    tx.audit(
        &staff.actor(),
        "plan.create",
        None,
        &format!("plan {id}: {}", plan.name),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Puts a plan on sale or takes it off (subscribers keep theirs).
pub async fn set_plan_active(app: &App, staff: &Staff, id: i64, active: bool) -> Result<()> {
    crate::newsroom::require(
        &staff.actor(),
        Action::ManagePlans,
        "manage subscription plans",
    )?;
    let t = now();
    let mut tx = app.store().begin().await?;
    if !tx.set_plan_active(id, active).await? {
        return Err(AppError::NotFound("There is no such plan.".into()));
    }
    tx.audit(
        &staff.actor(),
        if active {
            "plan.on-sale"
        } else {
            "plan.off-sale"
        },
        None,
        &format!("plan {id}"),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ----- the reader's side ------------------------------------------------------

/// Starts a hosted checkout for a signed-in reader: the URL to send them to.
/// `site` is the paper's address (`https://…`) for the return links.
pub async fn start_checkout(
    app: &App,
    reader: &ReaderAccount,
    plan_id: i64,
    site: &str,
) -> Result<String> {
    let plan = app
        .store()
        .plan(plan_id)
        .await?
        .filter(|p| p.active != 0)
        .ok_or_else(|| {
            AppError::Invalid("That plan is not on sale any more: choose another.".into())
        })?;
    let p = provider(app)?;
    let site = site.trim_end_matches('/');
    let s = p
        .create_checkout(&CheckoutRequest {
            reader_id: reader.id,
            reader_email: reader.email.clone(),
            plan_id: plan.id,
            price_id: plan.provider_price_id.clone(),
            trial_days: plan.trial_days,
            success_url: format!("{site}/account?subscribed=1"),
            cancel_url: format!("{site}/subscribe"),
        })
        .await?;
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.audit(
        &Actor::Reader { id: reader.id },
        "subscription.checkout",
        None,
        &format!("plan {} session {}", plan.id, s.id),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(s.url)
}

/// What the reader's account page shows about their subscription.
#[derive(Debug, Clone, Default)]
pub struct Billing {
    /// Their latest subscription, if any.
    pub subscription: Option<SubscriptionRow>,
    pub plan_name: String,
    /// Invoices from the provider (empty if none, or it could not be asked).
    pub invoices: Vec<Invoice>,
    /// The provider could not be asked for invoices (logged).
    pub invoices_unavailable: bool,
    /// After a failed renewal: reading continues until then.
    pub grace_until: Option<i64>,
    /// Whether the reader may cancel (paid or trialing, not yet cancelled).
    pub can_cancel: bool,
    /// Reading through an organisation (its name), by seat or domain.
    pub organisation: Option<String>,
}

pub async fn billing(app: &App, reader: &ReaderAccount) -> Result<Billing> {
    let mut b = Billing::default();
    let orgs = app.store().organisations().await?;
    let seat_org = app
        .store()
        .reader_entitlements(reader.id)
        .await?
        .into_iter()
        .find(|e| {
            e.source == "group"
                && broadsheet_domain::readers::entitlement_holds(e.starts_at, e.ends_at, now())
        });
    let org_id = match seat_org {
        Some(e) => e.reference.parse().ok(),
        None => app.store().domain_organisation(reader.id).await?,
    };
    b.organisation = org_id.and_then(|id| orgs.iter().find(|o| o.id == id).map(|o| o.name.clone()));
    let Some(sub) = app
        .store()
        .subscriptions_of(reader.id)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(b);
    };
    if let Some(pid) = sub.plan_id {
        b.plan_name = app
            .store()
            .plan(pid)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
    }
    b.grace_until = sub.grace_until.filter(|_| sub.status == "past_due");
    b.can_cancel = matches!(sub.status.as_str(), "active" | "trialing" | "past_due")
        && sub.cancel_at_period_end == 0;
    match provider(app) {
        Ok(p) => match p.invoices(&sub.provider_customer_id).await {
            Ok(i) => b.invoices = i,
            Err(e) => {
                tracing::warn!(error = %e, reader = reader.id, "could not list invoices");
                b.invoices_unavailable = true;
            }
        },
        Err(_) => b.invoices_unavailable = true,
    }
    b.subscription = Some(sub);
    Ok(b)
}

/// The answer to "cancel my subscription".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelStep {
    /// Show this offer first (once per subscription); ask again to confirm.
    Offer(String),
    /// Cancelled at period end: reading continues until then.
    Cancelled { until: Option<i64> },
}

/// Cancels the reader's subscription at period end. With a retention offer
/// configured, the first request (unless `confirmed`) gets the offer
/// instead, once per subscription.
pub async fn cancel(app: &App, reader: &ReaderAccount, confirmed: bool) -> Result<CancelStep> {
    let sub = app
        .store()
        .subscriptions_of(reader.id)
        .await?
        .into_iter()
        .find(|s| matches!(s.status.as_str(), "active" | "trialing" | "past_due"))
        .ok_or_else(|| AppError::Invalid("You have no subscription to cancel.".into()))?;
    let t = now();
    let offer = app.config().payments.retention_offer.trim().to_string();
    if !offer.is_empty() && !confirmed {
        let mut tx = app.store().begin().await?;
        let first = tx.mark_retention_offered(sub.id, t).await?;
        if first {
            tx.audit(
                &Actor::Reader { id: reader.id },
                "subscription.retention-offer",
                None,
                &sub.provider_subscription_id,
                t,
            )
            .await?;
            tx.commit().await?;
            return Ok(CancelStep::Offer(offer));
        }
    }
    let p = provider(app)?
        .cancel_at_period_end(&sub.provider_subscription_id)
        .await?;
    let mut tx = app.store().begin().await?;
    let row = tx
        .subscription_by_provider_id(&sub.provider_subscription_id)
        .await?
        .ok_or_else(|| AppError::Internal("subscription vanished".into()))?;
    if !is_final(&row.status) {
        let grace = if p.status == "past_due" {
            row.grace_until
        } else {
            None
        };
        apply_state(
            &mut tx,
            &row,
            &p.status,
            p.current_period_end,
            p.cancel_at_period_end,
            grace,
            row.provider_updated_at,
            t,
        )
        .await?;
    }
    tx.audit(
        &Actor::Reader { id: reader.id },
        "subscription.cancel",
        None,
        &format!("{} at period end", sub.provider_subscription_id),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(CancelStep::Cancelled {
        until: p.current_period_end,
    })
}

/// The reader kept their subscription after the offer: recorded.
pub async fn keep(app: &App, reader: &ReaderAccount) -> Result<()> {
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.audit(
        &Actor::Reader { id: reader.id },
        "subscription.kept",
        None,
        "accepted the retention offer",
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A link to the provider's portal (cards, invoices) for the reader.
pub async fn portal(app: &App, reader: &ReaderAccount, site: &str) -> Result<String> {
    let sub = app
        .store()
        .subscriptions_of(reader.id)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::Invalid("You have no subscription to manage.".into()))?;
    Ok(provider(app)?
        .portal_link(
            &sub.provider_customer_id,
            &format!("{}/account", site.trim_end_matches('/')),
        )
        .await?)
}

// ----- group access -----------------------------------------------------------

/// Whether a verified email domain gives the reader entitlement (the one
/// read-time rule; `readers::is_subscriber` asks it).
pub async fn domain_grants(app: &App, reader_id: i64) -> Result<bool> {
    Ok(app.store().domain_organisation(reader_id).await?.is_some())
}

fn require_readers(staff: &Staff) -> Result<()> {
    crate::newsroom::require(
        &staff.actor(),
        Action::ManageReaders,
        "manage readers and their access",
    )
}

/// A domain as stored (lower case, no `@`), or what is wrong with it.
fn clean_domain(raw: &str) -> Result<String> {
    let d = raw.trim().trim_start_matches('@').to_lowercase();
    rules::normalise_email(&format!("x@{d}"))
        .map(|_| d)
        .map_err(|_| {
            AppError::Invalid(format!(
                "{raw:?} is not an email domain: write it like school.example.org."
            ))
        })
}

pub async fn organisations(app: &App, staff: &Staff) -> Result<Vec<OrganisationRow>> {
    require_readers(staff)?;
    Ok(app.store().organisations().await?)
}

pub async fn seats(app: &App, staff: &Staff, org: i64) -> Result<Vec<SeatRow>> {
    require_readers(staff)?;
    Ok(app.store().seats_of(org).await?)
}

/// Adds an organisation with `seats` seats and its verified domains
/// (comma or space separated). Audited.
pub async fn create_organisation(
    app: &App,
    staff: &Staff,
    name: &str,
    seats: &str,
    domains: &str,
) -> Result<i64> {
    require_readers(staff)?;
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 120 {
        return Err(AppError::Invalid(
            "Give the organisation a name (at most 120 characters).".into(),
        ));
    }
    let seats: i64 = if seats.trim().is_empty() {
        0
    } else {
        seats
            .trim()
            .parse()
            .ok()
            .filter(|n| (0..=1_000_000).contains(n))
            .ok_or_else(|| {
                AppError::Invalid("Seats must be a whole number from 0 to 1,000,000.".into())
            })?
    };
    let domains = domains
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|d| !d.is_empty())
        .map(clean_domain)
        .collect::<Result<Vec<_>>>()?;
    let t = now();
    let mut tx = app.store().begin().await?;
    let id = tx.insert_organisation(&name, seats, t).await?;
    for d in &domains {
        if !tx.add_organisation_domain(id, d).await? {
            return Err(AppError::Invalid(format!(
                "The domain {d} belongs to another organisation already."
            )));
        }
    }
    tx.audit(
        &staff.actor(),
        "organisation.create",
        None,
        &format!(
            "organisation {id}: {name}; {seats} seats; domains {}",
            domains.join(", ")
        ),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Gives the reader with `email` one of the organisation's seats (a
/// `group` entitlement while they hold it). Audited.
pub async fn add_seat(app: &App, staff: &Staff, org: i64, email: &str) -> Result<()> {
    require_readers(staff)?;
    let email = rules::normalise_email(email).map_err(AppError::Invalid)?;
    let t = now();
    let mut tx = app.store().begin().await?;
    let (seats, taken) = tx
        .organisation_seats_locked(org)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such organisation.".into()))?;
    let reader = tx.reader_by_email(&email).await?.ok_or_else(|| {
        AppError::Invalid(format!(
            "No reader has the address {email}: ask them to make an account first."
        ))
    })?;
    if taken >= seats {
        return Err(AppError::Invalid(format!(
            "All {seats} seats are taken: free one, or give the organisation more."
        )));
    }
    let ent = tx
        .grant_entitlement(
            reader.id,
            EntitlementSource::Group,
            &org.to_string(),
            t,
            None,
        )
        .await?;
    if !tx.insert_seat(org, reader.id, ent, t).await? {
        return Err(AppError::Invalid(format!(
            "{email} holds a seat there already."
        )));
    }
    tx.audit(
        &staff.actor(),
        "organisation.seat-add",
        None,
        &format!("organisation {org}: reader {}", reader.id),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes a seat back; the reader's `group` entitlement ends now. Audited.
pub async fn remove_seat(app: &App, staff: &Staff, org: i64, reader_id: i64) -> Result<()> {
    require_readers(staff)?;
    let t = now();
    let mut tx = app.store().begin().await?;
    let ent = tx
        .delete_seat(org, reader_id)
        .await?
        .ok_or_else(|| AppError::NotFound("That reader holds no seat there.".into()))?;
    if let Some(e) = ent {
        tx.end_entitlement(e, t).await?;
    }
    tx.audit(
        &staff.actor(),
        "organisation.seat-remove",
        None,
        &format!("organisation {org}: reader {reader_id}"),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ----- the newsroom's view of readers -----------------------------------------

pub async fn search_readers(app: &App, staff: &Staff, q: &str) -> Result<Vec<ReaderListing>> {
    require_readers(staff)?;
    let q: String = q.trim().chars().take(100).collect();
    Ok(app.store().search_readers(&q, 50).await?)
}

/// Everything the newsroom shows about one reader.
#[derive(Debug, Clone)]
pub struct ReaderFile {
    pub account: ReaderAccount,
    pub entitled: bool,
    pub entitlements: Vec<EntitlementRow>,
    pub subscriptions: Vec<SubscriptionRow>,
    /// Webhook events about them (refunds and failed renewals noted here).
    pub events: Vec<PaymentEventRow>,
    pub domain_organisation: Option<i64>,
}

pub async fn reader_file(app: &App, staff: &Staff, reader_id: i64) -> Result<ReaderFile> {
    require_readers(staff)?;
    let s = app.store();
    let account = s
        .reader_by_id(reader_id)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such reader.".into()))?
        .account();
    Ok(ReaderFile {
        entitled: crate::readers::is_subscriber(app, reader_id, now())
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?,
        account,
        entitlements: s.reader_entitlements(reader_id).await?,
        subscriptions: s.subscriptions_of(reader_id).await?,
        events: s.payment_events_of(reader_id).await?,
        domain_organisation: s.domain_organisation(reader_id).await?,
    })
}

/// Gives a reader entitlement (`days`: how long; empty: until revoked),
/// with the staff member's note. Audited.
pub async fn grant(
    app: &App,
    staff: &Staff,
    reader_id: i64,
    days: &str,
    note: &str,
) -> Result<i64> {
    require_readers(staff)?;
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(AppError::Invalid(
            "Say why in the note (at most 500 characters): it is kept in the audit log.".into(),
        ));
    }
    let t = now();
    let ends = if days.trim().is_empty() {
        None
    } else {
        let d: i64 = days
            .trim()
            .parse()
            .ok()
            .filter(|d| (1..=3650).contains(d))
            .ok_or_else(|| {
                AppError::Invalid(
                    "Days must be a whole number from 1 to 3650, or empty for no end.".into(),
                )
            })?;
        Some(t + d * DAY)
    };
    let mut tx = app.store().begin().await?;
    if tx.reader(reader_id).await?.is_none() {
        return Err(AppError::NotFound("There is no such reader.".into()));
    }
    let id = tx
        .grant_entitlement(reader_id, EntitlementSource::Grant, note, t, ends)
        .await?;
    tx.audit(
        &staff.actor(),
        "reader.grant",
        None,
        &format!("reader {reader_id}, entitlement {id}: {note}"),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Ends one of a reader's entitlements now, with a note. Audited.
pub async fn revoke(
    app: &App,
    staff: &Staff,
    reader_id: i64,
    entitlement_id: i64,
    note: &str,
) -> Result<()> {
    require_readers(staff)?;
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(AppError::Invalid(
            "Say why in the note (at most 500 characters): it is kept in the audit log.".into(),
        ));
    }
    let t = now();
    let mut tx = app.store().begin().await?;
    match tx.entitlement(entitlement_id).await? {
        Some((r, _, _)) if r == reader_id => {}
        _ => {
            return Err(AppError::NotFound(
                "That reader has no such entitlement.".into(),
            ));
        }
    }
    if !tx.end_entitlement(entitlement_id, t).await? {
        return Err(AppError::Invalid(
            "That entitlement has ended already.".into(),
        ));
    }
    tx.audit(
        &staff.actor(),
        "reader.revoke",
        None,
        &format!("reader {reader_id}, entitlement {entitlement_id}: {note}"),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entitlement_follows_the_provider_state() {
        assert_eq!(entitlement_for("active", false, Some(9), None), Some(None));
        assert_eq!(
            entitlement_for("trialing", false, Some(9), None),
            Some(None)
        );
        assert_eq!(
            entitlement_for("active", true, Some(9), None),
            Some(Some(9))
        );
        assert_eq!(
            entitlement_for("past_due", false, Some(9), Some(20)),
            Some(Some(20))
        );
        for s in [
            "canceled",
            "unpaid",
            "refunded",
            "incomplete",
            "incomplete_expired",
            "nonsense",
        ] {
            assert_eq!(entitlement_for(s, false, Some(9), Some(20)), None, "{s}");
        }
    }

    #[test]
    fn prices_and_money() {
        assert_eq!(parse_price("9.99"), Some(999));
        assert_eq!(parse_price("9.9"), Some(990));
        assert_eq!(parse_price("12"), Some(1200));
        for bad in ["", "0", "-1", "1.234", "abc", "1,00", ".5"] {
            assert_eq!(parse_price(bad), None, "{bad}");
        }
        assert_eq!(money(999, "gbp"), "£9.99");
        assert_eq!(money(100, "sek"), "1.00 SEK");
    }
}
