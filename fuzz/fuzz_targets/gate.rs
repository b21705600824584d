//! Fuzz target: the paywall gate. For any body, a subscribers-only story's
//! gated output for a reader who is not a subscriber holds no text from
//! beyond the first N top-level blocks. Every line that is not blank gets a
//! unique marker word; no marker placed at or after the start of block N+1
//! may appear in the gated markup or its rendering.
//!
//! For that reader and story `broadsheet_app::entitlement::gate` is exactly
//! `markup::lead_paragraphs(&story.body, n)` (its property tests check the
//! same promise through `gate` itself); the target calls the domain function
//! so the fuzz build does not compile the store, SQL drivers and image
//! codecs the app crate brings.

#![no_main]

use broadsheet_domain::markup;
use libfuzzer_sys::fuzz_target;

const MARK: &str = "QzJ";

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(first % 5);
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if text.contains(MARK) {
        return;
    }
    let mut body = String::with_capacity(text.len() * 2);
    let mut markers = Vec::new();
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        body.push_str(content);
        if !content.trim().is_empty() {
            let m = format!("{MARK}{}j", markers.len());
            body.push(' ');
            body.push_str(&m);
            markers.push(m);
        }
        body.push_str(&line[content.len()..]);
    }
    let (markup_out, withheld) = markup::lead_paragraphs(&body, n);
    let prepared = markup::prepared(&body);
    let ranges = markup::block_ranges(&body);
    // No line carries only a placeholder (each has a marker), so every
    // block counts.
    let limit = ranges.get(n).map(|r| r.start);
    assert_eq!(withheld, limit.is_some(), "blocks {ranges:?}");
    let Some(limit) = limit else {
        assert_eq!(markup_out, body);
        return;
    };
    assert!(prepared.starts_with(&markup_out), "not a prefix");
    let html = markup::render(&markup_out, |_| None);
    for m in &markers {
        let Some(at) = prepared.find(m.as_str()) else {
            continue;
        };
        if at >= limit {
            assert!(!markup_out.contains(m.as_str()), "{m} in the markup");
            assert!(
                !html.contains(m.as_str()),
                "{m} (block N+1 or later) shown: {html}"
            );
        }
    }
});
