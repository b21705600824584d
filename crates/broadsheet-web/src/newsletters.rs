//! Newsletters for readers (issue 13 item 5): the preference centre
//! (`/account/newsletters`), the mailed confirming link
//! (`/newsletters/confirm`), the unsubscribe link every message carries
//! (`/newsletters/unsubscribe`: a page with a button, and RFC 8058's
//! one-click `POST` from the mail client), and the aggregate counters
//! (`/newsletters/o/<issue>.gif` for opens, `/newsletters/c/<issue>/<story>`
//! for clicks: no reader is recorded). Opening a mailed link changes
//! nothing (a link scanner may open it); the button does. Every decision
//! is `broadsheet_app::newsletters`'.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use broadsheet_app::AppError;
use broadsheet_app::newsletters::{self, LinkTarget};
use broadsheet_domain::newsletters::State as SubState;
use serde::Deserialize;

use crate::Web;
use crate::error::WebError;
use crate::extract::{ReaderForm, ReaderSession};
use crate::readers::{chrome, html};
use crate::view::Chrome;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/account/newsletters", get(centre).post(change))
        .route("/newsletters/confirm", get(confirm_page).post(confirm))
        .route(
            "/newsletters/unsubscribe",
            get(unsubscribe_page).post(unsubscribe),
        )
        .route("/newsletters/o/{file}", get(open_pixel))
        .route("/newsletters/c/{issue}/{story}", get(click))
}

struct Row {
    id: i64,
    name: String,
    description: String,
    /// "pending", "active" or "".
    state: &'static str,
    since: String,
    paused: bool,
}

#[derive(Template)]
#[template(path = "reader_newsletters.html")]
struct CentrePage {
    chrome: Chrome,
    rows: Vec<Row>,
    csrf: String,
    notice: String,
    problem: String,
    email: String,
}

fn when(web: &Web, t: i64) -> String {
    broadsheet_domain::time::show(t, &web.app.config().time_zone).date
}

async fn centre_page(
    web: &Web,
    reader: &broadsheet_app::ReaderAccount,
    token: &str,
    status: StatusCode,
    notice: String,
    problem: String,
) -> Result<Response, WebError> {
    let choices = newsletters::preferences(&web.app, reader.id).await?;
    let rows = choices
        .iter()
        .map(|c| {
            let state = match c.state() {
                Some(SubState::Pending) => "pending",
                Some(SubState::Active) => "active",
                _ => "",
            };
            let since = c
                .subscription
                .as_ref()
                .map(|s| when(web, s.confirmed_at.unwrap_or(s.requested_at)))
                .unwrap_or_default();
            Row {
                id: c.newsletter.id,
                name: c.newsletter.name.clone(),
                description: c.newsletter.description.clone(),
                state,
                since,
                paused: !c.newsletter.active,
            }
        })
        .collect();
    let page = CentrePage {
        chrome: chrome(web, "Your newsletters", "/account/newsletters"),
        rows,
        csrf: broadsheet_app::readers::csrf_for(token),
        notice,
        problem,
        email: reader.email.clone(),
    };
    Ok(html(status, page.render()?))
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn centre(
    State(web): State<Web>,
    headers: axum::http::HeaderMap,
    Query(q): Query<Done>,
    ReaderSession(reader): ReaderSession,
) -> Result<Response, WebError> {
    let (Some(reader), Some(token)) = (reader, crate::extract::reader_token(&headers)) else {
        return Ok(Redirect::to("/account?next=/account/newsletters").into_response());
    };
    let notice = match q.done.as_deref() {
        Some("saved") => {
            "Your choices are saved. For each newsletter you added, we emailed a link: it starts when you open the link and press the button."
        }
        Some("resent") => "We emailed a new link to confirm.",
        _ => "",
    };
    centre_page(
        &web,
        &reader,
        token,
        StatusCode::OK,
        notice.into(),
        String::new(),
    )
    .await
}

async fn change(
    State(web): State<Web>,
    ReaderForm {
        reader,
        token,
        form,
    }: ReaderForm,
) -> Result<Response, WebError> {
    let r = match form.raw("do") {
        "resend" => {
            let id = form.raw("newsletter").parse().unwrap_or(0);
            newsletters::resend(&web.app, &reader, id)
                .await
                .map(|_| "resent")
        }
        _ => {
            let wanted: Vec<i64> = form
                .map
                .iter()
                .filter(|(k, v)| k.starts_with("nl-") && v.as_str() == "1")
                .filter_map(|(k, _)| k.trim_start_matches("nl-").parse().ok())
                .collect();
            newsletters::choose(&web.app, &reader, &wanted)
                .await
                .map(|_| "saved")
        }
    };
    match r {
        Ok(done) => Ok(Redirect::to(&format!("/account/newsletters?done={done}")).into_response()),
        Err(AppError::Invalid(msg)) => {
            centre_page(
                &web,
                &reader,
                &token,
                StatusCode::BAD_REQUEST,
                String::new(),
                msg,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ----- mailed links ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "newsletter_link.html")]
struct LinkPage {
    chrome: Chrome,
    heading: String,
    explain: String,
    /// The form's action and button (none: nothing to press).
    action: &'static str,
    button: &'static str,
    token: String,
}

#[derive(Deserialize)]
struct TokenQuery {
    t: Option<String>,
}

fn link_page(
    web: &Web,
    status: StatusCode,
    heading: &str,
    explain: String,
    action: &'static str,
    button: &'static str,
    token: &str,
) -> Result<Response, WebError> {
    let page = LinkPage {
        chrome: chrome(web, heading, "/newsletters"),
        heading: heading.to_string(),
        explain,
        action,
        button,
        token: token.to_string(),
    };
    Ok(html(status, page.render()?))
}

/// The page of a link that does not work, saying what to do.
fn refused(web: &Web, explain: String) -> Result<Response, WebError> {
    link_page(
        web,
        StatusCode::BAD_REQUEST,
        "This link does not work",
        explain,
        "",
        "",
        "",
    )
}

/// A page that only says what happened.
fn done(web: &Web, heading: &str, explain: String) -> Result<Response, WebError> {
    link_page(web, StatusCode::OK, heading, explain, "", "", "")
}

const SPENT: &str = "This link is used, out of date, or replaced by a newer one. Choose your newsletters in your account to get a fresh link.";

async fn confirm_page(
    State(web): State<Web>,
    Query(q): Query<TokenQuery>,
) -> Result<Response, WebError> {
    let token = q.t.unwrap_or_default();
    match newsletters::link_target(&web.app, &token).await? {
        LinkTarget::Confirm(name) => link_page(
            &web,
            StatusCode::OK,
            "Confirm your subscription",
            format!("Press the button to start receiving {name} by email."),
            "/newsletters/confirm",
            "Yes, send it to me",
            &token,
        ),
        _ => refused(&web, SPENT.into()),
    }
}

/// The token of a posted link: the form's `t`, else the address's (RFC
/// 8058 posts `List-Unsubscribe=One-Click` to the address as it is).
fn posted_token(query: Option<&str>, body: &[u8]) -> String {
    let from = |s: &[u8]| {
        url::form_urlencoded::parse(s)
            .find(|(k, _)| k == "t")
            .map(|(_, v)| v.into_owned())
    };
    from(body)
        .or_else(|| query.and_then(|q| from(q.as_bytes())))
        .unwrap_or_default()
}

async fn confirm(
    State(web): State<Web>,
    RawQuery(query): RawQuery,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let token = posted_token(query.as_deref(), &body);
    match newsletters::confirm(&web.app, &token).await {
        Ok(name) => done(
            &web,
            "You are subscribed",
            format!(
                "{name} will come to your inbox. We sent a welcome message; every issue has a link to unsubscribe."
            ),
        ),
        Err(AppError::Invalid(_)) => refused(&web, SPENT.into()),
        Err(e) => Err(e.into()),
    }
}

async fn unsubscribe_page(
    State(web): State<Web>,
    Query(q): Query<TokenQuery>,
) -> Result<Response, WebError> {
    let token = q.t.unwrap_or_default();
    match newsletters::link_target(&web.app, &token).await? {
        LinkTarget::Unsubscribe(name, true) => link_page(
            &web,
            StatusCode::OK,
            "Unsubscribe",
            format!("Press the button and we send you no more of {name}."),
            "/newsletters/unsubscribe",
            "Unsubscribe",
            &token,
        ),
        LinkTarget::Unsubscribe(name, false) => done(
            &web,
            "You are unsubscribed",
            format!("You are not on {name}: we send you no more of it."),
        ),
        _ => refused(&web, "This unsubscribe link is not one of ours or was cut short: open the whole link from the email, or choose your newsletters in your account.".into()),
    }
}

async fn unsubscribe(
    State(web): State<Web>,
    RawQuery(query): RawQuery,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let token = posted_token(query.as_deref(), &body);
    let one_click = body.as_ref() == broadsheet_domain::newsletters::ONE_CLICK_BODY.as_bytes();
    let via = if one_click {
        "one-click (mail client)"
    } else {
        "unsubscribe link"
    };
    match newsletters::unsubscribe(&web.app, &token, via).await {
        Ok(name) => done(
            &web,
            "You are unsubscribed",
            format!("We send you no more of {name}. You can choose it again in your account."),
        ),
        Err(AppError::Invalid(msg)) => refused(&web, msg),
        Err(e) => Err(e.into()),
    }
}

// ----- aggregate counters --------------------------------------------------------

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

async fn open_pixel(
    State(web): State<Web>,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    let Some(issue) = file
        .strip_suffix(".gif")
        .and_then(|n| n.parse::<i64>().ok())
    else {
        return Err(WebError::NotFound);
    };
    newsletters::opened(&web.app, issue).await?;
    let mut r = PIXEL.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/gif"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

async fn click(
    State(web): State<Web>,
    Path((issue, story)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (Ok(issue), Ok(story)) = (issue.parse::<i64>(), story.parse::<i64>()) else {
        return Err(WebError::NotFound);
    };
    let to = newsletters::clicked(&web.app, issue, story).await?;
    let mut r = Redirect::to(&to).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
