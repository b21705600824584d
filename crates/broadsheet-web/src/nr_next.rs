//! Where staff sign-in returns to: `?next=` on the sign-in page, carried
//! through the form, followed after a successful sign-in. Only a newsroom
//! path on this site is followed ([`return_target`]); anything else (another
//! host as `//host` or `/\host`, a scheme, dot segments, encoded slashes or
//! backslashes, control characters) falls back to the dashboard.

/// The dashboard: where sign-in goes when `next` is absent or refused.
pub const DASHBOARD: &str = "/newsroom";

/// `next` if it is a newsroom path on this site (an optional query of
/// plain characters allowed), else `None`.
pub fn return_target(next: &str) -> Option<&str> {
    if next.len() > 1024 {
        return None;
    }
    let (path, query) = match next.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (next, None),
    };
    if path != DASHBOARD && !path.starts_with("/newsroom/") {
        return None;
    }
    crate::local_redirect_target(path)?;
    // Never back to the sign-in form or the sign-out action.
    if path.starts_with("/newsroom/sign-") {
        return None;
    }
    if let Some(q) = query {
        let b = q.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'%' => {
                    let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                    let byte = u8::from_str_radix(hex, 16).ok()?;
                    if byte.is_ascii_control() {
                        return None;
                    }
                    i += 3;
                }
                c if c.is_ascii_alphanumeric()
                    || matches!(c, b'-' | b'.' | b'_' | b'~' | b'=' | b'&' | b'+') =>
                {
                    i += 1;
                }
                _ => return None,
            }
        }
    }
    Some(next)
}

/// `s` percent-encoded for a query value (unreserved characters and `/` kept).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The sign-in page's address for someone who asked for `path_and_query`
/// while signed out (only GET requests to newsroom pages come back).
pub fn sign_in_for(path_and_query: &str) -> String {
    match return_target(path_and_query) {
        Some(t) if t != DASHBOARD => format!("/newsroom/sign-in?next={}", encode(t)),
        _ => "/newsroom/sign-in".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_newsroom_paths_on_this_site() {
        let table: &[(&str, Option<&str>)] = &[
            ("/newsroom", Some("/newsroom")),
            ("/newsroom/stories/42", Some("/newsroom/stories/42")),
            (
                "/newsroom/pictures?q=harbour+wall",
                Some("/newsroom/pictures?q=harbour+wall"),
            ),
            (
                "/newsroom/fronts/3?q=caf%C3%A9",
                Some("/newsroom/fronts/3?q=caf%C3%A9"),
            ),
            ("", None),
            ("//evil.example", None),
            ("//evil.example/newsroom", None),
            ("/\\evil.example", None),
            ("/newsroom/\\evil.example", None),
            ("/newsroom//evil.example", None),
            ("https://evil.example/newsroom", None),
            ("javascript:alert(1)", None),
            ("/newsroom/%2F%2Fevil.example", None),
            ("/newsroom/%5Cevil.example", None),
            ("%2Fnewsroom", None),
            ("/%2F/evil.example", None),
            ("/newsroom/../../evil", None),
            ("/newsroom/%2e%2e/x", None),
            ("/newsroom/x?a=%0d%0aSet-Cookie:x", None),
            ("/newsroom/x?a=<script>", None),
            ("/newsroom/x#frag", None),
            ("/newsroom\t/x", None),
            ("/newsroom/sign-in", None),
            ("/newsroom/sign-out", None),
            ("/account", None),
            ("/newsroomx", None),
        ];
        for (input, want) in table {
            assert_eq!(return_target(input), *want, "{input:?}");
        }
        assert_eq!(
            sign_in_for("/newsroom/stories/7?m=saved"),
            "/newsroom/sign-in?next=/newsroom/stories/7%3Fm%3Dsaved"
        );
        assert_eq!(sign_in_for("//evil.example"), "/newsroom/sign-in");
    }
}
