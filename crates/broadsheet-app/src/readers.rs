//! Reader accounts (separate from staff): registering with a password,
//! accounts made or found through a provider's verified email (social
//! sign-in), reader sessions, and whether a reader holds an entitlement to
//! paid text.
//!
//! **Sessions.** A random 256-bit token goes to the browser (cookie
//! `bs_reader`); the database keeps only its SHA-256. Every sign-in makes a
//! new token (a token the browser held before is never promoted, so session
//! fixation is impossible). Each reader has a session epoch: "sign out
//! everywhere", a password reset and a new password bump it, and a session
//! made at an older epoch is dead even if its row survived.
//!
//! Every write is one transaction on the store's `Tx` with its audit row
//! (actor `Actor::Reader`, or whoever acted). Reader accounts change nothing
//! a shared page shows, so they append no change events.

use std::net::IpAddr;

use broadsheet_domain::readers::{self as rules, TokenPurpose};
use broadsheet_domain::{Actor, ReaderAccount};
use broadsheet_store::ReaderRow;

use crate::mail::Mail;
use crate::signin::{SignInGuard, random_token, token_hash};
use crate::{App, AppError, accounts, now};

/// How long a reader session lasts.
pub const SESSION_SECS: i64 = 30 * 24 * 3600;

/// Why a reader operation failed, in words fit for the reader
/// ([`ReaderError::user_message`]); internal failures keep their detail for
/// the log only.
#[derive(Debug, thiserror::Error)]
pub enum ReaderError {
    /// Something the reader typed is wrong: the message says what to do.
    #[error("{0}")]
    Invalid(String),
    /// The email address belongs to an account already (never shown as
    /// such to a browser: see the sign-up answer).
    #[error("that email address has an account already")]
    EmailTaken,
    /// Email and password do not match (which one is never said).
    #[error("{0}")]
    Mismatch(String),
    /// A mailed link that is unknown, used or expired.
    #[error("{0}")]
    LinkRefused(String),
    /// Too many attempts: wait.
    #[error("{0}")]
    Limited(String),
    /// Too much going on: try again shortly.
    #[error("{0}")]
    Busy(String),
    /// Failed on our side; the detail is for the log only.
    #[error("internal: {0}")]
    Internal(String),
}

/// What a reader is told when the failure is ours.
pub const INTERNAL_MESSAGE: &str = "Something went wrong on our side. Try again in a moment; if it keeps happening, contact the paper.";

impl ReaderError {
    /// The words to show the reader. Internal detail is never included.
    pub fn user_message(&self) -> String {
        match self {
            ReaderError::Invalid(m)
            | ReaderError::Mismatch(m)
            | ReaderError::LinkRefused(m)
            | ReaderError::Limited(m)
            | ReaderError::Busy(m) => m.clone(),
            ReaderError::EmailTaken => {
                "That email address has an account already: sign in, or reset the password.".into()
            }
            ReaderError::Internal(_) => INTERNAL_MESSAGE.into(),
        }
    }

    /// Whether the failure is ours (log it; show [`INTERNAL_MESSAGE`]).
    pub fn is_internal(&self) -> bool {
        matches!(self, ReaderError::Internal(_))
    }
}

impl From<broadsheet_store::StoreError> for ReaderError {
    fn from(e: broadsheet_store::StoreError) -> Self {
        ReaderError::Internal(e.to_string())
    }
}

impl From<AppError> for ReaderError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(m) => ReaderError::Invalid(m),
            AppError::Busy(m) => ReaderError::Busy(m),
            other => ReaderError::Internal(other.to_string()),
        }
    }
}

impl From<crate::signin::SignInError> for ReaderError {
    fn from(e: crate::signin::SignInError) -> Self {
        use crate::signin::SignInError as S;
        match e {
            S::Mismatch(m) => ReaderError::Mismatch(m),
            S::Limited(m) => ReaderError::Limited(m),
            S::Invalid(m) => ReaderError::Invalid(m),
            S::Busy(m) => ReaderError::Busy(m),
            S::Internal(m) => ReaderError::Internal(m),
        }
    }
}

type Result<T> = std::result::Result<T, ReaderError>;

/// A new session's token (for the `bs_reader` cookie) and when it ends.
#[derive(Debug, Clone)]
pub struct ReaderSessionToken {
    pub token: String,
    pub expires_at: i64,
}

fn invalid(m: String) -> ReaderError {
    ReaderError::Invalid(m)
}

/// Checks a new password: long enough, not absurdly long.
pub fn check_new_password(password: &str) -> Result<()> {
    if password.len() > crate::signin::MAX_PASSWORD {
        return Err(invalid(format!(
            "That password is longer than {} characters: choose a shorter one.",
            crate::signin::MAX_PASSWORD
        )));
    }
    if password.chars().count() < accounts::MIN_PASSWORD {
        return Err(invalid(format!(
            "That password is too short: use at least {} characters.",
            accounts::MIN_PASSWORD
        )));
    }
    Ok(())
}

/// Hashes a password (argon2id, as for staff) on the blocking pool.
pub(crate) async fn hash_password(password: &str) -> Result<String> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || accounts::hash_password(&pw))
        .await
        .map_err(|e| ReaderError::Internal(format!("password hashing did not finish: {e}")))?
        .map_err(ReaderError::from)
}

/// Registers a reader with a password. The address is not verified yet
/// (the caller mails a link). An address with an account already is
/// [`ReaderError::EmailTaken`]: callers facing the public must not say so
/// (see `sign_up`).
pub async fn register(
    app: &App,
    email: &str,
    password: &str,
    display_name: &str,
) -> Result<ReaderAccount> {
    let email = rules::normalise_email(email).map_err(invalid)?;
    let name = rules::clean_display_name(display_name).map_err(invalid)?;
    check_new_password(password)?;
    let hash = hash_password(password).await?;
    let t = now();
    let mut tx = app.store().begin().await?;
    let Some(id) = tx
        .insert_reader(&email, &name, Some(&hash), None, t)
        .await?
    else {
        return Err(ReaderError::EmailTaken);
    };
    tx.audit(
        &Actor::Reader { id },
        "reader.register",
        None,
        "with a password",
        t,
    )
    .await?;
    let row = tx.reader(id).await?.ok_or_else(|| {
        ReaderError::Internal(format!("reader {id} vanished in its own transaction"))
    })?;
    tx.commit().await?;
    Ok(row.account())
}

/// For social sign-in: the account with this email (marked verified now),
/// or a new verified account without a password. Call it only with an
/// address the provider says is verified.
pub async fn link_verified_email(
    app: &App,
    email: &str,
    display_name: &str,
) -> Result<ReaderAccount> {
    let email = rules::normalise_email(email).map_err(invalid)?;
    let t = now();
    let mut tx = app.store().begin().await?;
    let row = find_or_create_verified(&mut tx, &email, display_name, t).await?;
    tx.commit().await?;
    Ok(row.account())
}

/// Marks the unverified account `r` verified because someone other than
/// its sign-up proved the address (a provider vouched for it, or a sign-in
/// link mailed to it was followed). Whoever chose its password never proved
/// the address and may not be the owner who proves it now (an address can
/// be pre-registered by anyone), so that password and its sessions end; the
/// owner sets a password through a reset link. Audited.
async fn prove_over_unproven_password(
    tx: &mut broadsheet_store::Tx,
    r: &ReaderRow,
    t: i64,
) -> Result<()> {
    let cleared = r.password_hash.is_some();
    if cleared {
        tx.clear_reader_password(r.id).await?;
        tx.end_reader_sessions(r.id).await?;
    }
    tx.mark_reader_verified(r.id, t).await?;
    tx.audit(
        &Actor::Reader { id: r.id },
        "reader.verify",
        None,
        if cleared {
            "address proven; the unproven account's password and sessions ended"
        } else {
            "address proven"
        },
        t,
    )
    .await?;
    Ok(())
}

/// The reader with `email`, marked verified, or a new verified,
/// password-less account (name from `display_name`, else the address's
/// local part). Audited.
pub(crate) async fn find_or_create_verified(
    tx: &mut broadsheet_store::Tx,
    email: &str,
    display_name: &str,
    t: i64,
) -> Result<ReaderRow> {
    if let Some(r) = tx.reader_by_email(email).await? {
        if r.email_verified_at.is_none() {
            prove_over_unproven_password(tx, &r, t).await?;
        }
        return tx
            .reader(r.id)
            .await?
            .ok_or_else(|| ReaderError::Internal("reader vanished".into()));
    }
    let name = rules::clean_display_name(display_name)
        .or_else(|_| rules::clean_display_name(email.split('@').next().unwrap_or("Reader")))
        .unwrap_or_else(|_| "Reader".to_string());
    let id = match tx.insert_reader(email, &name, None, Some(t), t).await? {
        Some(id) => id,
        // Made by a concurrent request since we looked: use it.
        None => {
            let r = tx
                .reader_by_email(email)
                .await?
                .ok_or_else(|| ReaderError::Internal("reader vanished".into()))?;
            tx.mark_reader_verified(r.id, t).await?;
            r.id
        }
    };
    tx.audit(
        &Actor::Reader { id },
        "reader.register",
        None,
        "verified address, no password",
        t,
    )
    .await?;
    tx.reader(id)
        .await?
        .ok_or_else(|| ReaderError::Internal("reader vanished".into()))
}

/// Opens a new session for the reader: a fresh random token every time.
pub async fn start_session(app: &App, reader_id: i64) -> Result<ReaderSessionToken> {
    let t = now();
    let mut tx = app.store().begin().await?;
    if tx.reader(reader_id).await?.is_none() {
        return Err(ReaderError::Internal(format!(
            "no reader {reader_id} to sign in"
        )));
    }
    let session = open_session(&mut tx, reader_id, t, "").await?;
    tx.commit().await?;
    Ok(session)
}

/// Opens a session inside `tx` (the caller commits): a fresh random token
/// (only its SHA-256 is stored), expired reader rows pruned, and the
/// sign-in audited with `how` (every way in goes through here).
pub(crate) async fn open_session(
    tx: &mut broadsheet_store::Tx,
    reader_id: i64,
    t: i64,
    how: &str,
) -> Result<ReaderSessionToken> {
    let token = random_token();
    let expires_at = t + SESSION_SECS;
    tx.prune_reader_rows(t).await?;
    tx.insert_reader_session(&token_hash(&token), reader_id, t, expires_at)
        .await?;
    tx.audit(
        &Actor::Reader { id: reader_id },
        "reader.sign-in",
        None,
        how,
        t,
    )
    .await?;
    Ok(ReaderSessionToken { token, expires_at })
}

/// Whether `token` looks like a session token at all (64 hex digits):
/// anything else is not looked up.
pub fn token_shape_ok(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The reader a session token belongs to, if the session is current.
pub async fn session(app: &App, token: &str) -> Result<Option<ReaderAccount>> {
    if !token_shape_ok(token) {
        return Ok(None);
    }
    Ok(app
        .store()
        .reader_by_session(&token_hash(token), now())
        .await?
        .map(|r| r.account()))
}

/// Ends one session (sign out in this browser).
pub async fn end_session(app: &App, token: &str) -> Result<()> {
    if !token_shape_ok(token) {
        return Ok(());
    }
    let mut tx = app.store().begin().await?;
    tx.delete_reader_session(&token_hash(token)).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of a reader (sign out everywhere). `actor` is the
/// reader themselves, or staff or the operator acting for them.
pub async fn end_all_sessions(app: &App, actor: &Actor, reader_id: i64) -> Result<u64> {
    let t = now();
    let mut tx = app.store().begin().await?;
    let n = tx.end_reader_sessions(reader_id).await?;
    tx.audit(
        actor,
        "reader.sign-out-everywhere",
        None,
        &format!("reader {reader_id}: {n} sessions ended"),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Whether the reader holds an entitlement to paid text at `now`: a
/// `reader_entitlements` row with `starts_at <= now` and no end or an end
/// after `now`, or a verified address at an organisation's domain (group
/// access, decided at read time: `subscriptions::domain_grants`).
pub async fn is_subscriber(app: &App, reader_id: i64, now: i64) -> Result<bool> {
    Ok(app.store().reader_entitled(reader_id, now).await?
        || crate::subscriptions::domain_grants(app, reader_id).await?)
}

/// The CSRF token of a reader session: derived from the session token
/// (SHA-256 with a purpose prefix), so it needs no storage, differs per
/// session, and cannot be made without the HttpOnly cookie's value.
pub fn csrf_for(session_token: &str) -> String {
    token_hash(&format!("bs-reader-csrf|{session_token}"))
}

// ----- sign-up, sign-in and mailed links ----------------------------------------------

/// How long a link to verify an address lasts.
pub const VERIFY_SECS: i64 = 24 * 3600;
/// How long a magic sign-in link lasts.
pub const MAGIC_SECS: i64 = 15 * 60;
/// How long a password-reset link lasts.
pub const RESET_SECS: i64 = 3600;
/// Links one address may be sent in an hour; beyond, requests are answered
/// the same but nothing is sent (no mail-bombing through our forms).
pub const LINKS_PER_ADDRESS_PER_HOUR: i64 = 5;

const FAILED_SIGN_IN: &str = "That email address and password do not match. Check them and try again, or use “Email me a sign-in link”.";

/// The throttle key of a reader account (never the same as a staff username).
fn attempt_key(email: &str) -> String {
    format!("reader:{email}")
}

/// An address as typed, normalised; for sign-in and link requests a
/// malformed address is told as such (it reveals nothing about accounts).
fn email_of(raw: &str) -> Result<String> {
    rules::normalise_email(raw).map_err(invalid)
}

/// The page to return to after signing in, if `raw` is a path on this
/// site (`/news/…?page=2`); `None` for anything else: another host
/// (`//host`, `/\host`, `https://…`, or one the browser would make of
/// tabs and newlines), a scheme (`javascript:`), control characters, or
/// an encoded slash, backslash, percent or control character (`/%2F%2Fhost`,
/// `%5C`, double encoding) that a later decoding could turn into one. The
/// path is resolved as a browser would (WHATWG, via `url`) against a
/// placeholder origin and must stay on it; what is returned is that
/// resolved path and query (no fragment).
pub fn return_path(raw: &str) -> Option<String> {
    if raw.is_empty()
        || raw.len() > 512
        || !raw.starts_with('/')
        || raw.starts_with("//")
        || raw
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return None;
    }
    let lower = raw.to_ascii_lowercase();
    if ["%2f", "%5c", "%25", "%0", "%1", "%7f", "%20"]
        .iter()
        .any(|bad| lower.contains(bad))
    {
        return None;
    }
    let base = url::Url::parse("http://return.invalid/").ok()?;
    let u = base.join(raw).ok()?;
    if u.origin() != base.origin() || !u.username().is_empty() || u.password().is_some() {
        return None;
    }
    let mut out = u.path().to_string();
    if let Some(q) = u.query() {
        out.push('?');
        out.push_str(q);
    }
    Some(out)
}

/// An absolute link on this site (for mail).
pub(crate) fn site_link(app: &App, path_and_query: &str) -> String {
    let base = app
        .config()
        .base_url
        .as_deref()
        .unwrap_or("http://127.0.0.1:8080")
        .trim_end_matches('/');
    format!("{base}{path_and_query}")
}

/// Where each kind of link leads.
pub fn link_path(purpose: TokenPurpose) -> &'static str {
    match purpose {
        TokenPurpose::Verify => "/account/verify",
        TokenPurpose::Magic => "/account/magic",
        TokenPurpose::Reset => "/account/reset/choose",
    }
}

/// Makes a link for `purpose` (if the address has not had too many this
/// hour) and returns its token; `None` when over the limit.
async fn make_link(
    app: &App,
    purpose: TokenPurpose,
    reader_id: Option<i64>,
    email: &str,
    t: i64,
) -> Result<Option<String>> {
    if app.store().reader_tokens_since(email, t - 3600).await? >= LINKS_PER_ADDRESS_PER_HOUR {
        tracing::warn!(
            purpose = purpose.as_str(),
            "reader link not sent: the address had too many this hour"
        );
        return Ok(None);
    }
    let token = random_token();
    let secs = match purpose {
        TokenPurpose::Verify => VERIFY_SECS,
        TokenPurpose::Magic => MAGIC_SECS,
        TokenPurpose::Reset => RESET_SECS,
    };
    let mut tx = app.store().begin().await?;
    tx.insert_reader_token(
        &token_hash(&token),
        purpose.as_str(),
        reader_id,
        email,
        t,
        t + secs,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(token))
}

/// Mails the link for `purpose`; `next` (a checked return path) rides
/// along in the link, so following it returns to the page the reader was on.
fn mail_link(
    app: &App,
    purpose: TokenPurpose,
    email: &str,
    token: &str,
    new_account: bool,
    next: Option<&str>,
) {
    let paper = &app.config().name;
    let back = next
        .and_then(return_path)
        .map(|n| {
            format!(
                "&next={}",
                url::form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>()
            )
        })
        .unwrap_or_default();
    let url = site_link(app, &format!("{}?t={token}{back}", link_path(purpose)));
    let (subject, text) = match purpose {
        TokenPurpose::Verify => (
            format!("Confirm your email address for {paper}"),
            format!(
                "To confirm that {email} is your address at {paper}, open this link within 24 hours:\n\n{url}\n\nIf you did not ask for this, ignore this message: nothing changes.\n"
            ),
        ),
        TokenPurpose::Magic => (
            format!("Your sign-in link for {paper}"),
            format!(
                "Open this link within 15 minutes to sign in to {paper}{}:\n\n{url}\n\nThe link works once. If you did not ask for it, ignore this message.\n",
                if new_account {
                    " (an account will be made for this address)"
                } else {
                    ""
                }
            ),
        ),
        TokenPurpose::Reset => (
            format!("Choose a new password for {paper}"),
            format!(
                "Open this link within an hour to choose a new password for {email}:\n\n{url}\n\nThe link works once, and choosing a new password signs you out everywhere. If you did not ask for this, ignore this message: your password stays as it is.\n"
            ),
        ),
    };
    app.mailer().send_later(Mail {
        to: email.to_string(),
        subject,
        text,
    });
}

/// Sign-up from the public form. The answer is the same whether or not the
/// address has an account ("check your inbox"): a new account is mailed a
/// link to confirm the address; an existing one is mailed a note saying
/// how to sign in or reset the password. Throttled like sign-in.
pub async fn sign_up(
    app: &App,
    guard: &SignInGuard,
    client: IpAddr,
    email: &str,
    password: &str,
    display_name: &str,
) -> Result<()> {
    let email = email_of(email)?;
    rules::clean_display_name(display_name).map_err(invalid)?;
    check_new_password(password)?;
    guard.take_attempt(&attempt_key(&email), client)?;
    let t = now();
    match register(app, &email, password, display_name).await {
        Ok(acct) => {
            if let Some(token) =
                make_link(app, TokenPurpose::Verify, Some(acct.id), &email, t).await?
            {
                mail_link(app, TokenPurpose::Verify, &email, &token, false, None);
            }
            Ok(())
        }
        Err(ReaderError::EmailTaken) => {
            // Counted like a link, so this note cannot be used to flood an inbox.
            if app.store().reader_tokens_since(&email, t - 3600).await? < LINKS_PER_ADDRESS_PER_HOUR
            {
                let paper = &app.config().name;
                app.mailer().send_later(Mail {
                    to: email.clone(),
                    subject: format!("You already have an account at {paper}"),
                    text: format!(
                        "Someone, perhaps you, tried to make an account at {paper} with {email}. You have one already.\n\nSign in: {}\nForgot the password? Choose a new one: {}\n\nIf it was not you, ignore this message: nothing changes.\n",
                        site_link(app, "/account"),
                        site_link(app, "/account/reset"),
                    ),
                });
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Sign-in with email and password, throttled by the same rule as staff
/// sign-in (`SignInGuard::take_attempt`). Every failure has the same words,
/// and a missing account takes as long as a wrong password.
pub async fn sign_in(
    app: &App,
    guard: &SignInGuard,
    client: IpAddr,
    email: &str,
    password: &str,
) -> Result<(ReaderAccount, ReaderSessionToken)> {
    if password.len() > crate::signin::MAX_PASSWORD {
        return Err(ReaderError::Mismatch(FAILED_SIGN_IN.into()));
    }
    let email = email_of(email)?;
    guard.take_attempt(&attempt_key(&email), client)?;
    let row = app.store().reader_by_email(&email).await?;
    let hash = row.as_ref().and_then(|r| r.password_hash.clone());
    let ok = guard.password_matches(password, hash).await?;
    let Some(row) = row.filter(|_| ok) else {
        return Err(ReaderError::Mismatch(FAILED_SIGN_IN.into()));
    };
    let session = start_session(app, row.id).await?;
    Ok((row.account(), session))
}

/// Mails a one-time sign-in link. An address without an account gets a
/// link too (following it makes a verified, password-less account), so the
/// answer never tells whether an account exists. `next`: the page to
/// return to once the link is used (kept only if [`return_path`] admits it).
pub async fn request_magic_link(
    app: &App,
    guard: &SignInGuard,
    client: IpAddr,
    email: &str,
    next: Option<&str>,
) -> Result<()> {
    let email = email_of(email)?;
    guard.take_attempt(&attempt_key(&email), client)?;
    let t = now();
    let id = app.store().reader_by_email(&email).await?.map(|r| r.id);
    if let Some(token) = make_link(app, TokenPurpose::Magic, id, &email, t).await? {
        mail_link(app, TokenPurpose::Magic, &email, &token, id.is_none(), next);
    }
    Ok(())
}

/// Mails a password-reset link if the address has an account; the answer
/// is the same either way.
pub async fn request_reset(
    app: &App,
    guard: &SignInGuard,
    client: IpAddr,
    email: &str,
) -> Result<()> {
    let email = email_of(email)?;
    guard.take_attempt(&attempt_key(&email), client)?;
    let t = now();
    if let Some(r) = app.store().reader_by_email(&email).await?
        && let Some(token) = make_link(app, TokenPurpose::Reset, Some(r.id), &email, t).await?
    {
        mail_link(app, TokenPurpose::Reset, &email, &token, false, None);
    }
    Ok(())
}

/// What a link a reader opened is good for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Unused and in time.
    Usable,
    /// Unknown, used, expired, or for something else.
    Refused,
}

pub const LINK_REFUSED: &str = "This link has been used already or has expired. Links work once and for a short time: ask for a new one below.";

/// Whether a link can still be used (shown before the reader presses the
/// button that uses it: mail scanners that open links use up nothing).
pub async fn link_state(app: &App, purpose: TokenPurpose, token: &str) -> Result<LinkState> {
    if !token_shape_ok(token) {
        return Ok(LinkState::Refused);
    }
    let ok = app
        .store()
        .reader_token(&token_hash(token))
        .await?
        .is_some_and(|r| {
            r.purpose == purpose.as_str() && r.used_at.is_none() && r.expires_at > now()
        });
    Ok(if ok {
        LinkState::Usable
    } else {
        LinkState::Refused
    })
}

/// Uses a verify or magic link: proves the address (moving the account to
/// it if the link was for a change of address; making the account if a
/// magic link was for an address without one) and signs the reader in with
/// a new session. A link works once, until it expires.
pub async fn use_link(
    app: &App,
    purpose: TokenPurpose,
    token: &str,
) -> Result<(ReaderAccount, ReaderSessionToken)> {
    let refused = || ReaderError::LinkRefused(LINK_REFUSED.into());
    if purpose == TokenPurpose::Reset || !token_shape_ok(token) {
        return Err(refused());
    }
    let t = now();
    let mut tx = app.store().begin().await?;
    let Some(link) = tx
        .use_reader_token(&token_hash(token), purpose.as_str(), t)
        .await?
    else {
        return Err(refused());
    };
    let row = match (purpose, link.reader_id) {
        (TokenPurpose::Magic, None) => find_or_create_verified(&mut tx, &link.email, "", t).await?,
        (_, Some(id)) => {
            let Some(r) = tx.reader(id).await? else {
                return Err(refused());
            };
            if r.email == link.email {
                if r.email_verified_at.is_none() && purpose == TokenPurpose::Magic {
                    // A sign-in link, not the confirmation mailed at this
                    // account's sign-up: whoever follows it proves the
                    // address but did not necessarily choose the password.
                    prove_over_unproven_password(&mut tx, &r, t).await?;
                } else if r.email_verified_at.is_none() {
                    tx.mark_reader_verified(id, t).await?;
                    tx.audit(
                        &Actor::Reader { id },
                        "reader.verify",
                        None,
                        "address proven",
                        t,
                    )
                    .await?;
                }
            } else if purpose == TokenPurpose::Verify {
                // A change of address, proven: only now does the account move.
                if !tx.set_reader_email(id, &link.email, t).await? {
                    return Err(ReaderError::LinkRefused(
                        "That address now belongs to another account, so yours was not changed. Sign in to that account instead, or choose another address.".into(),
                    ));
                }
                tx.audit(
                    &Actor::Reader { id },
                    "reader.email-changed",
                    None,
                    "new address proven",
                    t,
                )
                .await?;
            } else {
                // A sign-in link for an address the account no longer has.
                return Err(refused());
            }
            tx.reader(id).await?.ok_or_else(refused)?
        }
        (_, None) => return Err(refused()),
    };
    let session = open_session(&mut tx, row.id, t, "by a mailed link").await?;
    let fresh = tx.reader(row.id).await?.ok_or_else(refused)?;
    tx.commit().await?;
    Ok((fresh.account(), session))
}

/// Uses a reset link: sets the new password, proves the address, ends every
/// session of the account and signs this browser in with a new one. The
/// password is checked before the link is used, so a refused password does
/// not use it up.
pub async fn reset_password(
    app: &App,
    guard: &SignInGuard,
    token: &str,
    new_password: &str,
) -> Result<(ReaderAccount, ReaderSessionToken)> {
    let refused = || ReaderError::LinkRefused(LINK_REFUSED.into());
    check_new_password(new_password)?;
    if link_state(app, TokenPurpose::Reset, token).await? == LinkState::Refused {
        return Err(refused());
    }
    let hash = guard.hash_new_password(new_password).await?;
    let t = now();
    let mut tx = app.store().begin().await?;
    let Some(link) = tx
        .use_reader_token(&token_hash(token), TokenPurpose::Reset.as_str(), t)
        .await?
    else {
        return Err(refused());
    };
    let Some(r) = (match link.reader_id {
        Some(id) => tx.reader(id).await?,
        None => None,
    })
    .filter(|r| r.email == link.email) else {
        return Err(refused());
    };
    tx.set_reader_password(r.id, &hash).await?;
    tx.mark_reader_verified(r.id, t).await?;
    tx.end_reader_sessions(r.id).await?;
    tx.audit(
        &Actor::Reader { id: r.id },
        "reader.password-reset",
        None,
        "every session ended",
        t,
    )
    .await?;
    let session = open_session(&mut tx, r.id, t, "by a mailed link").await?;
    let fresh = tx.reader(r.id).await?.ok_or_else(refused)?;
    tx.commit().await?;
    Ok((fresh.account(), session))
}

// ----- the profile ---------------------------------------------------------------

/// Changes the display name (newsletters are chosen in the preference
/// centre: `newsletters::choose`).
pub async fn update_profile(
    app: &App,
    reader_id: i64,
    display_name: &str,
) -> Result<ReaderAccount> {
    let name = rules::clean_display_name(display_name).map_err(invalid)?;
    let t = now();
    let mut tx = app.store().begin().await?;
    let old = tx
        .reader(reader_id)
        .await?
        .ok_or_else(|| ReaderError::Internal(format!("reader {reader_id} is gone")))?;
    tx.set_reader_profile(reader_id, &name, &old.newsletters)
        .await?;
    tx.audit(
        &Actor::Reader { id: reader_id },
        "reader.profile",
        None,
        "display name",
        t,
    )
    .await?;
    let row = tx
        .reader(reader_id)
        .await?
        .ok_or_else(|| ReaderError::Internal(format!("reader {reader_id} is gone")))?;
    tx.commit().await?;
    Ok(row.account())
}

/// Asks to move the account to a new address: a link goes to the new
/// address, and the account moves only when it is followed (so a typo
/// cannot lock anyone out, and the new address is proven). The old address
/// is told. The answer does not say whether the new address has an account.
pub async fn change_email(app: &App, reader: &ReaderAccount, new_email: &str) -> Result<()> {
    let email = email_of(new_email)?;
    if email == reader.email {
        return Err(invalid(
            "That is the address the account has already.".into(),
        ));
    }
    let t = now();
    let Some(token) = make_link(app, TokenPurpose::Verify, Some(reader.id), &email, t).await?
    else {
        return Err(ReaderError::Limited(
            "Too many links were sent to that address in the last hour. Wait an hour and try again.".into(),
        ));
    };
    let mut tx = app.store().begin().await?;
    tx.audit(
        &Actor::Reader { id: reader.id },
        "reader.email-change-asked",
        None,
        "link mailed to the new address",
        t,
    )
    .await?;
    tx.commit().await?;
    mail_link(app, TokenPurpose::Verify, &email, &token, false, None);
    let paper = &app.config().name;
    app.mailer().send_later(Mail {
        to: reader.email.clone(),
        subject: format!("A change of email address was asked for at {paper}"),
        text: format!(
            "Someone signed in to your account at {paper} asked to move it to another email address. It moves only when the link sent there is opened.\n\nIf this was not you, sign in, choose “Sign out everywhere” and a new password: {}\n",
            site_link(app, "/account")
        ),
    });
    Ok(())
}

/// Deletes the reader's account and everything held on them (sessions,
/// links, entitlements). Audited as done by `actor`.
pub async fn delete_account(app: &App, actor: &Actor, reader_id: i64) -> Result<()> {
    let t = now();
    let mut tx = app.store().begin().await?;
    if !tx.delete_reader(reader_id).await? {
        return Err(ReaderError::Invalid(
            "There is no such account (it may have been deleted already).".into(),
        ));
    }
    tx.audit(
        actor,
        "reader.delete",
        None,
        &format!("reader {reader_id} and everything held on them"),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Everything held on a reader, as JSON (the account page's download):
/// the account (no password hash, only whether there is one), newsletter
/// subscriptions with their records of consent, sessions, mailed links, entitlements and what the audit log
/// records of them. Secrets (hashes of sessions and links) are left out.
pub async fn export(app: &App, reader_id: i64) -> Result<serde_json::Value> {
    use serde_json::json;
    let store = app.store();
    let Some(r) = store.reader_by_id(reader_id).await? else {
        return Err(ReaderError::Invalid("There is no such account.".into()));
    };
    let sessions: Vec<_> = store
        .reader_sessions(reader_id)
        .await?
        .into_iter()
        .map(|s| json!({ "created_at": s.created_at, "expires_at": s.expires_at, "current": s.session_epoch == r.session_epoch }))
        .collect();
    let links: Vec<_> = store
        .reader_tokens(reader_id, &r.email)
        .await?
        .into_iter()
        .map(|k| json!({ "purpose": k.purpose, "email": k.email, "created_at": k.created_at, "expires_at": k.expires_at, "used_at": k.used_at }))
        .collect();
    let entitlements: Vec<_> = store
        .reader_entitlements(reader_id)
        .await?
        .into_iter()
        .map(|e| json!({ "id": e.id, "source": e.source, "reference": e.reference, "starts_at": e.starts_at, "ends_at": e.ends_at, "created_at": e.created_at }))
        .collect();
    let activity: Vec<_> = store
        .reader_audit(reader_id)
        .await?
        .into_iter()
        .map(|a| json!({ "at": a.at, "action": a.action, "detail": a.detail }))
        .collect();
    Ok(json!({
        "format": "broadsheet-reader-export/1",
        "exported_at": now(),
        "paper": app.config().name,
        "account": {
            "id": r.id,
            "email": r.email,
            "email_verified_at": r.email_verified_at,
            "display_name": r.display_name,
            "has_password": r.password_hash.as_deref().is_some_and(|h| !h.is_empty()),
            "created_at": r.created_at,
        },
        "newsletters": crate::newsletters::consent_records(app, reader_id)
            .await
            .map_err(|e| ReaderError::Internal(format!("newsletters: {e}")))?,
        "sessions": sessions,
        "links": links,
        "entitlements": entitlements,
        "activity": activity,
    }))
}
