//! The newsroom under `/newsroom`: sign-in, the dashboard and the story
//! editor. Pages are never cached (`no-store`); every form carries the
//! session's CSRF token; every check is made by the app layer's permission
//! table, not here.

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use broadsheet_app::newsroom::{self, SignInError, Staff};
use broadsheet_domain::permissions::{self, Action};
use broadsheet_domain::{Access, Story, StoryStatus};
use broadsheet_store::{Saved, StoryEdit};

use crate::Web;
use crate::error::WebError;

const SESSION_COOKIE: &str = "bs_staff";
const SIGNIN_CSRF_COOKIE: &str = "bs_signin";

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn set_cookie(web: &Web, name: &str, value: &str, path: &str, max_age: i64) -> HeaderValue {
    let secure = if web.hsts { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or(HeaderValue::from_static("x=; Max-Age=0"))
}

fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn current(web: &Web, headers: &HeaderMap) -> Result<Option<(Staff, String)>, WebError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(newsroom::session(&web.app, token)
        .await?
        .map(|s| (s, token.to_string())))
}

/// The signed-in staff member, or a redirect to sign in.
async fn require(web: &Web, headers: &HeaderMap) -> Result<(Staff, String), Response> {
    match current(web, headers).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(Redirect::to("/newsroom/sign-in").into_response()),
        Err(e) => Err(e.into_response()),
    }
}

fn check_csrf(staff: &Staff, form: &HashMap<String, String>) -> Result<(), WebError> {
    match form.get("csrf") {
        Some(t) if !t.is_empty() && *t == staff.csrf => Ok(()),
        _ => Err(WebError::Forbidden(
            "This form has expired or did not come from the newsroom. Reload the page and try again.".into(),
        )),
    }
}

// ----- sign-in -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "nr_sign_in.html")]
struct SignInPage {
    title: String,
    paper: String,
    staff: Option<Staff>,
    notice: String,
    problem: String,
    csrf: String,
    username: String,
}

fn sign_in_page(web: &Web, status: StatusCode, problem: &str, username: &str) -> Response {
    let csrf = newsroom::random_token();
    let page = SignInPage {
        title: "Sign in".into(),
        paper: web.app.config().name.clone(),
        staff: None,
        notice: String::new(),
        problem: problem.to_string(),
        csrf: csrf.clone(),
        username: username.to_string(),
    };
    match page.render() {
        Ok(body) => {
            let mut r = html(status, body);
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(web, SIGNIN_CSRF_COOKIE, &csrf, "/newsroom", 3600),
            );
            r
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

pub async fn sign_in_form(State(web): State<Web>, headers: HeaderMap) -> Response {
    if let Ok(Some(_)) = current(&web, &headers).await {
        return Redirect::to("/newsroom").into_response();
    }
    sign_in_page(&web, StatusCode::OK, "", "")
}

pub async fn sign_in(State(web): State<Web>, req: Request) -> Response {
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let headers = req.headers().clone();
    let Form(form): Form<HashMap<String, String>> = match Form::from_request(req, &()).await {
        Ok(f) => f,
        Err(_) => {
            return sign_in_page(
                &web,
                StatusCode::BAD_REQUEST,
                "The form could not be read. Try again.",
                "",
            );
        }
    };
    let username = form.get("username").map(String::as_str).unwrap_or("");
    let password = form.get("password").map(String::as_str).unwrap_or("");
    let expected = cookie(&headers, SIGNIN_CSRF_COOKIE).unwrap_or("");
    if expected.is_empty() || form.get("csrf").map(String::as_str) != Some(expected) {
        return sign_in_page(
            &web,
            StatusCode::FORBIDDEN,
            "This form has expired. It has been refreshed: sign in again.",
            username,
        );
    }
    let limiter = web.limiter.clone();
    match newsroom::sign_in(&web.app, &limiter, username, password, &client).await {
        Ok((staff, token)) => {
            tracing::info!(user = %staff.username, "newsroom sign-in");
            let mut r = Redirect::to("/newsroom").into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    &web,
                    SESSION_COOKIE,
                    &token,
                    "/newsroom",
                    newsroom::SESSION_SECS,
                ),
            );
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&web, SIGNIN_CSRF_COOKIE, "", "/newsroom", 0),
            );
            r
        }
        Err(SignInError::Mismatch(m)) => sign_in_page(&web, StatusCode::UNAUTHORIZED, &m, username),
        Err(SignInError::Limited(m)) => {
            sign_in_page(&web, StatusCode::TOO_MANY_REQUESTS, &m, username)
        }
        Err(SignInError::Internal(e)) => WebError::from(e).into_response(),
    }
}

pub async fn sign_out(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (staff, token) = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(e) = check_csrf(&staff, &form) {
        return e.into_response();
    }
    let everywhere = form.get("everywhere").is_some_and(|v| v == "1");
    if let Err(e) = newsroom::sign_out(&web.app, &token, everywhere.then_some(&staff)).await {
        return WebError::from(e).into_response();
    }
    let mut r = Redirect::to("/newsroom/sign-in").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&web, SESSION_COOKIE, "", "/newsroom", 0),
    );
    r
}

// ----- dashboard ------------------------------------------------------------------

struct DeskLine {
    id: i64,
    headline: String,
    section: String,
    when: String,
}

struct DeskList {
    slug: &'static str,
    title: &'static str,
    items: Vec<DeskLine>,
}

struct LiveRank {
    url: String,
    headline: String,
    count: i64,
}

#[derive(Template)]
#[template(path = "nr_dashboard.html")]
struct DashboardPage {
    title: String,
    paper: String,
    staff: Option<Staff>,
    notice: String,
    problem: String,
    lists: Vec<DeskList>,
    most_read: Vec<LiveRank>,
}

fn when(web: &Web, t: i64) -> String {
    broadsheet_domain::time::show(t, &web.app.config().time_zone).text
}

pub async fn dashboard(State(web): State<Web>, headers: HeaderMap) -> Response {
    let (staff, _) = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let desk = match newsroom::desk(&web.app, &staff).await {
        Ok(d) => d,
        Err(e) => return WebError::from(e).into_response(),
    };
    let sections = web.app.sections();
    let lines = |items: Vec<broadsheet_store::DeskItem>| -> Vec<DeskLine> {
        items
            .into_iter()
            .map(|i| DeskLine {
                id: i.id,
                headline: i.headline,
                section: sections
                    .get(i.section_id)
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                when: when(&web, i.scheduled_at.unwrap_or(i.modified_at)),
            })
            .collect()
    };
    let lists = vec![
        DeskList {
            slug: "submitted",
            title: "Waiting for review",
            items: lines(desk.submitted),
        },
        DeskList {
            slug: "drafts",
            title: "Drafts",
            items: lines(desk.drafts),
        },
        DeskList {
            slug: "scheduled",
            title: "Scheduled",
            items: lines(desk.scheduled),
        },
        DeskList {
            slug: "published",
            title: "Recently published",
            items: lines(desk.published),
        },
    ];
    let most_read = web
        .app
        .rankings()
        .most_read
        .iter()
        .map(|r| LiveRank {
            url: crate::view::story_url(&sections, &r.card),
            headline: r.card.headline.clone(),
            count: r.count,
        })
        .collect();
    let page = DashboardPage {
        title: "Dashboard".into(),
        paper: web.app.config().name.clone(),
        staff: Some(staff),
        notice: String::new(),
        problem: String::new(),
        lists,
        most_read,
    };
    match page.render() {
        Ok(b) => html(StatusCode::OK, b),
        Err(e) => WebError::from(e).into_response(),
    }
}

// ----- the story editor ---------------------------------------------------------------

struct SectionOption {
    id: i64,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "nr_story.html")]
struct StoryPage {
    title: String,
    paper: String,
    staff: Option<Staff>,
    notice: String,
    problem: String,
    csrf: String,
    id: i64,
    version: i64,
    status: String,
    reader_url: String,
    headline: String,
    standfirst: String,
    body: String,
    byline: String,
    seo_title: String,
    seo_description: String,
    breaking: bool,
    sections: Vec<SectionOption>,
    accesses: Vec<(&'static str, &'static str, bool)>,
    editable: bool,
    can_submit: bool,
    can_publish: bool,
    can_withdraw: bool,
    zone: String,
}

fn notice_text(code: Option<&str>) -> &'static str {
    match code {
        Some("created") => "Draft created.",
        Some("saved") => "Saved.",
        Some("submitted") => "Submitted for review.",
        Some("published") => "Published: it is on the reader site now.",
        Some("scheduled") => "Scheduled.",
        Some("withdrawn") => "Withdrawn: readers get a 410 page.",
        _ => "",
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "one call site per operation; a struct would only rename the same fields"
)]
fn story_page(
    web: &Web,
    staff: &Staff,
    story: Option<&Story>,
    edit: Option<&StoryEdit>,
    version: i64,
    notice: &str,
    problem: &str,
    status: StatusCode,
) -> Response {
    let sections = web.app.sections();
    let e = edit
        .cloned()
        .or_else(|| story.map(edit_of))
        .unwrap_or(StoryEdit {
            section_id: sections.top().next().map(|s| s.id).unwrap_or(0),
            headline: String::new(),
            standfirst: String::new(),
            body: String::new(),
            byline_text: None,
            access: Access::Free,
            breaking: false,
            seo_title: String::new(),
            seo_description: String::new(),
        });
    let (editable, can_submit, can_publish, can_withdraw) = match story {
        None => (true, false, false, false),
        Some(s) => (
            newsroom::may_edit(staff, s),
            s.status == StoryStatus::Draft
                && newsroom::may_edit(staff, s)
                && permissions::allows(staff.role, Action::SubmitForReview),
            s.status != StoryStatus::Published && newsroom::may_publish(staff, s),
            s.status == StoryStatus::Published && permissions::allows(staff.role, Action::Withdraw),
        ),
    };
    let mut all: Vec<SectionOption> = Vec::new();
    for top in sections.top() {
        all.push(SectionOption {
            id: top.id,
            name: top.name.clone(),
            selected: top.id == e.section_id,
        });
        for c in sections.children(top.id) {
            all.push(SectionOption {
                id: c.id,
                name: format!("{} › {}", top.name, c.name),
                selected: c.id == e.section_id,
            });
        }
    }
    let page = StoryPage {
        title: if story.is_some() {
            "Edit story".into()
        } else {
            "New story".into()
        },
        paper: web.app.config().name.clone(),
        staff: Some(staff.clone()),
        notice: notice.to_string(),
        problem: problem.to_string(),
        csrf: staff.csrf.clone(),
        id: story.map(|s| s.id).unwrap_or(0),
        version,
        status: story
            .map(|s| s.status.as_str().to_string())
            .unwrap_or_default(),
        reader_url: story
            .filter(|s| s.status == StoryStatus::Published)
            .map(|s| {
                broadsheet_domain::permalink::story_path(sections.path(s.section_id), &s.slug, s.id)
            })
            .unwrap_or_default(),
        headline: e.headline.clone(),
        standfirst: e.standfirst.clone(),
        body: e.body.clone(),
        byline: e.byline_text.clone().unwrap_or_default(),
        seo_title: e.seo_title.clone(),
        seo_description: e.seo_description.clone(),
        breaking: e.breaking,
        sections: all,
        accesses: vec![
            ("free", "Free", e.access == Access::Free),
            ("metered", "Metered", e.access == Access::Metered),
            (
                "subscribers",
                "Subscribers only",
                e.access == Access::Subscribers,
            ),
        ],
        editable,
        can_submit,
        can_publish,
        can_withdraw,
        zone: web.app.config().time_zone_name.clone(),
    };
    match page.render() {
        Ok(b) => html(status, b),
        Err(e) => WebError::from(e).into_response(),
    }
}

fn edit_of(s: &Story) -> StoryEdit {
    StoryEdit {
        section_id: s.section_id,
        headline: s.headline.clone(),
        standfirst: s.standfirst.clone(),
        body: s.body.clone(),
        byline_text: s.byline_text.clone(),
        access: s.access,
        breaking: s.breaking,
        seo_title: String::new(),
        seo_description: String::new(),
    }
}

fn edit_from_form(form: &HashMap<String, String>) -> Result<StoryEdit, WebError> {
    let get = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let section_id = get("section")
        .parse::<i64>()
        .map_err(|_| WebError::BadRequest("Choose a section for the story.".into()))?;
    let access = get("access")
        .parse::<Access>()
        .map_err(|_| WebError::BadRequest("Choose free, metered or subscribers only.".into()))?;
    let byline = get("byline");
    Ok(StoryEdit {
        section_id,
        headline: get("headline"),
        standfirst: get("standfirst"),
        body: form
            .get("body")
            .map(|b| b.replace("\r\n", "\n"))
            .unwrap_or_default(),
        byline_text: (!byline.is_empty()).then_some(byline),
        access,
        breaking: form.get("breaking").is_some_and(|v| v == "1"),
        seo_title: get("seo_title"),
        seo_description: get("seo_description"),
    })
}

pub async fn new_story(State(web): State<Web>, headers: HeaderMap) -> Response {
    let (staff, _) = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !permissions::allows(staff.role, Action::CreateStory) {
        return WebError::Forbidden("Your role does not allow you to write stories.".into())
            .into_response();
    }
    story_page(&web, &staff, None, None, 0, "", "", StatusCode::OK)
}

pub async fn create_story(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (staff, _) = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(e) = check_csrf(&staff, &form) {
        return e.into_response();
    }
    let edit = match edit_from_form(&form) {
        Ok(e) => e,
        Err(WebError::BadRequest(m)) => {
            return story_page(&web, &staff, None, None, 0, "", &m, StatusCode::BAD_REQUEST);
        }
        Err(e) => return e.into_response(),
    };
    match newsroom::create(&web.app, &staff, &edit).await {
        Ok(id) => Redirect::to(&format!("/newsroom/stories/{id}?m=created")).into_response(),
        Err(broadsheet_app::AppError::Invalid(m)) => story_page(
            &web,
            &staff,
            None,
            Some(&edit),
            0,
            "",
            &m,
            StatusCode::BAD_REQUEST,
        ),
        Err(e) => WebError::from(e).into_response(),
    }
}

pub async fn edit_story(
    State(web): State<Web>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let (staff, _) = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match newsroom::open(&web.app, &staff, id).await {
        Ok(story) => {
            let notice = notice_text(q.get("m").map(String::as_str));
            story_page(
                &web,
                &staff,
                Some(&story),
                None,
                story.version,
                notice,
                "",
                StatusCode::OK,
            )
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

/// Parses `datetime-local` input in the paper's zone.
fn parse_local(web: &Web, s: &str) -> Result<Option<i64>, WebError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let dt: jiff::civil::DateTime = s.parse().map_err(|_| {
        WebError::BadRequest(format!("The publish time {s:?} is not a date and time: use the date picker, or leave it empty to publish now."))
    })?;
    let z = dt
        .to_zoned_datetime(web.app.config().time_zone.clone())
        .map_err(|_| {
            WebError::BadRequest(
                "That publish time does not exist in the paper's time zone.".into(),
            )
        })?;
    Ok(Some(z.timestamp().as_second()))
}

pub async fn update_story(
    State(web): State<Web>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (staff, _) = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(e) = check_csrf(&staff, &form) {
        return e.into_response();
    }
    let story = match newsroom::open(&web.app, &staff, id).await {
        Ok(s) => s,
        Err(e) => return WebError::from(e).into_response(),
    };
    let action = form.get("do").map(String::as_str).unwrap_or("save");
    let version = form
        .get("version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let app = &web.app;
    let result: Result<&str, broadsheet_app::AppError> = match action {
        "save" => {
            let edit = match edit_from_form(&form) {
                Ok(e) => e,
                Err(WebError::BadRequest(m)) => {
                    return story_page(
                        &web,
                        &staff,
                        Some(&story),
                        None,
                        version,
                        "",
                        &m,
                        StatusCode::BAD_REQUEST,
                    );
                }
                Err(e) => return e.into_response(),
            };
            match newsroom::save(app, &staff, id, version, &edit).await {
                Ok(Saved::Ok(_)) => Ok("saved"),
                Ok(Saved::Conflict { current }) => {
                    let msg = format!(
                        "Not saved: someone else saved this story while you were editing (it is now at version {current}). \
                         Your text is below and is kept in the history; open the story again to see theirs, then apply your changes to it."
                    );
                    return story_page(
                        &web,
                        &staff,
                        Some(&story),
                        Some(&edit),
                        version,
                        "",
                        &msg,
                        StatusCode::CONFLICT,
                    );
                }
                Err(broadsheet_app::AppError::Invalid(m)) => {
                    return story_page(
                        &web,
                        &staff,
                        Some(&story),
                        Some(&edit),
                        version,
                        "",
                        &m,
                        StatusCode::BAD_REQUEST,
                    );
                }
                Err(e) => Err(e),
            }
        }
        "submit" => newsroom::submit(app, &staff, id)
            .await
            .map(|()| "submitted"),
        "publish" => {
            let at = match parse_local(
                &web,
                form.get("publish_at").map(String::as_str).unwrap_or(""),
            ) {
                Ok(at) => at,
                Err(WebError::BadRequest(m)) => {
                    return story_page(
                        &web,
                        &staff,
                        Some(&story),
                        None,
                        story.version,
                        "",
                        &m,
                        StatusCode::BAD_REQUEST,
                    );
                }
                Err(e) => return e.into_response(),
            };
            newsroom::publish(app, &staff, id, at).await.map(|s| {
                if s == StoryStatus::Scheduled {
                    "scheduled"
                } else {
                    "published"
                }
            })
        }
        "withdraw" => newsroom::withdraw(app, &staff, id)
            .await
            .map(|()| "withdrawn"),
        other => Err(broadsheet_app::AppError::Invalid(format!(
            "Unknown action {other:?}."
        ))),
    };
    match result {
        Ok(code) => Redirect::to(&format!("/newsroom/stories/{id}?m={code}")).into_response(),
        Err(broadsheet_app::AppError::Invalid(m)) => story_page(
            &web,
            &staff,
            Some(&story),
            None,
            story.version,
            "",
            &m,
            StatusCode::BAD_REQUEST,
        ),
        Err(e) => WebError::from(e).into_response(),
    }
}

struct RevLine {
    version: i64,
    when: String,
    who: String,
    note: String,
    headline: String,
}

struct AuditLine {
    when: String,
    action: String,
    who: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "nr_history.html")]
struct HistoryPage {
    title: String,
    paper: String,
    staff: Option<Staff>,
    notice: String,
    problem: String,
    id: i64,
    headline: String,
    revisions: Vec<RevLine>,
    audit: Vec<AuditLine>,
}

pub async fn history(State(web): State<Web>, Path(id): Path<i64>, headers: HeaderMap) -> Response {
    let (staff, _) = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let story = match newsroom::open(&web.app, &staff, id).await {
        Ok(s) => s,
        Err(e) => return WebError::from(e).into_response(),
    };
    let store = web.app.store();
    let (revs, audit, staff_list) = match (
        store.revisions(id).await,
        store.audit_of(id).await,
        store.staff_ids().await,
    ) {
        (Ok(r), Ok(a), Ok(s)) => (r, a, s),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return WebError::from(e).into_response();
        }
    };
    let who = |id: Option<i64>| -> String {
        id.and_then(|i| {
            staff_list
                .iter()
                .find(|(sid, _)| *sid == i)
                .map(|(_, n)| n.clone())
        })
        .unwrap_or_else(|| "the scheduler".into())
    };
    let page = HistoryPage {
        title: "History".into(),
        paper: web.app.config().name.clone(),
        staff: Some(staff.clone()),
        notice: String::new(),
        problem: String::new(),
        id,
        headline: story.headline.clone(),
        revisions: revs
            .into_iter()
            .map(|r| RevLine {
                version: r.version,
                when: when(&web, r.at),
                who: who(r.author_id),
                note: r.note,
                headline: r.headline,
            })
            .collect(),
        audit: audit
            .into_iter()
            .map(|(action, actor, at, detail)| AuditLine {
                when: when(&web, at),
                action,
                who: who(actor),
                detail,
            })
            .collect(),
    };
    match page.render() {
        Ok(b) => html(StatusCode::OK, b),
        Err(e) => WebError::from(e).into_response(),
    }
}
