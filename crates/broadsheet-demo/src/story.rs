//! Assembling one story: section, topic, variables, headline, body,
//! byline, times, pictures, tags and access level.

use crate::names::{
    self, AGENCIES, COUNTRIES, DISTRICTS, FOREIGN_CITIES, PLACE_TAGS, SCOT_ISLANDS, SCOT_TOWNS,
    STREETS, TOWNS,
};
use crate::rng::{Rng, stream};
use crate::text::{self, Ctx};
use crate::topics::{self, Topic};
use crate::typography;
use crate::{BylineSeed, Demo, StorySeed};

/// Sections that carry stories, with their relative weights.
const SECTION_WEIGHTS: &[(&str, u32)] = &[
    ("news", 6),
    ("uk", 22),
    ("scotland", 10),
    ("world", 14),
    ("business", 12),
    ("sport", 16),
    ("opinion", 8),
    ("lifestyle", 12),
];

/// Share of agency (wire) copy per section.
fn agency_share(section: &str) -> f64 {
    match section {
        "news" => 0.15,
        "uk" => 0.18,
        "scotland" => 0.12,
        "world" => 0.55,
        "business" => 0.25,
        "sport" => 0.15,
        "lifestyle" => 0.05,
        _ => 0.0,
    }
}

fn agency_for(r: &mut Rng, section: &str) -> String {
    let name = match section {
        "scotland" => {
            if r.chance(0.7) {
                "Highland News Service"
            } else {
                "North Press Agency"
            }
        }
        "world" => *r.pick(&[
            "Global Wire Service",
            "Continental Press Network",
            "Global Wire Service",
        ]),
        "business" => *r.pick(&["Global Wire Service", "Albion News Agency"]),
        _ => *r.pick(&[
            "North Press Agency",
            "Albion News Agency",
            "North Press Agency",
        ]),
    };
    debug_assert!(AGENCIES.contains(&name));
    name.to_string()
}

/// Fill the variables every story may use.
fn common_vars(r: &mut Rng, c: &mut Ctx, published_at: i64) {
    c.set("city", names::CITY);
    c.set("region", names::REGION);
    c.set("paper", names::PAPER);
    let t = r.sample(TOWNS.len(), 2);
    c.set("town", TOWNS[t[0]]);
    c.set("town2", TOWNS[t.get(1).copied().unwrap_or(0)]);
    c.set("district", *r.pick(DISTRICTS));
    c.set("street", *r.pick(STREETS));
    let s = r.sample(SCOT_TOWNS.len(), 2);
    c.set("stown", SCOT_TOWNS[s[0]]);
    c.set("stown2", SCOT_TOWNS[s.get(1).copied().unwrap_or(0)]);
    c.set("island", *r.pick(SCOT_ISLANDS));
    let k = r.sample(COUNTRIES.len(), 2);
    let (country, capital, adj) = COUNTRIES[k[0]];
    let (country2, capital2, _) = COUNTRIES[k.get(1).copied().unwrap_or(0)];
    c.set("country", country);
    c.set("capital", capital);
    c.set("adj", adj);
    c.set("country2", country2);
    c.set("capital2", capital2);
    c.set("fcity", *r.pick(FOREIGN_CITIES));
    let wd = text::weekday(published_at);
    c.set("weekday", text::WEEKDAYS[wd]);
    c.set("prev_day", text::WEEKDAYS[(wd + 6) % 7]);
    c.set("next_day", text::WEEKDAYS[(wd + 1) % 7]);
    let (_, month, _) = text::civil(published_at);
    c.set("month_num", month.to_string());
    c.set("month", text::MONTHS[(month as usize + 11) % 12]);
}

/// A headline of at most 110 characters with no trailing full stop.
fn headline(r: &mut Rng, c: &Ctx, options: &[&str]) -> String {
    let start = r.below(options.len());
    let mut best = String::new();
    for i in 0..options.len() {
        let h = text::capitalise(c.render(options[(start + i) % options.len()]).trim());
        if h.chars().count() <= 110 {
            best = h;
            break;
        }
        if best.is_empty() || h.len() < best.len() {
            best = h;
        }
    }
    if best.chars().count() > 110 {
        let mut cut: String = best.chars().take(110).collect();
        if let Some(sp) = cut.rfind(' ') {
            cut.truncate(sp);
        }
        best = cut;
    }
    while best.ends_with('.') || best.ends_with(',') || best.ends_with(':') {
        best.pop();
    }
    best
}

enum Block {
    Para(String),
    Quote(String),
    Sub(String),
    Picture(usize),
}

/// Build the Markdown body of a story.
fn body(
    r: &mut Rng,
    c: &Ctx,
    topic: &Topic,
    angle: &topics::Angle,
    section: &str,
    pictures: &[usize],
) -> String {
    // Every paragraph the topic has for this angle, in its written order:
    // the angle's own, then the topic's details; news gets every quote,
    // columns and features one or two.
    let quote_n = match section {
        "opinion" | "lifestyle" => 1 + r.below(2),
        _ => topic.quotes.len(),
    };
    let quote_n = quote_n.min(topic.quotes.len());
    let mut middle: Vec<&str> = Vec::with_capacity(angle.extra.len() + topic.details.len());
    middle.extend(angle.extra.iter().copied());
    middle.extend(topic.details.iter().copied());
    let target = middle.len() + quote_n + 2;

    let mut blocks: Vec<Block> = Vec::with_capacity(target + 4);
    blocks.push(Block::Para(c.render(r.pick::<&str>(angle.openers))));
    for m in middle {
        match m.strip_prefix("> ") {
            Some(q) => blocks.push(Block::Quote(c.render(q))),
            None => blocks.push(Block::Para(c.render(m))),
        }
    }
    // Quotes go after the second paragraph at the earliest.
    for qi in r.sample(topic.quotes.len(), quote_n) {
        let pos = 2 + r.below(blocks.len().saturating_sub(1).max(1));
        let pos = pos.min(blocks.len());
        blocks.insert(pos, Block::Quote(c.render(topic.quotes[qi])));
    }
    blocks.push(Block::Para(c.render(r.pick::<&str>(topic.closers))));
    // Drop empty paragraphs (a variable may render to nothing).
    blocks.retain(|b| !matches!(b, Block::Para(s) if s.trim().is_empty()));
    introduce_people(&mut blocks, c);

    // Subheadings in longer news stories (one or two, as the topic has
    // them), never first or last, never two together.
    let subs = match section {
        "opinion" | "lifestyle" => usize::from(blocks.len() >= 9 && r.chance(0.3)),
        _ if blocks.len() >= 8 => topic.subheads.len().min(2),
        _ => 0,
    };
    let mut heads = r.sample(topic.subheads.len(), subs);
    heads.sort_unstable();
    for (i, h) in heads.iter().enumerate() {
        let span = blocks.len().saturating_sub(4).max(1);
        let pos = 3 + (span * (2 * i + 1)) / (2 * subs.max(1));
        let pos = pos.min(blocks.len() - 1);
        if !matches!(blocks[pos - 1], Block::Sub(_)) && !matches!(blocks[pos], Block::Sub(_)) {
            blocks.insert(pos, Block::Sub(c.render(topic.subheads[*h])));
        }
    }
    // Inline pictures: never first, never directly after a subheading,
    // never next to another picture.
    for &key in pictures {
        let ok = |blocks: &[Block], pos: usize| {
            !matches!(blocks[pos - 1], Block::Sub(_) | Block::Picture(_))
                && !matches!(blocks.get(pos), Some(Block::Picture(_)))
        };
        let start = 1 + r.below(blocks.len().saturating_sub(1).max(1));
        let pos = (start..=blocks.len())
            .chain(1..start)
            .find(|&p| ok(&blocks, p));
        if let Some(pos) = pos {
            blocks.insert(pos, Block::Picture(key));
        }
    }

    let mut out = String::with_capacity(2048);
    for b in &blocks {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        match b {
            Block::Para(s) => out.push_str(&typography::smarten(&text::tidy(&text::capitalise(
                s.trim(),
            )))),
            Block::Quote(s) => {
                out.push_str("> ");
                out.push_str(&typography::smarten(&text::tidy(&text::capitalise(
                    s.trim(),
                ))));
            }
            Block::Sub(s) => {
                out.push_str("## ");
                out.push_str(&typography::smarten(s.trim()));
            }
            Block::Picture(k) => {
                out.push_str("[picture:");
                out.push_str(&k.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// The first mention of a person in the body uses their full name: if a
/// paragraph mentions only the short name (a surname) before the full name
/// has appeared, that mention is expanded.
fn introduce_people(blocks: &mut [Block], c: &Ctx) {
    let people = c.people();
    let mut introduced = vec![false; people.len()];
    for b in blocks.iter_mut() {
        let (Block::Para(s) | Block::Quote(s)) = b else {
            continue;
        };
        for (i, (full, short)) in people.iter().enumerate() {
            if introduced[i] {
                continue;
            }
            let at_full = text::find_word(s, full);
            // A surname inside the full name does not count as a short mention.
            let at_short = find_short(s, full, short);
            match (at_full, at_short) {
                (Some(f), Some(sh)) if sh < f => {
                    s.replace_range(sh..sh + short.len(), full);
                    introduced[i] = true;
                }
                (Some(_), _) => introduced[i] = true,
                (None, Some(sh)) => {
                    s.replace_range(sh..sh + short.len(), full);
                    introduced[i] = true;
                }
                (None, None) => {}
            }
        }
    }
}

/// Position of a short-name mention that is not part of the full name.
fn find_short(s: &str, full: &str, short: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text::find_word(&s[from..], short) {
        let at = from + i;
        let in_full = full.ends_with(short)
            && at + short.len() >= full.len()
            && s[..at + short.len()].ends_with(full);
        if !in_full {
            return Some(at);
        }
        from = at + short.len();
    }
    None
}

fn tags(topic: &Topic, c: &Ctx, section: &str, text: &str, r: &mut Rng) -> Vec<String> {
    let mut tags: Vec<String> = topic.tags.iter().map(|t| (*t).to_string()).collect();
    if let Some(extra) = c.get("extra_tag")
        && !tags.iter().any(|t| t == extra)
    {
        tags.push(extra.to_string());
    }
    // A place tag when the story is clearly about that place.
    let place = match section {
        "scotland" => c.get("stown"),
        "world" => c.get("country"),
        "opinion" | "lifestyle" | "sport" => None,
        _ => {
            let town = c.get("town").unwrap_or("");
            if PLACE_TAGS.contains(&town) {
                Some(town)
            } else if r.chance(0.3) {
                Some(names::CITY)
            } else {
                None
            }
        }
    };
    if let Some(p) = place
        && PLACE_TAGS.contains(&p)
        && text.contains(p)
        && !tags.iter().any(|t| t == p)
    {
        tags.push(p.to_string());
    }
    // Keep 1–4, dropping from the end (topic tags come first).
    tags.truncate(4);
    tags
}

/// What a story is about, drawn before its text: everything the paper
/// plan (unique standfirsts, pictures that match their story) needs.
pub(crate) struct Head {
    r: Rng,
    pub(crate) section: &'static str,
    pub(crate) topic: &'static Topic,
    /// Index of the topic in its section's list.
    pub(crate) topic_ix: usize,
    pub(crate) c: Ctx,
    angle: &'static topics::Angle,
    pub(crate) headline: String,
    /// Standfirst candidates, the drawn one first; every one a sentence
    /// that agrees with the angle (its standfirsts, then its openers, then
    /// single-sentence details of the topic).
    pub(crate) standfirsts: Vec<String>,
    published_at: i64,
    breaking: bool,
}

fn sentence(c: &Ctx, tpl: &str) -> Option<String> {
    let s = text::tidy(&text::capitalise(c.render(tpl).trim()));
    let s = if s.ends_with('.') || s.ends_with('?') {
        s
    } else {
        format!("{s}.")
    };
    let one = !s.trim_end_matches(['.', '?']).contains(". ")
        && !s.contains('{')
        && !s.starts_with('>')
        && s.len() > 30;
    one.then(|| typography::smarten(&s))
}

/// Draw story `key`'s section, topic, variables, angle, headline and
/// standfirst candidates.
pub(crate) fn head(
    seed: u64,
    timeline: &crate::timeline::Timeline,
    breaking_key: Option<usize>,
    key: usize,
) -> Head {
    let mut r = Rng::derive(seed, stream::STORY, key as u64);
    let breaking = breaking_key == Some(key);
    let weights: Vec<u32> = SECTION_WEIGHTS.iter().map(|(_, w)| *w).collect();
    let section = if breaking {
        "news"
    } else {
        SECTION_WEIGHTS[r.weighted(&weights)].0
    };
    let topic_list = topics::for_section(section);
    let topic_ix = r.below(topic_list.len());
    let topic = &topic_list[topic_ix];
    let published_at = timeline.published_at(key);

    let mut c = Ctx::for_paper(seed);
    common_vars(&mut r, &mut c, published_at);
    (topic.setup)(&mut r, &mut c);
    let angle = &topic.angles[r.below(topic.angles.len())];

    let headline = typography::smarten(&text::tidy(&headline(&mut r, &c, angle.headlines)));
    let first = r.below(angle.standfirsts.len());
    let mut standfirsts: Vec<String> = Vec::new();
    let n = angle.standfirsts.len();
    for i in 0..n {
        let tpl = angle.standfirsts[(first + i) % n];
        let s = sentence(&c, tpl).unwrap_or_else(|| {
            typography::smarten(&text::tidy(&text::capitalise(c.render(tpl).trim())))
        });
        standfirsts.push(s);
    }
    for tpl in angle.openers.iter().chain(topic.details.iter()) {
        if let Some(s) = sentence(&c, tpl)
            && !standfirsts.contains(&s)
        {
            standfirsts.push(s);
        }
    }
    // Last resort, for columns whose every sentence is fixed: the same
    // sentences with the date of the edition, which no other story of the
    // topic shares on the same day.
    let (_, month, day) = text::civil(published_at);
    let dated = format!(
        " ({} {day} {})",
        text::WEEKDAYS[text::weekday(published_at)],
        text::MONTHS[(month as usize + 11) % 12]
    );
    let plain = standfirsts.len();
    for i in 0..plain {
        let s = &standfirsts[i];
        let (body, stop) = s.split_at(s.len() - 1);
        let with_date = format!("{body}{dated}{stop}");
        standfirsts.push(with_date);
    }
    Head {
        r,
        section,
        topic,
        topic_ix,
        c,
        angle,
        headline,
        standfirsts,
        published_at,
        breaking,
    }
}

/// Generate story `key` of the demo paper.
pub(crate) fn generate(demo: &Demo, key: usize) -> StorySeed {
    let spec = &demo.spec;
    let Head {
        mut r,
        section,
        topic,
        c,
        angle,
        headline,
        standfirsts,
        published_at,
        breaking,
        ..
    } = head(spec.seed, &demo.timeline, demo.breaking_key, key);
    let choice = demo.plan.standfirst(key);
    let standfirst = standfirsts
        .get(choice)
        .or(standfirsts.first())
        .cloned()
        .unwrap_or_default();

    // Pictures: the story's own (drawn for it), or a file picture of
    // another story on the same topic.
    let lead_picture = demo.plan.lead_picture(key, &mut r);
    let inline: Vec<usize> = demo.plan.inline_picture(key).into_iter().collect();
    let body = body(&mut r, &c, topic, angle, section, &inline);

    let byline = if r.chance(agency_share(section)) {
        BylineSeed::Agency(agency_for(&mut r, section))
    } else {
        BylineSeed::Staff(demo.writers.byline(&mut r, section))
    };

    let age = spec.now - published_at;
    let p_update = if breaking { 0.9 } else { 0.25 };
    let updated_at = if r.chance(p_update) && age >= 600 {
        let delta = r.range(600, 8 * 3600);
        Some((published_at + delta).min(spec.now))
    } else {
        None
    };

    let all_text = format!("{headline}\n{standfirst}\n{body}");
    let tags = tags(topic, &c, section, &all_text, &mut r);
    let access = match r.weighted(&[70, 20, 10]) {
        0 => "free",
        1 => "metered",
        _ => "subscribers",
    };
    // Breaking news is always free to read.
    let access = if breaking { "free" } else { access };

    StorySeed {
        key,
        section: section.to_string(),
        headline,
        standfirst,
        body,
        byline,
        published_at,
        updated_at,
        lead_picture,
        tags,
        access: access.to_string(),
        breaking,
    }
}
