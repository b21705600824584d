//! Deterministic demo content for Broadsheet.
//!
//! Generates the content of a fictional regional daily, *The Northern
//! Broadsheet*, serving the fictional city of Kelderby and the Kelder
//! Valley: sections, staff, stories (headline, standfirst, Markdown body,
//! byline, times, tags, access), pictures (pixel-art JPEGs with alt text,
//! caption and credit), comments and page views.
//!
//! Everything is pure data built from templates, word lists and a seeded
//! SplitMix64 generator: the same [`DemoSpec`] always gives byte-identical
//! output. No clock, no IO, no global state. All text is written for this
//! project; no real article is reproduced.
//!
//! ```
//! use broadsheet_demo::{Demo, DemoSpec};
//! let demo = Demo::new(DemoSpec { seed: 1, stories: 20, now: 1_760_000_000 });
//! let stories: Vec<_> = demo.stories().collect();
//! assert_eq!(stories.len(), 20);
//! assert!(stories.windows(2).all(|w| w[0].published_at <= w[1].published_at));
//! ```

mod engagement;
mod names;
mod picture;
mod plan;
mod rng;
mod staff;
mod story;
mod text;
mod timeline;
mod topics;
mod typography;

use engagement::ViewTable;
use staff::Writers;
use timeline::Timeline;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DemoSpec {
    pub seed: u64,
    /// Number of stories.
    pub stories: usize,
    /// "Now", in unix seconds (UTC): all times are at or before it.
    pub now: i64,
}

/// A section of the paper.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SectionSeed {
    pub slug: String,
    pub name: String,
    /// Parent section slug.
    pub parent: Option<String>,
    pub position: i32,
}

/// A member of staff.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StaffSeed {
    /// Lowercase, e.g. "ahmed.rowe".
    pub username: String,
    pub display_name: String,
    /// One of "admin", "editor", "reporter", "contributor", "moderator".
    pub role: String,
    pub bio: String,
    /// An address at example.com.
    pub email: String,
}

/// A picture: JPEG bytes plus words for readers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PictureSeed {
    /// 0.. sequential.
    pub key: usize,
    /// Describes the image for a reader who cannot see it.
    pub alt: String,
    pub caption: String,
    /// "Photographer/Agency", without brackets.
    pub credit: String,
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
}

/// Who wrote a story.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BylineSeed {
    /// One or two staff usernames.
    Staff(Vec<String>),
    /// A (fictional) news agency.
    Agency(String),
}

/// A story.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StorySeed {
    /// 0.. sequential; key 0 is the oldest story.
    pub key: usize,
    /// Section slug.
    pub section: String,
    /// At most 110 characters, no trailing full stop.
    pub headline: String,
    /// One sentence.
    pub standfirst: String,
    /// Markdown: paragraphs separated by blank lines, `> ` quotes,
    /// `## ` subheadings and `[picture:KEY]` placeholders on their own.
    pub body: String,
    pub byline: BylineSeed,
    pub published_at: i64,
    pub updated_at: Option<i64>,
    /// Picture key of the lead picture.
    pub lead_picture: Option<usize>,
    /// 1–4 tag names from a shared vocabulary.
    pub tags: Vec<String>,
    /// "free", "metered" or "subscribers".
    pub access: String,
    pub breaking: bool,
}

/// A reader's comment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CommentSeed {
    pub story_key: usize,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
}

/// One page view.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ViewSeed {
    pub story_key: usize,
    /// Opaque reader id like "r-000123".
    pub reader: String,
    pub at: i64,
}

/// The sections: news (News), uk, scotland and world under news, then
/// business, sport, opinion and lifestyle; positions in that order.
pub fn sections() -> Vec<SectionSeed> {
    const S: &[(&str, &str, Option<&str>)] = &[
        ("news", "News", None),
        ("uk", "UK", Some("news")),
        ("scotland", "Scotland", Some("news")),
        ("world", "World", Some("news")),
        ("business", "Business", None),
        ("sport", "Sport", None),
        ("opinion", "Opinion", None),
        ("lifestyle", "Lifestyle", None),
    ];
    S.iter()
        .enumerate()
        .map(|(i, (slug, name, parent))| SectionSeed {
            slug: (*slug).to_string(),
            name: (*name).to_string(),
            parent: parent.map(str::to_string),
            position: i as i32,
        })
        .collect()
}

/// Twelve staff: 1 admin, 2 editors, 6 reporters, 2 contributors and
/// 1 moderator. Editors, reporters and contributors write stories.
pub fn staff(seed: u64) -> Vec<StaffSeed> {
    staff::generate(seed)
}

/// The fictional news agencies whose copy and pictures the paper uses.
pub fn agencies() -> Vec<String> {
    names::AGENCIES.iter().map(|a| (*a).to_string()).collect()
}

/// The shared tag vocabulary that story tags are drawn from.
pub fn tag_vocabulary() -> Vec<String> {
    names::TAGS.iter().map(|t| (*t).to_string()).collect()
}

/// A demo paper.
#[derive(Debug, Clone)]
pub struct Demo {
    pub spec: DemoSpec,
    timeline: Timeline,
    writers: Writers,
    breaking_key: Option<usize>,
    views: ViewTable,
    plan: plan::Plan,
}

impl Demo {
    pub fn new(spec: DemoSpec) -> Demo {
        let timeline = Timeline::new(spec.seed, spec.stories, spec.now);
        let writers = Writers::new(&staff::generate(spec.seed));
        let breaking_key = if spec.stories == 0 {
            None
        } else {
            let mut r = rng::Rng::derive(spec.seed, rng::stream::PAPER, 0);
            Some(spec.stories - 1 - r.below(spec.stories.min(3)))
        };
        let views = ViewTable::new(spec.seed, spec.stories, spec.now, |k| {
            timeline.published_at(k)
        });
        let plan = plan::Plan::new(spec.seed, spec.stories, &timeline, breaking_key);
        Demo {
            spec,
            timeline,
            writers,
            breaking_key,
            views,
            plan,
        }
    }

    /// Number of distinct pictures: `min(stories + stories / 3, 240)`, at least 1.
    pub fn picture_count(&self) -> usize {
        self.plan.picture_count()
    }

    /// Generate picture `key` (a 960×540 JPEG with alt text, caption and
    /// credit), drawn for the story it belongs to: its topic's scene, at the
    /// story's place.
    pub fn picture(&self, key: usize) -> PictureSeed {
        let owner = self.plan.owner(key).map(|o| {
            let head = story::head(self.spec.seed, &self.timeline, self.breaking_key, o.story);
            (head, o.inline)
        });
        picture::generate(self.spec.seed, key, owner.as_ref().map(|(h, i)| (h, *i)))
    }

    /// Generate story `key` on its own (the same as the `key`th item of [`Demo::stories`]).
    pub fn story(&self, key: usize) -> StorySeed {
        story::generate(self, key)
    }

    /// All stories in key order (oldest first), generated lazily.
    pub fn stories(&self) -> impl Iterator<Item = StorySeed> + '_ {
        (0..self.spec.stories).map(move |k| story::generate(self, k))
    }

    /// Comments on one story (0–25, most on stories from the last 3 days).
    pub fn comments(&self, story: &StorySeed) -> Vec<CommentSeed> {
        engagement::comments(self, story)
    }

    /// Views of one story in the 24 hours before `now` (Zipf-like across
    /// stories; each reader at most once per story). Only stories from the
    /// last 5 days, among the newest 2000, get views.
    pub fn views(&self, story: &StorySeed) -> Vec<ViewSeed> {
        engagement::views(self, story)
    }
}

#[cfg(test)]
mod tests;
