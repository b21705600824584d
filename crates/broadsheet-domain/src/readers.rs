//! Reader accounts as the rest of the paper sees them, and the pure rules
//! about them: what an email address must look like (and its one stored
//! form, lower-cased), display names, the purposes of mailed links and where an entitlement came from.

use std::fmt;

/// A reader's account (not staff: readers have no newsroom rights).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderAccount {
    pub id: i64,
    /// Lower-cased.
    pub email: String,
    pub display_name: String,
    /// The reader proved they read mail at `email` (a link, or a provider
    /// that says so).
    pub email_verified: bool,
    /// False for an account made through social sign-in or a magic link.
    pub has_password: bool,
    pub created_at: i64,
}

/// Longest email address accepted (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;
/// Longest display name accepted (characters).
pub const MAX_DISPLAY_NAME: usize = 80;

/// The one stored form of an email address (trimmed, lower-cased), or what
/// is wrong with it, in words for the reader.
pub fn normalise_email(raw: &str) -> Result<String, String> {
    let e = raw.trim().to_lowercase();
    if e.is_empty() {
        return Err("Enter your email address.".into());
    }
    if e.len() > MAX_EMAIL {
        return Err(format!(
            "That email address is longer than {MAX_EMAIL} characters: check it and try again."
        ));
    }
    let ok = match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
                && e.chars()
                    .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\"\\".contains(c))
        }
        None => false,
    };
    if ok {
        Ok(e)
    } else {
        Err(format!(
            "{:?} is not an email address: write it like name@example.com.",
            raw.trim().chars().take(60).collect::<String>()
        ))
    }
}

/// A display name as stored (trimmed, inner runs of white space made one
/// space), or what is wrong with it.
pub fn clean_display_name(raw: &str) -> Result<String, String> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err("Enter a name to show with your comments and in your account.".into());
    }
    if name.chars().count() > MAX_DISPLAY_NAME {
        return Err(format!(
            "That name is longer than {MAX_DISPLAY_NAME} characters: shorten it."
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("That name has characters that cannot be shown: remove them.".into());
    }
    Ok(name)
}

/// What a mailed one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Prove an address (after sign-up, or to change to a new address).
    Verify,
    /// Sign in (or sign up) without a password.
    Magic,
    /// Choose a new password.
    Reset,
}

impl TokenPurpose {
    pub fn as_str(&self) -> &'static str {
        match self {
            TokenPurpose::Verify => "verify",
            TokenPurpose::Magic => "magic",
            TokenPurpose::Reset => "reset",
        }
    }

    pub fn parse(s: &str) -> Option<TokenPurpose> {
        match s {
            "verify" => Some(TokenPurpose::Verify),
            "magic" => Some(TokenPurpose::Magic),
            "reset" => Some(TokenPurpose::Reset),
            _ => None,
        }
    }
}

/// Where a reader's right to read paid text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntitlementSource {
    /// A paid subscription (reference: the payment provider's id).
    Subscription,
    /// Given by staff (reference: their note).
    Grant,
    /// Through an organisation (reference: its id).
    Group,
}

impl EntitlementSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            EntitlementSource::Subscription => "subscription",
            EntitlementSource::Grant => "grant",
            EntitlementSource::Group => "group",
        }
    }

    pub fn parse(s: &str) -> Option<EntitlementSource> {
        match s {
            "subscription" => Some(EntitlementSource::Subscription),
            "grant" => Some(EntitlementSource::Grant),
            "group" => Some(EntitlementSource::Group),
            _ => None,
        }
    }
}

impl fmt::Display for EntitlementSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an entitlement running from `starts_at` to `ends_at` (open when
/// `None`) holds at `now`: the one rule, also written as SQL in the store.
pub fn entitlement_holds(starts_at: i64, ends_at: Option<i64>, now: i64) -> bool {
    starts_at <= now && ends_at.is_none_or(|e| e > now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            normalise_email("  Ann.Reader@Example.COM "),
            Ok("ann.reader@example.com".to_string())
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann@@example.com",
            "ann reader@example.com",
            "ann@example..com",
            "<ann@example.com>",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad:?} accepted");
        }
        assert!(normalise_email(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn display_names_are_tidied() {
        assert_eq!(
            clean_display_name("  Ann   Reader "),
            Ok("Ann Reader".into())
        );
        assert!(clean_display_name("   ").is_err());
        assert!(clean_display_name(&"x".repeat(MAX_DISPLAY_NAME + 1)).is_err());
    }

    #[test]
    fn an_entitlement_holds_from_its_start_until_its_end() {
        assert!(!entitlement_holds(100, None, 99));
        assert!(entitlement_holds(100, None, 100));
        assert!(entitlement_holds(100, Some(200), 199));
        assert!(!entitlement_holds(100, Some(200), 200));
    }

    #[test]
    fn purposes_and_sources_round_trip() {
        for p in [
            TokenPurpose::Verify,
            TokenPurpose::Magic,
            TokenPurpose::Reset,
        ] {
            assert_eq!(TokenPurpose::parse(p.as_str()), Some(p));
        }
        for s in [
            EntitlementSource::Subscription,
            EntitlementSource::Grant,
            EntitlementSource::Group,
        ] {
            assert_eq!(EntitlementSource::parse(s.as_str()), Some(s));
        }
    }
}
