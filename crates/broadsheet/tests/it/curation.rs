//! Front-page curation and newsroom comfort (issue 11, items 2 and 6),
//! through the router where an editor would act and through the app where
//! a job or a second node would: arranging fronts, pins running out,
//! breaking news taking the lead, withdrawn stories leaving their slot, a
//! second node seeing a change within a second; the pickers, the preview
//! button, publishing without a first save, and sign-in returning to the
//! page asked for. Both backends.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::StatusCode;
use broadsheet_app::curation::{self, Change};
use broadsheet_app::{App, PaperConfig};
use broadsheet_domain::permissions::Role;
use broadsheet_domain::{Actor, StoryCard, StoryStatus};
use broadsheet_store::Listing;
use broadsheet_web::{Web, WebOptions};

use crate::newsroom::{Desk, form_field, id_from_location, signed_in, story_fields, user_of_role};
use crate::support::{Paper, TestResult, send_to};

type R<T> = Result<T, Box<dyn std::error::Error>>;

/// The story ids a reader page links to inside `<main>`, in page order,
/// each once: the lead first, then the top slots, and so on.
fn story_order(html: &str) -> Vec<i64> {
    let main = html.split("id=\"main\"").nth(1).unwrap_or("");
    let mut out = Vec::new();
    for href in crate::support::hrefs(main) {
        if let Some(a) = broadsheet_domain::permalink::parse_story_path(&href)
            && !out.contains(&a.id)
        {
            out.push(a.id);
        }
    }
    out
}

async fn home_order(p: &Paper) -> R<Vec<i64>> {
    let r = p.get("/").await?;
    assert_eq!(r.status, StatusCode::OK);
    Ok(story_order(&r.body))
}

async fn actor_of(p: &Paper, role: Role) -> R<Actor> {
    let user = user_of_role(p, role.as_str()).await?;
    let id = p
        .app
        .store()
        .author_by_username(&user)
        .await?
        .ok_or("no account")?
        .id;
    Ok(Actor::Staff { id, role })
}

/// Published stories, newest first.
async fn newest(p: &Paper, n: i64) -> R<Vec<StoryCard>> {
    Ok(p.app.store().cards(Listing::All, n, 0).await?)
}

/// Posts one change to a front's arrangement form as `d`.
async fn post_front(
    d: &mut Desk<'_>,
    front: i64,
    fields: &[(&str, &str)],
) -> R<crate::support::Reply> {
    let csrf = d.csrf().await?;
    let mut f = vec![("csrf", csrf.as_str())];
    f.extend_from_slice(fields);
    d.post(&format!("/newsroom/fronts/{front}"), &f).await
}

#[tokio::test]
async fn an_editor_arranges_the_home_page_and_readers_get_that_order() -> TestResult {
    let p = Paper::demo(30).await?;
    let latest = newest(&p, 30).await?;
    let (old_a, old_b) = (latest[20].id, latest[25].id);
    let before = home_order(&p).await?;
    assert_ne!(
        before.first(),
        Some(&old_a),
        "an old story does not lead by itself"
    );
    let mut ed = signed_in(&p, "editor").await?;
    // The arrangement page lists the slots and offers stories to place (no ids typed).
    let page = ed.get("/newsroom/fronts/0").await?;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("name=\"story\" value=\""),
        "results to choose from"
    );
    let a = old_a.to_string();
    let b = old_b.to_string();
    let r = post_front(
        &mut ed,
        0,
        &[("do", "place"), ("story", &a), ("position", "0")],
    )
    .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = post_front(
        &mut ed,
        0,
        &[("do", "place"), ("story", &b), ("position", "2")],
    )
    .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let order = home_order(&p).await?;
    assert_eq!(order.first(), Some(&old_a), "the lead: {order:?}");
    assert_eq!(order.get(2), Some(&old_b), "top slot 2: {order:?}");
    // Slot 1 is filled by the newest story not arranged elsewhere.
    assert!(order.get(1).is_some_and(|id| *id != old_a && *id != old_b));
    assert_eq!(
        order.iter().filter(|id| **id == old_a).count(),
        1,
        "shown once"
    );
    // Moving the lead down swaps it with slot 1.
    let r = post_front(&mut ed, 0, &[("do", "down"), ("position", "0")]).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let order = home_order(&p).await?;
    assert_eq!(order.get(1), Some(&old_a), "{order:?}");
    // Emptying the slot lets the newest fill it again.
    let r = post_front(&mut ed, 0, &[("do", "remove"), ("position", "1")]).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!home_order(&p).await?[..3].contains(&old_a));
    // Every change is audited.
    let audit = p.app.store().audit_general(200).await?;
    assert!(
        audit.iter().filter(|a| a.action == "arrange-front").count() >= 4,
        "audited"
    );
    Ok(())
}

#[tokio::test]
async fn reporters_and_contributors_cannot_arrange_fronts_and_bad_input_gets_words() -> TestResult {
    let p = Paper::demo(10).await?;
    let story = newest(&p, 5).await?[4].id.to_string();
    for role in ["reporter", "contributor", "moderator"] {
        let mut d = signed_in(&p, role).await?;
        assert_eq!(
            d.get("/newsroom/fronts").await?.status,
            StatusCode::FORBIDDEN
        );
        let r = post_front(
            &mut d,
            0,
            &[("do", "place"), ("story", &story), ("position", "0")],
        )
        .await?;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}");
        assert!(
            !d.get("/newsroom").await?.body.contains("/newsroom/fronts"),
            "{role} menu"
        );
    }
    assert!(
        p.app.store().front_slots(0).await?.is_empty(),
        "nothing stored"
    );
    let mut ed = signed_in(&p, "editor").await?;
    assert!(
        ed.get("/newsroom").await?.body.contains("/newsroom/fronts"),
        "editor menu"
    );
    // Without the form's token nothing happens.
    let r = ed
        .post(
            "/newsroom/fronts/0",
            &[("do", "place"), ("story", &story), ("position", "0")],
        )
        .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for (fields, words) in [
        (
            vec![
                ("do", "place"),
                ("story", story.as_str()),
                ("position", "99"),
            ],
            "There is no slot 99",
        ),
        (
            vec![("do", "place"), ("story", "987654"), ("position", "0")],
            "not published",
        ),
        (
            vec![("do", "place"), ("story", "x"), ("position", "0")],
            "Choose a story",
        ),
        (
            vec![
                ("do", "place"),
                ("story", story.as_str()),
                ("position", "1"),
                ("until", "2001-01-01T10:00"),
            ],
            "in the past",
        ),
        (vec![("do", "up"), ("position", "0")], "already at that end"),
    ] {
        let r = post_front(&mut ed, 0, &fields).await?;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{fields:?}");
        assert!(r.body.contains(words), "{fields:?}: {}", r.body);
    }
    assert_eq!(
        ed.get("/newsroom/fronts/123456").await?.status,
        StatusCode::NOT_FOUND
    );
    Ok(())
}

#[tokio::test]
async fn a_section_front_takes_its_own_stories_in_order_and_pages_skip_nothing() -> TestResult {
    let per = 5;
    let p = Paper::demo_with(
        40,
        PaperConfig {
            page_size: per,
            ..PaperConfig::default()
        },
    )
    .await?;
    // The top-level section with the most stories.
    let mut best: Option<(i64, String, Vec<StoryCard>)> = None;
    for sec in p.app.sections().top() {
        let cards = p
            .app
            .store()
            .cards(Listing::SectionTree(&sec.path), 500, 0)
            .await?;
        if best.as_ref().is_none_or(|b| cards.len() > b.2.len()) {
            best = Some((sec.id, sec.path.clone(), cards));
        }
    }
    let (news, path, cards) = best.ok_or("no sections")?;
    assert!(
        cards.len() > 2 * 5,
        "enough stories to page: {}",
        cards.len()
    );
    let pick = cards[cards.len() - 1].id;
    let ed = actor_of(&p, Role::Editor).await?;
    curation::arrange(
        &p.app,
        &ed,
        news,
        Change::Place {
            story: pick,
            position: 0,
            until: None,
        },
    )
    .await?;
    let page1 = story_order(&p.get(&format!("/{path}")).await?.body);
    assert_eq!(page1.first(), Some(&pick), "{page1:?}");
    // Every story of the section is on exactly one page.
    let pages = (i64::try_from(cards.len())? + per - 1) / per;
    let mut seen: Vec<i64> = Vec::new();
    for n in 1..=pages {
        let r = p.get(&format!("/{path}?page={n}")).await?;
        assert_eq!(r.status, StatusCode::OK);
        let ids: Vec<i64> = story_order(&r.body)
            .into_iter()
            .filter(|id| cards.iter().any(|c| c.id == *id))
            .collect();
        seen.extend(ids);
    }
    let mut want: Vec<i64> = cards.iter().map(|c| c.id).collect();
    want.sort_unstable();
    let mut got = seen.clone();
    got.sort_unstable();
    got.dedup();
    assert_eq!(got, want, "no story skipped");
    // A story from another section is refused with words.
    let other = p
        .app
        .store()
        .cards(Listing::All, 200, 0)
        .await?
        .into_iter()
        .find(|c| !cards.iter().any(|n| n.id == c.id))
        .ok_or("no story outside news")?;
    let r = curation::arrange(
        &p.app,
        &ed,
        news,
        Change::Place {
            story: other.id,
            position: 1,
            until: None,
        },
    )
    .await;
    assert!(
        matches!(&r, Err(broadsheet_app::AppError::Invalid(m)) if m.contains("not in this section")),
        "{:?}",
        r.err()
    );
    // The home page's block for the section follows its arrangement: the
    // section's oldest story is on the home page only because it leads there.
    assert!(story_order(&p.get("/").await?.body).contains(&pick));
    Ok(())
}

#[tokio::test]
async fn a_pin_runs_out_and_the_slot_falls_back_to_the_newest() -> TestResult {
    let p = Paper::demo(20).await?;
    let lead_before = home_order(&p).await?.first().copied();
    let old = newest(&p, 20)
        .await?
        .into_iter()
        .skip(10)
        .map(|c| c.id)
        .find(|id| Some(*id) != lead_before)
        .ok_or("no older story")?;
    let ed = actor_of(&p, Role::Editor).await?;
    let until = broadsheet_app::now() + 2;
    curation::arrange(
        &p.app,
        &ed,
        curation::HOME,
        Change::Place {
            story: old,
            position: 0,
            until: Some(until),
        },
    )
    .await?;
    assert_eq!(home_order(&p).await?.first(), Some(&old));
    assert_eq!(curation::expire_pins(&p.app).await?, 0, "not yet");
    while broadsheet_app::now() <= until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The cached page still shows it until the job (every second on every
    // node) removes the pin and announces the change.
    // The job removes the row and announces the change, once.
    let changes_before = p.app.store().last_change_id().await?;
    assert_eq!(curation::expire_pins(&p.app).await?, 1);
    assert_eq!(curation::expire_pins(&p.app).await?, 0, "announced once");
    assert!(p.app.store().front_slots(0).await?.is_empty());
    // The slot falls back: the lead is what it was before the pin.
    assert_eq!(home_order(&p).await?.first().copied(), lead_before);
    let changes = p.app.store().changes_since(changes_before).await?;
    assert!(
        changes.iter().any(|(_, k)| k.contains("arrangement-0")),
        "{changes:?}"
    );
    Ok(())
}

#[tokio::test]
async fn breaking_takes_the_lead_at_once_and_a_withdrawn_story_leaves_its_slot() -> TestResult {
    let p = Paper::demo(20).await?;
    let latest = newest(&p, 20).await?;
    let (lead, breaking) = (latest[10].id, latest[12].id);
    let mut ed = signed_in(&p, "editor").await?;
    let l = lead.to_string();
    let b = breaking.to_string();
    let r = post_front(
        &mut ed,
        0,
        &[("do", "place"), ("story", &l), ("position", "0")],
    )
    .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // One action: the breaking story leads, the old lead moves down one.
    let r = post_front(&mut ed, 0, &[("do", "breaking"), ("story", &b)]).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let order = home_order(&p).await?;
    assert_eq!(order.first(), Some(&breaking), "{order:?}");
    assert_eq!(order.get(1), Some(&lead), "{order:?}");
    let s = p.app.store().story(breaking).await?.ok_or("no story")?;
    assert!(s.breaking, "the breaking banner is raised");
    // Withdrawn: it leaves the lead at once; the old lead does not move up,
    // the newest fills the slot.
    let v = s.version.to_string();
    let csrf = ed.csrf().await?;
    let r = ed
        .post(
            &format!("/newsroom/stories/{breaking}"),
            &[("csrf", &csrf), ("do", "withdraw"), ("version", &v)],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let order = home_order(&p).await?;
    assert!(!order.contains(&breaking), "{order:?}");
    assert_eq!(order.get(1), Some(&lead), "{order:?}");
    // The newsroom says so.
    let page = ed.get("/newsroom/fronts/0").await?;
    assert!(page.body.contains("left this slot"), "{}", page.body);
    Ok(())
}

#[tokio::test]
async fn a_second_node_shows_a_curation_change_within_a_second() -> TestResult {
    let p = Paper::demo(20).await?;
    let old = newest(&p, 20).await?[14].id;
    // Node B: its own app (pool, caches, poller) and a page cache, on the same database.
    let b_app = App::new(crate::support::store(&p.url).await?, PaperConfig::default()).await?;
    let b_web = Web::new(
        b_app.clone(),
        WebOptions {
            cache_bytes: 16 << 20,
            metrics: None,
            metrics_token: None,
            esi: false,
            sse_max_connections: 0,
        },
    );
    let b = b_web.router();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let jobs = b_app.spawn_jobs(stop_rx);
    let get_b = || send_to(&b, "GET", "/", Body::empty(), &[]);
    let first = get_b().await?;
    assert_ne!(story_order(&first.body).first(), Some(&old));
    // Cached on node B now.
    let again = get_b().await?;
    assert_eq!(first.body, again.body);
    let ed = actor_of(&p, Role::Editor).await?;
    let t0 = Instant::now();
    curation::arrange(
        &p.app,
        &ed,
        curation::HOME,
        Change::Place {
            story: old,
            position: 0,
            until: None,
        },
    )
    .await?;
    let mut seen = None;
    while t0.elapsed() < Duration::from_secs(3) {
        let r = get_b().await?;
        if story_order(&r.body).first() == Some(&old) {
            seen = Some(t0.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let _ = stop.send(true);
    for j in jobs {
        let _ = j.await;
    }
    let seen = seen.ok_or("node B never showed the new lead")?;
    assert!(seen < Duration::from_secs(1), "seen after {seen:?}");
    Ok(())
}

// ----- newsroom comfort --------------------------------------------------------------

fn news_section(p: &Paper) -> R<String> {
    Ok(p.app
        .sections()
        .by_path("news")
        .ok_or("no news")?
        .id
        .to_string())
}

#[tokio::test]
async fn a_new_story_is_published_or_submitted_in_one_post_through_the_same_checks() -> TestResult {
    let p = Paper::demo(5).await?;
    let sec = news_section(&p)?;
    // A reporter publishes a new story without saving it first.
    let mut rep = signed_in(&p, "reporter").await?;
    let page = rep.get("/newsroom/stories/new").await?;
    assert!(
        page.body.contains("value=\"publish\""),
        "the new-story form offers Publish"
    );
    let csrf = rep.csrf().await?;
    let mut f = story_fields(&csrf, "Lifeboat launched twice in a night", &sec);
    f.push(("do", "publish"));
    let r = rep.post("/newsroom/stories", &f).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.header("location").ends_with("?m=published"),
        "{}",
        r.header("location")
    );
    let id = id_from_location(&r);
    let s = p.app.store().story(id).await?.ok_or("no story")?;
    assert_eq!(s.status, StoryStatus::Published);
    assert_eq!(p.get(&p.path_of(&s)).await?.status, StatusCode::OK);
    // A contributor cannot publish: refused before anything is made.
    let mut con = signed_in(&p, "contributor").await?;
    let page = con.get("/newsroom/stories/new").await?;
    assert!(!page.body.contains("value=\"publish\""));
    assert!(page.body.contains("value=\"submit\""));
    let csrf = con.csrf().await?;
    let mut f = story_fields(&csrf, "Contributor tries to publish", &sec);
    f.push(("do", "publish"));
    let r = con.post("/newsroom/stories", &f).await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let desk = p.app.store().desk(StoryStatus::Draft, None, 500).await?;
    assert!(
        !desk
            .iter()
            .any(|d| d.headline == "Contributor tries to publish"),
        "no stray draft"
    );
    // … but submits in one post.
    let mut f = story_fields(&csrf, "Contributor submits at once", &sec);
    f.push(("do", "submit"));
    let r = con.post("/newsroom/stories", &f).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let s = p
        .app
        .store()
        .story(id_from_location(&r))
        .await?
        .ok_or("no story")?;
    assert_eq!(s.status, StoryStatus::Submitted);
    // A bad field keeps the text and says what to fix; nothing is made.
    let mut f = story_fields(&csrf, "", &sec);
    f.push(("do", "submit"));
    let r = con.post("/newsroom/stories", &f).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("headline is empty"), "{}", r.body);
    Ok(())
}

#[tokio::test]
async fn the_lead_picture_and_picks_come_from_search_results_and_preview_saves_nothing()
-> TestResult {
    let p = Paper::demo(12).await?;
    let sec = news_section(&p)?;
    let with_pic = p.story_where(|s| s.lead_picture.is_some()).await?;
    let pic = with_pic.lead_picture.clone().ok_or("no picture")?;
    let word = pic
        .alt
        .split_whitespace()
        .find(|w| w.len() > 4 && w.chars().all(char::is_alphabetic))
        .ok_or("no word in the alt text")?
        .to_string();
    let mut ed = signed_in(&p, "editor").await?;
    let csrf = ed.csrf().await?;
    // "Find pictures" shows the typed text again with pictures to choose from.
    let mut f = story_fields(&csrf, "Harbour lights return", &sec);
    f.extend([("do", "find-pictures"), ("picture_q", word.as_str())]);
    let r = ed.post("/newsroom/stories", &f).await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Harbour lights return"), "the text is kept");
    let choice = format!("name=\"lead_picture\" value=\"{}\"", pic.id);
    assert!(r.body.contains(&choice), "the picture is offered: {word}");
    assert!(
        !p.app
            .store()
            .desk(StoryStatus::Draft, None, 500)
            .await?
            .iter()
            .any(|d| d.headline == "Harbour lights return"),
        "nothing saved"
    );
    // Choosing it and saving sets the lead picture.
    let pid = pic.id.to_string();
    let mut f = story_fields(&csrf, "Harbour lights return", &sec);
    f.extend([("do", "save"), ("lead_picture", pid.as_str())]);
    let r = ed.post("/newsroom/stories", &f).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = id_from_location(&r);
    let s = p.app.store().story(id).await?.ok_or("no story")?;
    assert_eq!(s.lead_picture.map(|l| l.id), Some(pic.id));
    // Preview: the changed text rendered beside the form, not saved.
    let page = ed.get(&format!("/newsroom/stories/{id}")).await?;
    let v = form_field(&page.body, "version");
    let mut f = story_fields(&csrf, "Harbour lights return, previewed", &sec);
    f.retain(|(k, _)| *k != "body");
    f.extend([
        ("do", "preview"),
        ("version", v.as_str()),
        ("body", "A **bold** new paragraph."),
        ("lead_picture", pid.as_str()),
    ]);
    let r = ed.post(&format!("/newsroom/stories/{id}"), &f).await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let pane = crate::support::between(&r.body, "class=\"preview-pane\"", "</section>");
    assert!(pane.contains("Harbour lights return, previewed"), "{pane}");
    assert!(pane.contains("<strong>bold</strong>"), "{pane}");
    let s = p.app.store().story(id).await?.ok_or("no story")?;
    assert_eq!(s.headline, "Harbour lights return", "preview saves nothing");
    // Editor's Picks: search, then add from the results.
    let target = newest(&p, 12).await?[7].clone();
    let q: String = target
        .headline
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    let page = ed.get(&format!("/newsroom/picks?q={q}")).await?;
    assert_eq!(page.status, StatusCode::OK);
    let hidden = format!("name=\"story\" value=\"{}\"", target.id);
    let already = p.app.store().editors_picks().await?.contains(&target.id);
    assert!(already || page.body.contains(&hidden), "{q}: {}", page.body);
    if !already {
        let t = target.id.to_string();
        let r = ed
            .post(
                "/newsroom/picks",
                &[("csrf", &csrf), ("do", "add"), ("story", &t)],
            )
            .await?;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(p.app.store().editors_picks().await?.contains(&target.id));
    }
    Ok(())
}

#[tokio::test]
async fn sign_in_returns_to_the_newsroom_page_asked_for_and_nowhere_else() -> TestResult {
    let p = Paper::demo(3).await?;
    // Signed out, a newsroom page sends to sign-in with the way back.
    let r = p.get("/newsroom/stories/new").await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.header("location"),
        "/newsroom/sign-in?next=/newsroom/stories/new"
    );
    let r = p.get("/newsroom/pictures?q=harbour").await?;
    assert_eq!(
        r.header("location"),
        "/newsroom/sign-in?next=/newsroom/pictures%3Fq%3Dharbour"
    );
    // The form carries only a same-site newsroom path (table in nr_next's unit test).
    for (next, carried) in [
        ("/newsroom/stories/new", true),
        ("//evil.example", false),
        ("/%5Cevil.example", false),
        ("https://evil.example/newsroom", false),
        ("/newsroom/%2F%2Fevil.example", false),
        ("/newsroom//evil.example", false),
    ] {
        let enc: String = next.bytes().map(|b| format!("%{b:02X}")).collect();
        let r = p.get(&format!("/newsroom/sign-in?next={enc}")).await?;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body.contains("name=\"next\""), carried, "{next}");
    }
    // Signing in follows it …
    let editor = user_of_role(&p, "editor").await?;
    let mut d = Desk::new(&p);
    let form = d
        .get("/newsroom/sign-in?next=/newsroom/stories/new")
        .await?;
    let csrf = form_field(&form.body, "csrf");
    let r = d
        .post(
            "/newsroom/sign-in",
            &[
                ("csrf", &csrf),
                ("username", &editor),
                ("password", &p.password(&editor)),
                ("next", "/newsroom/stories/new"),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), "/newsroom/stories/new");
    // … but not a posted one that leaves the site.
    let reporter = user_of_role(&p, "reporter").await?;
    let mut d = Desk::new(&p);
    let form = d.get("/newsroom/sign-in").await?;
    let csrf = form_field(&form.body, "csrf");
    let r = d
        .post(
            "/newsroom/sign-in",
            &[
                ("csrf", &csrf),
                ("username", &reporter),
                ("password", &p.password(&reporter)),
                ("next", "//evil.example/newsroom"),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), "/newsroom");
    Ok(())
}
