//! Wire ingest's web doors (issue 14): the agencies' push endpoint,
//! `POST /wire/<agency>` (`Authorization: Bearer <the agency's token>`, the
//! file as the body; JSON answers), the newsroom's wire queue
//! (`/newsroom/wire`: items waiting, filtered by agency, urgency and
//! subject, opened as drafts; versions held for the desk; what the
//! agencies did lately; quarantined files with their reasons) and the
//! agencies' set-up (`/newsroom/agencies`: admins set them up, editors edit
//! their rules). Every decision is `broadsheet_app::wire`'s.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use broadsheet_app::AppError;
use broadsheet_app::newsroom::Staff;
use broadsheet_app::wire::{self, FileOutcome, Source};
use broadsheet_app::wire::{AgencyFields, WireFilter, WireItemRow};
use serde::Deserialize;

use crate::Web;
use crate::api::{Code, error};
use crate::error::WebError;
use crate::extract::{SignedIn, StaffForm};
use crate::newsroom::{Frame, fixable, render};

pub fn routes() -> Router<Web> {
    Router::new()
        .route(
            "/wire/{agency}",
            post(push).layer(axum::extract::DefaultBodyLimit::max(
                broadsheet_domain::wire::MAX_BYTES,
            )),
        )
        .route("/newsroom/wire", get(queue_page).post(queue_change))
        .route("/newsroom/wire/quarantine/{id}", get(quarantined))
        .route(
            "/newsroom/agencies",
            get(agencies_page).post(agencies_change),
        )
}

// ----- push -------------------------------------------------------------------

fn unauthorized(message: &str) -> Response {
    let mut r = error(Code::Unauthorized, message);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"wire\""),
    );
    r
}

/// An agency pushes one file (ninjs or NewsML-G2) as the request body.
async fn push(
    State(web): State<Web>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    let Some(token) = token else {
        return unauthorized(
            "Send the agency's push token: Authorization: Bearer <token>. The paper's admin makes one in the newsroom (Agencies).",
        );
    };
    let agency = match wire::agency_for_push(&web.app, &slug, token).await {
        Ok(a) => a,
        Err(AppError::Forbidden(m)) => return unauthorized(&m),
        Err(e) => return crate::api_admin::app_error(e),
    };
    let body = match body {
        Ok(b) => b,
        Err(_) => {
            return error(
                Code::BadBody,
                format!(
                    "The file is larger than {} bytes, the limit for an agency file, or was cut off: send text items of a few KB, and pictures by reference.",
                    broadsheet_domain::wire::MAX_BYTES
                ),
            );
        }
    };
    let name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(|n| {
            n.chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect::<String>()
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("push-{}", broadsheet_app::now()));
    let src = Source {
        transport: "push",
        name: &name,
        dir: None,
    };
    match wire::ingest_file(&web.app, &agency, &src, &body).await {
        Ok(FileOutcome::Read(items)) => {
            let items: Vec<serde_json::Value> = items
                .iter()
                .map(|o| {
                    serde_json::json!({
                        "item": o.item,
                        "version": o.version,
                        "result": o.result,
                        "story": o.story,
                        "detail": o.detail,
                    })
                })
                .collect();
            let mut r =
                axum::Json(serde_json::json!({ "file": name, "items": items })).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Ok(FileOutcome::Quarantined { id, reason }) => error(
            Code::Invalid,
            format!(
                "The file could not be read: {reason}. It is kept in the paper's quarantine (number {id}); send a corrected file."
            ),
        ),
        Err(e) => crate::api_admin::app_error(e),
    }
}

// ----- the wire queue ----------------------------------------------------------------

struct ItemLine {
    id: i64,
    agency: String,
    headline: String,
    standfirst: String,
    urgency: String,
    breaking: bool,
    subjects: String,
    received: String,
    embargo: String,
    notes: Vec<String>,
    status: String,
    version: i64,
    story: Option<i64>,
}

struct AlertLine {
    id: i64,
    agency: String,
    name: String,
    transport: String,
    reason: String,
    size: i64,
    received: String,
}

#[derive(Template)]
#[template(path = "nr_wire.html")]
struct QueuePage {
    frame: Frame,
    waiting: Vec<ItemLine>,
    held: Vec<ItemLine>,
    recent: Vec<ItemLine>,
    alerts: Vec<AlertLine>,
    may_dismiss: bool,
    agencies: Vec<(i64, String)>,
    agency: i64,
    urgency: String,
    subject: String,
}

#[derive(Debug, Default, Deserialize)]
struct QueueQuery {
    #[serde(default)]
    agency: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    subject: String,
}

fn when(web: &Web, t: i64) -> String {
    broadsheet_domain::time::show(t, &web.app.config().time_zone).text
}

fn line(web: &Web, names: &std::collections::HashMap<i64, String>, r: WireItemRow) -> ItemLine {
    let c = r.content;
    ItemLine {
        id: r.id,
        agency: names.get(&r.agency_id).cloned().unwrap_or_default(),
        headline: c.headline,
        standfirst: c.standfirst,
        urgency: c.urgency.map(|u| u.to_string()).unwrap_or_default(),
        breaking: c.breaking,
        subjects: c.subjects.lines().collect::<Vec<_>>().join(", "),
        received: when(web, r.updated_at),
        embargo: c
            .embargo
            .filter(|e| *e > broadsheet_app::now())
            .map(|e| when(web, e))
            .unwrap_or_default(),
        notes: c.notes.lines().map(str::to_string).collect(),
        status: r.status,
        version: c.version,
        story: r.story_id,
    }
}

async fn queue_view(
    web: &Web,
    staff: &Staff,
    q: &QueueQuery,
    frame: Frame,
    status: StatusCode,
) -> Result<Response, WebError> {
    let agency: i64 = q.agency.trim().parse().unwrap_or(0);
    let urgency: Option<i64> = q
        .urgency
        .trim()
        .parse()
        .ok()
        .filter(|u| (1..=9).contains(u));
    let subject = q.subject.trim();
    let filter = WireFilter {
        agency_id: (agency > 0).then_some(agency),
        max_urgency: urgency,
        subject: (!subject.is_empty()).then(|| subject.to_string()),
        limit: 100,
    };
    let actor = staff.actor();
    let qd = wire::queue(&web.app, &actor, &filter).await?;
    let names: std::collections::HashMap<i64, String> =
        qd.agencies.iter().map(|a| (a.id, a.name.clone())).collect();
    render(
        &QueuePage {
            frame,
            waiting: qd
                .waiting
                .into_iter()
                .map(|r| line(web, &names, r))
                .collect(),
            held: qd.held.into_iter().map(|r| line(web, &names, r)).collect(),
            recent: qd
                .recent
                .into_iter()
                .take(30)
                .map(|r| line(web, &names, r))
                .collect(),
            alerts: qd
                .quarantined
                .into_iter()
                .map(|a| AlertLine {
                    id: a.id,
                    agency: a
                        .agency_id
                        .and_then(|i| names.get(&i).cloned())
                        .unwrap_or_default(),
                    name: a.name,
                    transport: a.transport,
                    reason: a.reason,
                    size: a.size,
                    received: when(web, a.received_at),
                })
                .collect(),
            may_dismiss: actor.allows(broadsheet_domain::permissions::Action::EditWireRules),
            agencies: qd.agencies.iter().map(|a| (a.id, a.name.clone())).collect(),
            agency,
            urgency: urgency.map(|u| u.to_string()).unwrap_or_default(),
            subject: subject.to_string(),
        },
        status,
    )
}

async fn queue_page(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
    Query(q): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let frame = Frame::new(&web, &staff, "Wire");
    queue_view(&web, &staff, &q, frame, StatusCode::OK).await
}

async fn queue_change(
    State(web): State<Web>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let actor = staff.actor();
    let id: i64 = form.get("item").parse().unwrap_or(0);
    let r = match form.raw("do") {
        "take" => wire::take(&web.app, &actor, id)
            .await
            .map(|story| format!("/newsroom/stories/{story}")),
        "dismiss" => wire::dismiss(&web.app, &actor, id)
            .await
            .map(|()| "/newsroom/wire".to_string()),
        _ => Err(AppError::Invalid(
            "Unknown change: use the page's buttons.".into(),
        )),
    };
    match r {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(e) => {
            let frame = Frame::new(&web, &staff, "Wire").problem(&fixable(e)?);
            queue_view(
                &web,
                &staff,
                &QueueQuery::default(),
                frame,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

/// A quarantined file as received, to read why it failed (never rendered).
async fn quarantined(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let (name, bytes) = wire::quarantined_file(&web.app, &staff.actor(), id).await?;
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"quarantined-{id}-{safe}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

// ----- agencies --------------------------------------------------------------------

struct AgencyLine {
    id: i64,
    slug: String,
    name: String,
    byline: String,
    credit: String,
    section_id: i64,
    section: String,
    mode: String,
    rules: String,
    push: bool,
    active: bool,
}

#[derive(Template)]
#[template(path = "nr_agencies.html")]
struct AgenciesPage {
    frame: Frame,
    lines: Vec<AgencyLine>,
    sections: Vec<(i64, String)>,
    modes: Vec<(&'static str, &'static str)>,
    may_manage: bool,
    token: Option<(String, String)>,
    drop_dir: String,
}

async fn agencies_view(
    web: &Web,
    staff: &Staff,
    frame: Frame,
    token: Option<(String, String)>,
    status: StatusCode,
) -> Result<Response, WebError> {
    use broadsheet_domain::permissions::Action;
    let actor = staff.actor();
    let sections = web.app.sections();
    let lines = wire::agencies(&web.app, &actor)
        .await?
        .into_iter()
        .map(|a| AgencyLine {
            id: a.id,
            section: sections.path(a.section_id).to_string(),
            slug: a.slug,
            name: a.name,
            byline: a.byline,
            credit: a.credit,
            section_id: a.section_id,
            mode: a.mode,
            rules: a.rules,
            push: a.token_hash.is_some(),
            active: a.active,
        })
        .collect();
    render(
        &AgenciesPage {
            frame,
            lines,
            sections: sections
                .all()
                .iter()
                .map(|s| (s.id, sections.path(s.id).to_string()))
                .collect(),
            modes: wire::MODES.to_vec(),
            may_manage: actor.allows(Action::ManageAgencies),
            token,
            drop_dir: web
                .app
                .config()
                .wire
                .dir
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
        },
        status,
    )
}

async fn agencies_page(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
) -> Result<Response, WebError> {
    let frame = Frame::new(&web, &staff, "Agencies");
    agencies_view(&web, &staff, frame, None, StatusCode::OK).await
}

async fn agencies_change(
    State(web): State<Web>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let actor = staff.actor();
    let id: i64 = form.get("agency").parse().unwrap_or(0);
    let fields = || AgencyFields {
        slug: form.get("slug").to_lowercase(),
        name: form.get("name"),
        byline: form.get("byline"),
        credit: form.get("credit"),
        section_id: form.get("section").parse().unwrap_or(0),
        mode: form.get("mode"),
        active: form.raw("active") != "paused",
    };
    let r = match form.raw("do") {
        "add" => wire::add_agency(&web.app, &actor, &fields())
            .await
            .map(|_| None),
        "update" => wire::update_agency(&web.app, &actor, id, &fields())
            .await
            .map(|()| None),
        "rules" => wire::set_rules(&web.app, &actor, id, form.raw("rules"))
            .await
            .map(|()| None),
        "token" => wire::new_token(&web.app, &actor, id).await.map(|t| {
            let slug = form.get("slug");
            Some((slug, t))
        }),
        _ => Err(AppError::Invalid(
            "Unknown change: use the page's buttons.".into(),
        )),
    };
    match r {
        Ok(None) => Ok(Redirect::to("/newsroom/agencies").into_response()),
        Ok(Some(token)) => {
            let frame = Frame::new(&web, &staff, "Agencies")
                .notice("A new push token was made. Copy it now: it is not shown again.");
            agencies_view(&web, &staff, frame, Some(token), StatusCode::OK).await
        }
        Err(e) => {
            let frame = Frame::new(&web, &staff, "Agencies").problem(&fixable(e)?);
            agencies_view(&web, &staff, frame, None, StatusCode::BAD_REQUEST).await
        }
    }
}
