//! `POST /webhooks/stripe`: the payment provider's events. The raw body and
//! the `Stripe-Signature` header go to `subscriptions::receive_webhook`,
//! which checks the signature before reading anything. Answers are plain
//! text for the provider's dashboard: 200 for anything accepted (applied,
//! a duplicate, an unknown type, a stale event), 400 for a bad signature or
//! an unreadable event (nothing written), 404 when payments are not set up,
//! 500 (the provider retries) for failures on our side, logged.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use broadsheet_app::subscriptions::{self, WebhookError};

use crate::Web;

/// Largest webhook body accepted (Stripe's events are a few kilobytes).
pub const MAX_WEBHOOK_BYTES: usize = 256 << 10;

pub fn routes() -> Router<Web> {
    Router::new().route("/webhooks/stripe", post(stripe))
}

fn text(status: StatusCode, body: &str) -> Response {
    let mut r = (status, body.to_string()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn stripe(State(web): State<Web>, headers: HeaderMap, body: Bytes) -> Response {
    let sig = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    match subscriptions::receive_webhook(&web.app, sig, &body).await {
        Ok(outcome) => text(StatusCode::OK, outcome.as_str()),
        Err(WebhookError::NotConfigured) => {
            text(StatusCode::NOT_FOUND, "payments are not set up here")
        }
        Err(WebhookError::Signature(e)) => {
            tracing::warn!(error = %e, "webhook refused: signature");
            text(StatusCode::BAD_REQUEST, "signature refused")
        }
        Err(WebhookError::Malformed(m)) => {
            tracing::warn!(error = %m, "webhook refused: unreadable event");
            text(StatusCode::BAD_REQUEST, "unreadable event")
        }
        Err(WebhookError::Internal(m)) => {
            tracing::error!(error = %m, "webhook failed");
            text(StatusCode::INTERNAL_SERVER_ERROR, "failed; retry later")
        }
    }
}
