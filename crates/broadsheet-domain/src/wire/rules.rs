//! What an agency item becomes (issue 14, item 3): per-agency rules that
//! send items to a section and give them tags by their subjects and
//! places, kept as text editors can read and edit, one rule a line:
//!
//! ```text
//! # Sport from the agency's media topics
//! subject medtop:15000000 -> section sport
//! subject football -> tag football
//! place Kelderby -> tag kelderby
//! place Kelderby -> section news/uk
//! ```
//!
//! A subject or place matches a rule when it is the rule's word (names
//! compare without case; codes such as `medtop:15000000` as written). The
//! first matching `section` rule decides the section (else the agency's
//! own); every matching `tag` rule adds its tag. [`map`] turns a cleaned
//! item into the fields of a story.

use std::fmt;

use super::{ItemKind, WireItem, to_markup};

/// What a rule looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    Subject(String),
    Place(String),
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Then {
    /// Send the item to the section at this path (`news/uk`).
    Section(String),
    /// Tag the story (a tag's slug).
    Tag(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub when: When,
    pub then: Then,
}

/// An agency's rules, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules(pub Vec<Rule>);

/// Where the rules send an item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    pub section: Option<String>,
    pub tags: Vec<String>,
}

impl Rules {
    /// Reads rules as editors type them; an error names the line and says
    /// what a rule looks like.
    pub fn parse(text: &str) -> Result<Rules, String> {
        let mut rules = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let wrong = |why: &str| {
                format!(
                    "Line {}: {why}. A rule reads like `subject football -> tag football` or `place Kelderby -> section news/uk`.",
                    n + 1
                )
            };
            let Some((left, right)) = line.split_once("->") else {
                return Err(wrong("there is no -> between what to match and what to do"));
            };
            let (kind, word) = left
                .trim()
                .split_once(char::is_whitespace)
                .ok_or_else(|| wrong("say subject or place, then the word to match"))?;
            let word = word.trim().to_string();
            let when = match kind {
                "subject" => When::Subject(word),
                "place" => When::Place(word),
                _ => return Err(wrong(&format!("{kind:?} is not subject or place"))),
            };
            let (what, target) = right
                .trim()
                .split_once(char::is_whitespace)
                .ok_or_else(|| wrong("say section or tag, then which"))?;
            let target = target.trim();
            let ok_target = !target.is_empty()
                && target
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '/');
            if !ok_target {
                return Err(wrong(&format!(
                    "{target:?} is not a section path or tag slug (lower-case letters, digits, - and /)"
                )));
            }
            let then = match what {
                "section" => Then::Section(target.to_string()),
                "tag" if !target.contains('/') => Then::Tag(target.to_string()),
                "tag" => return Err(wrong("a tag's slug has no /")),
                _ => return Err(wrong(&format!("{what:?} is not section or tag"))),
            };
            rules.push(Rule { when, then });
        }
        Ok(Rules(rules))
    }

    /// Where these rules send `item`.
    pub fn apply(&self, item: &WireItem) -> Placement {
        let matches = |word: &str, list: &[String]| {
            list.iter()
                .any(|s| s == word || (!word.contains(':') && s.eq_ignore_ascii_case(word)))
        };
        let mut out = Placement::default();
        for r in &self.0 {
            let hit = match &r.when {
                When::Subject(w) => matches(w, &item.subjects),
                When::Place(w) => matches(w, &item.places),
            };
            if !hit {
                continue;
            }
            match &r.then {
                Then::Section(s) if out.section.is_none() => out.section = Some(s.clone()),
                Then::Tag(t) if !out.tags.contains(t) => out.tags.push(t.clone()),
                _ => {}
            }
        }
        out
    }
}

impl fmt::Display for Rules {
    /// The rules as text, one a line ([`Rules::parse`] reads it back).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.0 {
            let (kind, word) = match &r.when {
                When::Subject(w) => ("subject", w),
                When::Place(w) => ("place", w),
            };
            let (what, target) = match &r.then {
                Then::Section(s) => ("section", s),
                Then::Tag(t) => ("tag", t),
            };
            writeln!(f, "{kind} {word} -> {what} {target}")?;
        }
        Ok(())
    }
}

/// Who an item comes from, as the story shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    /// The byline readers see: "Press Association".
    pub byline: String,
    /// The section its items go to when no rule says otherwise.
    pub section: String,
}

/// A story's fields made from an agency item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    pub headline: String,
    pub standfirst: String,
    /// Broadsheet markup (every agency character escaped).
    pub body: String,
    /// "By …": the named writer with the agency, or the agency.
    pub byline_text: String,
    pub breaking: bool,
    /// Not before (the embargo), unix seconds.
    pub not_before: Option<i64>,
    pub section: String,
    pub tags: Vec<String>,
    /// Notes for the desk (never shown to readers).
    pub notes: Vec<String>,
}

/// The longest standfirst taken from an item's first paragraph.
const STANDFIRST_MAX: usize = 300;

/// Makes a story's fields from a cleaned item (see [`super::clean`]).
/// Items that are not text, or have no headline or no text, are refused
/// with the reason.
pub fn map(item: &WireItem, agency: &Agency, rules: &Rules) -> Result<Mapped, String> {
    match &item.kind {
        ItemKind::Text => {}
        ItemKind::Picture => {
            return Err(
                "a picture item is not a story: it is kept for the stories that use it".into(),
            );
        }
        ItemKind::Other(k) => {
            let a = if k.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            return Err(format!("{a} {k} item is not made into a story"));
        }
    }
    if item.headline.trim().is_empty() {
        return Err("the item has no headline".into());
    }
    if item.paragraphs.is_empty() {
        return Err("the item has no text".into());
    }
    // A short first paragraph is the standfirst; the body is the rest.
    let (standfirst, body) = match item.paragraphs.split_first() {
        Some((first, rest)) if !rest.is_empty() && first.chars().count() <= STANDFIRST_MAX => {
            (first.clone(), rest)
        }
        _ => (String::new(), item.paragraphs.as_slice()),
    };
    let byline_text = match item.byline.as_deref().map(str::trim) {
        Some(b) if !b.is_empty() && !b.eq_ignore_ascii_case(&agency.byline) => {
            format!("{b}, {}", agency.byline)
        }
        _ => agency.byline.clone(),
    };
    let placed = rules.apply(item);
    let headline: String = item.headline.chars().take(200).collect();
    Ok(Mapped {
        headline,
        standfirst,
        body: to_markup(body),
        byline_text,
        breaking: item.breaking(),
        not_before: item.embargo,
        section: placed.section.unwrap_or_else(|| agency.section.clone()),
        tags: placed.tags,
        notes: item.notes.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# Sport from the agency's media topics\n\
        subject medtop:15000000 -> section sport\n\
        subject Football -> tag football\n\
        \n\
        place Kelderby -> tag kelderby\n\
        place Kelderby -> section news/uk\n";

    fn item() -> WireItem {
        let mut it = WireItem::new("urn:x".into());
        it.headline = "Kelderby win the cup".into();
        it.byline = Some("Ann Writer".into());
        it.paragraphs = vec![
            "Kelderby won the county cup on Saturday.".into(),
            "The match was close.".into(),
        ];
        it.subjects = vec!["medtop:15000000".into(), "football".into()];
        it.places = vec!["kelderby".into()];
        it.urgency = Some(3);
        it
    }

    #[test]
    fn rules_read_back_what_they_write() -> Result<(), String> {
        let rules = Rules::parse(TEXT)?;
        assert_eq!(rules.0.len(), 4);
        let again = Rules::parse(&rules.to_string())?;
        assert_eq!(again, rules);
        Ok(())
    }

    #[test]
    fn bad_rules_say_which_line_and_why() {
        for (text, line) in [
            ("subject football tag football", "Line 1"),
            ("\nperson Ann -> tag ann", "Line 2"),
            ("subject x -> shelf sport", "Line 1"),
            ("subject x -> tag Not A Slug", "Line 1"),
            ("subject x -> tag a/b", "Line 1"),
            ("subject -> tag x", "Line 1"),
        ] {
            match Rules::parse(text) {
                Err(e) => assert!(e.starts_with(line), "{text:?}: {e}"),
                Ok(r) => panic!("{text:?} was read as {r:?}"),
            }
        }
    }

    #[test]
    fn the_first_section_and_every_tag_apply() -> Result<(), String> {
        let rules = Rules::parse(TEXT)?;
        let p = rules.apply(&item());
        // The subject's section rule comes first; names match without case.
        assert_eq!(p.section.as_deref(), Some("sport"));
        assert_eq!(p.tags, vec!["football", "kelderby"]);
        // A code matches only as written.
        let mut other = item();
        other.subjects = vec!["MEDTOP:15000000".into()];
        assert_eq!(rules.apply(&other).section.as_deref(), Some("news/uk"));
        Ok(())
    }

    #[test]
    fn an_item_becomes_a_story() -> Result<(), String> {
        let agency = Agency {
            byline: "Press Association".into(),
            section: "news".into(),
        };
        let m = map(&item(), &agency, &Rules::parse(TEXT)?)?;
        assert_eq!(m.headline, "Kelderby win the cup");
        assert_eq!(m.standfirst, "Kelderby won the county cup on Saturday.");
        assert_eq!(m.body, "The match was close.");
        assert_eq!(m.byline_text, "Ann Writer, Press Association");
        assert!(m.breaking);
        assert_eq!(m.section, "sport");
        // No rules: the agency's section, its byline alone.
        let mut plain = item();
        plain.byline = None;
        plain.paragraphs.truncate(1);
        let m = map(&plain, &agency, &Rules::default())?;
        assert_eq!(
            (m.section.as_str(), m.byline_text.as_str()),
            ("news", "Press Association")
        );
        assert_eq!(m.standfirst, "");
        assert_eq!(m.body, "Kelderby won the county cup on Saturday.");
        // Refusals say why.
        let mut pic = item();
        pic.kind = ItemKind::Picture;
        assert!(map(&pic, &agency, &Rules::default()).is_err());
        let mut empty = item();
        empty.paragraphs.clear();
        assert_eq!(
            map(&empty, &agency, &Rules::default()),
            Err("the item has no text".into())
        );
        Ok(())
    }
}
