//! Social sign-in routes under `/account/oauth/{provider}`: `start` (a form
//! post from the sign-in or account page) sends the browser to the provider
//! with a short-lived HttpOnly flow cookie (`bs_social`, path
//! `/account/oauth`); `callback` is where the provider sends it back, and
//! hands cookie, state and code to `broadsheet_app::social::finish`. Success
//! sets the reader session cookie and goes back where the reader was;
//! failure shows the sign-in page with what went wrong in plain words (the
//! detail is logged). Every answer here is `private, no-store` (an
//! `/account` path).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use broadsheet_app::readers;
use broadsheet_app::social::{self, Button, Callback, SocialError};
use serde::Deserialize;

use crate::Web;
use crate::error::WebError;
use crate::extract::{Posted, ReaderSession, cookie, reader_token, set_reader_cookie};
use crate::view::{self, Chrome};

/// The flow cookie: ties the callback to the browser that started it.
pub const FLOW_COOKIE: &str = "bs_social";

/// The social sign-in routes, merged into the main router.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/account/oauth/{provider}/start", post(start))
        .route("/account/oauth/{provider}/callback", get(callback))
}

fn flow_cookie(web: &Web, value: &str, max_age: i64) -> HeaderValue {
    let secure = if web.hsts { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{FLOW_COOKIE}={value}; Path=/account/oauth; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(
        "bs_social=; Path=/account/oauth; Max-Age=0",
    ))
}

fn private(res: &mut Response) {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
}

#[derive(Template)]
#[template(path = "social_failed.html")]
struct FailedPage {
    chrome: Chrome,
    message: String,
    social: Vec<Button>,
    /// A signed-in reader's token: the buttons link providers; empty: sign in.
    link_csrf: String,
    /// The path to return to after signing in (none after a failure).
    next: String,
}

/// The sign-in page with what went wrong; the flow cookie is cleared.
fn failed(web: &Web, provider: &str, e: &SocialError) -> Result<Response, WebError> {
    if e.is_internal() {
        tracing::error!(provider, error = %e.detail(), "social sign-in failed on our side");
    } else {
        tracing::warn!(provider, error = %e.detail(), "social sign-in refused");
    }
    let status = match e {
        SocialError::UnknownProvider => return Err(WebError::NotFound),
        SocialError::Down { .. } => StatusCode::BAD_GATEWAY,
        SocialError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        SocialError::Refused(_) | SocialError::Unverified { .. } => StatusCode::BAD_REQUEST,
    };
    let app = &web.app;
    let mut chrome = view::chrome(
        app,
        &app.sections(),
        format!("Sign in | {}", app.config().name),
        "/account",
        None,
    );
    chrome.breaking_slot = false;
    chrome.noindex = true;
    let page = FailedPage {
        chrome,
        message: e.user_message(),
        social: social::buttons(app),
        link_csrf: String::new(),
        next: String::new(),
    };
    let mut res = (status, page.render()?).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res.headers_mut()
        .append(header::SET_COOKIE, flow_cookie(web, "", 0));
    private(&mut res);
    Ok(res)
}

/// `POST /account/oauth/{provider}/start`. Signed out: sign in (or up).
/// Signed in, with the session's CSRF token and `link=1`: link this
/// provider to the account. Optional `return`: a path on this site.
async fn start(
    State(web): State<Web>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    ReaderSession(reader): ReaderSession,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let form = Posted::new(pairs);
    let link = match (&reader, reader_token(&headers)) {
        (Some(r), Some(token)) if form.raw("link") == "1" => {
            let expected = readers::csrf_for(token);
            // Compared as digests, so the time taken says nothing.
            let sent = broadsheet_app::signin::token_hash(form.raw("csrf"));
            if sent != broadsheet_app::signin::token_hash(&expected) {
                return Err(WebError::BadRequest(
                    "This form has expired: reload your account page and try again.".into(),
                ));
            }
            Some(r.id)
        }
        _ => None,
    };
    let back = match form.raw("return") {
        "" => "/account",
        r => r,
    };
    match social::start(&web.app, &provider, back, link).await {
        Ok(s) => {
            let mut res = Redirect::to(&s.redirect_to).into_response();
            res.headers_mut().append(
                header::SET_COOKIE,
                flow_cookie(&web, &s.flow_cookie, s.max_age),
            );
            private(&mut res);
            Ok(res)
        }
        Err(e) => failed(&web, &provider, &e),
    }
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

/// `GET /account/oauth/{provider}/callback?state=…&code=…`.
async fn callback(
    State(web): State<Web>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    ReaderSession(reader): ReaderSession,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, WebError> {
    let cb = Callback {
        flow_cookie: cookie(&headers, FLOW_COOKIE).map(str::to_string),
        state: q.state,
        code: q.code,
        error: q.error,
        signed_in: reader.map(|r| r.id),
    };
    match social::finish(&web.app, &provider, cb).await {
        Ok(done) => {
            let mut res = Redirect::to(&done.return_to).into_response();
            res.headers_mut()
                .append(header::SET_COOKIE, flow_cookie(&web, "", 0));
            set_reader_cookie(&web, &mut res, &done.session.token, readers::SESSION_SECS);
            Ok(res)
        }
        Err(e) => failed(&web, &provider, &e),
    }
}
