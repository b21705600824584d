//! Staff sign-in, newsroom sessions, and the checks that guard an account:
//! the sign-in throttle, trusted-device cookies, the signed sign-in CSRF
//! token, two-factor codes that cannot be replayed, and the throttled
//! current-password check behind password and two-factor changes.
//!
//! **Throttling** (OWASP "Slow down online guessing attacks with device
//! cookies"). Every attempt takes a cell from [`throttle`] buckets *before*
//! the password is checked, so parallel guesses cannot slip past a limit:
//!
//! - a browser that has signed in to this account before presents a
//!   *device cookie* (`user.nonce.expiry.HMAC`, signed with the
//!   installation's key): its attempts are counted only against that cookie
//!   ([`PER_DEVICE`] per 15 minutes), so no stranger can lock the owner out;
//!   each success hands out a new cookie;
//! - every other attempt is counted per client address ([`PER_CLIENT`]), per
//!   account and client ([`PER_ACCOUNT_CLIENT`]) and per account from all
//!   untrusted clients together ([`PER_ACCOUNT_UNTRUSTED`], the "lock-out
//!   for untrusted clients" that bounds a spread-out attack).
//!
//! Buckets refill evenly over 15 minutes; a success does not give its cell
//! back. The client address is the one `ClientIp` reads through the trusted
//! proxy hops. Field lengths are capped before anything is keyed or hashed.
//!
//! **Hashing** runs on the blocking pool, at most one argon2 at a time per
//! core (a semaphore; waiting longer than 10 s answers "busy"); a hashing
//! task that panics or is cancelled is an internal error, never a "wrong
//! password".

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use broadsheet_domain::permissions::{self, Action, Role};
use broadsheet_store::StaffAccount;
use hmac::{KeyInit, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::sync::{OnceCell, Semaphore};

use crate::throttle::{self, Bucket, ClientKey, Wait};
use crate::{App, Result, accounts, now};

/// A signed-in staff member.
#[derive(Debug, Clone)]
pub struct Staff {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The session's CSRF token: every form must send it back.
    pub csrf: String,
}

/// How long a newsroom session lasts.
pub const SESSION_SECS: i64 = 12 * 3600;
/// How long the sign-in form's CSRF token stays good.
pub const SIGNIN_CSRF_SECS: i64 = 3600;
/// How long a trusted-device cookie stays good.
pub const DEVICE_SECS: i64 = 180 * 24 * 3600;

/// Longest username, password and code looked at (bytes).
pub const MAX_USERNAME: usize = 64;
pub const MAX_PASSWORD: usize = 1024;
pub const MAX_CODE: usize = 16;

/// The window every bucket refills over.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Attempts per client address (untrusted devices).
pub const PER_CLIENT: u32 = 30;
/// Attempts per account from one client address (untrusted devices).
pub const PER_ACCOUNT_CLIENT: u32 = 5;
/// Attempts per account from all untrusted devices together.
pub const PER_ACCOUNT_UNTRUSTED: u32 = 30;
/// Attempts per trusted-device cookie.
pub const PER_DEVICE: u32 = 5;
/// Current-password checks per account and client (password and two-factor changes).
pub const PER_REAUTH: u32 = 5;

const HASH_WAIT: Duration = Duration::from_secs(10);
/// Checked when there is no real hash, so a missing account takes as long.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5Ckm0NwHpsUCvfpu4JMQ2+0+0O2yQ8wYQh2sEqkn9aY";
const SIGNING_KEY: &str = "signin-hmac";

const FAILED_SIGN_IN: &str = "That username, password and code do not match. Check them and try again (the code from your authenticator app is needed only if two-factor sign-in is on for your account).";
const BUSY: &str =
    "The newsroom is busy checking other sign-ins. Wait a few seconds and try again.";

pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Why a sign-in (or a check of the current password) failed, in words fit
/// for the person at the keyboard.
#[derive(Debug)]
pub enum SignInError {
    /// Wrong username, password or code (which one is never said).
    Mismatch(String),
    /// Too many attempts: wait.
    Limited(String),
    /// A field is malformed or too long: the message says which.
    Invalid(String),
    /// Too many password checks under way: try again shortly.
    Busy(String),
    /// Failed on our side; the detail is for the log only.
    Internal(String),
}

impl From<crate::AppError> for SignInError {
    fn from(e: crate::AppError) -> Self {
        match e {
            crate::AppError::Invalid(m) => SignInError::Invalid(m),
            other => SignInError::Internal(other.to_string()),
        }
    }
}

impl From<broadsheet_store::StoreError> for SignInError {
    fn from(e: broadsheet_store::StoreError) -> Self {
        SignInError::Internal(e.to_string())
    }
}

fn limited(w: Wait) -> SignInError {
    SignInError::Limited(format!(
        "Too many attempts. Wait {} and try again, or ask an admin to reset your password.",
        w.words()
    ))
}

/// Refuses fields too long to be a real username, password or code, before
/// they are used as keys or hashed.
pub fn check_lengths(
    username: &str,
    password: &str,
    code: &str,
) -> std::result::Result<(), SignInError> {
    if username.len() > MAX_USERNAME {
        return Err(SignInError::Invalid(format!(
            "The username is longer than {MAX_USERNAME} characters: check it and try again."
        )));
    }
    if password.len() > MAX_PASSWORD {
        return Err(SignInError::Invalid(format!(
            "The password is longer than {MAX_PASSWORD} characters: check it and try again."
        )));
    }
    if code.len() > MAX_CODE {
        return Err(SignInError::Invalid(
            "The code is too long: enter the 6 digits your authenticator app shows.".into(),
        ));
    }
    Ok(())
}

/// The process-wide state behind sign-in: the throttle buckets, the bound on
/// concurrent argon2 checks and the installation's signing key. One per
/// server; share it through an `Arc`.
pub struct SignInGuard {
    client: Bucket<ClientKey>,
    account_client: Bucket<(String, ClientKey)>,
    account: Bucket<String>,
    device: Bucket<String>,
    reauth: Bucket<(i64, ClientKey)>,
    hashing: Arc<Semaphore>,
    key: OnceCell<Vec<u8>>,
    verifications: AtomicU64,
}

impl Default for SignInGuard {
    fn default() -> Self {
        SignInGuard::with_cap(throttle::DEFAULT_CAP)
    }
}

impl SignInGuard {
    /// A guard whose buckets hold at most `cap` keys each.
    pub fn with_cap(cap: usize) -> SignInGuard {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        SignInGuard {
            client: Bucket::new(PER_CLIENT, WINDOW, cap),
            account_client: Bucket::new(PER_ACCOUNT_CLIENT, WINDOW, cap),
            account: Bucket::new(PER_ACCOUNT_UNTRUSTED, WINDOW, cap),
            device: Bucket::new(PER_DEVICE, WINDOW, cap),
            reauth: Bucket::new(PER_REAUTH, WINDOW, cap),
            hashing: Arc::new(Semaphore::new(cores)),
            key: OnceCell::new(),
            verifications: AtomicU64::new(0),
        }
    }

    /// Sweeps the buckets every minute while the guard lives (call inside a
    /// Tokio runtime; without one, buckets sweep themselves when full).
    pub fn start_sweeper(self: &Arc<Self>) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let weak: Weak<SignInGuard> = Arc::downgrade(self);
        rt.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(g) = weak.upgrade() else { break };
                g.sweep();
                metrics::gauge!("broadsheet_signin_throttle_keys").set(g.tracked_keys() as f64);
            }
        });
    }

    /// Forgets every key whose bucket is full again.
    pub fn sweep(&self) {
        self.client.sweep();
        self.account_client.sweep();
        self.account.sweep();
        self.device.sweep();
        self.reauth.sweep();
    }

    /// Keys held by all buckets together (memory bound; metrics, tests).
    pub fn tracked_keys(&self) -> usize {
        self.client.len()
            + self.account_client.len()
            + self.account.len()
            + self.device.len()
            + self.reauth.len()
    }

    /// How many argon2 password checks this guard has let run.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    async fn key(&self, app: &App) -> std::result::Result<&[u8], SignInError> {
        self.key
            .get_or_try_init(|| async {
                let v = app
                    .store()
                    .installation_secret(SIGNING_KEY, &random_token(), now())
                    .await?;
                Ok::<Vec<u8>, SignInError>(hex::decode(&v).unwrap_or_else(|_| v.into_bytes()))
            })
            .await
            .map(Vec::as_slice)
    }

    /// Checks `password` against `hash` on the blocking pool, within the
    /// bound on concurrent hashes.
    async fn verify(&self, password: &str, hash: String) -> std::result::Result<bool, SignInError> {
        let permit = self.permit().await?;
        self.verifications.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("broadsheet_signin_password_checks_total").increment(1);
        let pw = password.to_string();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            accounts::verify_password(&pw, &hash)
        })
        .await
        .map_err(|e| SignInError::Internal(format!("password check did not finish: {e}")))
    }

    async fn hash(&self, password: &str) -> std::result::Result<String, SignInError> {
        let permit = self.permit().await?;
        let pw = password.to_string();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            accounts::hash_password(&pw)
        })
        .await
        .map_err(|e| SignInError::Internal(format!("password hashing did not finish: {e}")))?
        .map_err(|e| SignInError::Internal(e.to_string()))
    }

    async fn permit(&self) -> std::result::Result<tokio::sync::OwnedSemaphorePermit, SignInError> {
        match tokio::time::timeout(HASH_WAIT, self.hashing.clone().acquire_owned()).await {
            Err(_) => Err(SignInError::Busy(BUSY.into())),
            Ok(Err(_)) => Err(SignInError::Internal(
                "the hashing semaphore is closed".into(),
            )),
            Ok(Ok(p)) => Ok(p),
        }
    }

    /// Reserves one sign-in attempt on `account` from `client` by the rule
    /// for browsers without a device cookie: per client, per account and
    /// client, and per account from all such browsers. The one rule for
    /// staff and reader sign-in (readers' accounts are keyed `reader:EMAIL`
    /// so they never share a bucket with a staff username).
    pub fn take_attempt(
        &self,
        account: &str,
        client: IpAddr,
    ) -> std::result::Result<(), SignInError> {
        let client = ClientKey::from(client);
        self.client.take(&client).map_err(limited)?;
        self.account_client
            .take(&(account.to_string(), client))
            .map_err(limited)?;
        self.account.take(&account.to_string()).map_err(limited)?;
        Ok(())
    }

    /// Whether `password` matches `hash`, checked within the bound on
    /// concurrent argon2 runs. With no hash (no such account, or one without
    /// a password) a dummy hash is checked and the answer is false, so the
    /// time taken does not tell whether the account exists.
    pub async fn password_matches(
        &self,
        password: &str,
        hash: Option<String>,
    ) -> std::result::Result<bool, SignInError> {
        let real = hash.as_deref().is_some_and(|h| !h.is_empty());
        let hash = hash
            .filter(|_| real)
            .unwrap_or_else(|| DUMMY_HASH.to_string());
        let ok = self.verify(password, hash).await?;
        Ok(ok && real)
    }

    /// Hashes a new password (argon2id) within the bound on concurrent runs.
    pub async fn hash_new_password(
        &self,
        password: &str,
    ) -> std::result::Result<String, SignInError> {
        self.hash(password).await
    }

    /// A new token for the sign-in form and its cookie (`nonce.expiry.mac`).
    pub async fn signin_csrf_token(&self, app: &App) -> std::result::Result<String, SignInError> {
        Ok(csrf_token_at(self.key(app).await?, now()))
    }

    /// Whether the form's token matches the cookie and is one this
    /// installation signed and that has not expired.
    pub async fn signin_csrf_ok(
        &self,
        app: &App,
        cookie: &str,
        form: &str,
    ) -> std::result::Result<bool, SignInError> {
        if cookie.is_empty() || cookie.len() > 200 {
            return Ok(false);
        }
        Ok(csrf_ok_at(self.key(app).await?, cookie, form, now()))
    }

    fn device_cookie(&self, key: &[u8], user: &str) -> String {
        let mut b = [0u8; 16];
        rand::rng().fill_bytes(&mut b);
        let nonce = hex::encode(b);
        let exp = (now() + DEVICE_SECS).to_string();
        let u = hex::encode(user.as_bytes());
        let mac = sign(key, "device", &[&u, &nonce, &exp]);
        format!("{u}.{nonce}.{exp}.{mac}")
    }

    /// The nonce of a good device cookie issued for `user`.
    fn device_of(&self, key: &[u8], cookie: &str, user: &str) -> Option<String> {
        if cookie.len() > 400 {
            return None;
        }
        let parts: Vec<&str> = cookie.split('.').collect();
        let [u, nonce, exp, mac] = parts.as_slice() else {
            return None;
        };
        let ok = *u == hex::encode(user.as_bytes())
            && exp.parse::<i64>().is_ok_and(|e| e > now())
            && verify(key, "device", &[u, nonce, exp], mac);
        ok.then(|| nonce.to_string())
    }
}

fn csrf_token_at(key: &[u8], t: i64) -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    let nonce = hex::encode(b);
    let exp = (t + SIGNIN_CSRF_SECS).to_string();
    let mac = sign(key, "signin-csrf", &[&nonce, &exp]);
    format!("{nonce}.{exp}.{mac}")
}

fn csrf_ok_at(key: &[u8], cookie: &str, form: &str, t: i64) -> bool {
    if !same(cookie.as_bytes(), form.as_bytes()) {
        return false;
    }
    let parts: Vec<&str> = cookie.split('.').collect();
    let [nonce, exp, mac] = parts.as_slice() else {
        return false;
    };
    exp.parse::<i64>().is_ok_and(|e| e > t) && verify(key, "signin-csrf", &[nonce, exp], mac)
}

fn mac(key: &[u8], purpose: &str, parts: &[&str]) -> hmac::Hmac<Sha256> {
    let mut m = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <hmac::Hmac<Sha256> as KeyInit>::new(&Default::default()));
    m.update(purpose.as_bytes());
    for p in parts {
        m.update(b"|");
        m.update(p.as_bytes());
    }
    m
}

fn sign(key: &[u8], purpose: &str, parts: &[&str]) -> String {
    hex::encode(mac(key, purpose, parts).finalize().into_bytes())
}

fn verify(key: &[u8], purpose: &str, parts: &[&str], tag_hex: &str) -> bool {
    match hex::decode(tag_hex) {
        Ok(tag) => mac(key, purpose, parts).verify_slice(&tag).is_ok(),
        Err(_) => false,
    }
}

/// Constant-time equality.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One sign-in attempt, as the form sent it.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The two-factor code (empty when none was typed).
    pub code: &'a str,
    /// The client address (from `ClientIp`, through the trusted proxy hops).
    pub client: IpAddr,
    /// The trusted-device cookie, if the browser sent one.
    pub device: Option<&'a str>,
}

/// A successful sign-in.
#[derive(Debug)]
pub struct SignedIn {
    pub staff: Staff,
    /// The session token for the session cookie.
    pub session: String,
    /// A fresh trusted-device cookie for this browser.
    pub device: String,
}

/// Checks username, password and (when two-factor is on) code together,
/// and opens a session. Every failure gets the same words.
pub async fn sign_in(
    app: &App,
    guard: &SignInGuard,
    a: &Attempt<'_>,
) -> std::result::Result<SignedIn, SignInError> {
    check_lengths(a.username, a.password, a.code)?;
    let user = a.username.trim().to_lowercase();
    let key = guard.key(app).await?;
    // Reserve the attempt before anything is checked.
    match a.device.and_then(|c| guard.device_of(key, c, &user)) {
        Some(nonce) => guard.device.take(&nonce).map_err(limited)?,
        None => guard.take_attempt(&user, a.client)?,
    }
    let acct = app.store().author_by_username(&user).await?;
    let hash = acct.as_ref().and_then(|a| a.password_hash.clone());
    let ok = guard.password_matches(a.password, hash).await?;
    let Some(acct) = acct.filter(|_| ok) else {
        return Err(SignInError::Mismatch(FAILED_SIGN_IN.into()));
    };
    if let Some(secret) = acct.totp_secret.as_deref().filter(|s| !s.is_empty()) {
        let fresh = match accounts::totp_step(secret, a.code, now()) {
            Some(step) => app.store().accept_totp_step(acct.id, step).await?,
            None => false,
        };
        if !fresh {
            return Err(SignInError::Mismatch(FAILED_SIGN_IN.into()));
        }
    }
    let role: Role = acct
        .role
        .parse()
        .map_err(|_| SignInError::Mismatch(FAILED_SIGN_IN.into()))?;
    if !permissions::allows(role, Action::UseNewsroom) {
        return Err(SignInError::Mismatch(FAILED_SIGN_IN.into()));
    }
    let t = now();
    let token = random_token();
    let csrf = random_token();
    app.store()
        .create_session(&token_hash(&token), acct.id, &csrf, t, t + SESSION_SECS)
        .await?;
    Ok(SignedIn {
        device: guard.device_cookie(key, &user),
        staff: Staff {
            id: acct.id,
            username: acct.username,
            display_name: acct.display_name,
            role,
            csrf,
        },
        session: token,
    })
}

/// Checks a signed-in staff member's current password, throttled per
/// account and client like sign-in.
async fn check_current_password(
    app: &App,
    guard: &SignInGuard,
    staff: &Staff,
    client: IpAddr,
    password: &str,
) -> std::result::Result<StaffAccount, SignInError> {
    if password.is_empty() {
        return Err(SignInError::Invalid(
            "Enter your current password to make this change.".into(),
        ));
    }
    let client = ClientKey::from(client);
    guard.reauth.take(&(staff.id, client)).map_err(limited)?;
    let Some(acct) = app.store().author_by_username(&staff.username).await? else {
        return Err(SignInError::Internal(format!(
            "signed-in account {} is gone",
            staff.username
        )));
    };
    let hash = acct.password_hash.clone().unwrap_or_default();
    if !guard.verify(password, hash).await? {
        return Err(SignInError::Mismatch(
            "The current password is not right.".into(),
        ));
    }
    Ok(acct)
}

/// Changes one's own password: the current one must be right (throttled).
/// Ends every session of the account (the caller signs in again).
pub async fn change_password(
    app: &App,
    guard: &SignInGuard,
    staff: &Staff,
    client: IpAddr,
    current: &str,
    new: &str,
) -> std::result::Result<(), SignInError> {
    check_lengths("", current, "")?;
    if new.len() > MAX_PASSWORD {
        return Err(SignInError::Invalid(format!(
            "The new password is longer than {MAX_PASSWORD} characters: choose a shorter one."
        )));
    }
    accounts::check_password(new)?;
    let acct = check_current_password(app, guard, staff, client, current).await?;
    let hash = guard.hash(new).await?;
    app.store().set_author_password(acct.id, &hash).await?;
    // A new password ends every session signed in with the old one.
    app.store().delete_sessions_of(acct.id).await?;
    Ok(())
}

/// What a two-factor change asks for.
#[derive(Debug, Clone, Copy)]
pub enum TwoFactorChange<'a> {
    /// Turn it on, or replace the key: the new key and a code it made.
    On {
        secret: &'a str,
        code: &'a str,
    },
    Off,
}

/// Turns two-factor sign-in on or off, or replaces its key. Needs the
/// current password (throttled like sign-in) and, when two-factor is on
/// already, a current code (not used before).
pub async fn change_two_factor(
    app: &App,
    guard: &SignInGuard,
    staff: &Staff,
    client: IpAddr,
    password: &str,
    current_code: &str,
    change: TwoFactorChange<'_>,
) -> std::result::Result<(), SignInError> {
    check_lengths("", password, current_code)?;
    if let TwoFactorChange::On { secret, code } = change {
        check_lengths("", "", code)?;
        if !accounts::totp_secret_ok(secret) {
            return Err(SignInError::Invalid(
                "The key on the page is not valid: reload the page to get a new one.".into(),
            ));
        }
    }
    let acct = check_current_password(app, guard, staff, client, password).await?;
    let t = now();
    if let Some(current) = acct.totp_secret.as_deref().filter(|s| !s.is_empty()) {
        let fresh = match accounts::totp_step(current, current_code, t) {
            Some(step) => app.store().accept_totp_step(acct.id, step).await?,
            None => false,
        };
        if !fresh {
            return Err(SignInError::Mismatch(
                "The current code is not right: enter the code your authenticator app shows now (a code works once).".into(),
            ));
        }
    }
    match change {
        TwoFactorChange::On { secret, code } => {
            let Some(step) = accounts::totp_step(secret, code, t) else {
                return Err(SignInError::Mismatch(
                    "That code is not right: enter the code the app shows now, for the key on this page.".into(),
                ));
            };
            app.store()
                .set_two_factor(acct.id, Some(secret), Some(step))
                .await?;
        }
        TwoFactorChange::Off => app.store().set_two_factor(acct.id, None, None).await?,
    }
    Ok(())
}

/// The staff member a session token belongs to, if it is current.
pub async fn session(app: &App, token: &str) -> Result<Option<Staff>> {
    let Some(u) = app.store().session(&token_hash(token), now()).await? else {
        return Ok(None);
    };
    let Ok(role) = u.role.parse::<Role>() else {
        return Ok(None);
    };
    Ok(Some(Staff {
        id: u.author_id,
        username: u.username,
        display_name: u.display_name,
        role,
        csrf: u.csrf,
    }))
}

pub async fn sign_out(app: &App, token: &str, everywhere: Option<&Staff>) -> Result<()> {
    app.store().delete_session(&token_hash(token)).await?;
    if let Some(s) = everywhere {
        app.store().delete_sessions_of(s.id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_token_is_checked_for_signature_expiry_and_equality() {
        let key = b"an installation key of some length";
        let t = 1_800_000_000;
        let tok = csrf_token_at(key, t);
        assert!(csrf_ok_at(key, &tok, &tok, t + 10));
        assert!(
            !csrf_ok_at(key, &tok, "other", t + 10),
            "form must repeat the cookie"
        );
        assert!(
            !csrf_ok_at(key, &tok, &tok, t + SIGNIN_CSRF_SECS + 1),
            "expired"
        );
        assert!(
            !csrf_ok_at(b"another installation", &tok, &tok, t),
            "signed by another key"
        );
        let mut parts: Vec<String> = tok.split('.').map(str::to_string).collect();
        parts[1] = (t + 10 * SIGNIN_CSRF_SECS).to_string();
        let stretched = parts.join(".");
        assert!(
            !csrf_ok_at(key, &stretched, &stretched, t),
            "the expiry is signed"
        );
        assert!(
            !csrf_ok_at(key, "x", "x", t),
            "any equal pair is not enough"
        );
    }

    #[test]
    fn device_cookies_name_their_account_and_are_signed() {
        let g = SignInGuard::with_cap(10);
        let key = b"k";
        let c = g.device_cookie(key, "ann.editor");
        assert!(g.device_of(key, &c, "ann.editor").is_some());
        assert!(
            g.device_of(key, &c, "bob").is_none(),
            "only for its account"
        );
        assert!(g.device_of(b"other", &c, "ann.editor").is_none());
        let forged = format!("{}.00.9999999999.00", hex::encode("ann.editor"));
        assert!(g.device_of(key, &forged, "ann.editor").is_none());
    }

    #[test]
    fn overlong_fields_are_refused() {
        assert!(check_lengths(&"u".repeat(MAX_USERNAME + 1), "", "").is_err());
        assert!(check_lengths("", &"p".repeat(MAX_PASSWORD + 1), "").is_err());
        assert!(check_lengths("", "", "12345678901234567").is_err());
        assert!(check_lengths("ann", "a password", "123456").is_ok());
    }
}
