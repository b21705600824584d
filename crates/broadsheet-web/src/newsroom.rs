//! The newsroom under `/newsroom`: sign-in, the dashboard, the story
//! editor, pictures, picks, sections and the account page. Pages are never
//! cached (`no-store`). Handlers are extractors plus one app-layer call: who
//! is signed in ([`SignedIn`]), a form whose CSRF token was checked before
//! its body was used ([`StaffForm`], [`StaffUpload`]); every permission is
//! decided by the app layer, and buttons follow the capability sets it
//! computes ([`StaffCaps`], [`StoryCaps`]).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use broadsheet_app::desk::{self, StaffCaps, StoryCaps};
use broadsheet_app::newsroom::{self, SignInError, Staff};
use broadsheet_app::signin;
use broadsheet_app::{AppError, DeskItem, Revision, Saved, StoryEdit, TagUse};
use broadsheet_domain::{Access, Story, StoryStatus};

use crate::Web;
use crate::client::ClientIp;
use crate::error::WebError;
use crate::extract::{Posted, SESSION_COOKIE, SignedIn, StaffForm, StaffUpload, cookie};

const SIGNIN_CSRF_COOKIE: &str = "bs_signin";
/// The trusted-device cookie (see `broadsheet_app::signin`), sent only to the sign-in form.
const DEVICE_COOKIE: &str = "bs_device";

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

// ----- sign-in -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "nr_sign_in.html")]
struct SignInPage {
    frame: Frame,
    username: String,
    /// Where to go after signing in (a checked newsroom path, or empty).
    next: String,
}

async fn sign_in_page(web: &Web, status: StatusCode, problem: &str, username: &str) -> Response {
    sign_in_page_to(web, status, problem, username, "").await
}

async fn sign_in_page_to(
    web: &Web,
    status: StatusCode,
    problem: &str,
    username: &str,
    next: &str,
) -> Response {
    let csrf = match web.signin.signin_csrf_token(&web.app).await {
        Ok(t) => t,
        Err(e) => return sign_in_failure(e),
    };
    // Never echo back a field longer than any real username.
    let username = if username.len() <= signin::MAX_USERNAME {
        username
    } else {
        ""
    };
    let page = SignInPage {
        frame: Frame {
            title: "Sign in".into(),
            paper: web.app.config().name.clone(),
            staff: None,
            caps: StaffCaps::default(),
            notice: String::new(),
            problem: problem.to_string(),
            csrf: csrf.clone(),
        },
        username: username.to_string(),
        next: crate::nr_next::return_target(next)
            .unwrap_or("")
            .to_string(),
    };
    match page.render() {
        Ok(body) => {
            let mut r = html(status, body);
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    web,
                    SIGNIN_CSRF_COOKIE,
                    &csrf,
                    "/newsroom",
                    signin::SIGNIN_CSRF_SECS,
                ),
            );
            r
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

/// A sign-in error that is not the person's to fix.
fn sign_in_failure(e: SignInError) -> Response {
    match e {
        SignInError::Internal(detail) => WebError::Internal(detail).into_response(),
        SignInError::Busy(m) => {
            let mut r = html(StatusCode::SERVICE_UNAVAILABLE, m);
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            r
        }
        SignInError::Mismatch(m) | SignInError::Limited(m) | SignInError::Invalid(m) => {
            WebError::BadRequest(m).into_response()
        }
    }
}

pub async fn sign_in_form(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let next = q.get("next").map(String::as_str).unwrap_or("");
    if let Ok(Some(_)) = crate::extract::session(&web, &headers).await {
        let to = crate::nr_next::return_target(next).unwrap_or(crate::nr_next::DASHBOARD);
        return Redirect::to(to).into_response();
    }
    sign_in_page_to(&web, StatusCode::OK, "", "", next).await
}

pub async fn sign_in(State(web): State<Web>, ClientIp(client): ClientIp, req: Request) -> Response {
    let headers = req.headers().clone();
    let Form(form): Form<HashMap<String, String>> = match Form::from_request(req, &()).await {
        Ok(f) => f,
        Err(_) => {
            return sign_in_page(
                &web,
                StatusCode::BAD_REQUEST,
                "The form could not be read. Try again.",
                "",
            )
            .await;
        }
    };
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let username = get("username");
    let next = get("next");
    // The form's token must repeat the cookie, and the cookie must be one
    // this installation signed and that has not expired.
    let cookie_token = cookie(&headers, SIGNIN_CSRF_COOKIE).unwrap_or("");
    match web
        .signin
        .signin_csrf_ok(&web.app, cookie_token, get("csrf"))
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return sign_in_page_to(
                &web,
                StatusCode::FORBIDDEN,
                "This form has expired. It has been refreshed: sign in again.",
                username,
                next,
            )
            .await;
        }
        Err(e) => return sign_in_failure(e),
    }
    let attempt = signin::Attempt {
        username,
        password: get("password"),
        code: get("code"),
        client,
        device: cookie(&headers, DEVICE_COOKIE),
    };
    match signin::sign_in(&web.app, &web.signin, &attempt).await {
        Ok(done) => {
            tracing::info!(user = %done.staff.username, "newsroom sign-in");
            // Back to the page asked for: a newsroom path on this site only.
            let to = crate::nr_next::return_target(next).unwrap_or(crate::nr_next::DASHBOARD);
            let mut r = Redirect::to(to).into_response();
            let h = r.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    &web,
                    SESSION_COOKIE,
                    &done.session,
                    "/newsroom",
                    newsroom::SESSION_SECS,
                ),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(&web, SIGNIN_CSRF_COOKIE, "", "/newsroom", 0),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    &web,
                    DEVICE_COOKIE,
                    &done.device,
                    "/newsroom/sign-in",
                    signin::DEVICE_SECS,
                ),
            );
            r
        }
        Err(SignInError::Mismatch(m)) => {
            sign_in_page_to(&web, StatusCode::UNAUTHORIZED, &m, username, next).await
        }
        Err(SignInError::Limited(m)) => {
            sign_in_page_to(&web, StatusCode::TOO_MANY_REQUESTS, &m, username, next).await
        }
        Err(SignInError::Invalid(m)) => {
            sign_in_page_to(&web, StatusCode::BAD_REQUEST, &m, username, next).await
        }
        Err(e) => sign_in_failure(e),
    }
}

pub async fn sign_out(
    State(web): State<Web>,
    StaffForm { staff, token, form }: StaffForm,
) -> Result<Response, WebError> {
    let everywhere = form.raw("everywhere") == "1";
    newsroom::sign_out(&web.app, &token, everywhere.then_some(&staff)).await?;
    let mut r = Redirect::to("/newsroom/sign-in").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&web, SESSION_COOKIE, "", "/newsroom", 0),
    );
    Ok(r)
}

// ----- the page frame ------------------------------------------------------------------

/// What every newsroom page shows around its content: title, the signed-in
/// person and the menu their capabilities allow, a notice and a problem.
pub struct Frame {
    pub title: String,
    pub paper: String,
    pub staff: Option<Staff>,
    pub caps: StaffCaps,
    pub notice: String,
    pub problem: String,
    pub csrf: String,
}

impl Frame {
    pub(crate) fn new(web: &Web, staff: &Staff, title: &str) -> Frame {
        Frame {
            title: title.to_string(),
            paper: web.app.config().name.clone(),
            caps: staff.caps(),
            csrf: staff.csrf.clone(),
            staff: Some(staff.clone()),
            notice: String::new(),
            problem: String::new(),
        }
    }

    pub(crate) fn notice(mut self, notice: &str) -> Frame {
        self.notice = notice.to_string();
        self
    }

    pub(crate) fn problem(mut self, problem: &str) -> Frame {
        self.problem = problem.to_string();
        self
    }
}

/// Renders a newsroom page: never cached, never stored.
pub(crate) fn render(page: &impl Template, status: StatusCode) -> Result<Response, WebError> {
    Ok(html(status, page.render()?))
}

/// An app-layer refusal the person can fix is shown on the page they were
/// on (`Ok(message)`); anything else becomes the error page.
pub(crate) fn fixable(e: AppError) -> Result<String, WebError> {
    match e {
        AppError::Invalid(m) => Ok(m),
        other => Err(other.into()),
    }
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
    frame: Frame,
    lists: Vec<DeskList>,
    most_read: Vec<LiveRank>,
    wire_alerts: i64,
}

fn when(web: &Web, t: i64) -> String {
    broadsheet_domain::time::show(t, &web.app.config().time_zone).text
}

pub async fn dashboard(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
) -> Result<Response, WebError> {
    let desk = newsroom::desk(&web.app, &staff.actor()).await?;
    let sections = web.app.sections();
    let lines = |items: Vec<DeskItem>| -> Vec<DeskLine> {
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
        frame: Frame::new(&web, &staff, "Dashboard"),
        lists,
        most_read,
        wire_alerts: desk.wire_alerts,
    };
    render(&page, StatusCode::OK)
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
    frame: Frame,
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
    caps: StoryCaps,
    zone: String,
    tags: String,
    preview: String,
    lead_picture: String,
    writers: Vec<SectionOption>,
    corrections: Vec<(String, String)>,
    /// The chosen lead picture's alt text and staff thumbnail (empty: none
    /// or not known).
    lead_alt: String,
    lead_thumb: String,
    /// The lead-picture search: what was asked, and the pictures found.
    picture_q: String,
    searched: bool,
    picture_results: Vec<PicChoice>,
    /// Agency copy: where it came from, the agency's notes and embargo.
    wire: Option<WireNote>,
}

/// What the editor shows of a story made from an agency item.
struct WireNote {
    agency: String,
    item: String,
    version: i64,
    status: String,
    notes: Vec<String>,
    embargo: String,
}

/// A picture the lead-picture search offers.
struct PicChoice {
    id: String,
    alt: String,
    credit: String,
    thumb: String,
}

fn notice_text(code: Option<&str>) -> &'static str {
    match code {
        Some("created") => "Draft created.",
        Some("saved") => "Saved.",
        Some("submitted") => "Submitted for review.",
        Some("published") => "Published: it is on the reader site now.",
        Some("scheduled") => "Scheduled.",
        Some("withdrawn") => "Withdrawn: readers get a 410 page.",
        Some("reinstated") => "Reinstated: it is on the reader site again.",
        Some("corrected") => "Correction published.",
        Some("restored") => "Revision restored (as a new version).",
        _ => "",
    }
}

fn blank_edit(web: &Web) -> StoryEdit {
    StoryEdit {
        section_id: web.app.sections().top().next().map(|s| s.id).unwrap_or(0),
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
    }
}

/// Reads the editor form into an edit. Tags are resolved by the app layer.
fn edit_from_form(f: &Posted) -> Result<StoryEdit, WebError> {
    let section_id = f
        .get("section")
        .parse::<i64>()
        .map_err(|_| WebError::BadRequest("Choose a section for the story.".into()))?;
    let access = f
        .get("access")
        .parse::<Access>()
        .map_err(|_| WebError::BadRequest("Choose free, metered or subscribers only.".into()))?;
    let byline = f.get("byline");
    let mut authors = Vec::new();
    for a in &f.authors {
        let id = a.trim().parse::<i64>().map_err(|_| {
            WebError::BadRequest(format!(
                "Byline {a:?} is not a member of staff: choose from the list."
            ))
        })?;
        authors.push(id);
    }
    let tags = newsroom::tag_names(&f.get("tags"))?;
    Ok(StoryEdit {
        section_id,
        headline: f.get("headline"),
        standfirst: f.get("standfirst"),
        body: f.raw("body").replace("\r\n", "\n"),
        byline_text: (!byline.is_empty()).then_some(byline),
        access,
        breaking: f.raw("breaking") == "1",
        seo_title: f.get("seo_title"),
        seo_description: f.get("seo_description"),
        tags,
        authors,
        lead_picture_id: match f.get("lead_picture").trim_start_matches('#') {
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
    /// The editor's lead-picture search, when one was asked for.
    picture_q: Option<&'a str>,
    version: i64,
    notice: &'a str,
    problem: &'a str,
    status: StatusCode,
}

fn shown<'a>(version: i64, problem: &'a str, status: StatusCode) -> Shown<'a> {
    Shown {
        edit: None,
        tags: None,
        picture_q: None,
        version,
        notice: "",
        problem,
        status,
    }
}

/// The editor page for `story` (or a new story), as `shown` says.
async fn render_story(
    web: &Web,
    staff: &Staff,
    story: Option<&Story>,
    shown: Shown<'_>,
) -> Result<Response, WebError> {
    let ctx = desk::editor_context(&web.app, staff, story).await?;
    let sections = web.app.sections();
    let tags_text = match (shown.tags, story) {
        (Some(t), _) => t.to_string(),
        (None, Some(s)) => s
            .tags
            .iter()
            .map(|t| t.name.clone())
            .collect::<Vec<_>>()
            .join(", "),
        (None, None) => String::new(),
    };
    let e = shown
        .edit
        .cloned()
        .or_else(|| story.map(StoryEdit::of))
        .unwrap_or_else(|| blank_edit(web));
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
    let preview = preview_html(web, &e.body).await?;
    // The lead-picture picker: a search of the media library (no ids typed).
    let (searched, picture_results) = match shown.picture_q {
        Some(q) => match desk::media_library(&web.app, staff, q).await {
            Ok((found, _)) => (
                true,
                found
                    .into_iter()
                    .take(24)
                    .map(|p| PicChoice {
                        id: p.id.to_string(),
                        thumb: crate::view::staff_media_url(&p.token, 480, "jpeg"),
                        alt: p.alt,
                        credit: p.credit,
                    })
                    .collect(),
            ),
            Err(AppError::Forbidden(_)) => (true, Vec::new()),
            Err(e) => return Err(e.into()),
        },
        None => (false, Vec::new()),
    };
    let lead_id = e.lead_picture_id.map(|p| p.to_string()).unwrap_or_default();
    let (lead_alt, lead_thumb) = match story.and_then(|s| s.lead_picture.as_ref()) {
        Some(p) if Some(p.id) == e.lead_picture_id => (
            p.alt.clone(),
            crate::view::staff_media_url(&p.token, 480, "jpeg"),
        ),
        _ => match picture_results.iter().find(|p| p.id == lead_id) {
            Some(p) => (p.alt.clone(), p.thumb.clone()),
            None if !lead_id.is_empty() => (format!("Picture {lead_id}"), String::new()),
            None => (String::new(), String::new()),
        },
    };
    let title = if story.is_some() {
        "Edit story"
    } else {
        "New story"
    };
    let wire = match story {
        Some(s) => broadsheet_app::wire::origin(&web.app, s)
            .await?
            .map(|o| WireNote {
                agency: o.agency,
                item: o.item,
                version: o.version,
                status: o.status,
                notes: o.notes,
                embargo: o.embargo.map(|t| when(web, t)).unwrap_or_default(),
            }),
        None => None,
    };
    let page = StoryPage {
        frame: Frame::new(web, staff, title)
            .notice(shown.notice)
            .problem(shown.problem),
        id: story.map(|s| s.id).unwrap_or(0),
        version: shown.version,
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
        caps: desk::story_caps(staff, story),
        zone: web.app.config().time_zone_name.clone(),
        tags: tags_text,
        preview,
        lead_picture: e.lead_picture_id.map(|p| p.to_string()).unwrap_or_default(),
        writers: ctx
            .writers
            .iter()
            .map(|(id, name)| SectionOption {
                id: *id,
                name: name.clone(),
                selected: chosen.contains(id),
            })
            .collect(),
        corrections: ctx
            .corrections
            .into_iter()
            .map(|c| (when(web, c.at), c.text))
            .collect(),
        lead_alt,
        lead_thumb,
        picture_q: shown.picture_q.unwrap_or("").to_string(),
        searched,
        picture_results,
        wire,
    };
    render(&page, shown.status)
}

pub async fn new_story(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
) -> Result<Response, WebError> {
    desk::may_write(&staff)?;
    render_story(&web, &staff, None, shown(0, "", StatusCode::OK)).await
}

pub async fn create_story(
    State(web): State<Web>,
    StaffForm { staff, form: f, .. }: StaffForm,
) -> Result<Response, WebError> {
    desk::may_write(&staff)?;
    let tags_text = f.raw("tags").to_string();
    let edit = match edit_from_form(&f) {
        Ok(e) => e,
        Err(WebError::BadRequest(m)) => {
            return render_story(&web, &staff, None, shown(0, &m, StatusCode::BAD_REQUEST)).await;
        }
        Err(e) => return Err(e),
    };
    // Preview and the picture search show the form again, nothing saved.
    if let Some(sh) = redisplay(&f, &edit, &tags_text, 0) {
        return render_story(&web, &staff, None, sh).await;
    }
    let actor = staff.actor();
    // Submit or publish a new story in one post: created, then moved, by
    // the same use cases (the move's permission is checked before creating).
    let done = match f.raw("do") {
        "submit" => newsroom::create_and_move(&web.app, &actor, &edit, newsroom::FirstMove::Submit)
            .await
            .map(|(id, _)| (id, "submitted")),
        "publish" => {
            let at = match parse_local(&web, f.raw("publish_at")) {
                Ok(at) => at,
                Err(WebError::BadRequest(m)) => {
                    let sh = Shown {
                        edit: Some(&edit),
                        tags: Some(&tags_text),
                        ..shown(0, &m, StatusCode::BAD_REQUEST)
                    };
                    return render_story(&web, &staff, None, sh).await;
                }
                Err(e) => return Err(e),
            };
            newsroom::create_and_move(&web.app, &actor, &edit, newsroom::FirstMove::Publish(at))
                .await
                .map(|(id, st)| {
                    (
                        id,
                        if st == StoryStatus::Scheduled {
                            "scheduled"
                        } else {
                            "published"
                        },
                    )
                })
        }
        _ => newsroom::create(&web.app, &actor, &edit)
            .await
            .map(|id| (id, "created")),
    };
    match done {
        Ok((id, code)) => {
            Ok(Redirect::to(&format!("/newsroom/stories/{id}?m={code}")).into_response())
        }
        Err(e) => {
            let m = fixable(e)?;
            let sh = Shown {
                edit: Some(&edit),
                tags: Some(&tags_text),
                ..shown(0, &m, StatusCode::BAD_REQUEST)
            };
            render_story(&web, &staff, None, sh).await
        }
    }
}

/// The editor's "Preview" and "Find pictures" buttons: the posted text
/// shown again (preview rendered, pictures searched), nothing saved.
fn redisplay<'a>(
    f: &'a Posted,
    edit: &'a StoryEdit,
    tags_text: &'a str,
    version: i64,
) -> Option<Shown<'a>> {
    let picture_q = match f.raw("do") {
        "preview" => None,
        "find-pictures" => Some(f.raw("picture_q")),
        _ => return None,
    };
    Some(Shown {
        edit: Some(edit),
        tags: Some(tags_text),
        picture_q,
        notice: if picture_q.is_some() {
            "Not saved yet: choose a picture, then save."
        } else {
            "Preview updated. Not saved yet."
        },
        ..shown(version, "", StatusCode::OK)
    })
}

pub async fn edit_story(
    State(web): State<Web>,
    Path(id): Path<i64>,
    SignedIn { staff, .. }: SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let story = newsroom::open(&web.app, &staff.actor(), id).await?;
    let sh = Shown {
        notice: notice_text(q.get("m").map(String::as_str)),
        ..shown(story.version, "", StatusCode::OK)
    };
    render_story(&web, &staff, Some(&story), sh).await
}

/// Parses `datetime-local` input in the paper's zone.
pub(crate) fn parse_local(web: &Web, s: &str) -> Result<Option<i64>, WebError> {
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

/// A save from the editor: JSON for autosave, else the page again.
async fn save_story(
    web: &Web,
    staff: &Staff,
    story: &Story,
    f: &Posted,
    version: i64,
    json_wanted: bool,
) -> Result<Result<&'static str, Response>, WebError> {
    let tags_text = f.raw("tags").to_string();
    let edit = match edit_from_form(f) {
        Ok(e) => e,
        Err(WebError::BadRequest(m)) if json_wanted => {
            return Ok(Err(json(
                StatusCode::BAD_REQUEST,
                serde_json::json!({ "error": m }),
            )));
        }
        Err(WebError::BadRequest(m)) => {
            return render_story(
                web,
                staff,
                Some(story),
                shown(version, &m, StatusCode::BAD_REQUEST),
            )
            .await
            .map(Err);
        }
        Err(e) => return Err(e),
    };
    let saved = newsroom::save(&web.app, &staff.actor(), story.id, version, &edit).await;
    if json_wanted {
        return Ok(Err(match saved {
            Ok(Saved::Ok(v)) => json(StatusCode::OK, serde_json::json!({ "version": v })),
            Ok(Saved::Conflict { current }) => json(
                StatusCode::CONFLICT,
                serde_json::json!({ "error": format!("Not saved: someone else saved this story (now version {current}). Copy your text, reload, and apply it again."), "version": current }),
            ),
            Err(e) => {
                let m = fixable(e)?;
                json(StatusCode::BAD_REQUEST, serde_json::json!({ "error": m }))
            }
        }));
    }
    let (problem, status) = match saved {
        Ok(Saved::Ok(_)) => return Ok(Ok("saved")),
        Ok(Saved::Conflict { current }) => (
            format!(
                "Not saved: someone else saved this story while you were editing (it is now at version {current}). \
                 Your text is below and is kept in the history; open the story again to see theirs, then apply your changes to it."
            ),
            StatusCode::CONFLICT,
        ),
        Err(e) => (fixable(e)?, StatusCode::BAD_REQUEST),
    };
    let sh = Shown {
        edit: Some(&edit),
        tags: Some(&tags_text),
        ..shown(version, &problem, status)
    };
    render_story(web, staff, Some(story), sh).await.map(Err)
}

pub async fn update_story(
    State(web): State<Web>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    StaffForm { staff, form: f, .. }: StaffForm,
) -> Result<Response, WebError> {
    let story = newsroom::open(&web.app, &staff.actor(), id).await?;
    let action = match f.raw("do") {
        "" => "save",
        a => a,
    };
    let version = f.get("version").parse::<i64>().unwrap_or(0);
    if matches!(action, "preview" | "find-pictures") {
        let tags_text = f.raw("tags").to_string();
        let edit = match edit_from_form(&f) {
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
            Err(e) => return Err(e),
        };
        if let Some(sh) = redisplay(&f, &edit, &tags_text, version) {
            return render_story(&web, &staff, Some(&story), sh).await;
        }
    }
    let app = &web.app;
    let result: Result<&str, AppError> = match action {
        "save" => {
            match save_story(&web, &staff, &story, &f, version, wants_json(&headers)).await? {
                Ok(code) => Ok(code),
                Err(page) => return Ok(page),
            }
        }
        "submit" => newsroom::submit(app, &staff.actor(), id)
            .await
            .map(|()| "submitted"),
        "publish" => {
            let at = match parse_local(&web, f.raw("publish_at")) {
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
                Err(e) => return Err(e),
            };
            newsroom::publish(app, &staff.actor(), id, version, at)
                .await
                .map(|s| {
                    if s == StoryStatus::Scheduled {
                        "scheduled"
                    } else {
                        "published"
                    }
                })
        }
        "withdraw" => newsroom::withdraw(app, &staff.actor(), id)
            .await
            .map(|()| "withdrawn"),
        "reinstate" => newsroom::reinstate(app, &staff.actor(), id)
            .await
            .map(|()| "reinstated"),
        "correct" => newsroom::correct(app, &staff.actor(), id, f.raw("correction"))
            .await
            .map(|()| "corrected"),
        "restore" => {
            let rev = f.get("revision").parse::<i64>().unwrap_or(0);
            match newsroom::restore(app, &staff.actor(), id, rev, version).await {
                Ok(Saved::Ok(_)) => Ok("restored"),
                Ok(Saved::Conflict { .. }) => Err(AppError::Invalid(
                    "Not restored: the story changed since you opened its history. Open the history again.".into(),
                )),
                Err(e) => Err(e),
            }
        }
        other => Err(AppError::Invalid(format!(
            "Unknown action {other:?}: use the editor's buttons."
        ))),
    };
    match result {
        Ok(code) => Ok(Redirect::to(&format!("/newsroom/stories/{id}?m={code}")).into_response()),
        Err(e) => {
            let m = fixable(e)?;
            render_story(
                &web,
                &staff,
                Some(&story),
                shown(story.version, &m, StatusCode::BAD_REQUEST),
            )
            .await
        }
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
    frame: Frame,
    id: i64,
    headline: String,
    version: i64,
    can_restore: bool,
    revisions: Vec<RevLine>,
    audit: Vec<AuditLine>,
}

pub async fn history(
    State(web): State<Web>,
    Path(id): Path<i64>,
    SignedIn { staff, .. }: SignedIn,
) -> Result<Response, WebError> {
    let newsroom::History {
        story,
        revisions: revs,
        audit,
        staff: staff_list,
    } = newsroom::history(&web.app, &staff.actor(), id).await?;
    let who = |id: Option<i64>| -> String {
        id.and_then(|i| {
            staff_list
                .iter()
                .find(|(sid, _)| *sid == i)
                .map(|(_, n)| n.clone())
        })
        .unwrap_or_else(|| "a former member of staff".into())
    };
    let page = HistoryPage {
        frame: Frame::new(&web, &staff, "History"),
        id,
        headline: story.headline.clone(),
        version: story.version,
        can_restore: desk::story_caps(&staff, Some(&story)).restore_revision,
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
            .map(|a| AuditLine {
                when: when(&web, a.at),
                who: match a.actor.as_str() {
                    "staff" => who(a.actor_id),
                    "scheduler" => "the scheduler".into(),
                    "operator" => "the operator (command line)".into(),
                    other => other.to_string(),
                },
                action: a.action,
                detail: a.detail,
            })
            .collect(),
    };
    render(&page, StatusCode::OK)
}

fn text_of(r: &Revision) -> String {
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
    frame: Frame,
    /// (story id, reader URL, headline)
    picks: Vec<(i64, String, String)>,
    /// The search of published stories to add from.
    q: String,
    /// (story id, reader URL, headline) of the stories found.
    results: Vec<(i64, String, String)>,
}

async fn picks_page(
    web: &Web,
    staff: &Staff,
    frame: Frame,
    q: &str,
    status: StatusCode,
) -> Result<Response, WebError> {
    let sections = web.app.sections();
    let picks: Vec<(i64, String, String)> = web
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
    let results = broadsheet_app::curation::find_published(&web.app, &staff.actor(), q)
        .await?
        .into_iter()
        .filter(|c| !picks.iter().any(|p| p.0 == c.id))
        .map(|c| (c.id, crate::view::story_url(&sections, &c), c.headline))
        .collect();
    render(
        &PicksPage {
            frame,
            picks,
            q: q.trim().to_string(),
            results,
        },
        status,
    )
}

pub async fn picks(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    desk::may_curate(&staff)?;
    let search = q.get("q").map(String::as_str).unwrap_or("");
    picks_page(
        &web,
        &staff,
        Frame::new(&web, &staff, "Editor's Picks"),
        search,
        StatusCode::OK,
    )
    .await
}

pub async fn update_picks(
    State(web): State<Web>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    desk::may_curate(&staff)?;
    let frame = Frame::new(&web, &staff, "Editor's Picks");
    let Ok(story) = form.get("story").parse::<i64>() else {
        return picks_page(
            &web,
            &staff,
            frame.problem("Choose a story from the search results."),
            "",
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let change = form.raw("do").parse::<desk::PickChange>();
    let done = match change {
        Ok(c) => desk::change_picks(&web.app, &staff, story, c).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => Ok(Redirect::to("/newsroom/picks").into_response()),
        Err(e) => {
            picks_page(
                &web,
                &staff,
                frame.problem(&fixable(e)?),
                "",
                StatusCode::BAD_REQUEST,
            )
            .await
        }
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
    frame: Frame,
    q: String,
    total: i64,
    max_mb: usize,
    pictures: Vec<LibraryItem>,
}

async fn pictures_page(
    web: &Web,
    frame: Frame,
    staff: &Staff,
    q: &str,
    status: StatusCode,
) -> Result<Response, WebError> {
    let (list, total) = desk::media_library(&web.app, staff, q).await?;
    let page = PicturesPage {
        frame,
        q: q.to_string(),
        total,
        max_mb: broadsheet_app::media::MAX_UPLOAD_BYTES / 1_048_576,
        pictures: list
            .into_iter()
            .map(|p| LibraryItem {
                thumb_height: (160 * p.height / p.width.max(1)).max(1),
                thumb: crate::view::staff_media_url(&p.token, 480, "jpeg"),
                id: p.id,
                alt: p.alt,
                caption: p.caption,
                credit: p.credit,
                width: p.width,
                height: p.height,
            })
            .collect(),
    };
    render(&page, status)
}

pub async fn pictures(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let notice = match q.get("m").map(String::as_str) {
        Some("uploaded") => {
            "Picture uploaded. Use its number as the lead picture, or place it with [picture:NUMBER]."
        }
        _ => "",
    };
    let query = q.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    let frame = Frame::new(&web, &staff, "Media library").notice(notice);
    pictures_page(&web, frame, &staff, &query, StatusCode::OK).await
}

const UPLOAD_CUT_OFF: &str = "The upload did not complete (the file was cut off or too large): nothing was stored. Try again.";

pub async fn upload_picture(
    State(web): State<Web>,
    StaffUpload {
        staff,
        mut multipart,
    }: StaffUpload,
) -> Result<Response, WebError> {
    let problem = |m: &str| Frame::new(&web, &staff, "Media library").problem(m);
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                return pictures_page(
                    &web,
                    problem(UPLOAD_CUT_OFF),
                    &staff,
                    "",
                    StatusCode::BAD_REQUEST,
                )
                .await;
            }
        };
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
                        problem(UPLOAD_CUT_OFF),
                        &staff,
                        "",
                        StatusCode::BAD_REQUEST,
                    )
                    .await;
                }
            }
        } else {
            // An unreadable text part is a broken upload, not an empty field.
            match field.text().await {
                Ok(text) => {
                    fields.insert(name, text);
                }
                Err(_) => {
                    return pictures_page(
                        &web,
                        problem(UPLOAD_CUT_OFF),
                        &staff,
                        "",
                        StatusCode::BAD_REQUEST,
                    )
                    .await;
                }
            }
        }
    }
    let Some((declared, bytes)) = file else {
        return pictures_page(
            &web,
            problem("Choose a picture file to upload."),
            &staff,
            "",
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    match newsroom::upload_picture(
        &web.app,
        &staff.actor(),
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
            Ok(Redirect::to("/newsroom/pictures?m=uploaded").into_response())
        }
        Err(AppError::Busy(m)) => {
            let mut r = pictures_page(
                &web,
                problem(&m),
                &staff,
                "",
                StatusCode::SERVICE_UNAVAILABLE,
            )
            .await?;
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            Ok(r)
        }
        Err(e) => {
            let m = fixable(e)?;
            pictures_page(
                &web,
                problem(&m),
                &staff,
                "",
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// The body as readers will see it (sanitised), for the editor's preview.
async fn preview_html(web: &Web, body: &str) -> Result<String, WebError> {
    // Staff see pictures that are not published yet: their renditions come
    // through the staff address.
    Ok(broadsheet_app::render::body_html(&web.app, body, crate::pages::staff_figure_html).await?)
}

/// `POST /newsroom/preview`: the sanitised HTML of a body, for live preview.
pub async fn preview(
    State(web): State<Web>,
    StaffForm { form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let body = form.raw("body");
    if body.len() > broadsheet_domain::markup::MAX_BODY_BYTES {
        return Ok((
            StatusCode::PAYLOAD_TOO_LARGE,
            [(header::CACHE_CONTROL, "no-store")],
            "The body is too long to preview.",
        )
            .into_response());
    }
    // Refused with the reason when nested too deeply; rendered off the
    // async workers with a time limit.
    match broadsheet_app::render::preview_html(&web.app, body, crate::pages::figure_html).await {
        Ok(h) => Ok(html(StatusCode::OK, h)),
        Err(AppError::Invalid(m)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            [(header::CACHE_CONTROL, "no-store")],
            m,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
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
    /// Metered stories here are for subscribers only.
    paywalled: bool,
}

#[derive(Template)]
#[template(path = "nr_taxonomy.html")]
struct TaxonomyPage {
    frame: Frame,
    sections: Vec<SectionLine>,
    tags: Vec<TagUse>,
    /// Names of the tags whose metered stories are for subscribers only.
    paywalled_tags: Vec<String>,
}

async fn taxonomy_page(
    web: &Web,
    staff: &Staff,
    frame: Frame,
    status: StatusCode,
) -> Result<Response, WebError> {
    let tags = desk::tags(&web.app, staff).await?;
    let (over_sections, over_tags) = broadsheet_app::meter::over_meter_rules(&web.app).await?;
    let tree = web.app.sections();
    let mut sections = Vec::new();
    for top in tree.top() {
        sections.push(SectionLine {
            id: top.id,
            name: top.name.clone(),
            path: top.path.clone(),
            child: false,
            paywalled: over_sections.contains(&top.id),
        });
        for c in tree.children(top.id) {
            sections.push(SectionLine {
                id: c.id,
                name: c.name.clone(),
                path: c.path.clone(),
                child: true,
                paywalled: over_sections.contains(&c.id),
            });
        }
    }
    let paywalled_tags = tags
        .iter()
        .filter(|t| over_tags.contains(&t.id))
        .map(|t| t.name.clone())
        .collect();
    render(
        &TaxonomyPage {
            frame,
            sections,
            tags,
            paywalled_tags,
        },
        status,
    )
}

pub async fn taxonomy(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    desk::may_manage_taxonomy(&staff)?;
    let notice = match q.get("m").map(String::as_str) {
        Some("sections") => "Sections updated; every page shows the change now.",
        Some("merged") => "Tags merged.",
        _ => "",
    };
    let frame = Frame::new(&web, &staff, "Sections and tags").notice(notice);
    taxonomy_page(&web, &staff, frame, StatusCode::OK).await
}

async fn taxonomy_result(
    web: &Web,
    staff: &Staff,
    r: Result<&str, AppError>,
) -> Result<Response, WebError> {
    match r {
        Ok(code) => Ok(Redirect::to(&format!("/newsroom/sections?m={code}")).into_response()),
        Err(e) => {
            let frame = Frame::new(web, staff, "Sections and tags").problem(&fixable(e)?);
            taxonomy_page(web, staff, frame, StatusCode::BAD_REQUEST).await
        }
    }
}

pub async fn update_sections(
    State(web): State<Web>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let app = &web.app;
    let name = form.raw("name");
    let section = form.get("section").parse::<i64>().unwrap_or(0);
    let r = match form.raw("do") {
        "add" => {
            let parent = form.get("parent").parse::<i64>().ok();
            newsroom::add_section(app, &staff.actor(), name, parent)
                .await
                .map(|_| "sections")
        }
        "rename" => newsroom::rename_section(app, &staff.actor(), section, name)
            .await
            .map(|()| "sections"),
        "up" => newsroom::move_section(app, &staff.actor(), section, true)
            .await
            .map(|()| "sections"),
        "down" => newsroom::move_section(app, &staff.actor(), section, false)
            .await
            .map(|()| "sections"),
        // "Subscribers only over the meter" on a section or a tag.
        how @ ("paywall-on" | "paywall-off" | "tag-paywall-on" | "tag-paywall-off") => {
            use broadsheet_app::meter::{Over, set_over_meter};
            let over = if how.starts_with("tag-") {
                Over::Tag(form.get("tag").parse::<i64>().unwrap_or(0))
            } else {
                Over::Section(section)
            };
            set_over_meter(app, &staff.actor(), over, how.ends_with("-on"))
                .await
                .map(|()| "sections")
        }
        _ => Err(AppError::Invalid(
            "Unknown change: use the page's buttons.".into(),
        )),
    };
    taxonomy_result(&web, &staff, r).await
}

pub async fn merge_tags(
    State(web): State<Web>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let id = |k: &str| form.get(k).parse::<i64>().unwrap_or(0);
    let r = newsroom::merge_tags(&web.app, &staff.actor(), id("from"), id("into"))
        .await
        .map(|()| "merged");
    taxonomy_result(&web, &staff, r).await
}

// ----- your account: two-factor sign-in and password ------------------------------------------

#[derive(Template)]
#[template(path = "nr_account.html")]
struct AccountPage {
    frame: Frame,
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
    let acct = match desk::account(&web.app, &staff).await {
        Ok(a) => a,
        Err(e) => return WebError::from(e).into_response(),
    };
    let two_factor = acct.two_factor;
    // A fresh key to turn two-factor on with, or to replace the current one.
    let secret = broadsheet_app::accounts::new_totp_secret();
    let otpauth =
        broadsheet_app::accounts::otpauth_url(&secret, &staff.username, &web.app.config().name);
    let page = AccountPage {
        author_url: acct
            .author_slug
            .map(|s| format!("/authors/{s}"))
            .unwrap_or_default(),
        bio: acct.bio,
        picture: acct.picture_id.map(|p| p.to_string()).unwrap_or_default(),
        frame: Frame::new(web, &staff, "Your account")
            .notice(notice)
            .problem(problem),
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
    SignedIn { staff, .. }: SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
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
    ClientIp(client): ClientIp,
    StaffForm { staff, form, .. }: StaffForm,
) -> Response {
    let get = |k: &str| form.raw(k);
    // A refusal the person can fix is shown on the account page.
    async fn refused(web: &Web, staff: Staff, e: SignInError) -> Response {
        match e {
            SignInError::Mismatch(m) | SignInError::Invalid(m) => {
                account_page(web, staff, "", &m, StatusCode::BAD_REQUEST).await
            }
            SignInError::Limited(m) => {
                account_page(web, staff, "", &m, StatusCode::TOO_MANY_REQUESTS).await
            }
            other => sign_in_failure(other),
        }
    }
    match get("do") {
        "totp-on" | "totp-off" => {
            let change = if get("do") == "totp-on" {
                signin::TwoFactorChange::On {
                    secret: get("secret"),
                    code: get("code"),
                }
            } else {
                signin::TwoFactorChange::Off
            };
            match signin::change_two_factor(
                &web.app,
                &web.signin,
                &staff,
                client,
                get("password"),
                get("current_code"),
                change,
            )
            .await
            {
                Ok(()) => {
                    let on = matches!(change, signin::TwoFactorChange::On { .. });
                    tracing::info!(user = %staff.username, on, "two-factor sign-in changed");
                    Redirect::to(if on {
                        "/newsroom/account?m=on"
                    } else {
                        "/newsroom/account?m=off"
                    })
                    .into_response()
                }
                Err(e) => refused(&web, staff, e).await,
            }
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
            match newsroom::set_profile(&web.app, &staff.actor(), get("bio"), picture).await {
                Ok(()) => Redirect::to("/newsroom/account?m=profile").into_response(),
                Err(broadsheet_app::AppError::Invalid(m)) => {
                    account_page(&web, staff, "", &m, StatusCode::BAD_REQUEST).await
                }
                Err(e) => WebError::from(e).into_response(),
            }
        }
        "password" => {
            match signin::change_password(
                &web.app,
                &web.signin,
                &staff,
                client,
                get("current"),
                get("new"),
            )
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
                Err(e) => refused(&web, staff, e).await,
            }
        }
        _ => account_page(&web, staff, "", "Unknown change.", StatusCode::BAD_REQUEST).await,
    }
}

// ----- staff accounts ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "nr_staff.html")]
struct StaffPage {
    frame: Frame,
    people: Vec<desk::StaffLine>,
    roles: Vec<&'static str>,
    /// A password just made, shown once (empty otherwise).
    password: String,
    password_for: String,
}

async fn staff_page(
    web: &Web,
    staff: &Staff,
    frame: Frame,
    password: Option<(String, String)>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let people = desk::staff_list(&web.app, staff).await?;
    let (password_for, password) = password.unwrap_or_default();
    render(
        &StaffPage {
            frame,
            people,
            roles: broadsheet_domain::permissions::ROLES
                .iter()
                .map(|r| r.as_str())
                .collect(),
            password,
            password_for,
        },
        status,
    )
}

/// `GET /newsroom/staff`: everyone on the staff, with role and password
/// changes (admins only: `ManageStaff`).
pub async fn staff(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let notice = match q.get("m").map(String::as_str) {
        Some("role") => "Role changed; it applies from their next page.",
        _ => "",
    };
    let frame = Frame::new(&web, &staff, "Staff").notice(notice);
    staff_page(&web, &staff, frame, None, StatusCode::OK).await
}

/// `POST /newsroom/staff`: add someone, change a role, or make a new
/// password (shown once on the page that answers, never stored in clear).
pub async fn update_staff(
    State(web): State<Web>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    use broadsheet_app::accounts;
    let actor = staff.actor();
    let username = form.get("username");
    let role = form
        .get("role")
        .parse::<broadsheet_domain::permissions::Role>();
    let done: Result<Option<(String, String)>, AppError> = match (form.raw("do"), role) {
        ("add", Ok(role)) => {
            let password = accounts::generate_password();
            accounts::add_user(
                &web.app,
                &actor,
                &username,
                &form.get("name"),
                &form.get("email"),
                role,
                &password,
            )
            .await
            .map(|_| Some((username.clone(), password)))
        }
        ("role", Ok(role)) => accounts::set_role(&web.app, &actor, &username, role)
            .await
            .map(|()| None),
        ("reset", _) => accounts::reset_password(&web.app, &actor, &username, None)
            .await
            .map(|pw| Some((username.clone(), pw))),
        (_, Err(_)) => Err(AppError::Invalid("Choose a role from the list.".into())),
        _ => Err(AppError::Invalid(
            "Unknown change: use the page's buttons.".into(),
        )),
    };
    match done {
        Ok(None) => Ok(Redirect::to("/newsroom/staff?m=role").into_response()),
        Ok(Some(pw)) => {
            tracing::info!(user = %staff.username, account = %pw.0, "staff password made");
            let frame = Frame::new(&web, &staff, "Staff");
            staff_page(&web, &staff, frame, Some(pw), StatusCode::OK).await
        }
        Err(e) => {
            let frame = Frame::new(&web, &staff, "Staff").problem(&fixable(e)?);
            staff_page(&web, &staff, frame, None, StatusCode::BAD_REQUEST).await
        }
    }
}
