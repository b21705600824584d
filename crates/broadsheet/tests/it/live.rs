//! Breaking news and live pages pushed over Server-Sent Events (issue 12
//! items 4 and 5), through the real router in-process: the streaming body
//! of `GET /events` read event by event while the newsroom's forms raise
//! the banner and post, edit, pin and remove updates; resuming with
//! `Last-Event-ID`; a second node on the same database pushing what the
//! first wrote; and no paid text ever shown or pushed.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use broadsheet_app::{App, PaperConfig};
use broadsheet_web::{Web, WebOptions};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::newsroom::{Desk, form_field, id_from_location, signed_in, story_fields};
use crate::support::{Paper, TestResult};

type R<T> = Result<T, Box<dyn std::error::Error>>;

/// One server-sent event as read off the stream.
#[derive(Debug, Clone, Default)]
struct Ev {
    event: String,
    id: Option<String>,
    data: String,
}

/// An open `GET /events` stream.
struct Stream {
    body: Body,
    buf: String,
}

async fn open(router: &Router, path: &str, headers: &[(&str, &str)]) -> R<Stream> {
    let mut req = Request::builder().method("GET").uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = router.clone().oneshot(req.body(Body::empty())?).await?;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let h = res.headers();
    let hv = |n: &str| {
        h.get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert!(hv("content-type").starts_with("text/event-stream"), "{h:?}");
    assert_eq!(hv("cache-control"), "no-store", "{h:?}");
    assert_eq!(hv("x-accel-buffering"), "no", "{h:?}");
    assert!(
        h.get("surrogate-key").is_none(),
        "an SSE answer names surrogate keys"
    );
    Ok(Stream {
        body: res.into_body(),
        buf: String::new(),
    })
}

impl Stream {
    /// The next event (comments skipped), or `None` if none came in `wait`.
    async fn next(&mut self, wait: Duration) -> R<Option<Ev>> {
        let until = Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf[..end].to_string();
                self.buf.drain(..end + 2);
                let mut ev = Ev::default();
                let mut data = Vec::new();
                for line in block.lines() {
                    if line.starts_with(':') {
                        continue;
                    }
                    let (k, v) = line.split_once(':').unwrap_or((line, ""));
                    let v = v.strip_prefix(' ').unwrap_or(v);
                    match k {
                        "event" => ev.event = v.to_string(),
                        "id" => ev.id = Some(v.to_string()),
                        "data" => data.push(v.to_string()),
                        _ => {}
                    }
                }
                if ev.event.is_empty() && data.is_empty() {
                    continue;
                }
                ev.data = data.join("\n");
                return Ok(Some(ev));
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            match tokio::time::timeout(left, self.body.frame()).await {
                Err(_) => return Ok(None),
                Ok(None) => return Err("the stream ended".into()),
                Ok(Some(f)) => {
                    if let Ok(d) = f?.into_data() {
                        self.buf.push_str(&String::from_utf8_lossy(&d));
                    }
                }
            }
        }
    }

    /// The next event named `name` within `wait` (others skipped).
    async fn next_named(&mut self, name: &str, wait: Duration) -> R<Ev> {
        let until = Instant::now() + wait;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.next(left).await? {
                Some(e) if e.event == name => return Ok(e),
                Some(_) => continue,
                None => return Err(format!("no {name} event within {wait:?}").into()),
            }
        }
    }
}

/// A published story made by the admin through the newsroom, with `access`.
async fn published(p: &Paper, admin: &mut Desk<'_>, headline: &str, access: &str) -> R<i64> {
    let csrf = admin.csrf().await?;
    let section = p
        .app
        .sections()
        .by_path("news")
        .map(|s| s.id.to_string())
        .ok_or("no news section")?;
    let mut f = story_fields(&csrf, headline, &section);
    for kv in f.iter_mut() {
        if kv.0 == "access" {
            kv.1 = access;
        }
    }
    let r = admin.post("/newsroom/stories", &f).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = id_from_location(&r);
    let page = admin.get(&format!("/newsroom/stories/{id}")).await?;
    let v = form_field(&page.body, "version");
    let r = admin
        .post(
            &format!("/newsroom/stories/{id}"),
            &[("csrf", &csrf), ("do", "publish"), ("version", &v)],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "publish: {}", r.body);
    Ok(id)
}

async fn live_form(
    d: &mut Desk<'_>,
    story: i64,
    fields: &[(&str, &str)],
) -> R<crate::support::Reply> {
    let csrf = d.csrf().await?;
    let mut f = vec![("csrf", csrf.as_str())];
    f.extend_from_slice(fields);
    d.post(&format!("/newsroom/stories/{story}/live"), &f).await
}

async fn story_page(p: &Paper, id: i64) -> R<String> {
    let s = p.app.store().story(id).await?.ok_or("no story")?;
    let r = p.get(&p.path_of(&s)).await?;
    assert_eq!(r.status, StatusCode::OK);
    Ok(r.body)
}

const SOON: Duration = Duration::from_secs(2);

#[tokio::test]
async fn a_breaking_flag_reaches_open_pages_and_ending_it_takes_it_down() -> TestResult {
    let p = Paper::demo(8).await?;
    let mut admin = signed_in(&p, "admin").await?;
    let id = published(&p, &mut admin, "Storm floods the high street", "free").await?;
    let mut sse = open(&p.router, "/events", &[]).await?;
    let mut ed = signed_in(&p, "editor").await?;
    // A reporter may not raise it (the permission table: CurateFront).
    let mut rep = signed_in(&p, "reporter").await?;
    let r = live_form(&mut rep, id, &[("do", "breaking-on")]).await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let t0 = Instant::now();
    let r = live_form(&mut ed, id, &[("do", "breaking-on")]).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let e = sse.next_named("breaking", SOON).await?;
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
    assert!(e.data.contains("Storm floods the high street"), "{e:?}");
    assert!(e.data.contains("class=\"breaking\""), "{e:?}");
    // Without JavaScript the banner is on the page as served.
    let home = p.get("/").await?;
    assert!(
        home.body.contains("Storm floods the high street")
            && home.body.contains("class=\"breaking\""),
        "no banner on the home page"
    );
    assert!(
        home.body.contains("/static/live."),
        "the live script is not linked"
    );
    // The editor ends it: an empty banner is pushed.
    let r = live_form(&mut ed, id, &[("do", "breaking-off")]).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let e = sse.next_named("breaking", SOON).await?;
    assert_eq!(e.data, "", "{e:?}");
    assert!(!p.get("/").await?.body.contains("class=\"breaking\""));
    // Audited, both ways.
    let audit = p.app.store().audit_of(id).await?;
    let n = audit.iter().filter(|a| a.action == "breaking").count();
    assert_eq!(n, 2, "{audit:?}");
    Ok(())
}

#[tokio::test]
async fn live_updates_are_posted_edited_pinned_and_removed_and_pushed() -> TestResult {
    let p = Paper::demo(8).await?;
    let mut admin = signed_in(&p, "admin").await?;
    let id = published(&p, &mut admin, "Election night", "free").await?;
    let mut ed = signed_in(&p, "editor").await?;
    let mut rep = signed_in(&p, "reporter").await?;
    // Not live yet: a post is refused with words.
    let r = live_form(&mut rep, id, &[("do", "post"), ("body", "Too early")]).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("not live"), "{}", r.body);
    // A reporter may not mark it live; an editor may.
    let r = live_form(&mut rep, id, &[("do", "start")]).await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = live_form(&mut ed, id, &[("do", "start")]).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut sse = open(&p.router, &format!("/events?story={id}"), &[]).await?;
    // Posted by a reporter, Markdown through the body sanitiser.
    let t0 = Instant::now();
    let r = live_form(
        &mut rep,
        id,
        &[
            ("do", "post"),
            (
                "body",
                "Polls close: **turnout high** <script>alert(1)</script>",
            ),
        ],
    )
    .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let e = sse.next_named("update", SOON).await?;
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
    assert_eq!(e.id.as_deref(), Some("1"));
    let v: serde_json::Value = serde_json::from_str(&e.data)?;
    let first = v["id"].as_i64().ok_or("no id")?;
    let html = v["html"].as_str().unwrap_or_default();
    assert!(html.contains("<strong>turnout high</strong>"), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains(&format!("id=\"update-{first}\"")), "{html}");
    // Rendered on the server, with LiveBlogPosting markup.
    let page = story_page(&p, id).await?;
    assert!(
        page.contains(&format!("id=\"update-{first}\"")),
        "no update on the page"
    );
    assert!(page.contains("LiveBlogPosting") && page.contains("liveBlogUpdate"));
    assert!(page.contains("coverageStartTime") && !page.contains("coverageEndTime"));
    let r = live_form(
        &mut rep,
        id,
        &[("do", "post"), ("body", "First result: Northside")],
    )
    .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let e = sse.next_named("update", SOON).await?;
    assert_eq!(e.id.as_deref(), Some("2"));
    let second = serde_json::from_str::<serde_json::Value>(&e.data)?["id"]
        .as_i64()
        .ok_or("no id")?;
    // Newest first.
    let page = story_page(&p, id).await?;
    let (a, b) = (
        page.find(&format!("id=\"update-{second}\""))
            .ok_or("second missing")?,
        page.find(&format!("id=\"update-{first}\""))
            .ok_or("first missing")?,
    );
    assert!(a < b, "not newest first");
    // Edit, pin, remove: each pushed with the next id.
    let fid = first.to_string();
    let r = live_form(
        &mut ed,
        id,
        &[
            ("do", "edit"),
            ("update", &fid),
            ("body", "Polls closed at ten"),
        ],
    )
    .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let e = sse.next_named("update", SOON).await?;
    assert_eq!(e.id.as_deref(), Some("3"));
    assert!(e.data.contains("Polls closed at ten") && e.data.contains("edited"));
    let r = live_form(&mut ed, id, &[("do", "pin"), ("update", &fid)]).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let e = sse.next_named("update", SOON).await?;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&e.data)?["pinned"],
        true
    );
    let page = story_page(&p, id).await?;
    assert!(
        page.find(&format!("id=\"update-{first}\""))
            < page.find(&format!("id=\"update-{second}\"")),
        "the pinned update is not first"
    );
    // Its permalink leads to the page, at it.
    let r = p.get(&format!("/live/{id}/updates/{first}")).await?;
    assert!(r.status.is_redirection(), "{}", r.status);
    assert!(r.header("location").ends_with(&format!("#update-{first}")));
    let r = live_form(&mut ed, id, &[("do", "remove"), ("update", &fid)]).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let e = sse.next_named("update", SOON).await?;
    assert_eq!(e.id.as_deref(), Some("5"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&e.data)?["removed"],
        true
    );
    let page = story_page(&p, id).await?;
    assert!(
        !page.contains("Polls closed at ten"),
        "a removed update is shown"
    );
    assert_eq!(
        p.get(&format!("/live/{id}/updates/{first}")).await?.status,
        StatusCode::NOT_FOUND
    );
    // Ending keeps it a normal story with its updates.
    let r = live_form(&mut ed, id, &[("do", "end")]).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = story_page(&p, id).await?;
    assert!(page.contains("First result: Northside") && page.contains("coverageEndTime"));
    let r = live_form(&mut rep, id, &[("do", "post"), ("body", "After the end")]).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Every change audited.
    let audit = p.app.store().audit_of(id).await?;
    let n = audit
        .iter()
        .filter(|a| a.action.starts_with("live-"))
        .count();
    assert_eq!(n, 7, "{audit:?}");
    Ok(())
}

#[tokio::test]
async fn resuming_with_last_event_id_loses_no_update_also_on_a_second_node() -> TestResult {
    let p = Paper::demo(8).await?;
    let mut admin = signed_in(&p, "admin").await?;
    let id = published(&p, &mut admin, "Court case, day two", "free").await?;
    let mut ed = signed_in(&p, "editor").await?;
    live_form(&mut ed, id, &[("do", "start")]).await?;
    for i in 1..=3 {
        let b = format!("Update number {i}");
        let r = live_form(&mut ed, id, &[("do", "post"), ("body", &b)]).await?;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    // A reader who saw update 1 reconnects: 2 and 3 are replayed, in order.
    let path = format!("/events?story={id}");
    let mut s = open(&p.router, &path, &[("last-event-id", "1")]).await?;
    let a = s.next_named("update", SOON).await?;
    let b = s.next_named("update", SOON).await?;
    assert_eq!((a.id.as_deref(), b.id.as_deref()), (Some("2"), Some("3")));
    assert!(a.data.contains("Update number 2") && b.data.contains("Update number 3"));
    // Node B: its own app, poller and hub on the same database.
    let b_app = App::new(crate::support::store(&p.url).await?, PaperConfig::default()).await?;
    let b_web = Web::new(
        b_app.clone(),
        WebOptions {
            cache_bytes: 16 << 20,
            ..Default::default()
        },
    );
    let b_router = b_web.router();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let jobs = b_app.spawn_jobs(stop_rx);
    let mut on_b = open(&b_router, &format!("{path}&after=3"), &[]).await?;
    // Posted on node A, pushed by node B within a second (its 500 ms poll).
    let t0 = Instant::now();
    live_form(&mut ed, id, &[("do", "post"), ("body", "Verdict expected")]).await?;
    let e = on_b.next_named("update", Duration::from_secs(3)).await?;
    let took = t0.elapsed();
    assert_eq!(e.id.as_deref(), Some("4"));
    assert!(e.data.contains("Verdict expected"));
    assert!(
        took < Duration::from_millis(1500),
        "node B pushed after {took:?}"
    );
    // A reader of node B disconnected after 2 while A posted 5 and 6:
    // reconnecting to B replays 3 to 6.
    drop(on_b);
    live_form(&mut ed, id, &[("do", "post"), ("body", "Jury returns")]).await?;
    live_form(
        &mut ed,
        id,
        &[("do", "post"), ("body", "Guilty on one count")],
    )
    .await?;
    let mut again = open(&b_router, &path, &[("last-event-id", "2")]).await?;
    let mut ids = Vec::new();
    while ids.len() < 4 {
        let e = again.next_named("update", Duration::from_secs(3)).await?;
        ids.push(e.id.unwrap_or_default());
    }
    assert_eq!(ids, ["3", "4", "5", "6"]);
    let _ = stop.send(true);
    for j in jobs {
        let _ = j.await;
    }
    Ok(())
}

#[tokio::test]
async fn no_paid_text_is_shown_or_pushed_from_a_live_page() -> TestResult {
    let p = Paper::demo(8).await?;
    let mut admin = signed_in(&p, "admin").await?;
    let mut ed = signed_in(&p, "editor").await?;
    // A paid story cannot be marked live, and says why.
    let paid = published(&p, &mut admin, "Members' briefing", "subscribers").await?;
    let r = live_form(&mut ed, paid, &[("do", "start")]).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("free to read"), "{}", r.body);
    // A live story whose access is later made paid shows and pushes nothing.
    let id = published(&p, &mut admin, "Match day", "free").await?;
    live_form(&mut ed, id, &[("do", "start")]).await?;
    live_form(
        &mut ed,
        id,
        &[("do", "post"), ("body", "SECRET-LIVE-TEXT kick-off")],
    )
    .await?;
    let csrf = admin.csrf().await?;
    let section = p
        .app
        .sections()
        .by_path("news")
        .map(|s| s.id.to_string())
        .ok_or("no news section")?;
    let page = admin.get(&format!("/newsroom/stories/{id}")).await?;
    let v = form_field(&page.body, "version");
    let mut f = story_fields(&csrf, "Match day", &section);
    for kv in f.iter_mut() {
        if kv.0 == "access" {
            kv.1 = "subscribers";
        }
    }
    f.extend([("do", "save"), ("version", v.as_str())]);
    let r = admin.post(&format!("/newsroom/stories/{id}"), &f).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!story_page(&p, id).await?.contains("SECRET-LIVE-TEXT"));
    let mut s = open(&p.router, &format!("/events?story={id}&after=0"), &[]).await?;
    let got = s.next(Duration::from_millis(700)).await?;
    assert!(
        got.as_ref()
            .is_none_or(|e| !e.data.contains("SECRET-LIVE-TEXT")),
        "{got:?}"
    );
    let r = p.get(&format!("/live/{id}/updates")).await?;
    assert!(!r.body.contains("SECRET-LIVE-TEXT"));
    let r = live_form(&mut ed, id, &[("do", "post"), ("body", "more")]).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn connections_beyond_the_limit_are_refused_with_503() -> TestResult {
    let p = Paper::demo(3).await?;
    let web = Web::new(
        p.app.clone(),
        WebOptions {
            sse_max_connections: 2,
            ..Default::default()
        },
    );
    let router = web.router();
    let _a = open(&router, "/events", &[]).await?;
    let _b = open(&router, "/events", &[]).await?;
    let r = crate::support::send_to(&router, "GET", "/events", Body::empty(), &[]).await?;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("cache-control"), "no-store");
    assert!(
        r.body.contains("try") || r.body.contains("reload"),
        "{}",
        r.body
    );
    drop(_a);
    assert_eq!(web.live.open(), 1);
    let _c = open(&router, "/events", &[]).await?;
    Ok(())
}
