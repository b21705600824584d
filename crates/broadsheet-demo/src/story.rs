//! Assembling one story: section, topic, variables, headline, body,
//! byline, times, pictures, tags and access level.

use crate::names::{
    self, AGENCIES, COUNTRIES, DISTRICTS, FOREIGN_CITIES, PLACE_TAGS, SCOT_ISLANDS, SCOT_TOWNS,
    STREETS, TOWNS,
};
use crate::rng::{Rng, stream};
use crate::text::{self, Ctx};
use crate::topics::{self, Topic};
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

/// How many text paragraphs (quotes included) a body gets.
fn paragraph_target(r: &mut Rng) -> usize {
    // 5..=12, mostly 6–9.
    5 + r.weighted(&[8, 14, 18, 18, 14, 10, 8, 6])
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
    let target = paragraph_target(r);
    let quote_n = match section {
        "opinion" | "lifestyle" => r.weighted(&[50, 40, 10]),
        _ => r.weighted(&[25, 50, 25]),
    };
    let quote_n = quote_n.min(topic.quotes.len());
    // Middle material: angle extras first (in order), then topic details
    // (a random subset, kept in their written order).
    let middle_n = target.saturating_sub(2 + quote_n);
    let mut middle: Vec<&str> = Vec::with_capacity(middle_n);
    let extra_n = angle.extra.len().min(middle_n);
    let mut ex = r.sample(angle.extra.len(), extra_n);
    ex.sort_unstable();
    middle.extend(ex.iter().map(|&i| angle.extra[i]));
    let mut det = r.sample(topic.details.len(), middle_n - extra_n);
    det.sort_unstable();
    middle.extend(det.iter().map(|&i| topic.details[i]));

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

    // An occasional subheading in longer stories, never first or last.
    if blocks.len() >= 7 && r.chance(0.45) {
        let pos = 3 + r.below(blocks.len() - 4);
        blocks.insert(pos, Block::Sub(c.render(r.pick::<&str>(topic.subheads))));
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
            Block::Para(s) => out.push_str(&text::tidy(&text::capitalise(s.trim()))),
            Block::Quote(s) => {
                out.push_str("> ");
                out.push_str(&text::tidy(&text::capitalise(s.trim())));
            }
            Block::Sub(s) => {
                out.push_str("## ");
                out.push_str(s.trim());
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

/// Generate story `key` of the demo paper.
pub(crate) fn generate(demo: &Demo, key: usize) -> StorySeed {
    let spec = &demo.spec;
    let mut r = Rng::derive(spec.seed, stream::STORY, key as u64);
    let breaking = demo.breaking_key == Some(key);
    let weights: Vec<u32> = SECTION_WEIGHTS.iter().map(|(_, w)| *w).collect();
    let section = if breaking {
        "news"
    } else {
        SECTION_WEIGHTS[r.weighted(&weights)].0
    };
    let topic_list = topics::for_section(section);
    let topic = &topic_list[r.below(topic_list.len())];
    let published_at = demo.timeline.published_at(key);

    let mut c = Ctx::new();
    common_vars(&mut r, &mut c, published_at);
    (topic.setup)(&mut r, &mut c);
    let angle = &topic.angles[r.below(topic.angles.len())];

    let headline = text::tidy(&headline(&mut r, &c, angle.headlines));
    let standfirst = {
        let s = text::tidy(&text::capitalise(
            c.render(r.pick::<&str>(angle.standfirsts)).trim(),
        ));
        if s.ends_with('.') || s.ends_with('?') {
            s
        } else {
            format!("{s}.")
        }
    };

    // Pictures.
    let pcount = demo.picture_count();
    let lead_picture = if r.chance(0.9) {
        Some(key % pcount)
    } else {
        None
    };
    let mut inline: Vec<usize> = Vec::new();
    if r.chance(0.3) {
        let k = if r.chance(0.7) { 1 } else { 2 };
        let n = spec.stories;
        for _ in 0..k {
            let mut p = if pcount > n {
                n + r.below(pcount - n)
            } else {
                r.below(pcount)
            };
            if pcount > 1 && (Some(p) == lead_picture || inline.contains(&p)) {
                p = (p + 1) % pcount;
                if Some(p) == lead_picture && pcount > 2 {
                    p = (p + 1) % pcount;
                }
            }
            if !inline.contains(&p) {
                inline.push(p);
            }
        }
    }
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
