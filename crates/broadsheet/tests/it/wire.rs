//! Wire ingest (issue 14) through its real doors: the push endpoint and the
//! newsroom's wire and agencies pages through the router, the drop folder
//! through the job watching it, and the use case every door calls
//! (`wire::ingest_file`), on both databases. The command line and the
//! kill -9 test are in `cli.rs`.

use std::time::Duration;

use axum::http::StatusCode;
use broadsheet_app::wire::{self, AgencyFields, AgencyRow, FileOutcome, Source};
use broadsheet_app::{PaperConfig, newsroom};
use broadsheet_domain::{Actor, StoryStatus};
use serde_json::json;

use crate::newsroom::{form_field, signed_in};
use crate::support::{Paper, TestResult};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// One agency item in ninjs 2.x, our own text. `extra` is merged in.
pub(crate) fn ninjs(
    id: &str,
    version: i64,
    headline: &str,
    paras: &[&str],
    extra: serde_json::Value,
) -> Vec<u8> {
    let mut v = json!({
        "uri": id,
        "version": version.to_string(),
        "type": "text",
        "pubStatus": "usable",
        "headlines": [{"role": "main", "value": headline}],
        "by": "By Ann Writer",
        "bodies": [{"role": "main", "contentType": "text/plain", "value": paras.join("\n\n")}],
        "language": "en-GB",
        "urgency": 5,
    });
    if let (Some(m), serde_json::Value::Object(e)) = (v.as_object_mut(), extra) {
        m.extend(e);
    }
    v.to_string().into_bytes()
}

fn src(name: &str) -> Source<'_> {
    Source {
        transport: "test",
        name,
        dir: None,
    }
}

async fn agency(p: &Paper, slug: &str, mode: &str, rules: &str) -> Res<AgencyRow> {
    let section = p.app.sections().by_path("news").ok_or("no news")?.id;
    let id = wire::add_agency(
        &p.app,
        &Actor::Operator,
        &AgencyFields {
            slug: slug.into(),
            name: format!("{slug} Agency"),
            byline: "Test Agency".into(),
            credit: "Test Agency Pictures".into(),
            section_id: section,
            mode: mode.into(),
            active: true,
        },
    )
    .await?;
    if !rules.is_empty() {
        wire::set_rules(&p.app, &Actor::Operator, id, rules).await?;
    }
    Ok(p.app.store().agency(id).await?.ok_or("agency")?)
}

async fn ingest(p: &Paper, a: &AgencyRow, bytes: &[u8]) -> Res<Vec<wire::ItemOutcome>> {
    match wire::ingest_file(&p.app, a, &src("item.json"), bytes).await? {
        FileOutcome::Read(items) => Ok(items),
        FileOutcome::Quarantined { reason, .. } => Err(format!("quarantined: {reason}").into()),
    }
}

async fn one(p: &Paper, a: &AgencyRow, bytes: &[u8]) -> Res<wire::ItemOutcome> {
    let mut items = ingest(p, a, bytes).await?;
    // What every node's poll does within 500 ms (`changes::poll_loop`).
    p.app.apply_changes().await?;
    assert_eq!(items.len(), 1, "{items:?}");
    Ok(items.remove(0))
}

async fn page_of(p: &Paper, story: i64) -> Res<(String, crate::support::Reply)> {
    let s = p.app.store().story(story).await?.ok_or("no story")?;
    let path = p.path_of(&s);
    let r = p.get(&path).await?;
    Ok((path, r))
}

const RULES: &str = "subject football -> section sport\nplace Kelderby -> tag kelderby\n";

#[tokio::test]
async fn an_automatic_agency_publishes_updates_and_kills() -> TestResult {
    let p = Paper::demo(3).await?;
    let a = agency(&p, "auto", "auto", RULES).await?;
    let v1 = ninjs(
        "urn:test:cup-final",
        1,
        "APTOPIX Kelderby reach the county cup final",
        &[
            "Kelderby reached the county cup final on Saturday with a late goal.",
            "EDITOR'S NOTE: embargoed photos follow; not for readers.",
            "The winner came from the halfway line, the fourth of the season.",
            "ENDS",
        ],
        json!({"subjects": [{"name": "Football"}], "places": [{"name": "Kelderby"}], "urgency": 2}),
    );
    let o = one(&p, &a, &v1).await?;
    assert_eq!(o.result, "published", "{o}");
    let id = o.story.ok_or("no story")?;
    let story = p.app.store().story(id).await?.ok_or("story")?;
    assert_eq!(story.status, StoryStatus::Published);
    assert_eq!(story.headline, "Kelderby reach the county cup final");
    assert_eq!(
        story.byline_text.as_deref(),
        Some("Ann Writer, Test Agency")
    );
    assert!(story.breaking, "urgency 2 flags breaking");
    // The rules: football to Sport, Kelderby tagged.
    assert_eq!(p.app.sections().path(story.section_id), "sport");
    assert!(
        story.tags.iter().any(|t| t.slug == "kelderby"),
        "{:?}",
        story.tags
    );
    let (path, r) = page_of(&p, id).await?;
    assert_eq!(r.status, StatusCode::OK, "{path}");
    assert!(
        r.body.contains("By Ann Writer, Test Agency"),
        "byline on the page"
    );
    assert!(r.body.contains("late goal"));
    for junk in [
        "APTOPIX",
        "EDITOR&#39;S NOTE",
        "EDITOR'S NOTE",
        "not for readers",
        "ENDS",
    ] {
        assert!(!r.body.contains(junk), "{junk:?} reached readers");
    }
    assert!(
        p.get("/sport").await?.body.contains(&path),
        "on its section front"
    );
    // A newer version updates it: readers see "Updated:".
    let v3 = ninjs(
        "urn:test:cup-final",
        3,
        "Kelderby reach the county cup final after extra time",
        &[
            "Kelderby reached the county cup final after extra time on Saturday.",
            "A second paragraph of version three.",
        ],
        json!({"subjects": [{"name": "Football"}]}),
    );
    let o = one(&p, &a, &v3).await?;
    assert_eq!((o.result, o.story), ("updated", Some(id)), "{o}");
    let (_, r) = page_of(&p, id).await?;
    assert!(r.body.contains("after extra time"));
    assert!(r.body.contains("Updated:"), "readers see Updated:");
    // Out of order and repeated deliveries change nothing.
    let v2 = ninjs(
        "urn:test:cup-final",
        2,
        "Version two, late",
        &["Late text of version two."],
        json!({}),
    );
    assert_eq!(one(&p, &a, &v2).await?.result, "older");
    assert_eq!(one(&p, &a, &v3).await?.result, "duplicate");
    let (_, r) = page_of(&p, id).await?;
    assert!(r.body.contains("after extra time") && !r.body.contains("version two"));
    // The desk changes the story: the next version is held for it.
    let editor = crate::support::staff_of_role(&p, "editor").await?;
    let s = p.app.store().story(id).await?.ok_or("story")?;
    let mut e = broadsheet_store::StoryEdit::of(&s);
    e.headline = "Kelderby into the final (desk headline)".into();
    newsroom::save(&p.app, &editor.actor(), id, s.version, &e).await?;
    let v4 = ninjs(
        "urn:test:cup-final",
        4,
        "Agency version four",
        &["Text of version four."],
        json!({}),
    );
    let o = one(&p, &a, &v4).await?;
    assert_eq!(o.result, "held", "{o}");
    let (_, r) = page_of(&p, id).await?;
    assert!(r.body.contains("desk headline") && !r.body.contains("version four"));
    let mut d = signed_in(&p, "editor").await?;
    let w = d.get("/newsroom/wire").await?;
    assert!(
        w.body.contains("Agency version four"),
        "held version listed for the desk"
    );
    // The story's editor says where it came from, and that a version waits.
    let ed = d.get(&format!("/newsroom/stories/{id}")).await?;
    assert!(
        ed.body.contains("Agency copy") && ed.body.contains("urn:test:cup-final"),
        "origin shown"
    );
    assert!(
        ed.body.contains("A newer version came after"),
        "held version flagged"
    );
    // A kill takes it down everywhere.
    p.app.flush_views().await?;
    broadsheet_app::search::rebuild(&p.app).await?;
    let kill = ninjs(
        "urn:test:cup-final",
        5,
        "",
        &[],
        json!({"pubStatus": "canceled"}),
    );
    let o = one(&p, &a, &kill).await?;
    assert_eq!(o.result, "withdrawn", "{o}");
    let (path, r) = page_of(&p, id).await?;
    assert_eq!(r.status, StatusCode::GONE, "{path}");
    assert!(!p.get("/sport").await?.body.contains(&path));
    assert!(!p.get("/feeds/rss.xml").await?.body.contains(&path));
    assert!(!p.get("/sitemaps/news.xml").await?.body.contains(&path));
    assert_eq!(
        p.get(&format!("/api/v1/stories/{id}")).await?.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        !p.get("/search?q=kelderby+final")
            .await?
            .body
            .contains(&path)
    );
    // A kill is final.
    let v6 = ninjs("urn:test:cup-final", 6, "Back again", &["Text."], json!({}));
    assert_eq!(one(&p, &a, &v6).await?.result, "killed");
    assert_eq!(
        p.app.store().story(id).await?.ok_or("story")?.status,
        StoryStatus::Withdrawn
    );
    // Every automatic action is in the audit log, as the agency.
    let audit = p.app.store().audit_of(id).await?;
    let by_agency: Vec<&str> = audit
        .iter()
        .filter(|r| r.actor == "agency")
        .map(|r| r.action.as_str())
        .collect();
    for act in [
        "create",
        "published",
        "save",
        "wire.held",
        "withdrawn",
        "wire.killed",
    ] {
        assert!(by_agency.contains(&act), "{act} not audited: {by_agency:?}");
    }
    Ok(())
}

#[tokio::test]
async fn a_withheld_item_comes_back_with_its_next_version() -> TestResult {
    let p = Paper::demo(2).await?;
    let a = agency(&p, "hold", "auto", "").await?;
    let id = one(
        &p,
        &a,
        &ninjs(
            "urn:test:hold",
            1,
            "Harbour wall repairs begin",
            &["Work on the harbour wall began at dawn."],
            json!({}),
        ),
    )
    .await?
    .story
    .ok_or("story")?;
    let withheld = ninjs(
        "urn:test:hold",
        2,
        "Harbour wall repairs begin",
        &["x"],
        json!({"pubStatus": "withheld"}),
    );
    assert_eq!(one(&p, &a, &withheld).await?.result, "withdrawn");
    assert_eq!(page_of(&p, id).await?.1.status, StatusCode::GONE);
    let back = ninjs(
        "urn:test:hold",
        3,
        "Harbour wall repairs begin again",
        &["Work on the harbour wall resumed after a check."],
        json!({}),
    );
    let o = one(&p, &a, &back).await?;
    assert_eq!((o.result, o.story), ("updated", Some(id)), "{o}");
    let (_, r) = page_of(&p, id).await?;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("resumed after a check"));
    Ok(())
}

#[tokio::test]
async fn embargoes_are_honoured() -> TestResult {
    let p = Paper::demo(2).await?;
    let at = broadsheet_app::now() + 3600;
    let stamp = jiff::Timestamp::from_second(at)?.to_string();
    let embargoed = |id: &str| {
        ninjs(
            id,
            1,
            "Budget figures under embargo",
            &["The council's budget rises by two per cent."],
            json!({"embargoed": stamp}),
        )
    };
    // Automatic: scheduled for the embargo, not before readers now.
    let auto = agency(&p, "emb-auto", "auto", "").await?;
    let o = one(&p, &auto, &embargoed("urn:test:emb1")).await?;
    assert_eq!(o.result, "scheduled", "{o}");
    let s = p
        .app
        .store()
        .story(o.story.ok_or("story")?)
        .await?
        .ok_or("story")?;
    assert_eq!(
        (s.status, s.scheduled_at),
        (StoryStatus::Scheduled, Some(at))
    );
    assert_ne!(page_of(&p, s.id).await?.1.status, StatusCode::OK);
    // Queue: the desk may open it, but not publish it before the embargo.
    let q = agency(&p, "emb-queue", "queue", "").await?;
    assert_eq!(
        one(&p, &q, &embargoed("urn:test:emb2")).await?.result,
        "queued"
    );
    let row = p
        .app
        .store()
        .wire_item_by_key(q.id, "urn:test:emb2")
        .await?
        .ok_or("row")?;
    let editor = crate::support::staff_of_role(&p, "editor").await?;
    let id = wire::take(&p.app, &editor.actor(), row.id).await?;
    let v = p.app.store().story(id).await?.ok_or("story")?.version;
    let now_refused = newsroom::publish(&p.app, &editor.actor(), id, v, None).await;
    assert!(
        matches!(&now_refused, Err(broadsheet_app::AppError::Invalid(m)) if m.contains("embargoed")),
        "{now_refused:?}"
    );
    let early = newsroom::publish(&p.app, &editor.actor(), id, v, Some(at - 600)).await;
    assert!(early.is_err(), "scheduled before the embargo: {early:?}");
    let mut d = signed_in(&p, "editor").await?;
    let ed = d.get(&format!("/newsroom/stories/{id}")).await?;
    assert!(
        ed.body.contains("Embargoed until"),
        "the editor shows the embargo"
    );
    let ok = newsroom::publish(&p.app, &editor.actor(), id, v, Some(at)).await?;
    assert_eq!(ok, StoryStatus::Scheduled);
    // Killed after the desk took and scheduled it: back to draft, and it
    // can no longer be published.
    let kill = ninjs(
        "urn:test:emb2",
        2,
        "",
        &[],
        json!({"pubStatus": "canceled"}),
    );
    let o = one(&p, &q, &kill).await?;
    assert_eq!(o.result, "killed", "{o}");
    let s = p.app.store().story(id).await?.ok_or("story")?;
    assert_eq!(s.status, StoryStatus::Draft, "{o}");
    let v = s.version;
    let refused = newsroom::publish(&p.app, &editor.actor(), id, v, None).await;
    assert!(
        matches!(&refused, Err(broadsheet_app::AppError::Invalid(m)) if m.contains("killed")),
        "{refused:?}"
    );
    Ok(())
}

#[tokio::test]
async fn the_desk_works_the_queue_and_agencies_push() -> TestResult {
    let p = Paper::demo(2).await?;
    // An admin sets the agency up in the newsroom and makes its token.
    let mut admin = signed_in(&p, "admin").await?;
    let csrf = admin.csrf().await?;
    let news = p
        .app
        .sections()
        .by_path("news")
        .ok_or("news")?
        .id
        .to_string();
    let r = admin
        .post(
            "/newsroom/agencies",
            &[
                ("csrf", &csrf),
                ("do", "add"),
                ("slug", "pushco"),
                ("name", "Push Co"),
                ("byline", "Push Co"),
                ("credit", "Push Co Photos"),
                ("section", &news),
                ("mode", "queue"),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let a = wire::agency(&p.app, "pushco").await?;
    let r = admin
        .post(
            "/newsroom/agencies",
            &[
                ("csrf", &csrf),
                ("do", "token"),
                ("agency", &a.id.to_string()),
                ("slug", "pushco"),
            ],
        )
        .await?;
    let token = form_field(&r.body, "token-value\" readonly");
    let token = if token.is_empty() {
        r.body
            .split("id=\"token-value\" readonly value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("")
            .to_string()
    } else {
        token
    };
    assert_eq!(token.len(), 64, "token shown once: {}", r.body);
    // Bad rules are refused with the line and why.
    let r = admin
        .post(
            "/newsroom/agencies",
            &[
                ("csrf", &csrf),
                ("do", "rules"),
                ("agency", &a.id.to_string()),
                ("rules", "subject x tag y"),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Line 1"), "{}", r.body);
    // A reporter may not set agencies up.
    let mut reporter = signed_in(&p, "reporter").await?;
    assert_eq!(
        reporter.get("/newsroom/agencies").await?.status,
        StatusCode::FORBIDDEN
    );

    // The agency pushes: without the token, refused; with it, queued.
    let body = ninjs(
        "urn:test:push1",
        1,
        "Ferry timetable changes for winter",
        &[
            "The winter timetable starts next month.",
            "Two sailings are dropped.",
        ],
        json!({"urgency": 2, "subjects": [{"name": "Transport"}]}),
    );
    let bearer = format!("Bearer {token}");
    let r = p
        .post_bytes(
            "/wire/pushco",
            body.clone(),
            &[("content-type", "application/json")],
        )
        .await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let r = p
        .post_bytes(
            "/wire/pushco",
            body.clone(),
            &[
                ("content-type", "application/json"),
                ("authorization", "Bearer wrong"),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = p
        .post_bytes(
            "/wire/pushco",
            body.clone(),
            &[
                ("content-type", "application/json"),
                ("authorization", &bearer),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body)?;
    assert_eq!(v["items"][0]["result"], "queued", "{v}");
    let r = p
        .post_bytes(
            "/wire/pushco",
            body,
            &[
                ("content-type", "application/json"),
                ("authorization", &bearer),
            ],
        )
        .await?;
    assert!(r.body.contains("\"duplicate\""), "{}", r.body);
    // A broken file: a clear reason, quarantined, an alert in the newsroom.
    let broken = b"{\"uri\": \"urn:test:broken\", \"headlines\": [".to_vec();
    let r = p
        .post_bytes(
            "/wire/pushco",
            broken.clone(),
            &[
                ("content-type", "application/json"),
                ("authorization", &bearer),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("not well-formed") && r.body.contains("quarantine"),
        "{}",
        r.body
    );
    let too_big = vec![b' '; broadsheet_domain::wire::MAX_BYTES + 10];
    let r = p
        .post_bytes(
            "/wire/pushco",
            too_big,
            &[
                ("content-type", "application/json"),
                ("authorization", &bearer),
            ],
        )
        .await?;
    assert!(
        r.status.is_client_error() && r.body.contains("limit"),
        "{} {}",
        r.status,
        r.body
    );

    // The desk: the queue, filtered, and the alert.
    let mut editor = signed_in(&p, "editor").await?;
    let dash = editor.get("/newsroom").await?;
    assert!(
        dash.body.contains("1 agency file could not be read"),
        "dashboard alert"
    );
    let w = editor.get("/newsroom/wire").await?;
    assert!(w.body.contains("Ferry timetable changes for winter"));
    assert!(w.body.contains("not well-formed"), "the reason is shown");
    assert!(
        editor
            .get("/newsroom/wire?urgency=1")
            .await?
            .body
            .contains("Nothing waiting.")
    );
    assert!(
        editor
            .get("/newsroom/wire?subject=transport")
            .await?
            .body
            .contains("Ferry timetable")
    );
    assert!(
        editor
            .get("/newsroom/wire?subject=astronomy")
            .await?
            .body
            .contains("Nothing waiting.")
    );
    let alert = p.app.store().quarantine_open(10).await?;
    let alert = alert.first().ok_or("no alert")?;
    let orig = editor
        .get(&format!("/newsroom/wire/quarantine/{}", alert.id))
        .await?;
    assert_eq!(
        orig.body.as_bytes(),
        broken.as_slice(),
        "the original is kept whole"
    );
    assert_eq!(orig.header("content-type"), "application/octet-stream");
    let row = p
        .app
        .store()
        .wire_item_by_key(a.id, "urn:test:push1")
        .await?
        .ok_or("row")?;
    let csrf = editor.csrf().await?;
    let r = editor
        .post(
            "/newsroom/wire",
            &[
                ("csrf", &csrf),
                ("do", "take"),
                ("item", &row.id.to_string()),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let story: i64 = r
        .header("location")
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("no story in the redirect")?;
    let s = p.app.store().story(story).await?.ok_or("story")?;
    assert_eq!(s.status, StoryStatus::Draft);
    assert_eq!(s.byline_text.as_deref(), Some("Ann Writer, Push Co"));
    assert_eq!(s.standfirst, "The winter timetable starts next month.");
    // Taken once only.
    let again = editor
        .post(
            "/newsroom/wire",
            &[
                ("csrf", &csrf),
                ("do", "take"),
                ("item", &row.id.to_string()),
            ],
        )
        .await?;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("opened already"), "{}", again.body);
    // Dismissing the alert.
    let r = editor
        .post(
            "/newsroom/wire",
            &[
                ("csrf", &csrf),
                ("do", "dismiss"),
                ("item", &alert.id.to_string()),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        !editor
            .get("/newsroom")
            .await?
            .body
            .contains("could not be read")
    );
    Ok(())
}

#[tokio::test]
async fn broken_and_hostile_files_are_quarantined_and_nothing_is_made() -> TestResult {
    let p = Paper::demo(2).await?;
    let a = agency(&p, "bad", "auto", "").await?;
    let before = p
        .app
        .store()
        .cards(broadsheet_store::Listing::All, 1000, 0)
        .await?
        .len();
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:x" version="1"><contentSet><inlineXML><html><body><p>&lol3;</p></body></html></inlineXML></contentSet></newsItem>"#;
    let external = r#"<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:y" version="1"><itemMeta><title>&xxe;</title></itemMeta></newsItem>"#;
    let undefined = r#"<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:z" version="1"><contentMeta><headline>&xxe;</headline></contentMeta></newsItem>"#;
    let good = ninjs(
        "urn:test:fine",
        1,
        "A fine item",
        &["Fine text."],
        json!({}),
    );
    let mut truncated_xml =
        std::fs::read(fixture("newsml-g2/LISTING_2_NewsML-G2_Text_Document.xml"))?;
    truncated_xml.truncate(truncated_xml.len() / 2);
    let mut latin1 = good.clone();
    latin1.extend_from_slice(b"\xe9\xe8");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "malformed.json",
            b"{\"uri\": \"urn:q\", ".to_vec(),
            "not well-formed",
        ),
        ("truncated.xml", truncated_xml, "not well-formed"),
        (
            "oversized.json",
            vec![b' '; broadsheet_domain::wire::MAX_BYTES + 1],
            "limit",
        ),
        ("latin1.json", latin1, "not UTF-8"),
        ("laughs.xml", laughs.as_bytes().to_vec(), "DTD"),
        ("external.xml", external.as_bytes().to_vec(), "DTD"),
        ("undefined.xml", undefined.as_bytes().to_vec(), "entity"),
        ("binary.bin", vec![0u8, 159, 146, 150], "UTF-8"),
    ];
    for (name, bytes, why) in &cases {
        match wire::ingest_file(&p.app, &a, &src(name), bytes).await? {
            FileOutcome::Quarantined { reason, .. } => {
                assert!(reason.contains(why), "{name}: {reason}")
            }
            FileOutcome::Read(items) => panic!("{name} was read: {items:?}"),
        }
    }
    let after = p
        .app
        .store()
        .cards(broadsheet_store::Listing::All, 1000, 0)
        .await?
        .len();
    assert_eq!(before, after, "nothing half-made appeared");
    let open = p.app.store().quarantine_open(100).await?;
    assert_eq!(open.len(), cases.len());
    for (name, bytes, _) in &cases {
        let q = open.iter().find(|q| q.name == *name).ok_or("missing")?;
        let (_, kept) = p
            .app
            .store()
            .quarantine_original(q.id)
            .await?
            .ok_or("kept")?;
        assert_eq!(&kept, bytes, "{name} kept whole");
    }
    // A paused agency's files are refused with what to do.
    let mut paused = AgencyFields {
        slug: a.slug.clone(),
        name: a.name.clone(),
        byline: a.byline.clone(),
        credit: a.credit.clone(),
        section_id: a.section_id,
        mode: a.mode.clone(),
        active: false,
    };
    wire::update_agency(&p.app, &Actor::Operator, a.id, &paused).await?;
    let a2 = p.app.store().agency(a.id).await?.ok_or("agency")?;
    let r = wire::ingest_file(&p.app, &a2, &src("x.json"), &good).await;
    assert!(
        matches!(&r, Err(broadsheet_app::AppError::Invalid(m)) if m.contains("paused")),
        "{r:?}"
    );
    paused.active = true;
    wire::update_agency(&p.app, &Actor::Operator, a.id, &paused).await?;
    Ok(())
}

pub(crate) fn fixture(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests-fixtures/iptc")
        .join(rel)
}

#[tokio::test]
async fn every_iptc_example_is_ingested() -> TestResult {
    let p = Paper::demo(2).await?;
    let mut files = 0;
    // One agency for each standard's examples: the versions' examples share
    // item ids, which would otherwise be duplicates.
    for (n, dir) in ["ninjs/1.6", "ninjs/2.2", "ninjs/3.1", "newsml-g2"]
        .iter()
        .enumerate()
    {
        let a = agency(&p, &format!("iptc{n}"), "queue", "").await?;
        let mut paths = Vec::new();
        for e in std::fs::read_dir(fixture(dir))? {
            let path = e?.path();
            if matches!(
                path.extension().and_then(|x| x.to_str()),
                Some("json" | "xml")
            ) {
                paths.push(path);
            }
        }
        paths.sort();
        let mut queued = Vec::new();
        for f in &paths {
            files += 1;
            let bytes = std::fs::read(f)?;
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            match wire::ingest_file(&p.app, &a, &src(&name), &bytes).await? {
                FileOutcome::Quarantined { reason, .. } => panic!("{dir}/{name}: {reason}"),
                FileOutcome::Read(items) => {
                    // A package of references or a fragment holds no item.
                    assert_eq!(
                        items.is_empty(),
                        name.starts_with("LISTING_6_") || name.starts_with("LISTING_25_"),
                        "{dir}/{name}"
                    );
                    for o in items {
                        // Pictures, events and items without a headline or
                        // text are refused with the reason; no file fails.
                        assert!(
                            matches!(o.result, "queued" | "refused" | "duplicate"),
                            "{dir}/{name}: {o}"
                        );
                        if o.result == "queued" {
                            queued.push(name.clone());
                        }
                    }
                }
            }
        }
        let expected: &[&str] = if dir.starts_with("ninjs") {
            &[
                "001_simple_example.json",
                "003_associations_example.json",
                "005_complex_text_article.json",
                "007_multimedia.json",
            ]
        } else {
            &["LISTING_2_NewsML-G2_Text_Document.xml"]
        };
        assert_eq!(queued, expected, "{dir}");
    }
    assert!(files >= 28, "{files} examples");
    Ok(())
}

/// A small JPEG made here (no third-party picture).
fn jpeg() -> Res<Vec<u8>> {
    let img = image::RgbImage::from_fn(640, 400, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg)?;
    Ok(out.into_inner())
}

#[tokio::test]
async fn the_drop_folder_takes_complete_files_and_their_pictures() -> TestResult {
    let drop = tempfile::tempdir()?;
    let mut config = PaperConfig::default();
    config.wire.dir = Some(drop.path().to_path_buf());
    config.wire.scan_every = Duration::from_millis(50);
    let p = Paper::demo_with(2, config).await?;
    let a = agency(&p, "dropco", "auto", "").await?;
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let job = tokio::spawn(wire::drop_loop(p.app.clone(), stop));
    let dir = drop.path().join("dropco");
    for _ in 0..100 {
        if dir.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A picture next to the item, named by its rendition.
    std::fs::write(dir.join("harbour.jpg"), jpeg()?)?;
    let item = ninjs(
        "urn:test:drop1",
        1,
        "Harbour lights switched on",
        &[
            "The harbour lights were switched on at dusk.",
            "Crowds gathered on the quay.",
        ],
        json!({"associations": {"featureimage": {"type": "picture", "headlines": [{"role": "main", "value": "Lights"}],
            "descriptions": [{"role": "caption", "value": "The quay at dusk as the lights came on."}],
            "by": "Jo Lens", "renditions": {"original": {"href": "harbour.jpg", "mimetype": "image/jpeg", "width": 640, "height": 400}}}}}),
    );
    // Written under a temporary name, then renamed: only then is it read.
    std::fs::write(dir.join("drop1.json.tmp"), &item)?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        p.app
            .store()
            .wire_item_by_key(a.id, "urn:test:drop1")
            .await?
            .is_none(),
        "a .tmp file was read"
    );
    std::fs::rename(dir.join("drop1.json.tmp"), dir.join("drop1.json"))?;
    std::fs::write(dir.join("broken.xml"), b"<newsItem><unclosed>")?;
    let mut story = None;
    for _ in 0..200 {
        if let Some(r) = p
            .app
            .store()
            .wire_item_by_key(a.id, "urn:test:drop1")
            .await?
            && r.story_id.is_some()
            && p.app.store().quarantine_count().await? == 1
        {
            story = r.story_id;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let id = story.ok_or("the dropped file was not published")?;
    let s = p.app.store().story(id).await?.ok_or("story")?;
    assert_eq!(s.status, StoryStatus::Published);
    let pic = s.lead_picture.ok_or("no lead picture")?;
    let pics = p.app.store().pictures(&[pic.id]).await?;
    let pic = pics.first().ok_or("picture")?;
    assert_eq!(pic.credit, "Jo Lens");
    assert!(pic.caption.contains("lights came on"));
    // The files are moved out of the way: done and quarantined.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let names = |sub: &str| -> Vec<String> {
        std::fs::read_dir(dir.join(sub))
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        names(".done").iter().any(|n| n.ends_with("drop1.json")),
        "{:?}",
        names(".done")
    );
    assert!(
        names(".quarantine")
            .iter()
            .any(|n| n.ends_with("broken.xml")),
        "{:?}",
        names(".quarantine")
    );
    assert!(!dir.join("drop1.json").exists() && !dir.join("broken.xml").exists());
    let _ = stop_tx.send(true);
    let _ = job.await;
    Ok(())
}

#[tokio::test]
async fn a_text_item_may_bring_its_body_by_reference() -> TestResult {
    let p = Paper::demo(2).await?;
    let a = agency(&p, "remote", "queue", "").await?;
    let dir = tempfile::tempdir()?;
    let item = |guid: &str, href: &str| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="{guid}" version="1" standard="NewsML-G2" standardversion="2.35">
 <itemMeta><itemClass qcode="ninat:text"/><pubStatus qcode="stat:usable"/></itemMeta>
 <contentMeta><headline>Allotment waiting list closes</headline></contentMeta>
 <contentSet><remoteContent href="{href}" contenttype="text/html"/></contentSet>
</newsItem>"#
        )
        .into_bytes()
    };
    std::fs::write(
        dir.path().join("allotments.html"),
        "<p>The waiting list for allotments closed on Friday.</p><p>EDS: not for use before noon.</p><p>About ninety people are on it.</p>",
    )?;
    let from_dir = Source {
        transport: "test",
        name: "remote.xml",
        dir: Some(dir.path()),
    };
    let out = wire::ingest_file(
        &p.app,
        &a,
        &from_dir,
        &item("urn:remote:1", "allotments.html"),
    )
    .await?;
    let FileOutcome::Read(items) = out else {
        return Err("quarantined".into());
    };
    assert_eq!(items.first().map(|o| o.result), Some("queued"), "{items:?}");
    let row = p
        .app
        .store()
        .wire_item_by_key(a.id, "urn:remote:1")
        .await?
        .ok_or("row")?;
    assert_eq!(
        row.content.standfirst,
        "The waiting list for allotments closed on Friday."
    );
    assert!(
        row.content.body.contains("ninety people"),
        "{}",
        row.content.body
    );
    assert!(
        !row.content.body.contains("EDS"),
        "the note stays out of the copy"
    );
    // A body that cannot be had: the item is refused with why; a path is
    // never followed.
    for (guid, href, why) in [
        ("urn:remote:2", "missing.html", "not in the folder"),
        ("urn:remote:3", "../etc/passwd", "not a file name"),
    ] {
        let FileOutcome::Read(items) =
            wire::ingest_file(&p.app, &a, &from_dir, &item(guid, href)).await?
        else {
            return Err("quarantined".into());
        };
        let o = items.first().ok_or("no item")?;
        assert_eq!(o.result, "refused", "{o}");
        assert!(o.detail.contains(why), "{o}");
    }
    Ok(())
}
