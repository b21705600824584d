//! Reader account pages under `/account`: sign-in (password, or a link by
//! email), sign-up, the mailed links (confirm an address, sign in, choose a
//! new password), the profile (name, address, newsletters), sign-out (here
//! or everywhere), the JSON export and deletion.
//!
//! Every response here depends on who is asking, so it goes out
//! `private, no-store` and never enters the page cache (the error layer
//! does the same for errors under `/account`); the masthead entry other
//! pages show is the same for everyone. Forms of a signed-in reader are
//! [`ReaderForm`]s (CSRF token derived from the session, checked before the
//! form is used); signed-out forms carry the staff sign-in's signed
//! double-submit token (cookie `bs_reader_form`, path `/account`). Answers
//! to sign-up, link and reset requests are the same whether or not the
//! address has an account. Handlers are extractors plus one call into
//! `broadsheet_app::readers`, then a template.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use broadsheet_app::ReaderAccount;
use broadsheet_app::readers::{self, LinkState, ReaderError, ReaderSessionToken};
use broadsheet_domain::Actor;
use broadsheet_domain::readers::TokenPurpose;
use serde::Deserialize;

use crate::Web;
use crate::client::ClientIp;
use crate::error::WebError;
use crate::extract::{
    ReaderForm, ReaderSession, clear_reader_cookie, cookie, reader_token, set_reader_cookie,
};
use crate::view::{self, Chrome};

/// The signed double-submit CSRF cookie of the signed-out reader forms.
const FORM_COOKIE: &str = "bs_reader_form";

/// The reader routes, merged into the main router.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/account", get(account))
        .route("/account/sign-in", post(sign_in))
        .route("/account/magic-link", post(magic_link))
        .route("/account/sign-up", get(sign_up_form).post(sign_up))
        .route("/account/reset", get(reset_form).post(reset))
        .route("/account/reset/choose", link_route(TokenPurpose::Reset))
        .route("/account/verify", link_route(TokenPurpose::Verify))
        .route("/account/magic", link_route(TokenPurpose::Magic))
        .route("/account/sign-out", post(sign_out))
        .route("/account/profile", post(profile))
        .route("/account/email", post(email))
        .route("/account/export", get(export))
        .route("/account/delete", post(delete))
}

/// A mailed link's address: `GET` shows its page, `POST` uses it.
fn link_route(purpose: TokenPurpose) -> axum::routing::MethodRouter<Web> {
    get(move |w: State<Web>, q: Query<LinkQuery>| link_form(w, q, purpose))
        .post(move |w: State<Web>, r: Request| use_link(w, r, purpose))
}

/// Whether a path is a reader account page (its answers, errors included,
/// are `private, no-store`).
pub fn is_reader_path(path: &str) -> bool {
    path == "/account" || path.starts_with("/account/") || path.starts_with("/newsletters/")
}

/// A reader page: HTML, `private, no-store`.
pub(crate) fn html(status: StatusCode, body: String) -> Response {
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

/// The frame of a reader page that is never cached (account, subscribe).
pub(crate) fn chrome(web: &Web, title: &str, path: &str) -> Chrome {
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

/// What went wrong with a form, and the field (its id) to fix; no field:
/// the whole form.
pub struct Problem {
    pub field: String,
    pub message: String,
}

fn problem(field: &str, message: String) -> Option<Problem> {
    Some(Problem {
        field: field.to_string(),
        message,
    })
}

/// The status a reader error answers with, or the error page for ours.
fn status_of(e: &ReaderError) -> Result<StatusCode, WebError> {
    Ok(match e {
        ReaderError::Invalid(_) | ReaderError::EmailTaken | ReaderError::LinkRefused(_) => {
            StatusCode::BAD_REQUEST
        }
        ReaderError::Mismatch(_) => StatusCode::UNAUTHORIZED,
        ReaderError::Limited(_) => StatusCode::TOO_MANY_REQUESTS,
        ReaderError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        ReaderError::Internal(detail) => return Err(WebError::Internal(detail.clone())),
    })
}

/// A posted form, read whole (small: the router's body limit applies).
async fn read_form(req: Request) -> Option<(HeaderMap, HashMap<String, String>)> {
    let headers = req.headers().clone();
    let Form(map): Form<HashMap<String, String>> = Form::from_request(req, &()).await.ok()?;
    Some((headers, map))
}

fn field<'a>(form: &'a HashMap<String, String>, k: &str) -> &'a str {
    form.get(k).map(String::as_str).unwrap_or("")
}

/// An address typed into a form, safe to show again (bounded).
fn echo(s: &str) -> String {
    let s = s.trim();
    if s.len() > broadsheet_domain::readers::MAX_EMAIL {
        String::new()
    } else {
        s.to_string()
    }
}

/// A new signed token for a signed-out form, and its cookie on `res`.
async fn form_token(web: &Web) -> Result<String, WebError> {
    web.signin
        .signin_csrf_token(&web.app)
        .await
        .map_err(|e| WebError::Internal(format!("{e:?}")))
}

fn with_form_cookie(web: &Web, mut res: Response, token: &str) -> Response {
    let secure = if web.hsts { "; Secure" } else { "" };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{FORM_COOKIE}={token}; Path=/account; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        broadsheet_app::signin::SIGNIN_CSRF_SECS
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Whether a signed-out form's token repeats its cookie and is one this
/// installation signed, in time.
async fn form_ok(
    web: &Web,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<bool, WebError> {
    web.signin
        .signin_csrf_ok(
            &web.app,
            cookie(headers, FORM_COOKIE).unwrap_or(""),
            field(form, "csrf"),
        )
        .await
        .map_err(|e| WebError::Internal(format!("{e:?}")))
}

const FORM_EXPIRED: &str =
    "This form had expired, so nothing was done. It has been refreshed: try again.";
const UNREADABLE: &str = "The form could not be read. Try again.";

/// Signs this browser in with `session`: ends the session its old cookie
/// named (if any), sets the new cookie, and goes to `to`.
async fn signed_in(
    web: &Web,
    old: Option<&str>,
    session: &ReaderSessionToken,
    to: &str,
) -> Response {
    if let Some(old) = old
        && let Err(e) = readers::end_session(&web.app, old).await
    {
        tracing::warn!(error = %e, "could not end the session a browser had before signing in");
    }
    let mut res = Redirect::to(to).into_response();
    let max_age = (session.expires_at - broadsheet_app::now()).max(0);
    set_reader_cookie(web, &mut res, &session.token, max_age);
    res
}

// ----- /account --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "reader_account.html")]
struct AccountPage {
    chrome: Chrome,
    reader: Option<ReaderAccount>,
    subscriber: bool,
    csrf: String,
    notice: String,
    problem: Option<Problem>,
    email: String,
    /// Social sign-in buttons (`social_buttons.html`).
    social: Vec<broadsheet_app::social::Button>,
    /// The signed-in reader's token for "link a provider"; empty: sign in.
    link_csrf: String,
    /// Where signing in returns to (a checked path; empty: the account page).
    next: String,
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
    next: Option<String>,
}

/// The checked return path of a query or form (empty if none, or refused).
fn next_of(raw: Option<&str>) -> String {
    raw.and_then(readers::return_path).unwrap_or_default()
}

/// Where a sign-in goes: the checked `next`, else the account page saying `done`.
fn after_sign_in(next: &str, done: &str) -> String {
    if next.is_empty() {
        format!("/account?done={done}")
    } else {
        next.to_string()
    }
}

/// What a finished action says on the page it returns to (fixed words, so
/// nothing from the address is echoed).
fn notice_for(done: Option<&str>) -> &'static str {
    match done {
        Some("signed-in") => "You are signed in.",
        Some("verified") => "Your email address is confirmed, and you are signed in.",
        Some("password") => "Your new password is set. You were signed out everywhere else.",
        Some("profile") => "Your profile is saved.",
        Some("email") => {
            "We sent a link to the new address. Your account moves to it when you open the link."
        }
        Some("signed-out") => "You are signed out.",
        Some("everywhere") => "You are signed out everywhere.",
        Some("deleted") => "Your account and everything we held on you is deleted.",
        _ => "",
    }
}

/// The signed-out account page (sign-in and sign-in-by-link forms).
async fn signed_out_page(
    web: &Web,
    status: StatusCode,
    problem: Option<Problem>,
    email: &str,
    notice: &str,
    next: &str,
) -> Result<Response, WebError> {
    let csrf = form_token(web).await?;
    let page = AccountPage {
        chrome: chrome(web, "Sign in", "/account"),
        reader: None,
        subscriber: false,
        csrf: csrf.clone(),
        notice: notice.to_string(),
        problem,
        email: echo(email),
        social: broadsheet_app::social::buttons(&web.app),
        link_csrf: String::new(),
        next: next.to_string(),
    };
    Ok(with_form_cookie(web, html(status, page.render()?), &csrf))
}

/// The signed-in account page.
async fn profile_page(
    web: &Web,
    status: StatusCode,
    reader: ReaderAccount,
    token: &str,
    problem: Option<Problem>,
    notice: &str,
) -> Result<Response, WebError> {
    let err = |e: ReaderError| WebError::Internal(e.to_string());
    let subscriber = readers::is_subscriber(&web.app, reader.id, broadsheet_app::now())
        .await
        .map_err(err)?;
    let page = AccountPage {
        chrome: chrome(web, "Your account", "/account"),
        subscriber,
        csrf: readers::csrf_for(token),
        notice: notice.to_string(),
        problem,
        email: String::new(),
        social: broadsheet_app::social::buttons(&web.app),
        link_csrf: readers::csrf_for(token),
        reader: Some(reader),
        next: String::new(),
    };
    Ok(html(status, page.render()?))
}

async fn account(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<Done>,
    ReaderSession(reader): ReaderSession,
) -> Result<Response, WebError> {
    let notice = notice_for(q.done.as_deref());
    let next = next_of(q.next.as_deref());
    match (reader, reader_token(&headers)) {
        // Signed in already: straight back to the page asked for.
        (Some(_), Some(_)) if !next.is_empty() => Ok(Redirect::to(&next).into_response()),
        (Some(r), Some(token)) => profile_page(&web, StatusCode::OK, r, token, None, notice).await,
        _ => signed_out_page(&web, StatusCode::OK, None, "", notice, &next).await,
    }
}

async fn sign_in(
    State(web): State<Web>,
    ClientIp(client): ClientIp,
    req: Request,
) -> Result<Response, WebError> {
    let Some((headers, form)) = read_form(req).await else {
        return signed_out_page(
            &web,
            StatusCode::BAD_REQUEST,
            problem("", UNREADABLE.into()),
            "",
            "",
            "",
        )
        .await;
    };
    let email = field(&form, "email");
    let next = next_of(form.get("next").map(String::as_str));
    if !form_ok(&web, &headers, &form).await? {
        return signed_out_page(
            &web,
            StatusCode::FORBIDDEN,
            problem("", FORM_EXPIRED.into()),
            email,
            "",
            &next,
        )
        .await;
    }
    match readers::sign_in(
        &web.app,
        &web.signin,
        client,
        email,
        field(&form, "password"),
    )
    .await
    {
        Ok((_, session)) => Ok(signed_in(
            &web,
            reader_token(&headers),
            &session,
            &after_sign_in(&next, "signed-in"),
        )
        .await),
        Err(e) => {
            let status = status_of(&e)?;
            let at = if matches!(e, ReaderError::Invalid(_)) {
                "signin-email"
            } else {
                "signin-password"
            };
            signed_out_page(
                &web,
                status,
                problem(at, e.user_message()),
                email,
                "",
                &next,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "reader_sent.html")]
struct SentPage {
    chrome: Chrome,
    message: String,
    again: &'static str,
}

fn sent_page(web: &Web, message: String, again: &'static str) -> Result<Response, WebError> {
    let page = SentPage {
        chrome: chrome(web, "Check your inbox", "/account"),
        message,
        again,
    };
    Ok(html(StatusCode::OK, page.render()?))
}

async fn magic_link(
    State(web): State<Web>,
    ClientIp(client): ClientIp,
    req: Request,
) -> Result<Response, WebError> {
    let Some((headers, form)) = read_form(req).await else {
        return signed_out_page(
            &web,
            StatusCode::BAD_REQUEST,
            problem("", UNREADABLE.into()),
            "",
            "",
            "",
        )
        .await;
    };
    let email = field(&form, "email");
    let next = next_of(form.get("next").map(String::as_str));
    if !form_ok(&web, &headers, &form).await? {
        return signed_out_page(
            &web,
            StatusCode::FORBIDDEN,
            problem("", FORM_EXPIRED.into()),
            email,
            "",
            &next,
        )
        .await;
    }
    let back = (!next.is_empty()).then_some(next.as_str());
    match readers::request_magic_link(&web.app, &web.signin, client, email, back).await {
        Ok(()) => sent_page(
            &web,
            format!(
                "We sent a sign-in link to {}. It works once, within 15 minutes.",
                echo(email)
            ),
            "/account",
        ),
        Err(e) => {
            let status = status_of(&e)?;
            signed_out_page(
                &web,
                status,
                problem("magic-email", e.user_message()),
                email,
                "",
                &next,
            )
            .await
        }
    }
}

// ----- sign-up -----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "reader_sign_up.html")]
struct SignUpPage {
    chrome: Chrome,
    csrf: String,
    problem: Option<Problem>,
    display_name: String,
    email: String,
}

async fn sign_up_page(
    web: &Web,
    status: StatusCode,
    problem: Option<Problem>,
    name: &str,
    email: &str,
) -> Result<Response, WebError> {
    let csrf = form_token(web).await?;
    let name = if name.len() > 400 { "" } else { name.trim() };
    let page = SignUpPage {
        chrome: chrome(web, "Create an account", "/account/sign-up"),
        csrf: csrf.clone(),
        problem,
        display_name: name.to_string(),
        email: echo(email),
    };
    Ok(with_form_cookie(web, html(status, page.render()?), &csrf))
}

async fn sign_up_form(State(web): State<Web>) -> Result<Response, WebError> {
    sign_up_page(&web, StatusCode::OK, None, "", "").await
}

async fn sign_up(
    State(web): State<Web>,
    ClientIp(client): ClientIp,
    req: Request,
) -> Result<Response, WebError> {
    let Some((headers, form)) = read_form(req).await else {
        return sign_up_page(
            &web,
            StatusCode::BAD_REQUEST,
            problem("", UNREADABLE.into()),
            "",
            "",
        )
        .await;
    };
    let (name, email, password) = (
        field(&form, "display_name"),
        field(&form, "email"),
        field(&form, "password"),
    );
    if !form_ok(&web, &headers, &form).await? {
        return sign_up_page(
            &web,
            StatusCode::FORBIDDEN,
            problem("", FORM_EXPIRED.into()),
            name,
            email,
        )
        .await;
    }
    match readers::sign_up(&web.app, &web.signin, client, email, password, name).await {
        Ok(()) => sent_page(
            &web,
            format!(
                "We sent a message to {}. Open the link in it to confirm your address and sign in.",
                echo(email)
            ),
            "/account/sign-up",
        ),
        Err(e) => {
            let status = status_of(&e)?;
            let message = e.user_message();
            // Which field the words are about (they name it).
            let at = if broadsheet_domain::readers::normalise_email(email).is_err() {
                "signup-email"
            } else if broadsheet_domain::readers::clean_display_name(name).is_err() {
                "signup-name"
            } else {
                "signup-password"
            };
            sign_up_page(&web, status, problem(at, message), name, email).await
        }
    }
}

// ----- password reset ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "reader_reset.html")]
struct ResetPage {
    chrome: Chrome,
    csrf: String,
    problem: Option<Problem>,
    email: String,
}

async fn reset_page(
    web: &Web,
    status: StatusCode,
    problem: Option<Problem>,
    email: &str,
) -> Result<Response, WebError> {
    let csrf = form_token(web).await?;
    let page = ResetPage {
        chrome: chrome(web, "Choose a new password", "/account/reset"),
        csrf: csrf.clone(),
        problem,
        email: echo(email),
    };
    Ok(with_form_cookie(web, html(status, page.render()?), &csrf))
}

async fn reset_form(State(web): State<Web>) -> Result<Response, WebError> {
    reset_page(&web, StatusCode::OK, None, "").await
}

async fn reset(
    State(web): State<Web>,
    ClientIp(client): ClientIp,
    req: Request,
) -> Result<Response, WebError> {
    let Some((headers, form)) = read_form(req).await else {
        return reset_page(
            &web,
            StatusCode::BAD_REQUEST,
            problem("", UNREADABLE.into()),
            "",
        )
        .await;
    };
    let email = field(&form, "email");
    if !form_ok(&web, &headers, &form).await? {
        return reset_page(
            &web,
            StatusCode::FORBIDDEN,
            problem("", FORM_EXPIRED.into()),
            email,
        )
        .await;
    }
    match readers::request_reset(&web.app, &web.signin, client, email).await {
        Ok(()) => sent_page(
            &web,
            format!(
                "If {} has an account, we sent it a link to choose a new password. It works once, within an hour.",
                echo(email)
            ),
            "/account/reset",
        ),
        Err(e) => {
            let status = status_of(&e)?;
            reset_page(
                &web,
                status,
                problem("reset-email", e.user_message()),
                email,
            )
            .await
        }
    }
}

// ----- mailed links -------------------------------------------------------------------

#[derive(Template)]
#[template(path = "reader_link.html")]
struct LinkPage {
    chrome: Chrome,
    heading: &'static str,
    explain: &'static str,
    button: &'static str,
    action: &'static str,
    usable: bool,
    choose_password: bool,
    token: String,
    csrf: String,
    problem: Option<Problem>,
    /// Where using the link returns to (a checked path; empty: the account page).
    next: String,
}

#[derive(Deserialize)]
struct LinkQuery {
    t: Option<String>,
    next: Option<String>,
}

/// The page a mailed link opens: a button that uses the link (a GET uses
/// nothing, so mail scanners that open links cannot spend them).
async fn link_page(
    web: &Web,
    purpose: TokenPurpose,
    token: &str,
    status: StatusCode,
    problem_now: Option<Problem>,
    next: &str,
) -> Result<Response, WebError> {
    let state = readers::link_state(&web.app, purpose, token)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let usable = state == LinkState::Usable;
    let (heading, explain, button) = match purpose {
        TokenPurpose::Verify => (
            "Confirm your email address",
            "Press the button to confirm this address and sign in.",
            "Confirm and sign in",
        ),
        TokenPurpose::Magic => ("Sign in", "Press the button to sign in.", "Sign in"),
        TokenPurpose::Reset => (
            "Choose a new password",
            "Choosing a new password signs you out everywhere else.",
            "Set the new password",
        ),
    };
    let problem = match (usable, problem_now) {
        (_, Some(p)) => Some(p),
        (false, None) => problem("", readers::LINK_REFUSED.to_string()),
        (true, None) => None,
    };
    let csrf = form_token(web).await?;
    let page = LinkPage {
        chrome: chrome(web, heading, readers::link_path(purpose)),
        heading,
        explain,
        button,
        action: readers::link_path(purpose),
        usable,
        choose_password: purpose == TokenPurpose::Reset,
        token: if usable {
            token.to_string()
        } else {
            String::new()
        },
        csrf: csrf.clone(),
        problem,
        next: next.to_string(),
    };
    let status = if usable || status != StatusCode::OK {
        status
    } else {
        StatusCode::GONE
    };
    Ok(with_form_cookie(web, html(status, page.render()?), &csrf))
}

/// `GET` of a mailed link (confirm, sign in, choose a password): its page.
async fn link_form(
    State(web): State<Web>,
    Query(q): Query<LinkQuery>,
    purpose: TokenPurpose,
) -> Result<Response, WebError> {
    let next = next_of(q.next.as_deref());
    link_page(
        &web,
        purpose,
        q.t.as_deref().unwrap_or(""),
        StatusCode::OK,
        None,
        &next,
    )
    .await
}

/// `POST` from a mailed link's page: confirms the address, signs in, or
/// sets the new password (checked before the link is used up); then a new
/// session for this browser, and back to `next` or the account page.
async fn use_link(
    State(web): State<Web>,
    req: Request,
    purpose: TokenPurpose,
) -> Result<Response, WebError> {
    let Some((headers, form)) = read_form(req).await else {
        return link_page(
            &web,
            purpose,
            "",
            StatusCode::BAD_REQUEST,
            problem("", UNREADABLE.into()),
            "",
        )
        .await;
    };
    let token = field(&form, "t");
    let next = next_of(form.get("next").map(String::as_str));
    if !form_ok(&web, &headers, &form).await? {
        return link_page(
            &web,
            purpose,
            token,
            StatusCode::FORBIDDEN,
            problem("", FORM_EXPIRED.into()),
            &next,
        )
        .await;
    }
    let (used, done) = match purpose {
        TokenPurpose::Verify => (
            readers::use_link(&web.app, purpose, token).await,
            "verified",
        ),
        TokenPurpose::Magic => (
            readers::use_link(&web.app, purpose, token).await,
            "signed-in",
        ),
        TokenPurpose::Reset => (
            readers::reset_password(&web.app, &web.signin, token, field(&form, "password")).await,
            "password",
        ),
    };
    match used {
        Ok((_, session)) => Ok(signed_in(
            &web,
            reader_token(&headers),
            &session,
            &after_sign_in(&next, done),
        )
        .await),
        Err(e) => {
            let status = status_of(&e)?;
            let at = if purpose == TokenPurpose::Reset && !matches!(e, ReaderError::LinkRefused(_))
            {
                "new-password"
            } else {
                ""
            };
            link_page(
                &web,
                purpose,
                token,
                status,
                problem(at, e.user_message()),
                &next,
            )
            .await
        }
    }
}

// ----- signed in ------------------------------------------------------------------------

async fn sign_out(
    State(web): State<Web>,
    ReaderForm {
        reader,
        token,
        form,
    }: ReaderForm,
) -> Result<Response, WebError> {
    let everywhere = form.raw("everywhere") == "1";
    let r = if everywhere {
        readers::end_all_sessions(&web.app, &Actor::Reader { id: reader.id }, reader.id)
            .await
            .map(|_| ())
    } else {
        readers::end_session(&web.app, &token).await
    };
    r.map_err(|e| WebError::Internal(e.to_string()))?;
    let done = if everywhere {
        "everywhere"
    } else {
        "signed-out"
    };
    let mut res = Redirect::to(&format!("/account?done={done}")).into_response();
    clear_reader_cookie(&web, &mut res);
    Ok(res)
}

async fn profile(
    State(web): State<Web>,
    ReaderForm {
        reader,
        token,
        form,
    }: ReaderForm,
) -> Result<Response, WebError> {
    match readers::update_profile(&web.app, reader.id, form.raw("display_name")).await {
        Ok(_) => Ok(Redirect::to("/account?done=profile").into_response()),
        Err(e) => {
            let status = status_of(&e)?;
            profile_page(
                &web,
                status,
                reader,
                &token,
                problem("display-name", e.user_message()),
                "",
            )
            .await
        }
    }
}

async fn email(
    State(web): State<Web>,
    ReaderForm {
        reader,
        token,
        form,
    }: ReaderForm,
) -> Result<Response, WebError> {
    match readers::change_email(&web.app, &reader, form.raw("email")).await {
        Ok(()) => Ok(Redirect::to("/account?done=email").into_response()),
        Err(e) => {
            let status = status_of(&e)?;
            profile_page(
                &web,
                status,
                reader,
                &token,
                problem("new-email", e.user_message()),
                "",
            )
            .await
        }
    }
}

async fn export(
    State(web): State<Web>,
    ReaderSession(reader): ReaderSession,
) -> Result<Response, WebError> {
    let Some(reader) = reader else {
        return Ok(Redirect::to("/account").into_response());
    };
    let data = readers::export(&web.app, reader.id)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let body =
        serde_json::to_string_pretty(&data).map_err(|e| WebError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "private, no-store"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"my-account.json\"",
            ),
        ],
        body,
    )
        .into_response())
}

async fn delete(
    State(web): State<Web>,
    ReaderForm {
        reader,
        token,
        form,
    }: ReaderForm,
) -> Result<Response, WebError> {
    let typed =
        broadsheet_domain::readers::normalise_email(form.raw("confirm_email")).unwrap_or_default();
    if typed != reader.email {
        let msg = "Type the email address of this account to confirm that it should be deleted."
            .to_string();
        return profile_page(
            &web,
            StatusCode::BAD_REQUEST,
            reader,
            &token,
            problem("delete-email", msg),
            "",
        )
        .await;
    }
    readers::delete_account(&web.app, &Actor::Reader { id: reader.id }, reader.id)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let mut res = Redirect::to("/account?done=deleted").into_response();
    clear_reader_cookie(&web, &mut res);
    Ok(res)
}
