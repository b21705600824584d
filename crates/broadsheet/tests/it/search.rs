//! Reader search (issue 13, item 1) through the real router on a real
//! database: relevance (a headline match above a body match), stemming,
//! typos, filters, order, pages and bounds; withdrawn stories leave the
//! index; paid text is found only by subscribers (not in results, snippets
//! or counts for anyone else); `broadsheet reindex` on the command line; a
//! second node follows a publish and a withdrawal within a second.

use std::process::Command;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::StatusCode;
use broadsheet_app::search::{self, Ask, Entitled, Sort};
use broadsheet_app::{App, PaperConfig, newsroom, readers};
use broadsheet_domain::{Access, EntitlementSource, Story};
use broadsheet_store::StoryEdit;
use broadsheet_web::{Web, WebOptions};

use crate::support::{Paper, Reply, TestResult, between, database_url, send_to};

type R<T> = Result<T, Box<dyn std::error::Error>>;

/// Only the paid part of the paid test story holds this word.
const SECRET: &str = "zqxsearchpaid";

/// A demo paper whose index has been built.
async fn paper(stories: usize) -> R<Paper> {
    let p = Paper::demo(stories).await?;
    search::rebuild(&p.app).await?;
    Ok(p)
}

fn edit(section_id: i64, headline: &str, body: &str, access: Access) -> StoryEdit {
    StoryEdit {
        section_id,
        headline: headline.into(),
        standfirst: "A standfirst.".into(),
        body: body.into(),
        byline_text: None,
        access,
        breaking: false,
        seo_title: String::new(),
        seo_description: String::new(),
        tags: Vec::new(),
        authors: Vec::new(),
        lead_picture_id: None,
    }
}

/// Publishes a story through the newsroom's use cases on `app` (its change
/// event is applied on that node at once).
async fn publish_on(app: &App, p: &Paper, e: &StoryEdit) -> R<Story> {
    let editor = crate::support::staff_of_role(p, "editor").await?;
    let id = newsroom::create(app, &editor.actor(), e).await?;
    newsroom::publish(app, &editor.actor(), id, 1, None).await?;
    Ok(app.store().story(id).await?.ok_or("story vanished")?)
}

async fn publish(p: &Paper, headline: &str, body: &str, access: Access) -> R<Story> {
    let section = p.story_where(|_| true).await?.section_id;
    publish_on(&p.app, p, &edit(section, headline, body, access)).await
}

/// The story ids of a results page, in order.
fn result_ids(r: &Reply) -> Vec<i64> {
    if !r.body.contains("class=\"stories search-results\"") {
        return Vec::new();
    }
    between(&r.body, "class=\"stories search-results\"", "</ol>")
        .split("<h2><a href=\"")
        .skip(1)
        .filter_map(|h| h.split('"').next())
        .filter_map(|u| u.rsplit('-').next()?.parse().ok())
        .collect()
}

fn q(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_headline_match_ranks_above_a_body_only_match() -> TestResult {
    let p = paper(6).await?;
    // The body-only match first, so it is not ahead by age or id alone.
    let body = publish(
        &p,
        "Harbour dredging resumes",
        "The plan for Quorblex Quay was agreed.\n\nMore follows.",
        Access::Free,
    )
    .await?;
    let head = publish(
        &p,
        "Quorblex Quay reopens",
        "Nothing here names it.\n\nStill nothing.",
        Access::Free,
    )
    .await?;
    let r = p.get("/search?q=quorblex").await?;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(result_ids(&r), vec![head.id, body.id], "{}", r.body);
    // Highlighted, escaped snippet of the body match.
    assert!(r.body.contains("<b>Quorblex</b>"), "{}", r.body);
    // Never shared: the answer depends on who asks.
    assert_eq!(r.header("cache-control"), "private, no-store");
    Ok(())
}

#[tokio::test]
async fn stemming_and_typos_find_the_word() -> TestResult {
    let p = paper(4).await?;
    let s = publish(
        &p,
        "Plimpton council meets",
        "The Plimpton council voted on Tuesday.\n\nIt was close.",
        Access::Free,
    )
    .await?;
    // Plural and inflected forms reach the stem.
    let r = p.get("/search?q=Plimptons+councils").await?;
    assert!(result_ids(&r).contains(&s.id), "stemming: {}", r.body);
    let r = p.get("/search?q=voting+plimpton").await?;
    assert!(result_ids(&r).contains(&s.id), "stemming: {}", r.body);
    // One letter missing from a long word.
    let r = p.get("/search?q=Plimptn").await?;
    assert!(result_ids(&r).contains(&s.id), "typo: {}", r.body);
    // A word nowhere at all finds nothing.
    let r = p.get("/search?q=xyzzyquux").await?;
    assert!(result_ids(&r).is_empty());
    assert!(r.body.contains("No stories found"), "{}", r.body);
    Ok(())
}

#[tokio::test]
async fn withdrawn_stories_are_never_found() -> TestResult {
    let p = paper(4).await?;
    let s = publish(
        &p,
        "Vintonbury mill closes",
        "Workers at Vintonbury heard on Monday.",
        Access::Free,
    )
    .await?;
    assert_eq!(
        result_ids(&p.get("/search?q=vintonbury").await?),
        vec![s.id]
    );
    let editor = crate::support::staff_of_role(&p, "editor").await?;
    newsroom::withdraw(&p.app, &editor.actor(), s.id).await?;
    // Out of the index itself (the count comes from it), not only hidden.
    let found = search::search(
        &p.app,
        &Ask {
            q: "vintonbury".into(),
            page: 1,
            ..Ask::default()
        },
        Entitled::All,
    )
    .await?;
    assert_eq!(found.total, 0, "the withdrawn story is still indexed");
    let r = p.get("/search?q=vintonbury").await?;
    assert!(result_ids(&r).is_empty(), "{}", r.body);
    // And a rebuild from the database does not bring it back.
    search::rebuild(&p.app).await?;
    assert!(result_ids(&p.get("/search?q=vintonbury").await?).is_empty());
    Ok(())
}

fn paid_body() -> String {
    [
        "Free opening paragraph about Dunmarrow.",
        "Free second paragraph.",
        &format!("Paid third paragraph with {SECRET}."),
        &format!("Paid fourth paragraph, {SECRET} again."),
    ]
    .join("\n\n")
}

/// A signed-in subscriber's Cookie header value.
async fn subscriber(p: &Paper, email: &str) -> R<String> {
    let a = readers::register(&p.app, email, "a long enough password", "Sub").await?;
    let s = readers::start_session(&p.app, a.id).await?;
    let mut tx = p.app.store().begin().await?;
    tx.grant_entitlement(
        a.id,
        EntitlementSource::Subscription,
        "sub_test",
        broadsheet_app::now() - 60,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(format!("bs_reader={}", s.token))
}

/// A registered reader who does not subscribe.
async fn registered(p: &Paper, email: &str) -> R<String> {
    let a = readers::register(&p.app, email, "a long enough password", "Reg").await?;
    let s = readers::start_session(&p.app, a.id).await?;
    Ok(format!("bs_reader={}", s.token))
}

#[tokio::test]
async fn paid_text_is_found_only_by_subscribers() -> TestResult {
    let p = paper(4).await?;
    for access in [Access::Subscribers, Access::Metered] {
        let s = publish(&p, &format!("Dunmarrow {access:?}"), &paid_body(), access).await?;
        let reg = registered(&p, &format!("reg-{access:?}@example.org")).await?;
        let not_entitled: Vec<Vec<(&str, &str)>> = vec![Vec::new(), vec![("cookie", reg.as_str())]];
        for headers in &not_entitled {
            // Words only in the paid part: nothing, not even a count.
            let r = p.request(&format!("/search?q={SECRET}"), headers).await?;
            assert_eq!(r.status, StatusCode::OK);
            assert!(result_ids(&r).is_empty(), "{access:?}: {}", r.body);
            assert!(r.body.contains("No stories found"), "{}", r.body);
            assert!(!r.body.contains(&s.headline), "{}", r.body);
            let count = between(&r.body, "class=\"search-count\">", "</p>");
            assert!(count.contains(">No stories found"), "a count: {count}");
            // A free word finds the story, and its snippet is free text only.
            let r = p.request("/search?q=dunmarrow+paragraph", headers).await?;
            assert!(result_ids(&r).contains(&s.id), "{}", r.body);
            let results = between(&r.body, "search-results", "</ol>");
            assert!(
                !results.contains(SECRET),
                "paid text in a snippet: {results}"
            );
            assert!(!results.contains("Paid third"), "paid text: {results}");
            // The app's own answer agrees: no count from paid text.
            let found = search::search(
                &p.app,
                &Ask {
                    q: SECRET.into(),
                    page: 1,
                    ..Ask::default()
                },
                Entitled::Free,
            )
            .await?;
            assert_eq!((found.total, found.hits.len()), (0, 0));
        }
        // A subscriber searches the paid part too, snippet and all.
        let cookie = subscriber(&p, &format!("sub-{access:?}@example.org")).await?;
        let r = p
            .request(&format!("/search?q={SECRET}"), &[("cookie", &cookie)])
            .await?;
        assert!(result_ids(&r).contains(&s.id), "{}", r.body);
        assert!(r.body.contains(&format!("<b>{SECRET}</b>")), "{}", r.body);
        assert_eq!(r.header("cache-control"), "private, no-store");
        // The next anonymous reader is not given the subscriber's answer.
        let r = p.get(&format!("/search?q={SECRET}")).await?;
        assert!(result_ids(&r).is_empty());
    }
    Ok(())
}

#[tokio::test]
async fn filters_and_order() -> TestResult {
    let p = paper(30).await?;
    let tree = p.app.sections();
    let sections: Vec<(i64, String)> = tree.top().map(|s| (s.id, s.path.clone())).collect();
    let ((a_id, a_path), (b_id, _)) = (sections[0].clone(), sections[1].clone());
    let body = "Wexcombe fair returns.\n\nIt is the Wexcombe fair.";
    let a = publish_on(&p.app, &p, &edit(a_id, "Wexcombe fair", body, Access::Free)).await?;
    let b = publish_on(&p.app, &p, &edit(b_id, "Wexcombe fair", body, Access::Free)).await?;
    let both = result_ids(&p.get("/search?q=wexcombe").await?);
    assert!(both.contains(&a.id) && both.contains(&b.id), "{both:?}");
    // Section (and the sections below it).
    let r = p
        .get(&format!("/search?q=wexcombe&section={}", q(&a_path)))
        .await?;
    assert_eq!(result_ids(&r), vec![a.id], "{}", r.body);
    let r = p.get("/search?q=wexcombe&section=no-such-section").await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("no such section"), "{}", r.body);
    // Dates, in the paper's zone: today has both, tomorrow and before
    // yesterday nothing.
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(p.app.config().time_zone.clone())
        .date();
    let day = |d: jiff::civil::Date| d.to_string();
    let tomorrow = today.tomorrow()?;
    let long_ago = today.checked_sub(jiff::Span::new().days(3))?;
    let r = p
        .get(&format!(
            "/search?q=wexcombe&from={}&to={}",
            day(today),
            day(today)
        ))
        .await?;
    assert_eq!(result_ids(&r).len(), 2, "{}", r.body);
    let r = p
        .get(&format!("/search?q=wexcombe&from={}", day(tomorrow)))
        .await?;
    assert!(result_ids(&r).is_empty(), "{}", r.body);
    let r = p
        .get(&format!("/search?q=wexcombe&to={}", day(long_ago)))
        .await?;
    assert!(result_ids(&r).is_empty(), "{}", r.body);
    let r = p.get("/search?q=wexcombe&from=yesterday").await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("is not a date"), "{}", r.body);
    // Author: a demo story's author finds it; another author's slug not.
    let by = p.story_where(|s| !s.authors.is_empty()).await?;
    let word = by
        .headline
        .split_whitespace()
        .find(|w| w.len() > 4 && w.chars().all(char::is_alphabetic))
        .ok_or("no word")?
        .to_string();
    let slug = &by.authors[0].slug;
    let r = p
        .get(&format!("/search?q={}&author={}", q(&word), q(slug)))
        .await?;
    assert!(result_ids(&r).contains(&by.id), "{}", r.body);
    let r = p
        .get(&format!("/search?q={}&author=nobody-at-all", q(&word)))
        .await?;
    assert!(result_ids(&r).is_empty(), "{}", r.body);
    // Newest first: publication times never go up down the page.
    let found = search::search(
        &p.app,
        &Ask {
            q: "the".into(),
            sort: Sort::Newest,
            page: 1,
            ..Ask::default()
        },
        Entitled::Free,
    )
    .await?;
    assert!(found.hits.len() > 3);
    let times: Vec<i64> = found.hits.iter().map(|h| h.published_at).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    let r = p.get("/search?q=the&sort=newest").await?;
    let datetimes: Vec<&str> = r
        .body
        .split("<time datetime=\"")
        .skip(1)
        .filter_map(|t| t.split('"').next())
        .collect();
    assert!(datetimes.len() > 3, "{}", r.body);
    let r = p.get("/search?q=the&sort=sideways").await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn pages_of_results_and_bounds() -> TestResult {
    let p = paper(40).await?;
    let r1 = p.get("/search?q=the").await?;
    let first = result_ids(&r1);
    assert_eq!(first.len(), search::PER_PAGE, "{}", r1.body);
    assert!(r1.body.contains("rel=\"next\""), "no next page");
    assert!(!r1.body.contains("rel=\"prev\""));
    let next = between(&r1.body, "<a href=\"/search?", "\" rel=\"next\"")
        .trim_start_matches("<a href=\"/search?")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let r2 = p.get(&format!("/search?{next}")).await?;
    let second = result_ids(&r2);
    assert!(!second.is_empty());
    assert!(
        second.iter().all(|id| !first.contains(id)),
        "pages overlap: {first:?} {second:?} via {next}"
    );
    assert!(r2.body.contains("rel=\"prev\""));
    // Bounds: each with a message saying what to do.
    for (url, says) in [
        ("/search?q=the&page=0".to_string(), "Pages of results"),
        (
            format!("/search?q=the&page={}", search::MAX_PAGE + 1),
            "Pages of results",
        ),
        ("/search?q=the&page=two".to_string(), "not valid"),
        ("/search?q=&page=1".to_string(), "Type a word"),
        (
            "/search?q=%21%3F+%E2%80%94".to_string(),
            "punctuation alone",
        ),
        (
            format!("/search?q={}", "a".repeat(search::MAX_QUERY_CHARS + 1)),
            "too long",
        ),
    ] {
        let r = p.get(&url).await?;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{url}");
        assert!(r.body.contains(says), "{url}: {}", r.body);
        assert!(result_ids(&r).is_empty());
    }
    // The bare page is the form; every reader page has the masthead box.
    let r = p.get("/search").await?;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("name=\"q\""));
    let home = p.get("/").await?;
    assert!(
        home.body.contains("action=\"/search\"") && home.body.contains("#i-search"),
        "no search box in the masthead"
    );
    Ok(())
}

fn broadsheet(args: &[&str]) -> std::process::Output {
    match Command::new(env!("CARGO_BIN_EXE_broadsheet"))
        .args(args)
        .env_remove("BROADSHEET_DATABASE_URL")
        .env_remove("BROADSHEET_CONFIG")
        .env("BROADSHEET_LOG", "warn")
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!("cannot run broadsheet: {e}"),
    }
}

#[tokio::test]
async fn reindex_on_the_command_line_rebuilds_the_index() -> TestResult {
    let dir = tempfile::tempdir()?;
    let url = database_url(dir.path()).await?;
    let d = dir.path().to_str().ok_or("path")?;
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = extra.to_vec();
        args.extend_from_slice(&["--data-dir", d, "--database-url", url.as_str()]);
        broadsheet(&args)
    };
    let out = run(&["demo", "--stories", "12"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["reindex"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("search index rebuilt: 12 stories in"),
        "{text}"
    );
    // The index is on disk, and a node opening it finds the stories.
    let index_dir = search::default_dir(dir.path());
    assert!(index_dir.join("meta.json").exists());
    let store = crate::support::store(&url).await?;
    let config = PaperConfig {
        search_dir: Some(index_dir),
        ..PaperConfig::default()
    };
    let app = App::new(store, config).await?;
    assert_eq!(app.search().len(), 12);
    Ok(())
}

#[tokio::test]
async fn a_second_node_follows_within_a_second() -> TestResult {
    let p = paper(6).await?;
    // Node B: its own app, index (built at start, in the background) and poller.
    let b_app = App::new(crate::support::store(&p.url).await?, PaperConfig::default()).await?;
    let b = Web::new(
        b_app.clone(),
        WebOptions {
            cache_bytes: 16 << 20,
            metrics: None,
            metrics_token: None,
            esi: false,
            ..WebOptions::default()
        },
    )
    .router();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let jobs = b_app.spawn_jobs(stop_rx);
    let t = Instant::now();
    while !b_app.search().is_ready() && t.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(b_app.search().is_ready(), "node B never built its index");
    let on_b = |word: &'static str| {
        let b = b.clone();
        async move {
            let r = send_to(&b, "GET", &format!("/search?q={word}"), Body::empty(), &[]).await?;
            Ok::<_, Box<dyn std::error::Error>>(result_ids(&r))
        }
    };
    assert!(on_b("glenmorvit").await?.is_empty());
    // Published through node A.
    let s = publish(
        &p,
        "Glenmorvit bridge opens",
        "At Glenmorvit today.",
        Access::Free,
    )
    .await?;
    let t0 = Instant::now();
    let mut seen = None;
    while t0.elapsed() < Duration::from_secs(3) {
        if on_b("glenmorvit").await?.contains(&s.id) {
            seen = Some(t0.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Withdrawn through node A: out of B's index.
    let editor = crate::support::staff_of_role(&p, "editor").await?;
    newsroom::withdraw(&p.app, &editor.actor(), s.id).await?;
    let t1 = Instant::now();
    let mut gone = None;
    while t1.elapsed() < Duration::from_secs(3) {
        let ask = Ask {
            q: "glenmorvit".into(),
            page: 1,
            ..Ask::default()
        };
        if search::search(&b_app, &ask, Entitled::Free).await?.total == 0 {
            gone = Some(t1.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let _ = stop.send(true);
    for j in jobs {
        let _ = j.await;
    }
    let seen = seen.ok_or("node B never found the new story")?;
    assert!(seen < Duration::from_secs(1), "found after {seen:?}");
    let gone = gone.ok_or("node B kept the withdrawn story")?;
    assert!(gone < Duration::from_secs(1), "gone after {gone:?}");
    Ok(())
}

/// The newsroom's search (issue 13 item 1): drafts are found by those the
/// permission table lets see them, counted only for them, never by readers;
/// an edit is followed; withdrawn stories are not found.
#[tokio::test]
async fn the_newsroom_searches_the_drafts_the_table_lets_it_see() -> TestResult {
    use broadsheet_domain::Actor;
    let p = paper(3).await?;
    let section = p.story_where(|_| true).await?.section_id;
    let role = |r: &'static str| {
        let p = &p;
        async move { R::Ok(crate::support::staff_of_role(p, r).await?.actor()) }
    };
    let contributor = role("contributor").await?;
    let word = "zqxdeskdraft";
    let own = newsroom::create(
        &p.app,
        &contributor,
        &edit(
            section,
            "Council budget draft",
            &format!("Notes on the {word} figures."),
            Access::Free,
        ),
    )
    .await?;
    let others = newsroom::create(
        &p.app,
        &Actor::Operator,
        &edit(
            section,
            "Harbour plans draft",
            &format!("The {word} harbour."),
            Access::Subscribers,
        ),
    )
    .await?;
    p.app.apply_changes().await?;
    let ask = |q: &str| Ask {
        q: q.into(),
        page: 1,
        ..Ask::default()
    };
    let found = |actor: Actor, q: String| {
        let p = &p;
        async move {
            let r = search::desk_search(&p.app, &actor, &ask(&q)).await?;
            let mut ids: Vec<i64> = r.hits.iter().map(|h| h.story.id).collect();
            ids.sort();
            R::Ok((ids, r.total))
        }
    };
    let mut both = vec![own, others];
    both.sort();
    assert_eq!(
        found(contributor, word.into()).await?,
        (vec![own], 1),
        "a contributor finds their own draft only"
    );
    assert_eq!(
        found(role("reporter").await?, word.into()).await?,
        (vec![], 0),
        "another's drafts are not counted either"
    );
    assert_eq!(
        found(role("editor").await?, word.into()).await?,
        (both.clone(), 2)
    );
    assert_eq!(
        found(role("admin").await?, word.into()).await?,
        (both.clone(), 2)
    );
    assert!(matches!(
        search::desk_search(&p.app, &role("moderator").await?, &ask(word)).await,
        Err(broadsheet_app::AppError::Forbidden(_))
    ));
    // Readers: nothing, in results or counts, through the API and the page.
    let r = search::search(&p.app, &ask(word), Entitled::All).await?;
    assert_eq!((r.hits.len(), r.total), (0, 0), "a reader found a draft");
    let page = p.get(&format!("/search?q={word}")).await?;
    assert!(result_ids(&page).is_empty());
    assert!(
        !page.body.contains("Harbour plans draft") && !page.body.contains("Council budget draft")
    );
    let api = p.get(&format!("/api/v1/search?q={word}")).await?;
    assert!(!api.body.contains("draft"), "{}", api.body);
    // An edit is followed: the old word goes, the new one is found.
    newsroom::save(
        &p.app,
        &contributor,
        own,
        1,
        &edit(
            section,
            "Council budget draft",
            "Notes on the zqxdeskrevised figures.",
            Access::Free,
        ),
    )
    .await?;
    p.app.apply_changes().await?;
    assert_eq!(found(contributor, word.into()).await?, (vec![], 0));
    assert_eq!(
        found(contributor, "zqxdeskrevised".into()).await?,
        (vec![own], 1)
    );
    // Published then withdrawn: found while published, then never.
    let editor = role("editor").await?;
    newsroom::publish(&p.app, &editor, others, 1, None).await?;
    assert_eq!(
        found(role("reporter").await?, word.into()).await?,
        (vec![others], 1),
        "a published story is anyone's to find"
    );
    newsroom::withdraw(&p.app, &editor, others).await?;
    p.app.apply_changes().await?;
    assert_eq!(found(editor, word.into()).await?, (vec![], 0));
    Ok(())
}
