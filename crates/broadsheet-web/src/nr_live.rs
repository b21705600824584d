//! The newsroom's live page of a story, `/newsroom/stories/{id}/live`:
//! mark the story live and end it, raise and end its breaking banner, post
//! updates, and edit, pin, unpin and remove them. Every change is one form
//! post (CSRF checked by [`StaffForm`]) to `broadsheet_app::live_pages`,
//! which decides the permission; then a redirect back (works without
//! JavaScript).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use broadsheet_app::live_pages::{self, Change};
use broadsheet_app::newsroom::Staff;
use serde::Deserialize;

use crate::Web;
use crate::error::WebError;
use crate::extract::{SignedIn, StaffForm};
use crate::newsroom::{Frame, fixable, render};

pub fn routes() -> Router<Web> {
    Router::new().route(
        "/newsroom/stories/{id}/live",
        get(live_desk).post(change_live),
    )
}

struct Line {
    id: i64,
    when: String,
    body: String,
    html: String,
    pinned: bool,
    edited: bool,
}

#[derive(Template)]
#[template(path = "nr_live.html")]
struct LiveDesk {
    frame: Frame,
    d: live_pages::Desk,
    live: bool,
    ended: bool,
    lines: Vec<Line>,
}

async fn desk_page(
    web: &Web,
    staff: &Staff,
    id: i64,
    notice: &str,
    problem: &str,
    status: StatusCode,
) -> Result<Response, WebError> {
    let d = live_pages::desk(&web.app, &staff.actor(), id).await?;
    let tz = &web.app.config().time_zone;
    let lines = d
        .updates
        .iter()
        .map(|u| Line {
            id: u.id,
            when: broadsheet_domain::time::show(u.posted_at, tz).text,
            body: u.body.clone(),
            html: u.html.clone(),
            pinned: u.pinned,
            edited: u.edited_at.is_some(),
        })
        .collect();
    let page = LiveDesk {
        frame: Frame::new(web, staff, &format!("Live: {}", d.headline))
            .notice(notice)
            .problem(problem),
        live: d.state.as_ref().is_some_and(|s| s.is_live()),
        ended: d.state.as_ref().is_some_and(|s| !s.is_live()),
        lines,
        d,
    };
    render(&page, status)
}

#[derive(Deserialize)]
struct Notice {
    m: Option<String>,
}

async fn live_desk(
    State(web): State<Web>,
    Path(id): Path<i64>,
    SignedIn { staff, .. }: SignedIn,
    Query(q): Query<Notice>,
) -> Result<Response, WebError> {
    let notice = match q.m.as_deref() {
        Some("start") => "The story is live: post its first update.",
        Some("end") => "The live page has ended: it stays as a normal story with its updates.",
        Some("posted") => "Posted: open pages show it within a second.",
        Some("edited") => "Edited.",
        Some("pinned") => "Pinned to the top.",
        Some("unpinned") => "Unpinned.",
        Some("removed") => "Removed: open pages drop it within a second.",
        Some("breaking-on") => "The breaking banner is up on every page.",
        Some("breaking-off") => "The breaking banner has ended.",
        _ => "",
    };
    desk_page(&web, &staff, id, notice, "", StatusCode::OK).await
}

/// An update's id from the form, or what to do about it.
fn update_id(v: &str) -> Result<i64, String> {
    v.trim()
        .parse::<i64>()
        .map_err(|_| "Choose an update from the list.".to_string())
}

async fn change_live(
    State(web): State<Web>,
    Path(id): Path<i64>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let actor = staff.actor();
    let app = &web.app;
    let action = form.raw("do").to_string();
    let done: Result<broadsheet_app::Result<()>, String> = match action.as_str() {
        "start" => Ok(live_pages::start(app, &actor, id).await),
        "end" => Ok(live_pages::end(app, &actor, id).await),
        "breaking-on" => Ok(live_pages::set_breaking(app, &actor, id, true).await),
        "breaking-off" => Ok(live_pages::set_breaking(app, &actor, id, false).await),
        "post" => Ok(live_pages::post(app, &actor, id, form.raw("body"))
            .await
            .map(|_| ())),
        "edit" | "pin" | "unpin" | "remove" => match update_id(form.raw("update")) {
            Ok(u) => {
                let change = match action.as_str() {
                    "edit" => Change::Edit(form.raw("body").to_string()),
                    "pin" => Change::Pin(true),
                    "unpin" => Change::Pin(false),
                    _ => Change::Remove,
                };
                Ok(live_pages::change(app, &actor, u, change).await)
            }
            Err(m) => Err(m),
        },
        other => Err(format!("Unknown action {other:?}: use the page's buttons.")),
    };
    let problem = match done {
        Ok(Ok(())) => {
            tracing::info!(user = %staff.username, story = id, action = %action, "live page changed");
            let code = match action.as_str() {
                "post" => "posted",
                "edit" => "edited",
                "pin" => "pinned",
                "unpin" => "unpinned",
                "remove" => "removed",
                other => other,
            };
            return Ok(
                Redirect::to(&format!("/newsroom/stories/{id}/live?m={code}")).into_response(),
            );
        }
        Ok(Err(e)) => fixable(e)?,
        Err(m) => m,
    };
    desk_page(&web, &staff, id, "", &problem, StatusCode::BAD_REQUEST).await
}
