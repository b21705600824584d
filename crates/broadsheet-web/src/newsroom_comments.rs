//! The newsroom's comment moderation, for staff with `ModerateComments`
//! (moderators, editors, admins): `/newsroom/comments` (the pending,
//! reported, approved and rejected queues, filtered by story or reader; each
//! held comment shows the rule, score and threshold that held it; bulk
//! approve, reject, hide, remove, restore, dismiss), `/newsroom/comments/
//! settings` (on/off and its message, who may comment, closing time, the
//! new-commenter rule, the threshold, banned and suspect words),
//! `/newsroom/comments/policy` (a story's or section's policy) and
//! `/newsroom/comments/readers/{id}` (a commenter's file and sanctions).
//! Every permission is decided by `broadsheet_app::comments`.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use broadsheet_app::AppError;
use broadsheet_app::comments::{self, QueueItem};
use broadsheet_app::newsroom::Staff;
use broadsheet_domain::comments::{Move, Sanction};

use crate::Web;
use crate::error::WebError;
use crate::extract::{SignedIn, StaffForm};
use crate::newsroom::{Frame, fixable, render};

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/newsroom/comments", get(queue).post(bulk))
        .route(
            "/newsroom/comments/settings",
            get(settings).post(save_settings),
        )
        .route("/newsroom/comments/policy", post(policy))
        .route(
            "/newsroom/comments/readers/{id}",
            get(commenter).post(sanction),
        )
}

const QUEUES: [&str; 5] = ["pending", "reported", "approved", "rejected", "all"];

fn when(web: &Web, t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|ts| {
            ts.to_zoned_datetime(web.app.config().time_zone.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

pub struct Item {
    pub id: i64,
    pub author: String,
    pub reader: Option<i64>,
    pub story: i64,
    pub headline: String,
    pub when: String,
    pub reply: bool,
    pub html: String,
    pub state: String,
    pub decision: String,
    pub rule: String,
    pub score: i64,
    pub threshold: i64,
    pub reports: Vec<String>,
    /// Featured at the top of its thread (issue 12).
    pub featured: bool,
}

fn item(web: &Web, q: QueueItem) -> Item {
    let c = &q.shown.row;
    Item {
        id: c.id,
        author: c.author_name.clone(),
        reader: c.reader_id,
        story: c.story_id,
        headline: q.headline.clone(),
        when: when(web, c.created_at),
        reply: c.parent_id.is_some(),
        html: q.shown.html.clone(),
        state: q.state.clone(),
        decision: c.decision.clone(),
        rule: c.held_rule.clone(),
        score: c.held_score,
        threshold: c.held_threshold,
        featured: c.featured_at.is_some(),
        reports: q
            .reports
            .iter()
            .map(|r| format!("{}: {}", when(web, r.created_at), r.reason))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "nr_comments.html")]
struct QueuePage {
    frame: Frame,
    queues: [&'static str; 5],
    queue: String,
    story: String,
    reader: String,
    back: String,
    items: Vec<Item>,
}

fn id_filter(q: &HashMap<String, String>, k: &str) -> Result<Option<i64>, WebError> {
    match q.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| {
            WebError::BadRequest(format!("The {k} filter {s:?} is not an id: give a number."))
        }),
    }
}

async fn queue_page(
    web: &Web,
    staff: &Staff,
    q: &HashMap<String, String>,
    frame: Frame,
) -> Result<Response, WebError> {
    let queue = q
        .get("queue")
        .map(String::as_str)
        .filter(|x| QUEUES.contains(x))
        .unwrap_or("pending")
        .to_string();
    let story = id_filter(q, "story")?;
    let reader = id_filter(q, "reader")?;
    let items = comments::queue(
        &web.app,
        &staff.actor(),
        &comments::filter(&queue, story, reader, 100),
    )
    .await?;
    let back = format!(
        "queue={queue}{}{}",
        story.map(|s| format!("&story={s}")).unwrap_or_default(),
        reader.map(|r| format!("&reader={r}")).unwrap_or_default()
    );
    render(
        &QueuePage {
            frame,
            queues: QUEUES,
            story: story.map(|s| s.to_string()).unwrap_or_default(),
            reader: reader.map(|s| s.to_string()).unwrap_or_default(),
            queue,
            back,
            items: items.into_iter().map(|i| item(web, i)).collect(),
        },
        StatusCode::OK,
    )
}

async fn queue(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let notice = match q.get("m").and_then(|m| m.split_once('-')) {
        Some((done, skipped)) => {
            format!("{done} comment(s) changed; {skipped} not in a state for that action.")
        }
        None => String::new(),
    };
    let frame = Frame::new(&web, &staff, "Comments").notice(&notice);
    queue_page(&web, &staff, &q, frame).await
}

async fn bulk(
    State(web): State<Web>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let ids: Vec<i64> = form
        .map
        .iter()
        .filter(|(_, v)| v.as_str() == "1")
        .filter_map(|(k, _)| k.strip_prefix('c')?.parse().ok())
        .collect();
    let back = form.get("back");
    let back_q: HashMap<String, String> = back
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let r = match form.raw("do").parse::<Move>() {
        // Featuring is its own permission and use case (issue 12).
        _ if matches!(form.raw("do"), "feature" | "unfeature") => {
            let on = form.raw("do") == "feature";
            broadsheet_app::comment_extras::feature(&web.app, &staff.actor(), &ids, on).await
        }
        Ok(mv) => comments::moderate(&web.app, &staff.actor(), &ids, mv, &form.get("reason")).await,
        Err(e) => Err(AppError::Invalid(e)),
    };
    match r {
        Ok(m) => {
            let mut q = back_q;
            q.retain(|k, _| matches!(k.as_str(), "queue" | "story" | "reader"));
            let mut to = String::from("/newsroom/comments?");
            for k in ["queue", "story", "reader"] {
                if let Some(v) = q
                    .get(k)
                    .filter(|v| v.chars().all(|c| c.is_ascii_alphanumeric()))
                {
                    to.push_str(&format!("{k}={v}&"));
                }
            }
            to.push_str(&format!("m={}-{}", m.done, m.skipped));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            let frame = Frame::new(&web, &staff, "Comments").problem(&fixable(e)?);
            queue_page(&web, &staff, &back_q, frame).await
        }
    }
}

#[derive(Template)]
#[template(path = "nr_comment_settings.html")]
struct SettingsPage {
    frame: Frame,
    s: comments::CommentSettings,
    policies: Vec<comments::CommentPolicy>,
}

async fn settings_page(
    web: &Web,
    staff: &Staff,
    frame: Frame,
    shown: Option<comments::CommentSettings>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let s = match shown {
        Some(s) => s,
        None => comments::settings_row(&web.app, &staff.actor()).await?,
    };
    let policies = comments::policies(&web.app, &staff.actor()).await?;
    render(&SettingsPage { frame, s, policies }, status)
}

async fn settings(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let notice = match q.get("m").map(String::as_str) {
        Some("saved") => "Settings saved.",
        Some("policy") => "Policy set.",
        _ => "",
    };
    let frame = Frame::new(&web, &staff, "Comment settings").notice(notice);
    settings_page(&web, &staff, frame, None, StatusCode::OK).await
}

fn number(form: &crate::extract::Posted, k: &str, what: &str) -> Result<i64, AppError> {
    form.get(k)
        .parse()
        .map_err(|_| AppError::Invalid(format!("{what}: give a whole number.")))
}

async fn save_settings(
    State(web): State<Web>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let built = (|| -> Result<comments::CommentSettings, AppError> {
        Ok(comments::CommentSettings {
            enabled: i64::from(form.raw("enabled") == "1"),
            off_message: form.get("off_message"),
            who: form.get("who"),
            close_after_hours: number(&form, "close_after_hours", "Hours before comments close")?,
            new_commenter_holds: number(&form, "new_commenter_holds", "Comments to approve")?,
            banned_words: form.raw("banned_words").to_string(),
            suspect_words: form.raw("suspect_words").to_string(),
            hold_threshold: number(&form, "hold_threshold", "The hold threshold")?,
            default_moderation: form.get("default_moderation"),
        })
    })();
    let r = match &built {
        Ok(s) => comments::save_settings(&web.app, &staff.actor(), s).await,
        Err(e) => Err(AppError::Invalid(e.to_string())),
    };
    match r {
        Ok(()) => Ok(Redirect::to("/newsroom/comments/settings?m=saved").into_response()),
        Err(e) => {
            let frame = Frame::new(&web, &staff, "Comment settings").problem(&fixable(e)?);
            settings_page(&web, &staff, frame, built.ok(), StatusCode::BAD_REQUEST).await
        }
    }
}

async fn policy(
    State(web): State<Web>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let r = match form.get("target").parse::<i64>() {
        Ok(target_id) => {
            comments::set_policy(
                &web.app,
                &staff.actor(),
                &comments::CommentPolicy {
                    scope: form.get("scope"),
                    target_id,
                    open: form.get("open"),
                    moderation: form.get("moderation"),
                    legal: i64::from(form.raw("legal") == "1"),
                },
            )
            .await
        }
        Err(_) => Err(AppError::Invalid(
            "Give the story's or section's id as a number.".into(),
        )),
    };
    match r {
        Ok(()) => Ok(Redirect::to("/newsroom/comments/settings?m=policy").into_response()),
        Err(e) => {
            let frame = Frame::new(&web, &staff, "Comment settings").problem(&fixable(e)?);
            settings_page(&web, &staff, frame, None, StatusCode::BAD_REQUEST).await
        }
    }
}

#[derive(Template)]
#[template(path = "nr_commenter.html")]
struct CommenterPage {
    frame: Frame,
    id: i64,
    name: String,
    approved: i64,
    banned: bool,
    suspended: String,
    premod: bool,
    reason: String,
    sanctions: Vec<String>,
    comments: Vec<(String, i64, String)>,
}

async fn commenter_page(
    web: &Web,
    staff: &Staff,
    id: i64,
    frame: Frame,
    status: StatusCode,
) -> Result<Response, WebError> {
    let f = comments::commenter(&web.app, &staff.actor(), id).await?;
    let t = broadsheet_app::now();
    render(
        &CommenterPage {
            frame,
            id,
            name: f.reader.display_name.clone(),
            approved: f.standing.approved,
            banned: f.standing.banned != 0,
            suspended: if f.standing.suspended_until > t {
                when(web, f.standing.suspended_until)
            } else {
                String::new()
            },
            premod: f.standing.premod != 0,
            reason: f.standing.reason.clone(),
            sanctions: f
                .sanctions
                .iter()
                .map(|s| {
                    format!(
                        "{} {}{}: {}{}",
                        when(web, s.created_at),
                        s.kind,
                        s.until_at
                            .map(|u| format!(" until {}", when(web, u)))
                            .unwrap_or_default(),
                        s.reason,
                        if s.note.is_empty() {
                            String::new()
                        } else {
                            format!(" (note: {})", s.note)
                        }
                    )
                })
                .collect(),
            comments: f
                .comments
                .iter()
                .map(|c| {
                    (
                        c.state.clone(),
                        c.shown.row.story_id,
                        c.shown.row.body.chars().take(200).collect(),
                    )
                })
                .collect(),
        },
        status,
    )
}

async fn commenter(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let notice = if q.contains_key("m") {
        "Sanction recorded."
    } else {
        ""
    };
    let frame = Frame::new(&web, &staff, "Commenter").notice(notice);
    commenter_page(&web, &staff, id, frame, StatusCode::OK).await
}

async fn sanction(
    State(web): State<Web>,
    Path(id): Path<i64>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let r = match form.raw("kind").parse::<Sanction>() {
        Ok(kind) => {
            let hours = form.get("hours").parse().unwrap_or(0);
            comments::sanction(
                &web.app,
                &staff.actor(),
                id,
                kind,
                hours,
                &form.get("reason"),
                &form.get("note"),
            )
            .await
        }
        Err(e) => Err(AppError::Invalid(e)),
    };
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/newsroom/comments/readers/{id}?m=1")).into_response()),
        Err(e) => {
            let frame = Frame::new(&web, &staff, "Commenter").problem(&fixable(e)?);
            commenter_page(&web, &staff, id, frame, StatusCode::BAD_REQUEST).await
        }
    }
}
