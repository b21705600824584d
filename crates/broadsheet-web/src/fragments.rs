//! The shared page parts: Most Read, Editor's Picks, Most Commented, the
//! breaking banner and More from, rendered once per change and spliced into
//! cached pages when they are served.
//!
//! A cached page holds markers (`<!--bs:most-read-->`, …) where the parts go
//! ([`Slot`]). When the rankings change (`Key::Rankings` from the app), the
//! web layer renders a new [`Fragments`] with a new generation; each cached
//! page re-assembles its bytes on its next request (a copy of its own bytes
//! and the parts, no template, no database), so a ranking change re-renders
//! nothing else and the page cache keeps its pages.
//!
//! For a CDN that understands ESI (Varnish with `esi` on, Fastly, Akamai),
//! `--esi` makes the markers become `<esi:include src="/_fragments/…">`, and
//! `/_fragments/{name}` serves each part with its own surrogate key
//! (`rankings`; `front` for More from), so the CDN keeps pages across ranking
//! changes too. Markers can only come from templates: every text a reader
//! or editor writes is escaped or sanitised (comments removed).

use askama::Template;
use bytes::Bytes;

use broadsheet_app::keys::Key;
use broadsheet_app::{App, Rankings, SectionTree};

use crate::error::WebError;
use crate::view::{self, CardView};

/// Where a shared part goes in a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Breaking,
    MostRead,
    Picks,
    MostCommented,
    /// The latest stories, leaving out this one (the story page's own).
    MoreFrom(i64),
}

const MARK_OPEN: &str = "<!--bs:";
const MARK_CLOSE: &str = "-->";

/// How many stories More from shows on a story page.
const MORE_FROM: usize = 6;

impl Slot {
    fn parse(name: &str) -> Option<Slot> {
        Some(match name {
            "breaking" => Slot::Breaking,
            "most-read" => Slot::MostRead,
            "picks" => Slot::Picks,
            "most-commented" => Slot::MostCommented,
            _ => Slot::MoreFrom(name.strip_prefix("more-from:")?.parse().ok()?),
        })
    }

    /// The part's address under `/_fragments/` (ESI).
    fn path(self) -> String {
        match self {
            Slot::Breaking => "/_fragments/breaking".into(),
            Slot::MostRead => "/_fragments/most-read".into(),
            Slot::Picks => "/_fragments/picks".into(),
            Slot::MostCommented => "/_fragments/most-commented".into(),
            Slot::MoreFrom(id) => format!("/_fragments/more-from?exclude={id}"),
        }
    }

    /// The surrogate keys of the part.
    pub fn keys(self) -> &'static [Key] {
        match self {
            Slot::MoreFrom(_) => &[Key::Front, Key::Rankings],
            _ => &[Key::Rankings],
        }
    }
}

/// A rendered page cut at its markers.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(Bytes),
    Slot(Slot),
}

/// Cuts rendered HTML at its markers. A marker that names no part is kept as text.
pub fn cut_at_markers(html: String) -> Vec<Part> {
    if !html.contains(MARK_OPEN) {
        return vec![Part::Text(Bytes::from(html))];
    }
    let all = Bytes::from(html);
    let s = match std::str::from_utf8(&all) {
        Ok(s) => s,
        Err(_) => return vec![Part::Text(all)],
    };
    let mut parts = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    while let Some(i) = s[pos..].find(MARK_OPEN).map(|i| i + pos) {
        let name_from = i + MARK_OPEN.len();
        let Some(j) = s[name_from..].find(MARK_CLOSE).map(|j| j + name_from) else {
            break;
        };
        if let Some(slot) = Slot::parse(&s[name_from..j]) {
            if i > start {
                parts.push(Part::Text(all.slice(start..i)));
            }
            parts.push(Part::Slot(slot));
            start = j + MARK_CLOSE.len();
        }
        pos = j + MARK_CLOSE.len();
    }
    if start < all.len() {
        parts.push(Part::Text(all.slice(start..)));
    }
    parts
}

#[derive(Template)]
#[template(path = "fragment_rail.html")]
struct RailFragment<'a> {
    id: &'a str,
    heading: &'a str,
    numbered: bool,
    cards: Vec<CardView>,
}

#[derive(Template)]
#[template(path = "fragment_breaking.html")]
struct BreakingFragment {
    breaking: Option<CardView>,
}

/// The breaking banner part as the app's rankings have it now: spliced into
/// cached pages here, and pushed to open pages by `live.rs` when it changes.
pub(crate) fn breaking_banner(
    app: &App,
    sections: &SectionTree,
    rankings: &Rankings,
) -> Result<String, WebError> {
    Ok(BreakingFragment {
        breaking: rankings
            .breaking
            .as_ref()
            .map(|c| view::card(app, sections, c, 0)),
    }
    .render()?)
}

/// One rendering of every shared part.
pub struct Fragments {
    /// Changes whenever the parts are rendered again.
    pub generation: u64,
    /// When they were rendered (Last-Modified of pages that show them).
    pub modified_secs: i64,
    esi: bool,
    breaking: Bytes,
    most_read: Bytes,
    picks: Bytes,
    most_commented: Bytes,
    /// More from: the first six of the latest, and for each of the latest,
    /// the six without it.
    more_from: Bytes,
    more_from_without: Vec<(i64, Bytes)>,
}

impl Fragments {
    /// Parts that show nothing (before the first rendering).
    pub fn empty() -> Fragments {
        Fragments {
            generation: 0,
            modified_secs: 0,
            esi: false,
            breaking: Bytes::new(),
            most_read: Bytes::new(),
            picks: Bytes::new(),
            most_commented: Bytes::new(),
            more_from: Bytes::new(),
            more_from_without: Vec::new(),
        }
    }

    /// Renders every part from the app's current rankings.
    pub fn render(app: &App, generation: u64, esi: bool) -> Result<Fragments, WebError> {
        let sections = app.sections();
        let r = app.rankings();
        let rail = |id: &str, heading: &str, numbered: bool, cards: Vec<CardView>| {
            RailFragment {
                id,
                heading,
                numbered,
                cards,
            }
            .render()
            .map(Bytes::from)
        };
        // Headings are element text: escape what could open markup (the
        // paper's name is configuration), keep apostrophes as they are.
        let more_heading = format!(
            "More from {}",
            app.config()
                .name
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        );
        let latest = view::cards(app, &sections, &r.latest);
        let more = |without: Option<i64>| {
            let cards: Vec<CardView> = latest
                .iter()
                .filter(|c| Some(c.id) != without)
                .take(MORE_FROM)
                .cloned()
                .collect();
            rail("more-from", &more_heading, false, cards)
        };
        let mut more_from_without = Vec::with_capacity(latest.len());
        for c in &latest {
            more_from_without.push((c.id, more(Some(c.id))?));
        }
        Ok(Fragments {
            generation,
            modified_secs: r.computed_at,
            esi,
            breaking: Bytes::from(breaking_banner(app, &sections, &r)?),
            most_read: rail(
                "most-read",
                "Most Read",
                true,
                view::ranked(app, &sections, &r.most_read),
            )?,
            picks: rail(
                "editors-picks",
                "Editor's Picks",
                false,
                view::ranked(app, &sections, &r.picks),
            )?,
            most_commented: rail(
                "most-commented",
                "Most Commented",
                true,
                view::ranked(app, &sections, &r.most_commented),
            )?,
            more_from: more(None)?,
            more_from_without,
        })
    }

    /// The bytes of one part (what is spliced in, without ESI).
    pub fn part(&self, slot: Slot) -> &Bytes {
        match slot {
            Slot::Breaking => &self.breaking,
            Slot::MostRead => &self.most_read,
            Slot::Picks => &self.picks,
            Slot::MostCommented => &self.most_commented,
            Slot::MoreFrom(id) => self
                .more_from_without
                .iter()
                .find(|(i, _)| *i == id)
                .map(|(_, b)| b)
                .unwrap_or(&self.more_from),
        }
    }

    /// A part by its `/_fragments/` name.
    pub fn by_name(&self, name: &str, exclude: Option<i64>) -> Option<(Slot, &Bytes)> {
        let slot = match name {
            "more-from" => Slot::MoreFrom(exclude.unwrap_or(0)),
            other => Slot::parse(other)?,
        };
        Some((slot, self.part(slot)))
    }

    /// True when pages get `<esi:include>` tags instead of the parts.
    pub fn esi(&self) -> bool {
        self.esi
    }

    /// Writes what goes where `slot` stands.
    pub fn write(&self, slot: Slot, out: &mut Vec<u8>) {
        if self.esi {
            out.extend_from_slice(b"<esi:include src=\"");
            out.extend_from_slice(slot.path().as_bytes());
            out.extend_from_slice(b"\"/>");
        } else {
            out.extend_from_slice(self.part(slot));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_cuts_at_known_markers_only() {
        let html = String::from(
            "<p>a</p><!--bs:most-read--><p>b</p><!--bs:more-from:42--><!-- other --><!--bs:nope-->end",
        );
        let parts = cut_at_markers(html);
        assert_eq!(
            parts,
            vec![
                Part::Text(Bytes::from_static(b"<p>a</p>")),
                Part::Slot(Slot::MostRead),
                Part::Text(Bytes::from_static(b"<p>b</p>")),
                Part::Slot(Slot::MoreFrom(42)),
                Part::Text(Bytes::from_static(b"<!-- other --><!--bs:nope-->end")),
            ]
        );
        assert_eq!(
            cut_at_markers(String::from("plain")),
            vec![Part::Text(Bytes::from_static(b"plain"))]
        );
    }
}
