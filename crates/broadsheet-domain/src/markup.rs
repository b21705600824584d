//! Story body markup: Markdown (CommonMark) typed by reporters, rendered to
//! HTML and cleaned with an allow-list, plus picture placeholders.
//!
//! A paragraph that is only `[picture:ID]` places picture ID there; the
//! caller supplies the figure HTML (built by our own templates, so trusted)
//! for each id it knows, and unknown pictures vanish. Everything a reporter
//! or a wire feed typed goes through [`ammonia`], so script, event handlers,
//! `javascript:` links, SVG and style never reach a page.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{Options, Parser, html};

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.add_tags([
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
    ])
    .add_tag_attributes("a", ["href"])
    .add_tag_attributes("ol", ["start"])
    .url_schemes(HashSet::from(["http", "https", "mailto"]))
    .link_rel(Some("noopener noreferrer nofollow"))
    .strip_comments(true);
    b
});

/// Cleans HTML with the body allow-list (also used for wire `body_html`).
pub fn sanitize(html: &str) -> String {
    CLEANER.clean(html).to_string()
}

/// The ids of pictures placed in a body, in order.
pub fn picture_ids(body: &str) -> Vec<i64> {
    blocks(body).filter_map(placeholder).collect()
}

/// Renders a body to safe HTML; `figure(id)` gives the HTML for a placed
/// picture (or `None` to drop it).
pub fn render(body: &str, figure: impl FnMut(i64) -> Option<String>) -> String {
    embeds(&render_pictures(body, figure))
}

fn render_pictures(body: &str, mut figure: impl FnMut(i64) -> Option<String>) -> String {
    let mut md = String::new();
    let parser = Parser::new_ext(body, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    html::push_html(&mut md, parser);
    let clean = sanitize(&md);
    // Placeholders survive cleaning as plain-text paragraphs.
    let mut out = String::with_capacity(clean.len() + 512);
    let mut rest = clean.as_str();
    while let Some(start) = rest.find("<p>[picture:") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "<p>[picture:".len()..];
        match after.find("]</p>") {
            Some(end) if after[..end].bytes().all(|b| b.is_ascii_digit()) && end > 0 => {
                if let Some(html) = after[..end].parse().ok().and_then(&mut figure) {
                    out.push_str(&html);
                }
                rest = &after[end + "]</p>".len()..];
            }
            _ => {
                out.push_str("<p>[picture:");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `[embed:https://…]` on a line of its own becomes a link to the content on
/// its own site: nothing is loaded from a third party until a reader chooses.
fn embeds(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<p>[embed:") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "<p>[embed:".len()..];
        let Some(end) = after.find("]</p>") else {
            out.push_str("<p>[embed:");
            rest = after;
            continue;
        };
        let url = &after[..end];
        let safe = url.starts_with("https://")
            && url.len() < 500
            && !url.contains(['"', '\'', '<', '>', ' ', '\n', '`']);
        if safe {
            let host = url["https://".len()..]
                .split(['/', '?', '#'])
                .next()
                .unwrap_or("")
                .trim_start_matches("www.");
            out.push_str(&format!(
                "<figure class=\"embed\"><p><a href=\"{url}\" rel=\"noopener noreferrer nofollow\">View this on {host}</a></p>\
                 <figcaption>Embedded content from {host}: it opens on their site.</figcaption></figure>"
            ));
        } else {
            out.push_str("<p>[embed:");
            out.push_str(url);
            out.push_str("]</p>");
        }
        rest = &after[end + "]</p>".len()..];
    }
    out.push_str(rest);
    out
}

/// The first `n` paragraphs (blocks separated by a blank line) of a body, as
/// markup: what a reader who is not entitled to the rest may see. Picture
/// placeholders do not count as paragraphs. Returns the whole body when it has
/// no more than `n` paragraphs.
pub fn lead_paragraphs(body: &str, n: usize) -> (String, bool) {
    let mut kept = Vec::new();
    let mut count = 0;
    let mut cut = false;
    for block in blocks(body) {
        if count == n {
            cut = true;
            break;
        }
        if placeholder(block).is_none() {
            count += 1;
        }
        kept.push(block);
    }
    (kept.join("\n\n"), cut)
}

/// Plain text of the first paragraph-ish content, for descriptions.
pub fn plain_text(body: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for block in blocks(body) {
        if placeholder(block).is_some() || block.starts_with('#') {
            continue;
        }
        for ch in block.chars() {
            if matches!(ch, '*' | '_' | '`' | '>' | '[' | ']') {
                continue;
            }
            out.push(if ch == '\n' { ' ' } else { ch });
        }
        out.push(' ');
        if out.chars().count() >= max_chars {
            break;
        }
    }
    let trimmed: String = out.trim().chars().take(max_chars).collect();
    trimmed
}

fn blocks(body: &str) -> impl Iterator<Item = &str> {
    body.split("\n\n").map(str::trim).filter(|b| !b.is_empty())
}

fn placeholder(block: &str) -> Option<i64> {
    block
        .strip_prefix("[picture:")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(id: i64) -> Option<String> {
        (id == 7).then(|| "<figure>seven</figure>".to_string())
    }

    #[test]
    fn renders_markdown_and_pictures() {
        let check = |input: &str, expected: &str| {
            assert_eq!(render(input, fig).trim(), expected, "{input}")
        };
        check("Hello *world*", "<p>Hello <em>world</em></p>");
        check("## Sub\n\nText", "<h2>Sub</h2>\n<p>Text</p>");
        check("> A quote", "<blockquote>\n<p>A quote</p>\n</blockquote>");
        check(
            "One\n\n[picture:7]\n\nTwo",
            "<p>One</p>\n<figure>seven</figure>\n<p>Two</p>",
        );
        check("[picture:8]", "");
        check("[picture:x]", "<p>[picture:x]</p>");
        check("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>");
        check(
            "[site](https://example.com)",
            "<p><a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\">site</a></p>",
        );
    }

    #[test]
    fn embeds_are_links_not_frames() {
        let html = render(
            "Intro.\n\n[embed:https://www.youtube.com/watch?v=abc&t=1]\n\n[embed:javascript:alert(1)]\n\n[embed:https://x.test/\"onmouseover=alert(1)]",
            |_| None,
        );
        assert!(
            html.contains("<a href=\"https://www.youtube.com/watch?v=abc&amp;t=1\""),
            "{html}"
        );
        assert!(html.contains("View this on youtube.com"));
        assert!(!html.contains("<iframe") && !html.contains("href=\"javascript"));
        assert!(!html.contains("onmouseover=alert(1)\""), "{html}");
    }

    /// Known XSS payloads: none may leave a script, handler, style or
    /// dangerous URL behind, and cleaning twice changes nothing.
    #[test]
    fn xss_corpus_is_neutralised() {
        let payloads = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "<svg onload=alert(1)><circle/></svg>",
            "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
            "<style>body{display:none}</style>",
            "<p style=\"background:url(javascript:alert(1))\">x</p>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<object data=\"x.swf\"></object>",
            "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
            "<textarea><script>alert(1)</script></textarea>",
            "<title><script>alert(1)</script></title>",
            "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
            "<form action=\"https://evil.example\"><button>x</button></form>",
            "<div onmouseover=\"alert(1)\">x</div>",
            "<a href=\"&#106;avascript:alert(1)\">x</a>",
            "<base href=\"https://evil.example/\">",
            "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
        ];
        for p in payloads {
            let out = render(p, fig).to_ascii_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onload",
                "onmouseover",
                "javascript:",
                "<svg",
                "<math",
                "<style",
                "style=",
                "<iframe",
                "<object",
                "<form",
                "<base",
                "<meta",
                "data:text",
                "<textarea",
                "<title",
                "<noscript",
                "<img",
            ] {
                assert!(!out.contains(bad), "{p:?} left {bad:?} in {out:?}");
            }
            let once = sanitize(p);
            assert_eq!(sanitize(&once), once, "sanitising twice differs for {p:?}");
        }
    }

    #[test]
    fn lead_paragraphs_cut() {
        let body = "One\n\n[picture:7]\n\nTwo\n\nThree";
        assert_eq!(
            lead_paragraphs(body, 2),
            ("One\n\n[picture:7]\n\nTwo".to_string(), true)
        );
        assert!(!lead_paragraphs(body, 3).1);
        assert_eq!(picture_ids(body), vec![7]);
        assert_eq!(plain_text("## Head\n\nA *b* c\n\nD", 5), "A b c");
    }
}
