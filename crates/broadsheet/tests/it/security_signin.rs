//! Regression tests for the sign-in findings of the security review
//! (issue 8): bounded, concurrency-safe throttling keyed by the trusted
//! client address, no owner lock-out, two-factor changes that need the
//! password and code, no TOTP replay, no password oracle in the code
//! prompt, a server-signed sign-in CSRF cookie, and a throttled
//! current-password check. Everything goes through the real router.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use broadsheet_app::PaperConfig;
use broadsheet_app::signin;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::{Paper, Reply, TestResult};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const PASSWORD: &str = "a known passphrase for tests";

/// A browser: keeps cookies, and speaks from one client address (sent as
/// `X-Forwarded-For`, read only when the paper trusts a proxy hop).
struct Browser<'a> {
    p: &'a Paper,
    addr: String,
    cookies: Vec<(String, String)>,
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn field(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    html.split(&needle)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("")
        .to_string()
}

fn alert(r: &Reply) -> String {
    crate::support::between(&r.body, "role=\"alert\">", "</p>").to_string()
}

impl<'a> Browser<'a> {
    fn new(p: &'a Paper, addr: &str) -> Browser<'a> {
        Browser {
            p,
            addr: addr.to_string(),
            cookies: Vec::new(),
        }
    }

    fn absorb(&mut self, r: &Reply) {
        for v in r.headers.get_all("set-cookie") {
            let Ok(v) = v.to_str() else { continue };
            let kv = v.split(';').next().unwrap_or("");
            let Some((k, val)) = kv.split_once('=') else {
                continue;
            };
            self.cookies.retain(|(ck, _)| ck != k);
            if !val.is_empty() {
                self.cookies.push((k.to_string(), val.to_string()));
            }
        }
    }

    fn cookie(&self, name: &str) -> String {
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(k, _)| k != name);
        self.cookies.push((name.to_string(), value.to_string()));
    }

    /// Drops the session cookie (as signing out does).
    fn forget_session(&mut self) {
        self.cookies.retain(|(k, _)| k != "bs_staff");
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> Res<Reply> {
        let c = self.cookie_header();
        let r = self
            .p
            .request(path, &[("cookie", &c), ("x-forwarded-for", &self.addr)])
            .await?;
        self.absorb(&r);
        Ok(r)
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Res<Reply> {
        let c = self.cookie_header();
        let r = self
            .p
            .post(
                path,
                &form_body(fields),
                &[("cookie", &c), ("x-forwarded-for", &self.addr)],
            )
            .await?;
        self.absorb(&r);
        Ok(r)
    }

    /// The sign-in form's token (and its cookie).
    async fn form_token(&mut self) -> Res<String> {
        let form = self.get("/newsroom/sign-in").await?;
        Ok(field(&form.body, "csrf"))
    }

    async fn sign_in(&mut self, user: &str, password: &str, code: &str) -> Res<Reply> {
        let csrf = self.form_token().await?;
        self.post(
            "/newsroom/sign-in",
            &[
                ("csrf", &csrf),
                ("username", user),
                ("password", password),
                ("code", code),
            ],
        )
        .await
    }

    /// The session's CSRF token (from the account page).
    async fn session_csrf(&mut self) -> Res<String> {
        let r = self.get("/newsroom/account").await?;
        Ok(field(&r.body, "csrf"))
    }
}

/// A reporter with a known password.
async fn reporter(p: &Paper) -> Res<String> {
    let staff = p.app.store().staff().await?;
    let user = staff
        .into_iter()
        .find(|(_, _, r)| r == "reporter")
        .map(|(u, _, _)| u)
        .ok_or("no reporter")?;
    broadsheet_app::accounts::reset_password(
        &p.app,
        &broadsheet_domain::Actor::Operator,
        &user,
        Some(PASSWORD),
    )
    .await?;
    Ok(user)
}

fn behind_one_proxy() -> PaperConfig {
    PaperConfig {
        trusted_proxy_hops: 1,
        ..PaperConfig::default()
    }
}

/// Item 5: 1 MB usernames are refused before they are keyed or hashed, and
/// distinct usernames from one client cannot grow the throttle's tables.
#[tokio::test]
async fn huge_fields_are_refused_and_the_throttle_stays_small() -> TestResult {
    let p = Paper::demo(3).await?;
    let mut b = Browser::new(&p, "198.51.100.1");
    let mut csrf = b.form_token().await?;
    // Half a megabyte: under the newsroom's 1 MB body limit, so it reaches
    // the field check (a whole megabyte is refused at the door, below).
    let huge = "u".repeat(1 << 19);
    for _ in 0..60 {
        let r = b
            .post(
                "/newsroom/sign-in",
                &[("csrf", &csrf), ("username", &huge), ("password", "x")],
            )
            .await?;
        // Each answer is a fresh form with a fresh token.
        csrf = field(&r.body, "csrf");
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(alert(&r).contains("username is longer"), "{}", alert(&r));
        assert!(r.body.len() < 64 * 1024, "the username is not echoed back");
    }
    let whole_mb = "u".repeat(1 << 20);
    let r = b
        .post(
            "/newsroom/sign-in",
            &[("csrf", &csrf), ("username", &whole_mb), ("password", "x")],
        )
        .await?;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(r.body.len() < 64 * 1024, "the username is not echoed back");
    csrf = field(&r.body, "csrf");
    let huge_pw = "p".repeat(1 << 19);
    let r = b
        .post(
            "/newsroom/sign-in",
            &[("csrf", &csrf), ("username", "ann"), ("password", &huge_pw)],
        )
        .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(alert(&r).contains("password is longer"));
    csrf = field(&r.body, "csrf");
    let r = b
        .post(
            "/newsroom/sign-in",
            &[
                ("csrf", &csrf),
                ("username", "ann"),
                ("password", "x"),
                ("code", &"1".repeat(5000)),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let guard = p.web.sign_in_guard();
    assert_eq!(guard.verifications(), 0, "nothing oversized was hashed");
    assert_eq!(guard.tracked_keys(), 0, "nothing oversized was keyed");

    // Sixty different usernames from one client: the client's bucket stops
    // it after PER_CLIENT, so the tables hold a bounded number of keys.
    let mut limited = 0;
    for i in 0..60 {
        let r = b
            .post(
                "/newsroom/sign-in",
                &[
                    ("csrf", &csrf),
                    ("username", &format!("nobody{i}")),
                    ("password", "x"),
                ],
            )
            .await?;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        }
        csrf = field(&r.body, "csrf");
    }
    let per_client = signin::PER_CLIENT as usize;
    // (A cell refills every 30 s, so a slow run may let one or two more in.)
    let let_in = 60 - limited;
    assert!(
        (per_client..=per_client + 3).contains(&let_in),
        "{let_in} attempts were let in"
    );
    assert!(
        guard.tracked_keys() <= 1 + 2 * let_in,
        "held {} keys",
        guard.tracked_keys()
    );
    Ok(())
}

/// Item 6: thirty guesses at once are reserved before they are checked, so
/// at most the limit are verified and then even the right password waits.
#[tokio::test]
async fn parallel_guesses_cannot_beat_the_limit() -> TestResult {
    let p = Paper::demo(3).await?;
    let user = reporter(&p).await?;
    let mut b = Browser::new(&p, "198.51.100.2");
    let csrf = b.form_token().await?;
    let cookie = b.cookie_header();
    let before = p.web.sign_in_guard().verifications();
    let mut tasks = Vec::new();
    for i in 0..30 {
        let router = p.router.clone();
        let body = form_body(&[
            ("csrf", &csrf),
            ("username", &user),
            ("password", &format!("guess number {i}")),
        ]);
        let cookie = cookie.clone();
        tasks.push(tokio::spawn(async move {
            let req = Request::builder()
                .method("POST")
                .uri("/newsroom/sign-in")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", cookie)
                .body(Body::from(body))?;
            let res = router.oneshot(req).await?;
            let status = res.status();
            res.into_body().collect().await?;
            Ok::<StatusCode, Box<dyn std::error::Error + Send + Sync>>(status)
        }));
    }
    let mut unauthorized = 0;
    for t in tasks {
        match t.await?.map_err(|e| e.to_string())? {
            StatusCode::UNAUTHORIZED => unauthorized += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => return Err(format!("unexpected {other}").into()),
        }
    }
    let verified = p.web.sign_in_guard().verifications() - before;
    let limit = u64::from(signin::PER_ACCOUNT_CLIENT);
    assert!(verified <= limit, "{verified} passwords were checked");
    assert_eq!(
        unauthorized, verified,
        "only checked guesses are answered 401"
    );
    let r = b.sign_in(&user, PASSWORD, "").await?;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the right password waits too"
    );
    assert_eq!(p.web.sign_in_guard().verifications() - before, verified);
    Ok(())
}

/// Item 16: behind a proxy each client has its own bucket, and a stranger
/// cannot lock the owner out: the owner's browser, trusted by a signed
/// device cookie from an earlier sign-in, has a bucket of its own.
#[tokio::test]
async fn a_stranger_cannot_lock_the_owner_out() -> TestResult {
    let p = Paper::demo_with(3, behind_one_proxy()).await?;
    let user = reporter(&p).await?;
    let mut owner = Browser::new(&p, "198.51.100.8");
    assert_eq!(
        owner.sign_in(&user, PASSWORD, "").await?.status,
        StatusCode::SEE_OTHER
    );
    let device = owner.cookie("bs_device");
    assert!(!device.is_empty(), "a device cookie after signing in");

    // A stranger at one address: locked out after a few guesses...
    let mut stranger = Browser::new(&p, "203.0.113.9");
    let mut last = StatusCode::OK;
    for i in 0..8 {
        last = stranger
            .sign_in(&user, &format!("guess {i}"), "")
            .await?
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // ...and even with the right password, from that address.
    assert_eq!(
        stranger.sign_in(&user, PASSWORD, "").await?.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The owner at their own address is not in the stranger's bucket,
    // even from a browser with no device cookie.
    let mut owner_phone = Browser::new(&p, "198.51.100.8");
    assert_eq!(
        owner_phone.sign_in(&user, PASSWORD, "").await?.status,
        StatusCode::SEE_OTHER
    );

    // A spread-out attack from many addresses exhausts the account's bucket
    // for untrusted browsers...
    for i in 0..signin::PER_ACCOUNT_UNTRUSTED {
        let mut s = Browser::new(&p, &format!("192.0.2.{}", i + 1));
        s.sign_in(&user, "spread-out guess", "").await?;
    }
    let mut fresh = Browser::new(&p, "198.51.100.99");
    assert_eq!(
        fresh.sign_in(&user, PASSWORD, "").await?.status,
        StatusCode::TOO_MANY_REQUESTS,
        "untrusted browsers wait"
    );
    // ...but a forged device cookie does not help the stranger...
    let mut forger = Browser::new(&p, "192.0.2.200");
    let mut parts: Vec<&str> = device.split('.').collect();
    parts[3] = "00";
    forger.set_cookie("bs_device", &parts.join("."));
    assert_eq!(
        forger.sign_in(&user, PASSWORD, "").await?.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...while the owner's trusted browser signs in, from anywhere.
    owner.forget_session();
    owner.addr = "192.0.2.1".into();
    let r = owner.sign_in(&user, PASSWORD, "").await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", alert(&r));
    Ok(())
}

/// Turns two-factor on for `b` (signed in as `user`) and returns the key.
async fn turn_on_two_factor(b: &mut Browser<'_>) -> Res<String> {
    let csrf = b.session_csrf().await?;
    let page = b.get("/newsroom/account").await?;
    let secret = field(&page.body, "secret");
    let code = broadsheet_app::accounts::totp_code(&secret, broadsheet_app::now());
    let r = b
        .post(
            "/newsroom/account",
            &[
                ("csrf", &csrf),
                ("do", "totp-on"),
                ("secret", &secret),
                ("code", &code),
                ("password", PASSWORD),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", alert(&r));
    Ok(secret)
}

async fn two_factor_key(p: &Paper, user: &str) -> Res<Option<String>> {
    Ok(p.app
        .store()
        .author_by_username(user)
        .await?
        .ok_or("no user")?
        .totp_secret
        .filter(|s| !s.is_empty()))
}

/// Item 11: a session alone cannot turn two-factor on or off or replace
/// its key: the password is needed, and the current code once it is on.
#[tokio::test]
async fn two_factor_changes_need_the_password_and_the_current_code() -> TestResult {
    let p = Paper::demo(3).await?;
    let user = reporter(&p).await?;
    let mut b = Browser::new(&p, "198.51.100.3");
    assert_eq!(
        b.sign_in(&user, PASSWORD, "").await?.status,
        StatusCode::SEE_OTHER
    );
    let csrf = b.session_csrf().await?;
    let page = b.get("/newsroom/account").await?;
    let attacker_key = field(&page.body, "secret");
    let now = broadsheet_app::now();
    let code = broadsheet_app::accounts::totp_code(&attacker_key, now);
    // A session without the password cannot turn it on with its own key.
    for password in ["", "not the password"] {
        let r = b
            .post(
                "/newsroom/account",
                &[
                    ("csrf", &csrf),
                    ("do", "totp-on"),
                    ("secret", &attacker_key),
                    ("code", &code),
                    ("password", password),
                ],
            )
            .await?;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", alert(&r));
    }
    assert_eq!(two_factor_key(&p, &user).await?, None);

    let secret = turn_on_two_factor(&mut b).await?;
    assert_eq!(two_factor_key(&p, &user).await?.as_deref(), Some(&*secret));
    // Replacing the key: the password is not enough without the current code.
    let page = b.get("/newsroom/account").await?;
    let new_key = field(&page.body, "secret");
    assert_ne!(new_key, secret);
    let new_code = broadsheet_app::accounts::totp_code(&new_key, broadsheet_app::now());
    let r = b
        .post(
            "/newsroom/account",
            &[
                ("csrf", &csrf),
                ("do", "totp-on"),
                ("secret", &new_key),
                ("code", &new_code),
                ("password", PASSWORD),
                ("current_code", ""),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(two_factor_key(&p, &user).await?.as_deref(), Some(&*secret));
    // Turning it off: the current code alone is not enough.
    let next = broadsheet_app::accounts::totp_code(&secret, broadsheet_app::now() + 30);
    let r = b
        .post(
            "/newsroom/account",
            &[("csrf", &csrf), ("do", "totp-off"), ("current_code", &next)],
        )
        .await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(two_factor_key(&p, &user).await?.is_some());
    // Password and current code: the key is replaced.
    let r = b
        .post(
            "/newsroom/account",
            &[
                ("csrf", &csrf),
                ("do", "totp-on"),
                ("secret", &new_key),
                ("code", &new_code),
                ("password", PASSWORD),
                ("current_code", &next),
            ],
        )
        .await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", alert(&r));
    assert_eq!(two_factor_key(&p, &user).await?.as_deref(), Some(&*new_key));
    Ok(())
}

/// Item 18: a code is accepted once, on any node; and the answer to a wrong
/// code is the answer to a wrong password, so the form confirms nothing.
#[tokio::test]
async fn a_code_works_once_and_the_prompt_confirms_nothing() -> TestResult {
    let p = Paper::demo_with(3, behind_one_proxy()).await?;
    let user = reporter(&p).await?;
    let mut b = Browser::new(&p, "198.51.100.4");
    assert_eq!(
        b.sign_in(&user, PASSWORD, "").await?.status,
        StatusCode::SEE_OTHER
    );
    let secret = turn_on_two_factor(&mut b).await?;

    // No oracle: right password with a wrong or missing code reads exactly
    // like a wrong password.
    let mut x = Browser::new(&p, "198.51.100.40");
    let wrong_pw = x.sign_in(&user, "not the password", "123456").await?;
    let wrong_code = x.sign_in(&user, PASSWORD, "000000").await?;
    let no_code = x.sign_in(&user, PASSWORD, "").await?;
    for r in [&wrong_code, &no_code] {
        assert_eq!(r.status, wrong_pw.status);
        assert_eq!(alert(r), alert(&wrong_pw));
    }
    assert_eq!(wrong_pw.status, StatusCode::UNAUTHORIZED);

    // The next step's code signs in once...
    let code = broadsheet_app::accounts::totp_code(&secret, broadsheet_app::now() + 30);
    let mut first = Browser::new(&p, "198.51.100.41");
    let r = first.sign_in(&user, PASSWORD, &code).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", alert(&r));
    // ...and not again, not even through another node on the same database.
    let other_node = broadsheet_web::Web::new(p.app.clone(), Default::default()).router();
    let mut again = Browser::new(&p, "198.51.100.42");
    let csrf = again.form_token().await?;
    let req = Request::builder()
        .method("POST")
        .uri("/newsroom/sign-in")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", again.cookie_header())
        .body(Body::from(form_body(&[
            ("csrf", &csrf),
            ("username", &user),
            ("password", PASSWORD),
            ("code", &code),
        ])))?;
    let res = other_node.oneshot(req).await?;
    // The first node's form token was signed with the installation's key,
    // which the second node shares through the database.
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a replayed code");
    Ok(())
}

/// Posts the sign-in form with `token` as both cookie and form field.
async fn post_token(b: &mut Browser<'_>, user: &str, token: String) -> Res<Reply> {
    b.set_cookie("bs_signin", &token);
    let fields = [
        ("csrf", token.as_str()),
        ("username", user),
        ("password", PASSWORD),
    ];
    let c = b.cookie_header();
    b.p.post(
        "/newsroom/sign-in",
        &form_body(&fields),
        &[("cookie", &c), ("x-forwarded-for", &b.addr)],
    )
    .await
}

/// Item 26: the sign-in CSRF cookie must be one the server signed; any
/// value repeated in the form is not enough.
#[tokio::test]
async fn the_sign_in_form_token_must_be_signed_by_this_server() -> TestResult {
    let p = Paper::demo(3).await?;
    let user = reporter(&p).await?;
    let mut b = Browser::new(&p, "198.51.100.5");
    // Attacker-chosen double-submit values.
    let r = post_token(&mut b, &user, "attacker-chosen".into()).await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post_token(
        &mut b,
        &user,
        format!("{}.9999999999.{}", "ab".repeat(16), "cd".repeat(32)),
    )
    .await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A token from another installation.
    let other = Paper::demo(1).await?;
    let theirs = Browser::new(&other, "198.51.100.5").form_token().await?;
    let r = post_token(&mut b, &user, theirs).await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A real token with its expiry pushed out.
    let real = b.form_token().await?;
    let mut parts: Vec<String> = real.split('.').map(str::to_string).collect();
    assert_eq!(parts.len(), 3);
    parts[1] = "9999999999".into();
    let r = post_token(&mut b, &user, parts.join(".")).await?;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The real one works.
    let r = post_token(&mut b, &user, real).await?;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    Ok(())
}

/// Item 27: the current-password check on the account page is throttled
/// per account and client like sign-in.
#[tokio::test]
async fn the_current_password_check_is_throttled() -> TestResult {
    let p = Paper::demo(3).await?;
    let user = reporter(&p).await?;
    let mut b = Browser::new(&p, "198.51.100.6");
    assert_eq!(
        b.sign_in(&user, PASSWORD, "").await?.status,
        StatusCode::SEE_OTHER
    );
    let csrf = b.session_csrf().await?;
    let change = |current: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("do", "password".to_string()),
            ("current", current.to_string()),
            ("new", "another long passphrase".to_string()),
        ]
    };
    let before = p.web.sign_in_guard().verifications();
    for _ in 0..signin::PER_REAUTH {
        let f = change("a wrong guess");
        let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = b.post("/newsroom/account", &fields).await?;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(alert(&r).contains("current password is not right"));
    }
    let f = change(PASSWORD);
    let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = b.post("/newsroom/account", &fields).await?;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", alert(&r));
    assert_eq!(
        p.web.sign_in_guard().verifications() - before,
        u64::from(signin::PER_REAUTH),
        "the refused attempt was not checked"
    );
    // The password was not changed.
    let mut c = Browser::new(&p, "198.51.100.60");
    assert_eq!(
        c.sign_in(&user, PASSWORD, "").await?.status,
        StatusCode::SEE_OTHER
    );
    Ok(())
}
