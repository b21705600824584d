//! Slugs and story URLs: `/<section path>/<slug>-<id>`.
//!
//! The id at the end is what identifies a story; the section path and slug
//! are for people and search engines, so a URL with an old slug or section
//! still finds the story and is redirected to the current one.

/// Makes a URL slug from a headline or name: lowercase ASCII letters and
/// digits separated by single hyphens, at most `max` bytes, cut at a word.
pub fn slugify(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut pending_hyphen = false;
    for c in text.chars().flat_map(fold_char) {
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !out.is_empty() {
                out.push('-');
            }
            pending_hyphen = false;
            out.push(c.to_ascii_lowercase());
        } else if c != '\'' && c != '’' {
            pending_hyphen = true;
        }
    }
    if out.len() > max {
        let cut = out[..max].rfind('-').unwrap_or(max);
        out.truncate(cut);
    }
    if out.is_empty() {
        out.push_str("story");
    }
    out
}

/// Folds common accented Latin letters to ASCII so slugs stay readable.
fn fold_char(c: char) -> impl Iterator<Item = char> {
    let s: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        '&' => " and ",
        _ => "",
    };
    let single = if s.is_empty() { Some(c) } else { None };
    s.chars().chain(single)
}

/// The canonical path of a story.
pub fn story_path(section_path: &str, slug: &str, id: i64) -> String {
    format!("/{section_path}/{slug}-{id}")
}

/// A request path split into what might be a story address.
#[derive(Debug, PartialEq, Eq)]
pub struct StoryAddress<'a> {
    pub section_path: &'a str,
    pub slug: &'a str,
    pub id: i64,
}

/// Reads `/<section path>/<slug>-<id>`; `None` when the last segment does not
/// end in `-<digits>` or there is no section segment before it.
pub fn parse_story_path(path: &str) -> Option<StoryAddress<'_>> {
    let path = path.strip_prefix('/')?.trim_end_matches('/');
    let (section_path, last) = path.rsplit_once('/')?;
    let (slug, id) = last.rsplit_once('-')?;
    if section_path.is_empty() || slug.is_empty() || id.is_empty() || id.len() > 18 {
        return None;
    }
    if !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id: i64 = id.parse().ok()?;
    Some(StoryAddress {
        section_path,
        slug,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        let check =
            |input: &str, expected: &str| assert_eq!(slugify(input, 80), expected, "{input}");
        check(
            "Council approves £2m bus plan",
            "council-approves-2m-bus-plan",
        );
        check("  Hello,   World!  ", "hello-world");
        check("Café owner's big day", "cafe-owners-big-day");
        check("Rock & roll", "rock-and-roll");
        check("!!!", "story");
        check("Ünïcödé", "unicode");
        assert_eq!(slugify("alpha beta gamma delta", 12), "alpha-beta");
    }

    #[test]
    fn story_paths() {
        let check = |input: &str, expected: Option<(&str, &str, i64)>| {
            let got = parse_story_path(input).map(|a| (a.section_path, a.slug, a.id));
            assert_eq!(got, expected, "{input}");
        };
        check(
            "/news/world/big-storm-hits-12",
            Some(("news/world", "big-storm-hits", 12)),
        );
        check("/sport/cup-final-3", Some(("sport", "cup-final", 3)));
        check("/sport/cup-final-3/", Some(("sport", "cup-final", 3)));
        check("/sport", None);
        check("/news/world", None);
        check("/story-12", None);
        check("/news/-12", None);
        check("/news/abc-12x", None);
        check("/news/abc-99999999999999999999", None);
        assert_eq!(story_path("news/world", "a-b", 9), "/news/world/a-b-9");
    }
}
