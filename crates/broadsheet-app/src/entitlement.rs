//! The entitlement gate: the one place that decides how much of a story's
//! text a reader receives. Every route that shows story text (HTML, JSON-LD,
//! and later feeds, API, search snippets) must take the body from here.

use broadsheet_domain::{Access, Story, markup};

/// Who is reading. Reader accounts and subscriptions arrive later; until then
/// every reader is anonymous and not a subscriber.
#[derive(Debug, Clone, Default)]
pub struct Reader {
    pub subscriber: bool,
}

/// The part of a story's body a reader may receive.
#[derive(Debug, Clone)]
pub struct GatedBody {
    /// Markup (not yet rendered) the reader is entitled to.
    pub markup: String,
    /// True when text was withheld: show the subscribe prompt.
    pub withheld: bool,
}

/// Decides what of `story` this reader gets.
///
/// Free stories: all. Subscribers-only stories: subscribers get all, others
/// the first `preview_paragraphs`. Metered stories are free until the meter
/// exists (the paywall issue adds it here, and only here).
pub fn gate(story: &Story, reader: &Reader, preview_paragraphs: usize) -> GatedBody {
    match story.access {
        Access::Free | Access::Metered => GatedBody {
            markup: story.body.clone(),
            withheld: false,
        },
        Access::Subscribers if reader.subscriber => GatedBody {
            markup: story.body.clone(),
            withheld: false,
        },
        Access::Subscribers => {
            let (markup, withheld) = markup::lead_paragraphs(&story.body, preview_paragraphs);
            GatedBody { markup, withheld }
        }
    }
}

/// Whether the full text is free to everyone (for `isAccessibleForFree`).
pub fn free_to_all(story: &Story) -> bool {
    !matches!(story.access, Access::Subscribers)
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
        let gated = gate(&story(body, Access::Subscribers), &Reader::default(), n);
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
            let all = gate(&story(&body, Access::Subscribers), &Reader { subscriber: true }, n);
            prop_assert!(!all.withheld && all.markup == body);
            let free = gate(&story(&body, Access::Free), &Reader::default(), n);
            prop_assert!(!free.withheld && free.markup == body);
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
            let gated = gate(&story(&body, Access::Subscribers), &Reader::default(), n);
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
        let g = gate(&story(body, Access::Subscribers), &Reader::default(), 2);
        assert!(g.withheld);
        assert!(g.markup.contains("Free two.") && !g.markup.contains("Paid"));
    }
}
