//! The Admin API and webhooks (issue 13 item 7): tokens issued to staff and
//! checked on every request, the permission table walked through the API
//! for every role, the error envelope, webhooks signed, retried and given
//! up, and the SSRF rules on webhook addresses.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::StatusCode;
use broadsheet_app::admin_api::{self, SCOPES};
use broadsheet_app::webhooks::{self, WebhookConfig};
use broadsheet_app::{PaperConfig, newsroom};
use broadsheet_domain::permissions::{self, Action, ROLES, StoryFacts};
use broadsheet_domain::{Actor, StoryStatus};
use serde_json::{Value, json};

use crate::newsroom::picture_bytes;
use crate::support::{Paper, Reply, TestResult, send_to, staff_of_role};

type Error = Box<dyn std::error::Error>;

async fn call(
    p: &Paper,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Result<Reply, Error> {
    let auth = format!("Bearer {token}");
    let mut headers = vec![("authorization", auth.as_str())];
    let body = match body {
        Some(v) => {
            headers.push(("content-type", "application/json"));
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    send_to(&p.router, method, path, body, &headers).await
}

fn json_of(r: &Reply) -> Result<Value, Error> {
    Ok(serde_json::from_str(&r.body).map_err(|e| format!("{e}: {}", r.body))?)
}

fn code(r: &Reply) -> String {
    json_of(r)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_default()
}

fn all_scopes() -> Vec<String> {
    SCOPES.iter().map(|(_, n, _)| n.to_string()).collect()
}

async fn token_for(p: &Paper, role: &str, scopes: &[String]) -> Result<(Actor, String), Error> {
    let staff = staff_of_role(p, role).await?;
    let (_, token) = admin_api::issue(&p.app, &staff.actor(), "test", scopes).await?;
    Ok((staff.actor(), token))
}

async fn section(p: &Paper) -> Result<i64, Error> {
    Ok(p.story_where(|_| true).await?.section_id)
}

/// A story someone else (the operator) wrote, moved to `status`.
async fn others_story(p: &Paper, status: StoryStatus) -> Result<(i64, i64), Error> {
    let e = broadsheet_app::StoryEdit {
        section_id: section(p).await?,
        headline: "Someone else's story".into(),
        standfirst: "A standfirst.".into(),
        body: "First paragraph.\n\nSecond paragraph.".into(),
        byline_text: None,
        access: broadsheet_domain::Access::Free,
        breaking: false,
        seo_title: String::new(),
        seo_description: String::new(),
        tags: Vec::new(),
        authors: Vec::new(),
        lead_picture_id: None,
    };
    let id = newsroom::create(&p.app, &Actor::Operator, &e).await?;
    match status {
        StoryStatus::Submitted => newsroom::submit(&p.app, &Actor::Operator, id).await?,
        StoryStatus::Published => {
            newsroom::publish(&p.app, &Actor::Operator, id, 1, None).await?;
        }
        _ => {}
    }
    let v = p.app.store().story(id).await?.ok_or("story")?.version;
    Ok((id, v))
}

/// Every role, through the API with a token carrying every scope: what
/// each call does matches what the permission table says.
#[tokio::test]
async fn the_role_table_walked_through_the_admin_api() -> TestResult {
    let p = Paper::demo(3).await?;
    let sec = section(&p).await?;
    for role in ROLES {
        let name = role.to_string();
        let (actor, token) = token_for(&p, &name, &all_scopes()).await?;
        let who = |what: &str| format!("{name}: {what}");
        // Create.
        let r = call(
            &p,
            "POST",
            "/api/v1/admin/stories",
            &token,
            Some(json!({"section_id": sec, "headline": format!("By the API as {name}"), "body": "One.\n\nTwo."})),
        )
        .await?;
        let may_create = permissions::allows(role, Action::CreateStory);
        assert_eq!(
            r.status == StatusCode::CREATED,
            may_create,
            "{} {}",
            who("create"),
            r.body
        );
        if !may_create {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", who("create"));
            assert_eq!(code(&r), "forbidden");
        } else {
            let s = json_of(&r)?;
            assert_eq!(s["status"], "draft");
            let id = s["id"].as_i64().ok_or("id")?;
            let stored = p.app.store().story(id).await?.ok_or("stored")?;
            assert_eq!(stored.created_by, actor.staff_id(), "{}", who("creator"));
        }
        // Publish someone else's submitted story.
        let (id, v) = others_story(&p, StoryStatus::Submitted).await?;
        let facts = StoryFacts {
            own: false,
            status: StoryStatus::Submitted,
        };
        let r = call(
            &p,
            "POST",
            &format!("/api/v1/admin/stories/{id}/publish"),
            &token,
            Some(json!({"version": v})),
        )
        .await?;
        let may =
            permissions::can_view_story(role, facts) && permissions::can_publish_story(role, facts);
        assert_eq!(
            r.status == StatusCode::OK,
            may,
            "{} {}",
            who("publish another's"),
            r.body
        );
        if may {
            assert_eq!(json_of(&r)?["status"], "published");
        } else {
            assert!(
                matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "{} {}",
                who("publish another's refused"),
                r.status
            );
        }
        // Correct, then withdraw, someone else's published story.
        let (id, _) = others_story(&p, StoryStatus::Published).await?;
        let published = StoryFacts {
            own: false,
            status: StoryStatus::Published,
        };
        let visible = permissions::can_view_story(role, published);
        let r = call(
            &p,
            "POST",
            &format!("/api/v1/admin/stories/{id}/corrections"),
            &token,
            Some(json!({"text": "An earlier version gave the wrong date."})),
        )
        .await?;
        let may = visible && permissions::allows(role, Action::Correct);
        assert_eq!(
            r.status == StatusCode::CREATED,
            may,
            "{} {}",
            who("correct"),
            r.body
        );
        let r = call(
            &p,
            "POST",
            &format!("/api/v1/admin/stories/{id}/withdraw"),
            &token,
            None,
        )
        .await?;
        let may = visible
            && broadsheet_domain::workflow::check(
                &actor,
                false,
                StoryStatus::Published,
                StoryStatus::Withdrawn,
            )
            .is_ok();
        assert_eq!(
            r.status == StatusCode::OK,
            may,
            "{} {}",
            who("withdraw"),
            r.body
        );
        if may {
            assert_eq!(
                p.get(&format!("/api/v1/stories/{id}")).await?.status,
                StatusCode::NOT_FOUND
            );
        }
        // Upload a picture.
        let r = send_to(
            &p.router,
            "POST",
            "/api/v1/admin/pictures?filename=harbour.jpg&alt=A%20harbour&credit=Staff",
            Body::from(picture_bytes(image::ImageFormat::Jpeg)),
            &[
                ("authorization", &format!("Bearer {token}")),
                ("content-type", "image/jpeg"),
            ],
        )
        .await?;
        let may = permissions::allows(role, Action::UploadPicture);
        assert_eq!(
            r.status == StatusCode::CREATED,
            may,
            "{} {}",
            who("upload"),
            r.body
        );
    }
    Ok(())
}

/// Tokens: hashed at rest, shown once, narrowed by scope, refused when
/// wrong or revoked; and the API's errors for bad bodies and stale versions.
#[tokio::test]
async fn tokens_scopes_and_errors() -> TestResult {
    let p = Paper::demo(2).await?;
    let sec = section(&p).await?;
    // No token, a malformed header, a wrong token.
    for auth in [
        None,
        Some("Basic abc"),
        Some("Bearer bsk_0000"),
        Some("Bearer nonsense"),
    ] {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("authorization", a)).into_iter().collect();
        let r = send_to(
            &p.router,
            "GET",
            "/api/v1/admin/token",
            Body::empty(),
            &headers,
        )
        .await?;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(code(&r), "unauthorized");
        assert!(r.header("www-authenticate").starts_with("Bearer"));
        assert_eq!(r.header("cache-control"), "no-store");
    }
    // Issued: works, and only its hash is stored.
    let (actor, token) = token_for(&p, "reporter", &["stories:read".to_string()]).await?;
    assert!(token.starts_with("bsk_") && token.len() > 60);
    let r = call(&p, "GET", "/api/v1/admin/token", &token, None).await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let me = json_of(&r)?;
    assert_eq!(me["role"], "reporter");
    assert_eq!(me["scopes"], json!(["stories:read"]));
    assert!(
        p.app.store().api_token_holder(&token).await?.is_none(),
        "the token itself is stored"
    );
    assert!(
        p.app
            .store()
            .api_token_holder(&broadsheet_app::signin::token_hash(&token))
            .await?
            .is_some()
    );
    // Scope: read-only cannot write.
    let r = call(
        &p,
        "POST",
        "/api/v1/admin/stories",
        &token,
        Some(json!({"section_id": sec, "headline": "Scoped out"})),
    )
    .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(code(&r), "forbidden");
    assert!(r.body.contains("stories:write"), "{}", r.body);
    // A writing token.
    let (_, writer) = token_for(&p, "reporter", &all_scopes()).await?;
    let r = call(
        &p,
        "POST",
        "/api/v1/admin/stories",
        &writer,
        Some(json!({"section_id": sec, "headline": "Errors"})),
    )
    .await?;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = json_of(&r)?["id"].as_i64().ok_or("id")?;
    // Bad bodies: not JSON, an unknown field, a wrong type; all say what.
    let bad = send_to(
        &p.router,
        "POST",
        "/api/v1/admin/stories",
        Body::from("{not json"),
        &[
            ("authorization", &format!("Bearer {writer}")),
            ("content-type", "application/json"),
        ],
    )
    .await?;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&bad), "bad_body");
    let r = call(
        &p,
        "POST",
        "/api/v1/admin/stories",
        &writer,
        Some(json!({"section_id": sec, "headline": "x", "headlnie": "typo"})),
    )
    .await?;
    assert_eq!(
        (r.status, code(&r)),
        (StatusCode::BAD_REQUEST, "bad_body".to_string())
    );
    assert!(r.body.contains("headlnie"), "{}", r.body);
    let r = call(
        &p,
        "POST",
        "/api/v1/admin/stories",
        &writer,
        Some(json!({"section_id": sec, "headline": "x", "access": "premium"})),
    )
    .await?;
    assert_eq!(
        (r.status, code(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid".to_string())
    );
    let r = call(
        &p,
        "POST",
        "/api/v1/admin/stories",
        &writer,
        Some(json!({"section_id": sec, "headline": "  "})),
    )
    .await?;
    assert_eq!(code(&r), "invalid", "{}", r.body);
    // Updates name their version: none, then a stale one.
    let r = call(
        &p,
        "PUT",
        &format!("/api/v1/admin/stories/{id}"),
        &writer,
        Some(json!({"section_id": sec, "headline": "No version"})),
    )
    .await?;
    assert_eq!(code(&r), "invalid");
    let r = call(
        &p,
        "PUT",
        &format!("/api/v1/admin/stories/{id}"),
        &writer,
        Some(json!({"version": 1, "section_id": sec, "headline": "First edit"})),
    )
    .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(json_of(&r)?["version"], 2);
    let r = call(
        &p,
        "PUT",
        &format!("/api/v1/admin/stories/{id}"),
        &writer,
        Some(json!({"version": 1, "section_id": sec, "headline": "Stale edit"})),
    )
    .await?;
    assert_eq!(
        (r.status, code(&r)),
        (StatusCode::CONFLICT, "conflict".to_string())
    );
    assert_eq!(
        p.app.store().story(id).await?.ok_or("story")?.headline,
        "First edit"
    );
    // Someone else's draft is not found for a reporter; nor is a story that is not there.
    let (other, _) = others_story(&p, StoryStatus::Draft).await?;
    for path in [
        format!("/api/v1/admin/stories/{other}"),
        "/api/v1/admin/stories/999999".into(),
        "/api/v1/admin/stories/abc".into(),
        "/api/v1/admin/nothing".into(),
    ] {
        let r = call(&p, "GET", &path, &writer, None).await?;
        assert_eq!(
            (r.status, code(&r)),
            (StatusCode::NOT_FOUND, "not_found".to_string()),
            "{path}"
        );
    }
    // Revoked: refused at once; the holder's other token still works.
    let rows = admin_api::tokens(&p.app, &actor).await?;
    let first = rows
        .iter()
        .find(|t| t.scopes == "stories:read")
        .ok_or("listed")?;
    admin_api::revoke(&p.app, &actor, first.id).await?;
    assert_eq!(
        call(&p, "GET", "/api/v1/admin/token", &token, None)
            .await?
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&p, "GET", "/api/v1/admin/token", &writer, None)
            .await?
            .status,
        StatusCode::OK
    );
    // Another reporter cannot revoke (nor see) it; an admin sees everyone's.
    let editor = staff_of_role(&p, "editor").await?.actor();
    assert!(admin_api::revoke(&p.app, &editor, first.id).await.is_err());
    let admin = staff_of_role(&p, "admin").await?.actor();
    assert!(admin_api::tokens(&p.app, &admin).await?.len() >= 2);
    assert!(admin_api::tokens(&p.app, &editor).await?.is_empty());
    // Bad scope names and empty names are refused with words.
    for (name, scopes) in [
        ("x", vec!["stories:everything".to_string()]),
        ("", all_scopes()),
        ("y", vec![]),
    ] {
        let e = admin_api::issue(&p.app, &actor, name, &scopes).await;
        assert!(
            matches!(e, Err(broadsheet_app::AppError::Invalid(_))),
            "{name} {scopes:?}"
        );
    }
    Ok(())
}

/// A local receiver: records every delivery and answers by path.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(String, axum::http::HeaderMap, String)>>>,
}

async fn receiver() -> Result<(Receiver, String), Error> {
    let rx = Receiver::default();
    let flaky_calls = Arc::new(Mutex::new(0u32));
    let r2 = rx.clone();
    let app = axum::Router::new().fallback(
        move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: String| {
            let rx = r2.clone();
            let flaky_calls = flaky_calls.clone();
            async move {
                let path = uri.path().to_string();
                if let Ok(mut g) = rx.got.lock() {
                    g.push((path.clone(), headers, body));
                }
                match path.as_str() {
                    "/flaky" => {
                        let n = flaky_calls.lock().map(|mut g| {
                            *g += 1;
                            *g
                        });
                        if n.unwrap_or(1) == 1 {
                            StatusCode::INTERNAL_SERVER_ERROR
                        } else {
                            StatusCode::NO_CONTENT
                        }
                    }
                    "/down" => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::OK,
                }
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((rx, format!("http://{addr}")))
}

/// Runs the delivery job until nothing is due for `secs` seconds' worth of
/// passes (deliveries retried after a second become due within it).
async fn deliver_for(p: &Paper, secs: u64) -> Result<(), Error> {
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    while tokio::time::Instant::now() < until {
        webhooks::deliver_due(&p.app).await?;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Ok(())
}

/// Publish, update, correction and withdrawal each post a signed event to
/// every webhook asking for it; a failure is retried, and a receiver that
/// keeps failing is given up after the limit; the log says so.
#[tokio::test]
async fn webhooks_are_signed_retried_and_given_up() -> TestResult {
    let cfg = PaperConfig {
        base_url: Some("https://news.example.com".into()),
        webhooks: WebhookConfig {
            first_retry_secs: 1,
            max_attempts: 3,
            allow_loopback: true,
        },
        ..Default::default()
    };
    let p = Paper::demo_with(2, cfg).await?;
    let (rx, base) = receiver().await?;
    let admin = staff_of_role(&p, "admin").await?.actor();
    let all: Vec<String> = webhooks::EVENTS
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    let (ok_id, secret) = webhooks::add(&p.app, &admin, &format!("{base}/ok"), &all).await?;
    let (flaky_id, _) = webhooks::add(
        &p.app,
        &admin,
        &format!("{base}/flaky"),
        &["story.published".into()],
    )
    .await?;
    let (down_id, _) = webhooks::add(
        &p.app,
        &admin,
        &format!("{base}/down"),
        &["story.withdrawn".into()],
    )
    .await?;
    // Not admins: refused.
    let editor = staff_of_role(&p, "editor").await?.actor();
    assert!(matches!(
        webhooks::add(&p.app, &editor, &format!("{base}/x"), &all).await,
        Err(broadsheet_app::AppError::Forbidden(_))
    ));
    // The four events, through the Admin API.
    let (_, token) = token_for(&p, "editor", &all_scopes()).await?;
    let sec = section(&p).await?;
    let r = call(&p, "POST", "/api/v1/admin/stories", &token, Some(json!({"section_id": sec, "headline": "Hooked", "body": "Paid words here.", "access": "subscribers"}))).await?;
    let id = json_of(&r)?["id"].as_i64().ok_or("id")?;
    let r = call(
        &p,
        "POST",
        &format!("/api/v1/admin/stories/{id}/publish"),
        &token,
        Some(json!({"version": 1})),
    )
    .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = json_of(&r)?["version"].as_i64().ok_or("version")?;
    let r = call(&p, "PUT", &format!("/api/v1/admin/stories/{id}"), &token, Some(json!({"version": v, "section_id": sec, "headline": "Hooked again", "body": "Paid words here.", "access": "subscribers"}))).await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(
        &p,
        "POST",
        &format!("/api/v1/admin/stories/{id}/corrections"),
        &token,
        Some(json!({"text": "Fixed a name."})),
    )
    .await?;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = call(
        &p,
        "POST",
        &format!("/api/v1/admin/stories/{id}/withdraw"),
        &token,
        None,
    )
    .await?;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Nothing is posted until the job runs; then first attempts, a retry a
    // second later, and the third and last attempt of /down after 1 + 2 s.
    assert!(rx.got.lock().map(|g| g.is_empty()).unwrap_or(false));
    deliver_for(&p, 5).await?;
    let got = rx.got.lock().map(|g| g.clone()).map_err(|_| "lock")?;
    let to = |path: &str| {
        got.iter()
            .filter(|(p, _, _)| p == path)
            .cloned()
            .collect::<Vec<_>>()
    };
    let events: Vec<String> = to("/ok")
        .iter()
        .map(|(_, h, _)| {
            h.get("broadsheet-event")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(
        events,
        [
            "story.published",
            "story.updated",
            "story.corrected",
            "story.withdrawn"
        ]
    );
    let now = broadsheet_app::now();
    for (_, h, body) in to("/ok") {
        let sig = h
            .get("broadsheet-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        broadsheet_app::payments::verify_signature(sig, body.as_bytes(), &secret, now, 60)?;
        assert!(
            broadsheet_app::payments::verify_signature(
                sig,
                body.as_bytes(),
                "whsec_wrong",
                now,
                60
            )
            .is_err()
        );
        let v: Value = serde_json::from_str(&body)?;
        assert_eq!(v["story"]["id"], id);
        assert!(
            v["story"]["url"]
                .as_str()
                .unwrap_or("")
                .starts_with("https://news.example.com/")
        );
        assert!(
            !body.contains("Paid words"),
            "a webhook carried story text: {body}"
        );
    }
    assert_eq!(to("/flaky").len(), 2, "one failure, one retry");
    assert_eq!(to("/down").len(), 3, "given up after three attempts");
    // The log.
    let (_, log) = webhooks::overview(&p.app, &admin).await?;
    let of = |hook: i64| {
        log.iter()
            .filter(|d| d.webhook_id == hook)
            .collect::<Vec<_>>()
    };
    assert!(
        of(ok_id)
            .iter()
            .all(|d| d.status == "delivered" && d.attempts == 1)
    );
    let flaky = of(flaky_id);
    assert_eq!(
        (flaky.len(), flaky[0].status.as_str(), flaky[0].attempts),
        (1, "delivered", 2)
    );
    let down = of(down_id);
    assert_eq!(
        (down.len(), down[0].status.as_str(), down[0].attempts),
        (1, "failed", 3)
    );
    assert!(
        down[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("gave up"),
        "{:?}",
        down[0].last_error
    );
    // Nothing more is sent for finished deliveries.
    deliver_for(&p, 2).await?;
    assert_eq!(rx.got.lock().map(|g| g.len()).unwrap_or(0), got.len());
    // A switched-off webhook gets nothing new.
    webhooks::set_active(&p.app, &admin, ok_id, false).await?;
    others_story(&p, StoryStatus::Published).await?;
    let (_, log) = webhooks::overview(&p.app, &admin).await?;
    assert_eq!(log.iter().filter(|d| d.webhook_id == ok_id).count(), 4);
    Ok(())
}

/// Webhook addresses follow the egress rules: https on 443 to a public
/// address; a name that resolves to a private address is refused when it
/// is resolved, and that delivery is not retried.
#[tokio::test]
async fn webhook_addresses_follow_the_ssrf_rules() -> TestResult {
    let p = Paper::demo(2).await?;
    let admin = staff_of_role(&p, "admin").await?.actor();
    let ev = vec!["story.published".to_string()];
    for url in [
        "http://news.example.com/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://news.example.com:8443/hook",
        "https://user:pw@news.example.com/hook",
        "ftp://news.example.com/hook",
        "not a url",
    ] {
        match webhooks::add(&p.app, &admin, url, &ev).await {
            Err(broadsheet_app::AppError::Invalid(m)) => assert!(!m.is_empty()),
            other => panic!("{url}: {other:?}"),
        }
    }
    // A name is checked when it is resolved: localhost is loopback.
    let (hook, _) = webhooks::add(&p.app, &admin, "https://localhost/hook", &ev).await?;
    let (id, v) = others_story(&p, StoryStatus::Submitted).await?;
    newsroom::publish(&p.app, &Actor::Operator, id, v, None).await?;
    webhooks::deliver_due(&p.app).await?;
    let (_, log) = webhooks::overview(&p.app, &admin).await?;
    let d = log.iter().find(|d| d.webhook_id == hook).ok_or("queued")?;
    assert_eq!((d.status.as_str(), d.attempts), ("failed", 1), "{d:?}");
    assert!(
        d.last_error.as_deref().unwrap_or("").starts_with("refused"),
        "{d:?}"
    );
    Ok(())
}
