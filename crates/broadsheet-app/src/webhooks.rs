//! Outgoing webhooks (issue 13 item 7): an admin registers an https URL and
//! the story events it wants; every publish, update, correction and
//! withdrawal queues one delivery per such webhook in the same transaction
//! as the change (nothing lost on a crash, nothing sent for a change that
//! rolled back). A job on every node claims due deliveries (one node per
//! delivery), posts them through the one egress client (SSRF rules:
//! `egress.rs`), signs each with HMAC-SHA256 over `"<t>.<body>"` in
//! `Broadsheet-Signature: t=<unix>,v1=<hex>` (Stripe's scheme, so the usual
//! verifiers work), retries with doubling backoff and gives up after
//! [`WebhookConfig::max_attempts`]. The deliveries are the newsroom's log.

use std::time::Duration;

use broadsheet_domain::permissions::Action;
use broadsheet_domain::{Actor, Story, permalink};
use broadsheet_store::{DeliveryRow, Tx, WebhookRow};

use crate::egress::{Egress, EgressError};
use crate::newsroom::require;
use crate::readers::site_link;
use crate::signin::random_token;
use crate::{App, AppError, Result, now};

/// The events a webhook may ask for.
pub const EVENTS: [(&str, &str); 4] = [
    ("story.published", "a story is published (or reinstated)"),
    ("story.updated", "a published story is changed"),
    ("story.corrected", "a correction is added to a story"),
    ("story.withdrawn", "a published story is withdrawn"),
];

/// Delivery rules.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Seconds before the first retry; each further retry waits twice as
    /// long as the one before, at most [`MAX_BACKOFF_SECS`].
    pub first_retry_secs: i64,
    /// Attempts before a delivery is given up.
    pub max_attempts: i64,
    /// Admit http and loopback receivers (tests only; see `egress.rs`).
    pub allow_loopback: bool,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            first_retry_secs: 30,
            max_attempts: 8,
            allow_loopback: false,
        }
    }
}

/// The longest wait between two attempts.
pub const MAX_BACKOFF_SECS: i64 = 6 * 3600;
/// How long a node holds a claimed delivery before another may take it.
const CLAIM_SECS: i64 = 60;

/// Seconds to wait after the `attempts`-th failed attempt.
pub fn backoff(cfg: &WebhookConfig, attempts: i64) -> i64 {
    let shift = attempts.clamp(1, 30) - 1;
    cfg.first_retry_secs
        .max(0)
        .saturating_mul(1i64 << shift)
        .min(MAX_BACKOFF_SECS)
}

fn egress(app: &App) -> Result<Egress> {
    Egress::new(app.config().webhooks.allow_loopback).map_err(AppError::Internal)
}

fn parse_events(events: &[String]) -> Result<String> {
    let mut out: Vec<&str> = Vec::new();
    for e in events {
        let e = e.trim();
        match EVENTS.iter().find(|(n, _)| *n == e) {
            Some((n, _)) if !out.contains(n) => out.push(n),
            Some(_) => {}
            None => {
                return Err(AppError::Invalid(format!(
                    "There is no event {e:?}: choose from {}.",
                    EVENTS.map(|(n, _)| n).join(", ")
                )));
            }
        }
    }
    if out.is_empty() {
        return Err(AppError::Invalid(
            "Choose at least one event the webhook is sent for.".into(),
        ));
    }
    Ok(out.join(" "))
}

/// Registers a webhook. The URL must be one the egress client would post
/// to (https on port 443, not a private or link-local address); its name
/// is checked again each time it is resolved. Returns its id and signing
/// secret (shown once).
pub async fn add(app: &App, actor: &Actor, url: &str, events: &[String]) -> Result<(i64, String)> {
    require(actor, Action::ManageSettings, "manage webhooks")?;
    let url = url.trim();
    let parsed = url::Url::parse(url).map_err(|e| {
        AppError::Invalid(format!(
            "The webhook URL is not a URL ({e}): give a full https address, like https://partner.example.com/broadsheet."
        ))
    })?;
    if url.len() > 2000 {
        return Err(AppError::Invalid(
            "The webhook URL is longer than 2,000 characters.".into(),
        ));
    }
    egress(app)?.check_url(&parsed).map_err(|e| match e {
        EgressError::Refused(why) => AppError::Invalid(format!(
            "This URL cannot receive webhooks ({why}): give a public https address on port 443."
        )),
        other => AppError::Internal(other.to_string()),
    })?;
    let events = parse_events(events)?;
    let secret = format!("whsec_{}", random_token());
    let t = now();
    let mut tx = app.store().begin().await?;
    let id = tx
        .insert_webhook(parsed.as_str(), &secret, &events, actor.staff_id(), t)
        .await?;
    tx.audit(
        actor,
        "webhook-add",
        None,
        &format!("webhook {id} {parsed}: {events}"),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok((id, secret))
}

/// Turns a webhook on or off (off: no new deliveries are queued, and queued
/// ones wait).
pub async fn set_active(app: &App, actor: &Actor, id: i64, active: bool) -> Result<()> {
    require(actor, Action::ManageSettings, "manage webhooks")?;
    let t = now();
    let mut tx = app.store().begin().await?;
    if !tx.set_webhook_active(id, active).await? {
        return Err(AppError::NotFound(format!("There is no webhook {id}.")));
    }
    let what = if active { "webhook-on" } else { "webhook-off" };
    tx.audit(actor, what, None, &format!("webhook {id}"), t)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a webhook and its delivery log.
pub async fn remove(app: &App, actor: &Actor, id: i64) -> Result<()> {
    require(actor, Action::ManageSettings, "manage webhooks")?;
    let t = now();
    let mut tx = app.store().begin().await?;
    if !tx.delete_webhook(id).await? {
        return Err(AppError::NotFound(format!("There is no webhook {id}.")));
    }
    tx.audit(actor, "webhook-remove", None, &format!("webhook {id}"), t)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The webhooks (secrets blanked) and the newest deliveries.
pub async fn overview(app: &App, actor: &Actor) -> Result<(Vec<WebhookRow>, Vec<DeliveryRow>)> {
    require(actor, Action::ManageSettings, "manage webhooks")?;
    let mut hooks = app.store().webhooks().await?;
    for h in &mut hooks {
        h.secret.clear();
    }
    let log = app.store().webhook_deliveries(None, 100).await?;
    Ok((hooks, log))
}

/// The story event a move from `from` to `to` is, if any.
pub fn move_event(
    from: broadsheet_domain::StoryStatus,
    to: broadsheet_domain::StoryStatus,
) -> Option<&'static str> {
    use broadsheet_domain::StoryStatus::Published;
    match (from == Published, to == Published) {
        (false, true) => Some("story.published"),
        (true, false) => Some("story.withdrawn"),
        _ => None,
    }
}

/// Queues `event` about `story` (as it is after the change) on `tx`. The
/// body says what happened and where; never the story's text (a partner
/// fetches that from the Content API, through the paywall's gate).
pub(crate) async fn queue(
    app: &App,
    tx: &mut Tx,
    event: &str,
    story: &Story,
    t: i64,
) -> Result<()> {
    queue_for(
        app,
        tx,
        event,
        (story.id, story.section_id, &story.slug, &story.headline),
        t,
    )
    .await
}

/// [`queue`] for a story known by its id, section, slug and headline (one
/// just made in this transaction, not yet readable as a `Story`).
pub(crate) async fn queue_for(
    app: &App,
    tx: &mut Tx,
    event: &str,
    (id, section_id, slug, headline): (i64, i64, &str, &str),
    t: i64,
) -> Result<()> {
    let path = permalink::story_path(app.sections().path(section_id), slug, id);
    let body = serde_json::json!({
        "event": event,
        "occurred_at": t,
        "story": {
            "id": id,
            "headline": headline,
            "url": site_link(app, &path),
            "api_url": site_link(app, &format!("/api/v1/stories/{id}")),
        }
    });
    tx.queue_webhook_event(event, Some(id), &body.to_string(), t)
        .await?;
    Ok(())
}

/// What became of one attempt.
enum Outcome {
    Delivered(i64),
    /// Worth trying again: the receiver failed or could not be reached.
    Retry(Option<i64>, String),
    /// Never worth trying again (refused by the egress rules).
    Refused(String),
}

async fn attempt(egress: &Egress, d: &DeliveryRow, secret: &str, t: i64) -> Outcome {
    let req = openidconnect::http::Request::builder()
        .method(openidconnect::http::Method::POST)
        .uri(d.url.as_str())
        .header("content-type", "application/json")
        .header("broadsheet-event", d.event.as_str())
        .header("broadsheet-delivery", d.id.to_string())
        .header(
            "broadsheet-signature",
            crate::payments::sign(d.payload.as_bytes(), secret, t),
        )
        .body(d.payload.clone().into_bytes());
    let req = match req {
        Ok(r) => r,
        Err(e) => return Outcome::Refused(format!("could not build the request: {e}")),
    };
    match egress.send(req).await {
        Ok(r) if r.status().is_success() => Outcome::Delivered(i64::from(r.status().as_u16())),
        Ok(r) => Outcome::Retry(
            Some(i64::from(r.status().as_u16())),
            format!("answered {}", r.status()),
        ),
        Err(EgressError::Refused(why)) => Outcome::Refused(why),
        Err(e) => Outcome::Retry(None, e.to_string()),
    }
}

/// Claims and posts the deliveries due now. Returns how many were attempted.
pub async fn deliver_due(app: &App) -> Result<usize> {
    let t = now();
    let due = app.store().claim_deliveries(t, t + CLAIM_SECS, 20).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let egress = egress(app)?;
    let cfg = app.config().webhooks.clone();
    let n = due.len();
    for d in due {
        let attempts = d.attempts + 1;
        let Some((secret, active)) = app.store().webhook_secret(d.webhook_id).await? else {
            continue;
        };
        if !active {
            // Switched off: the delivery waits (unclaimed) until it is on again.
            app.store()
                .record_delivery(
                    d.id,
                    "pending",
                    d.attempts,
                    t + 60,
                    d.last_code,
                    d.last_error.as_deref(),
                    t,
                )
                .await?;
            continue;
        }
        let sent = now();
        let (status, next_at, code, error) = match attempt(&egress, &d, &secret, sent).await {
            Outcome::Delivered(code) => ("delivered", sent, Some(code), None),
            Outcome::Refused(why) => ("failed", sent, None, Some(format!("refused: {why}"))),
            Outcome::Retry(code, why) if attempts >= cfg.max_attempts => (
                "failed",
                sent,
                code,
                Some(format!("{why}; gave up after {attempts} attempts")),
            ),
            Outcome::Retry(code, why) => {
                ("pending", sent + backoff(&cfg, attempts), code, Some(why))
            }
        };
        if status != "delivered" {
            tracing::warn!(delivery = d.id, url = %d.url, status, error = error.as_deref().unwrap_or(""), "webhook");
        }
        app.store()
            .record_delivery(
                d.id,
                status,
                attempts,
                next_at,
                code,
                error.as_deref(),
                now(),
            )
            .await?;
    }
    Ok(n)
}

/// The delivery job: every second, post what is due.
pub async fn delivery_loop(app: App, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => return,
        }
        if let Err(e) = deliver_due(&app).await {
            tracing::warn!(error = %e, "webhook deliveries");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_first_retry_up_to_the_cap() {
        let cfg = WebhookConfig::default();
        let waits: Vec<i64> = (1..=12).map(|a| backoff(&cfg, a)).collect();
        assert_eq!(&waits[..5], &[30, 60, 120, 240, 480]);
        assert!(waits.iter().all(|w| *w <= MAX_BACKOFF_SECS));
        assert_eq!(waits[11], MAX_BACKOFF_SECS);
    }

    #[test]
    fn moves_in_and_out_of_published_are_the_events() {
        use broadsheet_domain::StoryStatus::*;
        assert_eq!(move_event(Draft, Published), Some("story.published"));
        assert_eq!(move_event(Scheduled, Published), Some("story.published"));
        assert_eq!(move_event(Withdrawn, Published), Some("story.published"));
        assert_eq!(move_event(Published, Withdrawn), Some("story.withdrawn"));
        assert_eq!(move_event(Draft, Submitted), None);
    }
}
