//! Subscriptions end to end, against a real fake Stripe: `localstripe`
//! (PyPI) run by each test through `tests-fixtures/stripe_shim.py`, which
//! adds the Checkout Session and billing-portal endpoints localstripe lacks
//! (see that file). Customers, plans, subscriptions, invoices, charges,
//! refunds and cancel-at-period-end are localstripe's own. The tests sign
//! webhook payloads with the shared secret, wrapping objects read back from
//! localstripe, and post them to the real router; entitlement is read
//! through `readers::is_subscriber`, what the paywall reads.

use std::process::Stdio;
use std::time::Duration;

use axum::http::StatusCode;
use broadsheet_app::PaperConfig;
use broadsheet_app::payments::{PaymentsConfig, Secret, StripeSettings, sign};
use broadsheet_app::readers;
use broadsheet_app::subscriptions::{self, PlanForm};
use serde_json::{Value, json};

use crate::newsroom::signed_in;
use crate::support::{Paper, TestResult, staff_of_role};

type Error = Box<dyn std::error::Error>;

const KEY: &str = "sk_test_broadsheet";
const HOOK: &str = "whsec_broadsheet_test";
const OFFER: &str = "Stay with us for three more months at half price: call the subscriptions desk on 0100 000 000.";

/// localstripe behind the shim, on a free 127.0.0.1 port; killed on drop.
struct FakeStripe {
    child: tokio::process::Child,
    base: String,
    http: reqwest::Client,
}

fn venv_python() -> std::path::PathBuf {
    let venv = std::env::var("BROADSHEET_TEST_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-test")
        });
    venv.join("bin/python")
}

impl FakeStripe {
    async fn start() -> Result<FakeStripe, Error> {
        let python = venv_python();
        let ok = std::process::Command::new(&python)
            .args(["-c", "import localstripe"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err(format!(
                "localstripe is not installed in {}: run `python3 -m venv .venv-test && .venv-test/bin/pip install localstripe` at the repository root (or `bash scripts/test.sh tests-sqlite`, which installs it)",
                python.display()
            )
            .into());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let shim = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests-fixtures/stripe_shim.py");
        let child = tokio::process::Command::new(&python)
            .arg(shim)
            .args(["--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(FakeStripe { child, base, http });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("the fake Stripe did not start within 10 s".into())
    }

    async fn call(&self, method: &str, path: &str, form: &[(&str, &str)]) -> Result<Value, Error> {
        let url = format!("{}{path}", self.base);
        let req = if method == "GET" {
            self.http.get(url).query(form)
        } else {
            self.http.post(url).form(form)
        };
        let res = req.bearer_auth(KEY).send().await?;
        let status = res.status();
        let text = res.text().await?;
        if !status.is_success() {
            return Err(format!("{method} {path}: {status}: {text}").into());
        }
        Ok(serde_json::from_str(&text)?)
    }

    fn config(&self) -> PaperConfig {
        PaperConfig {
            payments: PaymentsConfig {
                stripe: Some(StripeSettings {
                    secret_key: Secret(KEY.into()),
                    webhook_secret: Secret(HOOK.into()),
                    api_base: self.base.clone(),
                }),
                retention_offer: OFFER.into(),
                ..PaymentsConfig::default()
            },
            ..PaperConfig::default()
        }
    }
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// A paper with payments pointed at `stripe` (or at nothing that answers).
async fn paper(stripe: Option<&FakeStripe>) -> Result<Paper, Error> {
    let cfg = match stripe {
        Some(s) => s.config(),
        None => PaperConfig {
            payments: PaymentsConfig {
                stripe: Some(StripeSettings {
                    secret_key: Secret(KEY.into()),
                    webhook_secret: Secret(HOOK.into()),
                    api_base: "http://127.0.0.1:9".into(),
                }),
                ..PaymentsConfig::default()
            },
            ..PaperConfig::default()
        },
    };
    Paper::demo_with(3, cfg).await
}

/// Posts `body` to the webhook, signed at `t` with `secret`.
async fn deliver(
    p: &Paper,
    body: &str,
    secret: &str,
    t: i64,
) -> Result<(StatusCode, String), Error> {
    let sig = sign(body.as_bytes(), secret, t);
    let r = p
        .post_bytes(
            "/webhooks/stripe",
            body.as_bytes().to_vec(),
            &[
                ("content-type", "application/json"),
                ("stripe-signature", &sig),
            ],
        )
        .await?;
    Ok((r.status, r.body))
}

async fn send_event(p: &Paper, event: &Value) -> Result<String, Error> {
    let (status, body) = deliver(p, &event.to_string(), HOOK, broadsheet_app::now()).await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    Ok(body)
}

fn event(id: &str, kind: &str, created: i64, object: &Value) -> Value {
    json!({"id": id, "object": "event", "type": kind, "created": created, "data": {"object": object}})
}

/// A signed-in reader: (id, cookie header, csrf).
async fn reader(p: &Paper, email: &str) -> Result<(i64, String, String), Error> {
    let r = readers::link_verified_email(&p.app, email, "A Reader").await?;
    let s = readers::start_session(&p.app, r.id).await?;
    Ok((
        r.id,
        format!("bs_reader={}", s.token),
        readers::csrf_for(&s.token),
    ))
}

async fn entitled_at(p: &Paper, reader: i64, t: i64) -> Result<bool, Error> {
    Ok(readers::is_subscriber(&p.app, reader, t).await?)
}

/// A plan in localstripe and the same plan in the newsroom; the plan id.
async fn plan(p: &Paper, s: &FakeStripe) -> Result<i64, Error> {
    s.call(
        "POST",
        "/v1/plans",
        &[
            ("id", "plan_digital_monthly"),
            ("amount", "999"),
            ("currency", "gbp"),
            ("interval", "month"),
            ("product[name]", "Digital"),
        ],
    )
    .await?;
    let admin = staff_of_role(p, "admin").await?;
    Ok(subscriptions::create_plan(
        &p.app,
        &admin,
        &PlanForm {
            name: "Digital monthly".into(),
            interval: "month".into(),
            price: "9.99".into(),
            currency: "GBP".into(),
            trial_days: String::new(),
            provider_price_id: "plan_digital_monthly".into(),
        },
    )
    .await?)
}

/// Subscribes the reader through /subscribe and the shim's checkout; the
/// completed-checkout event (delivered once) and the subscription id.
async fn subscribe(
    p: &Paper,
    s: &FakeStripe,
    plan: i64,
    cookie: &str,
    csrf: &str,
) -> Result<(Value, String), Error> {
    let path = format!("/subscribe/{plan}");
    let r = p
        .post(&path, &format!("csrf={csrf}"), &[("cookie", cookie)])
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.header("location").to_string();
    assert!(
        to.starts_with(&format!("{}/checkout/cs_", s.base)),
        "to the hosted checkout: {to}"
    );
    let cs = to.rsplit('/').next().ok_or("no session id")?;
    let completed = s
        .call("POST", &format!("/_config/checkout/{cs}/complete"), &[])
        .await?;
    let sub = completed["data"]["object"]["subscription"]
        .as_str()
        .ok_or("no subscription")?
        .to_string();
    assert_eq!(send_event(p, &completed).await?, "applied");
    Ok((completed, sub))
}

#[tokio::test]
async fn checkout_entitles_and_cancelling_ends_at_period_end_after_one_offer() -> TestResult {
    let s = FakeStripe::start().await?;
    let p = paper(Some(&s)).await?;
    let plan = plan(&p, &s).await?;
    // The plans page is the same for everyone, so shared caches may keep it.
    let page = p.get("/subscribe").await?;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Digital monthly") && page.body.contains("£9.99"),
        "{}",
        page.body
    );
    assert!(
        page.header("cache-control").starts_with("public"),
        "{}",
        page.header("cache-control")
    );
    // Signed out: off to sign in first, then back.
    let r = p.get(&format!("/subscribe/{plan}")).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.header("location"),
        format!("/account?next=/subscribe/{plan}")
    );

    let (id, cookie, csrf) = reader(&p, "ann@example.org").await?;
    let now = broadsheet_app::now();
    assert!(!entitled_at(&p, id, now).await?);
    let confirm = p
        .request(&format!("/subscribe/{plan}"), &[("cookie", &cookie)])
        .await?;
    assert_eq!(confirm.header("cache-control"), "private, no-store");
    // A forged form (no CSRF) starts nothing.
    let forged = p
        .post(
            &format!("/subscribe/{plan}"),
            "csrf=nope",
            &[("cookie", &cookie)],
        )
        .await?;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let (completed, sub) = subscribe(&p, &s, plan, &cookie, &csrf).await?;
    assert!(
        entitled_at(&p, id, broadsheet_app::now()).await?,
        "entitled on payment"
    );
    // The same event again (Stripe retries): answered, changes nothing.
    let before = p.app.store().reader_entitlements(id).await?.len();
    assert_eq!(send_event(&p, &completed).await?, "duplicate");
    assert_eq!(p.app.store().reader_entitlements(id).await?.len(), before);

    let acct = p
        .request("/account/subscription", &[("cookie", &cookie)])
        .await?;
    assert!(
        acct.body.contains("Digital monthly") && acct.body.contains("Renews on"),
        "{}",
        acct.body
    );
    assert!(
        acct.body.contains("£9.99"),
        "the invoice from the provider: {}",
        acct.body
    );

    // Cancel: the retention offer first, once.
    let body = format!("csrf={csrf}&do=cancel");
    let offer = p
        .post(
            "/account/subscription/cancel",
            &body,
            &[("cookie", &cookie)],
        )
        .await?;
    assert!(offer.body.contains("half price"), "{}", offer.body);
    let lsub = s
        .call("GET", &format!("/v1/subscriptions/{sub}"), &[])
        .await?;
    assert_eq!(
        lsub["cancel_at_period_end"],
        json!(false),
        "the offer cancels nothing"
    );
    let done = p
        .post(
            "/account/subscription/cancel",
            &body,
            &[("cookie", &cookie)],
        )
        .await?;
    assert!(
        done.body.contains("is cancelled"),
        "the offer is made once: {}",
        done.body
    );
    let lsub = s
        .call("GET", &format!("/v1/subscriptions/{sub}"), &[])
        .await?;
    assert_eq!(
        lsub["cancel_at_period_end"],
        json!(true),
        "cancelled at the provider"
    );
    let end = lsub["current_period_end"].as_i64().ok_or("no period end")?;
    assert!(
        entitled_at(&p, id, end - 1).await?,
        "reads until the period ends"
    );
    assert!(!entitled_at(&p, id, end).await?, "not after it");

    // The provider's own update confirms it; at period end it deletes the subscription.
    let t = broadsheet_app::now();
    assert_eq!(
        send_event(
            &p,
            &event("evt_upd_1", "customer.subscription.updated", t, &lsub)
        )
        .await?,
        "applied"
    );
    assert!(!entitled_at(&p, id, end).await?);
    let mut gone = lsub.clone();
    gone["status"] = json!("canceled");
    assert_eq!(
        send_event(
            &p,
            &event("evt_del_1", "customer.subscription.deleted", t + 1, &gone)
        )
        .await?,
        "applied"
    );
    assert!(
        !entitled_at(&p, id, broadsheet_app::now() + 1).await?,
        "ended when deleted"
    );
    // An older "active" update delivered late does not bring it back.
    assert_eq!(
        send_event(
            &p,
            &event("evt_upd_0", "customer.subscription.updated", t - 5, &lsub)
        )
        .await?,
        "stale"
    );
    assert!(!entitled_at(&p, id, broadsheet_app::now() + 1).await?);
    Ok(())
}

#[tokio::test]
async fn a_failed_renewal_keeps_reading_through_the_grace_period_then_ends() -> TestResult {
    let s = FakeStripe::start().await?;
    let p = paper(Some(&s)).await?;
    let plan = plan(&p, &s).await?;
    let (id, cookie, csrf) = reader(&p, "bo@example.org").await?;
    let (completed, sub) = subscribe(&p, &s, plan, &cookie, &csrf).await?;
    let customer = completed["data"]["object"]["customer"]
        .as_str()
        .ok_or("no customer")?;
    let invoices = s
        .call("GET", "/v1/invoices", &[("customer", customer)])
        .await?;
    let mut invoice = invoices["data"][0].clone();
    assert_eq!(invoice["subscription"], json!(sub));
    invoice["status"] = json!("open");
    invoice["attempt_count"] = json!(1);
    let t = broadsheet_app::now() + 10;
    assert_eq!(
        send_event(
            &p,
            &event("evt_fail_1", "invoice.payment_failed", t, &invoice)
        )
        .await?,
        "applied"
    );
    let grace_end = t + 7 * 86_400;
    assert!(
        entitled_at(&p, id, grace_end - 1).await?,
        "reads through the grace period"
    );
    assert!(!entitled_at(&p, id, grace_end).await?, "not after it");
    let acct = p
        .request("/account/subscription", &[("cookie", &cookie)])
        .await?;
    assert!(
        acct.body.contains("could not take your last payment"),
        "the reader is told: {}",
        acct.body
    );
    // A second failed retry does not stretch the grace period.
    assert_eq!(
        send_event(
            &p,
            &event("evt_fail_2", "invoice.payment_failed", t + 86_400, &invoice)
        )
        .await?,
        "applied"
    );
    assert!(!entitled_at(&p, id, grace_end).await?);
    // The retry succeeds: open again.
    invoice["status"] = json!("paid");
    assert_eq!(
        send_event(
            &p,
            &event("evt_paid_1", "invoice.paid", t + 2 * 86_400, &invoice)
        )
        .await?,
        "applied"
    );
    assert!(
        entitled_at(&p, id, grace_end + 86_400).await?,
        "paid: no end"
    );
    // A failure older than that payment, delivered late, changes nothing.
    assert_eq!(
        send_event(
            &p,
            &event(
                "evt_fail_0",
                "invoice.payment_failed",
                t + 86_400 + 5,
                &invoice
            )
        )
        .await?,
        "stale"
    );
    assert!(entitled_at(&p, id, grace_end + 86_400).await?);
    // Fails again, retries run out: the provider cancels; reading ends.
    assert_eq!(
        send_event(
            &p,
            &event(
                "evt_fail_3",
                "invoice.payment_failed",
                t + 30 * 86_400,
                &invoice
            )
        )
        .await?,
        "applied"
    );
    let mut lsub = s
        .call("GET", &format!("/v1/subscriptions/{sub}"), &[])
        .await?;
    lsub["status"] = json!("canceled");
    assert_eq!(
        send_event(
            &p,
            &event(
                "evt_del_9",
                "customer.subscription.deleted",
                t + 37 * 86_400,
                &lsub
            )
        )
        .await?,
        "applied"
    );
    assert!(!entitled_at(&p, id, broadsheet_app::now()).await?);
    Ok(())
}

#[tokio::test]
async fn a_refund_ends_access_at_once_and_the_newsroom_notes_it() -> TestResult {
    let s = FakeStripe::start().await?;
    let p = paper(Some(&s)).await?;
    let plan = plan(&p, &s).await?;
    let (id, cookie, csrf) = reader(&p, "cy@example.org").await?;
    let (completed, _) = subscribe(&p, &s, plan, &cookie, &csrf).await?;
    let customer = completed["data"]["object"]["customer"]
        .as_str()
        .ok_or("no customer")?;
    let invoices = s
        .call("GET", "/v1/invoices", &[("customer", customer)])
        .await?;
    let charge = invoices["data"][0]["charge"]["id"]
        .as_str()
        .or(invoices["data"][0]["charge"].as_str())
        .ok_or("no charge")?
        .to_string();
    s.call("POST", "/v1/refunds", &[("charge", &charge)])
        .await?;
    let refunded = s.call("GET", &format!("/v1/charges/{charge}"), &[]).await?;
    assert_eq!(refunded["amount_refunded"], json!(999));
    assert!(entitled_at(&p, id, broadsheet_app::now()).await?);
    assert_eq!(
        send_event(
            &p,
            &event(
                "evt_refund_1",
                "charge.refunded",
                broadsheet_app::now(),
                &refunded
            )
        )
        .await?,
        "applied"
    );
    assert!(
        !entitled_at(&p, id, broadsheet_app::now()).await?,
        "ended at once"
    );
    // A subscription update after the refund does not reopen it.
    let sub = completed["data"]["object"]["subscription"]
        .as_str()
        .ok_or("no sub")?;
    let lsub = s
        .call("GET", &format!("/v1/subscriptions/{sub}"), &[])
        .await?;
    assert_eq!(
        send_event(
            &p,
            &event(
                "evt_upd_9",
                "customer.subscription.updated",
                broadsheet_app::now() + 5,
                &lsub
            )
        )
        .await?,
        "stale"
    );
    assert!(!entitled_at(&p, id, broadsheet_app::now()).await?);

    let mut admin = signed_in(&p, "admin").await?;
    let page = admin.get(&format!("/newsroom/readers/{id}")).await?;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<strong>Refund</strong>") && page.body.contains("£9.99"),
        "{}",
        page.body
    );
    Ok(())
}

#[tokio::test]
async fn bad_signatures_replays_and_unknown_types_get_the_right_answer_and_change_nothing()
-> TestResult {
    let p = paper(None).await?;
    let (id, _, _) = reader(&p, "dee@example.org").await?;
    let t = broadsheet_app::now();
    let sub = json!({"id": "sub_x", "object": "subscription", "customer": "cus_x", "status": "active",
        "current_period_end": t + 30 * 86_400, "cancel_at_period_end": false,
        "metadata": {"reader_id": id.to_string()}});
    let ev = event("evt_sig_1", "customer.subscription.created", t, &sub).to_string();
    let count = || async { p.app.store().payment_event_count().await };

    // Wrong secret, no header, a tampered body: 400, nothing written.
    assert_eq!(
        deliver(&p, &ev, "whsec_wrong", t).await?.0,
        StatusCode::BAD_REQUEST
    );
    let r = p
        .post_bytes(
            "/webhooks/stripe",
            ev.clone().into_bytes(),
            &[("content-type", "application/json")],
        )
        .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let good = sign(ev.as_bytes(), HOOK, t);
    let tampered = ev.replace("\"active\"", "\"trialing\"");
    let r = p
        .post_bytes(
            "/webhooks/stripe",
            tampered.into_bytes(),
            &[
                ("content-type", "application/json"),
                ("stripe-signature", &good),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A replay of a once-valid delivery, signed an hour ago: refused.
    assert_eq!(
        deliver(&p, &ev, HOOK, t - 3600).await?.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(count().await?, 0);
    assert!(!entitled_at(&p, id, t).await?);
    assert!(p.app.store().subscriptions_of(id).await?.is_empty());

    // An unknown type, properly signed: 200, recorded as ignored, nothing else.
    let other = event(
        "evt_unknown_1",
        "customer.tax_id.created",
        t,
        &json!({"id": "txi_1"}),
    )
    .to_string();
    let (status, body) = deliver(&p, &other, HOOK, t).await?;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ignored"));
    assert_eq!(
        p.app
            .store()
            .payment_event("evt_unknown_1")
            .await?
            .map(|e| e.outcome),
        Some("ignored".into())
    );
    assert!(!entitled_at(&p, id, t).await?);

    // Signed but unreadable: 400, nothing recorded.
    let (status, _) = deliver(&p, "{\"id\": 5}", HOOK, t).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(count().await?, 1);

    // The good one applies once; its replay with the same id (a fresh
    // signature, as Stripe's retries carry) is a duplicate.
    assert_eq!(deliver(&p, &ev, HOOK, t).await?.1, "applied");
    assert!(entitled_at(&p, id, t).await?);
    let rows = p.app.store().reader_entitlements(id).await?.len();
    assert_eq!(deliver(&p, &ev, HOOK, t + 1).await?.1, "duplicate");
    assert_eq!(p.app.store().reader_entitlements(id).await?.len(), rows);
    assert_eq!(count().await?, 2);
    Ok(())
}

#[tokio::test]
async fn organisations_grant_by_verified_domain_and_by_seat() -> TestResult {
    let p = paper(None).await?;
    let mut admin = signed_in(&p, "admin").await?;
    let csrf = admin.csrf().await?;
    let r = admin
        .post(
            "/newsroom/organisations",
            &[
                ("csrf", &csrf),
                ("do", "add"),
                ("name", "Harbour School"),
                ("seats", "1"),
                ("domains", "School.Example.org"),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let t = broadsheet_app::now();
    // A verified address at the domain reads; an unverified one does not.
    let (pupil, _, _) = reader(&p, "pupil@school.example.org").await?;
    assert!(entitled_at(&p, pupil, t).await?);
    let claimed = readers::register(
        &p.app,
        "faker@school.example.org",
        "a long enough password",
        "Faker",
    )
    .await?;
    assert!(
        !entitled_at(&p, claimed.id, t).await?,
        "an unverified address proves nothing"
    );
    let (near, _, _) = reader(&p, "x@notschool.example.org").await?;
    assert!(!entitled_at(&p, near, t).await?, "only the domain itself");

    let orgs = p.app.store().organisations().await?;
    let org = orgs.first().ok_or("no organisation")?.id.to_string();
    let (teacher, _, _) = reader(&p, "teacher@gmail.example.com").await?;
    let (second, _, _) = reader(&p, "second@gmail.example.com").await?;
    assert!(!entitled_at(&p, teacher, t).await?);
    let seat = |email: &'static str| {
        [
            ("csrf", csrf.as_str()),
            ("do", "seat-add"),
            ("organisation", org.as_str()),
            ("email", email),
        ]
    };
    let r = admin
        .post(
            "/newsroom/organisations",
            &seat("teacher@gmail.example.com"),
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(entitled_at(&p, teacher, broadsheet_app::now()).await?);
    let full = admin
        .post("/newsroom/organisations", &seat("second@gmail.example.com"))
        .await?;
    assert_eq!(full.status, StatusCode::BAD_REQUEST);
    assert!(full.body.contains("seats are taken"), "{}", full.body);
    assert!(!entitled_at(&p, second, broadsheet_app::now()).await?);
    let tid = teacher.to_string();
    let r = admin
        .post(
            "/newsroom/organisations",
            &[
                ("csrf", &csrf),
                ("do", "seat-remove"),
                ("organisation", &org),
                ("reader", &tid),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!entitled_at(&p, teacher, broadsheet_app::now() + 1).await?);
    Ok(())
}

#[tokio::test]
async fn admins_search_readers_grant_and_revoke_and_other_roles_cannot() -> TestResult {
    let p = paper(None).await?;
    let (id, _, _) = reader(&p, "eve.reader@example.org").await?;
    let mut admin = signed_in(&p, "admin").await?;
    let csrf = admin.csrf().await?;
    let dash = admin.get("/newsroom").await?;
    assert!(
        dash.body.contains("href=\"/newsroom/readers\"")
            && dash.body.contains("href=\"/newsroom/plans\"")
    );
    let found = admin.get("/newsroom/readers?q=EVE.reader").await?;
    assert!(
        found.body.contains(&format!("/newsroom/readers/{id}")),
        "{}",
        found.body
    );
    let none = admin.get("/newsroom/readers?q=nobody%25").await?;
    assert!(!none.body.contains(&format!("/newsroom/readers/{id}")));
    let path = format!("/newsroom/readers/{id}");
    let no_note = admin
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("do", "grant"),
                ("days", "30"),
                ("note", ""),
            ],
        )
        .await?;
    assert_eq!(no_note.status, StatusCode::BAD_REQUEST);
    assert!(!entitled_at(&p, id, broadsheet_app::now()).await?);
    let r = admin
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("do", "grant"),
                ("days", "30"),
                ("note", "Competition winner"),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let t = broadsheet_app::now();
    assert!(entitled_at(&p, id, t).await? && !entitled_at(&p, id, t + 31 * 86_400).await?);
    let ent = p
        .app
        .store()
        .reader_entitlements(id)
        .await?
        .first()
        .ok_or("no entitlement")?
        .id
        .to_string();
    let r = admin
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("do", "revoke"),
                ("entitlement", &ent),
                ("note", "Granted in error"),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!entitled_at(&p, id, broadsheet_app::now() + 1).await?);

    for role in ["contributor", "reporter", "editor", "moderator"] {
        let mut d = signed_in(&p, role).await?;
        let c = d.csrf().await?;
        let dash = d.get("/newsroom").await?;
        assert!(
            !dash.body.contains("/newsroom/readers") && !dash.body.contains("/newsroom/plans"),
            "{role} menu"
        );
        for page in [
            "/newsroom/readers",
            path.as_str(),
            "/newsroom/plans",
            "/newsroom/organisations",
        ] {
            assert_eq!(
                d.get(page).await?.status,
                StatusCode::FORBIDDEN,
                "{role} {page}"
            );
        }
        let r = d
            .post(&path, &[("csrf", &c), ("do", "grant"), ("note", "sneaky")])
            .await?;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role} grant");
        let r = d
            .post(
                "/newsroom/plans",
                &[
                    ("csrf", &c),
                    ("do", "add"),
                    ("name", "Cheap"),
                    ("interval", "month"),
                    ("price", "1"),
                    ("currency", "gbp"),
                    ("price_id", "price_x"),
                ],
            )
            .await?;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role} plans");
    }
    assert!(!entitled_at(&p, id, broadsheet_app::now() + 1).await?);
    assert!(p.app.store().plans().await?.is_empty());
    Ok(())
}

// ----- every node, and the reader told ----------------------------------------------

/// Entitlement writes made by webhooks reach the gate of every node: a
/// second node on the same database, which remembers the reader's session
/// (`gatecache.rs`), shows a subscription that starts by checkout and one
/// that the provider cancels once it has applied the change events (what
/// its poll does every 500 ms), never later.
#[tokio::test]
async fn webhook_entitlement_changes_reach_every_nodes_gate() -> TestResult {
    use crate::gate_hot_path::{get_on, is_cut, is_full, publish};
    use broadsheet_web::{Web, WebOptions};

    let s = FakeStripe::start().await?;
    let p = paper(Some(&s)).await?;
    let plan = plan(&p, &s).await?;
    let story = publish(&p, "Members only", broadsheet_domain::Access::Subscribers).await?;
    let path = p.path_of(&story);
    let (_, cookie, csrf) = reader(&p, "node@example.org").await?;
    let with = [("cookie", cookie.as_str())];

    let store_b = crate::support::store(&p.url).await?;
    let app_b = broadsheet_app::App::new(store_b, s.config()).await?;
    let web_b = Web::new(
        app_b.clone(),
        WebOptions {
            cache_bytes: 0,
            metrics: None,
            metrics_token: None,
            esi: false,
            sse_max_connections: 0,
        },
    );
    let router_b = web_b.router();
    // Both nodes know the reader as one without a subscription.
    assert!(is_cut(&p.request(&path, &with).await?), "node A, before");
    for _ in 0..2 {
        assert!(
            is_cut(&get_on(&router_b, &path, &with).await?),
            "node B, before"
        );
    }

    // Checkout (the webhook reaches node A): A at once, B once it applies
    // the change events.
    let (_, sub) = subscribe(&p, &s, plan, &cookie, &csrf).await?;
    assert!(
        is_full(&p.request(&path, &with).await?),
        "node A, subscribed"
    );
    app_b.apply_changes().await?;
    assert!(
        is_full(&get_on(&router_b, &path, &with).await?),
        "node B, subscribed"
    );
    assert!(
        is_full(&get_on(&router_b, &path, &with).await?),
        "node B, subscribed, remembered"
    );

    // The provider ends the subscription.
    let mut lsub = s
        .call("GET", &format!("/v1/subscriptions/{sub}"), &[])
        .await?;
    lsub["status"] = json!("canceled");
    let t = broadsheet_app::now() + 5;
    assert_eq!(
        send_event(
            &p,
            &event("evt_node_del", "customer.subscription.deleted", t, &lsub)
        )
        .await?,
        "applied"
    );
    assert!(is_cut(&p.request(&path, &with).await?), "node A, cancelled");
    app_b.apply_changes().await?;
    assert!(
        is_cut(&get_on(&router_b, &path, &with).await?),
        "node B, cancelled"
    );
    assert!(
        is_cut(&get_on(&web_b.routes(), &path, &with).await?),
        "node B, cancelled, general path"
    );
    Ok(())
}

/// A failed renewal is mailed to the reader (through a real SMTP sink):
/// until when they keep reading and where to pay another way; the same
/// event delivered again mails nothing more.
#[tokio::test]
async fn a_failed_renewal_is_mailed_to_the_reader() -> TestResult {
    let sink = crate::readers::SmtpSink::start()?;
    let s = FakeStripe::start().await?;
    let p = Paper::demo_with(
        3,
        PaperConfig {
            smtp_url: Some(sink.url()),
            base_url: Some("http://paper.test".into()),
            ..s.config()
        },
    )
    .await?;
    let plan = plan(&p, &s).await?;
    let (_, cookie, csrf) = reader(&p, "fay@example.org").await?;
    let (completed, sub) = subscribe(&p, &s, plan, &cookie, &csrf).await?;
    let customer = completed["data"]["object"]["customer"]
        .as_str()
        .ok_or("no customer")?;
    let invoices = s
        .call("GET", "/v1/invoices", &[("customer", customer)])
        .await?;
    let mut invoice = invoices["data"][0].clone();
    assert_eq!(invoice["subscription"], json!(sub));
    invoice["status"] = json!("open");
    invoice["attempt_count"] = json!(1);
    let failed = event(
        "evt_mail_fail_1",
        "invoice.payment_failed",
        broadsheet_app::now() + 10,
        &invoice,
    );
    assert_eq!(send_event(&p, &failed).await?, "applied");
    let mails = sink
        .wait_for("fay@example.org", "did not go through", 1)
        .await?;
    let m = &mails[0];
    assert!(
        m.contains("could not take your"),
        "the subject says what happened: {m}"
    );
    assert!(
        m.contains("keep reading until"),
        "the grace period is told: {m}"
    );
    assert!(
        m.contains("http://paper.test/account/subscription"),
        "where to pay another way: {m}"
    );
    // A duplicate delivery changes nothing and mails nothing.
    assert_eq!(send_event(&p, &failed).await?, "duplicate");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let all = sink
        .messages()
        .into_iter()
        .filter(|m| m.contains("did not go through"))
        .count();
    assert_eq!(all, 1, "one failure, one message");
    Ok(())
}
