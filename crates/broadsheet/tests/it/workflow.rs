//! One door for editorial state: the state machine, guarded moves, reviewed
//! versions, the actor on every use case (the CLI as the audited operator),
//! and the permission, tag, byline and constraint fixes of issues 7 and 8.
//! Through the router where a person would act, through the app where a
//! node or the command line would, on a real database (both backends).

use axum::http::StatusCode;
use broadsheet_app::{App, AppError, PaperConfig, newsroom};
use broadsheet_domain::permissions::Role;
use broadsheet_domain::{Access, Actor, StoryStatus};
use broadsheet_store::{StoreError, StoryEdit};

use crate::newsroom::{Desk, form_field, id_from_location, signed_in, story_fields, user_of_role};
use crate::support::{Paper, Reply, TestResult, database_url};

type R<T> = Result<T, Box<dyn std::error::Error>>;

fn section(p: &Paper) -> R<String> {
    p.app
        .sections()
        .top()
        .next()
        .map(|s| s.id.to_string())
        .ok_or_else(|| "no section".into())
}

/// Creates a story through the editor form; `extra` adds fields (tags, authors, breaking).
async fn create(p: &Paper, d: &mut Desk<'_>, headline: &str, extra: &[(&str, &str)]) -> R<i64> {
    let csrf = d.csrf().await?;
    let sec = section(p)?;
    let mut f = story_fields(&csrf, headline, &sec);
    f.extend_from_slice(extra);
    let r = d.post("/newsroom/stories", &f).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "create: {}", r.body);
    Ok(id_from_location(&r))
}

async fn version(p: &Paper, id: i64) -> R<i64> {
    Ok(p.app.store().story(id).await?.ok_or("no story")?.version)
}

/// Posts the editor form's `do` button for story `id` at version `v`.
async fn act(d: &mut Desk<'_>, id: i64, what: &str, v: i64) -> R<Reply> {
    let csrf = d.csrf().await?;
    let v = v.to_string();
    d.post(
        &format!("/newsroom/stories/{id}"),
        &[("csrf", &csrf), ("do", what), ("version", &v)],
    )
    .await
}

/// Saves story `id` from version `v` with `body`, plus `extra` fields.
async fn save(
    p: &Paper,
    d: &mut Desk<'_>,
    id: i64,
    v: i64,
    body: &str,
    extra: &[(&str, &str)],
) -> R<Reply> {
    let csrf = d.csrf().await?;
    let sec = section(p)?;
    let v = v.to_string();
    let mut f = story_fields(&csrf, "Harbour story", &sec);
    f.retain(|(k, _)| *k != "body");
    f.extend_from_slice(&[("do", "save"), ("version", &v), ("body", body)]);
    f.extend_from_slice(extra);
    d.post(&format!("/newsroom/stories/{id}"), &f).await
}

async fn actor_of(p: &Paper, role: Role) -> R<Actor> {
    let user = user_of_role(p, role.as_str()).await?;
    let acct = p
        .app
        .store()
        .author_by_username(&user)
        .await?
        .ok_or("no account")?;
    Ok(Actor::Staff { id: acct.id, role })
}

fn edit(p: &Paper, headline: &str, tags: &[&str]) -> R<StoryEdit> {
    Ok(StoryEdit {
        section_id: section(p)?.parse()?,
        headline: headline.into(),
        standfirst: "A standfirst.".into(),
        body: "Reviewed text.".into(),
        byline_text: None,
        access: Access::Free,
        breaking: false,
        seo_title: String::new(),
        seo_description: String::new(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        authors: Vec::new(),
        lead_picture_id: None,
    })
}

async fn audit(p: &Paper, id: i64) -> R<Vec<(String, String)>> {
    Ok(p.app
        .store()
        .audit_of(id)
        .await?
        .into_iter()
        .map(|a| (a.action, a.actor))
        .collect())
}

/// Another node: its own App (pool, section tree, caches) on the same database.
async fn second_node(p: &Paper) -> R<App> {
    Ok(App::new(crate::support::store(&p.url).await?, PaperConfig::default()).await?)
}

// ----- 1. the state machine --------------------------------------------------------------

#[tokio::test]
async fn a_reporter_cannot_put_back_what_an_editor_withdrew() -> TestResult {
    let p = Paper::demo(5).await?;
    let mut rep = signed_in(&p, "reporter").await?;
    let id = create(&p, &mut rep, "Harbour wall report", &[]).await?;
    let r = act(&mut rep, id, "publish", version(&p, id).await?).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = p.path_of(&p.app.store().story(id).await?.ok_or("no story")?);
    assert_eq!(p.get(&path).await?.status, StatusCode::OK);
    let mut ed = signed_in(&p, "editor").await?;
    let r = act(&mut ed, id, "withdraw", version(&p, id).await?).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(p.get(&path).await?.status, StatusCode::GONE);
    // The reporter's Publish is refused (issue 8 item 3: it was 410 → 200).
    let r = act(&mut rep, id, "publish", version(&p, id).await?).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("withdrawn"), "{}", r.body);
    let r = act(&mut rep, id, "reinstate", version(&p, id).await?).await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(p.get(&path).await?.status, StatusCode::GONE);
    // The editor's page offers Reinstate, not Publish; reinstating is audited.
    let page = ed.get(&format!("/newsroom/stories/{id}")).await?;
    assert!(!page.body.contains("value=\"publish\""));
    assert!(page.body.contains("value=\"reinstate\""));
    let r = act(&mut ed, id, "reinstate", version(&p, id).await?).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(p.get(&path).await?.status, StatusCode::OK);
    let a = audit(&p, id).await?;
    for step in ["published", "withdrawn", "reinstated"] {
        assert!(
            a.iter().any(|(x, who)| x == step && who == "staff"),
            "{step}: {a:?}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_never_published_draft_cannot_be_withdrawn() -> TestResult {
    let p = Paper::demo(3).await?;
    let mut ed = signed_in(&p, "editor").await?;
    let id = create(&p, &mut ed, "Draft nobody has seen", &[]).await?;
    let r = act(&mut ed, id, "withdraw", version(&p, id).await?).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("never seen"), "{}", r.body);
    let s = p.app.store().story(id).await?.ok_or("no story")?;
    assert_eq!(s.status, StoryStatus::Draft);
    Ok(())
}

// ----- 2. guarded moves: one winner ---------------------------------------------------------

#[tokio::test]
async fn two_nodes_schedulers_publish_a_due_story_once() -> TestResult {
    let p = Paper::demo(3).await?;
    let ed = actor_of(&p, Role::Editor).await?;
    let id = newsroom::create(&p.app, &ed, &edit(&p, "Ferry strike ends", &[])?).await?;
    let due = broadsheet_app::now() - 1;
    let mut tx = p.app.store().begin().await?;
    assert!(
        tx.move_story(
            id,
            StoryStatus::Draft,
            None,
            StoryStatus::Scheduled,
            Some(due),
            due
        )
        .await?
    );
    tx.commit().await?;
    let before = version(&p, id).await?;
    let other = second_node(&p).await?;
    let (a, b) = tokio::join!(newsroom::publish_due(&p.app), newsroom::publish_due(&other));
    assert_eq!(a? + b?, 1, "exactly one node publishes it");
    let s = p.app.store().story(id).await?.ok_or("no story")?;
    assert_eq!(s.status, StoryStatus::Published);
    assert_eq!(s.version, before + 1, "one version bump");
    let a = audit(&p, id).await?;
    let published: Vec<_> = a.iter().filter(|(x, _)| x == "published").collect();
    assert_eq!(published.len(), 1, "one audit row: {a:?}");
    assert_eq!(published[0].1, "scheduler");
    Ok(())
}

#[tokio::test]
async fn two_editors_publishing_at_once_get_one_winner_and_a_clear_answer() -> TestResult {
    let p = Paper::demo(3).await?;
    let ed = actor_of(&p, Role::Editor).await?;
    let admin = actor_of(&p, Role::Admin).await?;
    let id = newsroom::create(&p.app, &ed, &edit(&p, "Council vote tonight", &[])?).await?;
    let v = version(&p, id).await?;
    let other = second_node(&p).await?;
    let (a, b) = tokio::join!(
        newsroom::publish(&p.app, &ed, id, v, None),
        newsroom::publish(&other, &admin, id, v, None)
    );
    let (ok, lost): (Vec<_>, Vec<_>) = [a, b].into_iter().partition(|r| r.is_ok());
    assert_eq!(ok.len(), 1, "one winner");
    match lost.into_iter().next() {
        Some(Err(AppError::Invalid(m))) => {
            assert!(
                m.contains("already published") || m.contains("changed since"),
                "{m}"
            )
        }
        other => panic!("the loser is told why: {other:?}"),
    }
    let a = audit(&p, id).await?;
    assert_eq!(a.iter().filter(|(x, _)| x == "published").count(), 1);
    Ok(())
}

// ----- 3. unreviewed text never goes live ------------------------------------------------------

#[tokio::test]
async fn a_contributor_edit_after_scheduling_returns_the_story_to_draft() -> TestResult {
    let p = Paper::demo(3).await?;
    let mut con = signed_in(&p, "contributor").await?;
    let id = create(&p, &mut con, "Harbour story", &[]).await?;
    let r = act(&mut con, id, "submit", version(&p, id).await?).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The editor reads it and schedules it for an hour from now.
    let ed = actor_of(&p, Role::Editor).await?;
    let at = broadsheet_app::now() + 3600;
    let st = newsroom::publish(&p.app, &ed, id, version(&p, id).await?, Some(at)).await?;
    assert_eq!(st, StoryStatus::Scheduled);
    // The contributor changes the text: it no longer goes out by itself.
    let r = save(
        &p,
        &mut con,
        id,
        version(&p, id).await?,
        "Unreviewed claim.",
        &[],
    )
    .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let s = p.app.store().story(id).await?.ok_or("no story")?;
    assert_eq!(s.status, StoryStatus::Draft, "back to draft");
    assert_eq!(s.scheduled_at, None, "schedule cleared");
    assert!(s.body.contains("Unreviewed claim"));
    let a = audit(&p, id).await?;
    assert!(a.iter().any(|(x, _)| x == "returned-to-draft"), "{a:?}");
    assert!(p.app.store().due_scheduled(at + 1).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn publishing_names_the_version_the_editor_reviewed() -> TestResult {
    let p = Paper::demo(3).await?;
    let mut con = signed_in(&p, "contributor").await?;
    let id = create(&p, &mut con, "Harbour story", &[]).await?;
    let r = act(&mut con, id, "submit", version(&p, id).await?).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The editor opens it: the form carries the version they read.
    let mut ed = signed_in(&p, "editor").await?;
    let page = ed.get(&format!("/newsroom/stories/{id}")).await?;
    let reviewed: i64 = form_field(&page.body, "version").parse()?;
    // Another publisher saves new text (the story stays submitted)...
    let admin = actor_of(&p, Role::Admin).await?;
    let mut e = edit(&p, "Harbour story", &[])?;
    e.body = "Text the editor has not read.".into();
    newsroom::save(&p.app, &admin, id, reviewed, &e).await?;
    let r = act(&mut ed, id, "publish", reviewed).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("changed since you opened it"), "{}", r.body);
    // ...and the contributor's own save after review returns it to draft:
    // the editor's stale Publish is refused too.
    let v = version(&p, id).await?;
    let r = save(&p, &mut con, id, v, "Contributor's late change.", &[]).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = act(&mut ed, id, "publish", v).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let s = p.app.store().story(id).await?.ok_or("no story")?;
    assert_eq!(s.status, StoryStatus::Draft, "nothing went out");
    // Having read the current version, the editor publishes it.
    let r = act(&mut ed, id, "publish", s.version).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    Ok(())
}

// ----- 5. the command line is the audited operator ----------------------------------------

fn cli(args: &[&str], url: &str, dir: &str) -> std::process::Output {
    let mut all: Vec<&str> = args.to_vec();
    all.extend_from_slice(&["--data-dir", dir, "--database-url", url]);
    match std::process::Command::new(env!("CARGO_BIN_EXE_broadsheet"))
        .args(&all)
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
async fn cli_story_picks_and_two_factor_commands_are_audited_as_the_operator() -> TestResult {
    let dir = tempfile::tempdir()?;
    let url = database_url(dir.path()).await?;
    let d = dir.path().to_str().ok_or("path")?;
    let out = cli(&["demo", "--stories", "5"], &url, d);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = crate::support::store(&url).await?;
    let id = store
        .cards(broadsheet_store::Listing::All, 1, 0)
        .await?
        .first()
        .map(|c| c.id)
        .ok_or("no story")?;
    let ids = id.to_string();
    for cmd in [
        ["story", "withdraw"],
        ["story", "restore"],
        ["picks", "set"],
    ] {
        let out = cli(&[cmd[0], cmd[1], &ids], &url, d);
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let rows = store.audit_of(id).await?;
    for step in ["withdrawn", "reinstated"] {
        assert!(
            rows.iter()
                .any(|a| a.action == step && a.actor == "operator" && a.actor_id.is_none()),
            "{step}: {rows:?}"
        );
    }
    let editor = store
        .staff()
        .await?
        .into_iter()
        .find(|(_, _, r)| r == "editor")
        .map(|(u, _, _)| u)
        .ok_or("no editor")?;
    let out = cli(&["user", "reset", &editor, "--clear-two-factor"], &url, d);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let general = store.audit_general(20).await?;
    for step in ["picks", "reset-password", "clear-two-factor"] {
        assert!(
            general
                .iter()
                .any(|a| a.action == step && a.actor == "operator"),
            "{step}: {general:?}"
        );
    }
    // A draft readers never saw cannot be "withdrawn", from the CLI either.
    let sec = store
        .sections()
        .await?
        .first()
        .map(|s| s.id)
        .ok_or("no section")?;
    let mut tx = store.begin().await?;
    let e = StoryEdit {
        section_id: sec,
        headline: "Unseen".into(),
        standfirst: String::new(),
        body: String::new(),
        byline_text: None,
        access: Access::Free,
        breaking: false,
        seo_title: String::new(),
        seo_description: String::new(),
        tags: Vec::new(),
        authors: Vec::new(),
        lead_picture_id: None,
    };
    let draft = tx.insert_draft(&e, "unseen", None, 1).await?;
    tx.commit().await?;
    let out = cli(&["story", "withdraw", &draft.to_string()], &url, d);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("never seen"));
    store.close().await;
    Ok(())
}

// ----- 6. permission gaps -------------------------------------------------------------------

#[tokio::test]
async fn history_and_audit_need_the_right_to_read_the_audit_log() -> TestResult {
    let p = Paper::demo(3).await?;
    for role in ["contributor", "reporter"] {
        let mut d = signed_in(&p, role).await?;
        let id = create(&p, &mut d, "My own story", &[]).await?;
        let r = d.get(&format!("/newsroom/stories/{id}/history")).await?;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}");
        let mut ed = signed_in(&p, "editor").await?;
        let r = ed.get(&format!("/newsroom/stories/{id}/history")).await?;
        assert_eq!(r.status, StatusCode::OK, "editor reads {role}'s history");
    }
    Ok(())
}

#[tokio::test]
async fn editors_picks_need_curate_front_and_are_audited() -> TestResult {
    let p = Paper::demo(10).await?;
    let ids: Vec<i64> = p
        .app
        .store()
        .cards(broadsheet_store::Listing::All, 2, 0)
        .await?
        .iter()
        .map(|c| c.id)
        .collect();
    for role in [Role::Contributor, Role::Reporter] {
        let a = actor_of(&p, role).await?;
        let r = p.app.set_editors_picks(&a, &ids).await;
        assert!(matches!(r, Err(AppError::Forbidden(_))), "{role}: {r:?}");
    }
    let ed = actor_of(&p, Role::Editor).await?;
    p.app.set_editors_picks(&ed, &ids).await?;
    assert_eq!(p.app.store().editors_picks().await?, ids);
    let general = p.app.store().audit_general(5).await?;
    assert!(
        general
            .iter()
            .any(|a| a.action == "picks" && a.actor_id == ed.id())
    );
    Ok(())
}

#[tokio::test]
async fn only_curators_set_or_clear_the_breaking_banner() -> TestResult {
    let p = Paper::demo(3).await?;
    let mut rep = signed_in(&p, "reporter").await?;
    let id = create(&p, &mut rep, "Harbour story", &[("breaking", "1")]).await?;
    let s = p.app.store().story(id).await?.ok_or("no story")?;
    assert!(!s.breaking, "a reporter cannot raise the banner on create");
    let r = save(&p, &mut rep, id, s.version, "Text.", &[("breaking", "1")]).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!p.app.store().story(id).await?.ok_or("no story")?.breaking);
    let mut ed = signed_in(&p, "editor").await?;
    let r = save(
        &p,
        &mut ed,
        id,
        version(&p, id).await?,
        "Text.",
        &[("breaking", "1")],
    )
    .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(p.app.store().story(id).await?.ok_or("no story")?.breaking);
    // The reporter's next save (checkbox unticked) does not clear it either.
    let r = save(&p, &mut rep, id, version(&p, id).await?, "More text.", &[]).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let s = p.app.store().story(id).await?.ok_or("no story")?;
    assert!(s.breaking && s.body.contains("More text"));
    Ok(())
}

#[tokio::test]
async fn writers_stay_on_their_own_bylines_and_duplicates_are_not_a_500() -> TestResult {
    let p = Paper::demo(3).await?;
    let me = actor_of(&p, Role::Contributor).await?.id().ok_or("id")?;
    let other = actor_of(&p, Role::Editor).await?.id().ok_or("id")?;
    let (me_s, other_s) = (me.to_string(), other.to_string());
    let mut con = signed_in(&p, "contributor").await?;
    let id = create(&p, &mut con, "Harbour story", &[]).await?;
    let v = version(&p, id).await?;
    let r = save(&p, &mut con, id, v, "Text.", &[("authors", &other_s)]).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("your own name must stay"), "{}", r.body);
    let authors = |s: broadsheet_domain::Story| s.authors.iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(
        authors(p.app.store().story(id).await?.ok_or("no story")?),
        vec![me]
    );
    let r = save(
        &p,
        &mut con,
        id,
        v,
        "Text.",
        &[("authors", &me_s), ("authors", &other_s)],
    )
    .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        authors(p.app.store().story(id).await?.ok_or("no story")?),
        vec![me, other]
    );
    // Issue 8 item 22: the same byline twice was a 500.
    let mut ed = signed_in(&p, "editor").await?;
    let v = version(&p, id).await?;
    let r = save(
        &p,
        &mut ed,
        id,
        v,
        "Text.",
        &[("authors", &other_s), ("authors", &other_s)],
    )
    .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        authors(p.app.store().story(id).await?.ok_or("no story")?),
        vec![other]
    );
    Ok(())
}

// ----- 7. tags ------------------------------------------------------------------------------

#[tokio::test]
async fn a_refused_save_leaves_no_tags_behind() -> TestResult {
    let p = Paper::demo(5).await?;
    let rep = actor_of(&p, Role::Reporter).await?.id().ok_or("id")?;
    let theirs = p
        .story_where(|s| s.created_by != Some(rep) && s.authors.iter().all(|a| a.id != rep))
        .await?;
    let mut d = signed_in(&p, "reporter").await?;
    let r = save(
        &p,
        &mut d,
        theirs.id,
        theirs.version,
        "Mine now.",
        &[("tags", "Zebra unicorn crossing")],
    )
    .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        p.app
            .store()
            .tag_by_slug("zebra-unicorn-crossing")
            .await?
            .is_none()
    );
    Ok(())
}

#[tokio::test]
async fn a_tag_only_drafts_carry_has_no_public_page() -> TestResult {
    let p = Paper::demo(3).await?;
    let mut con = signed_in(&p, "contributor").await?;
    let id = create(
        &p,
        &mut con,
        "Harbour story",
        &[("tags", "Secret merger plans")],
    )
    .await?;
    assert!(
        p.app
            .store()
            .tag_by_slug("secret-merger-plans")
            .await?
            .is_some()
    );
    assert_eq!(
        p.get("/tags/secret-merger-plans").await?.status,
        StatusCode::NOT_FOUND
    );
    let ed = actor_of(&p, Role::Editor).await?;
    newsroom::publish(&p.app, &ed, id, version(&p, id).await?, None).await?;
    assert_eq!(
        p.get("/tags/secret-merger-plans").await?.status,
        StatusCode::OK
    );
    Ok(())
}

#[tokio::test]
async fn two_saves_making_the_same_new_tag_both_succeed() -> TestResult {
    let p = Paper::demo(3).await?;
    let ed = actor_of(&p, Role::Editor).await?;
    let other = second_node(&p).await?;
    let (one, two) = (
        edit(&p, "One", &["Brand new tag"])?,
        edit(&p, "Two", &["Brand new tag"])?,
    );
    let (a, b) = tokio::join!(
        newsroom::create(&p.app, &ed, &one),
        newsroom::create(&other, &ed, &two)
    );
    let (a, b) = (a?, b?);
    let tag = |s: Option<broadsheet_domain::Story>| s.and_then(|s| s.tags.first().map(|t| t.id));
    let ta = tag(p.app.store().story(a).await?);
    assert!(ta.is_some());
    assert_eq!(ta, tag(p.app.store().story(b).await?));
    Ok(())
}

// ----- 8. constraints answered in words ------------------------------------------------------

#[tokio::test]
async fn section_names_are_capped_and_a_racing_add_gets_words_not_a_500() -> TestResult {
    let p = Paper::demo(3).await?;
    let ed = actor_of(&p, Role::Editor).await?;
    let huge = "n".repeat(100_000);
    let r = newsroom::add_section(&p.app, &ed, &huge, None).await;
    assert!(
        matches!(&r, Err(AppError::Invalid(m)) if m.contains("1 to 60")),
        "{r:?}"
    );
    // Another node whose section tree has not caught up adds the same name.
    let other = second_node(&p).await?;
    newsroom::add_section(&p.app, &ed, "Weather desk", None).await?;
    let r = newsroom::add_section(&other, &ed, "Weather desk", None).await;
    assert!(
        matches!(&r, Err(AppError::Invalid(m)) if m.contains("already a page at /weather-desk")),
        "{r:?}"
    );
    Ok(())
}

#[tokio::test]
async fn two_user_adds_with_one_name_get_one_account_and_words() -> TestResult {
    let p = Paper::demo(3).await?;
    let other = second_node(&p).await?;
    let op = Actor::Operator;
    let (a, b) = tokio::join!(
        broadsheet_app::accounts::add_user(
            &p.app,
            &op,
            "sam.twin",
            "Sam Twin",
            "sam@example.org",
            Role::Reporter,
            "a long enough passphrase"
        ),
        broadsheet_app::accounts::add_user(
            &other,
            &op,
            "sam.twin",
            "Sam Twin",
            "sam@example.org",
            Role::Reporter,
            "a long enough passphrase"
        )
    );
    let (ok, lost): (Vec<_>, Vec<_>) = [a, b].into_iter().partition(|r| r.is_ok());
    assert_eq!(ok.len(), 1);
    match lost.into_iter().next() {
        Some(Err(AppError::Invalid(m))) => {
            assert!(m.contains("already a user called sam.twin"), "{m}")
        }
        other => panic!("the loser is told why: {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn unique_and_foreign_key_violations_are_named_on_both_backends() -> TestResult {
    let p = Paper::demo(3).await?;
    let ed = actor_of(&p, Role::Editor).await?;
    let id = newsroom::create(&p.app, &ed, &edit(&p, "Keys", &[])?).await?;
    let path = p
        .app
        .sections()
        .top()
        .next()
        .map(|s| s.path.clone())
        .ok_or("no section")?;
    let mut tx = p.app.store().begin().await?;
    let r = tx.insert_section("dup", "Dup", None, &path).await;
    assert!(
        matches!(&r, Err(StoreError::Conflict(c)) if c == "sections_path_key"),
        "{r:?}"
    );
    drop(tx);
    let mut tx = p.app.store().begin().await?;
    let r = tx.set_story_authors(id, &[987_654_321]).await;
    assert!(matches!(r, Err(StoreError::Reference(_))), "{r:?}");
    let e = match r {
        Err(e) => AppError::from(e),
        Ok(()) => return Err("no error".into()),
    };
    assert!(matches!(e, AppError::Invalid(m) if m.contains("no longer exists")));
    Ok(())
}
