//! Agency copy (issue 14): what an agency item is once read, from IPTC
//! ninjs (1.x, 2.x, 3.x; [`ninjs`]) or NewsML-G2 ([`newsml`]), and the
//! cleaning every item gets before a reader sees it: picture-desk slugs
//! ("APTOPIX"), editorial notes and transmission junk are taken out of
//! headlines and paragraphs (kept aside as notes for the desk), and the
//! body becomes Broadsheet markup with every Markdown character escaped, so
//! agency text can never become markup. No I/O.
//!
//! Parsing is lenient about names and shapes (agencies ship variants:
//! `versionCreated` or `versioncreated`, `headlines` or `headline_main`,
//! renditions as a map or a list) and strict about safety: a size limit,
//! no DTD (so no entity expansion and no external entities), only UTF-8.

pub mod newsml;
pub mod ninjs;
pub mod rules;

/// The largest file read (bytes); agencies' text items are a few KB.
pub const MAX_BYTES: usize = 5 << 20;

/// Why a file could not be read. The message says what was wrong, for the
/// operator and the newsroom's alert.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("the file is {0} bytes, over the {MAX_BYTES}-byte limit for an agency file")]
    TooLarge(usize),
    #[error("the file is not UTF-8 text: {0}")]
    Encoding(String),
    #[error("the file is not well-formed: {0}")]
    Malformed(String),
    #[error(
        "the file declares a DTD (<!DOCTYPE …>), which is refused: entities are never expanded"
    )]
    Dtd,
    #[error("the file is not ninjs or NewsML-G2: {0}")]
    Unknown(String),
}

/// What kind of item it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    Text,
    Picture,
    /// Video, audio, a graphic, an event, a package…: not made into a story.
    Other(String),
}

/// Whether the item may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PubStatus {
    Usable,
    /// Held back by the agency for now (unpublish until a usable version).
    Withheld,
    /// Killed: take it down everywhere.
    Canceled,
}

impl PubStatus {
    /// Reads IPTC's codes (`usable`, `stat:usable`, `withheld`,
    /// `canceled`/`cancelled`); anything else is usable.
    pub fn parse(s: &str) -> PubStatus {
        let s = s.trim().to_ascii_lowercase();
        let code = s.rsplit(':').next().unwrap_or("");
        match code {
            "withheld" => PubStatus::Withheld,
            "canceled" | "cancelled" | "kill" | "killed" => PubStatus::Canceled,
            _ => PubStatus::Usable,
        }
    }
}

/// One rendition of a picture.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rendition {
    pub href: String,
    pub name: String,
    pub mime: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// A picture that comes with an item (or is the item).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WirePicture {
    pub caption: String,
    pub credit: String,
    pub renditions: Vec<Rendition>,
}

impl WirePicture {
    /// The rendition to fetch: the widest raster image, else the first.
    pub fn best(&self) -> Option<&Rendition> {
        self.renditions
            .iter()
            .filter(|r| {
                r.mime
                    .as_deref()
                    .is_none_or(|m| m.starts_with("image/") && m != "image/svg+xml")
            })
            .max_by_key(|r| r.width.unwrap_or(0))
            .or(self.renditions.first())
    }
}

/// An agency item as read, before cleaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireItem {
    /// The agency's id for the item (`uri`, `guid`).
    pub id: String,
    /// Its version: the `version` given, else the time it was made (unix
    /// seconds), else 1. A higher version replaces a lower one.
    pub version: i64,
    pub kind: ItemKind,
    pub status: PubStatus,
    pub headline: String,
    /// The named writer(s), if any.
    pub byline: Option<String>,
    /// Paragraphs of plain text.
    pub paragraphs: Vec<String>,
    /// 1 (flash) to 9 (lowest); 1 to 3 mean breaking news.
    pub urgency: Option<u8>,
    /// BCP 47, such as `en-GB`.
    pub language: Option<String>,
    /// Subject names (IPTC media topics or the agency's own).
    pub subjects: Vec<String>,
    /// Place names.
    pub places: Vec<String>,
    /// Not to be published before this time (unix seconds).
    pub embargo: Option<i64>,
    /// Notes to editors from the agency (never shown to readers).
    pub notes: Vec<String>,
    /// The item's own picture (a picture item) or its associated ones.
    pub pictures: Vec<WirePicture>,
    /// Copyright notice or credit line.
    pub credit: Option<String>,
    /// A text item whose body is not inline but by reference (NewsML-G2's
    /// `remoteContent` of a text type): the app fetches it.
    pub remote_body: Option<Rendition>,
}

impl WireItem {
    pub(crate) fn new(id: String) -> WireItem {
        WireItem {
            id,
            version: 1,
            kind: ItemKind::Text,
            status: PubStatus::Usable,
            headline: String::new(),
            byline: None,
            paragraphs: Vec::new(),
            urgency: None,
            language: None,
            subjects: Vec::new(),
            places: Vec::new(),
            embargo: None,
            notes: Vec::new(),
            pictures: Vec::new(),
            credit: None,
            remote_body: None,
        }
    }

    /// Urgency 1 to 3: breaking news.
    pub fn breaking(&self) -> bool {
        self.urgency.is_some_and(|u| (1..=3).contains(&u))
    }
}

/// Reads a file in either format, by its first non-blank character (`{`:
/// ninjs, `<`: NewsML-G2).
pub fn parse(bytes: &[u8]) -> Result<Vec<WireItem>, WireError> {
    let text = text_of(bytes)?;
    match text.trim_start().chars().next() {
        Some('{') | Some('[') => ninjs::parse_str(text),
        Some('<') => newsml::parse_str(text),
        _ => Err(WireError::Unknown(
            "it starts with neither { (ninjs) nor < (NewsML-G2)".into(),
        )),
    }
}

/// The bytes as UTF-8 text (a byte-order mark is dropped), within the size limit.
pub(crate) fn text_of(bytes: &[u8]) -> Result<&str, WireError> {
    if bytes.len() > MAX_BYTES {
        return Err(WireError::TooLarge(bytes.len()));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| WireError::Encoding(e.to_string()))
}

/// Whether a content type is text a body can be read from (HTML, XHTML,
/// NITF, plain text), not a picture or other media.
pub fn is_text_type(mime: &str) -> bool {
    let m = mime.trim().to_ascii_lowercase();
    m.starts_with("text/") || m.contains("html") || m.contains("nitf")
}

/// The paragraphs of a body fetched by reference, read by its type.
pub fn paragraphs_of(mime: &str, text: &str) -> Vec<String> {
    let m = mime.to_ascii_lowercase();
    if m.contains("html") || m.contains("xml") || m.contains("nitf") {
        paragraphs_of_html(text)
    } else {
        paragraphs_of_text(text)
    }
}

/// Reads an ISO 8601 / RFC 3339 time (with or without seconds or zone;
/// a time without a zone is taken as UTC) as unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(ts.as_second());
    }
    let dt = s.parse::<jiff::civil::DateTime>().ok()?;
    dt.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_second())
}

/// Splits plain text into paragraphs at blank lines (single line breaks
/// inside a paragraph become spaces).
pub fn paragraphs_of_text(text: &str) -> Vec<String> {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

/// The paragraphs of an HTML or XHTML body: each `<p>` (and each heading
/// or list item) is one; markup is dropped and entities decoded.
pub fn paragraphs_of_html(html: &str) -> Vec<String> {
    // Keep only the block tags that separate paragraphs, then split on them.
    let cleaned = ammonia::Builder::empty()
        .add_tags([
            "p",
            "li",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "blockquote",
            "br",
        ])
        .clean(html)
        .to_string();
    let mut out = Vec::new();
    let mut rest = cleaned.as_str();
    let mut current = String::new();
    while let Some(i) = rest.find('<') {
        current.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('>') else {
            break;
        };
        let tag = &rest[i + 1..i + j];
        if tag.starts_with("br") {
            current.push(' ');
        } else {
            flush(&mut out, &mut current);
        }
        rest = &rest[i + j + 1..];
    }
    current.push_str(rest);
    flush(&mut out, &mut current);
    out
}

fn flush(out: &mut Vec<String>, current: &mut String) {
    let text = decode_entities(current);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if !text.is_empty() {
        out.push(text);
    }
    current.clear();
}

/// Undoes the escaping of the HTML serializer (`&amp;`, `&lt;`, `&gt;`,
/// `&quot;`, `&#39;`, `&nbsp;`, and numeric references).
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = after;
            continue;
        };
        let name = &after[..end];
        let ch = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

// ----- cleaning ---------------------------------------------------------------------

/// Words agencies put in front of a headline for their own desks.
const HEADLINE_SLUGS: &[&str] = &[
    "APTOPIX",
    "AP PHOTOS:",
    "AP PHOTOS",
    "URGENT:",
    "URGENT",
    "FLASH:",
    "BULLETIN:",
    "ADVISORY:",
    "CORRECTED:",
    "CORRECTED-",
    "REFILE-",
    "REFILE:",
    "RPT-",
    "UPDATE:",
    "BC-",
];

/// A headline without desk slugs ("APTOPIX", "UPDATE 2-", "BC-…") or
/// surrounding space.
pub fn clean_headline(h: &str) -> String {
    let mut s = h.split_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        let before = s.clone();
        for slug in HEADLINE_SLUGS {
            if s.len() >= slug.len() && s[..slug.len()].eq_ignore_ascii_case(slug) {
                s = s[slug.len()..].trim_start().to_string();
            }
        }
        // "UPDATE 2-", "UPDATE 3-" (Reuters-style)
        if let Some(rest) = s.strip_prefix("UPDATE ") {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if !digits.is_empty() && rest[digits.len()..].starts_with('-') {
                s = rest[digits.len() + 1..].trim_start().to_string();
            }
        }
        if s == before {
            break;
        }
    }
    s.trim_matches(|c: char| c == '-' || c.is_whitespace())
        .to_string()
}

/// Whether a paragraph is a note to editors rather than copy: "EDITOR'S
/// NOTE …", "Eds: …", "(Corrects …)" (kept for the desk).
pub fn is_note(p: &str) -> bool {
    let upper = p.trim().to_ascii_uppercase();
    [
        "EDITOR'S NOTE",
        "EDITORS NOTE",
        "EDITOR’S NOTE",
        "EDS:",
        "EDS NOTE",
        "(CORRECTS",
        "(ADDS",
        "(UPDATES",
        "(REFILES",
    ]
    .iter()
    .any(|prefix| upper.starts_with(prefix))
}

/// Whether a paragraph is transmission junk (dropped): "ENDS", "-- more --",
/// rules of underscores or dashes, an "AP-WF-…" line.
pub fn is_junk(p: &str) -> bool {
    let t = p.trim();
    let upper = t.to_ascii_uppercase();
    upper.starts_with("AP-WF-")
        || [
            "ENDS",
            "END",
            "MORE",
            "-- MORE --",
            "(MORE)",
            "# # #",
            "###",
        ]
        .contains(&upper.as_str())
        || (!t.is_empty() && t.chars().all(|c| matches!(c, '_' | '-' | '=' | '*' | ' ')))
}

/// Takes notes and junk out of the paragraphs (returned as notes) and desk
/// slugs out of the headline.
pub fn clean(item: &mut WireItem) {
    item.headline = clean_headline(&item.headline);
    let (notes, copy): (Vec<String>, Vec<String>) = item
        .paragraphs
        .drain(..)
        .filter(|p| !is_junk(p))
        .partition(|p| is_note(p));
    item.paragraphs = copy;
    item.notes.extend(notes);
    if let Some(b) = &item.byline {
        let b = b.split_whitespace().collect::<Vec<_>>().join(" ");
        let b = b
            .strip_prefix("By ")
            .or_else(|| b.strip_prefix("by "))
            .or_else(|| b.strip_prefix("BY "))
            .unwrap_or(&b)
            .to_string();
        item.byline = (!b.is_empty()).then_some(b);
    }
}

/// Paragraphs as Broadsheet markup: one Markdown paragraph each, every
/// character that Markdown or HTML would read as markup escaped.
pub fn to_markup(paragraphs: &[String]) -> String {
    paragraphs
        .iter()
        .map(|p| escape_markdown(p))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn escape_markdown(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 8);
    // Where a leading number ends ("1." would start a list).
    let digits = p.chars().take_while(char::is_ascii_digit).count();
    for (i, c) in p.chars().enumerate() {
        let at_start = i == 0;
        let after_number = digits > 0 && i == digits;
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '#' | '-' | '+' | '=' if at_start => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if after_number => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desk_slugs_leave_headlines() {
        assert_eq!(
            clean_headline("APTOPIX Kelderby Harbour Storm"),
            "Kelderby Harbour Storm"
        );
        assert_eq!(
            clean_headline("UPDATE 2-Ferry talks resume"),
            "Ferry talks resume"
        );
        assert_eq!(clean_headline("  URGENT: Bridge closed "), "Bridge closed");
        assert_eq!(
            clean_headline("Update on the bridge"),
            "Update on the bridge"
        );
    }

    #[test]
    fn notes_and_junk_are_not_copy() {
        for n in [
            "EDITOR'S NOTE: This story contains language some may find offensive.",
            "Eds: Updates with quotes.",
            "(Corrects spelling of name in paragraph 3)",
        ] {
            assert!(is_note(n), "{n}");
        }
        for j in ["___", "ENDS", "-- more --", "AP-WF-12-01-26 0930GMT"] {
            assert!(is_junk(j), "{j}");
        }
        assert!(!is_note("The council met on Monday."));
        assert!(!is_junk("The council met on Monday."));
        let mut item = WireItem::new("x".into());
        item.headline = "APTOPIX Storm".into();
        item.byline = Some("By  Ann Writer".into());
        item.paragraphs = vec!["Eds: adds picture".into(), "Copy.".into(), "___".into()];
        clean(&mut item);
        assert_eq!(item.headline, "Storm");
        assert_eq!(item.byline.as_deref(), Some("Ann Writer"));
        assert_eq!(item.paragraphs, vec!["Copy."]);
        assert_eq!(item.notes, vec!["Eds: adds picture"]);
    }

    #[test]
    fn agency_text_never_becomes_markup() {
        let m = to_markup(&[
            "# Not a heading [link](javascript:alert(1)) <script>x</script> *no* 1. list".into(),
        ]);
        let html = crate::markup::render(&m, |_| None);
        assert!(!html.contains("<h1") && !html.contains("<a ") && !html.contains("<script"));
        assert!(!html.contains("<em>") && !html.contains("<ol"));
        assert!(html.contains("# Not a heading"), "{html}");
    }

    #[test]
    fn html_bodies_become_paragraphs() {
        let p = paragraphs_of_html(
            "<p>One &amp; two.</p> <p>Three<br>four <b>bold</b>.</p><ul><li>Item</li></ul><script>bad()</script>",
        );
        assert_eq!(p, vec!["One & two.", "Three four bold.", "Item"]);
        assert_eq!(
            paragraphs_of_text("First line\nsame paragraph.\n\nSecond."),
            vec!["First line same paragraph.", "Second."]
        );
    }

    #[test]
    fn times_and_statuses_are_read_leniently() {
        assert_eq!(parse_time("2013-07-09T10:37:00Z"), Some(1_373_366_220));
        assert_eq!(parse_time("2018-11-21T16:25:32-05:00"), Some(1_542_835_532));
        assert_eq!(parse_time("2013-07-09T10:37:00"), Some(1_373_366_220));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(PubStatus::parse("stat:canceled"), PubStatus::Canceled);
        assert_eq!(PubStatus::parse("withheld"), PubStatus::Withheld);
        assert_eq!(PubStatus::parse("stat:usable"), PubStatus::Usable);
    }
}
