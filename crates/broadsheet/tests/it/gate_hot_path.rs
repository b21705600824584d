//! The gate's hot path (issue 10's throughput goal; issue 9's regression,
//! where every cookieless request for a metered story wrote to the
//! database): what a paid story page costs in database round trips once
//! this node knows the answer (`Store::round_trips` counts connections
//! taken from the pool), that what a node remembers never outlives a write
//! (a cancellation on this node at once; on another node once it applies
//! the change events), and that the fast path answers a gated page exactly
//! as the router does.

use axum::body::Body;
use axum::http::StatusCode;
use broadsheet_app::meter::PaywallConfig;
use broadsheet_app::{App, PaperConfig, newsroom, readers};
use broadsheet_domain::{Access, EntitlementSource, Story};
use broadsheet_store::StoryEdit;
use broadsheet_web::{Web, WebOptions};

use crate::support::{Paper, Reply, TestResult, send_to};

const SECRET: &str = "zqxhotpaidword";

fn config() -> PaperConfig {
    PaperConfig {
        paywall: PaywallConfig {
            meter_free: 2,
            meter_registered: 3,
            new_meters_per_address_per_day: 2,
            ..PaywallConfig::default()
        },
        ..PaperConfig::default()
    }
}

pub(crate) async fn publish(
    p: &Paper,
    headline: &str,
    access: Access,
) -> Result<Story, Box<dyn std::error::Error>> {
    let editor = crate::support::staff_of_role(p, "editor").await?;
    let any = p.story_where(|_| true).await?;
    let e = StoryEdit {
        section_id: any.section_id,
        headline: headline.into(),
        standfirst: "A standfirst that is free.".into(),
        body: format!(
            "Free opening paragraph.\n\nFree second paragraph.\n\nPaid third, {SECRET}.\n\nPaid fourth."
        ),
        byline_text: None,
        access,
        breaking: false,
        seo_title: String::new(),
        seo_description: String::new(),
        tags: Vec::new(),
        authors: Vec::new(),
        lead_picture_id: None,
    };
    let id = newsroom::create(&p.app, &editor.actor(), &e).await?;
    newsroom::publish(&p.app, &editor.actor(), id, 1, None).await?;
    Ok(p.app.store().story(id).await?.ok_or("story vanished")?)
}

pub(crate) fn is_full(r: &Reply) -> bool {
    r.status == StatusCode::OK && r.body.contains(SECRET) && !r.body.contains("class=\"paywall\"")
}

pub(crate) fn is_cut(r: &Reply) -> bool {
    r.status == StatusCode::OK && !r.body.contains(SECRET) && r.body.contains("class=\"paywall\"")
}

fn meter_cookie(r: &Reply) -> Option<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("bsm="))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
}

/// `n` requests for `path` through the fast path (the served router) and
/// `n` through the general path alone: (replies, round trips they cost).
async fn requests(
    p: &Paper,
    path: &str,
    headers: &[(&str, &str)],
    n: usize,
) -> Result<(Vec<Reply>, u64), Box<dyn std::error::Error>> {
    let routes = p.web.routes();
    let before = p.app.store().round_trips();
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(send_to(&p.router, "GET", path, Body::empty(), headers).await?);
        out.push(send_to(&routes, "GET", path, Body::empty(), headers).await?);
    }
    Ok((out, p.app.store().round_trips() - before))
}

#[tokio::test]
async fn cookieless_requests_over_the_address_limit_cost_no_round_trip() -> TestResult {
    let p = Paper::demo_with(5, config()).await?;
    let m = publish(&p, "Metered for the crowd", Access::Metered).await?;
    let path = p.path_of(&m);
    // Two fresh devices from this address today: each gets a cookie and the story.
    for i in 0..2 {
        let r = p.get(&path).await?;
        assert!(is_full(&r), "device {i}: {}", r.body);
        assert!(meter_cookie(&r).is_some(), "device {i}: no meter cookie");
    }
    // The third is over the limit: the cut, no cookie (this also renders it).
    let r = p.get(&path).await?;
    assert!(is_cut(&r) && meter_cookie(&r).is_none(), "over the limit");
    // From now on: no database work at all (before, a write per request).
    let (replies, trips) = requests(&p, &path, &[], 20).await?;
    for r in &replies {
        assert!(is_cut(r), "over the limit: {}", r.status);
        assert!(meter_cookie(r).is_none(), "a cookie over the limit");
        assert!(r.header("cache-control").starts_with("private"));
    }
    assert_eq!(
        trips, 0,
        "cookieless requests over the limit took round trips"
    );
    Ok(())
}

#[tokio::test]
async fn a_meter_known_open_or_spent_costs_no_round_trip() -> TestResult {
    let p = Paper::demo_with(5, config()).await?;
    let mut paths = Vec::new();
    for i in 0..3 {
        paths.push(p.path_of(&publish(&p, &format!("Metered {i}"), Access::Metered).await?));
    }
    let r = p.get(&paths[0]).await?;
    let cookie = meter_cookie(&r).ok_or("no meter cookie")?;
    let with = [("cookie", cookie.as_str())];
    assert!(is_full(&p.request(&paths[1], &with).await?), "second story");
    // The meter (2) is spent: the third is cut, once decided in the database.
    assert!(is_cut(&p.request(&paths[2], &with).await?), "third story");
    let (replies, trips) = requests(&p, &paths[0], &with, 5).await?;
    assert!(replies.iter().all(is_full), "an opened story stays open");
    let (replies2, trips2) = requests(&p, &paths[2], &with, 5).await?;
    assert!(replies2.iter().all(is_cut), "a spent meter stays spent");
    assert_eq!(
        (trips, trips2),
        (0, 0),
        "re-reading an opened story, or any story on a spent meter, took round trips"
    );
    Ok(())
}

/// Reader `id` subscribes from now on; returns the entitlement.
async fn subscribe(app: &App, id: i64) -> Result<i64, Box<dyn std::error::Error>> {
    let mut tx = app.store().begin().await?;
    let e = tx
        .grant_entitlement(
            id,
            EntitlementSource::Subscription,
            "sub_hot",
            broadsheet_app::now() - 60,
            None,
        )
        .await?;
    tx.commit().await?;
    Ok(e)
}

async fn cancel(app: &App, entitlement: i64) -> TestResult {
    let mut tx = app.store().begin().await?;
    assert!(
        tx.end_entitlement(entitlement, broadsheet_app::now() - 1)
            .await?
    );
    tx.commit().await?;
    Ok(())
}

#[tokio::test]
async fn a_known_subscriber_costs_no_round_trip_and_a_cancellation_shows_on_every_node()
-> TestResult {
    let p = Paper::demo_with(5, config()).await?;
    let s = publish(&p, "Members only", Access::Subscribers).await?;
    let path = p.path_of(&s);
    let a = readers::register(
        &p.app,
        "hot@example.org",
        "a long enough password",
        "Reader",
    )
    .await?;
    let session = readers::start_session(&p.app, a.id).await?;
    let cookie = format!("bs_reader={}", session.token);
    let with = [("cookie", cookie.as_str())];
    let ent = subscribe(&p.app, a.id).await?;
    assert!(is_full(&p.request(&path, &with).await?), "subscriber");
    let (replies, trips) = requests(&p, &path, &with, 10).await?;
    assert!(replies.iter().all(is_full), "subscriber again");
    assert_eq!(trips, 0, "a known subscriber's requests took round trips");

    // A second node on the same database, which has read the session too.
    let store_b = crate::support::store(&p.url).await?;
    let app_b = App::new(store_b, config()).await?;
    let web_b = Web::new(
        app_b.clone(),
        WebOptions {
            cache_bytes: 0,
            metrics: None,
            metrics_token: None,
            esi: false,
            sse_max_connections: 0,
        },
    );
    let router_b = web_b.router();
    assert!(
        is_full(&get_on(&router_b, &path, &with).await?),
        "subscriber on node B"
    );
    assert!(
        is_full(&get_on(&router_b, &path, &with).await?),
        "subscriber on node B, remembered"
    );

    // Cancelled (on node A): A shows it on the very next request...
    cancel(&p.app, ent).await?;
    assert!(is_cut(&p.request(&path, &with).await?), "lapsed on node A");
    // ...and B once it has applied the change events (its poll, every 500 ms).
    app_b.apply_changes().await?;
    assert!(
        is_cut(&get_on(&router_b, &path, &with).await?),
        "lapsed on node B"
    );
    assert!(
        is_cut(&get_on(&web_b.routes(), &path, &with).await?),
        "lapsed on node B, general path"
    );

    // Subscribing again, and signing out everywhere, likewise.
    subscribe(&p.app, a.id).await?;
    assert!(
        is_full(&p.request(&path, &with).await?),
        "subscribed again on A"
    );
    app_b.apply_changes().await?;
    assert!(
        is_full(&get_on(&router_b, &path, &with).await?),
        "subscribed again on B"
    );
    readers::end_all_sessions(&p.app, &broadsheet_domain::Actor::Operator, a.id).await?;
    app_b.apply_changes().await?;
    for (who, r) in [
        ("A", p.request(&path, &with).await?),
        ("B", get_on(&router_b, &path, &with).await?),
    ] {
        assert!(is_cut(&r), "signed out everywhere, node {who}");
        assert!(
            r.body.contains("Sign in"),
            "node {who}: not shown as signed out"
        );
    }
    Ok(())
}

pub(crate) async fn get_on(
    r: &axum::Router,
    path: &str,
    with: &[(&str, &str)],
) -> Result<Reply, Box<dyn std::error::Error>> {
    send_to(r, "GET", path, Body::empty(), with).await
}

/// Headers to compare between the two paths (the request id differs).
fn comparable(h: &axum::http::HeaderMap) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = h
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "x-request-id" | "content-length"))
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_string()))
        .collect();
    v.sort();
    v
}

/// (path, Cookie header or "", the variant the reader must get)
type Case<'a> = (&'a str, &'a str, fn(&Reply) -> bool);

#[tokio::test]
async fn the_fast_path_answers_a_gated_page_as_the_router_does() -> TestResult {
    let p = Paper::demo_with(5, config()).await?;
    let subs = p.path_of(&publish(&p, "Members", Access::Subscribers).await?);
    let m1 = p.path_of(&publish(&p, "Metered one", Access::Metered).await?);
    let m2 = p.path_of(&publish(&p, "Metered two", Access::Metered).await?);
    let m3 = p.path_of(&publish(&p, "Metered three", Access::Metered).await?);
    let a = readers::register(
        &p.app,
        "fast@example.org",
        "a long enough password",
        "Reader",
    )
    .await?;
    let session = readers::start_session(&p.app, a.id).await?;
    let subscriber = format!("bs_reader={}", session.token);
    subscribe(&p.app, a.id).await?;
    let device = meter_cookie(&p.get(&m1).await?).ok_or("no meter cookie")?;
    p.request(&m2, &[("cookie", device.as_str())]).await?;
    // Use up the address's new devices: cookieless readers now get the cut.
    p.get(&m1).await?;
    let cases: [Case; 5] = [
        (subs.as_str(), subscriber.as_str(), is_full),
        (subs.as_str(), "", is_cut),
        (m1.as_str(), device.as_str(), is_full),
        (m3.as_str(), device.as_str(), is_cut),
        (m3.as_str(), "", is_cut),
    ];
    let routes = p.web.routes();
    for (path, cookie, want) in cases {
        // Once through the general path: the decision is then remembered.
        let mut base = vec![];
        if !cookie.is_empty() {
            base.push(("cookie", cookie));
        }
        send_to(&routes, "GET", path, Body::empty(), &base).await?;
        let first = send_to(&routes, "GET", path, Body::empty(), &base).await?;
        let etag = first.header("etag").to_string();
        for extra in [
            vec![],
            vec![("accept-encoding", "gzip, deflate, br")],
            vec![("accept-encoding", "gzip")],
            vec![("if-none-match", etag.as_str())],
            vec![("if-none-match", "\"other\"")],
        ] {
            let mut headers = base.clone();
            headers.extend(extra.iter().copied());
            let what = format!("{path} {headers:?}");
            let before = p.app.store().round_trips();
            let got = send_to(&p.router, "GET", path, Body::empty(), &headers).await?;
            assert_eq!(p.app.store().round_trips(), before, "{what}: round trips");
            let want_r = send_to(&routes, "GET", path, Body::empty(), &headers).await?;
            assert_eq!(got.status, want_r.status, "{what}");
            assert_eq!(got.body, want_r.body, "{what}");
            assert_eq!(
                comparable(&got.headers),
                comparable(&want_r.headers),
                "{what}"
            );
            assert!(got.header("cache-control").starts_with("private"), "{what}");
            assert!(got.header("surrogate-key").is_empty(), "{what}");
            if extra.is_empty() {
                assert!(want(&got), "{what}: the wrong variant");
            }
            let head = send_to(&p.router, "HEAD", path, Body::empty(), &headers).await?;
            assert_eq!(head.status, got.status, "HEAD {what}");
            assert!(head.body.is_empty(), "HEAD {what}");
        }
    }
    Ok(())
}
