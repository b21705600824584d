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
