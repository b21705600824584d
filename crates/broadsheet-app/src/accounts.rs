//! Staff accounts: roles and passwords (argon2id, salted per password). The
//! user commands take the actor, check `ManageStaff`, and write an audit row
//! in the same transaction as the change.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use broadsheet_domain::Actor;
use broadsheet_domain::permissions::{Action, Role};
use broadsheet_store::{NewAuthor, Store, StoreError};
use rand::Rng;

use crate::{App, AppError, Result, now};

/// Shortest password we accept.
pub const MIN_PASSWORD: usize = 12;

pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("cannot hash the password: {e}")))
}

/// True if `password` matches the stored hash; false for any malformed hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A random password of 20 letters and digits (no look-alikes), grouped for reading.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    chars
        .chunks(5)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

pub fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(AppError::Invalid(format!(
            "the password is too short: use at least {MIN_PASSWORD} characters"
        )));
    }
    Ok(())
}

fn check_username(username: &str) -> Result<()> {
    let ok = !username.is_empty()
        && username.len() <= 40
        && username.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'_'
        });
    if ok {
        Ok(())
    } else {
        Err(AppError::Invalid(format!(
            "username {username:?} is not valid: use 1 to 40 lower-case letters, digits, dots, dashes or underscores"
        )))
    }
}

fn may_manage_staff(actor: &Actor) -> Result<()> {
    if actor.allows(Action::ManageStaff) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Your role does not allow you to manage staff accounts.".into(),
        ))
    }
}

async fn user_named(store: &Store, username: &str) -> Result<broadsheet_store::StaffAccount> {
    store.author_by_username(username).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "there is no user called {username}: see `broadsheet user list`"
        ))
    })
}

/// Adds a staff member with a password (needs `ManageStaff`; audited).
pub async fn add_user(
    app: &App,
    actor: &Actor,
    username: &str,
    name: &str,
    email: &str,
    role: Role,
    password: &str,
) -> Result<i64> {
    may_manage_staff(actor)?;
    let store = app.store();
    check_username(username)?;
    check_password(password)?;
    if name.trim().is_empty() {
        return Err(AppError::Invalid(
            "the display name is empty: give --name \"First Last\"".into(),
        ));
    }
    if !email.contains('@') {
        return Err(AppError::Invalid(format!(
            "{email:?} is not an email address"
        )));
    }
    let taken = || {
        AppError::Invalid(format!(
            "there is already a user called {username}: choose another username"
        ))
    };
    if store.author_by_username(username).await?.is_some() {
        return Err(taken());
    }
    let mut slug = broadsheet_domain::permalink::slugify(name, 60);
    if store.author_by_slug(&slug).await?.is_some() {
        slug = format!(
            "{slug}-{}",
            broadsheet_domain::permalink::slugify(username, 20)
        );
    }
    let hash = hash_password(password)?;
    let t = now();
    let mut tx = store.begin().await?;
    // The checks above can lose a race with another `user add`: the
    // database's unique keys settle it, and the loser gets words, not a 500.
    let id = match tx
        .insert_author(
            &NewAuthor {
                username: username.to_string(),
                slug: slug.clone(),
                display_name: name.trim().to_string(),
                email: email.trim().to_string(),
                role: role.as_str().to_string(),
                bio: String::new(),
            },
            t,
        )
        .await
    {
        Err(StoreError::Conflict(c)) if c == "authors_username_key" => return Err(taken()),
        Err(StoreError::Conflict(c)) if c == "authors_slug_key" => {
            drop(tx);
            if store.author_by_username(username).await?.is_some() {
                return Err(taken());
            }
            return Err(AppError::Invalid(format!(
                "there is already an author page at /authors/{slug}: give a different display name"
            )));
        }
        r => r?,
    };
    tx.set_author_password(id, &hash).await?;
    tx.audit(actor, "add-user", None, &format!("{username} as {role}"), t)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a staff member's role (needs `ManageStaff`; audited).
pub async fn set_role(app: &App, actor: &Actor, username: &str, role: Role) -> Result<()> {
    may_manage_staff(actor)?;
    let user = user_named(app.store(), username).await?;
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.set_author_role(user.id, role.as_str()).await?;
    tx.audit(
        actor,
        "set-role",
        None,
        &format!("{username}: {} to {role}", user.role),
        t,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the password and ends the sessions, with the audit row, in one transaction.
async fn set_password(
    store: &Store,
    actor: &Actor,
    user: &broadsheet_store::StaffAccount,
    password: &str,
    action: &str,
) -> Result<()> {
    check_password(password)?;
    let hash = hash_password(password)?;
    let t = now();
    let mut tx = store.begin().await?;
    tx.set_author_password(user.id, &hash).await?;
    // A new password ends every session signed in with the old one.
    tx.end_sessions_of(user.id).await?;
    tx.audit(actor, action, None, &user.username, t).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password (a generated one if `password` is None) and returns
/// it; ends the person's sessions (needs `ManageStaff`; audited).
pub async fn reset_password(
    app: &App,
    actor: &Actor,
    username: &str,
    password: Option<&str>,
) -> Result<String> {
    may_manage_staff(actor)?;
    let user = user_named(app.store(), username).await?;
    let password = password
        .map(str::to_string)
        .unwrap_or_else(generate_password);
    set_password(app.store(), actor, &user, &password, "reset-password").await?;
    Ok(password)
}

/// Turns two-factor sign-in off for `username`: the one door for it (the
/// CLI's `user reset --clear-two-factor`, and the account page when someone
/// turns off their own). Needs `ManageStaff`, or to be that person; audited.
pub async fn clear_two_factor(app: &App, actor: &Actor, username: &str) -> Result<()> {
    let user = user_named(app.store(), username).await?;
    if actor.staff_id() != Some(user.id) {
        may_manage_staff(actor)?;
    }
    let t = now();
    let mut tx = app.store().begin().await?;
    tx.clear_two_factor(user.id).await?;
    tx.audit(actor, "clear-two-factor", None, username, t)
        .await?;
    tx.commit().await?;
    Ok(())
}

// ----- two-factor sign-in (TOTP, RFC 6238: SHA-1, 6 digits, 30 s, ±1 step) -----

fn totp(secret_b32: &str) -> Option<totp_rs::TOTP> {
    let bytes = totp_rs::Secret::Encoded(secret_b32.to_string())
        .to_bytes()
        .ok()?;
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes).ok()
}

/// A new random secret, base32, for an authenticator app.
pub fn new_totp_secret() -> String {
    let mut b = [0u8; 20];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut b);
    totp_rs::Secret::Raw(b.to_vec()).to_encoded().to_string()
}

/// Whether `secret` is a usable two-factor key (base32, at least 128 bits).
pub fn totp_secret_ok(secret_b32: &str) -> bool {
    secret_b32.len() <= 128 && totp(secret_b32).is_some()
}

/// Whether `code` is right for `secret` now (or one step either side).
/// This alone does not stop a replay: sign-in uses [`totp_step`] and
/// records the step.
pub fn totp_ok(secret_b32: &str, code: &str) -> bool {
    totp_step(secret_b32, code, now()).is_some()
}

/// The 30-second time step `code` belongs to for `secret` at unix time `t`
/// (the step of `t`, or one either side), the newest if several match;
/// `None` if it is not right. Compared in constant time.
pub fn totp_step(secret_b32: &str, code: &str, t: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 {
        return None;
    }
    let totp = totp(secret_b32)?;
    let now_step = t.max(0) / 30;
    (now_step - 1..=now_step + 1).rev().find(|step| {
        let want = totp.generate((step.max(&0) * 30) as u64);
        want.len() == code.len()
            && want
                .bytes()
                .zip(code.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    })
}

/// The code for `secret` at unix time `t` (tests, and showing the setup works).
pub fn totp_code(secret_b32: &str, t: i64) -> String {
    totp(secret_b32)
        .map(|x| x.generate(t.max(0) as u64))
        .unwrap_or_default()
}

/// The `otpauth://` address authenticator apps take.
pub fn otpauth_url(secret_b32: &str, username: &str, issuer: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(username),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_salt() -> Result<()> {
        let a = hash_password("correct horse battery")?;
        let b = hash_password("correct horse battery")?;
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("correct horse batterY", &a));
        assert!(!verify_password("anything", "not a hash"));
        Ok(())
    }

    #[test]
    fn a_code_names_its_time_step() {
        let secret = new_totp_secret();
        assert!(totp_secret_ok(&secret));
        assert!(!totp_secret_ok("not base32!"));
        let t = 1_800_000_015;
        let step = t / 30;
        assert_eq!(totp_step(&secret, &totp_code(&secret, t), t), Some(step));
        assert_eq!(
            totp_step(&secret, &totp_code(&secret, t + 30), t),
            Some(step + 1),
            "one step of clock skew either side"
        );
        assert_eq!(totp_step(&secret, &totp_code(&secret, t + 95), t), None);
        assert_eq!(totp_step(&secret, "12345", t), None);
    }

    #[test]
    fn generated_passwords_are_long_enough() {
        let p = generate_password();
        assert_eq!(p.len(), 23);
        assert!(check_password(&p).is_ok());
        assert!(check_password("short").is_err());
    }
}
