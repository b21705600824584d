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
    Ok(password)
}

/// The demo password of a demo staff member (printed at start-up; demo only).
pub fn demo_password(username: &str) -> String {
    format!("{username}-demo-2026")
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
