//! Newsletters (issue 13 item 5), through the real entry points: the
//! preference centre and mailed links through the router, the job's own
//! functions (`build_issue`, `send_due`), and a real SMTP sink (`aiosmtpd`)
//! that receives the messages, or refuses an address for good. Both
//! databases.

use broadsheet_app::newsletters::{self, NewsletterRow};
use broadsheet_app::{PaperConfig, newsroom};
use broadsheet_domain::{Access, EntitlementSource};
use broadsheet_store::StoryEdit;

use crate::newsroom::signed_in;
use crate::readers::{Browser, SmtpSink, input, signed_up};
use crate::support::{Paper, TestResult};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Said only in the opening paragraph of the paid story.
const PAID_PHRASE: &str = "harbourmaster quietly signed the ferry contract";
/// Said only in the opening paragraph of the free story.
const FREE_PHRASE: &str = "lifeboat crew rehearsed the winter drill";

async fn paper(sink: &SmtpSink) -> Res<Paper> {
    Paper::demo_with(
        3,
        PaperConfig {
            smtp_url: Some(sink.url()),
            trusted_proxy_hops: 1,
            base_url: Some("https://news.example.com".into()),
            ..PaperConfig::default()
        },
    )
    .await
}

async fn briefing(p: &Paper) -> Res<NewsletterRow> {
    Ok(p.app
        .store()
        .newsletters()
        .await?
        .into_iter()
        .find(|n| n.slug == "morning-briefing")
        .ok_or("no morning briefing")?)
}

/// Publishes a paid and a free story now; returns their ids.
async fn two_fresh_stories(p: &Paper) -> Res<(i64, i64)> {
    let editor = crate::support::staff_of_role(p, "editor").await?;
    let section = p
        .app
        .sections()
        .by_path("news")
        .ok_or("no news section")?
        .id;
    let mut ids = Vec::new();
    for (headline, phrase, access) in [
        (
            "Ferry deal agreed behind closed doors",
            PAID_PHRASE,
            Access::Subscribers,
        ),
        (
            "Lifeboat crew ready for the winter",
            FREE_PHRASE,
            Access::Free,
        ),
    ] {
        let e = StoryEdit {
            section_id: section,
            headline: headline.into(),
            standfirst: "A standfirst everyone may read.".into(),
            body: format!(
                "The {phrase} on Monday morning.\n\nA second paragraph.\n\nA third paragraph.\n\nA fourth paragraph that only subscribers read."
            ),
            byline_text: None,
            access,
            breaking: false,
            seo_title: String::new(),
            seo_description: String::new(),
            tags: vec![],
            authors: vec![editor.id],
            lead_picture_id: None,
        };
        let id = newsroom::create(&p.app, &editor.actor(), &e).await?;
        newsroom::publish(&p.app, &editor.actor(), id, 1, None).await?;
        ids.push(id);
    }
    Ok((ids[0], ids[1]))
}

/// The `t` of the first `path?t=` link in `text` (the token's own characters).
fn token_after(text: &str, path: &str) -> Option<String> {
    let i = text.find(&format!("{path}?t="))?;
    let rest = &text[i + path.len() + 3..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

/// Signs `email` up, asks for `newsletter` in the preference centre and
/// confirms it by the mailed link; the reader's browser.
async fn subscribed<'a>(
    p: &'a Paper,
    sink: &SmtpSink,
    email: &str,
    addr: &str,
    newsletter: i64,
) -> Res<Browser<'a>> {
    let mut b = signed_up(p, sink, email, addr).await?;
    let field = format!("nl-{newsletter}");
    let r = b
        .submit(
            "/account/newsletters",
            "/account/newsletters",
            &[(field.as_str(), "1"), ("do", "save")],
        )
        .await?;
    assert_eq!(r.status, 303, "{}", r.body);
    let mail = sink
        .wait_for(email, "/newsletters/confirm?t=", 1)
        .await?
        .pop()
        .ok_or("no confirming mail")?;
    let token = token_after(&mail, "/newsletters/confirm").ok_or("no confirming link")?;
    // Opening the link changes nothing (a link scanner may open it).
    let page = b.get(&format!("/newsletters/confirm?t={token}")).await?;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(input(&page.body, "t"), token);
    let subs = p
        .app
        .store()
        .reader_subscriptions(reader_id(p, email).await?)
        .await?;
    assert_eq!(subs.len(), 1);
    assert_eq!(
        subs[0].status, "pending",
        "opening the link confirms nothing"
    );
    let done = b
        .post("/newsletters/confirm", &[("t", token.as_str())])
        .await?;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("You are subscribed"), "{}", done.body);
    Ok(b)
}

async fn reader_id(p: &Paper, email: &str) -> Res<i64> {
    Ok(p.app
        .store()
        .reader_by_email(email)
        .await?
        .ok_or("no reader")?
        .id)
}

async fn make_subscriber(p: &Paper, email: &str) -> Res<()> {
    let id = reader_id(p, email).await?;
    let mut tx = p.app.store().begin().await?;
    tx.grant_entitlement(id, EntitlementSource::Grant, "test", 1, None)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[tokio::test]
async fn double_opt_in_then_an_issue_through_the_gate_then_one_click_unsubscribe() -> TestResult {
    let sink = SmtpSink::start()?;
    let p = paper(&sink).await?;
    let nl = briefing(&p).await?;
    let _ann = subscribed(&p, &sink, "ann@example.com", "198.51.100.31", nl.id).await?;
    let _bo = subscribed(&p, &sink, "bo@example.com", "198.51.100.32", nl.id).await?;
    make_subscriber(&p, "ann@example.com").await?;

    // The record of consent: the words agreed to, when, and how confirmed.
    let ann = reader_id(&p, "ann@example.com").await?;
    let subs = p.app.store().reader_subscriptions(ann).await?;
    assert_eq!(subs[0].status, "active");
    assert!(subs[0].consent_text.contains("The Morning Briefing"));
    assert!(subs[0].confirmed_at.is_some());
    let export = broadsheet_app::readers::export(&p.app, ann).await?;
    assert_eq!(export["newsletters"][0]["newsletter"], "morning-briefing");
    assert_eq!(export["newsletters"][0]["status"], "active");

    // A welcome message, with the list headers.
    let welcome = sink
        .wait_for("ann@example.com", "Welcome to The Morning Briefing", 1)
        .await?;
    assert!(welcome[0].contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));

    let (paid, free) = two_fresh_stories(&p).await?;
    let t = broadsheet_app::now();
    let issue = newsletters::build_issue(&p.app, &nl, "test-day-1", t)
        .await?
        .ok_or("no issue built")?;
    assert_eq!(
        newsletters::build_issue(&p.app, &nl, "test-day-1", t).await?,
        None,
        "one issue a day: a second node building it too makes nothing"
    );
    let row = p.app.store().issue(issue).await?.ok_or("no issue row")?;
    assert_eq!(row.status, "sending");
    assert_eq!(row.recipients, 2);
    assert!(row.story_ids.contains(&paid.to_string()) && row.story_ids.contains(&free.to_string()));

    assert_eq!(newsletters::send_due(&p.app).await?, 2);
    let to_ann = sink
        .wait_for("ann@example.com", "Ferry deal agreed", 1)
        .await?;
    let to_bo = sink
        .wait_for("bo@example.com", "Ferry deal agreed", 1)
        .await?;
    // Paid text only for the entitled reader; the free story for both.
    assert!(
        to_ann[0].contains(PAID_PHRASE),
        "the subscriber reads the paid opening"
    );
    assert!(
        !to_bo[0].contains(PAID_PHRASE),
        "no paid text for a reader who is not entitled"
    );
    assert!(
        !to_ann[0].contains("only subscribers read"),
        "an opening, not the story"
    );
    assert!(to_ann[0].contains(FREE_PHRASE) && to_bo[0].contains(FREE_PHRASE));
    for m in [&to_ann[0], &to_bo[0]] {
        assert!(
            m.contains("List-Unsubscribe: <https://news.example.com/newsletters/unsubscribe?t=")
        );
        assert!(m.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(m.contains("Content-Type: text/html") && m.contains("Content-Type: text/plain"));
    }
    // Sent once: the job finds nothing more, the issue is done.
    assert_eq!(newsletters::send_due(&p.app).await?, 0);
    assert_eq!(
        sink.wait_for("ann@example.com", "Ferry deal agreed", 1)
            .await?
            .len(),
        1
    );
    let row = p.app.store().issue(issue).await?.ok_or("no issue row")?;
    assert_eq!((row.status.as_str(), row.sent), ("sent", 2));

    // Opens and clicks, counted for the issue only.
    let open = p.get(&format!("/newsletters/o/{issue}.gif")).await?;
    assert_eq!(open.status, 200);
    assert_eq!(open.header("content-type"), "image/gif");
    let click = p.get(&format!("/newsletters/c/{issue}/{free}")).await?;
    assert_eq!(click.status, 303);
    assert!(click.header("location").ends_with(&format!("-{free}")));
    let stray = p.get(&format!("/newsletters/c/{issue}/999999")).await?;
    assert_eq!(
        (stray.status.as_u16(), stray.header("location")),
        (303, "/")
    );
    let row = p.app.store().issue(issue).await?.ok_or("no issue row")?;
    assert_eq!((row.opens, row.clicks), (1, 1));
    assert_eq!(p.app.store().issue_clicks(issue).await?, vec![(free, 1)]);

    // RFC 8058: the mail client posts List-Unsubscribe=One-Click to the
    // header's address, with no cookie and no form token.
    let token = token_after(&to_bo[0], "/newsletters/unsubscribe").ok_or("no unsubscribe link")?;
    let r = p
        .post(
            &format!("/newsletters/unsubscribe?t={token}"),
            "List-Unsubscribe=One-Click",
            &[],
        )
        .await?;
    assert_eq!(r.status, 200, "{}", r.body);
    let bo = reader_id(&p, "bo@example.com").await?;
    let subs = p.app.store().reader_subscriptions(bo).await?;
    assert_eq!(subs[0].status, "unsubscribed");
    assert_eq!(
        subs[0].unsubscribed_via.as_deref(),
        Some("one-click (mail client)")
    );
    // Again is fine; a forged token is not.
    let again = p
        .post(
            &format!("/newsletters/unsubscribe?t={token}"),
            "List-Unsubscribe=One-Click",
            &[],
        )
        .await?;
    assert_eq!(again.status, 200);
    let forged = token.replacen(&format!("u.{bo}."), &format!("u.{ann}."), 1);
    let r = p
        .post(
            &format!("/newsletters/unsubscribe?t={forged}"),
            "List-Unsubscribe=One-Click",
            &[],
        )
        .await?;
    assert_eq!(r.status, 400, "another reader's number with this signature");
    assert_eq!(
        p.app.store().reader_subscriptions(ann).await?[0].status,
        "active"
    );

    // The next issue goes to Ann only.
    two_fresh_stories(&p).await?;
    let next = newsletters::build_issue(&p.app, &nl, "test-day-2", broadsheet_app::now())
        .await?
        .ok_or("no second issue")?;
    assert_eq!(p.app.store().issue(next).await?.ok_or("row")?.recipients, 1);
    Ok(())
}

#[tokio::test]
async fn nothing_new_is_skipped_and_a_restart_sends_nothing_twice() -> TestResult {
    let sink = SmtpSink::start()?;
    let p = paper(&sink).await?;
    let nl = briefing(&p).await?;
    let mut readers = Vec::new();
    for (i, who) in ["cy", "di", "ed"].iter().enumerate() {
        let email = format!("{who}@example.com");
        subscribed(&p, &sink, &email, &format!("198.51.100.4{i}"), nl.id).await?;
        readers.push(email);
    }
    // A first issue (of whatever the demo published lately), sent.
    newsletters::build_issue(&p.app, &nl, "first-day", broadsheet_app::now())
        .await?
        .ok_or("no issue")?;
    newsletters::send_due(&p.app).await?;
    // Nothing published since: skipped, nothing queued.
    let quiet = newsletters::build_issue(&p.app, &nl, "quiet-day", broadsheet_app::now())
        .await?
        .ok_or("no issue")?;
    let row = p.app.store().issue(quiet).await?.ok_or("row")?;
    assert_eq!((row.status.as_str(), row.recipients), ("skipped", 0));

    two_fresh_stories(&p).await?;
    let issue = newsletters::build_issue(&p.app, &nl, "busy-day", broadsheet_app::now())
        .await?
        .ok_or("no issue")?;
    // A node claims all three and dies: one message was already handed to
    // SMTP (status sending), two were never tried. Its claim runs out.
    let t = broadsheet_app::now();
    let claimed = p.app.store().claim_sends(t, t - 1, 10).await?;
    assert_eq!(claimed.len(), 3);
    let dead = &claimed[0];
    assert!(
        p.app
            .store()
            .move_send(
                dead.issue_id,
                dead.reader_id,
                "claimed",
                "sending",
                0,
                t,
                None,
                t
            )
            .await?
    );
    // Another node (or this one restarted) carries on.
    assert_eq!(newsletters::send_due(&p.app).await?, 2);
    let row = p.app.store().issue(issue).await?.ok_or("row")?;
    assert_eq!(
        (row.sent, row.not_sent, row.status.as_str()),
        (2, 1, "sent")
    );
    let got: usize = {
        let mut n = 0;
        for email in &readers {
            n += sink
                .messages()
                .iter()
                .filter(|m| {
                    m.to_lowercase().contains(&format!("to: {email}"))
                        && m.contains("Ferry deal agreed")
                })
                .count();
        }
        n
    };
    assert_eq!(
        got, 2,
        "the interrupted message is not sent again, the others once"
    );
    assert!(!sink.messages().iter().any(|m| {
        m.to_lowercase().contains(&format!("to: {}", dead.email)) && m.contains("Ferry deal agreed")
    }));
    Ok(())
}

#[tokio::test]
async fn a_hard_bounce_goes_on_the_suppression_list() -> TestResult {
    let sink = SmtpSink::start_refusing()?;
    let p = paper(&sink).await?;
    let nl = briefing(&p).await?;
    subscribed(&p, &sink, "gone@example.com", "198.51.100.51", nl.id).await?;
    subscribed(&p, &sink, "here@example.com", "198.51.100.52", nl.id).await?;
    // The mailbox is closed after she subscribed: the server refuses it for good.
    sink.refuse("gone@example.com")?;
    two_fresh_stories(&p).await?;
    let issue = newsletters::build_issue(&p.app, &nl, "bounce-day", broadsheet_app::now())
        .await?
        .ok_or("no issue")?;
    assert_eq!(newsletters::send_due(&p.app).await?, 1);
    let row = p.app.store().issue(issue).await?.ok_or("row")?;
    assert_eq!((row.sent, row.failed), (1, 1));
    assert!(p.app.store().is_suppressed("gone@example.com").await?);
    let list = p.app.store().suppressions(10).await?;
    assert_eq!(list[0].reason, "bounce");
    assert!(list[0].detail.contains("550"), "{}", list[0].detail);
    // The next issue does not go to a suppressed address at all.
    two_fresh_stories(&p).await?;
    let next = newsletters::build_issue(&p.app, &nl, "after-bounce", broadsheet_app::now())
        .await?
        .ok_or("no issue")?;
    assert_eq!(p.app.store().issue(next).await?.ok_or("row")?.recipients, 1);
    Ok(())
}

#[tokio::test]
async fn the_newsroom_previews_adds_pauses_and_keeps_the_suppression_list() -> TestResult {
    let sink = SmtpSink::start()?;
    let p = paper(&sink).await?;
    let nl = briefing(&p).await?;
    two_fresh_stories(&p).await?;
    let mut d = signed_in(&p, "editor").await?;
    let page = d.get("/newsroom/newsletters").await?;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("The Morning Briefing"));
    assert!(
        page.body.contains("Sport digest"),
        "the demo's section digests"
    );

    let as_sub = d
        .get(&format!("/newsroom/newsletters/{}/preview", nl.id))
        .await?;
    assert_eq!(as_sub.status, 200, "{}", as_sub.body);
    assert!(as_sub.body.contains("Ferry deal agreed") && as_sub.body.contains(PAID_PHRASE));
    let as_reader = d
        .get(&format!(
            "/newsroom/newsletters/{}/preview?as=reader",
            nl.id
        ))
        .await?;
    assert!(as_reader.body.contains("Ferry deal agreed"));
    assert!(
        !as_reader.body.contains(PAID_PHRASE),
        "the gate's cut for a reader"
    );
    assert!(as_reader.body.contains(FREE_PHRASE));

    let csrf = d.csrf().await?;
    let bad = d
        .post(
            "/newsroom/newsletters",
            &[
                ("csrf", &csrf),
                ("do", "add"),
                ("name", "Nowhere"),
                ("kind", "section"),
                ("target", "no-such-section"),
                ("hour", "7"),
            ],
        )
        .await?;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("There is no section"), "{}", bad.body);
    let bad_hour = d
        .post(
            "/newsroom/newsletters",
            &[
                ("csrf", &csrf),
                ("do", "add"),
                ("name", "Late"),
                ("kind", "briefing"),
                ("target", ""),
                ("hour", "25"),
            ],
        )
        .await?;
    assert_eq!(bad_hour.status, 400);
    assert!(bad_hour.body.contains("0 to 23"));
    let ok = d
        .post(
            "/newsroom/newsletters",
            &[
                ("csrf", &csrf),
                ("do", "add"),
                ("name", "Opinion digest"),
                ("kind", "section"),
                ("target", "opinion"),
                ("hour", "9"),
                ("description", "Columns."),
            ],
        )
        .await?;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let added = p
        .app
        .store()
        .newsletters()
        .await?
        .into_iter()
        .find(|n| n.name == "Opinion digest")
        .ok_or("not added")?;
    let r = d
        .post(
            "/newsroom/newsletters",
            &[
                ("csrf", &csrf),
                ("do", "pause"),
                ("newsletter", &added.id.to_string()),
            ],
        )
        .await?;
    assert_eq!(r.status, 303);
    assert!(
        !p.app
            .store()
            .newsletter(added.id)
            .await?
            .ok_or("gone")?
            .active
    );
    // Paused: readers cannot choose it.
    let mut b = signed_up(&p, &sink, "fay@example.com", "198.51.100.61").await?;
    let centre = b.get("/account/newsletters").await?;
    assert!(!centre.body.contains("Opinion digest"));

    let r = d
        .post(
            "/newsroom/newsletters",
            &[
                ("csrf", &csrf),
                ("do", "suppress"),
                ("email", "Complainer@Example.com"),
                ("reason", "complaint"),
            ],
        )
        .await?;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        p.app
            .store()
            .is_suppressed("complainer@example.com")
            .await?
    );
    let bad = d
        .post(
            "/newsroom/newsletters",
            &[
                ("csrf", &csrf),
                ("do", "suppress"),
                ("email", "not an address"),
                ("reason", "complaint"),
            ],
        )
        .await?;
    assert_eq!(bad.status, 400);

    // A reporter has no newsletters page.
    let mut rep = signed_in(&p, "reporter").await?;
    assert_eq!(rep.get("/newsroom/newsletters").await?.status, 403);
    assert_eq!(
        rep.get(&format!("/newsroom/newsletters/{}/preview", nl.id))
            .await?
            .status,
        403
    );
    Ok(())
}

#[tokio::test]
async fn the_preference_centre_needs_a_session_and_refuses_unknown_newsletters() -> TestResult {
    let sink = SmtpSink::start()?;
    let p = paper(&sink).await?;
    let r = p.get("/account/newsletters").await?;
    assert_eq!(r.status, 303);
    let mut b = signed_up(&p, &sink, "gil@example.com", "198.51.100.71").await?;
    let r = b
        .submit(
            "/account/newsletters",
            "/account/newsletters",
            &[("nl-999999", "1"), ("do", "save")],
        )
        .await?;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("There is no newsletter"), "{}", r.body);
    // Without the form token: refused.
    let r = b.post("/account/newsletters", &[("nl-1", "1")]).await?;
    assert_eq!(r.status, 403);
    // Asking again and again is limited (each ask mails a link): the
    // eleventh in an hour is refused, and nothing is mailed for it.
    let id = p
        .app
        .store()
        .newsletters()
        .await?
        .into_iter()
        .find(|n| n.slug == "morning-briefing")
        .ok_or("no briefing")?
        .id;
    let field = format!("nl-{id}");
    for _ in 0..10 {
        for wanted in ["1", "0"] {
            let r = b
                .submit(
                    "/account/newsletters",
                    "/account/newsletters",
                    &[(field.as_str(), wanted), ("do", "save")],
                )
                .await?;
            assert_eq!(r.status, 303, "{}", r.body);
        }
    }
    let r = b
        .submit(
            "/account/newsletters",
            "/account/newsletters",
            &[(field.as_str(), "1"), ("do", "save")],
        )
        .await?;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("in the last hour"), "{}", r.body);
    assert_eq!(
        sink.wait_for("gil@example.com", "/newsletters/confirm?t=", 10)
            .await?
            .len(),
        10
    );
    // A spent or foreign confirming link says what to do.
    let r = p.get("/newsletters/confirm?t=c.1.1.1.00").await?;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("Choose your newsletters in your account"));
    Ok(())
}
