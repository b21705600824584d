//! Reader comments and moderation (issue 12) through the real router on a
//! real database: posting, replies, edits, deletes and reports by signed-in
//! readers; the shared thread page staying shared (public, no cookie, the
//! same for everyone) while each reader's own hidden comments appear only on
//! their private page; the XSS corpus through comments; rate limits; holds
//! that name rule, score and threshold; the moderator queues and bulk
//! actions; every staff role against every moderation door; counts and Most
//! Commented after hide, remove and ban; the reply mail through a real SMTP
//! sink; and a 2,000-comment thread paged by keyset.

use axum::http::StatusCode;
use broadsheet_app::comments::{self, CommentSettings};
use broadsheet_app::readers;
use broadsheet_domain::Actor;
use broadsheet_domain::comments::{Move, PAGE_SIZE, Sanction};
use broadsheet_domain::permissions::{Action, ROLES, allows};

use crate::newsroom::signed_in;
use crate::support::{Paper, Reply, TestResult, between};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

pub(crate) fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A signed-in reader, speaking from one client address (also the
/// comments_extras tests' reader).
pub(crate) struct Reader<'a> {
    pub(crate) p: &'a Paper,
    pub(crate) id: i64,
    pub(crate) token: String,
    pub(crate) addr: String,
}

impl<'a> Reader<'a> {
    pub(crate) async fn new(p: &'a Paper, name: &str) -> Res<Reader<'a>> {
        let email = format!("{}@example.org", name.to_lowercase().replace(' ', "."));
        Self::with_email(p, &email, name).await
    }

    pub(crate) async fn with_email(p: &'a Paper, email: &str, name: &str) -> Res<Reader<'a>> {
        let acct = readers::link_verified_email(&p.app, email, name).await?;
        let s = readers::start_session(&p.app, acct.id).await?;
        Ok(Reader {
            p,
            id: acct.id,
            token: s.token,
            addr: format!("198.51.100.{}", acct.id % 250 + 1),
        })
    }

    pub(crate) fn cookie(&self) -> String {
        format!("bs_reader={}", self.token)
    }

    pub(crate) async fn get(&self, path: &str) -> Res<Reply> {
        self.p.request(path, &[("cookie", &self.cookie())]).await
    }

    pub(crate) async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Res<Reply> {
        let csrf = readers::csrf_for(&self.token);
        let mut body = format!("csrf={}", enc(&csrf));
        for (k, v) in fields {
            body.push_str(&format!("&{}={}", enc(k), enc(v)));
        }
        self.p
            .post(
                path,
                &body,
                &[("cookie", &self.cookie()), ("x-forwarded-for", &self.addr)],
            )
            .await
    }

    /// Posts a comment (sent as it is, past any warning); the redirect.
    pub(crate) async fn comment(&self, story: i64, text: &str) -> Res<Reply> {
        self.post(
            &format!("/account/comments/{story}"),
            &[("body", text), ("confirmed", "1")],
        )
        .await
    }
}

/// The id in a redirect to `…#c-ID`.
pub(crate) fn posted_id(r: &Reply) -> i64 {
    r.header("location")
        .rsplit_once("#c-")
        .and_then(|(_, id)| id.parse().ok())
        .unwrap_or(0)
}

/// A demo paper whose comments never close by age (demo stories are old).
pub(crate) async fn paper() -> Res<Paper> {
    let p = Paper::demo(4).await?;
    open_forever(&p, |_| {}).await?;
    Ok(p)
}

async fn open_forever(p: &Paper, change: impl FnOnce(&mut CommentSettings)) -> Res<()> {
    let mut s = comments::settings_row(&p.app, &Actor::Operator).await?;
    s.close_after_hours = 0;
    change(&mut s);
    comments::save_settings(&p.app, &Actor::Operator, &s).await?;
    Ok(())
}

pub(crate) async fn a_story(p: &Paper) -> Res<i64> {
    Ok(p.story_where(|_| true).await?.id)
}

/// The comment list of a thread page.
fn listed(body: &str) -> &str {
    between(body, "<ol class=\"comments\">", "</section>")
}

#[tokio::test]
async fn readers_comment_reply_edit_and_delete_and_the_thread_stays_shared() -> TestResult {
    let p = paper().await?;
    let story = a_story(&p).await?;
    let base = comments::count(&p.app, story).await?;
    let ann = Reader::new(&p, "Ann Commenter").await?;
    let bo = Reader::new(&p, "Bo Replier").await?;

    // Signed out, the private page offers sign-in and no form.
    let out = p.get(&format!("/account/comments/{story}")).await?;
    assert_eq!(out.status, StatusCode::OK);
    assert!(out.body.contains("Sign in to comment") && !out.body.contains("name=\"body\""));
    assert_eq!(out.header("cache-control"), "private, no-store");

    let r = ann.comment(story, "First thoughts\n\nOn two lines").await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.header("location").contains("m=posted"),
        "{}",
        r.header("location")
    );
    let first = posted_id(&r);

    let thread = p.get(&format!("/comments/{story}")).await?;
    assert_eq!(thread.status, StatusCode::OK);
    assert!(
        thread
            .body
            .contains("<p>First thoughts</p><p>On two lines</p>")
    );
    assert!(
        thread.header("cache-control").starts_with("public"),
        "{}",
        thread.header("cache-control")
    );
    assert!(thread.headers.get("set-cookie").is_none());
    assert!(
        thread
            .header("surrogate-key")
            .contains(&format!("story-{story}"))
    );
    // The same bytes for a signed-in reader: nothing per person on it.
    let as_ann = ann.get(&format!("/comments/{story}")).await?;
    assert_eq!(as_ann.body, thread.body);
    assert!(
        !as_ann.body.contains("Delete"),
        "no per-reader buttons on the shared page"
    );

    // A reply, one level deep; a reply to a reply is refused.
    let r = bo
        .post(
            &format!("/account/comments/{story}"),
            &[("body", "I disagree"), ("parent", &first.to_string())],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let reply = posted_id(&r);
    let r = ann
        .post(
            &format!("/account/comments/{story}"),
            &[("body", "Deeper"), ("parent", &reply.to_string())],
        )
        .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("one level deep"));
    let thread = p.get(&format!("/comments/{story}")).await?;
    assert!(between(&thread.body, &format!("id=\"c-{first}\""), "</li>").contains("I disagree"));

    // The story page shows the count (purged by the change event).
    let s = p.app.store().story(story).await?.ok_or("story")?;
    let page = p.get(&p.path_of(&s)).await?;
    assert!(
        page.body.contains(&format!("{} comments", base + 2)),
        "{}",
        between(&page.body, "comments-link", "</p>")
    );

    // Edit within the window; someone else's comment cannot be edited.
    let r = ann
        .post(
            &format!("/account/comments/edit/{first}"),
            &[("body", "Second thoughts")],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = bo
        .post(
            &format!("/account/comments/edit/{first}"),
            &[("body", "Hijack")],
        )
        .await?;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let thread = p.get(&format!("/comments/{story}")).await?;
    assert!(thread.body.contains("Second thoughts") && thread.body.contains("(edited)"));
    assert!(!thread.body.contains("Hijack"));

    // Oldest and newest first.
    let r = bo.comment(story, "A later top-level comment").await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let newest = p.get(&format!("/comments/{story}/newest")).await?;
    let a = newest.body.find("A later top-level").unwrap_or(usize::MAX);
    let b = newest.body.find("Second thoughts").unwrap_or(0);
    assert!(a < b, "newest first");

    // Delete own: gone from the thread and the count.
    let r = ann
        .post(&format!("/account/comments/delete/{first}"), &[])
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let thread = p.get(&format!("/comments/{story}")).await?;
    assert!(!thread.body.contains("Second thoughts"));
    assert_eq!(
        comments::count(&p.app, story).await?,
        base + 2,
        "the reply and the later comment"
    );

    // A form without its CSRF token is refused.
    let r = p
        .post(
            &format!("/account/comments/{story}"),
            "body=x",
            &[("cookie", &ann.cookie())],
        )
        .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn a_reader_never_sees_another_readers_hidden_comment() -> TestResult {
    let p = paper().await?;
    let story = a_story(&p).await?;
    let ann = Reader::new(&p, "Ann Hidden").await?;
    let bo = Reader::new(&p, "Bo Onlooker").await?;
    let r = ann
        .comment(story, "Something a moderator will hide")
        .await?;
    let id = posted_id(&r);
    let m = comments::moderate(&p.app, &Actor::Operator, &[id], Move::Hide, "Off topic.").await?;
    assert_eq!(m.done, 1);

    let thread = bo.get(&format!("/comments/{story}")).await?;
    assert!(!thread.body.contains("a moderator will hide"));
    let bos = bo.get(&format!("/account/comments/{story}")).await?;
    assert!(
        !bos.body.contains("a moderator will hide"),
        "not on another reader's own page"
    );
    let anon = p.get(&format!("/account/comments/{story}")).await?;
    assert!(!anon.body.contains("a moderator will hide"));
    // The report form of a hidden comment is not found either.
    let rep = bo.get(&format!("/account/comments/report/{id}")).await?;
    assert_eq!(rep.status, StatusCode::NOT_FOUND);

    let anns = ann.get(&format!("/account/comments/{story}")).await?;
    assert!(anns.body.contains("a moderator will hide"));
    assert!(anns.body.contains("Hidden: only you can see it") && anns.body.contains("Off topic."));
    assert_eq!(anns.header("cache-control"), "private, no-store");
    Ok(())
}

#[tokio::test]
async fn the_xss_corpus_through_comments_comes_out_as_text() -> TestResult {
    let p = paper().await?;
    let story = a_story(&p).await?;
    let mut ids = Vec::new();
    for (n, chunk) in broadsheet_domain::markup::XSS_CORPUS.chunks(4).enumerate() {
        let r = Reader::new(&p, &format!("Xss Writer{n}")).await?;
        for payload in chunk {
            let res = r.comment(story, payload).await?;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{payload}: {}", res.body);
            ids.push(posted_id(&res));
        }
    }
    // Those held (links) are approved so every one is on the thread.
    comments::moderate(&p.app, &Actor::Operator, &ids, Move::Approve, "").await?;
    let mut seen = 0;
    let mut next = Some(format!("/comments/{story}"));
    while let Some(path) = next.take() {
        let page = p.get(&path).await?;
        let list = listed(&page.body).to_ascii_lowercase();
        // Every real tag on the list is one the thread itself writes, and
        // none carries a handler or a script URL (payloads survive as text).
        for tag in list.split('<').skip(1) {
            let tag = tag.split('>').next().unwrap_or("");
            let name = tag.split([' ', '/']).find(|n| !n.is_empty()).unwrap_or("");
            assert!(
                [
                    "ol", "li", "article", "header", "strong", "time", "span", "div", "p", "br",
                    "a", "section", "nav", "ul"
                ]
                .contains(&name),
                "unexpected tag <{tag}> in the thread"
            );
            for bad in [" on", "javascript:", "data:", "style="] {
                assert!(!tag.contains(bad), "{bad} inside <{tag}>");
            }
        }
        seen += list.matches("class=\"comment\"").count();
        next = page
            .body
            .split("rel=\"next\" href=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .map(str::to_string);
    }
    assert!(seen >= broadsheet_domain::markup::XSS_CORPUS.len());
    Ok(())
}

#[tokio::test]
async fn comments_are_rate_limited_per_reader_and_per_client() -> TestResult {
    let p = Paper::demo_with(
        4,
        broadsheet_app::PaperConfig {
            trusted_proxy_hops: 1,
            ..broadsheet_app::PaperConfig::default()
        },
    )
    .await?;
    open_forever(&p, |_| {}).await?;
    let story = a_story(&p).await?;
    let ann = Reader::new(&p, "Ann Fast").await?;
    for i in 0..comments::PER_READER {
        let r = ann.comment(story, &format!("Comment number {i}")).await?;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{i}: {}", r.body);
    }
    let r = ann.comment(story, "One too many").await?;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("too fast"));
    // The same text twice is a duplicate, whatever the limits.
    let bo = Reader::new(&p, "Bo Twice").await?;
    assert_eq!(
        bo.comment(story, "Same words").await?.status,
        StatusCode::SEE_OTHER
    );
    let r = bo.comment(story, "same words").await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("already posted"));

    // Many readers from one address: the client limit.
    let mut refused = 0;
    for i in 0..(comments::PER_CLIENT + 3) {
        let mut r = Reader::new(&p, &format!("Crowd Member{i}")).await?;
        r.addr = "203.0.113.7".into();
        if r.comment(story, &format!("From the crowd {i}"))
            .await?
            .status
            == StatusCode::TOO_MANY_REQUESTS
        {
            refused += 1;
        }
    }
    assert_eq!(
        refused,
        3,
        "the client address gets {} at once",
        comments::PER_CLIENT
    );
    // Too long, and too many links.
    let r = bo.comment(story, &"x".repeat(3001)).await?;
    assert!(r.body.contains("shorten it"));
    let r = bo
        .comment(story, "http://a.example http://b.example http://c.example")
        .await?;
    assert!(r.body.contains("at most 2"));
    Ok(())
}

#[tokio::test]
async fn held_comments_name_rule_score_and_threshold_to_moderators() -> TestResult {
    let p = Paper::demo(4).await?;
    open_forever(&p, |s| {
        s.banned_words = "swindle".into();
        s.suspect_words = "idiot\nmoron".into();
    })
    .await?;
    let story = a_story(&p).await?;
    let ann = Reader::new(&p, "Ann Rude").await?;
    // A warning first: nothing saved, the text kept for editing.
    let w = ann
        .post(
            &format!("/account/comments/{story}"),
            &[("body", "What a swindle")],
        )
        .await?;
    assert_eq!(w.status, StatusCode::OK);
    assert!(w.body.contains("banned word") && w.body.contains("What a swindle</textarea>"));
    assert_eq!(
        comments::count(&p.app, story).await?,
        p.app.store().public_comment_count(story).await?
    );
    // Sent as it is: held.
    let r = ann.comment(story, "What a swindle").await?;
    assert!(r.header("location").contains("m=held"));
    let held = posted_id(&r);
    let r = ann.comment(story, "idiot moron").await?;
    assert!(r.header("location").contains("m=held"));
    assert!(
        !p.get(&format!("/comments/{story}"))
            .await?
            .body
            .contains("swindle")
    );
    assert!(
        ann.get(&format!("/account/comments/{story}"))
            .await?
            .body
            .contains("Waiting for a moderator")
    );

    let mut m = signed_in(&p, "moderator").await?;
    let q = m.get("/newsroom/comments?queue=pending").await?;
    assert_eq!(q.status, StatusCode::OK);
    let row = between(&q.body, &format!("id=\"m-{held}\""), "</tr>");
    assert!(
        row.contains("<span class=\"held-rule\">banned word &#34;swindle&#34;</span>")
            || row.contains("banned word &quot;swindle&quot;"),
        "{row}"
    );
    assert!(
        row.contains("<span class=\"held-score\">100</span>")
            && row.contains("<span class=\"held-threshold\">50</span>"),
        "{row}"
    );
    assert!(
        q.body
            .contains("score at or over the threshold (suspect word")
    );
    // Bulk approve from the queue.
    let csrf = m.csrf().await?;
    let r = m
        .post(
            "/newsroom/comments",
            &[
                ("csrf", &csrf),
                ("do", "approve"),
                (&format!("c{held}"), "1"),
                ("back", "queue=pending"),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        p.get(&format!("/comments/{story}"))
            .await?
            .body
            .contains("What a swindle")
    );
    let approved = m.get("/newsroom/comments?queue=approved").await?;
    assert!(approved.body.contains(&format!("id=\"m-{held}\"")));
    // Audited with the rule that held it.
    let audit = p.app.store().audit_of(story).await?;
    assert!(
        audit
            .iter()
            .any(|a| a.action == "comment.approve" && a.detail.contains("swindle")),
        "{audit:?}"
    );
    Ok(())
}

#[tokio::test]
async fn pre_moderation_new_commenters_and_closed_comments() -> TestResult {
    let p = Paper::demo(4).await?;
    open_forever(&p, |s| s.new_commenter_holds = 1).await?;
    let story = a_story(&p).await?;
    let ann = Reader::new(&p, "Ann New").await?;
    let r = ann.comment(story, "My very first comment").await?;
    assert!(r.header("location").contains("m=held"));
    let first = posted_id(&r);
    let c = p.app.store().comment(first).await?.ok_or("comment")?;
    assert_eq!(c.held_rule, "new commenter: 0 of 1 comments approved");
    comments::moderate(&p.app, &Actor::Operator, &[first], Move::Approve, "").await?;
    let r = ann.comment(story, "Now trusted").await?;
    assert!(
        r.header("location").contains("m=posted"),
        "{}",
        r.header("location")
    );

    // A story marked legal is pre-moderated.
    comments::set_policy(
        &p.app,
        &Actor::Operator,
        &comments::CommentPolicy {
            scope: "story".into(),
            target_id: story,
            open: "inherit".into(),
            moderation: "inherit".into(),
            legal: 1,
        },
    )
    .await?;
    let r = ann.comment(story, "About the trial").await?;
    let c = p
        .app
        .store()
        .comment(posted_id(&r))
        .await?
        .ok_or("comment")?;
    assert_eq!(c.held_rule, "pre-moderation: this story is marked legal");
    // Closed on the story, and off site-wide with the paper's message.
    comments::set_policy(
        &p.app,
        &Actor::Operator,
        &comments::CommentPolicy {
            scope: "story".into(),
            target_id: story,
            open: "closed".into(),
            moderation: "inherit".into(),
            legal: 0,
        },
    )
    .await?;
    let r = ann.comment(story, "Too late").await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        p.get(&format!("/comments/{story}"))
            .await?
            .body
            .contains("Comments are closed on this story.")
    );
    open_forever(&p, |s| {
        s.enabled = 0;
        s.off_message = "Comments are resting tonight.".into();
    })
    .await?;
    let other = p.story_where(|s| s.id != story).await?.id;
    assert!(
        p.get(&format!("/comments/{other}"))
            .await?
            .body
            .contains("Comments are resting tonight.")
    );
    assert_eq!(
        ann.comment(other, "Anyone?").await?.status,
        StatusCode::FORBIDDEN
    );
    // Subscribers only.
    open_forever(&p, |s| {
        s.enabled = 1;
        s.who = "subscribers".into();
    })
    .await?;
    let r = ann.comment(other, "Not a subscriber").await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Only subscribers"));
    Ok(())
}

/// Every role against every moderation door: allowed exactly when the role
/// table gives `ModerateComments`.
#[tokio::test]
async fn every_role_against_every_moderation_action() -> TestResult {
    let p = paper().await?;
    let story = a_story(&p).await?;
    let writer = Reader::new(&p, "Walk Writer").await?;
    let mut walked = 0;
    for role in ROLES {
        let mut d = signed_in(&p, role.as_str()).await?;
        let csrf = d.csrf().await?;
        let want = allows(role, Action::ModerateComments);
        let id = posted_id(
            &writer
                .comment(story, &format!("For the {role} walk"))
                .await?,
        )
        .to_string();
        let c = format!("c{id}");
        let reader = writer.id.to_string();
        let target = story.to_string();
        let probes: Vec<(&str, Reply)> = vec![
            ("queue", d.get("/newsroom/comments?queue=all").await?),
            ("settings page", d.get("/newsroom/comments/settings").await?),
            (
                "commenter page",
                d.get(&format!("/newsroom/comments/readers/{reader}"))
                    .await?,
            ),
            (
                "hide",
                d.post(
                    "/newsroom/comments",
                    &[("csrf", &csrf), ("do", "hide"), (&c, "1")],
                )
                .await?,
            ),
            (
                "restore",
                d.post(
                    "/newsroom/comments",
                    &[("csrf", &csrf), ("do", "restore"), (&c, "1")],
                )
                .await?,
            ),
            (
                "remove",
                d.post(
                    "/newsroom/comments",
                    &[("csrf", &csrf), ("do", "remove"), (&c, "1")],
                )
                .await?,
            ),
            (
                "approve",
                d.post(
                    "/newsroom/comments",
                    &[("csrf", &csrf), ("do", "approve"), (&c, "1")],
                )
                .await?,
            ),
            (
                "reject",
                d.post(
                    "/newsroom/comments",
                    &[("csrf", &csrf), ("do", "reject"), (&c, "1")],
                )
                .await?,
            ),
            (
                "dismiss",
                d.post(
                    "/newsroom/comments",
                    &[("csrf", &csrf), ("do", "dismiss"), (&c, "1")],
                )
                .await?,
            ),
            (
                "sanction",
                d.post(
                    &format!("/newsroom/comments/readers/{reader}"),
                    &[("csrf", &csrf), ("kind", "warn"), ("reason", "Be kind.")],
                )
                .await?,
            ),
            (
                "policy",
                d.post(
                    "/newsroom/comments/policy",
                    &[
                        ("csrf", &csrf),
                        ("scope", "story"),
                        ("target", &target),
                        ("open", "inherit"),
                        ("moderation", "inherit"),
                    ],
                )
                .await?,
            ),
            (
                "settings",
                d.post(
                    "/newsroom/comments/settings",
                    &[
                        ("csrf", &csrf),
                        ("enabled", "1"),
                        ("who", "registered"),
                        ("close_after_hours", "0"),
                        ("new_commenter_holds", "0"),
                        ("hold_threshold", "50"),
                        ("default_moderation", "post"),
                    ],
                )
                .await?,
            ),
        ];
        for (what, r) in probes {
            let granted = r.status == StatusCode::OK || r.status == StatusCode::SEE_OTHER;
            let refused = r.status == StatusCode::FORBIDDEN;
            assert!(
                granted || refused,
                "{role} {what}: {} {}",
                r.status,
                &r.body[..r.body.len().min(300)]
            );
            assert_eq!(granted, want, "{role} {what}: {}", r.status);
            walked += 1;
        }
        let state = p
            .app
            .store()
            .comment(id.parse()?)
            .await?
            .ok_or("comment")?
            .status;
        assert_eq!(
            state,
            if want { "removed" } else { "public" },
            "{role}: the moves happened only when allowed"
        );
    }
    assert_eq!(walked, ROLES.len() * 12);
    Ok(())
}

#[tokio::test]
async fn counts_and_most_commented_follow_hide_remove_and_ban() -> TestResult {
    let p = paper().await?;
    // The story with no comments yet, so ours decide its place.
    let story = a_story(&p).await?;
    let base = comments::count(&p.app, story).await?;
    let s = p.app.store().story(story).await?.ok_or("story")?;
    let path = p.path_of(&s);
    let ann = Reader::new(&p, "Ann Counted").await?;
    let bo = Reader::new(&p, "Bo Counted").await?;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(posted_id(
            &ann.comment(story, &format!("Counted comment {i}")).await?,
        ));
    }
    let bo_id = posted_id(&bo.comment(story, "Bo stays").await?);
    let shown = |n: i64| format!("{n} comments");
    let check = |want: i64| {
        let p = &p;
        let path = path.clone();
        let want_text = shown(want);
        async move {
            let page = p.get(&path).await?;
            assert!(
                page.body.contains(&want_text),
                "story page: {}",
                between(&page.body, "comments-link", "</p>")
            );
            let thread = p.get(&format!("/comments/{story}")).await?;
            assert!(
                thread.body.contains(&format!("{want} comments")),
                "thread count"
            );
            let most = p.app.rankings();
            let ranked = most
                .most_commented
                .iter()
                .chain(most.most_read.iter())
                .find(|r| r.card.id == story);
            if let Some(r) = ranked {
                assert_eq!(r.comments, want, "rankings carry the public count");
            }
            let mc = most.most_commented.iter().find(|r| r.card.id == story);
            assert!(
                mc.is_some_and(|r| r.count <= want),
                "Most Commented counts public comments only"
            );
            Ok::<(), Box<dyn std::error::Error>>(())
        }
    };
    // Warm the caches, then move and look again: purged, not stale.
    check(base + 5).await?;
    comments::moderate(&p.app, &Actor::Operator, &[ids[0]], Move::Hide, "Hidden.").await?;
    check(base + 4).await?;
    comments::moderate(
        &p.app,
        &Actor::Operator,
        &[ids[1]],
        Move::Remove,
        "Removed.",
    )
    .await?;
    check(base + 3).await?;
    comments::sanction(
        &p.app,
        &Actor::Operator,
        ann.id,
        Sanction::Ban,
        0,
        "Spam.",
        "three reports",
    )
    .await?;
    check(base + 1).await?;
    let fresh = p.app.store().most_commented(0, 50).await?;
    let ours = fresh
        .iter()
        .find(|(id, _)| *id == story)
        .map(|(_, n)| *n)
        .unwrap_or(0);
    assert_eq!(
        ours,
        base + 1,
        "Most Commented's rows count public comments only"
    );
    assert!(
        p.get(&format!("/comments/{story}"))
            .await?
            .body
            .contains("Bo stays")
    );
    let _ = bo_id;
    // The banned reader is told why and cannot post.
    let r = ann.comment(story, "Let me back").await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Spam."));
    Ok(())
}

#[tokio::test]
async fn a_published_reply_mails_the_reader_it_answers() -> TestResult {
    let (p, sink) = crate::readers::paper_with_mail().await?;
    open_forever(&p, |_| {}).await?;
    let story = a_story(&p).await?;
    let ann = Reader::new(&p, "Ann Answered").await?;
    let bo = Reader::new(&p, "Bo Answers").await?;
    let first = posted_id(&ann.comment(story, "What do you think?").await?);
    // Ann answering herself mails nobody; Bo's held reply mails once approved.
    ann.post(
        &format!("/account/comments/{story}"),
        &[("body", "Anyone?"), ("parent", &first.to_string())],
    )
    .await?;
    let r = bo
        .post(
            &format!("/account/comments/{story}"),
            &[
                ("body", "See https://example.org/answer"),
                ("parent", &first.to_string()),
                ("confirmed", "1"),
            ],
        )
        .await?;
    assert!(r.header("location").contains("m=held"));
    let reply = posted_id(&r);
    comments::moderate(&p.app, &Actor::Operator, &[reply], Move::Approve, "").await?;
    let mails = sink
        .wait_for("ann.answered@example.org", "Bo Answers replied", 1)
        .await?;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains(&format!("/comments/{story}#c-{reply}")),
        "{}",
        mails[0]
    );
    Ok(())
}

#[tokio::test]
async fn a_two_thousand_comment_thread_pages_by_keyset() -> TestResult {
    let p = paper().await?;
    let story = a_story(&p).await?;
    let base = comments::count(&p.app, story).await?;
    let t = broadsheet_app::now();
    let rows: Vec<(i64, String, String, i64)> = (0..2000)
        .map(|i| {
            (
                story,
                format!("Reader {i}"),
                format!("Comment body {i}"),
                t - 4000 + i,
            )
        })
        .collect();
    p.app.store().insert_comments(&rows).await?;
    p.app.apply_changes().await?;
    let mut path = Some(format!("/comments/{story}"));
    let (mut pages, mut seen) = (0, 0);
    let mut last_seen = String::new();
    while let Some(pth) = path.take() {
        let started = std::time::Instant::now();
        let page = p.get(&pth).await?;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            started.elapsed().as_secs() < 5,
            "a page of a long thread renders fast"
        );
        let n = listed(&page.body).matches("class=\"comment\"").count();
        assert!(n as i64 <= PAGE_SIZE);
        seen += n;
        pages += 1;
        last_seen = page.body.clone();
        path = page
            .body
            .split("rel=\"next\" href=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .map(str::to_string);
    }
    assert_eq!(seen as i64, base + 2000);
    assert_eq!(pages, (base + 2000 + PAGE_SIZE - 1) / PAGE_SIZE);
    assert!(last_seen.contains("Comment body 1999"));
    assert!(
        p.get(&format!("/comments/{story}"))
            .await?
            .body
            .contains(&format!("{} comments", base + 2000))
    );
    Ok(())
}
