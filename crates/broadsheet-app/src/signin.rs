//! Staff sign-in and newsroom sessions.

use std::collections::HashMap;
use std::sync::Mutex;

use broadsheet_domain::permissions::{self, Action, Role};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{App, AppError, Result, accounts, now};

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
const FAILED_SIGN_IN: &str = "That username and password do not match. Check both and try again.";

pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Failed sign-ins per account and per client, in a sliding 15-minute window.
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, Vec<i64>>>,
}

pub const LIMIT_WINDOW_SECS: i64 = 15 * 60;
pub const LIMIT_PER_ACCOUNT: usize = 5;
pub const LIMIT_PER_CLIENT: usize = 20;

impl Default for SignInLimiter {
    fn default() -> Self {
        SignInLimiter {
            failures: Mutex::new(HashMap::new()),
        }
    }
}

impl SignInLimiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<i64>>> {
        match self.failures.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn blocked(&self, key: &str, limit: usize, t: i64) -> bool {
        let mut m = self.lock();
        let list = m.entry(key.to_string()).or_default();
        list.retain(|at| *at > t - LIMIT_WINDOW_SECS);
        list.len() >= limit
    }

    fn fail(&self, key: &str, t: i64) {
        let mut m = self.lock();
        if m.len() > 100_000 {
            m.retain(|_, v| v.iter().any(|at| *at > t - LIMIT_WINDOW_SECS));
        }
        m.entry(key.to_string()).or_default().push(t);
    }
}

/// Why a sign-in failed, in words fit for the person signing in.
#[derive(Debug)]
pub enum SignInError {
    /// Wrong username or password (which one is never said).
    Mismatch(String),
    /// Too many failures: wait.
    Limited(String),
    Internal(AppError),
}

/// Checks a password and opens a session. Returns the staff member and the
/// session token for the cookie.
pub async fn sign_in(
    app: &App,
    limiter: &SignInLimiter,
    username: &str,
    password: &str,
    code: &str,
    client: &str,
) -> std::result::Result<(Staff, String), SignInError> {
    let t = now();
    let acct_key = format!("account:{}", username.trim().to_lowercase());
    let client_key = format!("client:{client}");
    if limiter.blocked(&acct_key, LIMIT_PER_ACCOUNT, t)
        || limiter.blocked(&client_key, LIMIT_PER_CLIENT, t)
    {
        return Err(SignInError::Limited(
            "Too many failed sign-ins. Wait 15 minutes and try again, or ask an admin to reset your password.".into(),
        ));
    }
    let acct = app
        .store()
        .author_by_username(username.trim())
        .await
        .map_err(|e| SignInError::Internal(e.into()))?;
    // Verify against a real hash even when there is no such account, so the
    // time taken does not tell whether it exists.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5Ckm0NwHpsUCvfpu4JMQ2+0+0O2yQ8wYQh2sEqkn9aY";
    let hash = acct
        .as_ref()
        .and_then(|a| a.password_hash.clone())
        .unwrap_or_else(|| DUMMY.to_string());
    let pw = password.to_string();
    let ok = tokio::task::spawn_blocking(move || accounts::verify_password(&pw, &hash))
        .await
        .unwrap_or(false);
    let Some(acct) = acct.filter(|_| ok) else {
        limiter.fail(&acct_key, t);
        limiter.fail(&client_key, t);
        return Err(SignInError::Mismatch(FAILED_SIGN_IN.into()));
    };
    if let Some(secret) = acct.totp_secret.as_deref().filter(|s| !s.is_empty())
        && !accounts::totp_ok(secret, code)
    {
        limiter.fail(&acct_key, t);
        limiter.fail(&client_key, t);
        return Err(SignInError::Mismatch(
                "Enter the 6-digit code your authenticator app shows now (two-factor sign-in is on for this account).".into(),
            ));
    }
    let role: Role = acct
        .role
        .parse()
        .map_err(|_| SignInError::Mismatch(FAILED_SIGN_IN.into()))?;
    if !permissions::allows(role, Action::UseNewsroom) {
        return Err(SignInError::Mismatch(FAILED_SIGN_IN.into()));
    }
    let token = random_token();
    let csrf = random_token();
    app.store()
        .create_session(&token_hash(&token), acct.id, &csrf, t, t + SESSION_SECS)
        .await
        .map_err(|e| SignInError::Internal(e.into()))?;
    Ok((
        Staff {
            id: acct.id,
            username: acct.username,
            display_name: acct.display_name,
            role,
            csrf,
        },
        token,
    ))
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
