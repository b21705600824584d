//! The newsroom's front-page curation under `/newsroom/fronts`: the list of
//! fronts (the home page and every section), and one front's slots (lead
//! and top slots, as readers see them now) with a search of its published
//! stories to place from. Every change is one form post (CSRF checked by
//! [`StaffForm`]) to `broadsheet_app::curation::arrange`, which decides the
//! permission; then a redirect back (works without JavaScript).

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use broadsheet_app::curation::{self, Change};
use broadsheet_app::newsroom::Staff;

use crate::Web;
use crate::error::WebError;
use crate::extract::{SignedIn, StaffForm};
use crate::newsroom::{Frame, fixable, parse_local, render};

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/newsroom/fronts", get(fronts))
        .route("/newsroom/fronts/{front}", get(front).post(change_front))
}

#[derive(Template)]
#[template(path = "nr_fronts.html")]
struct FrontsPage {
    frame: Frame,
    fronts: Vec<curation::FrontName>,
}

async fn fronts(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
) -> Result<Response, WebError> {
    let fronts = curation::fronts(&web.app, &staff.actor())?;
    render(
        &FrontsPage {
            frame: Frame::new(&web, &staff, "Fronts"),
            fronts,
        },
        StatusCode::OK,
    )
}

struct SlotLine {
    position: i64,
    label: String,
    headline: String,
    url: String,
    arranged: bool,
    pinned: String,
    left: String,
}

struct ResultLine {
    id: i64,
    headline: String,
    url: String,
    when: String,
}

#[derive(Template)]
#[template(path = "nr_front.html")]
struct FrontPage {
    frame: Frame,
    id: i64,
    name: String,
    reader_url: String,
    slots: Vec<SlotLine>,
    results: Vec<ResultLine>,
    q: String,
    zone: String,
}

fn slot_label(position: i64) -> String {
    if position == 0 {
        "Lead".into()
    } else {
        format!("Top {position}")
    }
}

async fn front_page(
    web: &Web,
    staff: &Staff,
    front: i64,
    q: &str,
    notice: &str,
    problem: &str,
    status: StatusCode,
) -> Result<Response, WebError> {
    let d = curation::front_desk(&web.app, &staff.actor(), front, q).await?;
    let sections = web.app.sections();
    let when = |t: i64| broadsheet_domain::time::show(t, &web.app.config().time_zone).text;
    let reader_url = if front == curation::HOME {
        "/".to_string()
    } else {
        format!("/{}", sections.path(front))
    };
    let page = FrontPage {
        frame: Frame::new(web, staff, &format!("Front: {}", d.name))
            .notice(notice)
            .problem(problem),
        id: d.id,
        name: d.name,
        reader_url,
        slots: d
            .slots
            .into_iter()
            .map(|s| SlotLine {
                position: s.position,
                label: slot_label(s.position),
                headline: s
                    .card
                    .as_ref()
                    .map(|c| c.headline.clone())
                    .unwrap_or_default(),
                url: s
                    .card
                    .as_ref()
                    .map(|c| crate::view::story_url(&sections, c))
                    .unwrap_or_default(),
                arranged: s.arranged,
                pinned: s.pinned_until.map(when).unwrap_or_default(),
                left: s
                    .left
                    .map(|id| format!("story {id} left this slot (no longer published here)"))
                    .unwrap_or_default(),
            })
            .collect(),
        results: d
            .results
            .iter()
            .map(|c| ResultLine {
                id: c.id,
                headline: c.headline.clone(),
                url: crate::view::story_url(&sections, c),
                when: when(c.published_at),
            })
            .collect(),
        q: d.q,
        zone: web.app.config().time_zone_name.clone(),
    };
    render(&page, status)
}

async fn front(
    State(web): State<Web>,
    Path(front): Path<i64>,
    SignedIn { staff, .. }: SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let notice = match q.get("m").map(String::as_str) {
        Some("placed") => "Placed: readers see it now.",
        Some("breaking") => "It leads now, flagged as breaking news.",
        Some("removed") => "Slot emptied: the newest story fills it.",
        Some("moved") => "Moved.",
        _ => "",
    };
    let search = q.get("q").map(String::as_str).unwrap_or("");
    front_page(&web, &staff, front, search, notice, "", StatusCode::OK).await
}

/// A whole number from the form, or what to do about it.
fn number(v: &str, what: &str) -> Result<i64, String> {
    v.trim()
        .parse::<i64>()
        .map_err(|_| format!("Choose {what} from the list."))
}

async fn change_front(
    State(web): State<Web>,
    Path(front): Path<i64>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let until = match parse_local(&web, form.raw("until")) {
        Ok(u) => u,
        Err(WebError::BadRequest(m)) => {
            let m = m.replace("publish time", "pin's end");
            return front_page(&web, &staff, front, "", "", &m, StatusCode::BAD_REQUEST).await;
        }
        Err(e) => return Err(e),
    };
    let position = number(form.raw("position"), "a slot");
    let story = number(form.raw("story"), "a story");
    let parsed: Result<(Change, &str), String> = match form.raw("do") {
        "place" => story.and_then(|story| {
            position.map(|position| {
                (
                    Change::Place {
                        story,
                        position,
                        until,
                    },
                    "placed",
                )
            })
        }),
        "breaking" => story.map(|story| (Change::Breaking { story, until }, "breaking")),
        "remove" => position.map(|position| (Change::Remove { position }, "removed")),
        "up" | "down" => position.map(|position| {
            (
                Change::Move {
                    position,
                    up: form.raw("do") == "up",
                },
                "moved",
            )
        }),
        other => Err(format!("Unknown action {other:?}: use the page's buttons.")),
    };
    let problem = match parsed {
        Ok((change, code)) => {
            match curation::arrange(&web.app, &staff.actor(), front, change).await {
                Ok(()) => {
                    tracing::info!(user = %staff.username, front, ?change, "front arranged");
                    return Ok(
                        Redirect::to(&format!("/newsroom/fronts/{front}?m={code}")).into_response()
                    );
                }
                Err(e) => fixable(e)?,
            }
        }
        Err(m) => m,
    };
    front_page(
        &web,
        &staff,
        front,
        "",
        "",
        &problem,
        StatusCode::BAD_REQUEST,
    )
    .await
}
