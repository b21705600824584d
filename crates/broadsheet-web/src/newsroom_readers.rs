//! The newsroom's reader pages, for admins: `/newsroom/readers` (search by
//! email or name), `/newsroom/readers/{id}` (a reader's entitlements,
//! subscriptions and payment events, refunds and failed renewals noted;
//! grant and revoke with a note), `/newsroom/plans` (the plans readers can
//! buy) and `/newsroom/organisations` (group access by seat or verified
//! domain). Every permission is decided by `broadsheet_app::subscriptions`
//! (`ManageReaders`, `ManagePlans`); the menu follows `StaffCaps`.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use broadsheet_app::AppError;
use broadsheet_app::newsroom::Staff;
use broadsheet_app::subscriptions::{
    self, OrganisationRow, PaymentEventRow, PlanForm, ReaderFile, ReaderListing, SeatRow,
};

use crate::Web;
use crate::error::WebError;
use crate::extract::{SignedIn, StaffForm};
use crate::newsroom::{Frame, fixable, render};

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/newsroom/readers", get(readers))
        .route("/newsroom/readers/{id}", get(reader).post(change_reader))
        .route("/newsroom/plans", get(plans).post(change_plans))
        .route(
            "/newsroom/organisations",
            get(organisations).post(change_organisations),
        )
}

fn when(web: &Web, t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|ts| {
            ts.to_zoned_datetime(web.app.config().time_zone.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

// ----- readers ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "nr_readers.html")]
struct ReadersPage {
    frame: Frame,
    q: String,
    found: Vec<ReaderListing>,
}

async fn readers(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let q = q.get("q").cloned().unwrap_or_default();
    let found = subscriptions::search_readers(&web.app, &staff, &q).await?;
    render(
        &ReadersPage {
            frame: Frame::new(&web, &staff, "Readers"),
            q,
            found,
        },
        StatusCode::OK,
    )
}

pub struct EntitlementLine {
    pub id: i64,
    pub source: String,
    pub reference: String,
    pub starts: String,
    pub ends: String,
    pub current: bool,
}

pub struct EventLine {
    pub at: String,
    pub kind: String,
    pub outcome: String,
    pub detail: String,
    pub refund: bool,
}

#[derive(Template)]
#[template(path = "nr_reader.html")]
struct ReaderPage {
    frame: Frame,
    file: ReaderFile,
    entitlements: Vec<EntitlementLine>,
    events: Vec<EventLine>,
    subs: Vec<(String, String, String, String)>,
}

async fn reader_page(
    web: &Web,
    staff: &Staff,
    id: i64,
    frame: Frame,
    status: StatusCode,
) -> Result<Response, WebError> {
    let file = subscriptions::reader_file(&web.app, staff, id).await?;
    let t = broadsheet_app::now();
    let entitlements = file
        .entitlements
        .iter()
        .map(|e| EntitlementLine {
            id: e.id,
            source: e.source.clone(),
            reference: e.reference.clone(),
            starts: when(web, e.starts_at),
            ends: e
                .ends_at
                .map(|x| when(web, x))
                .unwrap_or_else(|| "no end".into()),
            current: broadsheet_domain::readers::entitlement_holds(e.starts_at, e.ends_at, t),
        })
        .collect();
    let events = file
        .events
        .iter()
        .map(|e: &PaymentEventRow| EventLine {
            at: when(web, e.received_at),
            kind: e.event_type.clone(),
            outcome: e.outcome.clone(),
            detail: e.detail.clone(),
            refund: e.event_type == "charge.refunded",
        })
        .collect();
    let subs = file
        .subscriptions
        .iter()
        .map(|s| {
            (
                s.provider_subscription_id.clone(),
                s.status.clone(),
                s.current_period_end
                    .map(|x| when(web, x))
                    .unwrap_or_default(),
                if s.cancel_at_period_end != 0 {
                    "cancels at period end".to_string()
                } else {
                    String::new()
                },
            )
        })
        .collect();
    render(
        &ReaderPage {
            frame,
            file,
            entitlements,
            events,
            subs,
        },
        status,
    )
}

async fn reader(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let notice = match q.get("m").map(String::as_str) {
        Some("granted") => "Entitlement granted.",
        Some("revoked") => "Entitlement ended.",
        _ => "",
    };
    let frame = Frame::new(&web, &staff, "Reader").notice(notice);
    reader_page(&web, &staff, id, frame, StatusCode::OK).await
}

async fn change_reader(
    State(web): State<Web>,
    Path(id): Path<i64>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let r = match form.raw("do") {
        "grant" => subscriptions::grant(&web.app, &staff, id, &form.get("days"), &form.get("note"))
            .await
            .map(|_| "granted"),
        "revoke" => {
            let e = form.get("entitlement").parse().unwrap_or(0);
            subscriptions::revoke(&web.app, &staff, id, e, &form.get("note"))
                .await
                .map(|()| "revoked")
        }
        _ => Err(AppError::Invalid(
            "Unknown change: use the page's buttons.".into(),
        )),
    };
    match r {
        Ok(m) => Ok(Redirect::to(&format!("/newsroom/readers/{id}?m={m}")).into_response()),
        Err(e) => {
            let frame = Frame::new(&web, &staff, "Reader").problem(&fixable(e)?);
            reader_page(&web, &staff, id, frame, StatusCode::BAD_REQUEST).await
        }
    }
}

// ----- plans --------------------------------------------------------------------

pub struct PlanLine {
    pub id: i64,
    pub name: String,
    pub price: String,
    pub interval: String,
    pub trial_days: i64,
    pub price_id: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "nr_plans.html")]
struct PlansPage {
    frame: Frame,
    plans: Vec<PlanLine>,
    form: PlanForm,
}

async fn plans_page(
    web: &Web,
    staff: &Staff,
    frame: Frame,
    form: PlanForm,
    status: StatusCode,
) -> Result<Response, WebError> {
    let plans = subscriptions::all_plans(&web.app, staff)
        .await?
        .into_iter()
        .map(|p| PlanLine {
            id: p.id,
            price: subscriptions::money(p.price_minor, &p.currency),
            name: p.name,
            interval: p.billing_interval,
            trial_days: p.trial_days,
            price_id: p.provider_price_id,
            active: p.active != 0,
        })
        .collect();
    render(&PlansPage { frame, plans, form }, status)
}

async fn plans(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
) -> Result<Response, WebError> {
    let frame = Frame::new(&web, &staff, "Plans");
    plans_page(
        &web,
        &staff,
        frame,
        PlanForm {
            interval: "month".into(),
            currency: "gbp".into(),
            ..PlanForm::default()
        },
        StatusCode::OK,
    )
    .await
}

async fn change_plans(
    State(web): State<Web>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let f = PlanForm {
        name: form.get("name"),
        interval: form.get("interval"),
        price: form.get("price"),
        currency: form.get("currency"),
        trial_days: form.get("trial_days"),
        provider_price_id: form.get("price_id"),
    };
    let id = form.get("plan").parse().unwrap_or(0);
    let r = match form.raw("do") {
        "add" => subscriptions::create_plan(&web.app, &staff, &f)
            .await
            .map(|_| ()),
        "on" => subscriptions::set_plan_active(&web.app, &staff, id, true).await,
        "off" => subscriptions::set_plan_active(&web.app, &staff, id, false).await,
        _ => Err(AppError::Invalid(
            "Unknown change: use the page's buttons.".into(),
        )),
    };
    match r {
        Ok(()) => Ok(Redirect::to("/newsroom/plans").into_response()),
        Err(e) => {
            let frame = Frame::new(&web, &staff, "Plans").problem(&fixable(e)?);
            plans_page(&web, &staff, frame, f, StatusCode::BAD_REQUEST).await
        }
    }
}

// ----- organisations ------------------------------------------------------------

#[derive(Template)]
#[template(path = "nr_organisations.html")]
struct OrganisationsPage {
    frame: Frame,
    orgs: Vec<(OrganisationRow, Vec<SeatRow>)>,
}

async fn organisations_page(
    web: &Web,
    staff: &Staff,
    frame: Frame,
    status: StatusCode,
) -> Result<Response, WebError> {
    let mut orgs = Vec::new();
    for o in subscriptions::organisations(&web.app, staff).await? {
        let seats = subscriptions::seats(&web.app, staff, o.id).await?;
        orgs.push((o, seats));
    }
    render(&OrganisationsPage { frame, orgs }, status)
}

async fn organisations(
    State(web): State<Web>,
    SignedIn { staff, .. }: SignedIn,
) -> Result<Response, WebError> {
    let frame = Frame::new(&web, &staff, "Organisations");
    organisations_page(&web, &staff, frame, StatusCode::OK).await
}

async fn change_organisations(
    State(web): State<Web>,
    StaffForm { staff, form, .. }: StaffForm,
) -> Result<Response, WebError> {
    let org = form.get("organisation").parse().unwrap_or(0);
    let r = match form.raw("do") {
        "add" => subscriptions::create_organisation(
            &web.app,
            &staff,
            &form.get("name"),
            &form.get("seats"),
            &form.get("domains"),
        )
        .await
        .map(|_| ()),
        "seat-add" => subscriptions::add_seat(&web.app, &staff, org, &form.get("email")).await,
        "seat-remove" => {
            let reader = form.get("reader").parse().unwrap_or(0);
            subscriptions::remove_seat(&web.app, &staff, org, reader).await
        }
        _ => Err(AppError::Invalid(
            "Unknown change: use the page's buttons.".into(),
        )),
    };
    match r {
        Ok(()) => Ok(Redirect::to("/newsroom/organisations").into_response()),
        Err(e) => {
            let frame = Frame::new(&web, &staff, "Organisations").problem(&fixable(e)?);
            organisations_page(&web, &staff, frame, StatusCode::BAD_REQUEST).await
        }
    }
}
