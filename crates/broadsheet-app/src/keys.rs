//! Surrogate keys: names for what a page shows, so caches (ours and a CDN's)
//! can be purged precisely when one of those things changes.

use broadsheet_domain::Story;

use crate::SectionTree;

/// Every page that shows a ranking (Most Read, Most Commented, Editor's Picks, breaking banner).
pub const RANKINGS: &str = "rankings";
/// The section tree (navigation on every page).
pub const SECTIONS: &str = "sections";
/// The home page.
pub const FRONT: &str = "front";
/// The corrections page.
pub const CORRECTIONS: &str = "corrections";
/// Everything.
pub const ALL: &str = "all";

pub fn story(id: i64) -> String {
    format!("story-{id}")
}
pub fn section(id: i64) -> String {
    format!("section-{id}")
}
pub fn tag(id: i64) -> String {
    format!("tag-{id}")
}
pub fn author(id: i64) -> String {
    format!("author-{id}")
}
/// A picture's renditions (media responses also carry the keys of the
/// stories and authors that use it).
pub fn picture(id: i64) -> String {
    format!("picture-{id}")
}

/// The keys of every page a change to this story can show on: the story,
/// the home page, its section and the sections above it, its tags, its
/// authors, and the rankings.
pub fn for_story(s: &Story, sections: &SectionTree) -> Vec<String> {
    let mut keys = vec![story(s.id), FRONT.to_string(), RANKINGS.to_string()];
    for sec in sections.ancestry(s.section_id) {
        keys.push(section(sec.id));
    }
    keys.extend(s.tags.iter().map(|t| tag(t.id)));
    keys.extend(s.authors.iter().map(|a| author(a.id)));
    keys
}
