//! Fuzz target: the story-body renderer. For any body: no panic; the output
//! cleaned again is unchanged (SECURITY.md rule 4); only allow-listed tags
//! and attributes, no `<script`/`<style`, no `on…=` handler, no script URL.

#![no_main]

use broadsheet_domain::markup;
use libfuzzer_sys::fuzz_target;

const TAGS: &[&str] = &[
    "p",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "br",
    "hr",
    "sub",
    "sup",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "figure",
    "figcaption",
];
const ATTRIBUTES: &[&str] = &["href", "rel", "start", "class", "lang"];

/// Tags and attribute names in serialised HTML (values are always quoted
/// with `"`, which never occurs inside one).
fn check_markup(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(
        !lower.contains("<script") && !lower.contains("<style"),
        "{html}"
    );
    let b = html.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        i += 1;
        if b.get(i) == Some(&b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let name = &html[start..i];
        assert!(TAGS.contains(&name), "tag {name:?} in {html}");
        // Attributes up to '>'.
        loop {
            while i < b.len() && b[i] == b' ' {
                i += 1;
            }
            match b.get(i) {
                None => panic!("unterminated tag in {html}"),
                Some(b'>') => {
                    i += 1;
                    break;
                }
                Some(b'/') => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
            let a = i;
            while i < b.len() && !matches!(b[i], b'=' | b' ' | b'>') {
                i += 1;
            }
            let attr = html[a..i].to_ascii_lowercase();
            assert!(
                ATTRIBUTES.contains(&attr.as_str()),
                "attribute {attr:?} in {html}"
            );
            if b.get(i) == Some(&b'=') {
                i += 1;
                assert_eq!(b.get(i), Some(&b'"'), "unquoted value in {html}");
                let v = i + 1;
                let end = v + html[v..].find('"').expect("closing quote");
                let value = html[v..end].to_ascii_lowercase();
                if attr == "href"
                    && let Some((scheme, _)) = value.split_once(':')
                {
                    // A scheme is a letter then letters, digits, + . -;
                    // anything else before ':' makes a relative address.
                    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                        && scheme
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
                    assert!(
                        !is_scheme || ["http", "https", "mailto"].contains(&scheme),
                        "href {value:?} in {html}"
                    );
                }
                i = end + 1;
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    // Pictures with even ids are known; their figure is clean HTML.
    let html = markup::render(body, |id| {
        (id % 2 == 0).then(|| format!("<p>Picture {id}</p>\n"))
    });
    assert_eq!(
        markup::sanitize(&html),
        html,
        "cleaning again changed the output"
    );
    check_markup(&html);
    let _ = markup::check(body);
    let _ = markup::picture_ids(body);
    let _ = markup::plain_text(body, 160);
});
