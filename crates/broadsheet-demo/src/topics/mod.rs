//! Story templates, grouped by section.
//!
//! A [`Topic`] is a family of stories about one kind of event (a council
//! budget, a match report, a restaurant review...). Its `setup` function
//! draws the story's variables (people, places, numbers) once, and every
//! headline, standfirst and paragraph template of the topic is rendered
//! from those same variables, so the body stays consistent with the
//! headline.

use crate::rng::Rng;
use crate::text::{self, Ctx};

mod business;
mod lifestyle;
mod news;
mod opinion;
mod scotland;
mod sport;
mod uk;
mod world;

/// One angle on a topic: headlines, standfirsts and openers that agree with
/// each other (a plan approved, a plan rejected...), plus paragraphs that
/// only make sense for this angle.
pub(crate) struct Angle {
    pub headlines: &'static [&'static str],
    /// One sentence each.
    pub standfirsts: &'static [&'static str],
    /// First paragraph of the body.
    pub openers: &'static [&'static str],
    /// Extra middle paragraphs for this angle only.
    pub extra: &'static [&'static str],
}

/// One family of stories.
pub(crate) struct Topic {
    /// Short identifier (used in test messages).
    #[cfg_attr(not(test), allow(dead_code))]
    pub id: &'static str,
    /// Tags every story of this topic carries (1–3, from the shared vocabulary).
    pub tags: &'static [&'static str],
    /// Draws the topic's own variables.
    pub setup: fn(&mut Rng, &mut Ctx),
    pub angles: &'static [Angle],
    /// Middle paragraphs true for every angle; a random subset is used, in order.
    pub details: &'static [&'static str],
    /// Quote paragraphs (rendered as Markdown block quotes).
    pub quotes: &'static [&'static str],
    /// Subheadings (`## ...`).
    pub subheads: &'static [&'static str],
    /// Last paragraph.
    pub closers: &'static [&'static str],
}

/// Topics for a section slug (the `news` section carries incident reports).
pub(crate) fn for_section(slug: &str) -> &'static [Topic] {
    match slug {
        "news" => news::TOPICS,
        "uk" => uk::TOPICS,
        "scotland" => scotland::TOPICS,
        "world" => world::TOPICS,
        "business" => business::TOPICS,
        "sport" => sport::TOPICS,
        "opinion" => opinion::TOPICS,
        _ => lifestyle::TOPICS,
    }
}

/// All sections that carry stories, for tests.
#[cfg(test)]
pub(crate) const STORY_SECTIONS: &[&str] = &[
    "news",
    "uk",
    "scotland",
    "world",
    "business",
    "sport",
    "opinion",
    "lifestyle",
];

// ---- helpers shared by the topic modules ----

/// An integer in `lo..=hi`, with thousands separators.
pub(crate) fn int(r: &mut Rng, c: &mut Ctx, key: &'static str, lo: i64, hi: i64) -> i64 {
    let n = r.range(lo, hi);
    c.set(key, text::fmt_int(n));
    n
}

/// An integer in `lo..=hi`, one to nine in words.
pub(crate) fn small(r: &mut Rng, c: &mut Ctx, key: &'static str, lo: i64, hi: i64) -> i64 {
    let n = r.range(lo, hi);
    c.set(key, text::num_word(n));
    n
}

/// Millions of pounds in `lo..hi`, e.g. "£12.4m".
pub(crate) fn millions(r: &mut Rng, c: &mut Ctx, key: &'static str, lo: f64, hi: f64) -> f64 {
    let m = r.float(lo, hi);
    c.set(key, text::money_m(m));
    m
}

/// Whole pounds in `lo..=hi`, rounded to `step`.
pub(crate) fn pounds(
    r: &mut Rng,
    c: &mut Ctx,
    key: &'static str,
    lo: i64,
    hi: i64,
    step: i64,
) -> i64 {
    let n = r.range(lo / step, hi / step) * step;
    c.set(key, text::money(n));
    n
}

/// A percentage with one decimal in `lo..hi`.
pub(crate) fn percent(r: &mut Rng, c: &mut Ctx, key: &'static str, lo: f64, hi: f64) -> f64 {
    let x = r.float(lo, hi);
    c.set(key, text::pct1(x));
    x
}

/// Render a variable's own value as a template (for picked values that
/// contain placeholders themselves).
pub(crate) fn resolve(c: &mut Ctx, key: &'static str) {
    let v = c.get(key).unwrap_or("").to_string();
    let v = c.render(&v);
    c.set(key, v);
}

/// The month number (1..=12) of the story's publication date.
pub(crate) fn month_num(c: &Ctx) -> u32 {
    c.get("month_num").and_then(|m| m.parse().ok()).unwrap_or(6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::TAGS;

    #[test]
    fn topics_are_well_formed() {
        for slug in STORY_SECTIONS {
            let topics = for_section(slug);
            assert!(topics.len() >= 3, "{slug} has too few topics");
            for t in topics {
                assert!(!t.tags.is_empty() && t.tags.len() <= 3, "{}", t.id);
                for tag in t.tags {
                    assert!(TAGS.contains(tag), "{}: unknown tag {tag}", t.id);
                }
                assert!(!t.angles.is_empty(), "{}", t.id);
                let headlines: usize = t.angles.iter().map(|a| a.headlines.len()).sum();
                assert!(headlines >= 4, "{}", t.id);
                for a in t.angles {
                    assert!(!a.headlines.is_empty(), "{}", t.id);
                    assert!(!a.standfirsts.is_empty(), "{}", t.id);
                    assert!(!a.openers.is_empty(), "{}", t.id);
                    for h in a.headlines {
                        assert!(!h.ends_with('.'), "{}: {h}", t.id);
                    }
                    for s in a.standfirsts {
                        assert!(s.ends_with('.') || s.ends_with('?'), "{}: {s}", t.id);
                    }
                }
                assert!(
                    t.details.len() >= 5,
                    "{}: {} details",
                    t.id,
                    t.details.len()
                );
                assert!(t.quotes.len() >= 2, "{}", t.id);
                assert!(!t.subheads.is_empty(), "{}", t.id);
                assert!(!t.closers.is_empty(), "{}", t.id);
            }
        }
    }
}
