//! The newsroom under `/newsroom`: sign-in, the dashboard and the story
//! editor. Pages are never cached (`no-store`); every form carries the
//! session's CSRF token; every check is made by the app layer's permission
//! table, not here.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use broadsheet_app::newsroom::{self, SignInError, Staff};
use broadsheet_domain::permissions::{self, Action};
use broadsheet_domain::{Access, Story, StoryStatus};
use broadsheet_store::{Saved, StoryEdit};

use crate::Web;
use crate::client::ClientIp;
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

/// The signed-in staff member, if the request carries a live session
/// (for the media handler, which serves staff pictures not yet published).
pub(crate) async fn signed_in(web: &Web, headers: &HeaderMap) -> Result<Option<Staff>, WebError> {
    Ok(current(web, headers).await?.map(|(s, _)| s))
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

pub async fn sign_in(State(web): State<Web>, ClientIp(client): ClientIp, req: Request) -> Response {
    let client = client.to_string();
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
    match newsroom::sign_in(
        &web.app,
        &limiter,
        username,
        password,
        form.get("code").map(String::as_str).unwrap_or(""),
        &client,
    )
    .await
    {
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
    can_correct: bool,
    zone: String,
    tags: String,
    preview: String,
    lead_picture: String,
    writers: Vec<SectionOption>,
    corrections: Vec<(String, String)>,
}

fn notice_text(code: Option<&str>) -> &'static str {
    match code {
        Some("created") => "Draft created.",
        Some("saved") => "Saved.",
        Some("submitted") => "Submitted for review.",
        Some("published") => "Published: it is on the reader site now.",
        Some("scheduled") => "Scheduled.",
        Some("withdrawn") => "Withdrawn: readers get a 410 page.",
        Some("corrected") => "Correction published.",
        Some("restored") => "Revision restored (as a new version).",
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
    edit_tags: Option<&str>,
    corrections: Vec<(String, String)>,
    writers: &[(i64, String)],
    preview: String,
    version: i64,
    notice: &str,
    problem: &str,
    status: StatusCode,
) -> Response {
    let sections = web.app.sections();
    let tags_text = match (edit_tags, story) {
        (Some(t), _) => t.to_string(),
        (None, Some(s)) => s
            .tags
            .iter()
            .map(|t| t.name.clone())
            .collect::<Vec<_>>()
            .join(", "),
        (None, None) => String::new(),
    };
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
            tags: Vec::new(),
            authors: Vec::new(),
            lead_picture_id: None,
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
    let chosen: Vec<i64> = if e.authors.is_empty() {
        story
            .map(|s| s.authors.iter().map(|a| a.id).collect())
            .unwrap_or_else(|| vec![staff.id])
    } else {
        e.authors.clone()
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
        can_correct: story.is_some_and(|s| s.status == StoryStatus::Published)
            && permissions::allows(staff.role, Action::Correct),
        tags: tags_text,
        preview,
        lead_picture: e.lead_picture_id.map(|p| p.to_string()).unwrap_or_default(),
        writers: writers
            .iter()
            .map(|(id, name)| SectionOption {
                id: *id,
                name: name.clone(),
                selected: chosen.contains(id),
            })
            .collect(),
        corrections,
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
        seo_title: s.seo_title.clone(),
        seo_description: s.seo_description.clone(),
        tags: s.tags.iter().map(|t| t.id).collect(),
        authors: s.authors.iter().map(|a| a.id).collect(),
        lead_picture_id: s.lead_picture.as_ref().map(|p| p.id),
    }
}

/// A posted form: the last value of each field, and every value of `authors`.
struct Posted {
    map: HashMap<String, String>,
    authors: Vec<i64>,
}

fn posted(pairs: Vec<(String, String)>) -> Posted {
    let authors = pairs
        .iter()
        .filter(|(k, _)| k == "authors")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    Posted {
        map: pairs.into_iter().collect(),
        authors,
    }
}

async fn edit_from_form(web: &Web, f: &Posted) -> Result<StoryEdit, WebError> {
    let form = &f.map;
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
    let tags = newsroom::tag_ids(&web.app, &get("tags")).await?;
    let staff_ids: Vec<i64> = web
        .app
        .store()
        .staff_ids()
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    if let Some(bad) = f.authors.iter().find(|a| !staff_ids.contains(a)) {
        return Err(WebError::BadRequest(format!(
            "Byline {bad} is not a member of staff: choose from the list."
        )));
    }
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
        tags,
        authors: f.authors.clone(),
        lead_picture_id: match get("lead_picture").trim_start_matches('#') {
            "" => None,
            v => Some(v.parse::<i64>().map_err(|_| {
                WebError::BadRequest(
                    "The lead picture is a picture number from the media library, such as 42."
                        .into(),
                )
            })?),
        },
    })
}

/// Everything the editor page shows besides the story itself.
struct Shown<'a> {
    edit: Option<&'a StoryEdit>,
    tags: Option<&'a str>,
    version: i64,
    notice: &'a str,
    problem: &'a str,
    status: StatusCode,
}

async fn render_story(
    web: &Web,
    staff: &Staff,
    story: Option<&Story>,
    shown: Shown<'_>,
) -> Response {
    let store = web.app.store();
    let writers: Vec<(i64, String)> = match store.staff().await {
        Ok(all) => {
            let ids = store.staff_ids().await.unwrap_or_default();
            all.into_iter()
                .filter(|(_, _, role)| {
                    role.parse::<broadsheet_domain::permissions::Role>()
                        .is_ok_and(|r| permissions::allows(r, Action::CreateStory))
                })
                .filter_map(|(_, name, _)| ids.iter().find(|(_, n)| *n == name).cloned())
                .collect()
        }
        Err(e) => return WebError::from(e).into_response(),
    };
    let corrections = match story {
        Some(s) => match store.corrections_of(s.id).await {
            Ok(c) => c.into_iter().map(|c| (when(web, c.at), c.text)).collect(),
            Err(e) => return WebError::from(e).into_response(),
        },
        None => Vec::new(),
    };
    story_page(
        web,
        staff,
        story,
        shown.edit,
        shown.tags,
        corrections,
        &writers,
        preview_html(
            web,
            &shown
                .edit
                .map(|e| e.body.clone())
                .or_else(|| story.map(|s| s.body.clone()))
                .unwrap_or_default(),
        )
        .await,
        shown.version,
        shown.notice,
        shown.problem,
        shown.status,
    )
}

fn shown<'a>(version: i64, problem: &'a str, status: StatusCode) -> Shown<'a> {
    Shown {
        edit: None,
        tags: None,
        version,
        notice: "",
        problem,
        status,
    }
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
    render_story(&web, &staff, None, shown(0, "", StatusCode::OK)).await
}

pub async fn create_story(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (staff, _) = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f = posted(pairs);
    if let Err(e) = check_csrf(&staff, &f.map) {
        return e.into_response();
    }
    if !permissions::allows(staff.role, Action::CreateStory) {
        return WebError::Forbidden("Your role does not allow you to write stories.".into())
            .into_response();
    }
    let tags_text = f.map.get("tags").cloned().unwrap_or_default();
    let edit = match edit_from_form(&web, &f).await {
        Ok(e) => e,
        Err(WebError::BadRequest(m)) => {
            return render_story(&web, &staff, None, shown(0, &m, StatusCode::BAD_REQUEST)).await;
        }
        Err(e) => return e.into_response(),
    };
    match newsroom::create(&web.app, &staff, &edit).await {
        Ok(id) => Redirect::to(&format!("/newsroom/stories/{id}?m=created")).into_response(),
        Err(broadsheet_app::AppError::Invalid(m)) => {
            let sh = Shown {
                edit: Some(&edit),
                tags: Some(&tags_text),
                ..shown(0, &m, StatusCode::BAD_REQUEST)
            };
            render_story(&web, &staff, None, sh).await
        }
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
            let sh = Shown {
                notice,
                ..shown(story.version, "", StatusCode::OK)
            };
            render_story(&web, &staff, Some(&story), sh).await
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
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (staff, _) = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f = posted(pairs);
    if let Err(e) = check_csrf(&staff, &f.map) {
        return e.into_response();
    }
    let story = match newsroom::open(&web.app, &staff, id).await {
        Ok(s) => s,
        Err(e) => return WebError::from(e).into_response(),
    };
    let form = &f.map;
    let action = form.get("do").map(String::as_str).unwrap_or("save");
    let version = form
        .get("version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let app = &web.app;
    let tags_text = form.get("tags").cloned().unwrap_or_default();
    let result: Result<&str, broadsheet_app::AppError> = match action {
        "save" => {
            let edit = match edit_from_form(&web, &f).await {
                Ok(e) => e,
                Err(WebError::BadRequest(m)) => {
                    return render_story(
                        &web,
                        &staff,
                        Some(&story),
                        shown(version, &m, StatusCode::BAD_REQUEST),
                    )
                    .await;
                }
                Err(e) => return e.into_response(),
            };
            let saved = newsroom::save(app, &staff, id, version, &edit).await;
            if wants_json(&headers) {
                return match saved {
                    Ok(Saved::Ok(v)) => json(StatusCode::OK, serde_json::json!({ "version": v })),
                    Ok(Saved::Conflict { current }) => json(
                        StatusCode::CONFLICT,
                        serde_json::json!({ "error": format!("Not saved: someone else saved this story (now version {current}). Copy your text, reload, and apply it again."), "version": current }),
                    ),
                    Err(broadsheet_app::AppError::Invalid(m)) => {
                        json(StatusCode::BAD_REQUEST, serde_json::json!({ "error": m }))
                    }
                    Err(e) => WebError::from(e).into_response(),
                };
            }
            match saved {
                Ok(Saved::Ok(_)) => Ok("saved"),
                Ok(Saved::Conflict { current }) => {
                    let msg = format!(
                        "Not saved: someone else saved this story while you were editing (it is now at version {current}). \
                         Your text is below and is kept in the history; open the story again to see theirs, then apply your changes to it."
                    );
                    let sh = Shown {
                        edit: Some(&edit),
                        tags: Some(&tags_text),
                        ..shown(version, &msg, StatusCode::CONFLICT)
                    };
                    return render_story(&web, &staff, Some(&story), sh).await;
                }
                Err(broadsheet_app::AppError::Invalid(m)) => {
                    let sh = Shown {
                        edit: Some(&edit),
                        tags: Some(&tags_text),
                        ..shown(version, &m, StatusCode::BAD_REQUEST)
                    };
                    return render_story(&web, &staff, Some(&story), sh).await;
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
                    return render_story(
                        &web,
                        &staff,
                        Some(&story),
                        shown(story.version, &m, StatusCode::BAD_REQUEST),
                    )
                    .await;
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
        "correct" => newsroom::correct(
            app,
            &staff,
            id,
            form.get("correction").map(String::as_str).unwrap_or(""),
        )
        .await
        .map(|()| "corrected"),
        "restore" => {
            let rev = form
                .get("revision")
                .and_then(|r| r.parse::<i64>().ok())
                .unwrap_or(0);
            match newsroom::restore(app, &staff, id, rev, version).await {
                Ok(Saved::Ok(_)) => Ok("restored"),
                Ok(Saved::Conflict { .. }) => Err(broadsheet_app::AppError::Invalid(
                    "Not restored: the story changed since you opened its history. Open the history again.".into(),
                )),
                Err(e) => Err(e),
            }
        }
        other => Err(broadsheet_app::AppError::Invalid(format!(
            "Unknown action {other:?}."
        ))),
    };
    match result {
        Ok(code) => Redirect::to(&format!("/newsroom/stories/{id}?m={code}")).into_response(),
        Err(broadsheet_app::AppError::Invalid(m)) => {
            render_story(
                &web,
                &staff,
                Some(&story),
                shown(story.version, &m, StatusCode::BAD_REQUEST),
            )
            .await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

struct RevLine {
    id: i64,
    diff: String,
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
    csrf: String,
    version: i64,
    can_restore: bool,
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
        csrf: staff.csrf.clone(),
        version: story.version,
        can_restore: permissions::allows(staff.role, Action::RestoreRevision),
        revisions: revs
            .iter()
            .enumerate()
            .map(|(i, r)| RevLine {
                id: r.id,
                // Newest first: the revision before this one is the next in the list.
                diff: revs
                    .get(i + 1)
                    .map(|older| diff_html(&text_of(older), &text_of(r)))
                    .unwrap_or_default(),
                version: r.version,
                when: when(&web, r.at),
                who: who(r.author_id),
                note: r.note.clone(),
                headline: r.headline.clone(),
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

fn text_of(r: &broadsheet_store::Revision) -> String {
    format!("{}\n\n{}\n\n{}", r.headline, r.standfirst, r.body)
}

/// A word-level diff as HTML (`<del>`, `<ins>`), escaped; empty if equal.
fn diff_html(old: &str, new: &str) -> String {
    use similar::{ChangeTag, TextDiff};
    if old == new {
        return String::new();
    }
    let diff = TextDiff::from_words(old, new);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let text = escape(change.value());
        match change.tag() {
            ChangeTag::Equal => out.push_str(&text),
            ChangeTag::Delete => {
                out.push_str("<del>");
                out.push_str(&text);
                out.push_str("</del>");
            }
            ChangeTag::Insert => {
                out.push_str("<ins>");
                out.push_str(&text);
                out.push_str("</ins>");
            }
        }
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

// ----- Editor's Picks ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "nr_picks.html")]
struct PicksPage {
    title: String,
    paper: String,
    staff: Option<Staff>,
    notice: String,
    problem: String,
    csrf: String,
    /// (story id, reader URL, headline)
    picks: Vec<(i64, String, String)>,
}

async fn picks_page(
    web: &Web,
    staff: Staff,
    notice: &str,
    problem: &str,
    status: StatusCode,
) -> Response {
    let sections = web.app.sections();
    let picks = web
        .app
        .rankings()
        .picks
        .iter()
        .map(|r| {
            (
                r.card.id,
                crate::view::story_url(&sections, &r.card),
                r.card.headline.clone(),
            )
        })
        .collect();
    let page = PicksPage {
        title: "Editor's Picks".into(),
        paper: web.app.config().name.clone(),
        csrf: staff.csrf.clone(),
        staff: Some(staff),
        notice: notice.to_string(),
        problem: problem.to_string(),
        picks,
    };
    match page.render() {
        Ok(b) => html(status, b),
        Err(e) => WebError::from(e).into_response(),
    }
}

pub async fn picks(State(web): State<Web>, headers: HeaderMap) -> Response {
    let (staff, _) = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !permissions::allows(staff.role, Action::CurateFront) {
        return WebError::Forbidden(
            "Your role does not allow you to curate Editor's Picks.".into(),
        )
        .into_response();
    }
    picks_page(&web, staff, "", "", StatusCode::OK).await
}

pub async fn update_picks(
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
    if !permissions::allows(staff.role, Action::CurateFront) {
        return WebError::Forbidden(
            "Your role does not allow you to curate Editor's Picks.".into(),
        )
        .into_response();
    }
    let Some(story) = form.get("story").and_then(|s| s.trim().parse::<i64>().ok()) else {
        return picks_page(
            &web,
            staff,
            "",
            "Give the story's number (the digits at the end of its address).",
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    // Start from the stored order (not the rankings snapshot) so nothing is lost.
    let mut ids = match web.app.store().editors_picks().await {
        Ok(ids) => ids,
        Err(e) => return WebError::from(e).into_response(),
    };
    ids.retain(|id| web.app.rankings().picks.iter().any(|p| p.card.id == *id) || *id == story);
    let pos = ids.iter().position(|id| *id == story);
    match (form.get("do").map(String::as_str), pos) {
        (Some("add"), None) => ids.push(story),
        (Some("add"), Some(_)) => {
            return picks_page(
                &web,
                staff,
                "",
                "That story is already in Editor's Picks.",
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
        (Some("up"), Some(i)) if i > 0 => ids.swap(i, i - 1),
        (Some("down"), Some(i)) if i + 1 < ids.len() => ids.swap(i, i + 1),
        (Some("remove"), Some(i)) => {
            ids.remove(i);
        }
        _ => {
            return picks_page(
                &web,
                staff,
                "",
                "That change cannot be made to the list.",
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    }
    match web.app.set_editors_picks(&ids).await {
        Ok(()) => {
            tracing::info!(user = %staff.username, picks = ?ids, "editor's picks changed");
            Redirect::to("/newsroom/picks").into_response()
        }
        Err(broadsheet_app::AppError::Invalid(m)) => {
            picks_page(&web, staff, "", &m, StatusCode::BAD_REQUEST).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

// ----- the media library ------------------------------------------------------------------

struct LibraryItem {
    id: i64,
    alt: String,
    caption: String,
    credit: String,
    width: i64,
    height: i64,
    thumb_height: i64,
    /// Staff address of the 480-wide rendition.
    thumb: String,
}

#[derive(Template)]
#[template(path = "nr_pictures.html")]
struct PicturesPage {
    title: String,
    paper: String,
    staff: Option<Staff>,
    notice: String,
    problem: String,
    csrf: String,
    q: String,
    total: i64,
    max_mb: usize,
    pictures: Vec<LibraryItem>,
}

async fn pictures_page(
    web: &Web,
    staff: Staff,
    q: &str,
    notice: &str,
    problem: &str,
    status: StatusCode,
) -> Response {
    let store = web.app.store();
    let (list, total) = match (
        store.search_pictures(q, 60).await,
        store.picture_count().await,
    ) {
        (Ok(l), Ok(t)) => (l, t),
        (Err(e), _) | (_, Err(e)) => return WebError::from(e).into_response(),
    };
    let page = PicturesPage {
        title: "Media library".into(),
        paper: web.app.config().name.clone(),
        csrf: staff.csrf.clone(),
        staff: Some(staff),
        notice: notice.to_string(),
        problem: problem.to_string(),
        q: q.to_string(),
        total,
        max_mb: broadsheet_app::media::MAX_UPLOAD_BYTES / 1_048_576,
        pictures: list
            .into_iter()
            .map(|p| LibraryItem {
                thumb_height: (160 * p.height / p.width.max(1)).max(1),
                thumb: crate::view::staff_media_url(&p.token, 480),
                id: p.id,
                alt: p.alt,
                caption: p.caption,
                credit: p.credit,
                width: p.width,
                height: p.height,
            })
            .collect(),
    };
    match page.render() {
        Ok(b) => html(status, b),
        Err(e) => WebError::from(e).into_response(),
    }
}

pub async fn pictures(
    State(web): State<Web>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let (staff, _) = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !permissions::allows(staff.role, Action::UploadPicture) {
        return WebError::Forbidden(
            "Your role does not allow you to use the media library.".into(),
        )
        .into_response();
    }
    let notice = match q.get("m").map(String::as_str) {
        Some("uploaded") => {
            "Picture uploaded. Use its number as the lead picture, or place it with [picture:NUMBER]."
        }
        _ => "",
    };
    let query = q.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    pictures_page(&web, staff, &query, notice, "", StatusCode::OK).await
}

pub async fn upload_picture(
    State(web): State<Web>,
    headers: HeaderMap,
    mut multipart: axum::extract::Multipart,
) -> Response {
    let (staff, _) = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                if name == "file" {
                    let declared = field
                        .file_name()
                        .map(str::to_string)
                        .or_else(|| field.content_type().map(str::to_string))
                        .unwrap_or_default();
                    match field.bytes().await {
                        Ok(b) => file = Some((declared, b.to_vec())),
                        Err(_) => {
                            return pictures_page(
                                &web,
                                staff,
                                "",
                                "",
                                "The upload did not complete (the file was cut off or too large): nothing was stored. Try again.",
                                StatusCode::BAD_REQUEST,
                            )
                            .await;
                        }
                    }
                } else {
                    let text = field.text().await.unwrap_or_default();
                    fields.insert(name, text);
                }
            }
            Ok(None) => break,
            Err(_) => {
                return pictures_page(
                    &web,
                    staff,
                    "",
                    "",
                    "The upload did not complete (the file was cut off or too large): nothing was stored. Try again.",
                    StatusCode::BAD_REQUEST,
                )
                .await;
            }
        }
    }
    if let Err(e) = check_csrf(&staff, &fields) {
        return e.into_response();
    }
    let Some((declared, bytes)) = file else {
        return pictures_page(
            &web,
            staff,
            "",
            "",
            "Choose a picture file to upload.",
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    match newsroom::upload_picture(
        &web.app,
        &staff,
        bytes,
        &declared,
        get("alt"),
        get("caption"),
        get("credit"),
    )
    .await
    {
        Ok(id) => {
            tracing::info!(user = %staff.username, picture = id, "picture uploaded");
            Redirect::to("/newsroom/pictures?m=uploaded").into_response()
        }
        Err(broadsheet_app::AppError::Invalid(m)) => {
            pictures_page(&web, staff, "", "", &m, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(broadsheet_app::AppError::Busy(m)) => {
            let mut r =
                pictures_page(&web, staff, "", "", &m, StatusCode::SERVICE_UNAVAILABLE).await;
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            r
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

/// The body as readers will see it (sanitised), for the editor's preview.
async fn preview_html(web: &Web, body: &str) -> String {
    let ids = broadsheet_domain::markup::picture_ids(body);
    let pictures = web.app.store().pictures(&ids).await.unwrap_or_default();
    broadsheet_domain::markup::render(body, |pid| {
        pictures
            .iter()
            .find(|p| p.id == pid)
            .map(crate::pages::staff_figure_html)
    })
}

/// `POST /newsroom/preview`: the sanitised HTML of a body, for live preview.
pub async fn preview(
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
    let body = form.get("body").map(String::as_str).unwrap_or("");
    if body.len() > 200_000 {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "The body is too long to preview.",
        )
            .into_response();
    }
    html(StatusCode::OK, preview_html(&web, body).await)
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

fn json(status: StatusCode, value: serde_json::Value) -> Response {
    let mut r = (status, value.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

// ----- sections and tags ------------------------------------------------------------------

struct SectionLine {
    id: i64,
    name: String,
    path: String,
    child: bool,
}

#[derive(Template)]
#[template(path = "nr_taxonomy.html")]
struct TaxonomyPage {
    title: String,
    paper: String,
    staff: Option<Staff>,
    notice: String,
    problem: String,
    csrf: String,
    sections: Vec<SectionLine>,
    tags: Vec<broadsheet_store::TagUse>,
}

async fn taxonomy_page(
    web: &Web,
    staff: Staff,
    notice: &str,
    problem: &str,
    status: StatusCode,
) -> Response {
    let tree = web.app.sections();
    let mut sections = Vec::new();
    for top in tree.top() {
        sections.push(SectionLine {
            id: top.id,
            name: top.name.clone(),
            path: top.path.clone(),
            child: false,
        });
        for c in tree.children(top.id) {
            sections.push(SectionLine {
                id: c.id,
                name: c.name.clone(),
                path: c.path.clone(),
                child: true,
            });
        }
    }
    let tags = match web.app.store().tag_uses().await {
        Ok(t) => t,
        Err(e) => return WebError::from(e).into_response(),
    };
    let page = TaxonomyPage {
        title: "Sections and tags".into(),
        paper: web.app.config().name.clone(),
        csrf: staff.csrf.clone(),
        staff: Some(staff),
        notice: notice.to_string(),
        problem: problem.to_string(),
        sections,
        tags,
    };
    match page.render() {
        Ok(b) => html(status, b),
        Err(e) => WebError::from(e).into_response(),
    }
}

pub async fn taxonomy(
    State(web): State<Web>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let (staff, _) = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !permissions::allows(staff.role, Action::ManageTaxonomy) {
        return WebError::Forbidden(
            "Your role does not allow you to manage sections and tags.".into(),
        )
        .into_response();
    }
    let notice = match q.get("m").map(String::as_str) {
        Some("sections") => "Sections updated; every page shows the change now.",
        Some("merged") => "Tags merged.",
        _ => "",
    };
    taxonomy_page(&web, staff, notice, "", StatusCode::OK).await
}

async fn taxonomy_result(
    web: &Web,
    staff: Staff,
    r: Result<&str, broadsheet_app::AppError>,
) -> Response {
    match r {
        Ok(code) => Redirect::to(&format!("/newsroom/sections?m={code}")).into_response(),
        Err(broadsheet_app::AppError::Invalid(m)) => {
            taxonomy_page(web, staff, "", &m, StatusCode::BAD_REQUEST).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

pub async fn update_sections(
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
    let app = &web.app;
    let name = form.get("name").map(String::as_str).unwrap_or("");
    let section = form
        .get("section")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0);
    let r = match form.get("do").map(String::as_str) {
        Some("add") => {
            let parent = form.get("parent").and_then(|p| p.parse::<i64>().ok());
            newsroom::add_section(app, &staff, name, parent)
                .await
                .map(|_| "sections")
        }
        Some("rename") => newsroom::rename_section(app, &staff, section, name)
            .await
            .map(|()| "sections"),
        Some("up") => newsroom::move_section(app, &staff, section, true)
            .await
            .map(|()| "sections"),
        Some("down") => newsroom::move_section(app, &staff, section, false)
            .await
            .map(|()| "sections"),
        _ => Err(broadsheet_app::AppError::Invalid("Unknown change.".into())),
    };
    taxonomy_result(&web, staff, r).await
}

pub async fn merge_tags(
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
    let id = |k: &str| form.get(k).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let r = newsroom::merge_tags(&web.app, &staff, id("from"), id("into"))
        .await
        .map(|()| "merged");
    taxonomy_result(&web, staff, r).await
}

// ----- your account: two-factor sign-in and password ------------------------------------------

#[derive(Template)]
#[template(path = "nr_account.html")]
struct AccountPage {
    title: String,
    paper: String,
    staff: Option<Staff>,
    notice: String,
    problem: String,
    csrf: String,
    two_factor: bool,
    secret: String,
    otpauth: String,
    author_url: String,
    bio: String,
    picture: String,
}

async fn account_page(
    web: &Web,
    staff: Staff,
    notice: &str,
    problem: &str,
    status: StatusCode,
) -> Response {
    let acct = match web.app.store().author_by_username(&staff.username).await {
        Ok(Some(a)) => a,
        Ok(None) => return WebError::NotFound.into_response(),
        Err(e) => return WebError::from(e).into_response(),
    };
    let two_factor = acct.totp_secret.as_deref().is_some_and(|s| !s.is_empty());
    let secret = if two_factor {
        String::new()
    } else {
        broadsheet_app::accounts::new_totp_secret()
    };
    let otpauth = if two_factor {
        String::new()
    } else {
        broadsheet_app::accounts::otpauth_url(&secret, &staff.username, &web.app.config().name)
    };
    let profile = web.app.store().author_profile(acct.id).await.ok().flatten();
    let (author_url, bio, picture) = match profile {
        Some(a) => (
            format!("/authors/{}", a.slug),
            a.bio,
            a.picture_id.map(|p| p.to_string()).unwrap_or_default(),
        ),
        None => (String::new(), String::new(), String::new()),
    };
    let page = AccountPage {
        author_url,
        bio,
        picture,
        title: "Your account".into(),
        paper: web.app.config().name.clone(),
        csrf: staff.csrf.clone(),
        staff: Some(staff),
        notice: notice.to_string(),
        problem: problem.to_string(),
        two_factor,
        secret,
        otpauth,
    };
    match page.render() {
        Ok(b) => html(status, b),
        Err(e) => WebError::from(e).into_response(),
    }
}

pub async fn account(
    State(web): State<Web>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let (staff, _) = match require(&web, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let notice = match q.get("m").map(String::as_str) {
        Some("on") => "Two-factor sign-in is on.",
        Some("off") => "Two-factor sign-in is off.",
        Some("profile") => "Profile saved; your author page shows it now.",
        _ => "",
    };
    account_page(&web, staff, notice, "", StatusCode::OK).await
}

pub async fn update_account(
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
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let store = web.app.store();
    let acct = match store.author_by_username(&staff.username).await {
        Ok(Some(a)) => a,
        Ok(None) => return WebError::NotFound.into_response(),
        Err(e) => return WebError::from(e).into_response(),
    };
    use broadsheet_app::accounts;
    match get("do") {
        "totp-on" => {
            let secret = get("secret");
            if !accounts::totp_ok(secret, get("code")) {
                return account_page(&web, staff, "", "That code is not right: enter the code the app shows now, for the key on this page.", StatusCode::BAD_REQUEST).await;
            }
            if let Err(e) = store.set_totp_secret(acct.id, Some(secret)).await {
                return WebError::from(e).into_response();
            }
            tracing::info!(user = %staff.username, "two-factor sign-in turned on");
            Redirect::to("/newsroom/account?m=on").into_response()
        }
        "totp-off" => {
            let on = acct.totp_secret.as_deref().unwrap_or("");
            if on.is_empty() || !accounts::totp_ok(on, get("code")) {
                return account_page(
                    &web,
                    staff,
                    "",
                    "That code is not right: enter the code your authenticator app shows now.",
                    StatusCode::BAD_REQUEST,
                )
                .await;
            }
            if let Err(e) = store.set_totp_secret(acct.id, None).await {
                return WebError::from(e).into_response();
            }
            tracing::info!(user = %staff.username, "two-factor sign-in turned off");
            Redirect::to("/newsroom/account?m=off").into_response()
        }
        "profile" => {
            let picture = match get("picture").trim() {
                "" => None,
                v => match v.parse::<i64>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        return account_page(
                            &web,
                            staff,
                            "",
                            "The picture is a number from the media library, such as 42.",
                            StatusCode::BAD_REQUEST,
                        )
                        .await;
                    }
                },
            };
            match newsroom::set_profile(&web.app, &staff, get("bio"), picture).await {
                Ok(()) => Redirect::to("/newsroom/account?m=profile").into_response(),
                Err(broadsheet_app::AppError::Invalid(m)) => {
                    account_page(&web, staff, "", &m, StatusCode::BAD_REQUEST).await
                }
                Err(e) => WebError::from(e).into_response(),
            }
        }
        "password" => {
            match accounts::change_password(store, &staff.username, get("current"), get("new"))
                .await
            {
                Ok(()) => {
                    tracing::info!(user = %staff.username, "password changed; sessions ended");
                    let mut r = Redirect::to("/newsroom/sign-in").into_response();
                    r.headers_mut().append(
                        header::SET_COOKIE,
                        set_cookie(&web, SESSION_COOKIE, "", "/newsroom", 0),
                    );
                    r
                }
                Err(broadsheet_app::AppError::Invalid(m)) => {
                    account_page(&web, staff, "", &m, StatusCode::BAD_REQUEST).await
                }
                Err(e) => WebError::from(e).into_response(),
            }
        }
        _ => account_page(&web, staff, "", "Unknown change.", StatusCode::BAD_REQUEST).await,
    }
}
