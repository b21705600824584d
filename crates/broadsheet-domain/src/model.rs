//! The newspaper's core types: sections, stories, pictures, people, tags.

use std::fmt;
use std::str::FromStr;

/// Who may read a story's full text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Everyone.
    Free,
    /// Counted against a reader's free-story meter.
    Metered,
    /// Subscribers only.
    Subscribers,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Free => "free",
            Access::Metered => "metered",
            Access::Subscribers => "subscribers",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown access level {0:?}: expected free, metered or subscribers")]
pub struct UnknownAccess(pub String);

impl FromStr for Access {
    type Err = UnknownAccess;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "free" => Ok(Access::Free),
            "metered" => Ok(Access::Metered),
            "subscribers" => Ok(Access::Subscribers),
            other => Err(UnknownAccess(other.to_string())),
        }
    }
}

/// Where a story is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoryStatus {
    Draft,
    /// Sent to the editors for review.
    Submitted,
    /// Will publish itself at `scheduled_at`.
    Scheduled,
    Published,
    /// Taken down: readers get 410 Gone.
    Withdrawn,
}

impl StoryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StoryStatus::Draft => "draft",
            StoryStatus::Submitted => "submitted",
            StoryStatus::Scheduled => "scheduled",
            StoryStatus::Published => "published",
            StoryStatus::Withdrawn => "withdrawn",
        }
    }
    /// Parses the stored form; anything unknown is treated as a draft, the
    /// state that shows nothing to readers.
    pub fn parse(s: &str) -> StoryStatus {
        match s {
            "published" => StoryStatus::Published,
            "submitted" => StoryStatus::Submitted,
            "scheduled" => StoryStatus::Scheduled,
            "withdrawn" => StoryStatus::Withdrawn,
            _ => StoryStatus::Draft,
        }
    }
}

/// A section of the paper; `path` is the URL path without slashes at the
/// ends, e.g. `news/world`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub parent_id: Option<i64>,
    pub position: i64,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PictureRef {
    pub id: i64,
    /// The picture's unguessable public name: renditions are at
    /// `/media/<token>-<width>.jpg`.
    pub token: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub width: i64,
    pub height: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorRef {
    pub id: i64,
    pub slug: String,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub id: i64,
    pub slug: String,
    pub display_name: String,
    pub bio: String,
    pub role: String,
    /// Byline picture, from the media library.
    pub picture_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// What a list of stories needs to show one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryCard {
    pub id: i64,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    pub section_id: i64,
    pub published_at: i64,
    pub updated_at: Option<i64>,
    pub picture: Option<PictureRef>,
    pub breaking: bool,
    pub access: Access,
}

/// A whole story as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Story {
    pub id: i64,
    pub slug: String,
    pub section_id: i64,
    pub headline: String,
    pub standfirst: String,
    /// Body in Broadsheet markup (see [`crate::markup`]).
    pub body: String,
    /// Free-text byline for agency copy ("Press Association"); shown as
    /// "By <text>" when there are no staff authors.
    pub byline_text: Option<String>,
    pub authors: Vec<AuthorRef>,
    pub tags: Vec<TagRef>,
    pub status: StoryStatus,
    pub access: Access,
    pub breaking: bool,
    pub published_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub lead_picture: Option<PictureRef>,
    /// Last time anything about the story changed (for Last-Modified).
    pub modified_at: i64,
    /// Bumped by every save; a save names the version it started from.
    pub version: i64,
    /// The staff member who started the story (none for wire copy).
    pub created_by: Option<i64>,
    pub scheduled_at: Option<i64>,
    /// Title and description for search engines (empty: headline, standfirst).
    pub seo_title: String,
    pub seo_description: String,
}

impl Story {
    /// The story as a list entry.
    pub fn card(&self) -> StoryCard {
        StoryCard {
            id: self.id,
            slug: self.slug.clone(),
            headline: self.headline.clone(),
            standfirst: self.standfirst.clone(),
            section_id: self.section_id,
            published_at: self.published_at.unwrap_or(self.modified_at),
            updated_at: self.updated_at,
            picture: self.lead_picture.clone(),
            breaking: self.breaking,
            access: self.access,
        }
    }
}
