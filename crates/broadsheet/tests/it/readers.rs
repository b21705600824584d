//! Reader accounts end to end, through the real router on a real database:
//! registration and social-style linking, reader sessions (`bs_reader`),
//! entitlements, and the mail flows (sign-up, magic link, reset, change of
//! address) followed from the message a real SMTP sink (`aiosmtpd`, from
//! the test venv) received. Also: no account enumeration, single-use and
//! expiring links, sign-out everywhere, deletion, export, the sign-in
//! throttle, session fixation, CSRF, and caching.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use broadsheet_app::PaperConfig;
use broadsheet_app::readers::{self, ReaderError};
use broadsheet_domain::{Actor, EntitlementSource};

use crate::support::{Paper, Reply, TestResult};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const PASSWORD: &str = "a reader's long passphrase";

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
    // An unverified password account becomes verified when a provider
    // vouches for the address, but whoever chose its password never proved
    // the address (someone else may have registered it): the password and
    // that person's sessions go, and the owner sets a new password by link.
    let c = readers::register(&p.app, "cy@example.org", "a long enough password", "Cy").await?;
    let squatter = readers::start_session(&p.app, c.id).await?;
    let linked = readers::link_verified_email(&p.app, "cy@example.org", "Cy").await?;
    assert_eq!(linked.id, c.id);
    assert!(linked.email_verified, "the provider proved the address");
    assert!(!linked.has_password, "the unproven password is cleared");
    assert!(
        readers::session(&p.app, &squatter.token).await?.is_none(),
        "the unproven account's sessions end"
    );
    let tried = Browser::new(&p, "198.51.100.90")
        .sign_in("cy@example.org", "a long enough password")
        .await?;
    assert_eq!(tried.status, 401, "the old password no longer signs in");
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

// ----- a real SMTP sink -------------------------------------------------------------

/// `aiosmtpd` on a free loopback port, writing to a Maildir; killed on drop.
pub(crate) struct SmtpSink {
    child: Child,
    port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn venv() -> PathBuf {
    std::env::var_os("BROADSHEET_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv-test"))
}

impl SmtpSink {
    pub(crate) fn start() -> Res<SmtpSink> {
        SmtpSink::start_with("aiosmtpd.handlers.Mailbox")
    }

    /// A sink that refuses for good (550) the addresses written to
    /// [`SmtpSink::refuse`] (`tests-fixtures/smtp_reject.py`).
    pub(crate) fn start_refusing() -> Res<SmtpSink> {
        SmtpSink::start_with("smtp_reject.RejectingMailbox")
    }

    /// From now on, the sink refuses mail to `address` for good.
    pub(crate) fn refuse(&self, address: &str) -> Res<()> {
        let mut file = self.maildir.as_os_str().to_owned();
        file.push(".reject");
        std::fs::write(file, format!("{address}\n"))?;
        Ok(())
    }

    fn start_with(handler: &str) -> Res<SmtpSink> {
        let python = venv().join("bin/python");
        let has_it = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !has_it {
            return Err(format!(
                "the reader mail tests need aiosmtpd in {}: run `python3 -m venv .venv-test && .venv-test/bin/pip install aiosmtpd` at the repository root (or `bash scripts/test.sh tests-sqlite`, which does it), or point BROADSHEET_TEST_VENV at a venv that has it",
                venv().display()
            )
            .into());
        }
        let dir = tempfile::tempdir()?;
        // The Mailbox handler makes the Maildir itself (it must not exist yet).
        let maildir = dir.path().join("maildir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(&python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                handler,
            ])
            .arg(&maildir)
            .env(
                "PYTHONPATH",
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests-fixtures"),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let sink = SmtpSink {
            child,
            port,
            maildir,
            _dir: dir,
        };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if start.elapsed() > Duration::from_secs(15) {
                return Err("aiosmtpd did not start listening within 15 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(sink)
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, decoded enough to read (quoted-printable
    /// soft breaks and `=3D` undone).
    pub(crate) fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in entries.flatten() {
            if let Ok(raw) = std::fs::read_to_string(e.path()) {
                out.push(
                    raw.replace("=\r\n", "")
                        .replace("=\n", "")
                        .replace("=3D", "="),
                );
            }
        }
        out
    }

    /// The messages to `to` whose text contains `needle`, waiting up to 15 s
    /// for at least `n` of them.
    pub(crate) async fn wait_for(&self, to: &str, needle: &str, n: usize) -> Res<Vec<String>> {
        let start = Instant::now();
        loop {
            let found: Vec<String> = self
                .messages()
                .into_iter()
                .filter(|m| {
                    m.to_lowercase()
                        .contains(&format!("to: {}", to.to_lowercase()))
                        && m.contains(needle)
                })
                .collect();
            if found.len() >= n {
                return Ok(found);
            }
            if start.elapsed() > Duration::from_secs(15) {
                return Err(format!(
                    "no mail to {to} containing {needle:?} within 15 s; got {} messages",
                    self.messages().len()
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The path and query of the one link to `path` in the newest message to
    /// `to` that has one.
    async fn link(&self, to: &str, path: &str) -> Res<String> {
        let msgs = self.wait_for(to, path, 1).await?;
        let mut links: Vec<String> = msgs
            .iter()
            .filter_map(|m| {
                let i = m.find(&format!("{path}?t="))?;
                let rest = &m[i..];
                let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
                Some(rest[..end].to_string())
            })
            .collect();
        links.sort();
        links.dedup();
        match links.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(format!("expected one {path} link to {to}, found {links:?}").into()),
        }
    }
}

pub(crate) async fn paper_with_mail() -> Res<(Paper, SmtpSink)> {
    let sink = SmtpSink::start()?;
    let p = Paper::demo_with(
        3,
        PaperConfig {
            smtp_url: Some(sink.url()),
            trusted_proxy_hops: 1,
            ..PaperConfig::default()
        },
    )
    .await?;
    Ok((p, sink))
}

// ----- a browser ------------------------------------------------------------------------

/// Keeps cookies and speaks from one client address (`X-Forwarded-For`,
/// read because the test paper trusts one proxy hop).
pub(crate) struct Browser<'a> {
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

/// The value of the first `name="NAME" value="…"` in a page.
pub(crate) fn input(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    html.split(&needle)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("")
        .to_string()
}

/// The value a response's `Set-Cookie` gives `name`, if it sets it.
fn set_cookie(r: &Reply, name: &str) -> Option<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl<'a> Browser<'a> {
    pub(crate) fn new(p: &'a Paper, addr: &str) -> Browser<'a> {
        Browser {
            p,
            addr: addr.to_string(),
            cookies: Vec::new(),
        }
    }

    fn absorb(&mut self, r: &Reply) {
        for v in r.headers.get_all("set-cookie") {
            let Ok(v) = v.to_str() else { continue };
            let Some((k, val)) = v.split(';').next().and_then(|kv| kv.split_once('=')) else {
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

    fn set(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(k, _)| k != name);
        self.cookies.push((name.to_string(), value.to_string()));
    }

    fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) async fn get(&mut self, path: &str) -> Res<Reply> {
        let c = self.header();
        let r = self
            .p
            .request(path, &[("cookie", &c), ("x-forwarded-for", &self.addr)])
            .await?;
        self.absorb(&r);
        Ok(r)
    }

    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Res<Reply> {
        let c = self.header();
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let r = self
            .p
            .post(
                path,
                &body,
                &[("cookie", &c), ("x-forwarded-for", &self.addr)],
            )
            .await?;
        self.absorb(&r);
        Ok(r)
    }

    /// GETs `page`, then posts `fields` and its CSRF token to `action`.
    pub(crate) async fn submit(
        &mut self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Res<Reply> {
        let form = self.get(page).await?;
        let csrf = input(&form.body, "csrf");
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// Opens a mailed link (`path?t=…`) and presses its button.
    pub(crate) async fn follow(&mut self, link: &str, fields: &[(&str, &str)]) -> Res<Reply> {
        let page = self.get(link).await?;
        assert_eq!(page.status, 200, "{link}: {}", page.body);
        let csrf = input(&page.body, "csrf");
        let t = input(&page.body, "t");
        let action = link.split('?').next().unwrap_or("");
        let mut all = vec![("csrf", csrf.as_str()), ("t", t.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    async fn sign_up(&mut self, name: &str, email: &str) -> Res<Reply> {
        self.submit(
            "/account/sign-up",
            "/account/sign-up",
            &[
                ("display_name", name),
                ("email", email),
                ("password", PASSWORD),
            ],
        )
        .await
    }

    pub(crate) async fn sign_in(&mut self, email: &str, password: &str) -> Res<Reply> {
        self.submit(
            "/account",
            "/account/sign-in",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// The account page, signed in or not.
    async fn account(&mut self) -> Res<Reply> {
        self.get("/account").await
    }
}

/// Signs up `email` through the forms and follows the link from the mail.
pub(crate) async fn signed_up<'a>(
    p: &'a Paper,
    sink: &SmtpSink,
    email: &str,
    addr: &str,
) -> Res<Browser<'a>> {
    let mut b = Browser::new(p, addr);
    let r = b.sign_up("Ann Reader", email).await?;
    assert_eq!(r.status, 200, "{}", r.body);
    let link = sink.link(email, "/account/verify").await?;
    let done = b.follow(&link, &[]).await?;
    assert_eq!(done.status, 303, "{}", done.body);
    Ok(b)
}

// ----- the flows --------------------------------------------------------------------------

#[tokio::test]
async fn sign_up_mails_a_link_that_confirms_the_address_and_signs_in() -> TestResult {
    let (p, sink) = paper_with_mail().await?;
    let mut b = Browser::new(&p, "198.51.100.10");
    let r = b.sign_up("Ann Reader", "Ann@Example.com").await?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Check your inbox"));
    assert!(
        set_cookie(&r, "bs_reader").is_none(),
        "signing up does not sign in"
    );
    let link = sink.link("ann@example.com", "/account/verify").await?;
    let done = b.follow(&link, &[]).await?;
    assert_eq!(done.status, 303);
    assert_eq!(done.header("location"), "/account?done=verified");
    assert_eq!(done.header("cache-control"), "private, no-store");
    let page = b.get("/account?done=verified").await?;
    assert!(
        page.body
            .contains("Signed in as <strong>Ann Reader</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Your email address is confirmed"));
    let acct = p
        .app
        .store()
        .reader_by_email("ann@example.com")
        .await?
        .ok_or("no reader")?;
    assert!(acct.email_verified_at.is_some());
    // The confirmation of one's own sign-up keeps the password chosen there.
    assert!(acct.password_hash.is_some(), "the sign-up's password stays");
    // The link worked once.
    let again = Browser::new(&p, "198.51.100.11")
        .follow_refused(&link)
        .await?;
    assert!(again.contains("used already or has expired"), "{again}");
    Ok(())
}

impl Browser<'_> {
    /// Opens a link that must be refused; returns the page.
    async fn follow_refused(&mut self, link: &str) -> Res<String> {
        let page = self.get(link).await?;
        assert_eq!(page.status, 410, "{link} must be refused: {}", page.body);
        assert!(!page.body.contains("name=\"t\""), "no form to use it");
        // Pressing the button anyway (a form kept open) is refused too; the
        // signed form token is the cookie's value (double submit).
        let csrf = self.cookie("bs_reader_form");
        let t = link.split("?t=").nth(1).unwrap_or("");
        let action = link.split('?').next().unwrap_or("");
        let r = self
            .post(
                action,
                &[
                    ("csrf", &csrf),
                    ("t", t),
                    ("password", "a brand new passphrase"),
                ],
            )
            .await?;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(
            set_cookie(&r, "bs_reader").is_none(),
            "a refused link signs nobody in"
        );
        Ok(page.body)
    }
}

#[tokio::test]
async fn sign_up_and_reset_answers_do_not_tell_whether_an_address_has_an_account() -> TestResult {
    let (p, sink) = paper_with_mail().await?;
    let _ann = signed_up(&p, &sink, "ann@example.com", "198.51.100.20").await?;
    // Sign-up: the same answer for a taken and a free address.
    let mut b = Browser::new(&p, "198.51.100.21");
    let taken = b.sign_up("Someone", "ann@example.com").await?;
    let free = b.sign_up("Someone", "bo@example.com").await?;
    assert_eq!(taken.status, free.status);
    assert_eq!(
        taken.body.replace("ann@example.com", "X"),
        free.body.replace("bo@example.com", "X")
    );
    // The owner of the taken address is told how to get in.
    sink.wait_for("ann@example.com", "You already have an account", 1)
        .await?;
    // Reset: the same answer for an account and for no account.
    let known = b
        .submit(
            "/account/reset",
            "/account/reset",
            &[("email", "ann@example.com")],
        )
        .await?;
    let unknown = b
        .submit(
            "/account/reset",
            "/account/reset",
            &[("email", "nobody@example.com")],
        )
        .await?;
    assert_eq!(known.status, unknown.status);
    assert_eq!(
        known.body.replace("ann@example.com", "X"),
        unknown.body.replace("nobody@example.com", "X")
    );
    sink.wait_for("ann@example.com", "/account/reset/choose?t=", 1)
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_magic_link_signs_in_once_and_makes_an_account_for_a_new_address() -> TestResult {
    let (p, sink) = paper_with_mail().await?;
    let mut b = Browser::new(&p, "198.51.100.30");
    let r = b
        .submit(
            "/account",
            "/account/magic-link",
            &[("email", "cy@example.com")],
        )
        .await?;
    assert_eq!(r.status, 200, "{}", r.body);
    let link = sink.link("cy@example.com", "/account/magic").await?;
    let done = b.follow(&link, &[]).await?;
    assert_eq!(done.header("location"), "/account?done=signed-in");
    let page = b.account().await?;
    assert!(page.body.contains("cy@example.com"), "{}", page.body);
    let acct = p
        .app
        .store()
        .reader_by_email("cy@example.com")
        .await?
        .ok_or("no account made")?;
    assert!(acct.email_verified_at.is_some() && acct.password_hash.is_none());
    Browser::new(&p, "198.51.100.31")
        .follow_refused(&link)
        .await?;
    Ok(())
}

#[tokio::test]
async fn an_expired_link_is_refused() -> TestResult {
    let (p, sink) = paper_with_mail().await?;
    let mut b = Browser::new(&p, "198.51.100.35");
    b.submit(
        "/account",
        "/account/magic-link",
        &[("email", "dee@example.com")],
    )
    .await?;
    let link = sink.link("dee@example.com", "/account/magic").await?;
    // Age the link past its expiry, as the clock would.
    let url = p.url.to_string();
    let backend_sql = "UPDATE reader_tokens SET expires_at = created_at - 1";
    if crate::support::backend() == "postgres" {
        let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await?;
        sqlx::query(backend_sql).execute(&mut c).await?;
    } else {
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await?;
        sqlx::query(backend_sql).execute(&mut c).await?;
    }
    b.follow_refused(&link).await?;
    assert!(
        p.app
            .store()
            .reader_by_email("dee@example.com")
            .await?
            .is_none(),
        "nothing was made"
    );
    Ok(())
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() -> TestResult {
    let (p, sink) = paper_with_mail().await?;
    let mut old = signed_up(&p, &sink, "eve@example.com", "198.51.100.40").await?;
    let mut b = Browser::new(&p, "198.51.100.41");
    b.submit(
        "/account/reset",
        "/account/reset",
        &[("email", "eve@example.com")],
    )
    .await?;
    let link = sink
        .link("eve@example.com", "/account/reset/choose")
        .await?;
    // A refused password does not use the link up.
    let short = b.follow(&link, &[("password", "short")]).await?;
    assert_eq!(short.status, 400);
    assert!(short.body.contains("too short"), "{}", short.body);
    assert!(
        short.body.contains("aria-invalid=\"true\""),
        "the field is marked"
    );
    let done = b
        .follow(&link, &[("password", "a brand new passphrase")])
        .await?;
    assert_eq!(
        done.header("location"),
        "/account?done=password",
        "{}",
        done.body
    );
    assert!(b.account().await?.body.contains("Signed in as"));
    // The session from before the reset is dead.
    assert!(!old.account().await?.body.contains("Signed in as"));
    // The new password works; the old one does not.
    let mut c = Browser::new(&p, "198.51.100.42");
    assert_eq!(c.sign_in("eve@example.com", PASSWORD).await?.status, 401);
    assert_eq!(
        c.sign_in("eve@example.com", "a brand new passphrase")
            .await?
            .status,
        303
    );
    Browser::new(&p, "198.51.100.43")
        .follow_refused(&link)
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_new_address_counts_only_once_proven() -> TestResult {
    let (p, sink) = paper_with_mail().await?;
    let mut b = signed_up(&p, &sink, "fay@example.com", "198.51.100.50").await?;
    let r = b
        .submit(
            "/account",
            "/account/email",
            &[("email", "Fay@Elsewhere.org")],
        )
        .await?;
    assert_eq!(r.status, 303, "{}", r.body);
    // Not moved yet: the new address must be proven first.
    assert!(b.account().await?.body.contains("fay@example.com"));
    sink.wait_for("fay@example.com", "change of email address", 1)
        .await?;
    let link = sink.link("fay@elsewhere.org", "/account/verify").await?;
    b.follow(&link, &[]).await?;
    let page = b.account().await?;
    assert!(
        page.body.contains("fay@elsewhere.org") && !page.body.contains("fay@example.com"),
        "{}",
        page.body
    );
    let row = p
        .app
        .store()
        .reader_by_email("fay@elsewhere.org")
        .await?
        .ok_or("not moved")?;
    assert!(row.email_verified_at.is_some());
    Ok(())
}

#[tokio::test]
async fn sign_out_everywhere_ends_the_other_sessions() -> TestResult {
    let (p, sink) = paper_with_mail().await?;
    let mut one = signed_up(&p, &sink, "gil@example.com", "198.51.100.60").await?;
    let mut two = Browser::new(&p, "198.51.100.61");
    assert_eq!(two.sign_in("gil@example.com", PASSWORD).await?.status, 303);
    assert!(two.account().await?.body.contains("Signed in as"));
    let r = one
        .submit("/account", "/account/sign-out", &[("everywhere", "1")])
        .await?;
    assert_eq!(r.header("location"), "/account?done=everywhere");
    assert_eq!(
        set_cookie(&r, "bs_reader").as_deref(),
        Some(""),
        "this browser's cookie is cleared"
    );
    assert!(
        !two.account().await?.body.contains("Signed in as"),
        "the other browser is signed out"
    );
    // Plain sign-out ends only this browser's session.
    let mut three = Browser::new(&p, "198.51.100.62");
    three.sign_in("gil@example.com", PASSWORD).await?;
    two.sign_in("gil@example.com", PASSWORD).await?;
    three.submit("/account", "/account/sign-out", &[]).await?;
    assert!(two.account().await?.body.contains("Signed in as"));
    Ok(())
}

#[tokio::test]
async fn deleting_an_account_removes_the_reader_and_their_sessions() -> TestResult {
    let (p, sink) = paper_with_mail().await?;
    let mut b = signed_up(&p, &sink, "hal@example.com", "198.51.100.70").await?;
    let token = b.cookie("bs_reader");
    let id = p
        .app
        .store()
        .reader_by_email("hal@example.com")
        .await?
        .ok_or("no reader")?
        .id;
    let wrong = b
        .submit(
            "/account",
            "/account/delete",
            &[("confirm_email", "someone@example.com")],
        )
        .await?;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.body.contains("href=\"#delete-email\""),
        "the summary links to the field"
    );
    let r = b
        .submit(
            "/account",
            "/account/delete",
            &[("confirm_email", "hal@example.com")],
        )
        .await?;
    assert_eq!(r.header("location"), "/account?done=deleted");
    assert!(p.app.store().reader_by_id(id).await?.is_none());
    assert!(
        p.app.store().reader_sessions(id).await?.is_empty(),
        "sessions are gone"
    );
    assert!(readers::session(&p.app, &token).await?.is_none());
    assert!(
        p.app
            .store()
            .reader_tokens(id, "hal@example.com")
            .await?
            .is_empty(),
        "links are gone"
    );
    Ok(())
}

#[tokio::test]
async fn the_export_is_json_with_everything_held() -> TestResult {
    let (p, sink) = paper_with_mail().await?;
    let mut b = signed_up(&p, &sink, "ida@example.com", "198.51.100.80").await?;
    b.submit(
        "/account",
        "/account/profile",
        &[("display_name", "Ida R.")],
    )
    .await?;
    // A newsletter asked for (not yet confirmed): the record of consent.
    let briefing = p
        .app
        .store()
        .newsletters()
        .await?
        .into_iter()
        .find(|n| n.slug == "morning-briefing")
        .ok_or("no briefing")?;
    let field = format!("nl-{}", briefing.id);
    b.submit(
        "/account/newsletters",
        "/account/newsletters",
        &[(field.as_str(), "1"), ("do", "save")],
    )
    .await?;
    let id = p
        .app
        .store()
        .reader_by_email("ida@example.com")
        .await?
        .ok_or("no reader")?
        .id;
    let mut tx = p.app.store().begin().await?;
    tx.grant_entitlement(id, EntitlementSource::Grant, "press pass", 1, None)
        .await?;
    tx.commit().await?;
    let r = b.get("/account/export").await?;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").starts_with("application/json"));
    assert_eq!(r.header("cache-control"), "private, no-store");
    let v: serde_json::Value = serde_json::from_str(&r.body)?;
    assert_eq!(v["account"]["email"], "ida@example.com");
    assert_eq!(v["account"]["display_name"], "Ida R.");
    assert_eq!(v["newsletters"][0]["newsletter"], "morning-briefing");
    assert_eq!(v["newsletters"][0]["status"], "pending");
    assert!(
        v["newsletters"][0]["consent_text"]
            .as_str()
            .is_some_and(|t| t.contains("The Morning Briefing"))
    );
    assert!(v["sessions"].as_array().is_some_and(|s| !s.is_empty()));
    assert!(v["links"].as_array().is_some_and(|l| {
        l.iter()
            .any(|k| k["purpose"] == "verify" && !k["used_at"].is_null())
    }));
    assert_eq!(v["entitlements"][0]["reference"], "press pass");
    assert!(
        v["activity"]
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["action"] == "reader.profile"))
    );
    assert!(!r.body.contains("argon2"), "no password hash");
    assert!(!r.body.contains(&b.cookie("bs_reader")), "no session token");
    // Signed out: no export.
    let anon = Browser::new(&p, "198.51.100.81")
        .get("/account/export")
        .await?;
    assert_eq!(anon.status, 303);
    Ok(())
}

#[tokio::test]
async fn reader_sign_in_is_throttled_like_staff_sign_in() -> TestResult {
    let (p, sink) = paper_with_mail().await?;
    signed_up(&p, &sink, "jo@example.com", "198.51.100.90").await?;
    let mut b = Browser::new(&p, "203.0.113.9");
    for i in 0..broadsheet_app::signin::PER_ACCOUNT_CLIENT {
        let r = b.sign_in("jo@example.com", "a wrong guess at it").await?;
        assert_eq!(r.status, 401, "guess {i}");
        assert!(r.body.contains("do not match"));
    }
    let r = b.sign_in("jo@example.com", PASSWORD).await?;
    assert_eq!(
        r.status, 429,
        "the right password after too many guesses still waits: {}",
        r.body
    );
    assert!(r.body.contains("Too many attempts"));
    assert!(set_cookie(&r, "bs_reader").is_none());
    // Another client is not held up by it.
    assert_eq!(
        Browser::new(&p, "203.0.113.10")
            .sign_in("jo@example.com", PASSWORD)
            .await?
            .status,
        303
    );
    Ok(())
}

#[tokio::test]
async fn a_session_cookie_from_before_sign_in_is_never_the_one_after() -> TestResult {
    let (p, sink) = paper_with_mail().await?;
    signed_up(&p, &sink, "kit@example.com", "198.51.100.100").await?;
    // An attacker plants their own live session in the victim's browser.
    let attacker = readers::link_verified_email(&p.app, "mallory@example.com", "Mallory").await?;
    let planted = readers::start_session(&p.app, attacker.id).await?.token;
    let mut victim = Browser::new(&p, "198.51.100.101");
    victim.set("bs_reader", &planted);
    // (Signed in as Mallory, /account shows her profile: the sign-up page's
    // signed-out form token stands in for the one on the sign-in form.)
    let r = victim
        .submit(
            "/account/sign-up",
            "/account/sign-in",
            &[("email", "kit@example.com"), ("password", PASSWORD)],
        )
        .await?;
    assert_eq!(r.status, 303);
    let after = set_cookie(&r, "bs_reader").ok_or("no new session cookie")?;
    assert_ne!(after, planted);
    assert_eq!(
        readers::session(&p.app, &after).await?.map(|a| a.email),
        Some("kit@example.com".into())
    );
    assert!(
        readers::session(&p.app, &planted).await?.is_none(),
        "the planted session was ended"
    );
    // A made-up token is simply ignored, and replaced.
    let mut other = Browser::new(&p, "198.51.100.102");
    let made_up = "ab".repeat(32);
    other.set("bs_reader", &made_up);
    let r = other.sign_in("kit@example.com", PASSWORD).await?;
    assert_ne!(set_cookie(&r, "bs_reader").unwrap_or_default(), made_up);
    Ok(())
}

#[tokio::test]
async fn every_reader_form_needs_its_csrf_token() -> TestResult {
    let (p, sink) = paper_with_mail().await?;
    let mut b = signed_up(&p, &sink, "lee@example.com", "198.51.100.110").await?;
    for (path, fields) in [
        ("/account/profile", vec![("display_name", "Hijacked")]),
        ("/account/email", vec![("email", "evil@example.com")]),
        ("/account/sign-out", vec![("everywhere", "1")]),
        (
            "/account/delete",
            vec![("confirm_email", "lee@example.com")],
        ),
    ] {
        let mut with_wrong = fields.clone();
        with_wrong.push(("csrf", "0000"));
        for body in [fields, with_wrong] {
            let r = b.post(path, &body).await?;
            assert_eq!(r.status, 403, "{path} without its token");
        }
    }
    assert!(
        b.account()
            .await?
            .body
            .contains("Signed in as <strong>Ann Reader</strong>"),
        "nothing changed"
    );
    // Signed-out forms need the signed double-submit token.
    let mut anon = Browser::new(&p, "198.51.100.111");
    for path in [
        "/account/sign-in",
        "/account/magic-link",
        "/account/sign-up",
        "/account/reset",
    ] {
        let r = anon
            .post(
                path,
                &[
                    ("email", "lee@example.com"),
                    ("password", PASSWORD),
                    ("display_name", "X"),
                ],
            )
            .await?;
        assert_eq!(r.status, 403, "{path} without its token");
        assert!(set_cookie(&r, "bs_reader").is_none());
    }
    Ok(())
}

#[tokio::test]
async fn reader_pages_are_private_and_shared_pages_stay_the_same_for_everyone() -> TestResult {
    let (p, sink) = paper_with_mail().await?;
    let mut b = signed_up(&p, &sink, "max@example.com", "198.51.100.120").await?;
    for path in [
        "/account",
        "/account/sign-up",
        "/account/reset",
        "/account/verify?t=00",
        "/account/export",
    ] {
        let r = b.get(path).await?;
        assert_eq!(r.header("cache-control"), "private, no-store", "{path}");
    }
    let anon = Browser::new(&p, "198.51.100.121")
        .get("/account/nowhere")
        .await?;
    assert_eq!(anon.status, 404);
    assert_eq!(
        anon.header("cache-control"),
        "private, no-store",
        "errors under /account too"
    );
    // The home page: the same bytes signed in or not, a masthead entry that
    // names nobody, and no cookie set on a shared-cacheable answer.
    let signed = b.get("/").await?;
    let anon = p.get("/").await?;
    assert_eq!(signed.status, 200);
    assert_eq!(signed.body, anon.body);
    assert!(
        anon.body.contains("<a href=\"/account\">Sign in</a>")
            && anon.body.contains("href=\"/subscribe\"")
    );
    assert!(!signed.body.contains("Ann Reader"));
    for r in [&signed, &anon] {
        assert!(
            r.headers.get("set-cookie").is_none(),
            "no Set-Cookie on a cacheable page"
        );
        assert!(
            r.header("cache-control").contains("public"),
            "{}",
            r.header("cache-control")
        );
    }
    Ok(())
}

// ----- returning to the page asked for ---------------------------------------------

/// `next` values and where a sign-in with each must land: a path on this
/// site comes back as it is; anything that could leave the site (another
/// host, a scheme, a backslash, encoded slashes or backslashes, control
/// characters) falls back to the account page.
const RETURNS: &[(&str, Option<&str>)] = &[
    ("/news/world/a-story-12", Some("/news/world/a-story-12")),
    ("/subscribe/1?from=prompt", Some("/subscribe/1?from=prompt")),
    ("/", Some("/")),
    ("//evil.example/", None),
    ("/\\evil.example/", None),
    ("\\\\evil.example/", None),
    ("https://evil.example/", None),
    ("http:/evil.example", None),
    ("javascript:alert(1)", None),
    ("evil.example", None),
    ("/%2F%2Fevil.example", None),
    ("/%2f/evil.example", None),
    ("/%5Cevil.example", None),
    ("/%252F%252Fevil.example", None),
    ("/\t/evil.example", None),
    ("/\n/evil.example", None),
    ("/%09/evil.example", None),
    ("", None),
];

#[tokio::test]
async fn password_sign_in_returns_only_to_a_path_on_this_site() -> TestResult {
    let p = Paper::demo_with(
        3,
        PaperConfig {
            trusted_proxy_hops: 1,
            ..PaperConfig::default()
        },
    )
    .await?;
    readers::register(&p.app, "back@example.org", PASSWORD, "Back").await?;
    for (i, (next, want)) in RETURNS.iter().enumerate() {
        let mut b = Browser::new(&p, &format!("198.51.100.{}", 100 + i));
        // The sign-in page carries only an admitted path on to its forms.
        let page = b.get(&format!("/account?next={}", enc(next))).await?;
        assert_eq!(page.status, 200, "{next:?}");
        assert_eq!(input(&page.body, "next"), want.unwrap_or(""), "{next:?}");
        // A forged form is checked again.
        let csrf = input(&page.body, "csrf");
        let r = b
            .post(
                "/account/sign-in",
                &[
                    ("csrf", &csrf),
                    ("email", "back@example.org"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await?;
        assert_eq!(r.status, 303, "{next:?}: {}", r.body);
        assert_eq!(
            r.header("location"),
            want.unwrap_or("/account?done=signed-in"),
            "{next:?}"
        );
        // Signed in already: /account?next= goes straight back (or stays).
        let again = b.get(&format!("/account?next={}", enc(next))).await?;
        match want {
            Some(w) => {
                assert_eq!(again.status, 303, "{next:?}");
                assert_eq!(again.header("location"), *w, "{next:?}");
            }
            None => assert_eq!(again.status, 200, "{next:?}"),
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_magic_link_returns_to_the_page_asked_for() -> TestResult {
    let (p, sink) = paper_with_mail().await?;
    let story = p.story_where(|_| true).await?;
    let path = p.path_of(&story);
    for (email, next, want) in [
        ("dee@example.com", path.as_str(), path.as_str()),
        (
            "eve@example.com",
            "//evil.example/",
            "/account?done=signed-in",
        ),
    ] {
        let mut b = Browser::new(&p, "198.51.100.40");
        let page = b.get(&format!("/account?next={}", enc(next))).await?;
        let csrf = input(&page.body, "csrf");
        let r = b
            .post(
                "/account/magic-link",
                &[("csrf", &csrf), ("email", email), ("next", next)],
            )
            .await?;
        assert_eq!(r.status, 200, "{}", r.body);
        let link = sink.link(email, "/account/magic").await?;
        let opened = b.get(&link).await?;
        assert_eq!(opened.status, 200, "{link}: {}", opened.body);
        let carried = input(&opened.body, "next");
        let done = b.follow(&link, &[("next", &carried)]).await?;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(done.header("location"), want, "{link}");
    }
    Ok(())
}

// ----- an address proven by someone other than its sign-up ------------------------

/// Anyone can register an address they do not own (the account stays
/// unproven). When the owner later signs in by a link mailed to that
/// address, the squatter's password and sessions end: the owner's account
/// must not keep a way in that someone else chose. The confirmation link
/// mailed at sign-up itself keeps the password
/// (`sign_up_mails_a_link_that_confirms_the_address_and_signs_in`).
#[tokio::test]
async fn a_mailed_sign_in_link_ends_the_password_of_an_unproven_account() -> TestResult {
    let (p, sink) = paper_with_mail().await?;
    let victim = "owner@example.com";
    let squatter_pw = "the squatter's own passphrase";
    let pre = readers::register(&p.app, victim, squatter_pw, "Not The Owner").await?;
    assert!(!pre.email_verified && pre.has_password);
    let mut squatter = Browser::new(&p, "198.51.100.60");
    let r = squatter.sign_in(victim, squatter_pw).await?;
    assert_eq!(r.status, 303, "the squatter is in before: {}", r.body);
    let squatter_session = squatter.cookie("bs_reader");
    assert!(!squatter_session.is_empty());

    // The owner asks for a sign-in link and follows it.
    let mut owner = Browser::new(&p, "198.51.100.61");
    let r = owner
        .submit("/account", "/account/magic-link", &[("email", victim)])
        .await?;
    assert_eq!(r.status, 200, "{}", r.body);
    let link = sink.link(victim, "/account/magic").await?;
    let done = owner.follow(&link, &[]).await?;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.header("location"), "/account?done=signed-in");
    let now = readers::session(&p.app, &owner.cookie("bs_reader"))
        .await?
        .ok_or("the owner is not signed in")?;
    assert_eq!(now.id, pre.id, "the same account, now proven");
    assert!(now.email_verified, "the link proved the address");
    assert!(!now.has_password, "the unproven password is cleared");
    assert!(
        readers::session(&p.app, &squatter_session).await?.is_none(),
        "the squatter's session ended"
    );
    let again = Browser::new(&p, "198.51.100.62")
        .sign_in(victim, squatter_pw)
        .await?;
    assert_eq!(
        again.status, 401,
        "the squatter's password no longer signs in"
    );
    // The owner still is.
    let page = owner.account().await?;
    assert!(page.body.contains(victim), "{}", page.body);
    Ok(())
}
