//! The newsroom's newsletters page, `/newsroom/newsletters` (editors and
//! admins: `ManageNewsletters`): the newsletters with their readers, adding
//! and pausing one, each recent issue's figures (sent, failed, opens and
//! clicks in total), the suppression list, and a preview of the next issue
//! as a subscriber and as a reader who is not one
//! (`/newsroom/newsletters/<id>/preview`). Every decision is
//! `broadsheet_app::newsletters`'.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use broadsheet_app::AppError;
use broadsheet_app::newsletters::{self, Item};
use broadsheet_app::newsroom::Staff;
use broadsheet_domain::newsletters::Kind;
use serde::Deserialize;

use crate::Web;
use crate::error::WebError;
use crate::extract::{SignedIn, StaffForm};
use crate::newsroom::{Frame, fixable, render};

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/newsroom/newsletters", get(page).post(change))
        .route("/newsroom/newsletters/{id}/preview", get(preview))
}

struct NlLine {
    id: i64,
    name: String,
    kind: &'static str,
    covers: String,
    hour: i64,
    active: bool,
    readers: i64,
    pending: i64,
}

struct IssueLine {
    id: i64,
    newsletter: String,
    period: String,
    status: String,
    subject: String,
    recipients: i64,
    sent: i64,
    failed: i64,
    waiting: i64,
    not_sent: i64,
    opens: i64,
    clicks: i64,
}

struct SuppressedLine {
    email: String,
    reason: String,
    detail: String,
    added: String,
}

#[derive(Template)]
#[template(path = "nr_newsletters.html")]
struct NewslettersPage {
    frame: Frame,
    lines: Vec<NlLine>,
    issues: Vec<IssueLine>,
    suppressed: Vec<SuppressedLine>,
    kinds: Vec<(&'static str, &'static str)>,
}

fn when(web: &Web, t: i64) -> String {
    broadsheet_domain::time::show(t, &web.app.config().time_zone).text
}

async fn overview_page(
    web: &Web,
    staff: &Staff,
    frame: Frame,
    status: StatusCode,
) -> Result<Response, WebError> {
    let o = newsletters::overview(&web.app, &staff.actor()).await?;
    let names: std::collections::HashMap<i64, String> = o
        .lines
        .iter()
        .map(|l| (l.newsletter.id, l.newsletter.name.clone()))
        .collect();
    render(
        &NewslettersPage {
            frame,
            lines: o
                .lines
                .into_iter()
                .map(|l| NlLine {
                    id: l.newsletter.id,
                    kind: Kind::parse(&l.newsletter.kind)
                        .map(Kind::as_str)
                        .unwrap_or("?"),
                    name: l.newsletter.name,
                    covers: l.covers,
                    hour: l.newsletter.send_hour,
                    active: l.newsletter.active,
                    readers: l.active_readers,
                    pending: l.pending_readers,
                })
                .collect(),
            issues: o
                .issues
                .into_iter()
                .map(|i| IssueLine {
                    id: i.id,
                    newsletter: names.get(&i.newsletter_id).cloned().unwrap_or_default(),
                    period: i.period,
                    status: i.status,
                    subject: i.subject,
                    recipients: i.recipients,
                    sent: i.sent,
                    failed: i.failed,
                    waiting: i.waiting,
                    not_sent: i.not_sent,
                    opens: i.opens,
                    clicks: i.clicks,
                })
                .collect(),
            suppressed: o
                .suppressions
                .into_iter()
                .map(|s| SuppressedLine {
                    email: s.email,
                    reason: s.reason,
                    detail: s.detail,
                    added: when(web, s.created_at),
                })
                .collect(),
            kinds: Kind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
        },
        status,
    )
}

async fn page(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
) -> Result<Response, WebError> {
    let frame = Frame::new(&web, &staff, "Newsletters");
    overview_page(&web, &staff, frame, StatusCode::OK).await
}

async fn change(
    State(web): State<Web>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let actor = staff.actor();
    let id = form.get("newsletter").parse().unwrap_or(0);
    let r = match form.raw("do") {
        "add" => {
            let hour = form.get("hour");
            match hour.parse::<i64>() {
                Ok(h) => newsletters::add(
                    &web.app,
                    &actor,
                    &form.get("name"),
                    form.raw("kind"),
                    &form.get("target"),
                    h,
                    &form.get("description"),
                )
                .await
                .map(|_| ()),
                Err(_) => Err(AppError::Invalid(format!(
                    "The send hour {hour:?} is not a whole number: use 0 to 23 (the paper's time)."
                ))),
            }
        }
        "pause" => newsletters::set_active(&web.app, &actor, id, false).await,
        "resume" => newsletters::set_active(&web.app, &actor, id, true).await,
        "suppress" => {
            newsletters::suppress(&web.app, &actor, &form.get("email"), form.raw("reason")).await
        }
        "unsuppress" => newsletters::unsuppress(&web.app, &actor, &form.get("email")).await,
        _ => Err(AppError::Invalid(
            "Unknown change: use the page's buttons.".into(),
        )),
    };
    match r {
        Ok(()) => Ok(Redirect::to("/newsroom/newsletters").into_response()),
        Err(e) => {
            let frame = Frame::new(&web, &staff, "Newsletters").problem(&fixable(e)?);
            overview_page(&web, &staff, frame, StatusCode::BAD_REQUEST).await
        }
    }
}

#[derive(Template)]
#[template(path = "nr_newsletter_preview.html")]
struct PreviewPage {
    frame: Frame,
    id: i64,
    name: String,
    subscriber: bool,
    subject: String,
    items: Vec<Item>,
    text: String,
    empty: bool,
    from: String,
    to: String,
}

#[derive(Deserialize)]
struct PreviewQuery {
    /// `subscriber` (default) or `reader`.
    r#as: Option<String>,
}

async fn preview(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<PreviewQuery>,
) -> Result<Response, WebError> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(WebError::NotFound);
    };
    let subscriber = q.r#as.as_deref() != Some("reader");
    let p = newsletters::preview(&web.app, &staff.actor(), id, subscriber).await?;
    let frame = Frame::new(&web, &staff, &format!("Preview: {}", p.newsletter.name));
    render(
        &PreviewPage {
            frame,
            id,
            name: p.newsletter.name,
            subscriber,
            subject: p.rendered.subject,
            items: p.rendered.items,
            text: p.rendered.text,
            empty: p.empty,
            from: when(&web, p.window.0),
            to: when(&web, p.window.1),
        },
        StatusCode::OK,
    )
}
