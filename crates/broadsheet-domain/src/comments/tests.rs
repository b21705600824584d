//! Table tests of the comment rules: every (state, move) pair of the state
//! machine, the text rules, the XSS corpus through the plain-text renderer,
//! the score and the hold decision.

use super::*;

/// Every (from, move) pair and where it must lead (`None`: refused). Written
/// out in full so a change to `TABLE` has to change this too.
#[test]
fn state_machine_every_pair() {
    use CommentState as S;
    let expect = |from: S, mv: Move| -> Option<S> {
        match (from, mv) {
            (S::Pending, Move::Approve) | (S::Hidden, Move::Approve) => Some(S::Public),
            (S::Pending, Move::Reject) => Some(S::Hidden),
            (S::Public, Move::Hide) => Some(S::Hidden),
            (S::Pending | S::Public | S::Hidden, Move::Remove) => Some(S::Removed),
            (S::Hidden | S::Removed, Move::Restore) => Some(S::Public),
            (S::Public, Move::Dismiss) => Some(S::Public),
            (S::Hidden, Move::Dismiss) => Some(S::Hidden),
            (S::Public, Move::Edit) => Some(S::Public),
            (S::Pending, Move::Edit) => Some(S::Pending),
            (S::Public | S::Pending, Move::EditHeld) => Some(S::Pending),
            (S::Pending | S::Public | S::Hidden, Move::Delete) => Some(S::Deleted),
            (S::Public, Move::Ban) => Some(S::Hidden),
            _ => None,
        }
    };
    let mut allowed = 0;
    for from in STATES {
        for mv in MOVES {
            assert_eq!(
                next(from, mv),
                expect(from, mv),
                "{from} --{}-->",
                mv.as_str()
            );
            allowed += usize::from(next(from, mv).is_some());
        }
    }
    assert_eq!(allowed, TABLE.len(), "the table has no duplicate rows");
    // Nothing leaves a deleted comment; a removed one only comes back by restore.
    for mv in MOVES {
        assert_eq!(next(S::Deleted, mv), None);
        if mv != Move::Restore {
            assert_eq!(next(S::Removed, mv), None, "{}", mv.as_str());
        }
    }
    // The names round-trip.
    for s in STATES {
        assert_eq!(s.as_str().parse::<S>(), Ok(s));
    }
    for m in MOVES {
        assert_eq!(m.as_str().parse::<Move>(), Ok(m));
    }
}

#[test]
fn text_is_normalised_and_bounded() {
    assert_eq!(normalize("  a\r\nb\n\n\n\nc  ").as_deref(), Ok("a\nb\n\nc"));
    assert!(normalize(" \n ").is_err());
    assert!(normalize(&"x".repeat(MAX_CHARS + 1)).is_err());
    assert!(normalize(&"x".repeat(MAX_CHARS)).is_ok());
    assert!(normalize("a\u{202e}b\u{0007}c").is_ok_and(|s| s == "abc"));
    let three = "see http://a.example http://b.example www.c.example";
    let e = normalize(three).err().unwrap_or_default();
    assert!(e.contains("3 links"), "{e}");
}

#[test]
fn rendering_escapes_everything_and_links_are_nofollow_ugc() {
    assert_eq!(render("a\nb\n\nc"), "<p>a<br>b</p><p>c</p>");
    assert_eq!(
        render("see https://example.org/x?a=1&b=2."),
        "<p>see <a href=\"https://example.org/x?a=1&amp;b=2\" rel=\"nofollow ugc noopener\">https://example.org/x?a=1&amp;b=2</a>.</p>"
    );
    assert!(render("www.example.org").contains("href=\"https://www.example.org/\""));
    assert_eq!(
        render("javascript:alert(1) <b>x</b>"),
        "<p>javascript:alert(1) &lt;b&gt;x&lt;/b&gt;</p>"
    );
    assert!(!render("https://\"onmouseover=alert(1)//x").contains("\"onmouseover"));
}

/// The newsroom's XSS corpus (the markup tests' list) through the comment
/// renderer: no tag, attribute or script URL survives as markup.
#[test]
fn xss_corpus_through_comments() {
    for p in crate::markup::XSS_CORPUS {
        let out = render(p);
        let without_links: String = out
            .split("<a href=\"")
            .enumerate()
            .map(|(i, s)| {
                if i == 0 {
                    s
                } else {
                    s.split_once('>').map_or("", |x| x.1)
                }
            })
            .collect::<Vec<_>>()
            .join("");
        let tags: Vec<&str> = without_links
            .split('<')
            .skip(1)
            .map(|t| t.split(['>', ' ']).next().unwrap_or(""))
            .filter(|t| !matches!(*t, "p" | "/p" | "br" | "/a"))
            .collect();
        assert!(tags.is_empty(), "{p:?} left tags {tags:?} in {out}");
        assert!(
            !out.contains("href=\"javascript") && !out.contains("href=\"data"),
            "{out}"
        );
    }
}

#[test]
fn word_lists_parse_and_match_whole_words() {
    let l = parse_word_list("Spam, scam\n\n ham and eggs \nspam").unwrap_or_default();
    assert_eq!(l, ["spam", "scam", "ham and eggs"]);
    assert!(parse_word_list(&"x".repeat(MAX_WORD_CHARS + 1)).is_err());
    let rules = Rules {
        banned: vec!["scam".into()],
        suspect: vec!["ham and eggs".into(), "idiot".into()],
        threshold: 50,
    };
    assert_eq!(score("a scampi dish", &rules).total, 0, "whole words only");
    let s = score("What a SCAM.", &rules);
    assert_eq!(s.banned.as_deref(), Some("scam"));
    let s = score("Ham and  eggs, idiot", &rules);
    assert_eq!(s.total, 2 * POINTS_SUSPECT);
}

#[test]
fn holds_name_rule_score_and_threshold() {
    let rules = Rules {
        banned: vec!["scam".into()],
        suspect: vec!["idiot".into(), "moron".into()],
        threshold: 50,
    };
    let none = Facts::default();
    let cases: [(&str, Facts, Option<&str>); 8] = [
        ("A fair point.", none, None),
        ("Total scam", none, Some("banned word \"scam\"")),
        ("idiot moron", none, Some("score at or over the threshold")),
        ("idiot", none, None),
        (
            "read https://example.org",
            none,
            Some("comments with links are held"),
        ),
        (
            "A fair point.",
            Facts {
                pre_moderation: Some("this story is marked legal"),
                ..none
            },
            Some("pre-moderation: this story is marked legal"),
        ),
        (
            "A fair point.",
            Facts {
                approved: 1,
                new_commenter_holds: 2,
                ..none
            },
            Some("new commenter: 1 of 2 comments approved"),
        ),
        (
            "A fair point.",
            Facts {
                sanctioned_pre: true,
                ..none
            },
            Some("pre-moderation ordered for this reader"),
        ),
    ];
    for (text, facts, want) in cases {
        let s = score(text, &rules);
        let got = decide(&s, &facts, rules.threshold);
        match (want, &got) {
            (None, None) => {}
            (Some(w), Some(h)) => {
                assert!(h.rule.starts_with(w), "{text:?}: {h:?}");
                assert_eq!((h.score, h.threshold), (s.total, 50), "{text:?}");
            }
            _ => panic!("{text:?}: wanted {want:?}, got {got:?}"),
        }
        // Only content holds warn the writer first.
        let content = content_hold(&s, rules.threshold).is_some();
        let by_content = want.is_some_and(|w| !w.starts_with("pre-") && !w.starts_with("new "));
        assert_eq!(content, by_content, "{text:?}");
    }
}

#[test]
fn standing_refuses_with_the_reason() {
    let ok = Standing::default();
    assert!(may_post(&ok, 100).is_ok());
    let s = Standing {
        suspended_until: 100 + 7200,
        reason: "Insults.".into(),
        ..ok.clone()
    };
    let e = may_post(&s, 100).err().unwrap_or_default();
    assert!(e.contains("2 hours") && e.contains("Insults."), "{e}");
    assert!(may_post(&s, 100 + 7200).is_ok(), "a suspension ends");
    let b = Standing {
        banned: true,
        reason: "Spam.".into(),
        ..ok
    };
    assert!(may_post(&b, 0).err().is_some_and(|e| e.contains("Spam.")));
}
