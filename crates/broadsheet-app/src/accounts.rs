//! Staff accounts: roles and passwords (argon2id, salted per password).

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use broadsheet_domain::permissions::Role;
use broadsheet_store::{NewAuthor, Store};
use rand::Rng;

use crate::{AppError, Result, now};

/// Shortest password we accept.
pub const MIN_PASSWORD: usize = 12;

pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Invalid(format!("cannot hash the password: {e}")))
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

/// Adds a staff member with a password.
pub async fn add_user(
    store: &Store,
    username: &str,
    name: &str,
    email: &str,
    role: Role,
    password: &str,
) -> Result<i64> {
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
    if store.author_by_username(username).await?.is_some() {
        return Err(AppError::Invalid(format!(
            "there is already a user called {username}: choose another username"
        )));
    }
    let mut slug = broadsheet_domain::permalink::slugify(name, 60);
    if store.author_by_slug(&slug).await?.is_some() {
        slug = format!(
            "{slug}-{}",
            broadsheet_domain::permalink::slugify(username, 20)
        );
    }
    let id = store
        .insert_author(
            &NewAuthor {
                username: username.to_string(),
                slug,
                display_name: name.trim().to_string(),
                email: email.trim().to_string(),
                role: role.as_str().to_string(),
                bio: String::new(),
            },
            now(),
        )
        .await?;
    store
        .set_author_password(id, &hash_password(password)?)
        .await?;
    Ok(id)
}

pub async fn set_role(store: &Store, username: &str, role: Role) -> Result<()> {
    let Some(user) = store.author_by_username(username).await? else {
        return Err(AppError::NotFound(format!(
            "there is no user called {username}: see `broadsheet user list`"
        )));
    };
    store.set_author_role(user.id, role.as_str()).await?;
    Ok(())
}

/// Sets a new password (a generated one if `password` is None) and returns it.
pub async fn reset_password(
    store: &Store,
    username: &str,
    password: Option<&str>,
) -> Result<String> {
    let Some(user) = store.author_by_username(username).await? else {
        return Err(AppError::NotFound(format!(
            "there is no user called {username}: see `broadsheet user list`"
        )));
    };
    let password = password
        .map(str::to_string)
        .unwrap_or_else(generate_password);
    check_password(&password)?;
    store
        .set_author_password(user.id, &hash_password(&password)?)
        .await?;
    // A new password ends every session signed in with the old one.
    store.delete_sessions_of(user.id).await?;
    Ok(password)
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

/// Whether `code` is right for `secret` now (or one step either side).
pub fn totp_ok(secret_b32: &str, code: &str) -> bool {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    code.len() == 6 && totp(secret_b32).is_some_and(|t| t.check(&code, now().max(0) as u64))
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

/// Changes one's own password: the current one must be right. Ends every
/// session (the caller signs in again).
pub async fn change_password(
    store: &Store,
    username: &str,
    current: &str,
    new: &str,
) -> Result<()> {
    let Some(acct) = store.author_by_username(username).await? else {
        return Err(AppError::NotFound("No such account.".into()));
    };
    if !verify_password(current, acct.password_hash.as_deref().unwrap_or("")) {
        return Err(AppError::Invalid(
            "The current password is not right.".into(),
        ));
    }
    check_password(new)?;
    reset_password(store, username, Some(new)).await?;
    Ok(())
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
    fn generated_passwords_are_long_enough() {
        let p = generate_password();
        assert_eq!(p.len(), 23);
        assert!(check_password(&p).is_ok());
        assert!(check_password("short").is_err());
    }
}
