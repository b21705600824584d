//! Feeds and sitemaps (issue 13, items 2 and 3), through the real router
//! on a real database (both backends):
//!
//! - every feed (paper, section, tag, author × RSS, Atom, JSON Feed) parses
//!   with a real parser (`feed-rs`; and Python's `feedparser` from the test
//!   venv, reporting `bozo == 0`), names its enclosure, and holds a paid
//!   story's preview but never its paid text, and a free story in full;
//! - item ids stay the same when a headline is edited;
//! - ETag and 304, the page cache and its purge on publish;
//! - a withdrawn story leaves every feed and sitemap at once;
//! - sitemaps are well-formed XML in the sitemap (and News) namespaces, with
//!   the story's true `lastmod`; the News sitemap lists the last two days
//!   only, 1,000 a file; `robots.txt` names the index.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use axum::http::StatusCode;
use broadsheet_app::feeds::{NEWS_PER_FILE, NEWS_WINDOW_SECS};
use broadsheet_app::newsroom;
use broadsheet_domain::{Access, Story, StoryStatus};
use broadsheet_store::{NewStory, Saved, StoryEdit};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use crate::support::{Paper, TestResult};

/// A word only the paid part of the paid test story holds.
const SECRET: &str = "zqxfeedpaidword";
/// A word deep in the free test story (past any preview).
const FREE_DEEP: &str = "zqxfreedeepword";
const TAG: &str = "Feedtesttag";

fn paid_body() -> String {
    [
        "Free opening paragraph.",
        "Free second paragraph.",
        &format!("Paid third paragraph with {SECRET}."),
        &format!("Paid fourth paragraph, {SECRET} again & <more>."),
    ]
    .join("\n\n")
}

fn free_body() -> String {
    [
        "One.",
        "Two.",
        "Three.",
        "Four.",
        &format!("Five, with {FREE_DEEP}."),
    ]
    .join("\n\n")
}

fn base() -> String {
    "http://127.0.0.1:8080".to_string()
}

/// The part of an absolute address after the base URL.
fn local(url: &str) -> &str {
    url.strip_prefix("http://127.0.0.1:8080").unwrap_or(url)
}

struct Setup {
    p: Paper,
    paid: Story,
    free: Story,
    section_path: String,
    author_slug: String,
    tag_slug: String,
}

/// A demo paper with a paid story (tagged, by the editor, with a lead
/// picture) and a free one, both just published.
async fn setup() -> Result<Setup, Box<dyn std::error::Error>> {
    let p = Paper::demo(12).await?;
    let editor = crate::support::staff_of_role(&p, "editor").await?;
    let with_pic = p.story_where(|s| s.lead_picture.is_some()).await?;
    let pic = with_pic.lead_picture.as_ref().map(|p| p.id);
    let mut ids = Vec::new();
    for (headline, access, body) in [
        ("Paid feed story", Access::Subscribers, paid_body()),
        ("Free feed story", Access::Free, free_body()),
    ] {
        let e = StoryEdit {
            section_id: with_pic.section_id,
            headline: headline.into(),
            standfirst: "A standfirst that is free.".into(),
            body,
            byline_text: None,
            access,
            breaking: false,
            seo_title: String::new(),
            seo_description: String::new(),
            tags: vec![TAG.into()],
            authors: vec![editor.id],
            lead_picture_id: pic,
        };
        let id = newsroom::create(&p.app, &editor.actor(), &e).await?;
        newsroom::publish(&p.app, &editor.actor(), id, 1, None).await?;
        ids.push(id);
    }
    let paid = p.app.store().story(ids[0]).await?.ok_or("paid story")?;
    let free = p.app.store().story(ids[1]).await?.ok_or("free story")?;
    let section_path = p.app.sections().path(paid.section_id).to_string();
    let author_slug = paid.authors.first().ok_or("no byline")?.slug.clone();
    let tag_slug = paid.tags.first().ok_or("no tag")?.slug.clone();
    Ok(Setup {
        p,
        paid,
        free,
        section_path,
        author_slug,
        tag_slug,
    })
}

impl Setup {
    /// Every feed address: 4 scopes × 3 formats.
    fn feeds(&self) -> Vec<String> {
        let dirs = [
            "/feeds".to_string(),
            format!("/feeds/sections/{}", self.section_path),
            format!("/feeds/tags/{}", self.tag_slug),
            format!("/feeds/authors/{}", self.author_slug),
        ];
        let mut out = Vec::new();
        for d in dirs {
            for f in ["rss.xml", "atom.xml", "feed.json"] {
                out.push(format!("{d}/{f}"));
            }
        }
        out
    }
}

/// The entry of `feed` for the story `id` (by its link), parsed by feed-rs.
fn entry_of(feed: &feed_rs::model::Feed, path: &str) -> Option<feed_rs::model::Entry> {
    feed.entries
        .iter()
        .find(|e| e.links.iter().any(|l| local(&l.href) == path))
        .cloned()
}

#[tokio::test]
async fn every_feed_parses_holds_the_preview_and_never_paid_text() -> TestResult {
    let s = setup().await?;
    let paid_path = s.p.path_of(&s.paid);
    let free_path = s.p.path_of(&s.free);
    for url in s.feeds() {
        let r = s.p.get(&url).await?;
        assert_eq!(r.status, StatusCode::OK, "{url}: {}", r.body);
        let want = if url.ends_with(".json") {
            "application/feed+json"
        } else if url.ends_with("rss.xml") {
            "application/rss+xml"
        } else {
            "application/atom+xml"
        };
        assert!(r.header("content-type").starts_with(want), "{url}");
        assert!(!r.body.contains(SECRET), "{url}: paid text in a feed");
        let feed = feed_rs::parser::parse(r.body.as_bytes())
            .map_err(|e| format!("{url} does not parse: {e}\n{}", r.body))?;
        let paid = entry_of(&feed, &paid_path).ok_or(format!("{url}: no paid story"))?;
        let free = entry_of(&feed, &free_path).ok_or(format!("{url}: no free story"))?;
        let text = |e: &feed_rs::model::Entry| {
            e.content
                .as_ref()
                .and_then(|c| c.body.clone())
                .unwrap_or_default()
        };
        assert!(
            text(&paid).contains("Free second paragraph."),
            "{url}: no preview"
        );
        assert!(text(&paid).contains("for subscribers"), "{url}: no note");
        assert!(text(&free).contains(FREE_DEEP), "{url}: a free story cut");
        assert!(
            paid.id.starts_with("tag:127.0.0.1,"),
            "{url}: id {}",
            paid.id
        );
        assert!(paid.id.ends_with(&format!(":story-{}", s.paid.id)), "{url}");
        // The lead picture as an enclosure, with its length and type.
        let enclosure = if url.ends_with("rss.xml") {
            r.body
                .contains("<enclosure url=\"http://127.0.0.1:8080/media/")
                && r.body.contains("type=\"image/jpeg\"")
        } else if url.ends_with("atom.xml") {
            r.body
                .contains("rel=\"enclosure\" type=\"image/jpeg\" length=\"")
        } else {
            let v: serde_json::Value = serde_json::from_str(&r.body)?;
            assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
            // JSON Feed 1.1's required and expected fields.
            assert!(
                v["title"].is_string() && v["feed_url"].as_str().is_some_and(|u| u.ends_with(&url))
            );
            for i in v["items"].as_array().ok_or("no items")? {
                assert!(
                    i["id"].is_string() && i["url"].is_string() && i["content_html"].is_string(),
                    "{i}"
                );
                for d in ["date_published", "date_modified"] {
                    let t = i[d].as_str().ok_or("no date")?;
                    t.parse::<jiff::Timestamp>()
                        .map_err(|e| format!("{d} {t}: {e}"))?;
                }
            }
            v["items"].as_array().is_some_and(|items| {
                items.iter().any(|i| {
                    i["attachments"][0]["size_in_bytes"].as_i64().unwrap_or(0) > 0
                        && i["image"].as_str().is_some_and(|u| u.contains("/media/"))
                })
            })
        };
        assert!(enclosure, "{url}: no picture enclosure");
        if !url.ends_with(".json") {
            let len: i64 = r
                .body
                .split("length=\"")
                .nth(1)
                .and_then(|t| t.split('"').next())
                .ok_or("no length")?
                .parse()?;
            assert!(len > 100, "{url}: enclosure length {len}");
        }
        // Real feed readers read it too (feedparser 6.0 reads RSS and Atom,
        // not JSON Feed: that one is checked field by field above).
        if !url.ends_with(".json") {
            feedparser_accepts(&url, r.header("content-type"), &r.body)?;
        }
    }
    // Each page's head names the paper's feeds, and a front its own.
    let home = s.p.get("/").await?;
    for f in ["/feeds/rss.xml", "/feeds/atom.xml", "/feeds/feed.json"] {
        assert!(
            home.body.contains("rel=\"alternate\" type=\"application/")
                && home.body.contains(&format!("href=\"{f}\"")),
            "home does not link {f}"
        );
    }
    let story = s.p.get(&free_path).await?;
    assert!(story.body.contains("href=\"/feeds/atom.xml\""));
    let tag = s.p.get(&format!("/tags/{}", s.tag_slug)).await?;
    assert!(tag.body.contains(&format!(
        "type=\"application/atom+xml\" title=\"{TAG} (Atom)\" href=\"/feeds/tags/{}/atom.xml\"",
        s.tag_slug
    )));
    let author = s.p.get(&format!("/authors/{}", s.author_slug)).await?;
    assert!(
        author
            .body
            .contains(&format!("/feeds/authors/{}/rss.xml", s.author_slug))
    );
    let section = s.p.get(&format!("/{}", s.section_path)).await?;
    assert!(
        section
            .body
            .contains(&format!("/feeds/sections/{}/feed.json", s.section_path))
    );
    // Unknown feeds are not found.
    for bad in [
        "/feeds/nope.xml",
        "/feeds/tags/no-such-tag/rss.xml",
        "/feeds/authors/nobody/atom.xml",
        "/feeds/sections/no/such/feed.json",
        "/feeds/sections/rss.xml",
    ] {
        assert_eq!(s.p.get(bad).await?.status, StatusCode::NOT_FOUND, "{bad}");
    }
    Ok(())
}

fn venv() -> PathBuf {
    std::env::var_os("BROADSHEET_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv-test"))
}

/// Python's `feedparser` (PyPI) reads `body` without complaint (`bozo == 0`).
fn feedparser_accepts(url: &str, content_type: &str, body: &str) -> TestResult {
    let python = venv().join("bin/python");
    let has_it = Command::new(&python)
        .args(["-c", "import feedparser"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_it {
        return Err(format!(
            "the feed tests need feedparser in {}: run `python3 -m venv .venv-test && .venv-test/bin/pip install feedparser` at the repository root (or `bash scripts/test.sh tests-sqlite`, which does it), or point BROADSHEET_TEST_VENV at a venv that has it",
            venv().display()
        )
        .into());
    }
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("feed");
    std::fs::write(&file, body)?;
    let out = Command::new(&python)
        .args([
            "-c",
            "import sys, feedparser\n\
             d = feedparser.parse(open(sys.argv[1], 'rb').read(), response_headers={'content-type': sys.argv[2]})\n\
             print(d.bozo, d.version, len(d.entries), repr(d.get('bozo_exception')))\n\
             sys.exit(0 if d.bozo == 0 and d.version and d.entries else 1)",
        ])
        .arg(&file)
        .arg(content_type)
        .output()?;
    assert!(
        out.status.success(),
        "feedparser on {url}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// The id every format gives the story at `path`.
async fn ids_of(
    s: &Setup,
    path: &str,
) -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for f in ["rss.xml", "atom.xml", "feed.json"] {
        let r = s.p.get(&format!("/feeds/{f}")).await?;
        let feed = feed_rs::parser::parse(r.body.as_bytes())?;
        let e = entry_of(&feed, path).ok_or(format!("{f}: story missing"))?;
        out.push((e.id, e.title.map(|t| t.content).unwrap_or_default()));
    }
    Ok(out)
}

#[tokio::test]
async fn item_ids_stay_when_the_headline_is_edited() -> TestResult {
    let s = setup().await?;
    let editor = crate::support::staff_of_role(&s.p, "editor").await?;
    let before = ids_of(&s, &s.p.path_of(&s.free)).await?;
    assert!(
        before.iter().all(|(_, t)| t == "Free feed story"),
        "{before:?}"
    );
    let st = &s.free;
    let e = StoryEdit {
        section_id: st.section_id,
        headline: "A wholly different headline".into(),
        standfirst: st.standfirst.clone(),
        body: st.body.clone(),
        byline_text: None,
        access: st.access,
        breaking: false,
        seo_title: String::new(),
        seo_description: String::new(),
        tags: st.tags.iter().map(|t| t.name.clone()).collect(),
        authors: st.authors.iter().map(|a| a.id).collect(),
        lead_picture_id: st.lead_picture.as_ref().map(|p| p.id),
    };
    let saved = newsroom::save(&s.p.app, &editor.actor(), st.id, st.version, &e).await?;
    assert!(matches!(saved, Saved::Ok(_)), "{saved:?}");
    let edited = s.p.app.store().story(st.id).await?.ok_or("gone")?;
    let after = ids_of(&s, &s.p.path_of(&edited)).await?;
    assert!(
        after
            .iter()
            .all(|(_, t)| t == "A wholly different headline"),
        "the cached feeds were not purged: {after:?}"
    );
    let ids = |v: &[(String, String)]| v.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&before), ids(&after), "ids changed with the headline");
    Ok(())
}

#[tokio::test]
async fn conditional_requests_cache_and_purge_on_publish() -> TestResult {
    let s = setup().await?;
    for url in [
        "/feeds/atom.xml",
        "/feeds/rss.xml",
        "/feeds/feed.json",
        "/sitemap.xml",
        "/sitemaps/sections.xml",
        "/sitemaps/news.xml",
    ] {
        let first = s.p.get(url).await?;
        assert_eq!(first.status, StatusCode::OK, "{url}");
        let etag = first.header("etag").to_string();
        assert!(
            !etag.is_empty() && !first.header("last-modified").is_empty(),
            "{url}"
        );
        assert!(first.header("cache-control").starts_with("public"), "{url}");
        assert!(!first.header("surrogate-key").is_empty(), "{url}");
        let again =
            s.p.request(url, &[("if-none-match", etag.as_str())])
                .await?;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{url}");
        assert!(again.body.is_empty());
        let other = s.p.request(url, &[("if-none-match", "\"nope\"")]).await?;
        assert_eq!(other.status, StatusCode::OK, "{url}");
        let lm = first.header("last-modified").to_string();
        let since =
            s.p.request(url, &[("if-modified-since", lm.as_str())])
                .await?;
        assert_eq!(
            since.status,
            StatusCode::NOT_MODIFIED,
            "{url}: If-Modified-Since"
        );
    }
    // Kept in the page cache (the News sitemap moves with the clock: not kept).
    assert_eq!(s.p.get("/feeds/atom.xml").await?.header("x-cache"), "hit");
    assert_eq!(s.p.get("/sitemap.xml").await?.header("x-cache"), "hit");
    assert_eq!(
        s.p.get("/sitemaps/news.xml").await?.header("x-cache"),
        "miss"
    );
    // A publish purges them: the new story is there on the next request.
    let editor = crate::support::staff_of_role(&s.p, "editor").await?;
    let e = StoryEdit {
        section_id: s.free.section_id,
        headline: "Published after the cache filled".into(),
        standfirst: "Standfirst.".into(),
        body: "Body.".into(),
        byline_text: None,
        access: Access::Free,
        breaking: false,
        seo_title: String::new(),
        seo_description: String::new(),
        tags: vec![TAG.into()],
        authors: vec![editor.id],
        lead_picture_id: None,
    };
    let id = newsroom::create(&s.p.app, &editor.actor(), &e).await?;
    newsroom::publish(&s.p.app, &editor.actor(), id, 1, None).await?;
    let new = s.p.app.store().story(id).await?.ok_or("gone")?;
    let path = s.p.path_of(&new);
    for url in s.feeds() {
        let r = s.p.get(&url).await?;
        assert!(r.body.contains(&path), "{url} was not purged by a publish");
    }
    let month = month_of(new.published_at.ok_or("unpublished")?);
    assert!(
        s.p.get(&format!("/sitemaps/stories-{month}.xml"))
            .await?
            .body
            .contains(&path)
    );
    assert!(s.p.get("/sitemaps/news.xml").await?.body.contains(&path));
    Ok(())
}

fn month_of(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|t| t.strftime("%Y-%m").to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_withdrawn_story_leaves_feeds_and_sitemaps_at_once() -> TestResult {
    let s = setup().await?;
    let path = s.p.path_of(&s.free);
    let month = month_of(s.free.published_at.ok_or("unpublished")?);
    let sitemaps = [
        format!("/sitemaps/stories-{month}.xml"),
        "/sitemaps/news.xml".to_string(),
    ];
    // Warm every cache.
    for url in s.feeds().iter().chain(sitemaps.iter()) {
        let r = s.p.get(url).await?;
        assert!(r.body.contains(&path), "{url} lacks the story before");
    }
    let editor = crate::support::staff_of_role(&s.p, "editor").await?;
    newsroom::withdraw(&s.p.app, &editor.actor(), s.free.id).await?;
    for url in s.feeds().iter().chain(sitemaps.iter()) {
        let r = s.p.get(url).await?;
        assert_eq!(r.status, StatusCode::OK, "{url}");
        assert!(
            !r.body.contains(&path),
            "{url} still lists a withdrawn story"
        );
        assert!(!r.body.contains("Free feed story"), "{url}");
    }
    Ok(())
}

/// A sitemap's root namespace and name, its `<loc>`s and `<lastmod>`s.
type Parsed = (String, String, Vec<String>, Vec<String>);

/// Parses `xml` with namespaces: the root's namespace and local name, and
/// every `<loc>` and `<lastmod>` (in order) of the sitemap namespace.
fn sitemap_xml(xml: &str) -> Result<Parsed, Box<dyn std::error::Error>> {
    const NS: &[u8] = b"http://www.sitemaps.org/schemas/sitemap/0.9";
    let mut r = quick_xml::NsReader::from_str(xml);
    let mut root = None;
    let mut locs = Vec::new();
    let mut lastmods = Vec::new();
    let mut current: Option<String> = None;
    let mut depth = 0usize;
    loop {
        match r.read_resolved_event()? {
            (ns, Event::Start(e)) => {
                depth += 1;
                let local = e.local_name().as_ref().to_string();
                let ns = match ns {
                    ResolveResult::Bound(n) => n.as_ref().to_string(),
                    _ => String::new(),
                };
                if root.is_none() {
                    root = Some((ns.clone(), local.clone()));
                }
                current = (ns.as_bytes() == NS).then_some(local);
            }
            (_, Event::Text(t)) => {
                let text = quick_xml::escape::unescape(&t.into_inner())?.into_owned();
                match current.as_deref() {
                    Some("loc") => locs.push(text),
                    Some("lastmod") => lastmods.push(text),
                    _ => {}
                }
            }
            (_, Event::End(_)) => {
                depth = depth.checked_sub(1).ok_or("unbalanced")?;
                current = None;
            }
            (_, Event::Eof) => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    let (ns, name) = root.ok_or("no root element")?;
    Ok((ns, name, locs, lastmods))
}

#[tokio::test]
async fn sitemaps_are_well_formed_with_true_lastmod_and_robots_names_the_index() -> TestResult {
    let s = setup().await?;
    let robots = s.p.get("/robots.txt").await?;
    assert!(
        robots
            .body
            .lines()
            .any(|l| l == format!("Sitemap: {}/sitemap.xml", base())),
        "{}",
        robots.body
    );
    let index = s.p.get("/sitemap.xml").await?;
    assert_eq!(index.status, StatusCode::OK);
    assert!(index.header("content-type").starts_with("application/xml"));
    let (ns, root, files, _) = sitemap_xml(&index.body)?;
    assert_eq!(
        (ns.as_str(), root.as_str()),
        (
            "http://www.sitemaps.org/schemas/sitemap/0.9",
            "sitemapindex"
        )
    );
    let names: BTreeSet<&str> = files.iter().map(|f| local(f)).collect();
    for want in [
        "/sitemaps/sections.xml",
        "/sitemaps/authors.xml",
        "/sitemaps/news.xml",
    ] {
        assert!(names.contains(want), "index lacks {want}: {names:?}");
    }
    assert!(names.iter().any(|n| n.starts_with("/sitemaps/stories-")));
    let mut all_locs = BTreeSet::new();
    for f in &files {
        assert!(f.starts_with(&base()), "{f} is not absolute");
        let r = s.p.get(local(f)).await?;
        assert_eq!(r.status, StatusCode::OK, "{f}");
        let (ns, root, locs, _) = sitemap_xml(&r.body)?;
        assert_eq!(
            (ns.as_str(), root.as_str()),
            ("http://www.sitemaps.org/schemas/sitemap/0.9", "urlset"),
            "{f}"
        );
        if f.contains("/news") {
            assert!(
                r.body
                    .contains("xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\"")
            );
            assert!(r.body.contains("<news:publication_date>"));
        }
        all_locs.extend(locs);
    }
    // Every published story is in its month file, with its last change as lastmod.
    let published =
        s.p.app
            .store()
            .count(broadsheet_store::Listing::All)
            .await?;
    let story_locs = all_locs
        .iter()
        .filter(|l| broadsheet_domain::permalink::parse_story_path(local(l)).is_some())
        .count();
    assert_eq!(story_locs as i64, published);
    let month = month_of(s.paid.published_at.ok_or("unpublished")?);
    let r = s.p.get(&format!("/sitemaps/stories-{month}.xml")).await?;
    let (_, _, locs, lastmods) = sitemap_xml(&r.body)?;
    let at = locs
        .iter()
        .position(|l| local(l) == s.p.path_of(&s.paid))
        .ok_or("paid story not in its month")?;
    let want =
        jiff::Timestamp::from_second(s.paid.modified_at.max(s.paid.published_at.unwrap_or(0)))?
            .to_string();
    assert_eq!(lastmods[at], want);
    assert!(all_locs.contains(&format!("{}/authors/{}", base(), s.author_slug)));
    assert!(all_locs.contains(&format!("{}/{}", base(), s.section_path)));
    for bad in [
        "/sitemaps/stories-2026-13.xml",
        "/sitemaps/stories-1999-01.xml",
        "/sitemaps/news-0.xml",
        "/sitemaps/x.xml",
    ] {
        assert_eq!(s.p.get(bad).await?.status, StatusCode::NOT_FOUND, "{bad}");
    }
    Ok(())
}

#[tokio::test]
async fn news_sitemap_is_the_last_two_days_a_thousand_a_file() -> TestResult {
    let p = Paper::demo(5).await?;
    let now = broadsheet_app::now();
    let any = p.story_where(|_| true).await?;
    let story = |i: usize, at: i64| NewStory {
        section_id: any.section_id,
        slug: format!("news-sitemap-{i}"),
        headline: format!("News sitemap story {i}"),
        standfirst: String::new(),
        body: "Body.".into(),
        byline_text: Some("Wire".into()),
        author_ids: Vec::new(),
        tag_ids: Vec::new(),
        status: StoryStatus::Published,
        access: Access::Free,
        breaking: false,
        published_at: Some(at),
        updated_at: None,
        lead_picture_id: None,
        created_at: at,
    };
    let mut new: Vec<NewStory> = (0..NEWS_PER_FILE as usize + 1)
        .map(|i| story(i, now - 60 - i as i64))
        .collect();
    // Just outside the window.
    new.push(story(99_999, now - NEWS_WINDOW_SECS - 3_600));
    p.app.store().insert_stories(&new).await?;
    let in_window = p
        .app
        .store()
        .sitemap_count(now - NEWS_WINDOW_SECS, i64::MAX)
        .await?;
    assert!(in_window > NEWS_PER_FILE);
    let parts = (in_window + NEWS_PER_FILE - 1) / NEWS_PER_FILE;
    let index = p.get("/sitemap.xml").await?;
    let (_, _, files, _) = sitemap_xml(&index.body)?;
    let news: Vec<&String> = files
        .iter()
        .filter(|f| f.contains("/sitemaps/news"))
        .collect();
    assert_eq!(news.len() as i64, parts, "{news:?}");
    let mut seen = BTreeSet::new();
    for f in news {
        let r = p.get(local(f)).await?;
        assert_eq!(r.status, StatusCode::OK, "{f}");
        let (_, _, locs, _) = sitemap_xml(&r.body)?;
        assert!(
            locs.len() as i64 <= NEWS_PER_FILE,
            "{f}: {} urls",
            locs.len()
        );
        for l in locs {
            assert!(seen.insert(l.clone()), "{l} twice");
        }
    }
    assert_eq!(seen.len() as i64, in_window);
    assert!(
        seen.iter().all(|l| !l.contains("news-sitemap-99999")),
        "an old story in the News sitemap"
    );
    assert!(seen.iter().any(|l| l.contains("news-sitemap-1000-")));
    assert_eq!(
        p.get(&format!("/sitemaps/news-{}.xml", parts + 1))
            .await?
            .status,
        StatusCode::NOT_FOUND
    );
    // The old story is in its month file all the same.
    let month = month_of(now - NEWS_WINDOW_SECS - 3_600);
    assert!(
        p.get(&format!("/sitemaps/stories-{month}.xml"))
            .await?
            .body
            .contains("news-sitemap-99999-")
    );
    Ok(())
}
