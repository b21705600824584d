//! Real traffic: views that can be trusted (signed reader cookies, caps per
//! client address), Most Read from aggregates equal to a brute-force count,
//! cached pages that survive ranking changes and view traffic, and one
//! render for a burst of misses.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use broadsheet_store::{ViewRecord, view_bucket};
use tower::ServiceExt;

use crate::support::{Paper, TestResult, between};

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/// Which cookie a beacon carries.
#[derive(Clone, Copy)]
enum Cookie {
    /// A cookie the server signed for this reader.
    Signed(&'static str),
    /// The old unsigned form: any 32 hex digits.
    Unsigned(&'static str),
    /// A signed-looking cookie with a MAC made up by the client.
    Forged,
    None,
}

/// (cookie, user agent, client address, counted?) — beacons for one story,
/// in order, with a cap of 3 views per client address per minute.
const COUNTING_TABLE: &[(Cookie, &str, &str, bool)] = &[
    (Cookie::Signed("ann"), BROWSER, "198.51.100.1", true),
    // The same reader again within the window.
    (Cookie::Signed("ann"), BROWSER, "198.51.100.1", false),
    (Cookie::Signed("bob"), BROWSER, "198.51.100.1", true),
    // Bots never count, signed or not.
    (Cookie::Signed("cat"), GOOGLEBOT, "198.51.100.2", false),
    (Cookie::Signed("cat"), "curl/8.5.0", "198.51.100.2", false),
    // Unsigned, forged or missing cookies never count.
    (
        Cookie::Unsigned("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        BROWSER,
        "198.51.100.3",
        false,
    ),
    (Cookie::Forged, BROWSER, "198.51.100.3", false),
    (Cookie::None, BROWSER, "198.51.100.3", false),
    // 198.51.100.1 has sent three signed views this minute (ann twice, bob):
    // the cap, whoever the reader.
    (Cookie::Signed("dan"), BROWSER, "198.51.100.1", false),
    (Cookie::Signed("eve"), BROWSER, "198.51.100.1", false),
    (Cookie::Signed("fay"), BROWSER, "198.51.100.1", false),
    // Another address is not affected.
    (Cookie::Signed("eve"), BROWSER, "198.51.100.4", true),
    // A client cannot pick its address: with one trusted hop only the last
    // X-Forwarded-For entry is believed (the forged one on the left is not).
    (
        Cookie::Signed("gus"),
        BROWSER,
        "10.9.9.9, 198.51.100.1",
        false,
    ),
];

async fn read_count(p: &Paper, story: i64) -> Result<i64, Box<dyn std::error::Error>> {
    Ok(p.app
        .store()
        .most_read(0, 100_000)
        .await?
        .iter()
        .find(|(id, _)| *id == story)
        .map(|(_, n)| *n)
        .unwrap_or(0))
}

fn capped_config() -> broadsheet_app::PaperConfig {
    broadsheet_app::PaperConfig {
        views_per_client_per_minute: 3,
        trusted_proxy_hops: 1,
        ..Default::default()
    }
}

#[tokio::test]
async fn views_count_only_from_signed_readers_within_the_client_cap() -> TestResult {
    let p = Paper::demo_with(20, capped_config()).await?;
    let s = p.story_where(|_| true).await?;
    // No history: counts are exact (the story's readers stay few).
    p.app
        .store()
        .prune_views(broadsheet_app::now() + 3_600)
        .await?;
    let before = read_count(&p, s.id).await?;
    let signer = p.app.views().signer();
    let mut cookies: HashMap<&str, String> = HashMap::new();
    let forged = format!("{}.{}", "ab".repeat(16), "cd".repeat(16));
    let stats = p.app.views().stats();
    let capped_before = stats.capped.load(std::sync::atomic::Ordering::Relaxed);
    let mut expected = before;
    for (i, (cookie, ua, client, counted)) in COUNTING_TABLE.iter().enumerate() {
        let value = match cookie {
            Cookie::Signed(name) => Some(
                cookies
                    .entry(name)
                    .or_insert_with(|| signer.issue())
                    .clone(),
            ),
            Cookie::Unsigned(v) => Some(v.to_string()),
            Cookie::Forged => Some(forged.clone()),
            Cookie::None => None,
        };
        let cookie_header = value.map(|v| format!("bsr={v}")).unwrap_or_default();
        let mut headers = vec![("user-agent", *ua), ("x-forwarded-for", *client)];
        if !cookie_header.is_empty() {
            headers.push(("cookie", &cookie_header));
        }
        let r = p.request(&format!("/v/{}.gif", s.id), &headers).await?;
        assert_eq!(r.status, StatusCode::OK, "row {i}");
        let unsigned = matches!(cookie, Cookie::Unsigned(_) | Cookie::Forged | Cookie::None);
        if unsigned && !broadsheet_domain::ranking::is_bot(Some(ua)) {
            let set = r.header("set-cookie");
            assert!(
                set.starts_with("bsr="),
                "row {i}: a signed cookie is issued"
            );
            let v = between(set, "bsr=", ";").trim_start_matches("bsr=");
            assert!(
                signer.verify(v).is_some(),
                "row {i}: the issued cookie is signed"
            );
        } else {
            assert_eq!(r.header("set-cookie"), "", "row {i}: no new cookie");
        }
        p.app.flush_views().await?;
        if *counted {
            expected += 1;
        }
        assert_eq!(read_count(&p, s.id).await?, expected, "row {i}");
    }
    assert!(stats.capped.load(std::sync::atomic::Ordering::Relaxed) - capped_before >= 3);
    // What the caps dropped shows in /metrics (its own router: the
    // --metrics-listen address).
    let m = crate::support::send_to(
        &p.web.metrics_router(),
        "GET",
        "/metrics",
        axum::body::Body::empty(),
        &[],
    )
    .await?;
    assert!(
        m.body
            .contains("broadsheet_views_refused_total{reason=\"capped\"}"),
        "capped views in /metrics"
    );
    assert!(
        m.body
            .contains("broadsheet_views_refused_total{reason=\"unsigned\"}")
    );
    assert!(m.body.contains("broadsheet_view_cap_clients"));
    Ok(())
}

#[tokio::test]
async fn random_cookies_cannot_move_most_read() -> TestResult {
    // The attack from the issue: many beacons with fresh random `bsr` values.
    let p = Paper::demo(20).await?;
    let listed: Vec<i64> = p
        .app
        .rankings()
        .most_read
        .iter()
        .map(|r| r.card.id)
        .collect();
    let s = p.story_where(|s| !listed.contains(&s.id)).await?;
    let before = read_count(&p, s.id).await?;
    for i in 0..200u32 {
        let cookie = format!("bsr={:032x}", u128::from(i) * 7_919 + 1);
        p.request(
            &format!("/v/{}.gif", s.id),
            &[("user-agent", BROWSER), ("cookie", &cookie)],
        )
        .await?;
    }
    p.app.flush_views().await?;
    assert_eq!(read_count(&p, s.id).await?, before);
    p.app.refresh_rankings().await?;
    assert!(!p.app.rankings().most_read.iter().any(|r| r.card.id == s.id));
    Ok(())
}

/// The brute-force reference: the distinct readers of each story among the
/// views in the hours of the window.
fn brute_force(events: &[ViewRecord], now: i64, window: i64) -> HashMap<i64, i64> {
    let mut readers: HashMap<i64, std::collections::HashSet<i64>> = HashMap::new();
    for e in events {
        if view_bucket(e.at) >= view_bucket(now - window) {
            readers.entry(e.story_id).or_default().insert(e.reader);
        }
    }
    readers
        .into_iter()
        .map(|(k, v)| (k, v.len() as i64))
        .collect()
}

#[tokio::test]
async fn most_read_from_aggregates_equals_a_brute_force_count() -> TestResult {
    let window = 6 * 3600;
    let cfg = broadsheet_app::PaperConfig {
        most_read_window_secs: window,
        ..Default::default()
    };
    let p = Paper::demo_with(30, cfg).await?;
    let cards = p
        .app
        .store()
        .cards(broadsheet_store::Listing::All, 12, 0)
        .await?;
    let ids: Vec<i64> = cards.iter().map(|c| c.id).collect();
    let now = broadsheet_app::now();
    let since = now - window;
    // No history: the counts are these views' alone.
    p.app.store().prune_views(now + 3_600).await?;
    // 6,000 views over the last 14 hours, 400 readers, skewed towards a few
    // stories, in time order as beacons would deliver them; one unknown story.
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut events: Vec<ViewRecord> = (0..6_000)
        .map(|_| {
            let r = next();
            let pick = (r % 100) as usize;
            let story = if pick < 3 {
                99_999_999
            } else {
                ids[(pick * pick / 900).min(ids.len() - 1)]
            };
            ViewRecord {
                story_id: story,
                reader: ((r >> 20) % 400) as i64,
                at: now - 14 * 3600 + ((r >> 40) % (14 * 3600)) as i64,
            }
        })
        .collect();
    events.sort_by_key(|e| e.at);
    for batch in events.chunks(333) {
        p.app.store().record_views(batch).await?;
    }
    let expected = brute_force(
        &events
            .iter()
            .filter(|e| ids.contains(&e.story_id))
            .cloned()
            .collect::<Vec<_>>(),
        now,
        window,
    );
    let got = p.app.store().most_read(since, 100_000).await?;
    let got_map: HashMap<i64, i64> = got.iter().copied().collect();
    let (mut approximate, mut exact) = (0, 0);
    for id in &ids {
        let n = got_map.get(id).copied().unwrap_or(0);
        let want = expected.get(id).copied().unwrap_or(0);
        if want <= broadsheet_store::SPARSE_MAX as i64 {
            assert_eq!(n, want, "story {id}: exact while small");
            exact += 1;
        } else {
            // The stated bound: ±10 % (three standard errors of 3.3 %).
            approximate += 1;
            assert!(
                (n - want).abs() * 10 <= want,
                "story {id}: {n} for {want} readers"
            );
        }
    }
    assert!(approximate > 0, "some stories are past the exact range");
    assert!(exact > 1, "and some within it");
    assert!(!got_map.contains_key(&99_999_999));
    // And the order is the reference order: most first, ties by lower id.
    let mut want: Vec<(i64, i64)> = got_map.iter().map(|(k, v)| (*k, *v)).collect();
    want.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    assert_eq!(got, want);
    // The top ten alone is the head of the whole list (the early stop in
    // most_read finds the same stories).
    assert_eq!(
        p.app.store().most_read(since, 10).await?,
        got[..10.min(got.len())].to_vec()
    );
    // Pruning keeps what the window needs and nothing older; each hourly
    // row stays bounded in size.
    let storage = p.app.store().view_storage().await?;
    assert!(storage.count_rows > 0);
    assert!(storage.sketch_bytes <= storage.count_rows * 1_025);
    p.app.store().prune_views(now - window).await?;
    let pruned = p.app.store().view_storage().await?;
    assert!(pruned.count_rows < storage.count_rows);
    assert_eq!(
        p.app.store().most_read(since, 100_000).await?,
        got,
        "pruning keeps the window"
    );
    Ok(())
}

#[tokio::test]
async fn a_rankings_change_keeps_cached_pages_and_shows_the_new_order() -> TestResult {
    let p = Paper::demo(40).await?;
    let listed: Vec<i64> = p
        .app
        .rankings()
        .most_read
        .iter()
        .map(|r| r.card.id)
        .collect();
    let top = p
        .app
        .rankings()
        .most_read
        .first()
        .map(|r| r.count)
        .unwrap_or(0);
    let s = p.story_where(|s| !listed.contains(&s.id)).await?;
    // A free story: a paid one's page is private and tells a CDN nothing.
    let other = p
        .story_where(|x| x.id != s.id && x.access == broadsheet_domain::Access::Free)
        .await?;
    let paths = [p.path_of(&other), "/".to_string(), "/news".to_string()];
    for path in &paths {
        p.get(path).await?;
        assert_eq!(p.get(path).await?.header("x-cache"), "hit", "{path} cached");
    }
    let renders = p.web.renders();
    for i in 0..(top + 5) {
        p.app.views().record(
            s.id,
            broadsheet_app::reader_id(&format!("new-reader-{i}")),
            broadsheet_app::now(),
        );
    }
    p.app.flush_views().await?;
    assert!(p.app.refresh_rankings().await?, "Most Read moved");
    assert_eq!(p.app.rankings().most_read[0].card.id, s.id);
    for path in &paths[..2] {
        let r = p.get(path).await?;
        assert_eq!(r.header("x-cache"), "hit", "{path} kept in the cache");
        let rail = between(&r.body, "id=\"most-read\"", "</section>");
        let first = between(rail, "<li", "</li>");
        assert!(
            first.contains(&format!("-{}\"", s.id)),
            "{path}: new leader first"
        );
    }
    assert_eq!(p.web.renders(), renders, "no page was rendered again");
    // Editor's Picks show at once, still without re-rendering pages.
    let picks: Vec<i64> = vec![s.id];
    p.app
        .set_editors_picks(&broadsheet_domain::Actor::Operator, &picks)
        .await?;
    let r = p.get(&paths[0]).await?;
    assert_eq!(r.header("x-cache"), "hit");
    let rail = between(&r.body, "id=\"editors-picks\"", "</section>");
    assert!(rail.contains(&format!("-{}\"", s.id)));
    assert_eq!(p.web.renders(), renders);
    // The ETag follows the parts, so a browser's copy is not wrongly fresh.
    let etag = r.header("etag").to_string();
    let again = p.request(&paths[0], &[("if-none-match", &etag)]).await?;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    p.app
        .set_editors_picks(&broadsheet_domain::Actor::Operator, &[other.id])
        .await?;
    let after = p.request(&paths[0], &[("if-none-match", &etag)]).await?;
    assert_eq!(after.status, StatusCode::OK, "new parts, new ETag");
    // A CDN is told the page shows the rankings.
    assert!(
        after
            .header("surrogate-key")
            .split(' ')
            .any(|k| k == "rankings")
    );
    Ok(())
}

#[tokio::test]
async fn cached_pages_survive_view_traffic() -> TestResult {
    let p = Paper::demo(30).await?;
    let cards = p
        .app
        .store()
        .cards(broadsheet_store::Listing::All, 5, 0)
        .await?;
    let mut paths = vec!["/".to_string()];
    for c in &cards {
        if let Some(s) = p.app.store().story(c.id).await? {
            paths.push(p.path_of(&s));
        }
    }
    for path in &paths {
        p.get(path).await?;
    }
    let renders = p.web.renders();
    let signer = p.app.views().signer();
    // Rounds of beacons from distinct signed readers, each flushed, with
    // change polling and ranking refreshes as the jobs would run them.
    for round in 0..5 {
        for (i, c) in cards.iter().enumerate() {
            for _ in 0..(round + i) {
                let cookie = format!("bsr={}", signer.issue());
                p.request(
                    &format!("/v/{}.gif", c.id),
                    &[("user-agent", BROWSER), ("cookie", &cookie)],
                )
                .await?;
            }
        }
        p.app.flush_views().await?;
        p.app.apply_changes().await?;
        p.app.refresh_rankings().await?;
        for path in &paths {
            assert_eq!(
                p.get(path).await?.header("x-cache"),
                "hit",
                "round {round}: {path}"
            );
        }
    }
    assert_eq!(p.web.renders(), renders, "view traffic rendered no page");
    Ok(())
}

#[tokio::test]
async fn a_burst_of_misses_renders_once() -> TestResult {
    let p = Paper::demo(20).await?;
    // A free story: a paid one's cookieless readers can get two variants
    // (full while a meter is minted, then the cut), each rendered once.
    let s = p
        .story_where(|s| s.access == broadsheet_domain::Access::Free)
        .await?;
    let path = p.path_of(&s);
    let before = p.web.renders();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let router = p.router.clone();
        let req = Request::builder().uri(&path).body(Body::empty())?;
        set.spawn(async move { router.oneshot(req).await });
    }
    let mut bodies = Vec::new();
    while let Some(r) = set.join_next().await {
        let res = r??;
        assert_eq!(res.status(), StatusCode::OK);
        bodies.push(
            http_body_util::BodyExt::collect(res.into_body())
                .await?
                .to_bytes(),
        );
    }
    assert_eq!(
        p.web.renders() - before,
        1,
        "16 concurrent misses, one render"
    );
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    // Misses of a page that does not exist are not shared, and not stored.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let router = p.router.clone();
        let req = Request::builder()
            .uri("/news/no-such-story-99999999")
            .body(Body::empty())?;
        set.spawn(async move { router.oneshot(req).await });
    }
    while let Some(r) = set.join_next().await {
        assert_eq!(r??.status(), StatusCode::NOT_FOUND);
    }
    Ok(())
}

#[tokio::test]
async fn esi_pages_carry_includes_and_fragments_their_own_keys() -> TestResult {
    let p = Paper::demo(20).await?;
    let web = broadsheet_web::Web::new(
        p.app.clone(),
        broadsheet_web::WebOptions {
            esi: true,
            ..Default::default()
        },
    );
    let router = web.router();
    let s = p.story_where(|_| true).await?;
    let path = p.path_of(&s);
    let res = router
        .clone()
        .oneshot(Request::builder().uri(&path).body(Body::empty())?)
        .await?;
    let keys = res
        .headers()
        .get("surrogate-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await?
        .to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("<esi:include src=\"/_fragments/most-read\"/>"));
    assert!(body.contains(&format!(
        "<esi:include src=\"/_fragments/more-from?exclude={}\"/>",
        s.id
    )));
    assert!(
        !keys.split(' ').any(|k| k == "rankings"),
        "the page does not depend on rankings: {keys}"
    );
    let res = router
        .oneshot(
            Request::builder()
                .uri("/_fragments/most-read")
                .body(Body::empty())?,
        )
        .await?;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get("surrogate-key")
            .and_then(|v| v.to_str().ok()),
        Some("rankings")
    );
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await?
        .to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("id=\"most-read\""));
    Ok(())
}

/// Measurement, not a check: Most Read computation time and view storage
/// after a day of N simulated views (1,000 stories, every view from a new
/// reader: the worst case for the reader rows), for each N in
/// `BROADSHEET_VIEW_SIZES` (default 10000,1000000,10000000). Run with
/// `cargo test -p broadsheet --test it most_read_cost -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn most_read_cost_at_three_sizes() -> TestResult {
    let sizes: Vec<u64> = std::env::var("BROADSHEET_VIEW_SIZES")
        .unwrap_or_else(|_| "10000,1000000,10000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!(
        "| views/day | ingest s | Most Read ms (median of 20) | hourly rows | sketch MB | db MB |"
    );
    println!("|---|---|---|---|---|---|");
    for n in sizes {
        let dir = tempfile::tempdir()?;
        let url = crate::support::database_url(dir.path()).await?;
        let store = crate::support::store(&url).await?;
        crate::support::make_demo(&store, 1_000).await?;
        let ids: Vec<i64> = store
            .cards(broadsheet_store::Listing::All, 1_000, 0)
            .await?
            .iter()
            .map(|c| c.id)
            .collect();
        let now = broadsheet_app::now();
        let window = 24 * 3600;
        let mut rng: u64 = 0x2545_f491_4f6c_dd1d ^ n;
        let t0 = std::time::Instant::now();
        let mut done = 0u64;
        while done < n {
            let k = (n - done).min(20_000);
            let batch: Vec<ViewRecord> = (0..k)
                .map(|i| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    // Skewed: a few stories take most views.
                    let u = (rng % 10_000) as usize;
                    let story = ids[(u * u / 100_000).min(ids.len() - 1)];
                    ViewRecord {
                        story_id: story,
                        reader: (rng >> 1) as i64,
                        at: now - window + ((done + i) * window as u64 / n) as i64,
                    }
                })
                .collect();
            store.record_views(&batch).await?;
            done += k;
        }
        let ingest = t0.elapsed().as_secs_f64();
        let mut times = Vec::new();
        for _ in 0..20 {
            let t = std::time::Instant::now();
            let top = store.most_read(now - window, 10).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(top.len(), 10);
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let storage = store.view_storage().await?;
        store.close().await;
        let mb = if crate::support::backend() == "postgres" {
            0.0
        } else {
            std::fs::read_dir(dir.path())?
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum::<u64>() as f64
                / 1_048_576.0
        };
        println!(
            "| {n} | {ingest:.1} | {:.2} | {} | {:.1} | {mb:.1} |",
            times[10],
            storage.count_rows,
            storage.sketch_bytes as f64 / 1_048_576.0
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_beacon_from_the_fast_path_answers_and_counts_as_the_router_does() -> TestResult {
    let p = Paper::demo(10).await?;
    let s = p.story_where(|_| true).await?;
    let beacon = format!("/v/{}.gif", s.id);
    let routes = p.web.routes();
    let browser = [("user-agent", BROWSER)];
    // No reader cookie: both issue one (values differ: each is new).
    let want = crate::support::send_to(&routes, "GET", &beacon, Body::empty(), &browser).await?;
    let got = crate::support::send_to(&p.router, "GET", &beacon, Body::empty(), &browser).await?;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, want.body);
    let without_cookie = |h: &axum::http::HeaderMap| {
        comparable(h)
            .into_iter()
            .filter(|(k, _)| k != "set-cookie")
            .collect::<Vec<_>>()
    };
    assert_eq!(without_cookie(&got.headers), without_cookie(&want.headers));
    let cookie = got.header("set-cookie").to_string();
    assert!(
        cookie.contains("Path=/v/") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert!(!want.header("set-cookie").is_empty());
    // With the cookie the fast path issued: no new cookie from either, and
    // the fast path queues the view for counting.
    let value = cookie.split(';').next().unwrap_or("").to_string();
    let with = [("user-agent", BROWSER), ("cookie", value.as_str())];
    let before = p.app.views().backlog();
    let got = crate::support::send_to(&p.router, "GET", &beacon, Body::empty(), &with).await?;
    assert_eq!(p.app.views().backlog(), before + 1, "the view is queued");
    let want = crate::support::send_to(&routes, "GET", &beacon, Body::empty(), &with).await?;
    assert_eq!(comparable(&got.headers), comparable(&want.headers));
    assert!(got.header("set-cookie").is_empty());
    // HEAD and odd paths go to the router, which answers as before.
    let head = crate::support::send_to(&p.router, "HEAD", &beacon, Body::empty(), &with).await?;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(
        p.get(&format!("/v/{}.gif/x", s.id)).await?.status,
        StatusCode::NOT_FOUND
    );
    Ok(())
}

/// Headers that differ between any two answers (the request id) or that
/// only the wire adds (Content-Length, which hyper sets from the body).
fn comparable(h: &axum::http::HeaderMap) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = h
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "x-request-id" | "content-length"))
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_string()))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_hit_from_the_fast_path_answers_as_the_router_does() -> TestResult {
    let p = Paper::demo(30).await?;
    // A free story: a paid one is private and gated, never the fast path's.
    let s = p
        .story_where(|s| s.access == broadsheet_domain::Access::Free)
        .await?;
    let story = p.path_of(&s);
    let section = format!(
        "/{}",
        story
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("")
    );
    let paths = [
        "/".to_string(),
        story.clone(),
        section.clone(),
        format!("{section}?page=2"),
        "/corrections".to_string(),
    ];
    // The general path alone: every route and layer, no fast path.
    let routes = p.web.routes();
    for path in &paths {
        let first = p.get(path).await?;
        assert_eq!(first.status, StatusCode::OK, "{path}");
        let etag = first.header("etag").to_string();
        let modified = first.header("last-modified").to_string();
        for (method, headers) in [
            ("GET", vec![]),
            ("GET", vec![("accept-encoding", "gzip, deflate, br")]),
            ("GET", vec![("accept-encoding", "gzip")]),
            ("HEAD", vec![]),
            ("GET", vec![("if-none-match", etag.as_str())]),
            ("HEAD", vec![("if-none-match", etag.as_str())]),
            ("GET", vec![("if-modified-since", modified.as_str())]),
            ("GET", vec![("if-none-match", "\"other\"")]),
            ("GET", vec![("x-request-id", "fast-1")]),
        ] {
            let want =
                crate::support::send_to(&routes, method, path, Body::empty(), &headers).await?;
            let got =
                crate::support::send_to(&p.router, method, path, Body::empty(), &headers).await?;
            let what = format!("{method} {path} {headers:?}");
            assert_eq!(want.header("x-cache"), "hit", "{what}: cached");
            assert_eq!(got.status, want.status, "{what}");
            assert_eq!(got.body, want.body, "{what}");
            assert_eq!(
                comparable(&got.headers),
                comparable(&want.headers),
                "{what}"
            );
            assert!(!got.header("x-request-id").is_empty(), "{what}");
            if headers.iter().any(|(k, _)| *k == "x-request-id") {
                assert_eq!(got.header("x-request-id"), "fast-1");
            }
            let conditional = headers.iter().any(|(k, _)| k.starts_with("if-"));
            if got.status == StatusCode::OK && !conditional {
                let full =
                    crate::support::send_to(&routes, "GET", path, Body::empty(), &headers).await?;
                let len: usize = got.header("content-length").parse()?;
                // The body as sent (compressed or not): its length in bytes.
                if want.header("content-encoding").is_empty() {
                    assert_eq!(len, full.body.len(), "{what}: length of the body");
                } else {
                    assert!(len > 0 && len < full.body.len() * 2, "{what}");
                }
            }
        }
    }
    // Not for the fast path: odd queries and addresses go to the router,
    // which answers as before.
    assert_eq!(
        p.get(&format!("{section}?page=0")).await?.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        p.get(&format!("{section}/")).await?.status,
        StatusCode::PERMANENT_REDIRECT
    );
    assert_eq!(
        p.get(&format!("{story}?utm_source=x"))
            .await?
            .header("x-cache"),
        "hit",
        "the page handler still serves it from the cache"
    );
    Ok(())
}

#[tokio::test]
async fn access_lines_are_written_off_the_request_path() -> TestResult {
    #[derive(Clone, Default)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let p = Paper::demo(20).await?;
    let s = p.story_where(|_| true).await?;
    let story = p.path_of(&s);
    let out = Buffer::default();
    let mut web = p.web.clone();
    web.start_access_log_to(broadsheet_web::AccessFormat::Text, Box::new(out.clone()));
    let router = web.router();
    let send = |path: &str, headers: Vec<(&'static str, &'static str)>| {
        let router = router.clone();
        let path = path.to_string();
        async move { crate::support::send_to(&router, "GET", &path, Body::empty(), &headers).await }
    };
    let miss = send(&story, vec![("x-request-id", "line-1")]).await?;
    let hit = send(&story, vec![("x-request-id", "line-2")]).await?;
    assert_eq!(
        (miss.header("x-cache"), hit.header("x-cache")),
        ("miss", "hit")
    );
    send(
        "/news/no-such-story-99999999",
        vec![("x-request-id", "line-3")],
    )
    .await?;
    send(
        &format!("/v/{}.gif", s.id),
        vec![("x-request-id", "line-4")],
    )
    .await?;
    web.access_log().settle(std::time::Duration::from_secs(5));
    let text = String::from_utf8(out.0.lock().map_err(|_| "poisoned")?.clone())?;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    let len = hit.body.len();
    for (line, want) in lines.iter().zip([
        format!("request_id=line-1 method=GET path={story} route=story status=200 bytes={len} "),
        format!("request_id=line-2 method=GET path={story} route=story status=200 bytes={len} "),
        "request_id=line-3 method=GET path=/news/no-such-story-99999999 route=story status=404"
            .to_string(),
        format!(
            "request_id=line-4 method=GET path=/v/{}.gif route=beacon status=200 bytes=43 ",
            s.id
        ),
    ]) {
        assert!(
            line.contains(" INFO broadsheet::access: request "),
            "{line}"
        );
        assert!(line.contains(&want), "{line}\nwants {want}");
        assert!(
            line.contains(" micros=") && line.ends_with(" client=0.0.0.0"),
            "{line}"
        );
    }
    assert_eq!(web.access_log().dropped(), 0);
    Ok(())
}
