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

use broadsheet_domain::readers::{self as rules};
use broadsheet_domain::{Actor, ReaderAccount};
use broadsheet_store::ReaderRow;

use crate::signin::{random_token, token_hash};
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
            tx.mark_reader_verified(r.id, t).await?;
            tx.audit(
                &Actor::Reader { id: r.id },
                "reader.verify",
                None,
                "address proven",
                t,
            )
            .await?;
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
    let token = random_token();
    let expires_at = t + SESSION_SECS;
    let mut tx = app.store().begin().await?;
    if tx.reader(reader_id).await?.is_none() {
        return Err(ReaderError::Internal(format!(
            "no reader {reader_id} to sign in"
        )));
    }
    tx.prune_reader_rows(t).await?;
    tx.insert_reader_session(&token_hash(&token), reader_id, t, expires_at)
        .await?;
    tx.audit(
        &Actor::Reader { id: reader_id },
        "reader.sign-in",
        None,
        "",
        t,
    )
    .await?;
    tx.commit().await?;
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
