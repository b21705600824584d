//! The entitlement gate: the one place that decides how much of a story's
//! text a reader receives. Every route that shows story text (HTML, JSON-LD,
//! and later feeds, API, search snippets, email) must take the body from
//! here: [`decide`] says *full* or *cut* for one reader, and [`gate`] cuts.
//!
//! - Free stories: full, for everyone (no reader state is even read).
//! - Subscribers: full. A working gift link to this story: full.
//! - Subscribers-only stories (and metered stories in a section or with a
//!   tag set "subscribers only over the meter", see [`effective_access`]):
//!   cut.
//! - Metered stories: full while the reader's meter (`meter.rs`) has
//!   allowance left or the story was opened in this period; else cut.
//!
//! Nothing here trusts the User-Agent, Referer or X-Forwarded-For: a reader
//! is only what [`Reader`] holds (an account's session, a signed device
//! cookie, a gift token, the client address read through the configured
//! proxy hops). Full text for search crawlers is not offered.

use std::net::IpAddr;

use broadsheet_domain::{Access, Story, markup};

use crate::{App, Result};

/// Who is reading, as far as the server can tell. Built per request by the
/// web layer from the reader's session and cookies; never from headers a
/// client can set freely.
#[derive(Debug, Clone, Default)]
pub struct Reader {
    /// The signed-in reader account (a registered reader).
    pub account: Option<i64>,
    /// The account has a subscription in force now.
    pub subscriber: bool,
    /// The device id from a valid signed meter cookie.
    pub device: Option<i64>,
    /// A gift token the request carried (checked in [`decide`]).
    pub gift_token: Option<String>,
    /// The client address (through `--trusted-proxy-hops` only).
    pub client: Option<IpAddr>,
}

/// What a story page needs to know to decide, fixed when it is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateInfo {
    pub story_id: i64,
    /// The story's access after section and tag rules.
    pub access: Access,
}

/// Full text, or the preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Full,
    Cut,
}

/// Declares [`Because`] with its list and labels from one list of names, so a
/// new reason cannot be left out of the metrics counters made from
/// [`Because::ALL`].
macro_rules! reasons {
    ($($reason:ident),+ $(,)?) => {
        /// Why the reader got what they got (for the prompt, tests and metrics).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Because {
            $($reason),+
        }

        impl Because {
            /// Every reason, for making one metrics counter per reason.
            pub const ALL: &'static [Because] = &[$(Because::$reason),+];

            /// The reason as a metrics label (its name).
            pub fn label(self) -> &'static str {
                match self {
                    $(Because::$reason => stringify!($reason)),+
                }
            }
        }
    };
}

reasons!(
    FreeStory,
    Subscriber,
    Gift,
    MeterLeft,
    ForSubscribers,
    MeterSpent,
);

/// [`decide`]'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub decision: Decision,
    pub because: Because,
    /// A fresh signed meter cookie value to set (the reader had none).
    pub new_device: Option<String>,
}

/// [`decide`]'s answer when this node can give it from memory alone (no
/// database round trip, nothing counted): free stories, subscribers (as the
/// web layer read them), subscribers-only stories, and metered stories whose
/// answer cannot change (open on the meter, meter spent, an address over its
/// new-device limit: `gatecache.rs`). `None`: only [`decide`] can say. A
/// gift token always needs [`decide`]. The fast path answers a paid page
/// only from this, the same rules [`decide`] applies first.
pub fn decide_in_memory(app: &App, info: GateInfo, reader: &Reader, now: i64) -> Option<Verdict> {
    let v = |decision, because| Verdict {
        decision,
        because,
        new_device: None,
    };
    if info.access == Access::Free {
        return Some(v(Decision::Full, Because::FreeStory));
    }
    if reader.subscriber {
        return Some(v(Decision::Full, Because::Subscriber));
    }
    if reader.gift_token.is_some() {
        return None;
    }
    match info.access {
        Access::Free => Some(v(Decision::Full, Because::FreeStory)),
        Access::Subscribers => Some(v(Decision::Cut, Because::ForSubscribers)),
        Access::Metered => Some(
            if crate::meter::open_in_memory(app, reader, info.story_id, now)? {
                v(Decision::Full, Because::MeterLeft)
            } else {
                v(Decision::Cut, Because::MeterSpent)
            },
        ),
    }
}

/// Decides what `reader` gets of the story `info` names, at `now`: the one
/// decision for every channel. May count the story on the reader's meter or
/// a gift link's uses.
pub async fn decide(app: &App, info: GateInfo, reader: &Reader, now: i64) -> Result<Verdict> {
    if let Some(known) = decide_in_memory(app, info, reader, now) {
        return Ok(known);
    }
    let v = |decision, because| Verdict {
        decision,
        because,
        new_device: None,
    };
    // Past this point the story is not free and the reader not a subscriber
    // (`decide_in_memory` answers both): a gift link, or the meter's
    // database part.
    if let Some(token) = &reader.gift_token {
        // The holder is counted once, as the meter would count them.
        let (subject, new_device) = match crate::meter::subject(reader) {
            Some(s) => (Some(s), None),
            None => {
                let signer = app.views().signer();
                let value = signer.issue();
                (signer.verify(&value).map(|d| format!("d:{d}")), Some(value))
            }
        };
        if let Some(subject) = subject
            && crate::gifts::redeem(app, token, info.story_id, &subject, now).await?
        {
            return Ok(Verdict {
                decision: Decision::Full,
                because: Because::Gift,
                new_device,
            });
        }
    }
    match info.access {
        Access::Free => Ok(v(Decision::Full, Because::FreeStory)),
        Access::Subscribers => Ok(v(Decision::Cut, Because::ForSubscribers)),
        Access::Metered => {
            let m = crate::meter::open(app, reader, info.story_id, now).await?;
            Ok(Verdict {
                decision: if m.open {
                    Decision::Full
                } else {
                    Decision::Cut
                },
                because: if m.open {
                    Because::MeterLeft
                } else {
                    Because::MeterSpent
                },
                new_device: m.new_device,
            })
        }
    }
}

/// The story's access after the newsroom's rules: a metered story in a
/// section (or under one) or with a tag set "subscribers only over the
/// meter" is for subscribers.
pub async fn effective_access(app: &App, story: &Story) -> Result<Access> {
    if story.access != Access::Metered {
        return Ok(story.access);
    }
    let sections: Vec<i64> = app
        .sections()
        .ancestry(story.section_id)
        .iter()
        .map(|s| s.id)
        .collect();
    let tags: Vec<i64> = story.tags.iter().map(|t| t.id).collect();
    Ok(if app.store().paywall_over_meter(&sections, &tags).await? {
        Access::Subscribers
    } else {
        Access::Metered
    })
}

/// The part of a story's body a reader may receive.
#[derive(Debug, Clone)]
pub struct GatedBody {
    /// Markup (not yet rendered): everything of a free story; of a paid
    /// one, the preview.
    pub markup: String,
    /// Of a paid story read in full, the markup after the preview (shown
    /// in the element JSON-LD's `hasPart` names); `None` otherwise.
    pub rest: Option<String>,
    /// True when text was withheld: show the prompt.
    pub withheld: bool,
}

/// Cuts `story` as `decision` says. A free story is never cut; a paid story
/// read in full comes in two parts (preview, rest); cut, it is the first
/// `preview_paragraphs` top-level blocks and nothing after them.
pub fn gate(story: &Story, decision: Decision, preview_paragraphs: usize) -> GatedBody {
    if story.access == Access::Free {
        return GatedBody {
            markup: story.body.clone(),
            rest: None,
            withheld: false,
        };
    }
    let (lead, cut) = markup::lead_paragraphs(&story.body, preview_paragraphs);
    match (decision, cut) {
        (Decision::Cut, true) => GatedBody {
            markup: lead,
            rest: None,
            withheld: true,
        },
        (Decision::Cut, false) | (Decision::Full, false) => GatedBody {
            markup: story.body.clone(),
            rest: Some(String::new()),
            withheld: false,
        },
        (Decision::Full, true) => {
            let prepared = markup::prepared(&story.body);
            let rest = prepared.get(lead.len()..).unwrap_or_default().to_string();
            GatedBody {
                markup: lead,
                rest: Some(rest),
                withheld: false,
            }
        }
    }
}

/// Whether the full text is free to everyone (for `isAccessibleForFree`).
pub fn free_to_all(access: Access) -> bool {
    access == Access::Free
}

#[cfg(test)]
mod tests {
    //! The gate's promise, as properties: a reader who is not entitled gets
    //! no text from beyond the first N top-level blocks of the body, for
    //! bodies built from every kind of block and every kind of "blank" line.

    use super::*;
    use broadsheet_domain::StoryStatus;
    use proptest::prelude::*;

    fn story(body: &str, access: Access) -> Story {
        Story {
            id: 1,
            slug: "s".into(),
            section_id: 1,
            headline: "H".into(),
            standfirst: String::new(),
            body: body.into(),
            byline_text: None,
            authors: Vec::new(),
            tags: Vec::new(),
            status: StoryStatus::Published,
            access,
            breaking: false,
            published_at: Some(0),
            updated_at: None,
            lead_picture: None,
            modified_at: 0,
            version: 1,
            created_by: None,
            scheduled_at: None,
            seo_title: String::new(),
            seo_description: String::new(),
        }
    }

    /// Blocks of every kind; `{m}` becomes a unique marker word.
    const BLOCKS: &[&str] = &[
        "Para {m} words",
        "Line {m}\nlazy line {m}",
        "## Head {m}",
        "Setext {m}\n---",
        "Setext {m}\n===",
        "- item {m}\n- item {m}",
        "- a {m}\n  - nested {m}\n\n  loose {m}",
        "1. one {m}\n2. two {m}",
        "> quote {m}\nlazy {m}",
        "> quote {m}\n>\n> > deeper {m}",
        "```\ncode {m}\n\ncode {m}\n```",
        "~~~\nunclosed fence {m}",
        "    indented {m}",
        "<div>\nhtml {m}\n</div>",
        "<div>\n\nmd inside {m}\n\n</div>",
        "<style>\nstyle {m}",
        "<script>x {m}",
        "<pre>\npre {m}",
        "<!-- open comment {m}",
        "<!-- closed {m} --> after {m}",
        "<textarea>area {m}",
        "| a {m} | b |\n|---|---|\n| c {m} | d |",
        "[ref]: https://ex.example/{m} \"Title {m}\"",
        "Read [this][ref] {m}",
        "[picture:7]",
        "[embed:https://www.youtube.com/watch?v={m}]",
        "***",
        "Text {m}  \nhard break {m}",
        "<b>bold {m}",
        "<div title=\"{m}",
    ];

    /// What may stand between blocks, "blank" or not.
    const SEPARATORS: &[&str] = &[
        "\n\n",
        "\n \n",
        "\n\t\n",
        "\n \t \n",
        "\r\n\r\n",
        "\r\n \r\n",
        "\r\r",
        "\n\u{a0}\n",
        "\n\u{2003}\n",
        "\n\u{200b}\n",
        "\n\u{feff}\n",
        "\n",
        "\n\n\n",
    ];

    /// Joins the chosen blocks and separators, numbering the markers.
    fn build(parts: &[(usize, usize)], blocks: &[&str]) -> (String, Vec<String>) {
        let mut body = String::new();
        let mut markers = Vec::new();
        for (i, (b, s)) in parts.iter().enumerate() {
            if i > 0 {
                body.push_str(SEPARATORS[s % SEPARATORS.len()]);
            }
            let mut block = blocks[b % blocks.len()].to_string();
            while let Some(at) = block.find("{m}") {
                let m = format!("mk{}z", markers.len());
                block.replace_range(at..at + 3, &m);
                markers.push(m);
            }
            body.push_str(&block);
        }
        (body, markers)
    }

    /// Checks the gate's promise for one body: the markers a non-subscriber
    /// may see are exactly those placed before the first block after the
    /// first `n` counted (non-picture) blocks.
    fn promise_holds(body: &str, markers: &[String], n: usize) -> std::result::Result<(), String> {
        let gated = gate(&story(body, Access::Subscribers), Decision::Cut, n);
        let html = markup::render(&gated.markup, |_| None);
        let prepared = markup::prepared(body);
        let ranges = markup::block_ranges(body);
        let mut counted = 0;
        let mut first_withheld = None;
        for r in &ranges {
            if counted == n {
                first_withheld = Some(r.start);
                break;
            }
            if prepared[r.clone()].trim() != "[picture:7]" {
                counted += 1;
            }
        }
        if gated.withheld != first_withheld.is_some() {
            return Err(format!("withheld={} but blocks {ranges:?}", gated.withheld));
        }
        let Some(limit) = first_withheld else {
            return if gated.markup == body {
                Ok(())
            } else {
                Err("nothing to withhold, yet the body was changed".into())
            };
        };
        for m in markers {
            let at = prepared
                .find(m.as_str())
                .ok_or_else(|| format!("{m} lost from the prepared text"))?;
            if at >= limit && (html.contains(m.as_str()) || gated.markup.contains(m.as_str())) {
                return Err(format!("{m} (at {at}, after {limit}) leaked: {html}"));
            }
            if html.contains(m.as_str()) && at >= limit {
                return Err(format!("{m} shown from beyond the preview"));
            }
        }
        // Prefix-subset: what is shown comes from the text before the limit.
        if !prepared.starts_with(&gated.markup) {
            return Err(format!("the preview is not a prefix: {:?}", gated.markup));
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn non_subscribers_get_only_the_first_blocks(
            parts in proptest::collection::vec((0..BLOCKS.len(), 0..SEPARATORS.len()), 1..9),
            n in 0usize..5,
        ) {
            let (body, markers) = build(&parts, BLOCKS);
            if let Err(e) = promise_holds(&body, &markers, n) {
                return Err(TestCaseError::fail(format!("{e}\nbody: {body:?} n={n}")));
            }
            // Subscribers and free stories: everything, unchanged.
            // Full: the preview and the rest make the whole (prepared) body.
            let all = gate(&story(&body, Access::Subscribers), Decision::Full, n);
            prop_assert!(!all.withheld);
            let whole = format!("{}{}", all.markup, all.rest.clone().unwrap_or_default());
            prop_assert!(whole == body || whole == markup::prepared(&body), "{:?}", whole);
            // Metered stories cut like subscribers-only ones.
            let metered = gate(&story(&body, Access::Metered), Decision::Cut, n);
            let subs = gate(&story(&body, Access::Subscribers), Decision::Cut, n);
            prop_assert_eq!(metered.markup, subs.markup);
            // Free stories: everything, unchanged, whatever the decision.
            let free = gate(&story(&body, Access::Free), Decision::Cut, n);
            prop_assert!(!free.withheld && free.markup == body && free.rest.is_none());
        }

        /// Independent of the parser: paragraphs separated by lines a reader
        /// sees as blank are separate paragraphs, and only the first `n`
        /// reach a non-subscriber.
        #[test]
        fn blank_looking_lines_separate_paragraphs(
            seps in proptest::collection::vec(0..SEPARATORS.len() - 2, 1..8),
            n in 0usize..4,
        ) {
            let mut body = String::from("Para p0z");
            for (i, s) in seps.iter().enumerate() {
                body.push_str(SEPARATORS[*s]);
                body.push_str(&format!("Para p{}z", i + 1));
            }
            let total = seps.len() + 1;
            let gated = gate(&story(&body, Access::Subscribers), Decision::Cut, n);
            let html = markup::render(&gated.markup, |_| None);
            prop_assert_eq!(gated.withheld, total > n, "{:?}", body);
            for i in 0..total {
                let shown = html.contains(&format!("p{i}z"));
                prop_assert_eq!(shown, i < n, "paragraph {} of {:?}: {}", i, body, html);
            }
        }
    }

    #[test]
    fn review_probe_whitespace_blank_lines() {
        let body = "Free one.\n \nFree two.\n\t\nPaid three.\n \nPaid four.";
        let g = gate(&story(body, Access::Subscribers), Decision::Cut, 2);
        assert!(g.withheld);
        assert!(g.markup.contains("Free two.") && !g.markup.contains("Paid"));
    }
}
