//! Buying and keeping a subscription, on the reader's side: `/subscribe`
//! (the plans on sale: the same page for everyone, so shared caches may
//! keep it a minute), `/subscribe/{plan}` (signed in: a confirm form that
//! starts the provider's hosted checkout; signed out: off to `/account` to
//! sign in, with `next` pointing back here), and `/account/subscription`
//! (plan, renewal date, invoices, the customer portal, cancel with the
//! one-time retention offer, the grace-period notice after a failed
//! renewal), which the account page links to. Handlers are extractors plus
//! one call into `broadsheet_app::subscriptions`, then a template.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use broadsheet_app::subscriptions::{self, Billing, CancelStep};
use broadsheet_app::{AppError, ReaderAccount};

use crate::Web;
use crate::error::WebError;
use crate::extract::{ReaderForm, ReaderSession, reader_token};
use crate::readers::chrome;
use crate::view::Chrome;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/subscribe", get(plans))
        .route("/subscribe/{plan}", get(confirm).post(checkout))
        .route("/account/subscription", get(account))
        .route("/account/subscription/cancel", post(cancel))
        .route("/account/subscription/portal", post(portal))
}

fn respond(status: StatusCode, body: String, cache: &'static str) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

const PRIVATE: &str = "private, no-store";

/// The paper's address for links the provider sends readers back to.
fn site(web: &Web, headers: &HeaderMap) -> String {
    if let Some(b) = web.app.config().base_url.as_deref() {
        return b.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

pub struct PlanView {
    pub id: i64,
    pub name: String,
    pub price: String,
    pub interval: String,
    pub trial_days: i64,
}

fn plan_view(p: &subscriptions::PlanRow) -> PlanView {
    PlanView {
        id: p.id,
        name: p.name.clone(),
        price: subscriptions::money(p.price_minor, &p.currency),
        interval: p.billing_interval.clone(),
        trial_days: p.trial_days,
    }
}

#[derive(Template)]
#[template(path = "subscribe.html")]
struct PlansPage {
    chrome: Chrome,
    plans: Vec<PlanView>,
}

async fn plans(State(web): State<Web>) -> Result<Response, WebError> {
    let plans = subscriptions::plans_on_sale(&web.app).await?;
    let page = PlansPage {
        chrome: chrome(&web, "Subscribe", "/subscribe"),
        plans: plans.iter().map(plan_view).collect(),
    };
    // The same for every reader (no cookie is read): shared caches may keep it.
    Ok(respond(
        StatusCode::OK,
        page.render()?,
        "public, max-age=60",
    ))
}

#[derive(Template)]
#[template(path = "subscribe_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    plan: PlanView,
    reader: ReaderAccount,
    csrf: String,
    problem: String,
}

async fn plan_on_sale(web: &Web, id: i64) -> Result<PlanView, WebError> {
    subscriptions::plans_on_sale(&web.app)
        .await?
        .iter()
        .find(|p| p.id == id)
        .map(plan_view)
        .ok_or(WebError::NotFound)
}

async fn confirm(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(plan): Path<i64>,
    ReaderSession(reader): ReaderSession,
) -> Result<Response, WebError> {
    let plan = plan_on_sale(&web, plan).await?;
    let Some(reader) = reader else {
        let mut r = Redirect::to(&format!("/account?next=/subscribe/{}", plan.id)).into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(PRIVATE));
        return Ok(r);
    };
    let csrf = reader_token(&headers)
        .map(broadsheet_app::readers::csrf_for)
        .unwrap_or_default();
    let page = ConfirmPage {
        chrome: chrome(&web, "Subscribe", "/subscribe"),
        plan,
        reader,
        csrf,
        problem: String::new(),
    };
    Ok(respond(StatusCode::OK, page.render()?, PRIVATE))
}

async fn checkout(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(plan): Path<i64>,
    ReaderForm { reader, token, .. }: ReaderForm,
) -> Result<Response, WebError> {
    match subscriptions::start_checkout(&web.app, &reader, plan, &site(&web, &headers)).await {
        Ok(url) => {
            let mut r = Redirect::to(&url).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(PRIVATE));
            Ok(r)
        }
        Err(AppError::Invalid(m)) => {
            let page = ConfirmPage {
                chrome: chrome(&web, "Subscribe", "/subscribe"),
                plan: plan_on_sale(&web, plan).await?,
                reader,
                csrf: broadsheet_app::readers::csrf_for(&token),
                problem: m,
            };
            Ok(respond(StatusCode::BAD_REQUEST, page.render()?, PRIVATE))
        }
        Err(e) => Err(e.into()),
    }
}

pub struct InvoiceView {
    pub date: String,
    pub amount: String,
    pub status: String,
    pub url: Option<String>,
}

#[derive(Template)]
#[template(path = "account_subscription.html")]
struct AccountPage {
    chrome: Chrome,
    csrf: String,
    notice: String,
    offer: String,
    status: String,
    plan: String,
    has_subscription: bool,
    renews: String,
    ends: String,
    grace_until: String,
    can_cancel: bool,
    organisation: String,
    invoices: Vec<InvoiceView>,
    invoices_unavailable: bool,
}

fn date(web: &Web, t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|ts| {
            ts.to_zoned_datetime(web.app.config().time_zone.clone())
                .strftime("%-d %B %Y")
                .to_string()
        })
        .unwrap_or_default()
}

async fn account_page(
    web: &Web,
    reader: &ReaderAccount,
    token: &str,
    notice: &str,
    offer: &str,
) -> Result<Response, WebError> {
    let b: Billing = subscriptions::billing(&web.app, reader).await?;
    let sub = b.subscription.as_ref();
    let period_end = sub
        .and_then(|s| s.current_period_end)
        .map(|t| date(web, t))
        .unwrap_or_default();
    let cancelled = sub.is_some_and(|s| s.cancel_at_period_end != 0);
    let live = sub.is_some_and(|s| matches!(s.status.as_str(), "active" | "trialing" | "past_due"));
    let page = AccountPage {
        chrome: chrome(web, "Your subscription", "/account/subscription"),
        csrf: broadsheet_app::readers::csrf_for(token),
        notice: notice.to_string(),
        offer: offer.to_string(),
        status: sub.map(|s| s.status.replace('_', " ")).unwrap_or_default(),
        plan: b.plan_name.clone(),
        has_subscription: sub.is_some(),
        renews: if live && !cancelled {
            period_end.clone()
        } else {
            String::new()
        },
        ends: if live && cancelled {
            period_end
        } else {
            String::new()
        },
        grace_until: b.grace_until.map(|t| date(web, t)).unwrap_or_default(),
        can_cancel: b.can_cancel,
        organisation: b.organisation.clone().unwrap_or_default(),
        invoices: b
            .invoices
            .iter()
            .map(|i| InvoiceView {
                date: date(web, i.created),
                amount: subscriptions::money(i.amount_minor, &i.currency),
                status: i.status.clone(),
                url: i.url.clone().filter(|u| u.starts_with("https://")),
            })
            .collect(),
        invoices_unavailable: b.invoices_unavailable && sub.is_some(),
    };
    Ok(respond(StatusCode::OK, page.render()?, PRIVATE))
}

async fn account(
    State(web): State<Web>,
    headers: HeaderMap,
    ReaderSession(reader): ReaderSession,
) -> Result<Response, WebError> {
    let (Some(reader), Some(token)) = (reader, reader_token(&headers)) else {
        return Ok(Redirect::to("/account?next=/account/subscription").into_response());
    };
    account_page(&web, &reader, token, "", "").await
}

async fn cancel(
    State(web): State<Web>,
    ReaderForm {
        reader,
        token,
        form,
    }: ReaderForm,
) -> Result<Response, WebError> {
    if form.raw("do") == "keep" {
        subscriptions::keep(&web.app, &reader).await?;
        return account_page(
            &web,
            &reader,
            &token,
            "Thank you for staying with us: your subscription carries on.",
            "",
        )
        .await;
    }
    match subscriptions::cancel(&web.app, &reader, form.raw("do") == "confirm").await {
        Ok(CancelStep::Offer(offer)) => account_page(&web, &reader, &token, "", &offer).await,
        Ok(CancelStep::Cancelled { until }) => {
            let n = match until {
                Some(t) => format!(
                    "Your subscription is cancelled. You can read everything until {}.",
                    date(&web, t)
                ),
                None => "Your subscription is cancelled.".to_string(),
            };
            account_page(&web, &reader, &token, &n, "").await
        }
        Err(AppError::Invalid(m)) => account_page(&web, &reader, &token, &m, "").await,
        Err(e) => Err(e.into()),
    }
}

async fn portal(
    State(web): State<Web>,
    headers: HeaderMap,
    ReaderForm { reader, .. }: ReaderForm,
) -> Result<Response, WebError> {
    let url = subscriptions::portal(&web.app, &reader, &site(&web, &headers)).await?;
    Ok(Redirect::to(&url).into_response())
}
