//! Tests of the body markup: rendering, placeholders, embeds, the XSS corpus,
//! raw-text tags, nesting limits and the preview cut.

use super::*;

fn fig(id: i64) -> Option<String> {
    (id == 7).then(|| "<figure>seven</figure>".to_string())
}

#[test]
fn renders_markdown_and_pictures() {
    let check =
        |input: &str, expected: &str| assert_eq!(render(input, fig).trim(), expected, "{input}");
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

/// Placeholders are found by the parser's blocks too: a "blank" line holding
/// a space, a tab or a no-break space still separates them.
#[test]
fn placeholders_after_whitespace_only_lines() {
    for sep in ["\n \n", "\n\t\n", "\r\n \r\n", "\n\u{a0}\n", "\n\u{200b}\n"] {
        let body = format!("One{sep}[picture:7]{sep}[embed:https://www.youtube.com/watch?v=abc]");
        assert_eq!(picture_ids(&body), vec![7], "{body:?}");
        let html = render(&body, fig);
        assert!(html.contains("<figure>seven</figure>"), "{body:?}: {html}");
        assert!(
            html.contains("View this on youtube.com"),
            "{body:?}: {html}"
        );
    }
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

/// The label names the host the link really goes to; addresses that could
/// mislead (userinfo, IP literals, other schemes) are shown as typed text.
#[test]
fn embed_label_is_the_real_host() {
    let refused = [
        "https://youtube.com:443@evil.example/x",
        "https://youtube.com@evil.example/x",
        "https://user:pass@evil.example/x",
        "https://@evil.example/x",
        "https://127.0.0.1/x",
        "https://[::1]/x",
        "https://0x7f.1/x",
        "http://youtube.com/x",
        "ftp://youtube.com/x",
        "javascript:alert(1)",
        "https://localhost/x",
        "https://youtube.com/x y",
        "https://youtube.com\\@evil.example/",
    ];
    for url in refused {
        let html = render(&format!("[embed:{url}]"), |_| None);
        assert!(!html.contains("<a "), "{url} became a link: {html}");
        assert!(!html.contains("View this on"), "{url}: {html}");
    }
    // Each accepted embed: the label names exactly the link's host.
    let accepted = [
        ("https://www.youtube.com/watch?v=1", "youtube.com"),
        ("https://YouTube.com/x", "youtube.com"),
        ("https://youtube.com:8443/x", "youtube.com:8443"),
        // A look-alike host is shown as what it is (punycode).
        ("https://yout\u{0443}be.com/x", "xn--youtbe-"),
        // Full-width letters are the same host once parsed.
        ("https://\u{ff59}outube.com/x", "youtube.com"),
    ];
    for (url, label) in accepted {
        let html = render(&format!("[embed:{url}]"), |_| None);
        let href = html
            .split("href=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("");
        let shown = html
            .split("View this on ")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap_or("");
        assert!(shown.starts_with(label), "{url}: {html}");
        let host = url::Url::parse(&href.replace("&amp;", "&"))
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| match u.port() {
                        Some(p) => format!("{h}:{p}"),
                        None => h.to_string(),
                    })
                    .map(|h| h.trim_start_matches("www.").to_string())
            })
            .unwrap_or_default();
        assert_eq!(host, shown, "{url}: the link goes elsewhere than it says");
    }
}

/// Known XSS payloads: none may leave a script, handler, style or
/// dangerous URL behind, and cleaning twice changes nothing.
#[test]
fn xss_corpus_is_neutralised() {
    let payloads = crate::markup::XSS_CORPUS;
    for p in payloads {
        let rendered = render(p, fig);
        let out = rendered.to_ascii_lowercase();
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
        assert_eq!(
            sanitize(&rendered),
            rendered,
            "cleaning the rendered {p:?} again changes it"
        );
    }
}

/// SECURITY.md rule 4: sanitising twice gives the same output, also where
/// the HTML parser rearranges what it reads (headings or links in places
/// they cannot be, tables with stray content).
#[test]
fn sanitising_twice_changes_nothing() {
    let inputs = [
        "<h2><div><h3>x</h3></div></h2>",
        "<a href=\"https://a.example\"><div><a href=\"https://b.example\">x</a></div></a>",
        "<table><b>x</b><tr><td>y</td></tr></table>",
        "<p><table><p>x</p></table></p>",
        "<ul><li><div><li>x</li></div></li></ul>",
        "<b><p>x</b>y</p>",
        "<pre>\n\nx</pre>",
        "<table><tr><td><table><tr>x</tr></table></td></tr></table>",
    ];
    for i in inputs {
        let once = sanitize(i);
        assert_eq!(sanitize(&once), once, "{i:?}");
        let rendered = render(i, |_| None);
        assert_eq!(sanitize(&rendered), rendered, "{i:?}");
    }
}

/// An unclosed raw-text element must not swallow the story after it: every
/// word typed after it reaches the reader, and no such element does.
#[test]
fn unclosed_raw_text_tags_swallow_nothing() {
    let tags = [
        "style",
        "script",
        "textarea",
        "title",
        "noscript",
        "xmp",
        "iframe",
        "noembed",
        "plaintext",
        "noframes",
        "template",
        "STYLE",
        "Script",
    ];
    for tag in tags {
        for (opening, place) in [
            (format!("<{tag}>"), "block"),
            (format!("<{tag} class=\"x\">"), "block with attribute"),
            (format!("Lead words <{tag}> inline"), "inline"),
            (format!("> <{tag}>"), "in a quote"),
            (format!("- <{tag}>"), "in a list"),
        ] {
            let body = format!(
                "First paragraph.\n\n{opening}\n\nSecond *paragraph* afterwards.\n\nThird paragraph [link](https://example.com) too.\n\n[picture:7]\n\nLast words."
            );
            let html = render(&body, fig);
            for word in [
                "First",
                "Second",
                "<em>paragraph</em>",
                "afterwards",
                "Third",
                "href=\"https://example.com\"",
                "too.",
                "<figure>seven</figure>",
                "Last words.",
            ] {
                assert!(
                    html.contains(word),
                    "<{tag}> ({place}) swallowed {word:?}: {html}"
                );
            }
            let lower = html.to_ascii_lowercase();
            assert!(
                !lower.contains(&format!("<{}", tag.to_ascii_lowercase())),
                "<{tag}> ({place}) reached the page: {html}"
            );
            // The blocks after it are still blocks: the preview cut sees them.
            let (lead, cut) = lead_paragraphs(&body, 2);
            assert!(cut, "{tag} ({place})");
            assert!(!lead.contains("Second"), "{tag} ({place}): {lead}");
        }
    }
    // An unterminated <pre> or comment does not take the rest either.
    for opening in ["<pre>", "<!-- note", "<?php", "<![CDATA[", "<!DOCTYPE"] {
        let body = format!("First.\n\n{opening}\n\nSecond words.\n\nThird words.");
        let html = render(&body, fig);
        assert!(
            html.contains("<p>Second words.</p>") && html.contains("<p>Third words.</p>"),
            "{opening}: {html}"
        );
        assert!(lead_paragraphs(&body, 2).1, "{opening}");
    }
    // A closed comment is still dropped, and closed raw-text elements are
    // shown as text, not run or applied.
    let html = render("A<!-- editor's note -->B\n\n<style>p{}</style>", fig);
    assert!(!html.contains("editor"), "{html}");
    assert!(html.contains("&lt;style&gt;p{}&lt;/style&gt;"), "{html}");
}

/// A broken tag in one block cannot eat the blocks after it.
#[test]
fn broken_html_stays_in_its_block() {
    let body = "<div title=\"\n\nSecond words [link](https://example.com/a\"b).\n\nThird words.";
    let html = render(body, fig);
    assert!(
        html.contains("Second words") && html.contains("Third words"),
        "{html}"
    );
}

#[test]
fn nesting_beyond_the_limit_is_refused_and_flattened() {
    let ok = format!("{} fine", ">".repeat(MAX_DEPTH - 2));
    assert_eq!(check(&ok), Ok(()));
    let cases = [
        (">".repeat(100_000), 1),
        (format!("Intro\n\n{}x", "> ".repeat(40)), 3),
        (format!("Intro\n\n{}x", "- ".repeat(40)), 3),
        (format!("Intro\n\n{}x", "1. ".repeat(40)), 3),
        (format!("Intro\n\n{}", "<div>".repeat(5_000)), 3),
        (format!("Intro\n\n{}x", "<b>".repeat(40)), 3),
        (
            format!(
                "Intro\n\n{}",
                (0..40)
                    .map(|i| format!("{}- x\n", "  ".repeat(i)))
                    .collect::<String>()
            ),
            // The 33rd level is on the 33rd item.
            35,
        ),
        (
            format!("Intro\n\n{}x{}", "*a _b ".repeat(40), " c_ d*".repeat(40)),
            3,
        ),
        (
            format!("Intro\n\n{}x{}", "![".repeat(40), "](u)".repeat(40)),
            3,
        ),
    ];
    for (body, line) in cases {
        let start = std::time::Instant::now();
        match check(&body) {
            Err(MarkupError::TooDeep { line: l, depth }) => {
                assert_eq!(l, line, "{}", &body[..body.len().min(60)]);
                assert!(depth > MAX_DEPTH);
            }
            other => panic!("{:?} for {}", other, &body[..body.len().min(60)]),
        }
        // Rendered anyway (a story saved before the limit): plain text.
        let html = render(&body, fig);
        assert!(html.starts_with("<p>Intro</p>") || body.starts_with('>'));
        assert!(!html.contains("<blockquote>"), "{html}");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "slow: {:?}",
            start.elapsed()
        );
    }
    let long = "x".repeat(MAX_BODY_BYTES + 1);
    assert_eq!(
        check(&long),
        Err(MarkupError::TooLong {
            len: MAX_BODY_BYTES + 1
        })
    );
    let msg = check(&format!("{}x", "> ".repeat(40))).map_err(|e| e.to_string());
    assert!(
        msg.as_ref()
            .is_err_and(|m| m.contains("Line 1") && m.contains("at most 32")),
        "{msg:?}"
    );
}

#[test]
fn lead_paragraphs_cut() {
    let body = "One\n\n[picture:7]\n\nTwo\n\nThree";
    assert_eq!(
        lead_paragraphs(body, 2),
        ("One\n\n[picture:7]\n\nTwo".to_string(), true)
    );
    assert!(!lead_paragraphs(body, 3).1);
    assert_eq!(lead_paragraphs(body, 3).0, body);
    assert_eq!(picture_ids(body), vec![7]);
    assert_eq!(plain_text("## Head\n\nA *b* c\n\nD", 5), "A b c");
}

/// The review's finding: "blank" lines holding a space or a tab (or other
/// whitespace) made the whole story one paragraph, so it was sent whole.
#[test]
fn lead_paragraphs_cut_at_whitespace_only_lines() {
    for sep in [
        "\n \n",
        "\n\t\n",
        "\n  \t \n",
        "\r\n\r\n",
        "\r\n \r\n",
        "\r\r",
        "\n\u{a0}\n",
        "\n\u{2003}\n",
        "\n\u{3000}\n",
        "\n\u{200b}\n",
        "\n\u{feff}\n",
    ] {
        let body = ["Free one.", "Free two.", "Paid three.", "Paid four."].join(sep);
        let (lead, cut) = lead_paragraphs(&body, 2);
        assert!(cut, "{sep:?}");
        assert!(
            lead.contains("Free two.") && !lead.contains("Paid"),
            "{sep:?}: {lead:?}"
        );
        let html = render(&lead, fig);
        assert!(!html.contains("Paid"), "{sep:?}: {html}");
        assert_eq!(render(&body, fig).matches("<p>").count(), 4, "{sep:?}");
    }
}

/// Each construct is one top-level block, for the cut as for the renderer.
#[test]
fn lead_paragraphs_follow_the_parsers_blocks() {
    let cases: &[(&str, &str)] = &[
        ("- free item\n- free item two", "list"),
        (
            "> free quote\nlazy free continuation",
            "quote with lazy line",
        ),
        ("# Free heading", "heading"),
        ("Free setext\n===", "setext heading"),
        ("Free setext two\n---", "setext heading with dashes"),
        (
            "```\nfree code\n\nstill free code\n```",
            "fenced code with blank line",
        ),
        ("    free indented code", "indented code"),
        ("<div>\nfree html\n</div>", "HTML block"),
        ("| free | head |\n|---|---|\n| free | cell |", "table"),
        ("1. free\n\n   free loose item", "loose list"),
        ("Free para\nfree second line", "paragraph of two lines"),
        (
            "[ref]: https://free.example\nFree [link][ref]",
            "definition then paragraph",
        ),
    ];
    for (block, what) in cases {
        let body = format!("{block}\n\nPaid words here.\n\nMore paid words.");
        let (lead, cut) = lead_paragraphs(&body, 1);
        assert!(cut, "{what}");
        assert!(!lead.contains("aid"), "{what}: {lead:?}");
        let html = render(&lead, fig);
        assert!(html.to_lowercase().contains("free"), "{what}: {html}");
        assert!(!html.contains("aid"), "{what}: {html}");
        assert_eq!(block_ranges(&body).len(), 3, "{what}");
    }
    // A link definition in the paid part does not resolve in the preview.
    let body =
        "Free [link][secret].\n\nPaid.\n\n[secret]: https://paid.example/secret \"Paid title\"";
    let (lead, _) = lead_paragraphs(body, 1);
    let html = render(&lead, fig);
    assert!(
        !html.contains("paid.example") && !html.contains("Paid"),
        "{html}"
    );
}
