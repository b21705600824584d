//! Fuzz target: the hand-written reader of agency HTML bodies
//! (`wire::paragraphs_of_html`, issue 14): no panic on any text, and no
//! paragraph it returns holds a tag (markup is dropped, never passed on).

#![no_main]

use broadsheet_domain::wire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for p in wire::paragraphs_of_html(text) {
        assert!(!p.trim().is_empty(), "an empty paragraph from {text:?}");
    }
    let md = wire::to_markup(&wire::paragraphs_of_html(text));
    assert!(!md.contains("<script"), "{md:?}");
});
