//! Surrogate keys: names for what a page shows, so caches (ours and a CDN's)
//! can be purged precisely when one of those things changes.
//!
//! One vocabulary, [`Key`], for every crate: the app writes keys into change
//! events (as text, with [`join`]), every node parses them back
//! ([`Key::from_str`]) to purge its page cache, and the web layer sends the
//! same text in `Surrogate-Key` headers. A key nobody knows (written by a newer
//! node during a rolling upgrade) is read as [`Key::All`]: purging too much is
//! safe, purging too little is not.

use std::fmt;
use std::str::FromStr;

use broadsheet_domain::Story;

use crate::SectionTree;

/// What a cached page (or a shared page part) shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// A story: its page, and every card of it on other pages.
    Story(i64),
    /// A section front (and the fronts above it show its stories).
    Section(i64),
    /// A tag page.
    Tag(i64),
    /// An author page.
    Author(i64),
    /// A picture (pages that place it).
    Picture(i64),
    /// The home page and every "latest" list (More from).
    Front,
    /// The shared ranking parts: Most Read, Most Commented, Editor's Picks,
    /// the breaking banner. Pages do not carry it in our cache (the parts are
    /// spliced in at serve time); the parts do, and pages announce it to a CDN.
    Rankings,
    /// The section tree (navigation on every page): purges everything.
    Sections,
    /// The corrections page.
    Corrections,
    /// Everything.
    All,
    /// Reader sessions or entitlements changed (written by the store on
    /// such a commit, `broadsheet_store::READERS_KEY`): names no page;
    /// nodes forget what they remember of readers (`gatecache.rs`).
    Readers,
    /// What editors arranged on a front (`broadsheet_app::curation`): 0 the
    /// home page, else the section front of that id. Carried by the pages
    /// that show the arrangement (the home page shows each top section's).
    Arrangement(i64),
    /// A reader as a commenter: the comment thread pages showing their
    /// comments, whose "Subscriber" badge follows their entitlements. Written
    /// by the store with every entitlement change
    /// (`broadsheet_store::COMMENTER_KEY_PREFIX`).
    Commenter(i64),
}

impl Key {
    /// True for the keys that purge every page.
    pub fn is_everything(self) -> bool {
        matches!(self, Key::All | Key::Sections)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Story(id) => write!(f, "story-{id}"),
            Key::Section(id) => write!(f, "section-{id}"),
            Key::Tag(id) => write!(f, "tag-{id}"),
            Key::Author(id) => write!(f, "author-{id}"),
            Key::Picture(id) => write!(f, "picture-{id}"),
            Key::Front => f.write_str("front"),
            Key::Rankings => f.write_str("rankings"),
            Key::Sections => f.write_str("sections"),
            Key::Corrections => f.write_str("corrections"),
            Key::All => f.write_str("all"),
            Key::Readers => f.write_str(broadsheet_store::READERS_KEY),
            Key::Arrangement(id) => write!(f, "arrangement-{id}"),
            Key::Commenter(id) => write!(f, "{}{id}", broadsheet_store::COMMENTER_KEY_PREFIX),
        }
    }
}

/// A key that is not in the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a surrogate key: use story-N, section-N, tag-N, author-N, picture-N, arrangement-N, commenter-N, front, rankings, sections, corrections, all or readers"
)]
pub struct UnknownKey(pub String);

impl FromStr for Key {
    type Err = UnknownKey;

    fn from_str(s: &str) -> Result<Key, UnknownKey> {
        let bad = || UnknownKey(s.chars().take(80).collect());
        Ok(match s {
            "front" => Key::Front,
            "rankings" => Key::Rankings,
            // Written by older versions for Editor's Picks changes.
            "picks" => Key::Rankings,
            "sections" => Key::Sections,
            "corrections" => Key::Corrections,
            "all" => Key::All,
            broadsheet_store::READERS_KEY => Key::Readers,
            _ => {
                let (kind, id) = s.rsplit_once('-').ok_or_else(bad)?;
                let id: i64 = id.parse().map_err(|_| bad())?;
                match kind {
                    "story" => Key::Story(id),
                    "section" => Key::Section(id),
                    "tag" => Key::Tag(id),
                    "author" => Key::Author(id),
                    "picture" => Key::Picture(id),
                    "arrangement" => Key::Arrangement(id),
                    "commenter" => Key::Commenter(id),
                    _ => return Err(bad()),
                }
            }
        })
    }
}

/// Keys as stored in a change event and sent in `Surrogate-Key`: space-separated.
pub fn join(keys: &[Key]) -> String {
    let mut out = String::with_capacity(keys.len() * 10);
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        use std::fmt::Write;
        let _ = write!(out, "{k}");
    }
    out
}

/// Reads a change event's keys; a key nobody knows becomes [`Key::All`].
pub fn parse_list(text: &str) -> Vec<Key> {
    text.split_whitespace()
        .map(|k| match k.parse::<Key>() {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(error = %e, "unknown surrogate key in a change event; purging everything");
                Key::All
            }
        })
        .collect()
}
/// A picture's renditions (media responses also carry the keys of the
/// stories and authors that use it).
pub fn picture(id: i64) -> String {
    format!("picture-{id}")
}

/// The keys of every page a change to this story can show on: the story,
/// the home page, its section and the sections above it, its tags, its
/// authors, and the rankings.
pub fn for_story(s: &Story, sections: &SectionTree) -> Vec<Key> {
    let tags: Vec<i64> = s.tags.iter().map(|t| t.id).collect();
    let authors: Vec<i64> = s.authors.iter().map(|a| a.id).collect();
    for_story_parts(s.id, s.section_id, &tags, &authors, sections)
}

/// [`for_story`] from the story's id, section, tags and bylines.
pub fn for_story_parts(
    id: i64,
    section_id: i64,
    tags: &[i64],
    authors: &[i64],
    sections: &SectionTree,
) -> Vec<Key> {
    let mut keys = vec![Key::Story(id), Key::Front, Key::Rankings];
    for sec in sections.ancestry(section_id) {
        keys.push(Key::Section(sec.id));
    }
    keys.extend(tags.iter().map(|t| Key::Tag(*t)));
    keys.extend(authors.iter().map(|a| Key::Author(*a)));
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_reads_back_as_itself() {
        let all = [
            Key::Story(42),
            Key::Section(3),
            Key::Tag(7),
            Key::Author(9),
            Key::Picture(11),
            Key::Front,
            Key::Rankings,
            Key::Sections,
            Key::Corrections,
            Key::All,
            Key::Readers,
            Key::Arrangement(0),
            Key::Arrangement(4),
            Key::Commenter(12),
        ];
        for k in all {
            assert_eq!(k.to_string().parse::<Key>(), Ok(k));
        }
        assert_eq!(parse_list(&join(&all)), all.to_vec());
    }

    #[test]
    fn old_and_unknown_keys() {
        assert_eq!("picks".parse::<Key>(), Ok(Key::Rankings));
        assert!("story-x".parse::<Key>().is_err());
        assert!("frobnicate-3".parse::<Key>().is_err());
        assert!("".parse::<Key>().is_err());
        assert_eq!(
            parse_list("story-1 whatever"),
            vec![Key::Story(1), Key::All]
        );
    }
}
