//! Fuzz target: the NewsML-G2 reader alone (issue 14), on any UTF-8 text:
//! no panic, no unbounded memory (quick-xml streams; DTDs are refused, so
//! no entity is ever expanded), and a refusal always says why. Seeds: the
//! NewsML-G2 examples and hostile documents.

#![no_main]

use broadsheet_domain::wire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match wire::newsml::parse_str(text) {
        Ok(items) => {
            for mut item in items {
                wire::clean(&mut item);
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
