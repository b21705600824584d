//! Reader comments over HTTP, in two halves so story pages stay shared:
//!
//! - `/comments/{story}` (oldest first), `/comments/{story}/newest`, and
//!   `/comments/{story}/{sort}/{cursor}` (keyset pages): the public thread,
//!   the same for everyone, rendered on the server and kept in the page
//!   cache under `story-<id>` (purged by the change events of any move that
//!   changes what the public sees). It carries no per-person part: reply and
//!   report are links to the private half.
//! - `/account/comments/…`: each reader's own view (`private, no-store`,
//!   never cached): the form to write or reply, their own comments in every
//!   state (a hidden one is shown only here, to its author, with the
//!   reason), edit within the window, delete, and report. Forms post and
//!   redirect; no JavaScript.
//!
//! Handlers are extractors plus one call into `broadsheet_app::comments`.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use broadsheet_app::ReaderAccount;
use broadsheet_app::comments::{self, CommentError, Mine, Posted, Shown, Sort, Thread};
use broadsheet_app::keys::Key;
use broadsheet_domain::comments::{CommentState, MAX_CHARS};
use broadsheet_domain::time::{ShownTime, show};

use crate::client::ClientIp;
use crate::error::WebError;
use crate::extract::{ReaderForm, ReaderSession, reader_token};
use crate::readers::Problem;
use crate::view::{self, Chrome};
use crate::{Web, cache_key, page, pages};

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/comments/{story}", get(thread_first))
        .route("/comments/{story}/{sort}", get(thread_sorted))
        .route("/comments/{story}/{sort}/{cursor}", get(thread_more))
        .route(
            "/account/comments/{story}",
            get(mine_page).post(post_comment),
        )
        .route(
            "/account/comments/edit/{id}",
            axum::routing::post(edit_comment),
        )
        .route(
            "/account/comments/delete/{id}",
            axum::routing::post(delete_comment),
        )
        .route(
            "/account/comments/report/{id}",
            get(report_form).post(report),
        )
}

/// A comment as templates show it.
pub struct CView {
    pub id: i64,
    pub author: String,
    pub html: String,
    pub when: ShownTime,
    pub edited: bool,
    pub replies: Vec<CView>,
    pub more_replies: i64,
    /// Readers' recommendations.
    pub reactions: i64,
    pub featured: bool,
    /// "Staff", "Subscriber" (text beside the name).
    pub badges: Vec<&'static str>,
    /// Written from a reader account (one that can be ignored).
    pub has_account: bool,
    /// In one reader's private view only: they recommend it, they wrote
    /// it, they ignore its author (`comment_extras`).
    pub reacted: bool,
    pub own: bool,
    pub ignored: bool,
}

pub(crate) fn cview(web: &Web, s: &Shown) -> CView {
    let tz = &web.app.config().time_zone;
    CView {
        reactions: s.row.reactions,
        featured: s.row.featured_at.is_some(),
        badges: s.badges.clone(),
        has_account: s.row.reader_id.is_some(),
        reacted: false,
        own: false,
        ignored: false,
        id: s.row.id,
        author: s.row.author_name.clone(),
        html: s.html.clone(),
        when: show(s.row.created_at, tz),
        edited: s.row.edited_at.is_some(),
        replies: s.replies.iter().map(|r| cview(web, r)).collect(),
        more_replies: s.more_replies,
    }
}

pub(crate) fn story_url(web: &Web, story: &broadsheet_domain::Story) -> String {
    broadsheet_domain::permalink::story_path(
        web.app.sections().path(story.section_id),
        &story.slug,
        story.id,
    )
}

// ----- the shared thread ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "comments_thread.html")]
struct ThreadPage {
    chrome: Chrome,
    story: i64,
    story_url: String,
    headline: String,
    count: i64,
    open: bool,
    closed_message: String,
    sort: &'static str,
    /// Where the sort links go: `/comments/<story>` for the shared thread,
    /// `/account/comments/read/<story>?sort=` for a reader's own view.
    sort_base: String,
    sort_sep: &'static str,
    featured: Vec<CView>,
    comments: Vec<CView>,
    next: Option<String>,
    /// Empty on the shared page; a reader's own view carries their form token.
    csrf: String,
}

fn thread_html(web: &Web, path: &str, t: &Thread) -> Result<String, WebError> {
    let sort = t.sort.as_str();
    let featured = t.featured.iter().map(|c| cview(web, c)).collect();
    let comments = t.comments.iter().map(|c| cview(web, c)).collect();
    let next = t
        .next
        .map(|n| format!("/comments/{}/{sort}/{n}", t.story.id));
    let base = format!("/comments/{}", t.story.id);
    thread_page_html(
        web,
        path,
        t,
        featured,
        comments,
        next,
        (base, "/"),
        String::new(),
    )
}

/// The thread page, shared or (with `csrf` and marked views) a reader's own.
#[allow(clippy::too_many_arguments)]
pub(crate) fn thread_page_html(
    web: &Web,
    path: &str,
    t: &Thread,
    featured: Vec<CView>,
    comments: Vec<CView>,
    next: Option<String>,
    sort_base: (String, &'static str),
    csrf: String,
) -> Result<String, WebError> {
    let mut chrome = view::chrome(
        &web.app,
        &web.app.sections(),
        format!("Comments: {} | {}", t.story.headline, web.app.config().name),
        path,
        None,
    );
    // Thread pages are for people; the story page is what search engines index.
    chrome.noindex = true;
    Ok(ThreadPage {
        chrome,
        story: t.story.id,
        story_url: story_url(web, &t.story),
        headline: t.story.headline.clone(),
        count: t.count,
        open: t.openness.is_open(),
        closed_message: t.openness.message().to_string(),
        sort: t.sort.as_str(),
        sort_base: sort_base.0,
        sort_sep: sort_base.1,
        featured,
        comments,
        next,
        csrf,
    }
    .render()?)
}

pub(crate) fn comment_error(e: CommentError) -> WebError {
    match e {
        CommentError::NotFound => WebError::NotFound,
        CommentError::Invalid(m) => WebError::BadRequest(m),
        CommentError::Refused(m) => WebError::Forbidden(m),
        CommentError::Limited(m) => WebError::BadRequest(m),
        CommentError::App(a) => a.into(),
    }
}

async fn thread_at(
    web: Web,
    headers: HeaderMap,
    story: i64,
    order: Sort,
    cursor: Option<i64>,
) -> Response {
    let sort = order.as_str();
    let path = match (order, cursor) {
        (Sort::Oldest, None) => format!("/comments/{story}"),
        (_, None) => format!("/comments/{story}/{sort}"),
        (_, Some(c)) => format!("/comments/{story}/{sort}/{c}"),
    };
    let key = cache_key(&path, 1);
    let w = web.clone();
    page(&web, key, &headers, || async move {
        let t = comments::thread(&w.app, story, order, cursor)
            .await
            .map_err(comment_error)?;
        // The thread shows each commenter's badges: their entitlement
        // changes purge it, and it is kept no longer than the clock keeps
        // them (or the thread open).
        let mut keys = vec![Key::Story(story)];
        keys.extend(t.commenters.iter().map(|r| Key::Commenter(*r)));
        Ok(pages::Outcome::Page(pages::Rendered {
            status: StatusCode::OK,
            html: thread_html(&w, &path, &t)?,
            keys,
            cache_control: pages::CACHE_PAGE,
            gate: None,
            fresh_until: t.fresh_until,
        }))
    })
    .await
}

async fn thread_first(
    State(web): State<Web>,
    Path(story): Path<i64>,
    headers: HeaderMap,
) -> Response {
    thread_at(web, headers, story, Sort::Oldest, None).await
}

pub(crate) fn sort_of(s: &str) -> Result<Sort, WebError> {
    match s {
        "oldest" => Ok(Sort::Oldest),
        "newest" => Ok(Sort::Newest),
        "reacted" => Ok(Sort::Reacted),
        _ => Err(WebError::NotFound),
    }
}

async fn thread_sorted(
    State(web): State<Web>,
    Path((story, sort)): Path<(i64, String)>,
    headers: HeaderMap,
) -> Response {
    match sort_of(&sort) {
        // The first page oldest-first has one address.
        Ok(Sort::Oldest) => Redirect::permanent(&format!("/comments/{story}")).into_response(),
        Ok(order) => thread_at(web, headers, story, order, None).await,
        Err(e) => e.into_response(),
    }
}

async fn thread_more(
    State(web): State<Web>,
    Path((story, sort, cursor)): Path<(i64, String, i64)>,
    headers: HeaderMap,
) -> Response {
    match sort_of(&sort) {
        Ok(order) if cursor > 0 => thread_at(web, headers, story, order, Some(cursor)).await,
        Ok(_) => WebError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}

// ----- each reader's own view -------------------------------------------------------------

pub(crate) fn private(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    r
}

pub struct OwnView {
    pub c: CView,
    pub state: &'static str,
    pub state_words: &'static str,
    pub reason: String,
    pub body: String,
    pub editable: bool,
}

#[derive(Template)]
#[template(path = "comments_mine.html")]
struct MinePage {
    chrome: Chrome,
    story: i64,
    story_url: String,
    headline: String,
    signed_in: bool,
    open: bool,
    closed_message: String,
    refusal: String,
    standing_note: String,
    csrf: String,
    notice: String,
    problem: Option<Problem>,
    warning: String,
    draft: String,
    reply_to: Option<CView>,
    own: Vec<OwnView>,
    max_chars: usize,
}

fn state_words(s: CommentState) -> &'static str {
    match s {
        CommentState::Public => "Published",
        CommentState::Pending => "Waiting for a moderator",
        CommentState::Hidden => "Hidden: only you can see it",
        CommentState::Removed => "Removed",
        CommentState::Deleted => "Deleted",
    }
}

/// What the private page shows besides the reader's own comments.
#[derive(Default)]
struct Said {
    notice: String,
    problem: Option<Problem>,
    warning: String,
    draft: String,
}

fn mine_response(
    web: &Web,
    token: Option<&str>,
    story: &broadsheet_domain::Story,
    m: Option<&Mine>,
    said: Said,
    status: StatusCode,
) -> Result<Response, WebError> {
    let path = format!("/account/comments/{}", story.id);
    let chrome = crate::readers::chrome(web, &format!("Comments: {}", story.headline), &path);
    let own = m
        .map(|m| {
            m.own
                .iter()
                .map(|o| OwnView {
                    c: cview(web, &o.shown),
                    state: o.state.as_str(),
                    state_words: state_words(o.state),
                    reason: o.shown.row.reason.clone(),
                    body: o.shown.row.body.clone(),
                    editable: o.editable,
                })
                .collect()
        })
        .unwrap_or_default();
    let page = MinePage {
        chrome,
        story: story.id,
        story_url: story_url(web, story),
        headline: story.headline.clone(),
        signed_in: m.is_some(),
        open: m.is_none_or(|m| m.openness.is_open()),
        closed_message: m
            .map(|m| m.openness.message().to_string())
            .unwrap_or_default(),
        refusal: m.and_then(|m| m.may_post.clone().err()).unwrap_or_default(),
        standing_note: m.map(|m| m.standing_note.clone()).unwrap_or_default(),
        csrf: token
            .map(broadsheet_app::readers::csrf_for)
            .unwrap_or_default(),
        notice: said.notice,
        problem: said.problem,
        warning: said.warning,
        draft: said.draft,
        reply_to: m.and_then(|m| m.reply_to.as_ref()).map(|r| cview(web, r)),
        own,
        max_chars: MAX_CHARS,
    };
    Ok(private(status, page.render()?))
}

async fn show_mine(
    web: &Web,
    reader: Option<&ReaderAccount>,
    token: Option<&str>,
    story_id: i64,
    reply: Option<i64>,
    said: Said,
    status: StatusCode,
) -> Result<Response, WebError> {
    match reader {
        Some(r) => {
            let m = comments::mine(&web.app, r, story_id, reply)
                .await
                .map_err(comment_error)?;
            mine_response(web, token, &m.story.clone(), Some(&m), said, status)
        }
        None => {
            let story = match web.app.published_story(story_id).await? {
                broadsheet_app::StoryLookup::Found(s) => *s,
                _ => return Err(WebError::NotFound),
            };
            mine_response(web, None, &story, None, said, status)
        }
    }
}

async fn mine_page(
    State(web): State<Web>,
    ReaderSession(reader): ReaderSession,
    Path(story): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let notice = match q.get("m").map(String::as_str) {
        Some("posted") => "Your comment is published.",
        Some("held") => "Thank you: your comment will appear once a moderator has read it.",
        Some("edited") => "Your edit is saved.",
        Some("deleted") => "Your comment is deleted.",
        _ => "",
    };
    let reply = q.get("reply").and_then(|r| r.parse().ok());
    show_mine(
        &web,
        reader.as_ref(),
        reader_token(&headers),
        story,
        reply,
        Said {
            notice: notice.into(),
            ..Said::default()
        },
        StatusCode::OK,
    )
    .await
}

/// A refusal the reader can act on is shown on their page, with what they wrote.
async fn refused(
    web: &Web,
    f: &ReaderForm,
    story: i64,
    e: CommentError,
) -> Result<Response, WebError> {
    let (status, message) = match e {
        CommentError::Invalid(m) => (StatusCode::BAD_REQUEST, m),
        CommentError::Refused(m) => (StatusCode::FORBIDDEN, m),
        CommentError::Limited(m) => (StatusCode::TOO_MANY_REQUESTS, m),
        other => return Err(comment_error(other)),
    };
    let reply = f.form.get("parent").parse().ok();
    show_mine(
        web,
        Some(&f.reader),
        Some(&f.token),
        story,
        reply,
        Said {
            problem: Some(Problem {
                field: "comment-body".into(),
                message,
            }),
            draft: f.form.raw("body").chars().take(MAX_CHARS + 100).collect(),
            ..Said::default()
        },
        status,
    )
    .await
}

fn after(story: i64, p: &Posted, done: &str) -> Response {
    let (m, id) = match p {
        Posted::Public(id) => (done, *id),
        Posted::Held(id) => ("held", *id),
        Posted::Warned(_) => ("", 0),
    };
    Redirect::to(&format!("/account/comments/{story}?m={m}#c-{id}")).into_response()
}

async fn post_comment(
    State(web): State<Web>,
    ClientIp(client): ClientIp,
    Path(story): Path<i64>,
    f: ReaderForm,
) -> Result<Response, WebError> {
    let parent = match f.form.get("parent").as_str() {
        "" => None,
        p => Some(p.parse::<i64>().map_err(|_| {
            WebError::BadRequest("The comment to reply to is not a number.".into())
        })?),
    };
    let r = comments::post(
        &web.app,
        &f.reader,
        Some(client),
        story,
        parent,
        f.form.raw("body"),
        f.form.raw("confirmed") == "1",
    )
    .await;
    match r {
        Ok(Posted::Warned(w)) => {
            show_mine(
                &web,
                Some(&f.reader),
                Some(&f.token),
                story,
                parent,
                Said {
                    warning: w,
                    draft: f.form.raw("body").to_string(),
                    ..Said::default()
                },
                StatusCode::OK,
            )
            .await
        }
        Ok(p) => Ok(after(story, &p, "posted")),
        Err(e) => refused(&web, &f, story, e).await,
    }
}

async fn story_of_comment(web: &Web, id: i64) -> Result<i64, WebError> {
    comments::story_of(&web.app, id)
        .await?
        .ok_or(WebError::NotFound)
}

async fn edit_comment(
    State(web): State<Web>,
    Path(id): Path<i64>,
    f: ReaderForm,
) -> Result<Response, WebError> {
    let story = story_of_comment(&web, id).await?;
    match comments::edit(
        &web.app,
        &f.reader,
        id,
        f.form.raw("body"),
        f.form.raw("confirmed") == "1",
    )
    .await
    {
        Ok(Posted::Warned(w)) => {
            show_mine(
                &web,
                Some(&f.reader),
                Some(&f.token),
                story,
                None,
                Said {
                    problem: Some(Problem {
                        field: format!("edit-{id}"),
                        message: format!("{w} (Send the same edit again to save it as it is.)"),
                    }),
                    ..Said::default()
                },
                StatusCode::OK,
            )
            .await
        }
        Ok(p) => Ok(after(story, &p, "edited")),
        Err(e) => refused(&web, &f, story, e).await,
    }
}

async fn delete_comment(
    State(web): State<Web>,
    Path(id): Path<i64>,
    f: ReaderForm,
) -> Result<Response, WebError> {
    match comments::delete(&web.app, &f.reader, id).await {
        Ok(story) => {
            Ok(Redirect::to(&format!("/account/comments/{story}?m=deleted")).into_response())
        }
        Err(e) => {
            let story = story_of_comment(&web, id).await?;
            refused(&web, &f, story, e).await
        }
    }
}

#[derive(Template)]
#[template(path = "comments_report.html")]
struct ReportPage {
    chrome: Chrome,
    id: i64,
    story: i64,
    html: String,
    signed_in: bool,
    csrf: String,
    notice: String,
    problem: Option<Problem>,
}

async fn report_page(
    web: &Web,
    token: Option<&str>,
    signed_in: bool,
    id: i64,
    notice: &str,
    problem: Option<Problem>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let c = comments::public_comment(&web.app, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let page = ReportPage {
        chrome: crate::readers::chrome(
            web,
            "Report a comment",
            &format!("/account/comments/report/{id}"),
        ),
        id,
        story: c.story_id,
        html: broadsheet_domain::comments::render(&c.body),
        signed_in,
        csrf: token
            .map(broadsheet_app::readers::csrf_for)
            .unwrap_or_default(),
        notice: notice.into(),
        problem,
    };
    Ok(private(status, page.render()?))
}

async fn report_form(
    State(web): State<Web>,
    ReaderSession(reader): ReaderSession,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    report_page(
        &web,
        reader_token(&headers),
        reader.is_some(),
        id,
        "",
        None,
        StatusCode::OK,
    )
    .await
}

async fn report(
    State(web): State<Web>,
    Path(id): Path<i64>,
    f: ReaderForm,
) -> Result<Response, WebError> {
    match comments::report(&web.app, &f.reader, id, f.form.raw("reason")).await {
        Ok(story) => Ok(Redirect::to(&format!("/comments/{story}#c-{id}")).into_response()),
        Err(CommentError::Invalid(m)) | Err(CommentError::Limited(m)) => {
            report_page(
                &web,
                Some(&f.token),
                true,
                id,
                "",
                Some(Problem {
                    field: "report-reason".into(),
                    message: m,
                }),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(comment_error(e)),
    }
}
