//! The metered paywall and the one gate (issue 10, items 3, 4, 6 and 7),
//! through the real router on a real database.
//!
//! - The meter's rules, table-driven through `entitlement::decide`: allowance,
//!   the same story twice, period roll-over, cleared cookies, many devices
//!   of one account, registered and subscribing readers.
//! - The leak catalogue of SECURITY.md, each route as a test, for an
//!   anonymous reader, a reader whose meter is spent, and a Googlebot
//!   User-Agent with a Google address in a forged X-Forwarded-For and a
//!   spoofed Referer: HTML, JSON-LD (Google's paywall markup), meta and og
//!   descriptions, alternate renderings, feeds, API and search addresses,
//!   pictures, cache headers, and the page cache.
//! - Gift links: open the full text for their holders only, within their
//!   uses and life, until revoked.
//! - The route inventory: every route is classified, and every route that
//!   can show story text takes it from the gate.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use broadsheet_app::entitlement::{self, Because, Decision, GateInfo, Reader};
use broadsheet_app::meter::{self, Over, PaywallConfig};
use broadsheet_app::newsroom;
use broadsheet_app::{PaperConfig, gifts, readers};
use broadsheet_domain::{Access, EntitlementSource, Story};
use broadsheet_store::StoryEdit;
use broadsheet_web::StoryText;

use crate::support::{Paper, Reply, TestResult, between};

/// A word only the paid part of every test story holds.
const SECRET: &str = "zqxpaidword";

fn body() -> String {
    [
        "Free opening paragraph.",
        "Free second paragraph.",
        &format!("Paid third paragraph with {SECRET}."),
        &format!("Paid fourth paragraph, {SECRET} again."),
    ]
    .join("\n\n")
}

/// Small allowances so tests reach every edge quickly.
fn config() -> PaperConfig {
    PaperConfig {
        paywall: PaywallConfig {
            meter_free: 2,
            meter_registered: 3,
            new_meters_per_address_per_day: 3,
            ..PaywallConfig::default()
        },
        ..PaperConfig::default()
    }
}

async fn paper() -> Result<Paper, Box<dyn std::error::Error>> {
    Paper::demo_with(5, config()).await
}

/// Publishes a story of `access` with [`body`]; returns it.
async fn publish(
    p: &Paper,
    headline: &str,
    access: Access,
    text: &str,
) -> Result<Story, Box<dyn std::error::Error>> {
    let editor = crate::support::staff_of_role(p, "editor").await?;
    let any = p.story_where(|_| true).await?;
    let e = StoryEdit {
        section_id: any.section_id,
        headline: headline.into(),
        standfirst: "A standfirst that is free.".into(),
        body: text.into(),
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

/// The meter cookie a response sets, as `bsm=…` for a Cookie header.
fn meter_cookie(r: &Reply) -> Option<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("bsm="))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
}

/// The text after `start` up to the next double quote.
fn value_after(html: &str, start: &str) -> String {
    html.split_once(start)
        .and_then(|(_, rest)| rest.split('"').next())
        .unwrap_or("")
        .to_string()
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Everything a reader who is not entitled must (not) get, on one page.
fn assert_cut(r: &Reply, who: &str) {
    assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.body);
    assert!(!r.body.contains(SECRET), "{who}: paid text leaked");
    assert!(
        r.body.contains("Free second paragraph."),
        "{who}: no preview"
    );
    assert!(
        r.body.contains("<div class=\"story-paid\"></div>"),
        "{who}: the paid element is not there and empty"
    );
    assert!(r.body.contains("class=\"paywall\""), "{who}: no prompt");
    assert!(
        r.body.contains("href=\"/subscribe?next="),
        "{who}: no subscribe"
    );
    let ld = compact(between(&r.body, "application/ld+json", "</script>"));
    assert!(ld.contains("\"isAccessibleForFree\":false"), "{who}: {ld}");
    assert!(
        ld.contains("\"cssSelector\":\".story-paid\""),
        "{who}: no hasPart naming the paid element: {ld}"
    );
    assert!(!ld.contains("articleBody"), "{who}: {ld}");
    for meta in ["name=\"description\"", "property=\"og:description\""] {
        assert!(
            !between(&r.body, meta, ">").contains(SECRET),
            "{who}: {meta}"
        );
    }
    assert_private(r, who);
}

/// A paid story read in full: the paid part is in the element JSON-LD names.
fn assert_full(r: &Reply, who: &str) {
    assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.body);
    let paid = between(&r.body, "<div class=\"story-paid\">", "</div>");
    assert!(paid.contains(SECRET), "{who}: the paid part is missing");
    assert!(!r.body.contains("class=\"paywall\""), "{who}: a prompt");
    assert_private(r, who);
}

/// A response that depends on the reader: never in a shared cache.
fn assert_private(r: &Reply, who: &str) {
    let cc = r.header("cache-control");
    assert!(cc.starts_with("private"), "{who}: cache-control {cc}");
    assert!(
        !cc.contains("s-maxage") && !cc.contains("public"),
        "{who}: {cc}"
    );
    assert!(r.header("surrogate-key").is_empty(), "{who}: surrogate-key");
    assert!(r.header("vary").contains("Cookie"), "{who}: vary");
}

/// A registered reader, signed in: (account id, Cookie header value).
async fn signed_in(p: &Paper, email: &str) -> Result<(i64, String), Box<dyn std::error::Error>> {
    let a = readers::register(&p.app, email, "a long enough password", "Reader").await?;
    let s = readers::start_session(&p.app, a.id).await?;
    Ok((a.id, format!("bs_reader={}", s.token)))
}

/// Gives reader `id` a subscription from now on; returns its id.
async fn subscribe(p: &Paper, id: i64) -> Result<i64, Box<dyn std::error::Error>> {
    let mut tx = p.app.store().begin().await?;
    let e = tx
        .grant_entitlement(
            id,
            EntitlementSource::Subscription,
            "sub_test",
            broadsheet_app::now() - 60,
            None,
        )
        .await?;
    tx.commit().await?;
    Ok(e)
}

/// Ends a subscription (a cancellation or refund taking effect).
async fn cancel(p: &Paper, entitlement: i64) -> TestResult {
    let mut tx = p.app.store().begin().await?;
    assert!(
        tx.end_entitlement(entitlement, broadsheet_app::now() - 1)
            .await?
    );
    tx.commit().await?;
    Ok(())
}

// ----- the meter's rules ---------------------------------------------------------

/// One step of a meter scenario: who reads which story when, and what the
/// gate must decide.
struct Step {
    reader: Reader,
    story: usize,
    day: i64,
    want: Decision,
    because: Because,
}

fn device(d: i64) -> Reader {
    Reader {
        device: Some(d),
        ..Reader::default()
    }
}

fn account(a: i64, d: i64) -> Reader {
    Reader {
        account: Some(a),
        device: Some(d),
        ..Reader::default()
    }
}

#[tokio::test]
async fn meter_rules() -> TestResult {
    let p = paper().await?;
    let mut stories = Vec::new();
    for i in 0..6 {
        let s = publish(&p, &format!("Metered {i}"), Access::Metered, &body()).await?;
        stories.push(GateInfo {
            story_id: s.id,
            access: Access::Metered,
        });
    }
    let period = p.app.config().paywall.period_secs;
    // The start of a period, so `day` stays inside it until it rolls over.
    let t0 = meter::period_of(broadsheet_app::now(), period) * period + period;
    let (full, cut) = (Decision::Full, Decision::Cut);
    use Because::*;
    let steps = [
        // An anonymous device: two stories, then spent.
        (device(1), 0, 0, full, MeterLeft),
        (device(1), 1, 0, full, MeterLeft),
        (device(1), 2, 0, cut, MeterSpent),
        // The same story twice stays open, and costs nothing.
        (device(1), 0, 1, full, MeterLeft),
        (device(1), 1, 2, full, MeterLeft),
        (device(1), 3, 2, cut, MeterSpent),
        // Another device has its own meter.
        (device(2), 2, 3, full, MeterLeft),
        // The period rolls over: a fresh allowance.
        (device(1), 2, 30, full, MeterLeft),
        (device(1), 3, 30, full, MeterLeft),
        (device(1), 4, 30, cut, MeterSpent),
        // A registered account: a larger allowance, shared by its devices;
        // what device 5 read before signing in does not count for it.
        (device(5), 0, 0, full, MeterLeft),
        (account(9, 5), 0, 0, full, MeterLeft),
        (account(9, 6), 1, 0, full, MeterLeft),
        (account(9, 7), 2, 0, full, MeterLeft),
        (account(9, 5), 3, 0, cut, MeterSpent),
        (account(9, 6), 0, 0, full, MeterLeft),
        // A subscriber reads everything; the same account lapsed is metered.
        (
            Reader {
                subscriber: true,
                ..account(9, 5)
            },
            5,
            0,
            full,
            Subscriber,
        ),
        (account(9, 5), 5, 0, cut, MeterSpent),
    ];
    for (i, (reader, story, day, want, because)) in steps.into_iter().enumerate() {
        let s = Step {
            reader,
            story,
            day,
            want,
            because,
        };
        let v =
            entitlement::decide(&p.app, stories[s.story], &s.reader, t0 + s.day * 86_400).await?;
        assert_eq!(
            (v.decision, v.because),
            (s.want, s.because),
            "step {i}: {:?} story {} day {}",
            s.reader,
            s.story,
            s.day
        );
        assert!(
            v.new_device.is_none(),
            "step {i}: a reader with a device got another"
        );
    }
    // Free and subscribers-only stories do not touch the meter.
    let free = GateInfo {
        access: Access::Free,
        ..stories[0]
    };
    let subs = GateInfo {
        access: Access::Subscribers,
        ..stories[0]
    };
    let v = entitlement::decide(&p.app, free, &device(1), t0).await?;
    assert_eq!((v.decision, v.because), (Decision::Full, FreeStory));
    let v = entitlement::decide(&p.app, subs, &device(77), t0).await?;
    assert_eq!((v.decision, v.because), (Decision::Cut, ForSubscribers));
    // Pruning drops ended periods only: device 1's current period survives.
    meter::prune(&p.app, t0 + 30 * 86_400).await?;
    let v = entitlement::decide(&p.app, stories[4], &device(1), t0 + 30 * 86_400).await?;
    assert_eq!(v.decision, Decision::Cut, "the current period was pruned");
    Ok(())
}

/// Clearing cookies: a reader with no meter cookie starts a fresh meter
/// only as often as their address may start one a day.
#[tokio::test]
async fn clearing_cookies_does_not_reset_the_meter_at_will() -> TestResult {
    let p = paper().await?;
    let s = publish(&p, "Metered story", Access::Metered, &body()).await?;
    let path = p.path_of(&s);
    for i in 0..3 {
        let r = p.get(&path).await?;
        assert_full(&r, &format!("fresh reader {i}"));
        assert!(
            meter_cookie(&r).is_some(),
            "fresh reader {i}: no meter cookie"
        );
    }
    // The fourth fresh meter from this address today: the cut, no cookie.
    let r = p.get(&path).await?;
    assert_cut(&r, "cookies cleared again");
    assert!(meter_cookie(&r).is_none());
    // A forged X-Forwarded-For is not a new address (no trusted proxy).
    let r = p
        .request(&path, &[("x-forwarded-for", "203.0.113.9")])
        .await?;
    assert_cut(&r, "forged X-Forwarded-For");
    Ok(())
}

/// Through HTTP: the meter cookie is issued on a private response, counts
/// stories, keeps an opened story open, and a spent meter gets the cut.
#[tokio::test]
async fn the_meter_over_http() -> TestResult {
    let p = paper().await?;
    let mut paths = Vec::new();
    for i in 0..3 {
        let s = publish(&p, &format!("Metered {i}"), Access::Metered, &body()).await?;
        paths.push(p.path_of(&s));
    }
    let r = p.get(&paths[0]).await?;
    assert_full(&r, "first story");
    let set = r.header("set-cookie").to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("Path=/") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let cookie = meter_cookie(&r).ok_or("no meter cookie")?;
    let with = [("cookie", cookie.as_str())];
    let r = p.request(&paths[1], &with).await?;
    assert_full(&r, "second story");
    assert!(meter_cookie(&r).is_none(), "a second cookie");
    let r = p.request(&paths[2], &with).await?;
    assert_cut(&r, "meter spent");
    assert!(r.body.contains("Register for free"), "no register offer");
    assert!(r.body.contains("href=\"/account?next="), "no sign in");
    let r = p.request(&paths[0], &with).await?;
    assert_full(&r, "a story opened earlier");
    // A forged meter cookie is a reader without one (a fresh meter from
    // this address), never someone else's meter.
    let forged = format!("bsm={}.{}", "0".repeat(32), "1".repeat(32));
    let r = p.request(&paths[2], &[("cookie", forged.as_str())]).await?;
    assert!(meter_cookie(&r).is_some(), "a forged cookie was believed");
    Ok(())
}

/// The leak catalogue for readers who are not entitled: every way paid
/// text has leaked on real sites, for each kind of reader.
#[tokio::test]
async fn no_route_leaks_paid_text_to_readers_who_are_not_entitled() -> TestResult {
    let p = paper().await?;
    let subs = publish(&p, "Members only", Access::Subscribers, &body()).await?;
    let mut spent = Vec::new();
    for i in 0..3 {
        let s = publish(&p, &format!("Metered {i}"), Access::Metered, &body()).await?;
        spent.push(p.path_of(&s));
    }
    // Spend a meter.
    let r = p.get(&spent[0]).await?;
    let cookie = meter_cookie(&r).ok_or("no meter cookie")?;
    p.request(&spent[1], &[("cookie", cookie.as_str())]).await?;
    let googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    let readers: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("anonymous", vec![]),
        ("meter spent", vec![("cookie", cookie.as_str())]),
        (
            "Googlebot from a forged Google address",
            vec![
                ("user-agent", googlebot),
                ("x-forwarded-for", "66.249.66.1"),
                ("referer", "https://www.google.com/"),
                ("cookie", cookie.as_str()),
            ],
        ),
        (
            "spoofed Referer (news aggregator, social)",
            vec![
                ("referer", "https://news.google.com/articles/x"),
                ("cookie", cookie.as_str()),
            ],
        ),
    ];
    let subs_path = p.path_of(&subs);
    for (who, headers) in &readers {
        let r = p.request(&subs_path, headers).await?;
        assert_cut(&r, &format!("{who}, subscribers-only story"));
        assert!(
            !r.body.contains("Register for free"),
            "{who}: register for a paid story"
        );
        let r = p.request(&spent[2], headers).await?;
        if *who != "anonymous" {
            assert_cut(&r, &format!("{who}, metered story"));
        }
        // Alternate renderings, feeds, API and search: either nothing, or
        // the same gated page; never the paid text.
        for alt in [
            format!("{subs_path}?print=1"),
            format!("{subs_path}?output=amp"),
            format!("{subs_path}/print"),
            format!("{subs_path}/amp"),
            format!("{subs_path}.json"),
            format!("{subs_path}.md"),
            format!("{subs_path}.txt"),
            format!("/oembed?url={subs_path}"),
            format!("/api/stories/{}", subs.id),
            "/feed".into(),
            "/feed.xml".into(),
            "/rss".into(),
            "/atom.xml".into(),
            "/feed.json".into(),
            // Words only the paid part has (the query itself is echoed
            // on the page, so it is not the secret word here).
            "/search?q=Paid+third+paragraph".into(),
            "/".into(),
            "/corrections".into(),
            "/_fragments/most-read".into(),
        ] {
            let r = p.request(&alt, headers).await?;
            assert!(!r.body.contains(SECRET), "{who}: {alt} leaked paid text");
            // Search is not an oracle: a phrase only in the paid part does
            // not find the story.
            if alt.starts_with("/search") {
                assert!(!r.body.contains(&subs_path), "{who}: search found it");
            }
        }
        // Searching for the secret word itself finds nothing (the page
        // echoes the query, and only the query).
        let r = p.request(&format!("/search?q={SECRET}"), headers).await?;
        assert!(!r.body.contains(&subs_path), "{who}: search found it");
        assert!(
            r.body.contains("No stories found"),
            "{who}: search counted it"
        );
    }
    Ok(())
}

/// Pictures placed in the paid part stay out of the cut page.
#[tokio::test]
async fn pictures_of_the_paid_part_are_not_in_the_cut() -> TestResult {
    let p = paper().await?;
    let with_picture = p.story_where(|s| s.lead_picture.is_some()).await?;
    let pic = with_picture.lead_picture.ok_or("no picture")?;
    let text = format!("{}\n\n[picture:{}]\n\nLast paid words.", body(), pic.id);
    let s = publish(&p, "Paid pictures", Access::Subscribers, &text).await?;
    let r = p.get(&p.path_of(&s)).await?;
    assert_cut(&r, "anonymous");
    // (The same picture may be on a card in the rails, outside the story.)
    let article = between(&r.body, "<article", "</article>");
    assert!(
        !article.contains(&pic.token),
        "the paid part's picture is in the cut"
    );
    // Control: a reader with a gift sees it, in the paid element.
    let (giver_id, _) = signed_in(&p, "giver@example.org").await?;
    let giver = Reader {
        account: Some(giver_id),
        subscriber: true,
        ..Reader::default()
    };
    let g = gifts::make(&p.app, &giver, s.id, broadsheet_app::now()).await?;
    let r = p
        .get(&format!("{}?gift={}", p.path_of(&s), g.token))
        .await?;
    assert_full(&r, "gift holder");
    let paid = between(&r.body, "<div class=\"story-paid\">", "</article>");
    assert!(paid.contains(&pic.token), "the control lost the picture");
    Ok(())
}

/// Shared caches never mix entitlements: free pages stay shared and
/// cookie-free, a paid story's full page is never served to the next
/// reader who is not entitled, and each variant is cached once, not per person.
#[tokio::test]
async fn caches_never_mix_entitlements() -> TestResult {
    let p = paper().await?;
    let free = publish(&p, "Free for all", Access::Free, &body()).await?;
    let free_path = p.path_of(&free);
    for _ in 0..2 {
        let r = p.get(&free_path).await?;
        assert!(r.body.contains(SECRET), "a free story was cut");
        assert!(r.header("cache-control").starts_with("public"));
        assert!(
            r.header("set-cookie").is_empty(),
            "Set-Cookie on a shared page"
        );
        assert!(!r.header("vary").contains("Cookie"));
        assert!(!r.header("surrogate-key").is_empty());
        assert!(
            !r.body.contains("story-paid"),
            "a free story marked as paid"
        );
        let ld = compact(between(&r.body, "application/ld+json", "</script>"));
        assert!(ld.contains("\"isAccessibleForFree\":true"), "{ld}");
    }
    assert_eq!(p.get(&free_path).await?.header("x-cache"), "hit");

    let paths: Vec<String> = {
        let mut v = Vec::new();
        for i in 0..3 {
            let s = publish(&p, &format!("Metered {i}"), Access::Metered, &body()).await?;
            v.push(p.path_of(&s));
        }
        v
    };
    // Reader A reads story 0 in full (cached full variant) and spends the meter.
    let r = p.get(&paths[0]).await?;
    assert_full(&r, "reader A");
    let a = meter_cookie(&r).ok_or("no cookie")?;
    p.request(&paths[1], &[("cookie", a.as_str())]).await?;
    // Reader A, meter spent, on story 2; then again (the cut variant, cached).
    let r = p.request(&paths[2], &[("cookie", a.as_str())]).await?;
    assert_cut(&r, "reader A spent");
    let r = p.request(&paths[2], &[("cookie", a.as_str())]).await?;
    assert_cut(&r, "reader A spent, again");
    assert_eq!(r.header("x-cache"), "hit", "the cut variant is cached");
    // Story 0's full page is cached; a reader not entitled still gets the cut.
    let r = p.request(&paths[0], &[("cookie", a.as_str())]).await?;
    assert_full(&r, "reader A, opened before");
    let r = p.request(&paths[1], &[("cookie", a.as_str())]).await?;
    assert_full(&r, "reader A, opened before");
    // Variants, not people: however many readers, at most full and cut per page.
    let before = p.web.cache.len();
    for _ in 0..3 {
        p.request(&paths[2], &[("cookie", a.as_str())]).await?;
        p.request(&paths[0], &[("cookie", a.as_str())]).await?;
    }
    assert_eq!(p.web.cache.len(), before, "a page per person");
    Ok(())
}

/// A section or tag set "subscribers only over the meter" puts its metered
/// stories behind the paywall at once (purged on every node), and back.
#[tokio::test]
async fn section_and_tag_rules_put_metered_stories_behind_the_paywall() -> TestResult {
    let p = paper().await?;
    let s = publish(&p, "Metered in a section", Access::Metered, &body()).await?;
    let path = p.path_of(&s);
    let r = p.get(&path).await?;
    assert_full(&r, "metered, meter left");
    let cookie = meter_cookie(&r).ok_or("no cookie")?;
    let with = [("cookie", cookie.as_str())];
    let editor = crate::support::staff_of_role(&p, "editor").await?;
    let root = p.app.sections().ancestry(s.section_id)[0].id;
    meter::set_over_meter(&p.app, &editor.actor(), Over::Section(root), true).await?;
    let r = p.request(&path, &with).await?;
    assert_cut(&r, "section over the meter, story opened before");
    assert!(!r.body.contains("Register for free"));
    meter::set_over_meter(&p.app, &editor.actor(), Over::Section(root), false).await?;
    assert_full(&p.request(&path, &with).await?, "rule cleared");
    // A reporter may not set it.
    let reporter = crate::support::staff_of_role(&p, "reporter").await?;
    let refused = meter::set_over_meter(&p.app, &reporter.actor(), Over::Section(root), true).await;
    assert!(refused.is_err(), "a reporter set a paywall rule");
    assert_full(&p.request(&path, &with).await?, "after the refusal");
    Ok(())
}

// ----- gift links ---------------------------------------------------------------------

#[tokio::test]
async fn gift_links_open_one_story_for_their_holders_only() -> TestResult {
    let p = paper().await?;
    let s = publish(&p, "A gift", Access::Subscribers, &body()).await?;
    let other = publish(&p, "Not the gift", Access::Subscribers, &body()).await?;
    let path = p.path_of(&s);
    let (giver_id, _) = signed_in(&p, "giver@example.org").await?;
    let giver = Reader {
        account: Some(giver_id),
        subscriber: true,
        ..Reader::default()
    };
    let now = broadsheet_app::now();
    // Only a signed-in subscriber may give.
    let lapsed = Reader {
        subscriber: false,
        ..giver.clone()
    };
    assert!(gifts::make(&p.app, &lapsed, s.id, now).await.is_err());
    let gift = gifts::make(&p.app, &giver, s.id, now).await?;
    assert_eq!(gift.token.len(), 32, "the link holds only the random token");
    let url = format!("{path}?gift={}", gift.token);
    // The holder gets the full text, privately, and becomes a counted reader.
    let r = p.get(&url).await?;
    assert_full(&r, "gift holder");
    let holder = meter_cookie(&r).ok_or("the holder was not given a device")?;
    let r = p.request(&url, &[("cookie", holder.as_str())]).await?;
    assert_full(&r, "gift holder again");
    // The gift opens its own story only; without it, the cut.
    let r = p
        .get(&format!("{}?gift={}", p.path_of(&other), gift.token))
        .await?;
    assert_cut(&r, "another story with the gift token");
    assert_cut(
        &p.request(&path, &[("cookie", holder.as_str())]).await?,
        "no token",
    );
    assert_cut(
        &p.get(&format!("{path}?gift={}", "0".repeat(32))).await?,
        "a made-up token",
    );
    // Uses are capped: 10 readers in all (the holder is one).
    for i in 1..10 {
        let r = p.get(&url).await?;
        assert_full(&r, &format!("reader {i}"));
    }
    assert_cut(&p.get(&url).await?, "the eleventh reader");
    assert_full(
        &p.request(&url, &[("cookie", holder.as_str())]).await?,
        "a counted holder",
    );
    let mine = gifts::list(&p.app, &giver).await?;
    assert_eq!(mine[0].uses, 10, "readers brought");
    // Revoked: nobody, at once.
    gifts::revoke(&p.app, &giver, gift.link.id, now).await?;
    assert_cut(
        &p.request(&url, &[("cookie", holder.as_str())]).await?,
        "revoked",
    );
    let (other_id, _) = signed_in(&p, "other@example.org").await?;
    let someone_else = Reader {
        account: Some(other_id),
        subscriber: true,
        ..Reader::default()
    };
    let fresh = gifts::make(&p.app, &giver, s.id, now).await?;
    assert!(
        gifts::revoke(&p.app, &someone_else, fresh.link.id, now)
            .await
            .is_err()
    );
    // Expired: the gate says cut after its life.
    let info = GateInfo {
        story_id: s.id,
        access: Access::Subscribers,
    };
    let late = Reader {
        device: Some(5),
        gift_token: Some(fresh.token.clone()),
        ..Reader::default()
    };
    let life = p.app.config().paywall.gift_valid_secs;
    let v = entitlement::decide(&p.app, info, &late, now + life - 1).await?;
    assert_eq!(v.decision, Decision::Full);
    let v = entitlement::decide(&p.app, info, &late, now + life).await?;
    assert_eq!(v.decision, Decision::Cut, "an expired gift");
    // Links per month are capped (two made; eight more, then refused).
    for _ in 0..8 {
        gifts::make(&p.app, &giver, s.id, now).await?;
    }
    assert!(gifts::make(&p.app, &giver, s.id, now).await.is_err());
    // Free stories need no gift.
    let free = publish(&p, "Free", Access::Free, &body()).await?;
    assert!(
        gifts::make(&p.app, &someone_else, free.id, now)
            .await
            .is_err()
    );
    Ok(())
}

// ----- the route inventory -------------------------------------------------------------

/// The paths routed in `Web::router` (read from its source).
fn routed_paths() -> Result<BTreeSet<String>, Box<dyn std::error::Error>> {
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../broadsheet-web/src/lib.rs"),
    )?;
    let start = src.find("pub fn router(&self)").ok_or("no router")?;
    let end = start + src[start..].find(".fallback(").ok_or("no fallback")?;
    let mut out = BTreeSet::new();
    let mut sources = vec![src[start..end].to_string()];
    // Routers merged in (`.merge(module::routes())`) are read from their module.
    for part in src[start..end].split(".merge(").skip(1) {
        let module = part
            .split("::")
            .next()
            .ok_or("a merge that is not module::routes()")?;
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../broadsheet-web/src/{}.rs", module.trim()));
        let m = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let from = m
            .find("pub fn routes()")
            .ok_or("a merged module without routes()")?;
        let to = from + m[from..].find("\n}").ok_or("routes() does not end")?;
        sources.push(m[from..to].to_string());
    }
    let mut sources: Vec<(String, String)> =
        sources.into_iter().map(|s| (String::new(), s)).collect();
    // Routers nested under a prefix (`.nest("/api/v1", module::routes())`).
    for part in src[start..end].split(".nest(").skip(1) {
        let prefix = part
            .trim_start()
            .strip_prefix('"')
            .and_then(|r| r.split('"').next())
            .ok_or("a nest prefix that is not a literal")?;
        let module = part
            .split(',')
            .nth(1)
            .and_then(|m| m.split("::").next())
            .ok_or("a nest that is not module::routes()")?;
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../broadsheet-web/src/{}.rs", module.trim()));
        let m = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let from = m
            .find("pub fn routes()")
            .ok_or("a nested module without routes()")?;
        let to = from + m[from..].find("\n}").ok_or("routes() does not end")?;
        sources.push((prefix.to_string(), m[from..to].to_string()));
    }
    for (prefix, src) in sources {
        for part in src.split(".route(").skip(1) {
            let path = part
                .trim_start()
                .strip_prefix('"')
                .and_then(|r| r.split('"').next())
                .ok_or("a route path that is not a literal")?;
            out.insert(format!("{prefix}{path}"));
        }
    }
    out.insert("*".into());
    Ok(out)
}

#[tokio::test]
async fn every_route_that_can_show_story_text_takes_it_from_the_gate() -> TestResult {
    // 1. Every route is classified, and every classified route exists.
    let listed: BTreeSet<String> = broadsheet_web::ROUTES
        .iter()
        .map(|(r, _)| (*r).to_string())
        .collect();
    assert_eq!(
        routed_paths()?,
        listed,
        "Web::router and broadsheet_web::ROUTES differ: classify every route"
    );
    // 2. In the web crate only the story page renders a story body, through
    //    render::story_body (the gate); only the newsroom renders staff text.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../broadsheet-web/src");
    for e in std::fs::read_dir(&dir)? {
        let path = e?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let src = std::fs::read_to_string(&path)?;
        if name != "newsroom.rs" {
            for forbidden in [
                "render::body_html",
                "render::preview_html",
                "markup::render(",
                "markup::plain_text",
            ] {
                assert!(
                    !src.contains(forbidden),
                    "{name} calls {forbidden}: take story text from the gate"
                );
            }
        }
        let n = src.matches("render::story_body(").count();
        assert_eq!(
            n,
            usize::from(name == "pages.rs"),
            "{name}: render::story_body calls"
        );
    }
    let lib = std::fs::read_to_string(dir.join("lib.rs"))?;
    assert!(
        lib.contains("paywall::story(&web, path, addr.id"),
        "story addresses bypass paywall.rs"
    );
    // 3. Probe every reader route with the paid story published: no
    //    reader-facing route shows its paid text; staff routes send
    //    readers to sign in.
    let p = paper().await?;
    let s = publish(&p, "Inventory probe", Access::Subscribers, &body()).await?;
    let tag = p.story_where(|s| !s.tags.is_empty()).await?.tags[0]
        .slug
        .clone();
    let author = p.story_where(|s| !s.authors.is_empty()).await?.authors[0]
        .slug
        .clone();
    for (route, kind) in broadsheet_web::ROUTES {
        let url = match *route {
            "*" => p.path_of(&s),
            r => r
                .replace("{file}", "x")
                .replace("{name}", "most-read")
                .replace(
                    "{slug}",
                    if r.starts_with("/tags") {
                        &tag
                    } else {
                        &author
                    },
                )
                .replace("{id}", &s.id.to_string()),
        };
        // The event stream, asked to replay the paid story from its start
        // (read for its first moments: a stream never ends).
        let url = if url == "/events" {
            format!("/events?story={}&after=0", s.id)
        } else {
            url
        };
        let r = p.get(&url).await?;
        assert!(
            !r.body.contains(SECRET),
            "{route} ({kind:?}) showed paid text"
        );
        if *kind == StoryText::StaffOnly {
            assert_ne!(
                r.status,
                StatusCode::OK,
                "{route}: staff text without signing in"
            );
        }
        if *kind == StoryText::ThroughGate {
            assert_cut(&r, route);
        }
    }
    Ok(())
}

// ----- accounts: subscribers, lapsed subscribers, cancellations ------------------------

/// A subscriber reads everything, privately; a cancellation takes effect on
/// the next request (nothing about the reader is cached), and the lapsed
/// subscriber is a registered reader on the meter again. The subscriber's
/// full page is never served to the next anonymous reader.
#[tokio::test]
async fn subscribers_lapsed_subscribers_and_cancellations() -> TestResult {
    let p = paper().await?;
    let subs = publish(&p, "Members only", Access::Subscribers, &body()).await?;
    let subs_path = p.path_of(&subs);
    let mut metered = Vec::new();
    for i in 0..4 {
        let s = publish(&p, &format!("Metered {i}"), Access::Metered, &body()).await?;
        metered.push(p.path_of(&s));
    }
    let (id, cookie) = signed_in(&p, "sub@example.org").await?;
    let with = [("cookie", cookie.as_str())];
    let ent = subscribe(&p, id).await?;
    let r = p.request(&subs_path, &with).await?;
    assert_full(&r, "subscriber");
    assert!(r.body.contains("/account/gifts?story="), "no gift offer");
    assert!(
        meter_cookie(&r).is_none(),
        "a subscriber was given a meter cookie"
    );
    // The next anonymous reader: the cut, though the full page is cached.
    assert_cut(&p.get(&subs_path).await?, "anonymous after a subscriber");
    // Cancelled: the very next request.
    cancel(&p, ent).await?;
    let r = p.request(&subs_path, &with).await?;
    assert_cut(&r, "lapsed subscriber");
    let prompt = between(&r.body, "class=\"paywall\"", "</section>");
    assert!(
        !prompt.contains("Register for free") && !prompt.contains("Sign in"),
        "a signed-in reader offered sign in or register: {prompt}"
    );
    // The lapsed subscriber, with a Googlebot User-Agent, a forged Google
    // address and Referer: still the cut.
    let r = p
        .request(
            &subs_path,
            &[
                ("cookie", cookie.as_str()),
                (
                    "user-agent",
                    "Googlebot/2.1 (+http://www.google.com/bot.html)",
                ),
                ("x-forwarded-for", "66.249.66.1"),
                ("referer", "https://www.google.com/"),
            ],
        )
        .await?;
    assert_cut(&r, "lapsed subscriber as Googlebot");
    // On the meter as a registered reader: three stories, then the cut.
    for path in &metered[..3] {
        assert_full(
            &p.request(path, &with).await?,
            "registered reader, meter left",
        );
    }
    let r = p.request(&metered[3], &with).await?;
    assert_cut(&r, "registered reader, meter spent");
    assert!(!r.body.contains("Register for free"));
    // Subscribing again opens everything at once.
    subscribe(&p, id).await?;
    assert_full(&p.request(&metered[3], &with).await?, "subscribed again");
    Ok(())
}

/// The gift pages: a subscriber makes a link from a story's page, the link
/// opens the story, and the link's page counts and revokes.
#[tokio::test]
async fn gift_links_through_the_account_pages() -> TestResult {
    let p = paper().await?;
    let s = publish(&p, "Give me", Access::Subscribers, &body()).await?;
    let (id, cookie) = signed_in(&p, "giver@example.org").await?;
    subscribe(&p, id).await?;
    let with = [("cookie", cookie.as_str())];
    let r = p
        .request(&format!("/account/gifts?story={}", s.id), &with)
        .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.header("cache-control"), "private, no-store");
    let csrf = value_after(&r.body, "name=\"csrf\" value=\"");
    let form = format!("csrf={csrf}&story={}", s.id);
    let r = p.post("/account/gifts", &form, &with).await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let link = value_after(&r.body, "readonly value=\"");
    let local = link.split_once("://").map(|(_, r)| r).unwrap_or(&link);
    let local = &local[local.find('/').ok_or("no path in the link")?..];
    assert!(local.contains("?gift="), "{link}");
    assert_full(&p.get(local).await?, "holder of the link from the page");
    // Without the CSRF token nothing is made.
    let r = p
        .post("/account/gifts", &format!("story={}", s.id), &with)
        .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Signed out: to the account page.
    let r = p.get("/account/gifts").await?;
    assert!(r.status.is_redirection());
    // Revoke through the page.
    let r = p.request("/account/gifts", &with).await?;
    assert!(r.body.contains("1 of 10"), "readers brought: {}", r.body);
    let link_id = value_after(&r.body, "name=\"id\" value=\"");
    let r = p
        .post(
            "/account/gifts/revoke",
            &format!("csrf={csrf}&id={link_id}"),
            &with,
        )
        .await?;
    assert!(r.body.contains("Revoked"), "{}", r.body);
    assert_cut(&p.get(local).await?, "a revoked link");
    Ok(())
}

/// The newsroom's buttons: an editor sets a section and a tag "subscribers
/// only over the meter" from the sections page, and readers see it at once.
#[tokio::test]
async fn the_newsroom_sets_sections_and_tags_over_the_meter() -> TestResult {
    let p = paper().await?;
    let s = publish(&p, "Metered here", Access::Metered, &body()).await?;
    let path = p.path_of(&s);
    let r = p.get(&path).await?;
    assert_full(&r, "before");
    let cookie = meter_cookie(&r).ok_or("no meter cookie")?;
    let reader = [("cookie", cookie.as_str())];
    // Sign in an editor (the sign-in form's double-submit cookie, then the session).
    let user = p
        .app
        .store()
        .staff()
        .await?
        .into_iter()
        .find(|(_, _, r)| r == "editor")
        .map(|(u, _, _)| u)
        .ok_or("no editor")?;
    let f = p.get("/newsroom/sign-in").await?;
    let signin_cookie = f
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap_or("")
        .to_string();
    let r = p
        .post(
            "/newsroom/sign-in",
            &format!(
                "csrf={}&username={user}&password={}",
                value_after(&f.body, "name=\"csrf\" value=\""),
                p.password(&user)
            ),
            &[("cookie", signin_cookie.as_str())],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let session = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("bs_staff="))
        .and_then(|c| c.split(';').next())
        .ok_or("no staff session")?
        .to_string();
    let staff = [("cookie", session.as_str())];
    let page = p.request("/newsroom/sections", &staff).await?;
    assert!(
        page.body.contains("Metered stories for subscribers only"),
        "no button"
    );
    let csrf = value_after(&page.body, "name=\"csrf\" value=\"");
    let root = p.app.sections().ancestry(s.section_id)[0].id;
    let r = p
        .post(
            "/newsroom/sections",
            &format!("csrf={csrf}&section={root}&do=paywall-on"),
            &staff,
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_cut(
        &p.request(&path, &reader).await?,
        "section set from the newsroom",
    );
    let page = p.request("/newsroom/sections", &staff).await?;
    assert!(page.body.contains("Metered stories back on the meter"));
    p.post(
        "/newsroom/sections",
        &format!("csrf={csrf}&section={root}&do=paywall-off"),
        &staff,
    )
    .await?;
    assert_full(&p.request(&path, &reader).await?, "section cleared");
    // A tag: a metered story with one, then the tag set from the page.
    let editor = crate::support::staff_of_role(&p, "editor").await?;
    let e = StoryEdit {
        section_id: s.section_id,
        headline: "Tagged and metered".into(),
        standfirst: "Free standfirst.".into(),
        body: body(),
        byline_text: None,
        access: Access::Metered,
        breaking: false,
        seo_title: String::new(),
        seo_description: String::new(),
        tags: vec!["Members Corner".into()],
        authors: Vec::new(),
        lead_picture_id: None,
    };
    let id = newsroom::create(&p.app, &editor.actor(), &e).await?;
    newsroom::publish(&p.app, &editor.actor(), id, 1, None).await?;
    let t = p.app.store().story(id).await?.ok_or("story vanished")?;
    let tagged = p.path_of(&t);
    assert_full(&p.request(&tagged, &reader).await?, "tagged, before");
    let tag = t.tags[0].id;
    let r = p
        .post(
            "/newsroom/sections",
            &format!("csrf={csrf}&tag={tag}&do=tag-paywall-on"),
            &staff,
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_cut(
        &p.request(&tagged, &reader).await?,
        "tag set from the newsroom",
    );
    let page = p.request("/newsroom/sections", &staff).await?;
    assert!(
        page.body
            .contains("Metered stories with these tags are for subscribers only: Members Corner")
    );
    Ok(())
}
