//! Wire formats (issue 14) against the IPTC's own example files
//! (`tests-fixtures/iptc`), and hostile or broken input.

use std::path::PathBuf;

use broadsheet_domain::wire::{self, ItemKind, PubStatus, WireError};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests-fixtures/iptc")
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(fixtures().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    out.sort();
    out
}

#[test]
fn every_iptc_example_parses() {
    let mut n = 0;
    for dir in ["ninjs/1.6", "ninjs/2.2", "ninjs/3.1", "newsml-g2"] {
        let ext = if dir.starts_with("ninjs") {
            "json"
        } else {
            "xml"
        };
        for f in files(dir, ext) {
            let bytes = std::fs::read(&f).unwrap_or_default();
            match wire::parse(&bytes) {
                Ok(_) => n += 1,
                Err(e) => panic!("{}: {e}", f.display()),
            }
        }
    }
    assert_eq!(n, 7 + 7 + 8 + 6, "every example was read");
}

#[test]
fn the_three_ninjs_versions_read_the_same_article() {
    for v in ["1.6", "2.2", "3.1"] {
        let items = wire::parse(&read(&format!("ninjs/{v}/005_complex_text_article.json")))
            .unwrap_or_else(|e| panic!("{v}: {e}"));
        let it = &items[0];
        assert_eq!(
            it.id, "http://ninjs.example.com/newsitems/20130709med123",
            "{v}"
        );
        assert_eq!(it.kind, ItemKind::Text);
        assert_eq!(
            it.headline, "Captain of wrecked cruise ship on trial in Italy",
            "{v}"
        );
        assert_eq!(
            it.byline.as_deref(),
            Some("Paulo Santalucia and Frances d'Emilio"),
            "{v}"
        );
        // The rich text's four paragraphs, not the one-paragraph plain text.
        assert_eq!(it.paragraphs.len(), 4, "{v}: {:?}", it.paragraphs);
        assert!(it.paragraphs[0].starts_with("GROSSETO, Italy (AP)"));
        assert_eq!(it.language.as_deref(), Some("en"));
        assert!(it.places.iter().any(|p| p == "Tuscany"), "{v}");
        // No version given: the time it was made (2013-07-09T10:37:00Z).
        assert_eq!(it.version, 1_373_366_220, "{v}");
    }
}

#[test]
fn ninjs_pictures_come_with_renditions_caption_and_credit() {
    for v in ["1.6", "2.2", "3.1"] {
        let items = wire::parse(&read(&format!("ninjs/{v}/006_photo_only.json")))
            .unwrap_or_else(|e| panic!("{v}: {e}"));
        let it = &items[0];
        assert_eq!(it.kind, ItemKind::Picture, "{v}");
        let p = it
            .pictures
            .first()
            .unwrap_or_else(|| panic!("{v}: no picture"));
        assert!(p.renditions.len() >= 2, "{v}: {:?}", p.renditions);
        assert!(!p.caption.is_empty(), "{v}: a caption");
        let best = p.best().unwrap_or_else(|| panic!("{v}: no rendition"));
        assert!(best.href.starts_with("http"), "{v}: {}", best.href);
        // The widest rendition is the one to fetch.
        let widest = p.renditions.iter().filter_map(|r| r.width).max();
        assert_eq!(best.width, widest, "{v}");
    }
    // Associations: a text item with its picture.
    let items = wire::parse(&read("ninjs/3.1/003_associations_example.json")).unwrap_or_default();
    assert!(!items[0].pictures.is_empty(), "the associated picture");
}

#[test]
fn newsml_items_read_their_metadata_and_text() {
    let items = wire::parse(&read("newsml-g2/LISTING_2_NewsML-G2_Text_Document.xml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(items.len(), 1);
    let it = &items[0];
    assert_eq!(it.id, "urn:newsml:acmenews.com:20161121:US-FINANCE-FED");
    assert_eq!(it.version, 11);
    assert_eq!(it.kind, ItemKind::Text);
    assert_eq!(it.status, PubStatus::Usable);
    assert_eq!(it.headline, "Fed to halt QE to avert \"bubble\"");
    assert_eq!(it.byline.as_deref(), Some("Meredith Jameson"));
    assert_eq!(it.language.as_deref(), Some("en-US"));
    assert!(
        it.subjects.iter().any(|s| s == "central bank"),
        "{:?}",
        it.subjects
    );
    assert!(
        it.subjects.iter().any(|s| s == "medtop:20000350"),
        "codes kept too"
    );
    assert_eq!(it.places, vec!["geoloc:NYC", "New York, NY"]);
    assert!(it.paragraphs.len() >= 2, "{:?}", it.paragraphs);
    assert!(it.paragraphs[0].starts_with("(New York, NY - October 21)"));
    assert_eq!(
        it.credit.as_deref(),
        Some("Copyright 2017-18 Acme News and Media LLC")
    );

    let embargoed = wire::parse(&read("newsml-g2/LISTING_1_A_NewsML-G2_News_Item.xml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        embargoed[0].embargo,
        wire::parse_time("2018-10-23T12:00:00Z")
    );

    let photo = wire::parse(&read("newsml-g2/LISTING_3_Photo_in_NewsML-G2.xml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let p = &photo[0];
    assert_eq!(p.kind, ItemKind::Picture);
    let pic = &p.pictures[0];
    assert_eq!(pic.renditions.len(), 3);
    assert!(
        pic.caption
            .starts_with("A general view of part of downtown")
    );
    assert_eq!(pic.credit, "Getty Images");

    // A news message carries several items; a package and a bare fragment none.
    let message = wire::parse(&read(
        "newsml-g2/LISTING_24_News_Message_conveying_a_complete_News_Package.xml",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = message.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, vec!["N1", "N2", "N3", "N4"]);
    for rel in [
        "newsml-g2/LISTING_6_Simple_NewsML-G2_Package.xml",
        "newsml-g2/LISTING_25_An_NITF_marked-up_article_conveyed_in_inlineXML.xml",
    ] {
        assert_eq!(wire::parse(&read(rel)).map(|v| v.len()), Ok(0), "{rel}");
    }
}

#[test]
fn hostile_and_broken_input_is_refused_with_a_reason() {
    // Entity expansion ("billion laughs") and an external entity: refused
    // at the DTD, nothing expanded or fetched.
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<newsItem guid="x" version="1"><contentMeta><headline>&lol2;</headline></contentMeta></newsItem>"#;
    assert_eq!(wire::parse(laughs.as_bytes()), Err(WireError::Dtd));
    let xxe = r#"<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<newsItem guid="x"><contentMeta><headline>&xxe;</headline></contentMeta></newsItem>"#;
    assert_eq!(wire::parse(xxe.as_bytes()), Err(WireError::Dtd));
    // An entity no DTD defines.
    let undefined =
        r#"<newsItem guid="x"><contentMeta><headline>&xxe;</headline></contentMeta></newsItem>"#;
    match wire::parse(undefined.as_bytes()) {
        Err(WireError::Malformed(m)) => assert!(m.contains("not defined"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Cut short, mismatched, not UTF-8, too large, neither format, bad JSON.
    let truncated = r#"<newsItem guid="x"><contentMeta><headline>Half"#;
    assert!(matches!(
        wire::parse(truncated.as_bytes()),
        Err(WireError::Malformed(_))
    ));
    let mismatched = r#"<newsItem guid="x"><contentMeta></itemMeta></newsItem>"#;
    assert!(matches!(
        wire::parse(mismatched.as_bytes()),
        Err(WireError::Malformed(_))
    ));
    let latin1 =
        b"<newsItem guid=\"x\"><contentMeta><headline>Caf\xe9</headline></contentMeta></newsItem>";
    assert!(matches!(wire::parse(latin1), Err(WireError::Encoding(_))));
    let big = vec![b' '; wire::MAX_BYTES + 1];
    assert_eq!(
        wire::parse(&big),
        Err(WireError::TooLarge(wire::MAX_BYTES + 1))
    );
    assert!(matches!(wire::parse(b"hello"), Err(WireError::Unknown(_))));
    assert!(matches!(
        wire::parse(b"{\"uri\": "),
        Err(WireError::Malformed(_))
    ));
    assert!(matches!(
        wire::parse(b"{\"headline\": \"no uri\"}"),
        Err(WireError::Unknown(_))
    ));
    // Deep nesting is refused, not recursed into.
    let deep = format!("<newsItem guid=\"x\">{}</newsItem>", "<a>".repeat(100));
    assert!(matches!(
        wire::parse(deep.as_bytes()),
        Err(WireError::Malformed(_))
    ));
}

#[test]
fn versions_statuses_urgency_and_junk_in_agency_variants() {
    let kill = br#"{"uri": "urn:agency:1", "version": "3", "pubStatus": "canceled",
        "headlines": [{"role": "main", "value": "APTOPIX Harbour fire"}], "urgency": 2,
        "bodies": [{"role": "main", "contentType": "text/html",
          "value": "<p>EDITOR'S NOTE: Graphic content.</p><p>The harbour burned.</p><p>___</p>"}]}"#;
    let mut items = wire::parse(kill).unwrap_or_else(|e| panic!("{e}"));
    let it = &mut items[0];
    assert_eq!((it.version, it.status), (3, PubStatus::Canceled));
    assert!(it.breaking());
    wire::clean(it);
    assert_eq!(it.headline, "Harbour fire");
    assert_eq!(it.paragraphs, vec!["The harbour burned."]);
    assert_eq!(it.notes, vec!["EDITOR'S NOTE: Graphic content."]);
    let md = wire::to_markup(&it.paragraphs);
    assert_eq!(md, "The harbour burned.");
    // A list of items in one file; urgency as text; an unknown type kept.
    let many = br#"[{"uri": "a", "type": "video", "urgency": "5"}, {"uri": "b"}]"#;
    let items = wire::parse(many).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(items[0].kind, ItemKind::Other("video".into()));
    assert_eq!(items[0].urgency, Some(5));
    assert!(!items[0].breaking());
    assert_eq!(items[1].version, 1);
}

#[test]
fn the_same_article_maps_the_same_from_every_format_version() {
    use wire::rules::{Agency, Rules, map};
    let rules = Rules::parse(
        "place Tuscany -> tag tuscany\nplace http://cvx.iptc.org/iso3166-1a2/it -> section news/world\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let agency = Agency {
        byline: "Associated Press".into(),
        section: "news".into(),
    };
    let mut seen = Vec::new();
    for v in ["1.6", "2.2", "3.1"] {
        let mut items = wire::parse(&read(&format!("ninjs/{v}/005_complex_text_article.json")))
            .unwrap_or_else(|e| panic!("{v}: {e}"));
        wire::clean(&mut items[0]);
        let m = map(&items[0], &agency, &rules).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(m.section, "news/world", "{v}: the country's code");
        assert_eq!(m.tags, vec!["tuscany"], "{v}");
        assert_eq!(
            m.byline_text,
            "Paulo Santalucia and Frances d'Emilio, Associated Press"
        );
        assert!(m.standfirst.starts_with("GROSSETO, Italy (AP)"));
        seen.push(m);
    }
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "1.6, 2.2 and 3.1 agree"
    );
    // NewsML-G2: the subject's code and name both match.
    let rules = Rules::parse(
        "subject medtop:20000350 -> section business\nsubject Central Bank -> tag central-bank\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut items = wire::parse(&read("newsml-g2/LISTING_2_NewsML-G2_Text_Document.xml"))
        .unwrap_or_else(|e| panic!("{e}"));
    wire::clean(&mut items[0]);
    let m = map(&items[0], &agency, &rules).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (m.section.as_str(), m.tags.as_slice()),
        ("business", &["central-bank".to_string()][..])
    );
    assert_eq!(m.byline_text, "Meredith Jameson, Associated Press");
}
