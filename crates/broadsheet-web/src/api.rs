//! The Content API (issue 13, item 6): public, read-only JSON under
//! `/api/v1`: stories (keyset pages by an opaque cursor, filtered by
//! section, tag or author), one story (its text through the gate's cut, as
//! feeds: free stories in full, paid ones to the preview, see
//! `broadsheet_app::content_api`), sections, tags, authors, Most Read, Most
//! Commented, Editor's Picks and search (free fields only).
//!
//! - **Errors** are one envelope, `{"error": {"code", "message"}}`, with a
//!   stable `code` ([`Code`]) and words saying what to change; nothing
//!   internal reaches the client.
//! - **Unknown query parameters are refused** (a typo in a filter must not
//!   silently list everything).
//! - **Caching**: every answer carries an `ETag` (SHA-256 of the body) and
//!   answers `If-None-Match` with 304; `Cache-Control` is short and public
//!   (the same answer for everyone). The newest stories (the list without
//!   a query) and each story are kept in the page cache under their path
//!   and purged by surrogate keys like pages (`front`; the story, its
//!   authors, tags and lead picture), so the two most asked answers are not
//!   read from the database each time; cursor pages, filters and search
//!   are not kept (their addresses are the asker's to vary).
//! - **CORS** for the origins the operator lists (`--api-cors-origins`):
//!   `GET` only, no credentials; any other origin gets no CORS headers.
//! - **OpenAPI 3.1** at `/api/v1/openapi.json`, generated from these
//!   handlers and types by `utoipa` ([`ApiDoc`]); a snapshot test keeps it
//!   from changing unnoticed.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use broadsheet_app::Ranked;
use broadsheet_app::content_api::{self, Cursor, Filter, Unknown};
use broadsheet_app::keys::Key;
use broadsheet_app::search::{self, Ask, Entitled};
use broadsheet_domain::{PictureRef, StoryCard};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::Web;
use crate::view::{absolute, media_url};

/// The path of the story list, as kept in the page cache.
const LIST_PATH: &str = "/api/v1/stories";

/// How long clients and shared caches may keep an answer.
const CACHE: &str = "public, max-age=30, s-maxage=30";
/// The width of the picture rendition the API links.
const PICTURE_WIDTH: u32 = 960;

/// The API's routes, nested under `/api/v1` by the router (so an unknown
/// address under it gets the API's own 404 envelope).
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/stories", get(stories).options(preflight))
        .route("/stories/{id}", get(story).options(preflight))
        .route("/sections", get(sections).options(preflight))
        .route("/tags", get(tags).options(preflight))
        .route("/authors", get(authors).options(preflight))
        .route("/most-read", get(most_read).options(preflight))
        .route("/most-commented", get(most_commented).options(preflight))
        .route("/picks", get(picks).options(preflight))
        .route("/search", get(search_stories).options(preflight))
        .route("/openapi.json", get(openapi).options(preflight))
        .fallback(not_found)
}

/// The OpenAPI document of `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Broadsheet Content API",
        version = "1",
        description = "Public, read-only access to the paper's published stories. \
            Paid stories carry their free preview only."
    ),
    paths(
        stories,
        story,
        sections,
        tags,
        authors,
        most_read,
        most_commented,
        picks,
        search_stories
    ),
    components(schemas(
        ApiError,
        ErrorBody,
        StoryList,
        StoryOut,
        StoryDetail,
        SectionOut,
        SectionList,
        TagOut,
        TagList,
        AuthorOut,
        AuthorList,
        PictureOut,
        RankedOut,
        RankedList,
        SearchHit,
        SearchResults
    ))
)]
pub struct ApiDoc;

/// The OpenAPI document as the server serves it (pretty JSON).
pub fn openapi_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_string())
}

// ----- errors ---------------------------------------------------------------------------

/// Stable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    NotFound,
    BadParameter,
    BadCursor,
    Internal,
    // The Admin API's (`api_admin.rs`).
    Unauthorized,
    Forbidden,
    Invalid,
    Conflict,
    BadBody,
    Busy,
}

impl Code {
    fn as_str(self) -> &'static str {
        match self {
            Code::NotFound => "not_found",
            Code::BadParameter => "bad_parameter",
            Code::BadCursor => "bad_cursor",
            Code::Internal => "internal",
            Code::Unauthorized => "unauthorized",
            Code::Forbidden => "forbidden",
            Code::Invalid => "invalid",
            Code::Conflict => "conflict",
            Code::BadBody => "bad_body",
            Code::Busy => "busy",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::BadParameter | Code::BadCursor | Code::BadBody => StatusCode::BAD_REQUEST,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Code::Unauthorized => StatusCode::UNAUTHORIZED,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            Code::Conflict => StatusCode::CONFLICT,
            Code::Busy => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// An error: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Serialize, ToSchema)]
pub struct ApiError {
    error: ErrorBody,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable: `not_found`, `bad_parameter`, `bad_cursor`, `internal`.
    code: String,
    /// What was wrong and what to do, in words.
    message: String,
}

pub(crate) fn error(code: Code, message: impl Into<String>) -> Response {
    let body = ApiError {
        error: ErrorBody {
            code: code.as_str().to_string(),
            message: message.into(),
        },
    };
    let mut r = (code.status(), axum::Json(body)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn internal(e: broadsheet_app::AppError) -> Response {
    tracing::error!(error = %e, "content API");
    error(
        Code::Internal,
        "Something went wrong on our side. Try again in a moment.",
    )
}

/// A bad query string, in words (serde names the parameter and what it
/// expected: `unknown field \`sectoin\`, expected one of …`).
fn bad_query(e: QueryRejection) -> Response {
    let detail = e.body_text();
    let detail = detail
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&detail);
    error(
        Code::BadParameter,
        format!("The query string is not one this address takes: {detail}."),
    )
}

pub(crate) async fn not_found() -> Response {
    error(
        Code::NotFound,
        "There is no such address in the API: see /api/v1/openapi.json for the ones there are.",
    )
}

// ----- answers ----------------------------------------------------------------------------

/// A JSON answer with its ETag, or 304 when the client has it already.
fn json<T: Serialize>(headers: &HeaderMap, value: &T) -> Response {
    let body = match serde_json::to_vec(value) {
        Ok(b) => b,
        Err(e) => return internal(broadsheet_app::AppError::Internal(e.to_string())),
    };
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..16]));
    let fresh = crate::assets::etag_matches(headers, &etag);
    let mut r = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, body).into_response()
    };
    let h = r.headers_mut();
    if !fresh {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE));
    r
}

/// The CORS headers for `origin` when the paper lists it.
fn cors(web: &Web, headers: &HeaderMap, res: &mut Response) {
    let h = res.headers_mut();
    let vary = match h.get(header::VARY).and_then(|v| v.to_str().ok()) {
        Some(v) if !v.is_empty() => format!("{v}, Origin"),
        _ => "Origin".to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&vary) {
        h.insert(header::VARY, v);
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return;
    };
    let origin = origin.to_ascii_lowercase();
    if web.app.config().api_cors_origins.contains(&origin)
        && let Ok(v) = HeaderValue::from_str(&origin)
    {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("ETag"),
        );
    }
}

/// `OPTIONS`: the preflight of a listed origin (GET only, `If-None-Match`
/// allowed), or a plain 204 for anyone else.
async fn preflight(State(web): State<Web>, headers: HeaderMap) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    cors(&web, &headers, &mut r);
    let h = r.headers_mut();
    h.insert(
        header::ALLOW,
        HeaderValue::from_static("GET, HEAD, OPTIONS"),
    );
    if h.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(Method::GET.as_str()),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("if-none-match"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    r
}

fn answer<T: Serialize>(web: &Web, headers: &HeaderMap, value: &T) -> Response {
    let mut r = json(headers, value);
    cors(web, headers, &mut r);
    r
}

fn answer_err(web: &Web, headers: &HeaderMap, mut r: Response) -> Response {
    cors(web, headers, &mut r);
    r
}

/// A kept answer for `path`, if the page cache has it.
fn from_cache(web: &Web, headers: &HeaderMap, path: &str) -> Option<Response> {
    let mut r = web.hit_answer(&crate::cache_key(path, 1), headers)?;
    cors(web, headers, &mut r);
    Some(r)
}

/// Answers with `value`, keeping it in the page cache under `path` until a
/// purge names one of `keys` (unless a purge ran since `epoch`).
fn keep_and_answer<T: Serialize>(
    web: &Web,
    headers: &HeaderMap,
    path: &str,
    keys: &[Key],
    epoch: u64,
    value: &T,
) -> Response {
    let body = match serde_json::to_string(value) {
        Ok(b) => b,
        Err(e) => return internal(broadsheet_app::AppError::Internal(e.to_string())),
    };
    web.count_render();
    let doc = crate::feeds::Doc {
        body,
        content_type: "application/json",
        keys: keys.to_vec(),
        keep: true,
    };
    let mut r = web.keep_answer(crate::cache_key(path, 1), headers, doc, CACHE, epoch);
    cors(web, headers, &mut r);
    r
}

// ----- shapes -----------------------------------------------------------------------------

/// A picture: its address (960 px JPEG; `/media/<token>-<width>.jpg|.webp`
/// for 160, 320, 480, 640 and 960), size and words.
#[derive(Serialize, ToSchema)]
pub struct PictureOut {
    url: String,
    width: i64,
    height: i64,
    alt: String,
    caption: String,
    credit: String,
}

/// A published story as lists show it.
#[derive(Serialize, ToSchema)]
pub struct StoryOut {
    id: i64,
    /// The story's page on the paper's site.
    url: String,
    headline: String,
    standfirst: String,
    section: SectionOut,
    /// RFC 3339.
    published_at: String,
    /// RFC 3339; absent if never updated after publication.
    updated_at: Option<String>,
    /// `free`, `metered` or `subscribers`.
    access: String,
    breaking: bool,
    picture: Option<PictureOut>,
}

/// One story, with the text anyone may read.
#[derive(Serialize, ToSchema)]
pub struct StoryDetail {
    #[serde(flatten)]
    story: StoryOut,
    authors: Vec<AuthorOut>,
    /// Free-text byline of agency copy, when no staff author is named.
    byline: Option<String>,
    tags: Vec<TagOut>,
    /// Sanitised HTML: the whole text of a free story, the preview of a paid one.
    body_html: String,
    /// True when text was withheld (a paid story): read the rest on the site.
    text_withheld: bool,
}

#[derive(Serialize, ToSchema)]
pub struct StoryList {
    data: Vec<StoryOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct SectionOut {
    id: i64,
    slug: String,
    name: String,
    /// `news/world`: the `section` filter takes it.
    path: String,
    parent_id: Option<i64>,
    url: String,
}

#[derive(Serialize, ToSchema)]
pub struct SectionList {
    data: Vec<SectionOut>,
}

#[derive(Serialize, ToSchema)]
pub struct TagOut {
    slug: String,
    name: String,
    url: String,
    /// Published stories with the tag (lists only).
    stories: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct TagList {
    data: Vec<TagOut>,
}

#[derive(Serialize, ToSchema)]
pub struct AuthorOut {
    slug: String,
    name: String,
    url: String,
    /// Lists only.
    bio: Option<String>,
    /// Published stories by the author (lists only).
    stories: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AuthorList {
    data: Vec<AuthorOut>,
}

#[derive(Serialize, ToSchema)]
pub struct RankedOut {
    story: StoryOut,
    /// Views (Most Read) or comments (Most Commented) in the ranking's
    /// window; 0 for Editor's Picks.
    count: i64,
    /// Public comments on the story.
    comments: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RankedList {
    data: Vec<RankedOut>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchHit {
    story: StoryOut,
    /// HTML: the text escaped, matches in `<b>`; from the free text only.
    snippet_html: String,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResults {
    data: Vec<SearchHit>,
    /// Matches in all.
    total: usize,
    page: usize,
    /// The next page number, if there is one.
    next_page: Option<usize>,
}

fn time(t: i64) -> String {
    crate::feeds::rfc3339(t)
}

fn picture_out(web: &Web, p: &PictureRef) -> PictureOut {
    let w = u32::try_from(p.width)
        .unwrap_or(PICTURE_WIDTH)
        .min(PICTURE_WIDTH);
    PictureOut {
        url: absolute(&web.app, &media_url(&p.token, w, "jpeg")),
        width: p.width,
        height: p.height,
        alt: p.alt.clone(),
        caption: p.caption.clone(),
        credit: p.credit.clone(),
    }
}

fn section_out(web: &Web, id: i64) -> SectionOut {
    let tree = web.app.sections();
    match tree.get(id) {
        Some(s) => SectionOut {
            id: s.id,
            slug: s.slug.clone(),
            name: s.name.clone(),
            path: s.path.clone(),
            parent_id: s.parent_id,
            url: absolute(&web.app, &format!("/{}", s.path)),
        },
        None => SectionOut {
            id,
            slug: String::new(),
            name: String::new(),
            path: String::new(),
            parent_id: None,
            url: String::new(),
        },
    }
}

fn story_out(web: &Web, c: &StoryCard) -> StoryOut {
    let tree = web.app.sections();
    let path = broadsheet_domain::permalink::story_path(tree.path(c.section_id), &c.slug, c.id);
    StoryOut {
        id: c.id,
        url: absolute(&web.app, &path),
        headline: c.headline.clone(),
        standfirst: c.standfirst.clone(),
        section: section_out(web, c.section_id),
        published_at: time(c.published_at),
        updated_at: c.updated_at.map(time),
        access: c.access.as_str().to_string(),
        breaking: c.breaking,
        picture: c.picture.as_ref().map(|p| picture_out(web, p)),
    }
}

fn ranked_out(web: &Web, list: &[Ranked]) -> RankedList {
    RankedList {
        data: list
            .iter()
            .map(|r| RankedOut {
                story: story_out(web, &r.card),
                count: r.count,
                comments: r.comments,
            })
            .collect(),
    }
}

// ----- handlers ---------------------------------------------------------------------------

/// The filters and page of a story list (every filter given must match).
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StoriesQuery {
    /// A section's path (`news`, `news/world`): its stories and those of
    /// the sections below it.
    section: Option<String>,
    /// A tag's slug.
    tag: Option<String>,
    /// An author's slug.
    author: Option<String>,
    /// Stories per page (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page, as it came (empty: from the newest).
    cursor: Option<String>,
}

/// Published stories, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/stories",
    params(StoriesQuery),
    responses(
        (status = 200, description = "A page of stories", body = StoryList),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "A bad filter, limit or cursor", body = ApiError),
        (status = 404, description = "No such section, tag or author", body = ApiError)
    )
)]
async fn stories(
    State(web): State<Web>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    q: Result<Query<StoriesQuery>, QueryRejection>,
) -> Response {
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return answer_err(&web, &headers, bad_query(e)),
    };
    // The newest stories, asked plainly: kept until a story changes.
    let plain = uri.query().is_none();
    if plain && let Some(r) = from_cache(&web, &headers, LIST_PATH) {
        return r;
    }
    let epoch = web.cache.epoch();
    let limit = q.limit.unwrap_or(content_api::DEFAULT_LIMIT);
    if !(1..=content_api::MAX_LIMIT).contains(&limit) {
        return answer_err(
            &web,
            &headers,
            error(
                Code::BadParameter,
                format!(
                    "limit must be from 1 to {}; {limit} is not.",
                    content_api::MAX_LIMIT
                ),
            ),
        );
    }
    let after = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match Cursor::decode(c) {
            Some(c) => Some(c),
            None => {
                return answer_err(
                    &web,
                    &headers,
                    error(
                        Code::BadCursor,
                        "That cursor is not one this API gave: pass next_cursor from the previous page as it came, or leave it out to start from the newest.",
                    ),
                );
            }
        },
    };
    let filter = Filter {
        section: q.section.map(|s| s.trim_matches('/').to_string()),
        tag: q.tag,
        author: q.author,
    };
    match content_api::stories(&web.app, &filter, after, limit).await {
        Ok(Ok(list)) => {
            let out = StoryList {
                data: list.cards.iter().map(|c| story_out(&web, c)).collect(),
                next_cursor: list.next.map(Cursor::encode),
            };
            if plain {
                keep_and_answer(&web, &headers, LIST_PATH, &[Key::Front], epoch, &out)
            } else {
                answer(&web, &headers, &out)
            }
        }
        Ok(Err(unknown)) => {
            let what = match unknown {
                Unknown::Section => "section",
                Unknown::Tag => "tag",
                Unknown::Author => "author",
            };
            answer_err(
                &web,
                &headers,
                error(
                    Code::NotFound,
                    format!("There is no such {what}: /api/v1/{what}s lists them."),
                ),
            )
        }
        Err(e) => answer_err(&web, &headers, internal(e)),
    }
}

/// One published story; the text of a paid story is its free preview.
#[utoipa::path(
    get,
    path = "/api/v1/stories/{id}",
    params(("id" = i64, Path, description = "The story's id")),
    responses(
        (status = 200, description = "The story", body = StoryDetail),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "The id is not a number", body = ApiError),
        (status = 404, description = "No published story has this id", body = ApiError)
    )
)]
async fn story(State(web): State<Web>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return answer_err(
            &web,
            &headers,
            error(
                Code::BadParameter,
                "A story id is a whole number, as in /api/v1/stories/42.",
            ),
        );
    };
    let path = format!("/api/v1/stories/{id}");
    if let Some(r) = from_cache(&web, &headers, &path) {
        return r;
    }
    let epoch = web.cache.epoch();
    // Pictures placed in the body as feeds give them: absolute, no classes.
    let figure = crate::feeds::feed_figure(crate::view::base_url(&web.app));
    match content_api::story(&web.app, id, figure).await {
        Ok(Some(s)) => {
            let st = &s.story;
            let card = st.card();
            let detail = StoryDetail {
                story: story_out(&web, &card),
                authors: st
                    .authors
                    .iter()
                    .map(|a| AuthorOut {
                        slug: a.slug.clone(),
                        name: a.display_name.clone(),
                        url: absolute(&web.app, &format!("/authors/{}", a.slug)),
                        bio: None,
                        stories: None,
                    })
                    .collect(),
                byline: st.byline_text.clone(),
                tags: st
                    .tags
                    .iter()
                    .map(|t| TagOut {
                        slug: t.slug.clone(),
                        name: t.name.clone(),
                        url: absolute(&web.app, &format!("/tags/{}", t.slug)),
                        stories: None,
                    })
                    .collect(),
                body_html: s.text.html.clone(),
                text_withheld: s.text.withheld,
            };
            // Kept until the story, its bylines, tags or lead picture change.
            let mut keys = vec![Key::Story(st.id)];
            keys.extend(st.authors.iter().map(|a| Key::Author(a.id)));
            keys.extend(st.tags.iter().map(|t| Key::Tag(t.id)));
            keys.extend(st.lead_picture.iter().map(|p| Key::Picture(p.id)));
            keep_and_answer(&web, &headers, &path, &keys, epoch, &detail)
        }
        Ok(None) => answer_err(
            &web,
            &headers,
            error(
                Code::NotFound,
                format!("No published story has the id {id}."),
            ),
        ),
        Err(e) => answer_err(&web, &headers, internal(e)),
    }
}

/// The query of a list that takes no parameters (any is refused).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

/// Every section of the paper.
#[utoipa::path(
    get,
    path = "/api/v1/sections",
    responses(
        (status = 200, description = "The sections", body = SectionList),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "A query parameter was given", body = ApiError)
    )
)]
async fn sections(
    State(web): State<Web>,
    headers: HeaderMap,
    q: Result<Query<NoQuery>, QueryRejection>,
) -> Response {
    if let Err(e) = q {
        return answer_err(&web, &headers, bad_query(e));
    }
    let data = content_api::sections(&web.app)
        .iter()
        .map(|s| section_out(&web, s.id))
        .collect();
    answer(&web, &headers, &SectionList { data })
}

/// Tags on published stories.
#[utoipa::path(
    get,
    path = "/api/v1/tags",
    responses(
        (status = 200, description = "The tags", body = TagList),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "A query parameter was given", body = ApiError)
    )
)]
async fn tags(
    State(web): State<Web>,
    headers: HeaderMap,
    q: Result<Query<NoQuery>, QueryRejection>,
) -> Response {
    if let Err(e) = q {
        return answer_err(&web, &headers, bad_query(e));
    }
    match content_api::tags(&web.app).await {
        Ok(rows) => {
            let data = rows
                .into_iter()
                .map(|(_, slug, name, n)| TagOut {
                    url: absolute(&web.app, &format!("/tags/{slug}")),
                    slug,
                    name,
                    stories: Some(n),
                })
                .collect();
            answer(&web, &headers, &TagList { data })
        }
        Err(e) => answer_err(&web, &headers, internal(e)),
    }
}

/// Authors with published stories.
#[utoipa::path(
    get,
    path = "/api/v1/authors",
    responses(
        (status = 200, description = "The authors", body = AuthorList),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "A query parameter was given", body = ApiError)
    )
)]
async fn authors(
    State(web): State<Web>,
    headers: HeaderMap,
    q: Result<Query<NoQuery>, QueryRejection>,
) -> Response {
    if let Err(e) = q {
        return answer_err(&web, &headers, bad_query(e));
    }
    match content_api::authors(&web.app).await {
        Ok(rows) => {
            let data = rows
                .into_iter()
                .map(|(_, slug, name, bio, n)| AuthorOut {
                    url: absolute(&web.app, &format!("/authors/{slug}")),
                    slug,
                    name,
                    bio: Some(bio),
                    stories: Some(n),
                })
                .collect();
            answer(&web, &headers, &AuthorList { data })
        }
        Err(e) => answer_err(&web, &headers, internal(e)),
    }
}

/// Most Read: the most viewed stories in the paper's window.
#[utoipa::path(
    get,
    path = "/api/v1/most-read",
    responses(
        (status = 200, description = "Most Read, first first", body = RankedList),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "A query parameter was given", body = ApiError)
    )
)]
async fn most_read(
    State(web): State<Web>,
    headers: HeaderMap,
    q: Result<Query<NoQuery>, QueryRejection>,
) -> Response {
    if let Err(e) = q {
        return answer_err(&web, &headers, bad_query(e));
    }
    let r = web.app.rankings();
    answer(&web, &headers, &ranked_out(&web, &r.most_read))
}

/// Most Commented: the stories with the most public comments in the window.
#[utoipa::path(
    get,
    path = "/api/v1/most-commented",
    responses(
        (status = 200, description = "Most Commented, first first", body = RankedList),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "A query parameter was given", body = ApiError)
    )
)]
async fn most_commented(
    State(web): State<Web>,
    headers: HeaderMap,
    q: Result<Query<NoQuery>, QueryRejection>,
) -> Response {
    if let Err(e) = q {
        return answer_err(&web, &headers, bad_query(e));
    }
    let r = web.app.rankings();
    answer(&web, &headers, &ranked_out(&web, &r.most_commented))
}

/// Editor's Picks, in the editors' order.
#[utoipa::path(
    get,
    path = "/api/v1/picks",
    responses(
        (status = 200, description = "Editor's Picks", body = RankedList),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "A query parameter was given", body = ApiError)
    )
)]
async fn picks(
    State(web): State<Web>,
    headers: HeaderMap,
    q: Result<Query<NoQuery>, QueryRejection>,
) -> Response {
    if let Err(e) = q {
        return answer_err(&web, &headers, bad_query(e));
    }
    let r = web.app.rankings();
    answer(&web, &headers, &ranked_out(&web, &r.picks))
}

/// A search over the free text of published stories.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words, or "a phrase" in double quotes.
    #[param(min_length = 1, max_length = 200, pattern = "\\S")]
    q: String,
    /// A section's path: its stories and those below it.
    section: Option<String>,
    /// An author's slug.
    author: Option<String>,
    /// Most relevant first (default), or newest first.
    #[param(inline)]
    sort: Option<SearchSort>,
    /// Page number (default 1).
    #[param(minimum = 1, maximum = 50)]
    page: Option<usize>,
}

/// The order of search results.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum SearchSort {
    Relevance,
    Newest,
}

/// Search published stories (headline, standfirst, free text, byline, tags).
#[utoipa::path(
    get,
    path = "/api/v1/search",
    params(SearchQuery),
    responses(
        (status = 200, description = "Matches, ten a page", body = SearchResults),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "A bad query", body = ApiError),
        (status = 404, description = "No such section", body = ApiError)
    )
)]
async fn search_stories(
    State(web): State<Web>,
    headers: HeaderMap,
    q: Result<Query<SearchQuery>, QueryRejection>,
) -> Response {
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return answer_err(&web, &headers, bad_query(e)),
    };
    let sort = match q.sort {
        None | Some(SearchSort::Relevance) => search::Sort::Relevance,
        Some(SearchSort::Newest) => search::Sort::Newest,
    };
    let page = q.page.unwrap_or(1);
    if !(1..=search::MAX_PAGE).contains(&page) {
        return answer_err(
            &web,
            &headers,
            error(
                Code::BadParameter,
                format!("page must be from 1 to {}.", search::MAX_PAGE),
            ),
        );
    }
    let section = match q.section.as_deref() {
        None => None,
        Some(path) => match web.app.sections().by_path(path.trim_matches('/')) {
            Some(s) => Some(s.id),
            None => {
                return answer_err(
                    &web,
                    &headers,
                    error(
                        Code::NotFound,
                        "There is no such section: /api/v1/sections lists them.",
                    ),
                );
            }
        },
    };
    let ask = Ask {
        q: q.q,
        section,
        author: q.author,
        from: None,
        to: None,
        sort,
        page,
    };
    if let Err(m) = search::check(&ask) {
        return answer_err(&web, &headers, error(Code::BadParameter, m));
    }
    match search::search(&web.app, &ask, Entitled::Free).await {
        Ok(found) => {
            let data: Vec<SearchHit> = found
                .hits
                .iter()
                .filter_map(|h| {
                    h.card.as_ref().map(|c| SearchHit {
                        story: story_out(&web, c),
                        snippet_html: h.snippet_html.clone(),
                    })
                })
                .collect();
            let next_page = (page * search::PER_PAGE < found.total && page < search::MAX_PAGE)
                .then_some(page + 1);
            answer(
                &web,
                &headers,
                &SearchResults {
                    data,
                    total: found.total,
                    page,
                    next_page,
                },
            )
        }
        Err(broadsheet_app::AppError::Invalid(m)) => {
            answer_err(&web, &headers, error(Code::BadParameter, m))
        }
        Err(e) => answer_err(&web, &headers, internal(e)),
    }
}

/// The OpenAPI 3.1 document of this API.
async fn openapi(State(web): State<Web>, headers: HeaderMap) -> Response {
    answer(&web, &headers, &ApiDoc::openapi())
}
