//! Social sign-in end to end against a real OpenID Connect provider
//! (`oidc-provider` from npm, run by `tests-fixtures/oidc-provider.mjs` on
//! a free port of 127.0.0.1): the paper's router in-process plays our side,
//! plain HTTP to the provider plays the reader's browser there (its
//! development login form is posted like a person would). Covers a new
//! account, the same account again, linking by a verified address only,
//! and the refusals (tampered, wrong audience, expired token, replayed
//! state, another browser's flow cookie, a provider that is down), each
//! with a clear message and nothing written.
//!
//! Needs Node.js and `npm ci` in `tests-fixtures/` (or
//! `$BROADSHEET_TEST_NODE_MODULES`); `bash scripts/test.sh` installs it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use broadsheet_app::PaperConfig;
use broadsheet_app::readers;
use broadsheet_app::social::{ProviderConfig, ProviderKind, SocialConfig};

use crate::support::{Paper, Reply, TestResult};

type Error = Box<dyn std::error::Error>;

const BASE: &str = "http://paper.test";
const CLIENT_ID: &str = "broadsheet-test";
const CLIENT_SECRET: &str = "a-client-secret-for-tests-only";
const START: &str = "/account/oauth/oidc/start";

/// The provider process; killed when dropped.
struct Provider {
    child: Child,
    issuer: String,
    _dir: tempfile::TempDir,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn node_modules() -> PathBuf {
    match std::env::var_os("BROADSHEET_TEST_NODE_MODULES") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests-fixtures/node_modules"),
    }
}

/// Starts the provider. `mode`: "ok", "tamper", "wrong-aud", "expired".
/// `users`: login name → (email, verified, name).
fn provider(mode: &str, users: &[(&str, &str, bool, &str)]) -> Result<Provider, Error> {
    let modules = node_modules();
    if !modules.join("oidc-provider/package.json").is_file() {
        return Err(format!(
            "the OpenID provider for these tests is not installed in {}: run `cd tests-fixtures && npm ci` \
             (or `bash scripts/test.sh`, which does), or point BROADSHEET_TEST_NODE_MODULES at a node_modules with oidc-provider",
            modules.display()
        )
        .into());
    }
    // The script next to a link to the modules, so `import 'oidc-provider'`
    // finds them wherever they are.
    let dir = tempfile::tempdir()?;
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests-fixtures/oidc-provider.mjs");
    std::fs::copy(&script, dir.path().join("oidc-provider.mjs"))?;
    std::os::unix::fs::symlink(
        std::fs::canonicalize(&modules)?,
        dir.path().join("node_modules"),
    )?;
    let users: serde_json::Map<String, serde_json::Value> = users
        .iter()
        .map(|(login, email, verified, name)| {
            (
                (*login).to_string(),
                serde_json::json!({ "email": email, "email_verified": verified, "name": name }),
            )
        })
        .collect();
    let settings = serde_json::json!({
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "redirectUri": format!("{BASE}/account/oauth/oidc/callback"),
        "mode": mode,
        "users": users,
    });
    let mut child = Command::new("node")
        .arg("oidc-provider.mjs")
        .current_dir(dir.path())
        .env("OIDC_FIXTURE", settings.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!("cannot run node (Node.js 20 or later is needed for these tests): {e}")
        })?;
    let stdout = child.stdout.take().ok_or("no stdout from the provider")?;
    // The first line names the issuer; wait for it on a thread, bounded.
    // The thread then keeps reading (the provider logs to stdout too, and
    // dies of EPIPE if nobody does).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = BufReader::new(stdout);
        let mut line = String::new();
        let _ = out.read_line(&mut line);
        let _ = tx.send(line);
        let _ = std::io::copy(&mut out, &mut std::io::sink());
    });
    let line = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(l) => l,
        Err(_) => {
            let _ = child.kill();
            return Err("the OpenID provider did not start within 60 s".into());
        }
    };
    let v: serde_json::Value = serde_json::from_str(line.trim())
        .map_err(|e| format!("the OpenID provider said {line:?}, not its issuer: {e}"))?;
    let issuer = v["issuer"].as_str().ok_or("no issuer")?.to_string();
    Ok(Provider {
        child,
        issuer,
        _dir: dir,
    })
}

fn config(issuer: &str) -> PaperConfig {
    let mut c = PaperConfig {
        base_url: Some(BASE.into()),
        ..PaperConfig::default()
    };
    let mut p = ProviderConfig::known(ProviderKind::Oidc, CLIENT_ID, CLIENT_SECRET);
    p.issuer = issuer.into();
    p.label = "Test ID".into();
    c.social = SocialConfig {
        providers: vec![p],
        allow_loopback: true,
    };
    c
}

/// The value of cookie `name` set by a reply, if any (last one wins).
fn set_cookie(r: &Reply, name: &str) -> Option<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .next_back()
}

/// The reader's browser at the provider: cookies kept by name, redirects
/// followed by hand, the login form posted.
struct Browser {
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

impl Browser {
    fn new() -> Result<Browser, Error> {
        Ok(Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()?,
            cookies: HashMap::new(),
        })
    }

    async fn go(
        &mut self,
        method: reqwest::Method,
        url: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Result<(u16, Option<String>, String), Error> {
        let jar = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut req = self.http.request(method, url).header("cookie", jar);
        if let Some(f) = form {
            req = req.form(f);
        }
        let res = req.send().await?;
        for v in res.headers().get_all("set-cookie") {
            if let Some((k, val)) = v
                .to_str()?
                .split(';')
                .next()
                .and_then(|kv| kv.split_once('='))
            {
                self.cookies.insert(k.to_string(), val.to_string());
            }
        }
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok((status, location, res.text().await?))
    }

    /// From the provider's authorization URL to our callback (path and
    /// query), signing in as `login`.
    async fn sign_in_at_provider(
        &mut self,
        issuer: &str,
        auth_url: &str,
        login: &str,
    ) -> Result<String, Error> {
        let absolute = |l: &str| {
            if l.starts_with("http") {
                l.to_string()
            } else {
                format!("{issuer}{l}")
            }
        };
        let mut next = auth_url.to_string();
        let mut method = reqwest::Method::GET;
        let mut form: Vec<(String, String)> = Vec::new();
        for _ in 0..12 {
            let f: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let (status, location, body) = self
                .go(method.clone(), &next, (!f.is_empty()).then_some(&f[..]))
                .await?;
            method = reqwest::Method::GET;
            form.clear();
            if let Some(l) = location {
                if let Some(rest) = l.strip_prefix(BASE) {
                    return Ok(rest.to_string());
                }
                next = absolute(&l);
                continue;
            }
            if status != 200 {
                return Err(format!("the provider answered {status}: {body}").into());
            }
            // An interaction page: log in, or consent.
            let action = body
                .split_once("action=\"")
                .and_then(|(_, rest)| rest.split('"').next())
                .unwrap_or("")
                .to_string();
            if action.is_empty() {
                return Err(format!("no form on the provider's page: {body}").into());
            }
            next = absolute(&action);
            method = reqwest::Method::POST;
            if body.contains("name=\"prompt\" value=\"login\"") {
                form = vec![
                    ("prompt".into(), "login".into()),
                    ("login".into(), login.into()),
                    ("password".into(), "any password".into()),
                ];
            } else {
                form = vec![("prompt".into(), "consent".into())];
            }
        }
        Err("the provider never sent the browser back".into())
    }
}

/// Presses "Sign in with Test ID": the flow cookie and the provider's URL.
async fn press_start(p: &Paper) -> Result<(String, String), Error> {
    let r = p.post(START, "", &[]).await?;
    assert_eq!(r.status, 303, "start: {}", r.body);
    let cookie = set_cookie(&r, "bs_social").ok_or("no flow cookie")?;
    let to = r.header("location").to_string();
    Ok((cookie, to))
}

async fn callback(p: &Paper, path: &str, flow_cookie: &str) -> Result<Reply, Error> {
    p.request(path, &[("cookie", &format!("bs_social={flow_cookie}"))])
        .await
}

/// A whole sign-in as `login`: the callback's reply.
async fn sign_in(p: &Paper, fx: &Provider, login: &str) -> Result<Reply, Error> {
    let (cookie, to) = press_start(p).await?;
    let path = Browser::new()?
        .sign_in_at_provider(&fx.issuer, &to, login)
        .await?;
    callback(p, &path, &cookie).await
}

/// Rows social sign-in writes: (identities, flows).
async fn social_rows(p: &Paper) -> Result<(i64, i64), Error> {
    Ok(p.app.store().social_row_counts().await?)
}

fn assert_refused(r: &Reply, status: u16, words: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(
        r.body.contains(words),
        "expected {words:?} in the page: {}",
        r.body
    );
    assert!(
        set_cookie(r, "bs_reader").is_none(),
        "a refused sign-in must not sign anyone in"
    );
    assert_eq!(r.header("cache-control"), "private, no-store");
    // The way back is on the page.
    assert!(r.body.contains("Sign in with email"), "{}", r.body);
}

#[tokio::test]
async fn social_sign_in_makes_an_account_and_a_session_and_finds_it_again() -> TestResult {
    let fx = provider("ok", &[("ann", "Ann@Example.org", true, "Ann Social")])?;
    let p = Paper::demo_with(3, config(&fx.issuer)).await?;

    // The button is a plain form to our own route, with the sprite's icon.
    let page = p.get("/account").await?;
    assert!(page.body.contains("action=\"/account/oauth/oidc/start\""));
    assert!(page.body.contains("Sign in with Test ID"));
    // The sprite is at its fingerprinted address (design11: `assets::icons_url()`).
    assert!(page.body.contains(".svg#i-sign-in\"") && page.body.contains("/static/icons."));

    let (cookie, to) = press_start(&p).await?;
    assert!(to.starts_with(&fx.issuer), "{to}");
    for part in [
        "code_challenge_method=S256",
        "code_challenge=",
        "nonce=",
        "state=",
        "response_type=code",
    ] {
        assert!(to.contains(part), "{part} missing from {to}");
    }
    assert_eq!(
        social_rows(&p).await?,
        (0, 1),
        "the flow is kept server-side"
    );
    let path = Browser::new()?
        .sign_in_at_provider(&fx.issuer, &to, "ann")
        .await?;
    let r = callback(&p, &path, &cookie).await?;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), "/account");
    assert_eq!(
        set_cookie(&r, "bs_social").as_deref(),
        Some(""),
        "the flow cookie is cleared"
    );
    let session = set_cookie(&r, "bs_reader").ok_or("no session cookie")?;
    let reader = readers::session(&p.app, &session)
        .await?
        .ok_or("the session is not current")?;
    assert_eq!(reader.email, "ann@example.org");
    assert!(reader.email_verified && !reader.has_password);
    assert_eq!(reader.display_name, "Ann Social");
    let acct = p
        .request("/account", &[("cookie", &format!("bs_reader={session}"))])
        .await?;
    assert!(acct.body.contains("Ann Social"), "{}", acct.body);
    assert_eq!(social_rows(&p).await?, (1, 0), "one identity, flow used up");

    // Again: the same account, a new session.
    let r = sign_in(&p, &fx, "ann").await?;
    assert_eq!(r.status, 303, "{}", r.body);
    let again = set_cookie(&r, "bs_reader").ok_or("no session cookie")?;
    assert_ne!(again, session);
    let same = readers::session(&p.app, &again)
        .await?
        .ok_or("no session")?;
    assert_eq!(same.id, reader.id);
    assert_eq!(social_rows(&p).await?, (1, 0));
    let ids = p.app.store().reader_identities(reader.id).await?;
    assert_eq!(ids.len(), 1);
    assert_eq!(
        (ids[0].provider.as_str(), ids[0].subject.as_str()),
        ("oidc", "ann")
    );
    Ok(())
}

#[tokio::test]
async fn a_verified_address_links_the_existing_account_and_an_unverified_one_does_not() -> TestResult
{
    let fx = provider(
        "ok",
        &[
            ("bo", "bo@example.org", true, "Bo"),
            ("cy", "cy@example.org", false, "Cy"),
            ("dee", "dee@example.org", false, "Dee"),
        ],
    )?;
    let p = Paper::demo_with(3, config(&fx.issuer)).await?;
    // Bo has an account with a proven address: the provider vouches for
    // the same address, so the identity joins it.
    let bo = readers::link_verified_email(&p.app, "bo@example.org", "Bo Reader").await?;
    let r = sign_in(&p, &fx, "bo").await?;
    assert_eq!(r.status, 303, "{}", r.body);
    let s = set_cookie(&r, "bs_reader").ok_or("no session")?;
    assert_eq!(
        readers::session(&p.app, &s).await?.map(|a| a.id),
        Some(bo.id)
    );
    assert_eq!(p.app.store().reader_identities(bo.id).await?.len(), 1);

    // Cy has an account; the provider does not vouch for the address: no link.
    let cy = readers::register(&p.app, "cy@example.org", "a long enough password", "Cy").await?;
    let r = sign_in(&p, &fx, "cy").await?;
    assert_refused(&r, 400, "does not confirm that address is yours");
    assert!(p.app.store().reader_identities(cy.id).await?.is_empty());
    let still = p
        .app
        .store()
        .reader_by_email("cy@example.org")
        .await?
        .ok_or("cy vanished")?;
    assert!(still.email_verified_at.is_none(), "nothing was verified");
    assert_eq!(social_rows(&p).await?, (1, 0));

    // Dee has no account: one is made, its address not taken as proven.
    let r = sign_in(&p, &fx, "dee").await?;
    assert_eq!(r.status, 303, "{}", r.body);
    let s = set_cookie(&r, "bs_reader").ok_or("no session")?;
    let dee = readers::session(&p.app, &s).await?.ok_or("no session")?;
    assert_eq!(dee.email, "dee@example.org");
    assert!(!dee.email_verified);
    assert_eq!(social_rows(&p).await?, (2, 0));
    Ok(())
}

#[tokio::test]
async fn spoiled_id_tokens_are_refused_and_write_nothing() -> TestResult {
    for mode in ["tamper", "wrong-aud", "expired"] {
        let fx = provider(mode, &[("eve", "eve@example.org", true, "Eve")])?;
        let p = Paper::demo_with(3, config(&fx.issuer)).await?;
        let r = sign_in(&p, &fx, "eve").await?;
        assert_refused(
            &r,
            400,
            "Sign-in with Test ID failed: its answer could not be verified; try again or sign in with email.",
        );
        assert_eq!(social_rows(&p).await?, (0, 0), "{mode}: rows written");
        for email in ["eve@example.org", "mallory@example.net"] {
            assert!(
                p.app.store().reader_by_email(email).await?.is_none(),
                "{mode}: an account was made for {email}"
            );
        }
        // Internal detail (the crate's words) stays in the log.
        assert!(!r.body.contains("audience") && !r.body.contains("signature"));
    }
    Ok(())
}

#[tokio::test]
async fn a_replayed_state_and_another_browsers_flow_cookie_are_refused() -> TestResult {
    let fx = provider("ok", &[("fay", "fay@example.org", true, "Fay")])?;
    let p = Paper::demo_with(3, config(&fx.issuer)).await?;

    // Another browser's cookie: an attacker's callback (their code and
    // state) opened in the reader's browser, which has its own flow.
    let (attacker_cookie, attacker_to) = press_start(&p).await?;
    let attacker_path = Browser::new()?
        .sign_in_at_provider(&fx.issuer, &attacker_to, "fay")
        .await?;
    let (victim_cookie, _) = press_start(&p).await?;
    let r = callback(&p, &attacker_path, &victim_cookie).await?;
    assert_refused(&r, 400, "did not complete: start again");
    // No cookie at all.
    let r = p.get(&attacker_path).await?;
    assert_refused(&r, 400, "did not start in this browser");
    assert!(
        p.app
            .store()
            .reader_by_email("fay@example.org")
            .await?
            .is_none()
    );
    assert_eq!(social_rows(&p).await?.0, 0);
    drop(attacker_cookie);

    // A finished flow replayed (same cookie, same state and code): refused.
    let (cookie, to) = press_start(&p).await?;
    let path = Browser::new()?
        .sign_in_at_provider(&fx.issuer, &to, "fay")
        .await?;
    let ok = callback(&p, &path, &cookie).await?;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let again = callback(&p, &path, &cookie).await?;
    assert_refused(&again, 400, "was finished or abandoned already");
    assert_eq!(social_rows(&p).await?.0, 1);
    Ok(())
}

#[tokio::test]
async fn a_provider_that_is_down_gets_a_clear_message_and_nothing_is_made() -> TestResult {
    let words = "Sign-in with Test ID failed: the provider did not answer; try again or sign in with email.";
    // Down before the reader leaves: nothing listens at the issuer.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?;
    let issuer = format!("http://127.0.0.1:{}", closed.local_addr()?.port());
    drop(closed);
    let p = Paper::demo_with(3, config(&issuer)).await?;
    let r = p.post(START, "", &[]).await?;
    assert_refused(&r, 502, words);
    assert!(set_cookie(&r, "bs_social").is_none_or(|v| v.is_empty()));
    assert_eq!(social_rows(&p).await?, (0, 0));

    // Down while the reader is there: the code cannot be exchanged.
    let mut fx = provider("ok", &[("gus", "gus@example.org", true, "Gus")])?;
    let p = Paper::demo_with(3, config(&fx.issuer)).await?;
    let (cookie, to) = press_start(&p).await?;
    let path = Browser::new()?
        .sign_in_at_provider(&fx.issuer, &to, "gus")
        .await?;
    fx.stop();
    let r = callback(&p, &path, &cookie).await?;
    assert_refused(&r, 502, words);
    assert_eq!(social_rows(&p).await?, (0, 0));
    assert!(
        p.app
            .store()
            .reader_by_email("gus@example.org")
            .await?
            .is_none()
    );
    Ok(())
}

#[tokio::test]
async fn a_signed_in_reader_links_a_provider_that_does_not_vouch_for_the_address() -> TestResult {
    let fx = provider("ok", &[("hal", "hal.elsewhere@example.org", false, "Hal")])?;
    let p = Paper::demo_with(3, config(&fx.issuer)).await?;
    let hal = readers::register(&p.app, "hal@example.org", "a long enough password", "Hal").await?;
    let s = readers::start_session(&p.app, hal.id).await?;
    let session = format!("bs_reader={}", s.token);
    let page = p.request("/account", &[("cookie", &session)]).await?;
    assert!(page.body.contains("Link Test ID"), "{}", page.body);

    // Linking needs the session's CSRF token.
    let r = p
        .post(START, "link=1&csrf=forged", &[("cookie", &session)])
        .await?;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(social_rows(&p).await?, (0, 0));

    let csrf = readers::csrf_for(&s.token);
    let r = p
        .post(
            START,
            &format!("link=1&csrf={csrf}"),
            &[("cookie", &session)],
        )
        .await?;
    assert_eq!(r.status, 303, "{}", r.body);
    let flow = set_cookie(&r, "bs_social").ok_or("no flow cookie")?;
    let path = Browser::new()?
        .sign_in_at_provider(&fx.issuer, r.header("location"), "hal")
        .await?;
    let r = p
        .request(
            &path,
            &[("cookie", &format!("{session}; bs_social={flow}"))],
        )
        .await?;
    assert_eq!(r.status, 303, "{}", r.body);
    let ids = p.app.store().reader_identities(hal.id).await?;
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].email_verified, 0);

    // Signed out, the provider now signs in to Hal's account.
    let r = sign_in(&p, &fx, "hal").await?;
    assert_eq!(r.status, 303, "{}", r.body);
    let again = set_cookie(&r, "bs_reader").ok_or("no session")?;
    assert_eq!(
        readers::session(&p.app, &again).await?.map(|a| a.id),
        Some(hal.id)
    );
    Ok(())
}

/// The options as `serve` reads them.
fn settings(args: &[&str]) -> Result<broadsheet::config::Settings, String> {
    use clap::Parser;
    let mut all = vec!["broadsheet", "serve"];
    all.extend_from_slice(args);
    let cli = broadsheet::cli::Cli::try_parse_from(all).map_err(|e| e.to_string())?;
    let Some(broadsheet::cli::Command::Serve(serve)) = cli.command else {
        return Err("not serve".into());
    };
    broadsheet::config::Settings::resolve(&cli.common, Some(&serve))
}

#[test]
fn social_options_turn_providers_on_and_say_what_is_missing() {
    let base = ["--base-url", "https://news.example.com"];
    let err = |args: &[&str]| settings(args).err().unwrap_or_default();
    assert!(
        err(&["--google-client-id", "g", "--google-client-secret", "s"]).contains("--base-url"),
        "a provider without a base URL"
    );
    assert!(
        err(&[&base[..], &["--facebook-client-id", "f"]].concat())
            .contains("--facebook-client-secret"),
        "an id without its secret"
    );
    assert!(
        err(&[
            &base[..],
            &[
                "--oidc-issuer",
                "http://10.0.0.5",
                "--oidc-client-id",
                "i",
                "--oidc-client-secret",
                "s"
            ]
        ]
        .concat())
        .contains("public https address"),
        "a private, plain-http issuer"
    );
    assert!(
        err(&[
            &base[..],
            &["--oidc-client-id", "i", "--oidc-client-secret", "s"]
        ]
        .concat())
        .contains("--oidc-issuer"),
        "a client without an issuer"
    );
    let ok = settings(
        &[
            &base[..],
            &[
                "--google-client-id",
                "g",
                "--google-client-secret",
                "s",
                "--oidc-issuer",
                "https://login.example.com",
                "--oidc-client-id",
                "i",
                "--oidc-client-secret",
                "s",
                "--oidc-name",
                "Example ID",
            ],
        ]
        .concat(),
    )
    .map_err(|e| format!("refused: {e}"));
    let providers = ok
        .map(|s| {
            s.paper
                .social
                .providers
                .iter()
                .map(|p| (p.kind.key(), p.label.clone()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    assert_eq!(
        providers,
        vec![
            ("google", "Google".to_string()),
            ("oidc", "Example ID".to_string())
        ]
    );
    // None given: no providers, no base URL needed.
    assert!(settings(&[]).is_ok_and(|s| s.paper.social.providers.is_empty()));
}

/// Presses "Sign in with Test ID" with a page to `return` to.
async fn press_start_returning(p: &Paper, back: &str) -> Result<(String, String), Error> {
    let body = format!(
        "return={}",
        url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
    );
    let r = p.post(START, &body, &[]).await?;
    assert_eq!(r.status, 303, "start: {}", r.body);
    let cookie = set_cookie(&r, "bs_social").ok_or("no flow cookie")?;
    Ok((cookie, r.header("location").to_string()))
}

/// Someone registered the owner's address with a password of their own
/// (the account stays unproven). When the owner signs in with a provider
/// that vouches for the address, the account becomes theirs: proven, the
/// squatter's password and sessions gone. The sign-in returns to the page
/// it started from, and never to another site.
#[tokio::test]
async fn a_vouched_address_ends_the_password_someone_else_chose() -> TestResult {
    let fx = provider("ok", &[("cy", "cy@example.org", true, "Cy Owner")])?;
    let p = Paper::demo_with(3, config(&fx.issuer)).await?;
    let squatter_pw = "the squatter's own passphrase";
    let pre = readers::register(&p.app, "cy@example.org", squatter_pw, "Squatter").await?;
    assert!(!pre.email_verified && pre.has_password);
    let mut squatter = crate::readers::Browser::new(&p, "198.51.100.70");
    let r = squatter.sign_in("cy@example.org", squatter_pw).await?;
    assert_eq!(r.status, 303, "the squatter is in before: {}", r.body);
    let squatter_session = set_cookie(&r, "bs_reader").ok_or("no squatter session")?;

    let story = p.story_where(|_| true).await?;
    let back = p.path_of(&story);
    let (cookie, to) = press_start_returning(&p, &back).await?;
    let path = Browser::new()?
        .sign_in_at_provider(&fx.issuer, &to, "cy")
        .await?;
    let r = callback(&p, &path, &cookie).await?;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), back, "back to the page asked for");
    let s = set_cookie(&r, "bs_reader").ok_or("no session")?;
    let owner = readers::session(&p.app, &s).await?.ok_or("no session")?;
    assert_eq!(owner.id, pre.id, "the identity joins the account");
    assert!(owner.email_verified, "the provider proved the address");
    assert!(!owner.has_password, "the unproven password is cleared");
    assert!(
        readers::session(&p.app, &squatter_session).await?.is_none(),
        "the squatter's session ended"
    );
    let again = crate::readers::Browser::new(&p, "198.51.100.71")
        .sign_in("cy@example.org", squatter_pw)
        .await?;
    assert_eq!(
        again.status, 401,
        "the squatter's password no longer signs in"
    );

    // An off-site return is not followed.
    for off in [
        "//evil.example/",
        "/\\evil.example/",
        "https://evil.example/",
    ] {
        let (cookie, to) = press_start_returning(&p, off).await?;
        let path = Browser::new()?
            .sign_in_at_provider(&fx.issuer, &to, "cy")
            .await?;
        let r = callback(&p, &path, &cookie).await?;
        assert_eq!(r.status, 303, "{off}: {}", r.body);
        assert_eq!(r.header("location"), "/account", "{off}");
    }
    Ok(())
}
