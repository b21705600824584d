//! Reactions, featured comments, badges and ignore lists over HTTP (issue
//! 12). The shared thread (`comments.rs`) shows counts, the "Featured"
//! block and badges, the same for everyone; everything that belongs to one
//! reader is under `/account/comments/…` and `private, no-store`, never in
//! the page cache (the fast path serves `/comments/…` without reading
//! cookies, so one reader's ignore list can never reach another's page):
//!
//! - `/account/comments/read/{story}` (`?sort=`, `&after=`): the reader's
//!   own view of the thread: recommend buttons showing their choice, and
//!   comments of commenters they ignore collapsed;
//! - `/account/comments/react/{id}`: recommend a comment, or take it back;
//! - `/account/comments/ignore/{id}`: ignore the comment's author;
//! - `/account/comments/ignored` and `…/unignore/{reader}`: the list, and undo.
//!
//! Featuring is a moderation move in the newsroom queue (`newsroom_comments.rs`).

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use broadsheet_app::comment_extras as extras;
use broadsheet_app::comments::{self, CommentError, Sort};

use crate::Web;
use crate::comments::{CView, comment_error, cview, private, sort_of, thread_page_html};
use crate::error::WebError;
use crate::extract::{ReaderForm, ReaderSession, reader_token};
use crate::view::Chrome;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/account/comments/read/{story}", get(read))
        .route("/account/comments/react/{id}", get(react_form).post(react))
        .route(
            "/account/comments/ignore/{id}",
            get(ignore_form).post(ignore),
        )
        .route("/account/comments/ignored", get(ignored))
        .route(
            "/account/comments/unignore/{reader}",
            axum::routing::post(unignore),
        )
}

/// The reader's own view of a thread page.
async fn read(
    State(web): State<Web>,
    ReaderSession(reader): ReaderSession,
    Path(story): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (Some(reader), Some(token)) = (reader, reader_token(&headers)) else {
        // Nothing personal to show: the shared page is the same thing.
        return Ok(Redirect::to(&format!("/comments/{story}")).into_response());
    };
    let sort = match q.get("sort") {
        Some(s) => sort_of(s)?,
        None => Sort::Oldest,
    };
    let after = match q.get("after") {
        Some(a) => Some(
            a.parse::<i64>()
                .ok()
                .filter(|a| *a > 0)
                .ok_or(WebError::NotFound)?,
        ),
        None => None,
    };
    let p = extras::personal(&web.app, &reader, story, sort, after)
        .await
        .map_err(comment_error)?;
    let mark = |c: &comments::Shown| -> CView {
        let mut v = cview(&web, c);
        let mark_one = |v: &mut CView, s: &comments::Shown| {
            v.reacted = p.reacted.contains(&s.row.id);
            v.own = s.row.reader_id == Some(reader.id);
            v.ignored = s.row.reader_id.is_some_and(|r| p.ignored.contains(&r));
        };
        mark_one(&mut v, c);
        for (rv, rs) in v.replies.iter_mut().zip(c.replies.iter()) {
            mark_one(rv, rs);
        }
        v
    };
    let t = &p.thread;
    let featured = t.featured.iter().map(mark).collect();
    let list = t.comments.iter().map(mark).collect();
    let s = sort.as_str();
    let next = t
        .next
        .map(|n| format!("/account/comments/read/{story}?sort={s}&after={n}"));
    let html = thread_page_html(
        &web,
        &format!("/account/comments/read/{story}"),
        t,
        featured,
        list,
        next,
        (format!("/account/comments/read/{story}"), "?sort="),
        broadsheet_app::readers::csrf_for(token),
    )?;
    Ok(private(StatusCode::OK, html))
}

#[derive(Template)]
#[template(path = "comments_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    heading: String,
    action: String,
    button: String,
    html: String,
    author: String,
    story: i64,
    id: i64,
    signed_in: bool,
    csrf: String,
    problem: String,
}

#[allow(clippy::too_many_arguments)]
async fn confirm_page(
    web: &Web,
    token: Option<&str>,
    signed_in: bool,
    id: i64,
    what: &str,
    problem: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let c = comments::public_comment(&web.app, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let (heading, button) = match what {
        "react" => (
            "Recommend a comment".to_string(),
            "Recommend, or take back my recommendation".to_string(),
        ),
        _ => (
            format!("Ignore {}", c.author_name),
            format!("Ignore {}", c.author_name),
        ),
    };
    let path = format!("/account/comments/{what}/{id}");
    let page = ConfirmPage {
        chrome: crate::readers::chrome(web, &heading, &path),
        heading,
        action: path,
        button,
        html: broadsheet_domain::comments::render(&c.body),
        author: c.author_name.clone(),
        story: c.story_id,
        id,
        signed_in,
        csrf: token
            .map(broadsheet_app::readers::csrf_for)
            .unwrap_or_default(),
        problem,
    };
    Ok(private(status, page.render()?))
}

async fn react_form(
    State(web): State<Web>,
    ReaderSession(reader): ReaderSession,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    confirm_page(
        &web,
        reader_token(&headers),
        reader.is_some(),
        id,
        "react",
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// A refusal the reader can read on the confirmation page.
async fn refused(
    web: &Web,
    f: &ReaderForm,
    id: i64,
    what: &str,
    e: CommentError,
) -> Result<Response, WebError> {
    let (status, m) = match e {
        CommentError::Invalid(m) => (StatusCode::BAD_REQUEST, m),
        CommentError::Refused(m) => (StatusCode::FORBIDDEN, m),
        CommentError::Limited(m) => (StatusCode::TOO_MANY_REQUESTS, m),
        other => return Err(comment_error(other)),
    };
    confirm_page(web, Some(&f.token), true, id, what, m, status).await
}

async fn react(
    State(web): State<Web>,
    Path(id): Path<i64>,
    f: ReaderForm,
) -> Result<Response, WebError> {
    match extras::react(&web.app, &f.reader, id).await {
        Ok(r) => Ok(
            Redirect::to(&format!("/account/comments/read/{}#c-{id}", r.story_id)).into_response(),
        ),
        Err(e) => refused(&web, &f, id, "react", e).await,
    }
}

async fn ignore_form(
    State(web): State<Web>,
    ReaderSession(reader): ReaderSession,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    confirm_page(
        &web,
        reader_token(&headers),
        reader.is_some(),
        id,
        "ignore",
        String::new(),
        StatusCode::OK,
    )
    .await
}

async fn ignore(
    State(web): State<Web>,
    Path(id): Path<i64>,
    f: ReaderForm,
) -> Result<Response, WebError> {
    match extras::ignore_author(&web.app, &f.reader, id).await {
        Ok((story, _)) => {
            Ok(Redirect::to(&format!("/account/comments/read/{story}#c-{id}")).into_response())
        }
        Err(e) => refused(&web, &f, id, "ignore", e).await,
    }
}

#[derive(Template)]
#[template(path = "comments_ignored.html")]
struct IgnoredPage {
    chrome: Chrome,
    signed_in: bool,
    csrf: String,
    people: Vec<(i64, String)>,
    notice: String,
}

async fn ignored(
    State(web): State<Web>,
    ReaderSession(reader): ReaderSession,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let people = match &reader {
        Some(r) => extras::ignored(&web.app, r)
            .await?
            .into_iter()
            .map(|i| (i.ignored_id, i.display_name))
            .collect(),
        None => Vec::new(),
    };
    let page = IgnoredPage {
        chrome: crate::readers::chrome(&web, "Commenters you ignore", "/account/comments/ignored"),
        signed_in: reader.is_some(),
        csrf: reader_token(&headers)
            .map(broadsheet_app::readers::csrf_for)
            .unwrap_or_default(),
        people,
        notice: if q.get("m").is_some_and(|m| m == "undone") {
            "Their comments show in full again.".into()
        } else {
            String::new()
        },
    };
    Ok(private(StatusCode::OK, page.render()?))
}

async fn unignore(
    State(web): State<Web>,
    Path(reader_id): Path<i64>,
    f: ReaderForm,
) -> Result<Response, WebError> {
    extras::unignore(&web.app, &f.reader, reader_id)
        .await
        .map_err(comment_error)?;
    Ok(Redirect::to("/account/comments/ignored?m=undone").into_response())
}
