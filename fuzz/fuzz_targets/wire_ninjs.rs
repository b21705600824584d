//! Fuzz target: the IPTC ninjs reader alone (issue 14), on any UTF-8 text:
//! no panic, and an item mapped to a story has a headline of 1 to 200
//! characters and never an empty body. Seeds: the ninjs examples.

#![no_main]

use broadsheet_domain::wire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(items) = wire::ninjs::parse_str(text) {
        for item in items {
            let mapped = wire::rules::map(
                &item,
                &wire::rules::Agency {
                    byline: "Agency".into(),
                    section: "news".into(),
                },
                &wire::rules::Rules::default(),
            );
            if let Ok(m) = mapped {
                let n = m.headline.chars().count();
                assert!((1..=200).contains(&n), "headline of {n} characters");
                assert!(!m.body.trim().is_empty(), "empty body from {text:?}");
            }
        }
    }
});
