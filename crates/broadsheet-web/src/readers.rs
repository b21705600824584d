//! Reader account pages under `/account`: sign-in, sign-up, mailed links,
//! the profile, sign-out and deletion. Every response here depends on who
//! is asking, so it goes out `private, no-store` and never enters the page
//! cache; the masthead entry other pages show is the same for everyone.
//! Handlers are extractors ([`ReaderSession`], [`ReaderForm`]) plus one call
//! into `broadsheet_app::readers`, then a template.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use broadsheet_app::ReaderAccount;
use broadsheet_app::readers;
use broadsheet_domain::Actor;

use crate::Web;
use crate::error::WebError;
use crate::extract::{ReaderForm, ReaderSession, clear_reader_cookie, reader_token};
use crate::view::{self, Chrome};

/// The reader routes, merged into the main router.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/account", get(account))
        .route("/account/sign-out", post(sign_out))
}

/// Whether a path is a reader account page (its answers, errors included,
/// are `private, no-store`).
pub fn is_reader_path(path: &str) -> bool {
    path == "/account" || path.starts_with("/account/")
}

/// A reader page: HTML, `private, no-store`.
fn html(status: StatusCode, body: String) -> Response {
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

fn chrome(web: &Web, title: &str, path: &str) -> Chrome {
    let app = &web.app;
    let mut c = view::chrome(
        app,
        &app.sections(),
        format!("{title} | {}", app.config().name),
        path,
        None,
    );
    // Not a cached page: the banner is rendered in place, and search
    // engines have nothing to index here.
    c.breaking_slot = false;
    c.noindex = true;
    c
}

#[derive(Template)]
#[template(path = "reader_account.html")]
struct AccountPage {
    chrome: Chrome,
    reader: Option<ReaderAccount>,
    csrf: String,
    notice: String,
    /// Social sign-in buttons (`social_buttons.html`).
    social: Vec<broadsheet_app::social::Button>,
}

async fn account(
    State(web): State<Web>,
    headers: axum::http::HeaderMap,
    ReaderSession(reader): ReaderSession,
) -> Result<Response, WebError> {
    let csrf = reader_token(&headers)
        .filter(|_| reader.is_some())
        .map(readers::csrf_for)
        .unwrap_or_default();
    let page = AccountPage {
        chrome: chrome(&web, "Your account", "/account"),
        reader,
        csrf,
        notice: String::new(),
        social: broadsheet_app::social::buttons(&web.app),
    };
    Ok(html(StatusCode::OK, page.render()?))
}

async fn sign_out(
    State(web): State<Web>,
    ReaderForm {
        reader,
        token,
        form,
    }: ReaderForm,
) -> Result<Response, WebError> {
    let r = if form.raw("everywhere") == "1" {
        readers::end_all_sessions(&web.app, &Actor::Reader { id: reader.id }, reader.id).await
    } else {
        readers::end_session(&web.app, &token).await.map(|()| 0)
    };
    r.map_err(|e| WebError::Internal(e.to_string()))?;
    let mut res = Redirect::to("/account").into_response();
    clear_reader_cookie(&web, &mut res);
    Ok(res)
}
