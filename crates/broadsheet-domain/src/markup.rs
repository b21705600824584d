//! Story body markup: Markdown (CommonMark) typed by reporters, rendered to
//! HTML and cleaned with an allow-list, plus picture and embed placeholders,
//! and the paywall preview cut.
//!
//! **Blocks.** A body is read as the Markdown parser's (pulldown-cmark)
//! top-level blocks: paragraphs, headings, lists, quotes, code, tables, HTML
//! blocks. The paywall preview ([`lead_paragraphs`]), the picture and embed
//! placeholders and the renderer all use the same blocks, so what counts as a
//! paragraph for the preview is exactly what the renderer renders. Lines that
//! hold only Unicode whitespace (no-break spaces, zero-width spaces, …) count
//! as blank lines, as a reader would see them.
//!
//! **Placeholders.** A top-level paragraph that is only `[picture:ID]` places
//! picture ID there; the caller supplies the figure HTML (built by our own
//! templates, so trusted) for each id it knows, and unknown pictures vanish.
//! A top-level paragraph that is only `[embed:https://…]` becomes a link to
//! the content on its own site, labelled with the host the link really goes
//! to (parsed with the `url` crate; userinfo, IP-address hosts and other
//! schemes are refused and shown as typed).
//!
//! **Raw HTML.** Everything a reporter or a wire feed typed goes through
//! [`ammonia`], so script, event handlers, `javascript:` links, SVG and style
//! never reach a page. Raw-text elements (`<script>`, `<style>`, `<textarea>`,
//! `<title>`, …) would make a browser (and the sanitiser) treat everything
//! after an unclosed one as their content, so their tags are shown as text
//! instead; an unterminated `<pre>` or comment is shown as text too. Each
//! top-level block that holds raw HTML is sanitised on its own, so a broken
//! tag can never swallow the blocks after it.
//!
//! **Limits.** Nesting (quotes, lists, emphasis, links, HTML tags) deeper
//! than [`MAX_DEPTH`] makes the sanitiser's work grow with the square of the
//! input: [`check`] refuses such a body (saves and previews call it), and
//! [`render`] shows one it meets anyway as plain text paragraphs.

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// The longest body a save or a preview accepts, in bytes.
pub const MAX_BODY_BYTES: usize = 200_000;

/// The deepest nesting of quotes, lists, emphasis, links and HTML elements a
/// body may have.
pub const MAX_DEPTH: usize = 32;

/// Why a body is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkupError {
    #[error(
        "The body is longer than {max} bytes (it is {len}): split the story.",
        max = MAX_BODY_BYTES
    )]
    TooLong { len: usize },
    #[error(
        "Line {line} of the body nests quotes, lists, emphasis, links or HTML tags {depth} levels deep; at most {max} levels are allowed: flatten that part.",
        max = MAX_DEPTH
    )]
    TooDeep { line: usize, depth: usize },
}

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
        // What an embed renders as, so that cleaning a rendered body again
        // changes nothing.
        "figure",
        "figcaption",
    ])
    // No `title` (ammonia's default): it carried the text of the
    // `<noscript><p title="</noscript><img onerror…>">` mutation payload.
    .generic_attributes(HashSet::from(["lang"]))
    .add_tag_attributes("a", ["href"])
    .add_tag_attributes("ol", ["start"])
    .add_allowed_classes("figure", ["embed"])
    .url_schemes(HashSet::from(["http", "https", "mailto"]))
    .link_rel(Some("noopener noreferrer nofollow"))
    .strip_comments(true);
    b
});

/// Cleans HTML with the body allow-list (also used for wire `body_html`).
/// Cleaning the result again gives the same text (the HTML parser can
/// rearrange what it reads, so this cleans until nothing changes).
pub fn sanitize(html: &str) -> String {
    let mut out = CLEANER.clean(html).to_string();
    for _ in 0..4 {
        let again = CLEANER.clean(&out).to_string();
        if again == out {
            break;
        }
        out = again;
    }
    out
}

/// Checks that a body may be saved or previewed: not longer than
/// [`MAX_BODY_BYTES`], not nested deeper than [`MAX_DEPTH`].
pub fn check(body: &str) -> Result<(), MarkupError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(MarkupError::TooLong { len: body.len() });
    }
    let src = prepare(body);
    match Doc::parse(&src).too_deep {
        Some((line, depth)) => Err(MarkupError::TooDeep { line, depth }),
        None => Ok(()),
    }
}

/// The ids of pictures placed in a body, in order.
pub fn picture_ids(body: &str) -> Vec<i64> {
    let src = prepare(body);
    Doc::parse(&src)
        .blocks
        .iter()
        .filter_map(|b| match b.kind {
            Kind::Picture(id) => Some(id),
            _ => None,
        })
        .collect()
}

/// Renders a body to safe HTML; `figure(id)` gives the HTML for a placed
/// picture (or `None` to drop it).
pub fn render(body: &str, mut figure: impl FnMut(i64) -> Option<String>) -> String {
    let src = prepare(body);
    let doc = Doc::parse(&src);
    let mut out = String::with_capacity(src.len() + src.len() / 4 + 64);
    // Consecutive blocks without raw HTML are well-formed parser output and
    // are cleaned together; a block with raw HTML is cleaned on its own.
    let mut group = String::new();
    let flush = |group: &mut String, out: &mut String| {
        if !group.is_empty() {
            out.push_str(&sanitize(group));
            group.clear();
        }
    };
    for b in &doc.blocks {
        match &b.kind {
            Kind::Picture(id) => {
                flush(&mut group, &mut out);
                if let Some(html) = figure(*id) {
                    out.push_str(&html);
                    out.push('\n');
                }
                continue;
            }
            Kind::Embed(url) => {
                if let Some(html) = embed_html(url) {
                    flush(&mut group, &mut out);
                    out.push_str(&html);
                    continue;
                }
            }
            Kind::Other => {}
        }
        if doc.flat {
            group.push_str("<p>");
            push_escaped(&mut group, src[b.range.clone()].trim());
            group.push_str("</p>\n");
        } else if b.raw_html {
            flush(&mut group, &mut out);
            let mut h = String::new();
            html::push_html(&mut h, b.events.iter().cloned());
            out.push_str(&sanitize(&escape_raw_text_tags(&h)));
        } else {
            html::push_html(&mut group, b.events.iter().cloned());
        }
    }
    flush(&mut group, &mut out);
    out
}

/// The first `n` top-level blocks of a body, as markup: what a reader who is
/// not entitled to the rest may see. Picture placeholders do not count.
/// Returns the whole body and `false` when it has no more than `n` blocks;
/// otherwise a prefix of the body that holds no text of any later block, and
/// `true`.
pub fn lead_paragraphs(body: &str, n: usize) -> (String, bool) {
    let src = prepare(body);
    let doc = Doc::parse(&src);
    let mut count = 0;
    let mut end = 0;
    for b in &doc.blocks {
        if count == n {
            return (src[..end].trim_end_matches(['\n', '\r']).to_string(), true);
        }
        if !matches!(b.kind, Kind::Picture(_)) {
            count += 1;
        }
        end = b.range.end;
    }
    (body.to_string(), false)
}

/// The source ranges of a body's top-level blocks, in the text as the
/// renderer reads it (see [`prepared`]): what [`lead_paragraphs`] counts.
pub fn block_ranges(body: &str) -> Vec<Range<usize>> {
    let src = prepare(body);
    Doc::parse(&src)
        .blocks
        .iter()
        .map(|b| b.range.clone())
        .collect()
}

/// The body as the renderer reads it: whitespace-only lines made empty and
/// raw-text tags written as text. Same line count as `body`.
pub fn prepared(body: &str) -> String {
    prepare(body).into_owned()
}

/// Plain text of the first paragraphs (not headings or pictures), for
/// descriptions. Takes the whole body: pass it a gated one.
pub fn plain_text(body: &str, max_chars: usize) -> String {
    let src = prepare(body);
    let doc = Doc::parse(&src);
    let mut out = String::new();
    for b in &doc.blocks {
        if doc.flat {
            if !matches!(b.kind, Kind::Picture(_)) {
                out.push_str(src[b.range.clone()].trim());
            }
        } else if matches!(b.kind, Kind::Other)
            && matches!(b.events.first(), Some(Event::Start(Tag::Paragraph)))
        {
            for e in &b.events {
                match e {
                    Event::Text(t) | Event::Code(t) => out.push_str(t),
                    Event::SoftBreak | Event::HardBreak => out.push(' '),
                    _ => {}
                }
            }
        } else {
            continue;
        }
        out.push(' ');
        if out.chars().count() >= max_chars {
            break;
        }
    }
    let trimmed: String = out.trim().chars().take(max_chars).collect();
    trimmed
}

// ----- blocks ------------------------------------------------------------------------

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

enum Kind {
    Picture(i64),
    /// The text of an `[embed:…]` paragraph (the address, as typed).
    Embed(String),
    Other,
}

struct Block<'a> {
    /// Where the block is in the prepared text.
    range: Range<usize>,
    events: Vec<Event<'a>>,
    kind: Kind,
    /// Holds raw HTML (an HTML block or inline tags).
    raw_html: bool,
}

struct Doc<'a> {
    blocks: Vec<Block<'a>>,
    /// Too deep to render as Markdown: blocks are chunks of text between
    /// blank lines, shown as plain text.
    flat: bool,
    /// (line, depth) of the first place nested deeper than [`MAX_DEPTH`].
    too_deep: Option<(usize, usize)>,
}

impl<'a> Doc<'a> {
    fn parse(src: &'a str) -> Doc<'a> {
        if let Some(deep) = prefix_depth(src) {
            return Doc::flat(src, deep);
        }
        let mut blocks: Vec<Block<'a>> = Vec::new();
        let mut current: Option<Block<'a>> = None;
        let mut level = 0usize;
        let mut nesting = 0usize;
        let mut html_open = 0usize;
        for (event, range) in Parser::new_ext(src, options()).into_offset_iter() {
            match &event {
                Event::Start(tag) => {
                    if level == 0 {
                        current = Some(Block {
                            range: range.clone(),
                            events: Vec::new(),
                            kind: Kind::Other,
                            raw_html: false,
                        });
                        html_open = 0;
                    }
                    level += 1;
                    nesting += usize::from(nests(&tag.to_end()));
                }
                Event::End(tag) => {
                    level = level.saturating_sub(1);
                    nesting = nesting.saturating_sub(usize::from(nests(tag)));
                }
                Event::Html(h) | Event::InlineHtml(h) => {
                    html_open = html_depth(h, html_open);
                    if let Some(b) = current.as_mut() {
                        b.raw_html = true;
                    }
                }
                _ => {}
            }
            if nesting + html_open > MAX_DEPTH {
                return Doc::flat(src, (line_of(src, range.start), nesting + html_open));
            }
            match current.as_mut() {
                Some(b) => b.events.push(event),
                // A block of one event (a thematic break).
                None => blocks.push(Block {
                    range,
                    raw_html: matches!(event, Event::Html(_) | Event::InlineHtml(_)),
                    events: vec![event],
                    kind: Kind::Other,
                }),
            }
            if level == 0
                && let Some(mut b) = current.take()
            {
                b.kind = classify(&b.events);
                blocks.push(b);
            }
        }
        if let Some(mut b) = current.take() {
            b.kind = classify(&b.events);
            blocks.push(b);
        }
        Doc {
            blocks,
            flat: false,
            too_deep: None,
        }
    }

    /// Chunks of text between blank lines, for a body too deep for Markdown.
    fn flat(src: &'a str, deep: (usize, usize)) -> Doc<'a> {
        let mut blocks = Vec::new();
        let mut start: Option<usize> = None;
        let mut pos = 0;
        for line in src.split_inclusive(['\n', '\r']) {
            let blank = line.trim_matches([' ', '\t', '\n', '\r']).is_empty();
            match (blank, start) {
                (true, Some(s)) => {
                    blocks.push(flat_block(src, s..pos));
                    start = None;
                }
                (false, None) => start = Some(pos),
                _ => {}
            }
            pos += line.len();
        }
        if let Some(s) = start {
            blocks.push(flat_block(src, s..src.len()));
        }
        Doc {
            blocks,
            flat: true,
            too_deep: Some(deep),
        }
    }
}

fn flat_block(src: &str, range: Range<usize>) -> Block<'_> {
    let kind = match placeholder(src[range.clone()].trim()) {
        Some(id) => Kind::Picture(id),
        None => Kind::Other,
    };
    Block {
        range,
        events: Vec::new(),
        kind,
        raw_html: false,
    }
}

/// A top-level paragraph of nothing but text may be a placeholder.
fn classify(events: &[Event<'_>]) -> Kind {
    let [
        Event::Start(Tag::Paragraph),
        inner @ ..,
        Event::End(TagEnd::Paragraph),
    ] = events
    else {
        return Kind::Other;
    };
    let mut text = String::new();
    for e in inner {
        match e {
            Event::Text(t) => text.push_str(t),
            _ => return Kind::Other,
        }
    }
    if let Some(id) = placeholder(&text) {
        return Kind::Picture(id);
    }
    match text
        .strip_prefix("[embed:")
        .and_then(|t| t.strip_suffix(']'))
    {
        Some(url) => Kind::Embed(url.to_string()),
        None => Kind::Other,
    }
}

fn placeholder(text: &str) -> Option<i64> {
    let digits = text.strip_prefix("[picture:")?.strip_suffix(']')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Whether an element counts towards the nesting limit (list items, table
/// rows and cells and paragraphs come with their list, table or block).
fn nests(tag: &TagEnd) -> bool {
    !matches!(
        tag,
        TagEnd::Paragraph | TagEnd::Item | TagEnd::TableHead | TagEnd::TableRow | TagEnd::TableCell
    )
}

fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Before parsing: the deepest run of quote and list markers opening a line
/// (`>>>>…`, `- - - …`, `1. 1. …`), if deeper than [`MAX_DEPTH`].
fn prefix_depth(src: &str) -> Option<(usize, usize)> {
    let lines = src.split('\n').enumerate();
    for (i, line) in lines.flat_map(|(i, l)| l.split('\r').map(move |seg| (i, seg))) {
        let b = line.as_bytes();
        let mut at = 0;
        let mut depth = 0;
        loop {
            while at < b.len() && (b[at] == b' ' || b[at] == b'\t') {
                at += 1;
            }
            let Some(&c) = b.get(at) else { break };
            let after = match c {
                b'>' => at + 1,
                b'-' | b'+' | b'*' if matches!(b.get(at + 1), None | Some(b' ' | b'\t')) => at + 1,
                b'0'..=b'9' => {
                    let mut j = at;
                    while j < b.len() && j - at < 9 && b[j].is_ascii_digit() {
                        j += 1;
                    }
                    if matches!(b.get(j), Some(b'.' | b')'))
                        && matches!(b.get(j + 1), None | Some(b' ' | b'\t'))
                    {
                        j + 1
                    } else {
                        break;
                    }
                }
                _ => break,
            };
            depth += 1;
            at = after;
            if depth > MAX_DEPTH {
                return Some((i + 1, depth));
            }
        }
    }
    None
}

/// Elements with no end tag, and elements a following one of their kind
/// closes: neither nests.
const NOT_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "keygen", "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot",
    "option", "optgroup", "rb", "rt", "rp", "colgroup", "caption",
];

/// The number of raw HTML elements left open after `html`, starting from
/// `open`. An estimate that errs towards more.
fn html_depth(html: &str, mut open: usize) -> usize {
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|c| *c == b'<') {
        let at = i + off + 1;
        let end_tag = b.get(at) == Some(&b'/');
        let name_start = at + usize::from(end_tag);
        let mut j = name_start;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
            j += 1;
        }
        i = j.max(at);
        if j == name_start || !b[name_start].is_ascii_alphabetic() {
            continue;
        }
        let name = html[name_start..j].to_ascii_lowercase();
        if NOT_NESTING.contains(&name.as_str()) {
            continue;
        }
        if end_tag {
            open = open.saturating_sub(1);
        } else {
            open += 1;
        }
    }
    open
}

// ----- preparing the text -------------------------------------------------------------

/// Elements whose content a browser reads as text up to their end tag (or
/// keeps out of the page): an unclosed one would swallow the rest.
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "noscript",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
    "template",
];

/// Whether `s[at..]` starts a start or end tag of a raw-text element.
fn raw_text_tag_at(s: &[u8], at: usize) -> bool {
    if s.get(at) != Some(&b'<') {
        return false;
    }
    let mut i = at + 1;
    if s.get(i) == Some(&b'/') {
        i += 1;
    }
    RAW_TEXT.iter().any(|name| {
        let n = name.len();
        s.len() >= i + n
            && s[i..i + n].eq_ignore_ascii_case(name.as_bytes())
            && matches!(
                s.get(i + n),
                None | Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>')
            )
    })
}

/// Positions of raw-text tags in `s[range]`.
fn raw_text_tags(s: &str, range: Range<usize>, out: &mut Vec<usize>) {
    let b = s.as_bytes();
    let end = range.end.min(b.len());
    let mut i = range.start;
    while i < end {
        match b[i..end].iter().position(|c| *c == b'<') {
            Some(off) => {
                if raw_text_tag_at(&b[..end], i + off) {
                    out.push(i + off);
                }
                i += off + 1;
            }
            None => break,
        }
    }
}

/// HTML from the parser with every raw-text tag written as text.
fn escape_raw_text_tags(html: &str) -> Cow<'_, str> {
    let mut at = Vec::new();
    raw_text_tags(html, 0..html.len(), &mut at);
    replace_lt(html, &at)
}

fn replace_lt<'s>(s: &'s str, at: &[usize]) -> Cow<'s, str> {
    if at.is_empty() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + at.len() * 3);
    let mut last = 0;
    for &i in at {
        out.push_str(&s[last..i]);
        out.push_str("&lt;");
        last = i + 1;
    }
    out.push_str(&s[last..]);
    Cow::Owned(out)
}

/// The text the renderer reads: whitespace-only lines made blank, then, until
/// none is left (a few rounds at most), every raw-text tag in raw HTML and
/// the opening of an unterminated `<pre>`, comment, processing instruction,
/// declaration or CDATA block turned into text (`<` becomes `&lt;`), so the
/// parser does not take the rest of the body as one HTML block.
fn prepare(body: &str) -> Cow<'_, str> {
    let mut src = blank_whitespace_lines(body);
    if prefix_depth(&src).is_some() {
        return src;
    }
    for _ in 0..8 {
        let at = tags_to_neutralise(&src);
        if at.is_empty() {
            return src;
        }
        src = Cow::Owned(replace_lt(&src, &at).into_owned());
    }
    // Still more after eight rounds: write every remaining one as text
    // without reading the structure again (the renderer escapes any left).
    let at = tags_to_neutralise(&src);
    if !at.is_empty() {
        src = Cow::Owned(replace_lt(&src, &at).into_owned());
    }
    src
}

fn tags_to_neutralise(src: &str) -> Vec<usize> {
    let mut at = Vec::new();
    // Inside an HTML block whose opening was neutralised, the rest is read
    // again next round (it may turn out to be code, or text).
    let mut skip_block = false;
    for (event, range) in Parser::new_ext(src, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::HtmlBlock) => {
                let text = &src[range.clone()];
                let Some(lt) = text.find('<') else { continue };
                let open = range.start + lt;
                skip_block = raw_text_tag_at(src.as_bytes(), open)
                    || unterminated(&text[lt..])
                    || is_pre(&src.as_bytes()[open..]) && !has_type1_end(&text[lt..]);
                if skip_block {
                    at.push(open);
                }
            }
            Event::End(TagEnd::HtmlBlock) => skip_block = false,
            Event::Html(_) if !skip_block => raw_text_tags(src, range, &mut at),
            Event::InlineHtml(_) => raw_text_tags(src, range, &mut at),
            _ => {}
        }
    }
    at.sort_unstable();
    at.dedup();
    at
}

/// An HTML block of CommonMark kinds 2–5 (comment, processing instruction,
/// declaration, CDATA) without its terminator: it ran to the end.
fn unterminated(text: &str) -> bool {
    if let Some(rest) = text.strip_prefix("<!--") {
        return !rest.contains("-->") && !text.starts_with("<!-->") && !text.starts_with("<!--->");
    }
    if let Some(rest) = text.strip_prefix("<![CDATA[") {
        return !rest.contains("]]>");
    }
    if let Some(rest) = text.strip_prefix("<?") {
        return !rest.contains("?>");
    }
    if let Some(rest) = text.strip_prefix("<!") {
        return rest.starts_with(|c: char| c.is_ascii_alphabetic()) && !rest.contains('>');
    }
    false
}

fn is_pre(b: &[u8]) -> bool {
    b.len() >= 4
        && b[1..4].eq_ignore_ascii_case(b"pre")
        && matches!(b.get(4), None | Some(b' ' | b'\t' | b'\n' | b'\r' | b'>'))
}

fn has_type1_end(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["</pre>", "</script>", "</style>", "</textarea>"]
        .iter()
        .any(|t| lower.contains(t))
}

/// Zero-width characters that show nothing on a line of their own.
fn invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
        )
}

/// Makes lines of only Unicode whitespace empty (CommonMark counts only
/// spaces and tabs as blank; a reader sees no difference).
fn blank_whitespace_lines(body: &str) -> Cow<'_, str> {
    let needs = |line: &str| {
        !line.is_empty()
            && line.chars().all(invisible)
            && line.chars().any(|c| c != ' ' && c != '\t')
    };
    if !body.split(['\n', '\r']).any(needs) {
        return Cow::Borrowed(body);
    }
    let mut out = String::with_capacity(body.len());
    for piece in body.split_inclusive(['\n', '\r']) {
        let line = piece.trim_end_matches(['\n', '\r']);
        if needs(line) {
            out.push_str(&piece[line.len()..]);
        } else {
            out.push_str(piece);
        }
    }
    Cow::Owned(out)
}

// ----- embeds -------------------------------------------------------------------------

/// `[embed:https://…]` becomes a link to the content on its own site, named
/// by the host the link goes to: nothing is loaded from a third party until
/// a reader chooses. `None` (shown as typed) for anything but a plain https
/// address on a named host.
fn embed_html(text: &str) -> Option<String> {
    if text.len() >= 500 || text.contains(['"', '\'', '<', '>', '`', '\\']) {
        return None;
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    // Userinfo (`https://youtube.com@evil.example/`), even empty, is refused.
    let authority = text.split_once("//").map_or("", |(_, rest)| {
        rest.split(['/', '?', '#']).next().unwrap_or("")
    });
    if authority.contains('@') {
        return None;
    }
    let url = url::Url::parse(text).ok()?;
    if url.scheme() != "https" || !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    let url::Host::Domain(host) = url.host()? else {
        return None;
    };
    if !host.contains('.') || host.ends_with('.') {
        return None;
    }
    let host = host.strip_prefix("www.").unwrap_or(host);
    let label = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    let mut href = String::new();
    push_escaped(&mut href, url.as_str());
    let mut name = String::new();
    push_escaped(&mut name, &label);
    Some(format!(
        "<figure class=\"embed\"><p><a href=\"{href}\" rel=\"noopener noreferrer nofollow\">View this on {name}</a></p>\
         <figcaption>Embedded content from {name}: it opens on their site.</figcaption></figure>\n"
    ))
}

fn push_escaped(out: &mut String, s: &str) {
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
}

/// Known XSS payloads, shared by every test of untrusted text (story
/// bodies here, reader comments in `comments`).
pub const XSS_CORPUS: &[&str] = &[
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

#[cfg(test)]
mod tests;
