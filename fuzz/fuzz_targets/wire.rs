//! Fuzz target: the wire parsers (ninjs and NewsML-G2, issue 14). For any
//! input: no panic, and an item read from it, once cleaned and turned into
//! Broadsheet markup, renders as plain paragraphs only (agency text never
//! becomes markup: no link, heading, list, image or raw HTML).
//! One target for both formats (`wire::parse` picks by the first character);
//! the corpus holds the IPTC examples of both.

#![no_main]

use broadsheet_domain::{markup, wire};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(items) = wire::parse(data) else {
        return;
    };
    for mut item in items {
        wire::clean(&mut item);
        let md = wire::to_markup(&item.paragraphs);
        let html = markup::render(&md, |_| None);
        let mut rest = html.as_str();
        while let Some(i) = rest.find('<') {
            let tag = &rest[i + 1..];
            assert!(
                tag.starts_with("p>") || tag.starts_with("/p>"),
                "agency text became markup: {html:?} from {md:?}"
            );
            rest = tag;
        }
    }
});
