//! Template rendering and small text helpers (numbers, money, dates).
//!
//! Templates are plain strings with `{name}` placeholders that are filled
//! from a [`Ctx`]; `{^name}` capitalises the first letter of the value.

use crate::names;
use crate::rng::Rng;

/// The variables of one piece of generated text (a story, a comment...).
///
/// Lookups are linear over a small vector, which keeps insertion order
/// (and therefore output) deterministic and is fast for ~50 entries.
#[derive(Default, Debug, Clone)]
pub(crate) struct Ctx {
    vars: Vec<(&'static str, String)>,
    used_surnames: Vec<&'static str>,
    used_first: Vec<&'static str>,
    /// (full name, short name) of every person drawn, in order.
    people: Vec<(String, String)>,
    /// The paper's seed, for people who hold an office across stories.
    seed: u64,
}

impl Ctx {
    #[cfg(test)]
    pub(crate) fn new() -> Ctx {
        Ctx::default()
    }

    /// A context for one story of the paper made from `seed`.
    pub(crate) fn for_paper(seed: u64) -> Ctx {
        Ctx {
            seed,
            ..Ctx::default()
        }
    }

    /// The holder of a recurring office (`office` names it: the council
    /// leader, a club's manager, a country's central-bank governor): drawn
    /// from the paper's seed and the office alone, so every story of the
    /// paper that names the office names the same person.
    pub(crate) fn office(
        &mut self,
        full: &'static str,
        short: &'static str,
        prefix: &str,
        short_prefix: &str,
        office: &str,
        female: Option<bool>,
    ) {
        let mut r = Rng::derive(self.seed, crate::rng::stream::OFFICE, fnv(office));
        let drawn = r.chance(0.5);
        let female = female.unwrap_or(drawn);
        let first = if female {
            names::FIRST_F
        } else {
            names::FIRST_M
        };
        let (f, l) = (*r.pick(first), *r.pick(names::SURNAMES));
        self.used_first.push(f);
        self.used_surnames.push(l);
        self.add_person(
            full,
            short,
            format!("{prefix}{f} {l}"),
            format!("{short_prefix}{l}"),
        );
    }

    /// Like [`Ctx::office`] with the foreign name lists (World section).
    pub(crate) fn foreign_office(
        &mut self,
        full: &'static str,
        short: &'static str,
        prefix: &str,
        office: &str,
    ) {
        let mut r = Rng::derive(self.seed, crate::rng::stream::OFFICE, fnv(office));
        let (f, l) = (
            *r.pick(names::FOREIGN_FIRST),
            *r.pick(names::FOREIGN_SURNAMES),
        );
        self.used_first.push(f);
        self.used_surnames.push(l);
        self.add_person(full, short, format!("{prefix}{f} {l}"), l.to_string());
    }

    /// Set (or replace) a variable.
    pub(crate) fn set(&mut self, key: &'static str, value: impl Into<String>) {
        let value = value.into();
        if let Some(slot) = self.vars.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            self.vars.push((key, value));
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Pick one of `options` and store it under `key`; returns the index.
    pub(crate) fn pick(&mut self, r: &mut Rng, key: &'static str, options: &[&str]) -> usize {
        let i = r.below(options.len());
        self.set(key, options[i]);
        i
    }

    /// Pick two different options, stored under `a` and `b`.
    pub(crate) fn pick2(
        &mut self,
        r: &mut Rng,
        a: &'static str,
        b: &'static str,
        options: &[&str],
    ) {
        let s = r.sample(options.len(), 2);
        self.set(a, options[s[0]]);
        self.set(
            b,
            options
                .get(s.get(1).copied().unwrap_or(0))
                .copied()
                .unwrap_or(""),
        );
    }

    /// A fresh (first, surname) pair, avoiding surnames and first names
    /// already used in this context.
    pub(crate) fn fresh_name(
        &mut self,
        r: &mut Rng,
        first: &[&'static str],
        last: &[&'static str],
    ) -> (&'static str, &'static str) {
        let mut f = *r.pick(first);
        for _ in 0..8 {
            if !self.used_first.contains(&f) {
                break;
            }
            f = *r.pick(first);
        }
        let mut l = *r.pick(last);
        for _ in 0..8 {
            if !self.used_surnames.contains(&l) {
                break;
            }
            l = *r.pick(last);
        }
        self.used_first.push(f);
        self.used_surnames.push(l);
        (f, l)
    }

    /// A person: `full` gets "Prefix First Last", `short` gets "ShortPrefix Last".
    pub(crate) fn person(
        &mut self,
        r: &mut Rng,
        full: &'static str,
        short: &'static str,
        prefix: &str,
        short_prefix: &str,
    ) {
        let female = r.chance(0.5);
        self.person_g(r, full, short, prefix, short_prefix, female);
    }

    /// Like [`Ctx::person`] with a given gender (for stories that use pronouns).
    pub(crate) fn person_g(
        &mut self,
        r: &mut Rng,
        full: &'static str,
        short: &'static str,
        prefix: &str,
        short_prefix: &str,
        female: bool,
    ) {
        let first = if female {
            names::FIRST_F
        } else {
            names::FIRST_M
        };
        let (f, l) = self.fresh_name(r, first, names::SURNAMES);
        self.add_person(
            full,
            short,
            format!("{prefix}{f} {l}"),
            format!("{short_prefix}{l}"),
        );
    }

    fn add_person(
        &mut self,
        full: &'static str,
        short: &'static str,
        full_name: String,
        short_name: String,
    ) {
        self.set(full, full_name.clone());
        self.set(short, short_name.clone());
        self.people.push((full_name, short_name));
    }

    /// (full name, short name) of the people in this context.
    pub(crate) fn people(&self) -> &[(String, String)] {
        &self.people
    }

    /// Set `he`/`his`/`him`/`man` style pronoun variables for a person.
    pub(crate) fn pronouns(
        &mut self,
        female: bool,
        he: &'static str,
        his: &'static str,
        man: &'static str,
    ) {
        self.set(he, if female { "she" } else { "he" });
        self.set(his, if female { "her" } else { "his" });
        self.set(man, if female { "woman" } else { "man" });
    }

    /// Like [`Ctx::person`] but with the foreign name lists (World section).
    pub(crate) fn foreign_person(
        &mut self,
        r: &mut Rng,
        full: &'static str,
        short: &'static str,
        prefix: &str,
    ) {
        let (f, l) = self.fresh_name(r, names::FOREIGN_FIRST, names::FOREIGN_SURNAMES);
        self.add_person(full, short, format!("{prefix}{f} {l}"), l.to_string());
    }

    /// Render a template, substituting `{name}` and `{^name}` placeholders.
    pub(crate) fn render(&self, tpl: &str) -> String {
        let mut out = String::with_capacity(tpl.len() + 64);
        let mut rest = tpl;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                return out;
            };
            let name = &after[..close];
            let (cap, key) = match name.strip_prefix('^') {
                Some(k) => (true, k),
                None => (false, name),
            };
            match self.get(key) {
                Some(v) if cap => out.push_str(&capitalise(v)),
                Some(v) => out.push_str(v),
                None => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// FNV-1a: a stable hash of an office's name (the same on every machine).
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Position of `word` in `s` as a whole word (not part of a longer word).
pub(crate) fn find_word(s: &str, word: &str) -> Option<usize> {
    if word.is_empty() {
        return None;
    }
    let mut from = 0;
    while let Some(i) = s[from..].find(word) {
        let at = from + i;
        let before = s[..at].chars().next_back();
        let after = s[at + word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if boundary(before) && boundary(after) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// House style fixes on rendered text: "a" before a vowel sound becomes
/// "an", and a possessive after a final "s" loses its extra "s"
/// ("Wanderers's" -> "Wanderers'").
pub(crate) fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut words = s.split(' ').peekable();
    while let Some(w) = words.next() {
        out.push_str(w);
        if (w == "a" || w == "A" || w.ends_with("(a") || w.ends_with("\"a"))
            && let Some(next) = words.peek()
            && wants_an(next)
        {
            out.push('n');
        }
        if words.peek().is_some() {
            out.push(' ');
        }
    }
    if out.contains("s's") {
        out = fix_possessive(&out);
    }
    out
}

fn wants_an(word: &str) -> bool {
    let w = word.trim_start_matches(['\'', '"', '(']);
    let lower = w.to_lowercase();
    let Some(first) = lower.chars().next() else {
        return false;
    };
    if first.is_ascii_digit() {
        let digits: String = w
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',')
            .filter(|c| *c != ',')
            .collect();
        return digits.starts_with('8')
            || ((digits.starts_with("11") || digits.starts_with("18")) && digits.len() % 3 == 2);
    }
    if !"aeiou".contains(first) {
        return lower.starts_with("hour")
            || lower.starts_with("honour")
            || lower.starts_with("honest");
    }
    !(lower.starts_with("uni")
        || lower.starts_with("use")
        || lower.starts_with("usu")
        || lower.starts_with("one")
        || lower.starts_with("once")
        || lower.starts_with("eu")
        || lower.starts_with("ur"))
}

fn fix_possessive(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // "s's" followed by a non-letter, where the "s" ends a capitalised word.
        if i + 3 <= b.len()
            && &b[i..i + 3] == b"s's"
            && b.get(i + 3).is_none_or(|c| !c.is_ascii_alphabetic())
        {
            let word_start = s[..i]
                .rfind(|c: char| !c.is_alphanumeric())
                .map(|p| p + 1)
                .unwrap_or(0);
            if s[word_start..]
                .chars()
                .next()
                .is_some_and(char::is_uppercase)
            {
                out.push_str("s'");
                i += 3;
                continue;
            }
        }
        let ch_len = s[i..].chars().next().map(char::len_utf8).unwrap_or(1);
        out.push_str(&s[i..i + ch_len]);
        i += ch_len;
    }
    out
}

/// Upper-case the first character.
pub(crate) fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Thousands separators: 12345 -> "12,345".
pub(crate) fn fmt_int(n: i64) -> String {
    let neg = n < 0;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if neg {
        out.push('-');
    }
    let len = digits.len();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Small numbers as words (house style: one to nine in words).
pub(crate) fn num_word(n: i64) -> String {
    const W: [&str; 10] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    if (0..10).contains(&n) {
        W[n as usize].to_string()
    } else {
        fmt_int(n)
    }
}

/// Millions of pounds with one decimal when useful: 12.4 -> "£12.4m",
/// 180.0 -> "£180m"; under a million in thousands: 0.43 -> "£430,000".
pub(crate) fn money_m(m: f64) -> String {
    if m < 1.0 {
        return money(((m * 100.0).round() as i64).max(1) * 10_000);
    }
    if m >= 1000.0 {
        let bn = m / 1000.0;
        return format!("£{}bn", trim_decimal(bn));
    }
    if m >= 100.0 {
        format!("£{}m", m.round() as i64)
    } else {
        format!("£{}m", trim_decimal(m))
    }
}

fn trim_decimal(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if (r - r.round()).abs() < 1e-9 {
        format!("{}", r.round() as i64)
    } else {
        format!("{r:.1}")
    }
}

/// Whole pounds: 1250 -> "£1,250".
pub(crate) fn money(n: i64) -> String {
    format!("£{}", fmt_int(n))
}

/// Ordinal suffix: 1 -> "1st", 22 -> "22nd", 13 -> "13th".
pub(crate) fn ordinal(n: i64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A percentage with one decimal: 4.25 -> "4.3".
pub(crate) fn pct1(x: f64) -> String {
    trim_decimal(x)
}

pub(crate) const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

pub(crate) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Day of the week of a unix time (0 = Monday).
pub(crate) fn weekday(unix: i64) -> usize {
    // 1970-01-01 was a Thursday (index 3).
    (unix.div_euclid(86_400) + 3).rem_euclid(7) as usize
}

/// Civil (year, month 1..=12, day 1..=31) of a unix time, UTC.
pub(crate) fn civil(unix: i64) -> (i64, u32, u32) {
    // Howard Hinnant's days-to-civil algorithm.
    let z = unix.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_substitutes_and_capitalises() {
        let mut c = Ctx::new();
        c.set("town", "thornbeck");
        c.set("n", "12");
        assert_eq!(
            c.render("{^town} has {n} ({missing})"),
            "Thornbeck has 12 ({missing})"
        );
        assert_eq!(c.render("no placeholders"), "no placeholders");
    }

    #[test]
    fn tidy_fixes_articles_and_possessives() {
        assert_eq!(
            tidy("a easy walk near a Oakcliffe farm"),
            "an easy walk near an Oakcliffe farm"
        );
        assert_eq!(
            tidy("a 8-bed unit, a 11-year-old, a 110-home plan"),
            "an 8-bed unit, an 11-year-old, a 110-home plan"
        );
        assert_eq!(
            tidy("a university and a one-off"),
            "a university and a one-off"
        );
        assert_eq!(tidy("A autumn walk"), "An autumn walk");
        assert_eq!(
            tidy("Marrowdale Wanderers's next game"),
            "Marrowdale Wanderers' next game"
        );
        assert_eq!(tidy("the bus's route"), "the bus's route");
        assert_eq!(find_word("Rhys Ashworth and Ash", "Ash"), Some(18));
        assert_eq!(find_word("Ashworth", "Ash"), None);
    }

    #[test]
    fn number_formats() {
        assert_eq!(fmt_int(1_234_567), "1,234,567");
        assert_eq!(fmt_int(999), "999");
        assert_eq!(money_m(12.44), "£12.4m");
        assert_eq!(money_m(180.2), "£180m");
        assert_eq!(money_m(2400.0), "£2.4bn");
        assert_eq!(money_m(0.434), "£430,000");
        assert_eq!(money(385_000), "£385,000");
        assert_eq!(ordinal(23), "23rd");
        assert_eq!(ordinal(11), "11th");
        assert_eq!(num_word(7), "seven");
    }

    #[test]
    fn dates() {
        // 2024-03-01T12:00:00Z was a Friday.
        let t = 1_709_294_400;
        assert_eq!(civil(t), (2024, 3, 1));
        assert_eq!(WEEKDAYS[weekday(t)], "Friday");
        assert_eq!(civil(0), (1970, 1, 1));
    }
}
