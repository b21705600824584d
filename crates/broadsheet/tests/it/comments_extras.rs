//! Reactions, featured comments, badges and ignore lists (issue 12, item 1)
//! through the router in-process, on the test backend: one recommendation
//! per reader, never on their own comment, rate-limited; featuring walked for every role
//! and undone by hiding; badges only when true (a lapsed subscriber has
//! none); one reader's ignore list never on another reader's page, nor on
//! the shared (cached) thread.

use axum::http::StatusCode;
use broadsheet_domain::EntitlementSource;
use broadsheet_domain::permissions::{Action, ROLES, allows};

use crate::comments::{Reader, a_story, paper, posted_id};
use crate::newsroom::{signed_in, user_of_role};
use crate::support::{Reply, TestResult};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Comment-specific steps of the comments tests' reader.
impl Reader<'_> {
    /// Posts a comment (past any warning); its id.
    async fn comment_id(&self, story: i64, text: &str) -> Res<i64> {
        let r = self.comment(story, text).await?;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "posting: {}", r.body);
        let id = posted_id(&r);
        assert!(id > 0, "no comment id in {}", r.header("location"));
        Ok(id)
    }

    async fn react(&self, id: i64) -> Res<Reply> {
        self.post(&format!("/account/comments/react/{id}"), &[])
            .await
    }
}

/// The article of comment `id` on a page (empty when absent).
fn article(body: &str, id: i64) -> String {
    let start = "<article class=\"comment";
    let marker = format!("id=\"c-{id}\"");
    body.match_indices(&start)
        .map(|(i, _)| &body[i..])
        .find(|s| s[..s.find('>').unwrap_or(0)].contains(&marker))
        .map(|s| s[..s.find("</article>").unwrap_or(s.len())].to_string())
        .unwrap_or_default()
}

fn recommendations(body: &str, id: i64) -> String {
    let a = article(body, id);
    let i = a.find("class=\"comment-reactions\">").map(|i| i + 26);
    i.and_then(|i| a[i..].split_once('<').map(|(n, _)| n.to_string()))
        .unwrap_or_default()
}

#[tokio::test]
async fn one_recommendation_per_reader_toggled_never_on_ones_own() -> TestResult {
    let p = paper().await?;
    let story = a_story(&p).await?;
    let ann = Reader::new(&p, "Ann Reacts").await?;
    let bob = Reader::new(&p, "Bob Reacts").await?;
    let cat = Reader::new(&p, "Cat Reacts").await?;
    let id = ann
        .comment_id(story, "A comment worth recommending")
        .await?;
    let other = ann.comment_id(story, "A second comment by Ann").await?;

    // Not on one's own comment.
    let r = ann.react(id).await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("your own comment"));

    // Bob twice: on, then off again; Cat once.
    let r = bob.react(id).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.header("location")
            .starts_with(&format!("/account/comments/read/{story}"))
    );
    let thread = p.get(&format!("/comments/{story}")).await?;
    assert_eq!(recommendations(&thread.body, id), "1 recommendation");
    let mine = bob.get(&format!("/account/comments/read/{story}")).await?;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.header("cache-control"), "private, no-store");
    assert!(article(&mine.body, id).contains("aria-pressed=\"true\""));
    assert!(bob.react(id).await?.status == StatusCode::SEE_OTHER);
    let thread = p.get(&format!("/comments/{story}")).await?;
    assert_eq!(recommendations(&thread.body, id), "0 recommendations");
    bob.react(id).await?;
    cat.react(id).await?;
    let thread = p.get(&format!("/comments/{story}")).await?;
    assert_eq!(recommendations(&thread.body, id), "2 recommendations");

    // Most recommended first: the recommended one heads the order, though newer ones exist.
    let sorted = p.get(&format!("/comments/{story}/reacted")).await?;
    assert_eq!(sorted.status, StatusCode::OK);
    let (a, b) = (
        sorted.body.find(&format!("id=\"c-{id}\"")),
        sorted.body.find(&format!("id=\"c-{other}\"")),
    );
    assert!(
        a.is_some() && b.is_some() && a < b,
        "most recommended first"
    );
    let oldest = p.get(&format!("/comments/{story}")).await?;
    assert!(oldest.body.contains("Most recommended"));

    // Rate-limited: Cat has used one; the rest of her allowance passes, then not.
    for n in 1..broadsheet_app::comment_extras::REACTIONS_PER_READER {
        let r = cat.react(id).await?;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "reaction {n}");
    }
    let r = cat.react(id).await?;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("too fast"));

    // Signed out: a link to the private page, no form.
    let r = p.get(&format!("/account/comments/react/{id}")).await?;
    assert!(r.body.contains("Sign in"));
    Ok(())
}

#[tokio::test]
async fn every_role_may_feature_exactly_as_the_table_says_and_hiding_unfeatures() -> TestResult {
    let p = paper().await?;
    let story = a_story(&p).await?;
    let writer = Reader::new(&p, "Featured Writer").await?;
    let mut walked = 0;
    for role in ROLES {
        let id = writer
            .comment_id(story, &format!("Worth featuring, says the {role} walk"))
            .await?;
        let mut d = signed_in(&p, role.as_str()).await?;
        let csrf = d.csrf().await?;
        let c = format!("c{id}");
        let r = d
            .post(
                "/newsroom/comments",
                &[("csrf", &csrf), ("do", "feature"), (&c, "1")],
            )
            .await?;
        let thread = p.get(&format!("/comments/{story}")).await?;
        let featured = thread.body.contains("<h2 id=\"featured-h\">Featured</h2>")
            && article(&thread.body, id).contains("badge-featured");
        let want = allows(role, Action::FeatureComments);
        assert_eq!(
            featured, want,
            "{role}: featured {featured}, status {}",
            r.status
        );
        if !want {
            assert!(
                r.status == StatusCode::FORBIDDEN || r.status == StatusCode::SEE_OTHER,
                "{role}: {}",
                r.status
            );
        } else {
            // The featured block comes before the list.
            let block = thread.body.find("featured-h").unwrap_or(usize::MAX);
            let list = thread.body.rfind("<ol class=\"comments\">").unwrap_or(0);
            assert!(block < list);
            // Hiding it unfeatures it: restored, it is no longer featured.
            for mv in ["hide", "restore"] {
                let r = d
                    .post(
                        "/newsroom/comments",
                        &[("csrf", &csrf), ("do", mv), (&c, "1")],
                    )
                    .await?;
                assert_eq!(r.status, StatusCode::SEE_OTHER, "{role} {mv}");
            }
            let thread = p.get(&format!("/comments/{story}")).await?;
            assert!(article(&thread.body, id).contains("Worth featuring"));
            assert!(
                !article(&thread.body, id).contains("badge-featured"),
                "{role}: hiding unfeatures"
            );
            // And the move is audited.
            let audit = p.app.store().audit_of(story).await?;
            assert!(
                audit.iter().any(|a| a.action == "comment.feature"),
                "feature audited"
            );
        }
        walked += 1;
    }
    assert_eq!(walked, ROLES.len());
    Ok(())
}

#[tokio::test]
async fn badges_only_when_true_and_a_lapsed_subscriber_has_none() -> TestResult {
    let p = paper().await?;
    let story = a_story(&p).await?;
    let sub = Reader::new(&p, "Sue Subscriber").await?;
    let lapsed = Reader::new(&p, "Len Lapsed").await?;
    let plain = Reader::new(&p, "Pat Plain").await?;
    let editor = user_of_role(&p, "editor").await?;
    let staff = Reader::with_email(&p, &format!("{editor}@example.com"), "Ed Staff").await?;
    let t = broadsheet_app::now();
    let mut tx = p.app.store().begin().await?;
    tx.grant_entitlement(
        sub.id,
        EntitlementSource::Subscription,
        "sub_a",
        t - 60,
        None,
    )
    .await?;
    tx.grant_entitlement(
        lapsed.id,
        EntitlementSource::Subscription,
        "sub_b",
        t - 86_400,
        Some(t - 60),
    )
    .await?;
    tx.commit().await?;
    let a = sub.comment_id(story, "From a subscriber").await?;
    let b = lapsed.comment_id(story, "From a lapsed subscriber").await?;
    let c = plain.comment_id(story, "From a registered reader").await?;
    let d = staff.comment_id(story, "From the newsroom").await?;
    let thread = p.get(&format!("/comments/{story}")).await?;
    let badge = |id: i64, b: &str| {
        article(&thread.body, id).contains(&format!("<span class=\"badge\">{b}</span>"))
    };
    assert!(badge(a, "Subscriber"));
    assert!(!badge(a, "Staff"));
    assert!(!badge(b, "Subscriber"), "a lapsed subscriber has no badge");
    assert!(!badge(c, "Subscriber") && !badge(c, "Staff"));
    assert!(badge(d, "Staff"));
    assert!(!badge(d, "Subscriber"));
    Ok(())
}

/// On a node with a page cache (a second node on the same database, which
/// learns of changes only through change events): the thread is cached,
/// a subscription ended by a write drops its "Subscriber" badge within
/// seconds (the `commenter-N` purge), and one that runs out by the clock
/// drops it when it runs out (the page is kept no longer).
#[tokio::test]
async fn a_cached_thread_drops_a_badge_when_the_subscription_ends() -> TestResult {
    use std::time::{Duration, Instant};

    use axum::body::Body;
    use broadsheet_app::{App, PaperConfig};
    use broadsheet_web::{Web, WebOptions};

    use crate::support::send_to;

    let p = paper().await?;
    let story = a_story(&p).await?;
    let ended = Reader::new(&p, "Ellen Ended").await?;
    let runs_out = Reader::new(&p, "Rory Runsout").await?;
    let t = broadsheet_app::now();
    let mut tx = p.app.store().begin().await?;
    let ended_id = tx
        .grant_entitlement(
            ended.id,
            EntitlementSource::Subscription,
            "sub_e",
            t - 60,
            None,
        )
        .await?;
    tx.grant_entitlement(
        runs_out.id,
        EntitlementSource::Subscription,
        "sub_r",
        t - 60,
        Some(t + 3),
    )
    .await?;
    tx.commit().await?;
    let a = ended.comment_id(story, "Subscribed until today").await?;
    let b = runs_out
        .comment_id(story, "Subscribed for three more seconds")
        .await?;

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
    let node = b_web.router();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let jobs = b_app.spawn_jobs(stop_rx);
    let path = format!("/comments/{story}");
    let thread = || send_to(&node, "GET", &path, Body::empty(), &[]);
    let badge =
        |body: &str, id: i64| article(body, id).contains("<span class=\"badge\">Subscriber</span>");
    let first = thread().await?;
    assert!(
        badge(&first.body, a) && badge(&first.body, b),
        "both subscribe now"
    );
    let again = thread().await?;
    assert_eq!(again.header("x-cache"), "hit", "the thread is cached");

    let mut tx = p.app.store().begin().await?;
    assert!(tx.end_entitlement(ended_id, broadsheet_app::now()).await?);
    tx.commit().await?;
    let t0 = Instant::now();
    let mut gone = false;
    while t0.elapsed() < Duration::from_secs(3) && !gone {
        gone = !badge(&thread().await?.body, a);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        gone,
        "the ended subscription's badge stayed on the cached thread"
    );
    let now = thread().await?;
    assert!(badge(&now.body, b), "the other commenter still subscribes");
    assert_eq!(thread().await?.header("x-cache"), "hit", "cached again");

    // No write marks the end of the other one: the clock does.
    while broadsheet_app::now() < t + 3 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let later = thread().await?;
    assert!(
        !badge(&later.body, b),
        "a subscription that ran out still shows on the cached thread"
    );
    let _ = stop.send(true);
    for j in jobs {
        let _ = j.await;
    }
    Ok(())
}

#[tokio::test]
async fn an_ignore_list_collapses_for_its_reader_only_and_can_be_undone() -> TestResult {
    let p = paper().await?;
    let story = a_story(&p).await?;
    let loud = Reader::new(&p, "Loud Commenter").await?;
    let ann = Reader::new(&p, "Ann Ignores").await?;
    let bob = Reader::new(&p, "Bob Reads").await?;
    let id = loud
        .comment_id(story, "Something Ann would rather not read")
        .await?;

    // The shared page is cached before anyone ignores anybody.
    let before = p.get(&format!("/comments/{story}")).await?;
    assert!(article(&before.body, id).contains("Something Ann"));

    // Not oneself.
    let r = loud
        .post(&format!("/account/comments/ignore/{id}"), &[])
        .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let r = ann
        .post(&format!("/account/comments/ignore/{id}"), &[])
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mine = ann.get(&format!("/account/comments/read/{story}")).await?;
    assert_eq!(mine.header("cache-control"), "private, no-store");
    assert!(
        article(&mine.body, id).contains("Comment from a commenter you ignore"),
        "collapsed for Ann"
    );
    // Bob's own view, and the shared page with Ann's or Bob's cookie: not collapsed.
    let bobs = bob.get(&format!("/account/comments/read/{story}")).await?;
    assert!(!bobs.body.contains("Comment from a commenter you ignore"));
    assert!(article(&bobs.body, id).contains("Something Ann"));
    for r in [
        ann.get(&format!("/comments/{story}")).await?,
        bob.get(&format!("/comments/{story}")).await?,
        p.get(&format!("/comments/{story}")).await?,
    ] {
        assert!(!r.body.contains("Comment from a commenter you ignore"));
        assert!(r.header("cache-control").starts_with("public"));
    }

    // Ann's account page leads to her list, which names Loud; undo from there.
    let account = ann.get("/account").await?;
    assert!(account.body.contains("href=\"/account/comments/ignored\""));
    let list = ann.get("/account/comments/ignored").await?;
    assert!(list.body.contains("Loud Commenter"));
    let r = ann
        .post(&format!("/account/comments/unignore/{}", loud.id), &[])
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mine = ann.get(&format!("/account/comments/read/{story}")).await?;
    assert!(!mine.body.contains("Comment from a commenter you ignore"));
    assert!(
        !ann.get("/account/comments/ignored")
            .await?
            .body
            .contains("Loud Commenter")
    );
    // Bob's list was always empty.
    assert!(
        !bob.get("/account/comments/ignored")
            .await?
            .body
            .contains("Loud Commenter")
    );
    Ok(())
}
