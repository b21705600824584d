//! The newsroom's Admin API pages: `/newsroom/api-tokens` (every member of
//! staff issues and revokes their own tokens; an admin sees and revokes
//! everyone's) and `/newsroom/webhooks` (admins: endpoints, their events,
//! on/off, and the delivery log). A new token or signing secret is shown
//! once, on the page the form's post answers with. Every decision is the
//! app layer's (`broadsheet_app::admin_api`, `broadsheet_app::webhooks`).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use broadsheet_app::AppError;
use broadsheet_app::admin_api::{self, SCOPES};
use broadsheet_app::newsroom::Staff;
use broadsheet_app::webhooks::{self, EVENTS};

use crate::Web;
use crate::error::WebError;
use crate::extract::{SignedIn, StaffForm};
use crate::newsroom::{Frame, fixable, render};

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/newsroom/api-tokens", get(tokens).post(change_tokens))
        .route("/newsroom/webhooks", get(hooks).post(change_hooks))
}

struct TokenLine {
    id: i64,
    name: String,
    holder: String,
    scopes: String,
    created: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "nr_api_tokens.html")]
struct TokensPage {
    frame: Frame,
    lines: Vec<TokenLine>,
    everyone: bool,
    /// A token just issued: shown this once.
    fresh: String,
    scopes: Vec<(&'static str, &'static str)>,
}

fn when(web: &Web, t: i64) -> String {
    broadsheet_domain::time::show(t, &web.app.config().time_zone).text
}

async fn tokens_page(
    web: &Web,
    staff: &Staff,
    frame: Frame,
    fresh: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let actor = staff.actor();
    let rows = admin_api::tokens(&web.app, &actor).await?;
    let lines = rows
        .into_iter()
        .map(|r| TokenLine {
            id: r.id,
            name: r.name,
            holder: r.author_name,
            scopes: r.scopes,
            created: when(web, r.created_at),
            last_used: r
                .last_used_at
                .map(|t| when(web, t))
                .unwrap_or_else(|| "never".into()),
            revoked: r.revoked_at.is_some(),
        })
        .collect();
    render(
        &TokensPage {
            frame,
            lines,
            everyone: admin_api::sees_all(&actor),
            fresh,
            scopes: SCOPES.iter().map(|(_, n, d)| (*n, *d)).collect(),
        },
        status,
    )
}

async fn tokens(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
) -> Result<Response, WebError> {
    let frame = Frame::new(&web, &staff, "API tokens");
    tokens_page(&web, &staff, frame, String::new(), StatusCode::OK).await
}

async fn change_tokens(
    State(web): State<Web>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let actor = staff.actor();
    let r = match form.raw("do") {
        "issue" => {
            let chosen: Vec<String> = SCOPES
                .iter()
                .filter(|(_, n, _)| form.raw(&format!("scope_{n}")) == "1")
                .map(|(_, n, _)| n.to_string())
                .collect();
            admin_api::issue(&web.app, &actor, &form.get("name"), &chosen)
                .await
                .map(|(_, token)| token)
        }
        "revoke" => {
            let id = form.get("token").parse().unwrap_or(0);
            admin_api::revoke(&web.app, &actor, id)
                .await
                .map(|()| String::new())
        }
        _ => Err(AppError::Invalid(
            "Unknown change: use the page's buttons.".into(),
        )),
    };
    match r {
        Ok(token) if !token.is_empty() => {
            let frame = Frame::new(&web, &staff, "API tokens")
                .notice("Token issued. Copy it now: it is not shown again.");
            tokens_page(&web, &staff, frame, token, StatusCode::OK).await
        }
        Ok(_) => Ok(Redirect::to("/newsroom/api-tokens").into_response()),
        Err(e) => {
            let frame = Frame::new(&web, &staff, "API tokens").problem(&fixable(e)?);
            tokens_page(&web, &staff, frame, String::new(), StatusCode::BAD_REQUEST).await
        }
    }
}

struct HookLine {
    id: i64,
    url: String,
    events: String,
    active: bool,
    created: String,
}

struct DeliveryLine {
    id: i64,
    webhook_id: i64,
    event: String,
    story_id: String,
    status: String,
    attempts: i64,
    code: String,
    error: String,
    created: String,
    next: String,
}

#[derive(Template)]
#[template(path = "nr_webhooks.html")]
struct HooksPage {
    frame: Frame,
    hooks: Vec<HookLine>,
    log: Vec<DeliveryLine>,
    /// A signing secret just made: shown this once.
    fresh: String,
    events: Vec<(&'static str, &'static str)>,
    url: String,
}

async fn hooks_page(
    web: &Web,
    staff: &Staff,
    frame: Frame,
    fresh: String,
    url: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let (hooks, log) = webhooks::overview(&web.app, &staff.actor()).await?;
    render(
        &HooksPage {
            frame,
            hooks: hooks
                .into_iter()
                .map(|h| HookLine {
                    id: h.id,
                    url: h.url,
                    events: h.events,
                    active: h.active,
                    created: when(web, h.created_at),
                })
                .collect(),
            log: log
                .into_iter()
                .map(|d| DeliveryLine {
                    id: d.id,
                    webhook_id: d.webhook_id,
                    event: d.event,
                    story_id: d.story_id.map(|s| s.to_string()).unwrap_or_default(),
                    next: if d.status == "pending" {
                        when(web, d.next_at)
                    } else {
                        String::new()
                    },
                    status: d.status,
                    attempts: d.attempts,
                    code: d.last_code.map(|c| c.to_string()).unwrap_or_default(),
                    error: d.last_error.unwrap_or_default(),
                    created: when(web, d.created_at),
                })
                .collect(),
            fresh,
            events: EVENTS.to_vec(),
            url,
        },
        status,
    )
}

async fn hooks(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
) -> Result<Response, WebError> {
    let frame = Frame::new(&web, &staff, "Webhooks");
    hooks_page(
        &web,
        &staff,
        frame,
        String::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

async fn change_hooks(
    State(web): State<Web>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let actor = staff.actor();
    let id = form.get("webhook").parse().unwrap_or(0);
    let r = match form.raw("do") {
        "add" => {
            let chosen: Vec<String> = EVENTS
                .iter()
                .filter(|(n, _)| form.raw(&format!("event_{n}")) == "1")
                .map(|(n, _)| n.to_string())
                .collect();
            webhooks::add(&web.app, &actor, &form.get("url"), &chosen)
                .await
                .map(|(_, secret)| secret)
        }
        "on" => webhooks::set_active(&web.app, &actor, id, true)
            .await
            .map(|()| String::new()),
        "off" => webhooks::set_active(&web.app, &actor, id, false)
            .await
            .map(|()| String::new()),
        "remove" => webhooks::remove(&web.app, &actor, id)
            .await
            .map(|()| String::new()),
        _ => Err(AppError::Invalid(
            "Unknown change: use the page's buttons.".into(),
        )),
    };
    match r {
        Ok(secret) if !secret.is_empty() => {
            let frame = Frame::new(&web, &staff, "Webhooks")
                .notice("Webhook added. Copy its signing secret now: it is not shown again.");
            hooks_page(&web, &staff, frame, secret, String::new(), StatusCode::OK).await
        }
        Ok(_) => Ok(Redirect::to("/newsroom/webhooks").into_response()),
        Err(e) => {
            let frame = Frame::new(&web, &staff, "Webhooks").problem(&fixable(e)?);
            hooks_page(
                &web,
                &staff,
                frame,
                String::new(),
                form.get("url"),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}
