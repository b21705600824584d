//! The Admin API (issue 13 item 7) under `/api/v1/admin`: stories created,
//! edited, submitted, published, withdrawn, reinstated and corrected, and
//! pictures uploaded, by a program holding an API token issued in the
//! newsroom (`Authorization: Bearer bsk_…`). Each handler authenticates the
//! token ([`Caller`]), checks the token's scope, and calls the same app-layer
//! use case as the newsroom's form, with the token holder as the actor: the
//! permission table, the workflow, the audit row, the change event and the
//! webhooks are the use case's, written once. Errors are the Content API's
//! envelope (`api::error`); answers are never cached (`no-store`).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use broadsheet_app::admin_api::{self, ApiCaller, Scope};
use broadsheet_app::newsroom;
use broadsheet_app::{AppError, Saved, StoryEdit};
use broadsheet_domain::{Access, Story, permalink};
use serde::{Deserialize, Serialize};

use crate::Web;
use crate::api::{Code, error};

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/token", get(whoami))
        .route("/stories", post(create))
        .route("/stories/{id}", get(read).put(update))
        .route("/stories/{id}/submit", post(submit))
        .route("/stories/{id}/publish", post(publish))
        .route("/stories/{id}/withdraw", post(withdraw))
        .route("/stories/{id}/reinstate", post(reinstate))
        .route("/stories/{id}/corrections", post(correct))
        .route(
            "/pictures",
            post(upload).layer(axum::extract::DefaultBodyLimit::max(
                broadsheet_app::media::MAX_UPLOAD_BYTES,
            )),
        )
        .fallback(crate::api::not_found)
}

/// The caller of an Admin API request: a valid, unrevoked token.
pub struct Caller(pub ApiCaller);

fn unauthorized(message: &str) -> Response {
    let mut r = error(Code::Unauthorized, message);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"broadsheet\""),
    );
    r
}

impl FromRequestParts<Web> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(unauthorized(
                "Send an API token: Authorization: Bearer <token>. Tokens are issued in the newsroom (API tokens).",
            ));
        };
        let token = value.to_str().ok().and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
        let Some(token) = token else {
            return Err(unauthorized(
                "The Authorization header must be \"Bearer <token>\".",
            ));
        };
        match admin_api::authenticate(&web.app, token).await {
            Ok(Some(c)) => Ok(Caller(c)),
            Ok(None) => Err(unauthorized(
                "This API token is not valid: it is mistyped or was revoked. Issue a new one in the newsroom.",
            )),
            Err(e) => Err(app_error(e)),
        }
    }
}

/// An app-layer refusal as the API's envelope (the words are the use
/// case's; internal errors are logged and never shown).
pub(crate) fn app_error(e: AppError) -> Response {
    match e {
        AppError::NotFound(m) => error(Code::NotFound, m),
        AppError::Invalid(m) => error(Code::Invalid, m),
        AppError::Forbidden(m) => error(Code::Forbidden, m),
        AppError::Busy(m) => error(Code::Busy, m),
        other => {
            tracing::error!(error = %other, "admin API");
            error(
                Code::Internal,
                "Something went wrong on our side. Try again in a moment.",
            )
        }
    }
}

fn bad_json(e: JsonRejection) -> Response {
    error(
        Code::BadBody,
        format!(
            "The request body is not the JSON this address takes: {}.",
            e.body_text()
        ),
    )
}

fn bad_path(_: PathRejection) -> Response {
    error(
        Code::NotFound,
        "A story is named by its number, like /api/v1/admin/stories/42.",
    )
}

/// A story's number from the path; anything else is the API's 404.
struct StoryId(i64);

impl<S: Send + Sync> FromRequestParts<S> for StoryId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<i64>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| StoryId(id))
            .map_err(bad_path)
    }
}

/// A JSON body; a malformed one is the API's `bad_body`, in words.
struct Body<T>(T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| Body(v))
            .map_err(bad_json)
    }
}

fn answer<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let mut r = (status, Json(value)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A story as the Admin API shows it to someone who may open it: its
/// Markdown, status and version (name the version when saving or
/// publishing).
#[derive(Serialize)]
struct StoryOut {
    id: i64,
    status: &'static str,
    version: i64,
    headline: String,
    standfirst: String,
    body: String,
    section_id: i64,
    access: &'static str,
    breaking: bool,
    byline_text: Option<String>,
    authors: Vec<i64>,
    tags: Vec<String>,
    lead_picture_id: Option<i64>,
    seo_title: String,
    seo_description: String,
    published_at: Option<i64>,
    updated_at: Option<i64>,
    scheduled_at: Option<i64>,
    modified_at: i64,
    /// Where readers find it (once published).
    path: String,
}

fn story_out(web: &Web, s: Story) -> StoryOut {
    let path = permalink::story_path(web.app.sections().path(s.section_id), &s.slug, s.id);
    StoryOut {
        id: s.id,
        status: s.status.as_str(),
        version: s.version,
        headline: s.headline,
        standfirst: s.standfirst,
        body: s.body,
        section_id: s.section_id,
        access: s.access.as_str(),
        breaking: s.breaking,
        byline_text: s.byline_text,
        authors: s.authors.iter().map(|a| a.id).collect(),
        tags: s.tags.into_iter().map(|t| t.name).collect(),
        lead_picture_id: s.lead_picture.map(|p| p.id),
        seo_title: s.seo_title,
        seo_description: s.seo_description,
        published_at: s.published_at,
        updated_at: s.updated_at,
        scheduled_at: s.scheduled_at,
        modified_at: s.modified_at,
        path,
    }
}

/// The story as it is now, as the caller may see it.
async fn current(web: &Web, caller: &ApiCaller, id: i64, status: StatusCode) -> Response {
    match newsroom::open(&web.app, &caller.actor, id).await {
        Ok(s) => answer(status, &story_out(web, s)),
        Err(e) => app_error(e),
    }
}

/// A story's fields, as sent to create or replace one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoryIn {
    /// Required when replacing: the version the change was made from.
    #[serde(default)]
    version: Option<i64>,
    section_id: i64,
    headline: String,
    #[serde(default)]
    standfirst: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    byline_text: Option<String>,
    /// free, metered or subscribers (default free).
    #[serde(default)]
    access: Option<String>,
    #[serde(default)]
    breaking: bool,
    #[serde(default)]
    seo_title: String,
    #[serde(default)]
    seo_description: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    authors: Vec<i64>,
    #[serde(default)]
    lead_picture_id: Option<i64>,
}

impl StoryIn {
    /// The edit, or what is wrong with it.
    fn edit(self) -> Result<StoryEdit, String> {
        let access = match self.access.as_deref() {
            None => Access::Free,
            Some(a) => a.parse::<Access>().map_err(|e| format!("access: {e}."))?,
        };
        Ok(StoryEdit {
            section_id: self.section_id,
            headline: self.headline,
            standfirst: self.standfirst,
            body: self.body,
            byline_text: self.byline_text.filter(|b| !b.trim().is_empty()),
            access,
            breaking: self.breaking,
            seo_title: self.seo_title,
            seo_description: self.seo_description,
            tags: self.tags,
            authors: self.authors,
            lead_picture_id: self.lead_picture_id,
        })
    }
}

#[derive(Serialize)]
struct TokenOut {
    token_id: i64,
    staff_id: Option<i64>,
    role: Option<String>,
    scopes: Vec<&'static str>,
}

/// Who the token acts for, and what it may do.
async fn whoami(Caller(c): Caller) -> Response {
    answer(
        StatusCode::OK,
        &TokenOut {
            token_id: c.token_id,
            staff_id: c.actor.staff_id(),
            role: c.actor.role().map(|r| r.to_string()),
            scopes: c.scopes().iter().map(|s| s.as_str()).collect(),
        },
    )
}

async fn read(State(web): State<Web>, Caller(c): Caller, StoryId(id): StoryId) -> Response {
    if let Err(e) = c.require(Scope::StoriesRead) {
        return app_error(e);
    }
    current(&web, &c, id, StatusCode::OK).await
}

async fn create(State(web): State<Web>, Caller(c): Caller, Body(body): Body<StoryIn>) -> Response {
    if let Err(e) = c.require(Scope::StoriesWrite) {
        return app_error(e);
    }
    if body.version.is_some() {
        return error(
            Code::Invalid,
            "A new story has no version: leave \"version\" out (it is for PUT).",
        );
    }
    let edit = match body.edit() {
        Ok(e) => e,
        Err(m) => return error(Code::Invalid, m),
    };
    match newsroom::create(&web.app, &c.actor, &edit).await {
        Ok(id) => current(&web, &c, id, StatusCode::CREATED).await,
        Err(e) => app_error(e),
    }
}

async fn update(
    State(web): State<Web>,
    Caller(c): Caller,
    StoryId(id): StoryId,
    Body(body): Body<StoryIn>,
) -> Response {
    if let Err(e) = c.require(Scope::StoriesWrite) {
        return app_error(e);
    }
    let Some(from) = body.version else {
        return error(
            Code::Invalid,
            "Name the version you changed (\"version\": the one GET gave you), so a change made meanwhile is not overwritten.",
        );
    };
    let edit = match body.edit() {
        Ok(e) => e,
        Err(m) => return error(Code::Invalid, m),
    };
    match newsroom::save(&web.app, &c.actor, id, from, &edit).await {
        Ok(Saved::Ok(_)) => current(&web, &c, id, StatusCode::OK).await,
        Ok(Saved::Conflict { current }) => error(
            Code::Conflict,
            format!(
                "Not saved: the story changed since version {from} (it is at version {current}). GET it, apply your change to it, and PUT again naming version {current}. Your text is kept as a revision."
            ),
        ),
        Err(e) => app_error(e),
    }
}

/// A use case that takes nothing but the story (submit, withdraw, reinstate).
type MoveFn = for<'a> fn(
    &'a broadsheet_app::App,
    &'a broadsheet_domain::Actor,
    i64,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = broadsheet_app::Result<()>> + Send + 'a>,
>;

/// A move that takes nothing but the story.
async fn simple_move(web: Web, c: ApiCaller, id: i64, scope: Scope, f: MoveFn) -> Response {
    if let Err(e) = c.require(scope) {
        return app_error(e);
    }
    match f(&web.app, &c.actor, id).await {
        Ok(()) => current(&web, &c, id, StatusCode::OK).await,
        Err(e) => app_error(e),
    }
}

async fn submit(State(web): State<Web>, Caller(c): Caller, StoryId(id): StoryId) -> Response {
    simple_move(web, c, id, Scope::StoriesWrite, |a, b, i| {
        Box::pin(newsroom::submit(a, b, i))
    })
    .await
}

async fn withdraw(State(web): State<Web>, Caller(c): Caller, StoryId(id): StoryId) -> Response {
    simple_move(web, c, id, Scope::StoriesPublish, |a, b, i| {
        Box::pin(newsroom::withdraw(a, b, i))
    })
    .await
}

async fn reinstate(State(web): State<Web>, Caller(c): Caller, StoryId(id): StoryId) -> Response {
    simple_move(web, c, id, Scope::StoriesPublish, |a, b, i| {
        Box::pin(newsroom::reinstate(a, b, i))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishIn {
    /// The version read and approved: if the story changed since, nothing
    /// is published.
    version: i64,
    /// Unix seconds to publish at (later than now: scheduled).
    #[serde(default)]
    at: Option<i64>,
}

async fn publish(
    State(web): State<Web>,
    Caller(c): Caller,
    StoryId(id): StoryId,
    Body(body): Body<PublishIn>,
) -> Response {
    if let Err(e) = c.require(Scope::StoriesPublish) {
        return app_error(e);
    }
    match newsroom::publish(&web.app, &c.actor, id, body.version, body.at).await {
        Ok(_) => current(&web, &c, id, StatusCode::OK).await,
        Err(e) => app_error(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorrectionIn {
    text: String,
}

async fn correct(
    State(web): State<Web>,
    Caller(c): Caller,
    StoryId(id): StoryId,
    Body(body): Body<CorrectionIn>,
) -> Response {
    if let Err(e) = c.require(Scope::StoriesPublish) {
        return app_error(e);
    }
    match newsroom::correct(&web.app, &c.actor, id, &body.text).await {
        Ok(()) => current(&web, &c, id, StatusCode::CREATED).await,
        Err(e) => app_error(e),
    }
}

/// A picture's words, in the query string (the body is the file).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PictureIn {
    /// The file's name, like `harbour.jpg` (its type must match what is in it).
    filename: String,
    alt: String,
    #[serde(default)]
    caption: String,
    #[serde(default)]
    credit: String,
}

#[derive(Serialize)]
struct PictureOut {
    id: i64,
}

async fn upload(
    State(web): State<Web>,
    Caller(c): Caller,
    q: Result<Query<PictureIn>, QueryRejection>,
    body: Bytes,
) -> Response {
    let Query(q) = match q {
        Ok(q) => q,
        Err(e) => {
            return error(
                Code::BadParameter,
                format!(
                    "Give the picture's filename and alt text in the query string (caption and credit too, unless the file carries them): {}.",
                    e.body_text()
                ),
            );
        }
    };
    if let Err(e) = c.require(Scope::PicturesWrite) {
        return app_error(e);
    }
    if body.is_empty() {
        return error(
            Code::BadBody,
            "Send the picture file as the request body (JPEG, PNG or WebP).",
        );
    }
    match newsroom::upload_picture(
        &web.app,
        &c.actor,
        body.to_vec(),
        &q.filename,
        &q.alt,
        &q.caption,
        &q.credit,
    )
    .await
    {
        Ok(id) => answer(StatusCode::CREATED, &PictureOut { id }),
        Err(e) => app_error(e),
    }
}
