//! The links the paper puts in every reader page's footer (about, contact,
//! terms, privacy, …): set in the configuration file, checked once at start
//! so that a page never links to something malformed.

/// One footer link, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FooterLink {
    pub label: String,
    /// An `https://` or `http://` address, or a path on this site (`/…`).
    pub url: String,
}

/// Longest label accepted, in characters.
pub const MAX_LABEL_CHARS: usize = 60;
/// Most links accepted.
pub const MAX_LINKS: usize = 20;

impl FooterLink {
    /// Checks a configured link: the error says which one and what to change.
    pub fn new(label: &str, url: &str) -> Result<FooterLink, String> {
        let label = label.trim();
        let url = url.trim();
        if label.is_empty() {
            return Err(format!(
                "footer link {url:?} has no label: give it one, such as label = \"About us\""
            ));
        }
        if label.chars().count() > MAX_LABEL_CHARS {
            return Err(format!(
                "footer link label {label:?} is longer than {MAX_LABEL_CHARS} characters: shorten it"
            ));
        }
        let absolute = ["https://", "http://"]
            .iter()
            .any(|p| url.len() > p.len() && url.starts_with(p));
        let local = url.starts_with('/') && !url.starts_with("//");
        if !(absolute || local) || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "footer link {label:?} has the address {url:?}: use an https:// address or a path on this site starting with /"
            ));
        }
        Ok(FooterLink {
            label: label.to_string(),
            url: url.to_string(),
        })
    }
}

/// Checks a whole list (at most [`MAX_LINKS`]).
pub fn links(pairs: &[(String, String)]) -> Result<Vec<FooterLink>, String> {
    if pairs.len() > MAX_LINKS {
        return Err(format!(
            "{} footer links are configured; the most is {MAX_LINKS}",
            pairs.len()
        ));
    }
    pairs.iter().map(|(l, u)| FooterLink::new(l, u)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_checked() {
        assert!(FooterLink::new("About us", "/about").is_ok());
        assert!(FooterLink::new("Contact", "https://example.com/contact").is_ok());
        for (l, u) in [
            ("", "/about"),
            ("Evil", "javascript:alert(1)"),
            ("Other site", "//evil.example"),
            ("Spaces", "/a b"),
            ("Nothing", "https://"),
        ] {
            assert!(FooterLink::new(l, u).is_err(), "{l} {u}");
        }
        let e = FooterLink::new("Evil", "javascript:alert(1)")
            .err()
            .unwrap_or_default();
        assert!(e.contains("https://") && e.contains("Evil"), "{e}");
    }
}
