//! Gift links for subscribers, under `/account/gifts`: make a link to a
//! paid story (from the "Give this story" link on its page), see the links
//! made with the readers each brought, and revoke one. Every answer depends
//! on who asks: `private, no-store`, never in the page cache. The rules
//! (who may give, caps, expiry) are `broadsheet_app::gifts`.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use broadsheet_app::entitlement::Reader;
use broadsheet_app::reader::{self, StoryPage};
use broadsheet_app::{gifts, readers};
use broadsheet_domain::time::{ShownTime, show};
use serde::Deserialize;

use crate::Web;
use crate::error::WebError;
use crate::extract::{ReaderForm, ReaderSession, reader_token};
use crate::view::{self, Chrome};

/// The gift routes, merged into the main router.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/account/gifts", get(list).post(make))
        .route("/account/gifts/revoke", post(revoke))
}

struct Row {
    id: i64,
    headline: String,
    url: String,
    made: ShownTime,
    expires: ShownTime,
    uses: i64,
    max_uses: i64,
    working: bool,
}

#[derive(Template)]
#[template(path = "reader_gifts.html")]
struct GiftsPage {
    chrome: Chrome,
    csrf: String,
    notice: String,
    /// A story to make a link to: (id, headline).
    offer: Option<(i64, String)>,
    /// The link just made (shown once).
    made: Option<String>,
    rows: Vec<Row>,
}

#[derive(Deserialize)]
struct GiftQuery {
    story: Option<i64>,
}

fn private(status: StatusCode, body: String) -> Response {
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

/// (path, headline) of a published story.
async fn story_of(web: &Web, id: i64) -> Result<Option<(String, String)>, WebError> {
    Ok(match reader::story(&web.app, id).await? {
        StoryPage::Found(r) => Some((
            broadsheet_domain::permalink::story_path(
                web.app.sections().path(r.story.section_id),
                &r.story.slug,
                r.story.id,
            ),
            r.story.headline.clone(),
        )),
        _ => None,
    })
}

async fn gate_reader(web: &Web, id: i64) -> Result<Reader, WebError> {
    let subscriber = readers::is_subscriber(&web.app, id, broadsheet_app::now())
        .await
        .map_err(|e| WebError::Internal(format!("reading entitlements: {e}")))?;
    Ok(Reader {
        account: Some(id),
        subscriber,
        ..Reader::default()
    })
}

async fn page(
    web: &Web,
    reader_id: i64,
    csrf: String,
    offer: Option<i64>,
    made: Option<String>,
    notice: String,
) -> Result<Response, WebError> {
    let giver = gate_reader(web, reader_id).await?;
    let tz = &web.app.config().time_zone;
    let now = broadsheet_app::now();
    let mut rows = Vec::new();
    for g in gifts::list(&web.app, &giver).await? {
        let (url, headline) = story_of(web, g.story_id)
            .await?
            .unwrap_or_else(|| (String::new(), "(no longer published)".into()));
        rows.push(Row {
            id: g.id,
            headline,
            url,
            made: show(g.created_at, tz),
            expires: show(g.expires_at, tz),
            uses: g.uses,
            max_uses: g.max_uses,
            working: g.revoked_at.is_none() && now < g.expires_at && g.uses < g.max_uses,
        });
    }
    let offer = match offer {
        Some(id) => story_of(web, id).await?.map(|(_, h)| (id, h)),
        None => None,
    };
    let mut chrome = view::chrome(
        &web.app,
        &web.app.sections(),
        format!("Gift links | {}", web.app.config().name),
        "/account/gifts",
        None,
    );
    chrome.breaking_slot = false;
    chrome.noindex = true;
    let p = GiftsPage {
        chrome,
        csrf,
        notice,
        offer,
        made,
        rows,
    };
    Ok(private(StatusCode::OK, p.render()?))
}

async fn list(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<GiftQuery>,
    ReaderSession(reader): ReaderSession,
) -> Result<Response, WebError> {
    let (Some(r), Some(token)) = (reader, reader_token(&headers)) else {
        return Ok(Redirect::to("/account?next=/account/gifts").into_response());
    };
    page(
        &web,
        r.id,
        readers::csrf_for(token),
        q.story,
        None,
        String::new(),
    )
    .await
}

async fn make(State(web): State<Web>, f: ReaderForm) -> Result<Response, WebError> {
    let csrf = readers::csrf_for(&f.token);
    let Ok(story) = f.form.get("story").parse::<i64>() else {
        return Err(WebError::BadRequest(
            "Which story? Use the \"Give this story\" link on the story's page.".into(),
        ));
    };
    let giver = gate_reader(&web, f.reader.id).await?;
    match gifts::make(&web.app, &giver, story, broadsheet_app::now()).await {
        Ok(g) => {
            let path = story_of(&web, story)
                .await?
                .map(|(p, _)| p)
                .unwrap_or_default();
            let link = view::absolute(&web.app, &format!("{path}?gift={}", g.token));
            page(&web, f.reader.id, csrf, None, Some(link), String::new()).await
        }
        Err(
            e @ (broadsheet_app::AppError::Invalid(_)
            | broadsheet_app::AppError::Forbidden(_)
            | broadsheet_app::AppError::NotFound(_)),
        ) => page(&web, f.reader.id, csrf, None, None, e.to_string()).await,
        Err(e) => Err(e.into()),
    }
}

async fn revoke(State(web): State<Web>, f: ReaderForm) -> Result<Response, WebError> {
    let csrf = readers::csrf_for(&f.token);
    let Ok(id) = f.form.get("id").parse::<i64>() else {
        return Err(WebError::BadRequest(
            "Which link? Use a Revoke button on this page.".into(),
        ));
    };
    let giver = gate_reader(&web, f.reader.id).await?;
    let notice = match gifts::revoke(&web.app, &giver, id, broadsheet_app::now()).await {
        Ok(()) => "Revoked: the link no longer opens the story, for anyone.".to_string(),
        Err(e @ broadsheet_app::AppError::NotFound(_)) => e.to_string(),
        Err(e) => return Err(e.into()),
    };
    page(&web, f.reader.id, csrf, None, None, notice).await
}
