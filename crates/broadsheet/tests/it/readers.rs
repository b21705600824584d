//! Reader accounts end to end: registration, social-style linking, reader
//! sessions through the `bs_reader` cookie, entitlements, and the mail
//! flows (sign-up, magic link, reset) followed from a real SMTP sink.

use broadsheet_app::readers::{self, ReaderError};
use broadsheet_domain::{Actor, EntitlementSource};

use crate::support::{Paper, TestResult};

fn session_cookie(token: &str) -> String {
    format!("bs_reader={token}")
}

#[tokio::test]
async fn a_registered_reader_gets_a_fresh_session_and_loses_it_everywhere() -> TestResult {
    let p = Paper::demo(3).await?;
    let r = readers::register(
        &p.app,
        " Ann.Reader@Example.com ",
        "a long enough password",
        "Ann Reader",
    )
    .await?;
    assert_eq!(r.email, "ann.reader@example.com");
    assert!(r.has_password && !r.email_verified);
    // The same address again, in another case, is taken.
    let again = readers::register(
        &p.app,
        "ANN.READER@example.com",
        "another long password",
        "Ann",
    )
    .await;
    assert!(matches!(again, Err(ReaderError::EmailTaken)), "{again:?}");

    let one = readers::start_session(&p.app, r.id).await?;
    let two = readers::start_session(&p.app, r.id).await?;
    assert_ne!(one.token, two.token, "every sign-in makes a new token");
    assert_eq!(
        readers::session(&p.app, &one.token).await?.map(|a| a.id),
        Some(r.id)
    );

    // The cookie is read on /account, which is private and never cached.
    let page = p
        .request("/account", &[("cookie", &session_cookie(&one.token))])
        .await?;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Ann Reader"),
        "signed-in page names the reader"
    );
    assert_eq!(page.header("cache-control"), "private, no-store");

    readers::end_all_sessions(&p.app, &Actor::Reader { id: r.id }, r.id).await?;
    assert!(readers::session(&p.app, &one.token).await?.is_none());
    assert!(readers::session(&p.app, &two.token).await?.is_none());
    let page = p
        .request("/account", &[("cookie", &session_cookie(&two.token))])
        .await?;
    assert!(
        !page.body.contains("Ann Reader"),
        "a dead session is signed out"
    );
    Ok(())
}

#[tokio::test]
async fn a_verified_email_links_to_one_account() -> TestResult {
    let p = Paper::demo(3).await?;
    let made = readers::link_verified_email(&p.app, "Bo@Example.org", "Bo").await?;
    assert!(made.email_verified && !made.has_password);
    let again = readers::link_verified_email(&p.app, "bo@example.org", "Someone Else").await?;
    assert_eq!(again.id, made.id);
    // An unverified password account becomes verified when a provider vouches for it.
    let c = readers::register(&p.app, "cy@example.org", "a long enough password", "Cy").await?;
    let linked = readers::link_verified_email(&p.app, "cy@example.org", "Cy").await?;
    assert_eq!(linked.id, c.id);
    assert!(linked.email_verified && linked.has_password);
    Ok(())
}

#[tokio::test]
async fn an_entitlement_counts_only_while_it_runs() -> TestResult {
    let p = Paper::demo(3).await?;
    let r = readers::link_verified_email(&p.app, "sub@example.org", "Sub").await?;
    let t = broadsheet_app::now();
    assert!(!readers::is_subscriber(&p.app, r.id, t).await?);
    let mut tx = p.app.store().begin().await?;
    let id = tx
        .grant_entitlement(r.id, EntitlementSource::Grant, "staff note", t - 10, None)
        .await?;
    tx.commit().await?;
    assert!(readers::is_subscriber(&p.app, r.id, t).await?);
    assert!(
        !readers::is_subscriber(&p.app, r.id, t - 11).await?,
        "not before it starts"
    );
    let mut tx = p.app.store().begin().await?;
    assert!(tx.end_entitlement(id, t + 100).await?);
    tx.commit().await?;
    assert!(readers::is_subscriber(&p.app, r.id, t + 99).await?);
    assert!(
        !readers::is_subscriber(&p.app, r.id, t + 100).await?,
        "not from its end"
    );
    Ok(())
}
