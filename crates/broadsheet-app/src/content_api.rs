//! The Content API's reads (issue 13, item 6): what `/api/v1` answers,
//! public and read-only, for an asker the gate knows nothing about. Story
//! lists page by an opaque keyset cursor (publication time and id, newest
//! first), so a page never repeats or skips a story while others are
//! published; a story's text comes from [`render::story_body`] with the
//! gate's cut, as feeds do (free stories in full, paid ones to the preview),
//! so no paid text leaves through the API. The web crate turns these into
//! JSON (`broadsheet-web/src/api.rs`).

use broadsheet_domain::{PictureRef, Section, Story, StoryCard};
use broadsheet_store::{PublicAuthor, PublicTag, StoryFilters};

use crate::entitlement::Decision;
use crate::render::{self, StoryBody};
use crate::{App, Result, StoryLookup, reader};

/// Stories per page unless the asker says.
pub const DEFAULT_LIMIT: i64 = 20;
/// Most stories per page.
pub const MAX_LIMIT: i64 = 100;

/// A position in the newest-first order of published stories: the last
/// story of a page. Sent as an opaque token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub published_at: i64,
    pub id: i64,
}

impl Cursor {
    /// The token a client sends back (`?cursor=`).
    pub fn encode(self) -> String {
        hex::encode(format!("v1:{}:{}", self.published_at, self.id))
    }

    /// The position a token names; `None` for anything we did not make.
    pub fn decode(token: &str) -> Option<Cursor> {
        if token.len() > 80 {
            return None;
        }
        let bytes = hex::decode(token).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let mut parts = text.strip_prefix("v1:")?.split(':');
        let published_at = parts.next()?.parse().ok()?;
        let id: i64 = parts.next()?.parse().ok()?;
        (parts.next().is_none() && id > 0).then_some(Cursor { published_at, id })
    }
}

/// Which stories a list holds: every filter given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// A section (by path, `news/world`) and every section below it.
    pub section: Option<String>,
    /// A tag, by slug.
    pub tag: Option<String>,
    /// An author, by slug.
    pub author: Option<String>,
}

/// A filter that names nothing the paper has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    Section,
    Tag,
    Author,
}

/// A page of stories, and the cursor of the next one if there is one.
#[derive(Debug, Clone)]
pub struct StoryList {
    pub cards: Vec<StoryCard>,
    pub next: Option<Cursor>,
}

/// Published stories of `filter`, newest first, after `after`; which
/// filter names nothing, if one does.
pub async fn stories(
    app: &App,
    filter: &Filter,
    after: Option<Cursor>,
    limit: i64,
) -> Result<std::result::Result<StoryList, Unknown>> {
    let limit = limit.clamp(1, MAX_LIMIT);
    let sections = app.sections();
    let mut filters = StoryFilters::default();
    if let Some(path) = &filter.section {
        match sections.by_path(path) {
            Some(s) => filters.section_path = Some(&s.path),
            None => return Ok(Err(Unknown::Section)),
        }
    }
    if let Some(slug) = &filter.tag {
        match reader::tag(app, slug).await? {
            Some(t) => filters.tag = Some(t.id),
            None => return Ok(Err(Unknown::Tag)),
        }
    }
    if let Some(slug) = &filter.author {
        match reader::author(app, slug).await? {
            Some((a, _)) => filters.author = Some(a.id),
            None => return Ok(Err(Unknown::Author)),
        }
    }
    let mut cards = app
        .store()
        .cards_after(&filters, after.map(|c| (c.published_at, c.id)), limit + 1)
        .await?;
    let more = cards.len() as i64 > limit;
    cards.truncate(limit as usize);
    let next = if more {
        cards.last().map(|c| Cursor {
            published_at: c.published_at,
            id: c.id,
        })
    } else {
        None
    };
    Ok(Ok(StoryList { cards, next }))
}

/// A published story as the API gives it: the story, and its text as the
/// gate lets anyone read it.
#[derive(Debug, Clone)]
pub struct ApiStory {
    /// The story (its `body` is not to be shown: use `text`).
    pub story: Box<Story>,
    pub text: StoryBody,
}

/// The published story `id`, or `None` (never published, withdrawn).
/// `figure` makes the HTML of a picture placed in the body.
pub async fn story(
    app: &App,
    id: i64,
    figure: impl Fn(&PictureRef) -> String,
) -> Result<Option<ApiStory>> {
    let StoryLookup::Found(story) = app.published_story(id).await? else {
        return Ok(None);
    };
    // A public document, for nobody in particular: the gate's cut.
    let text = render::story_body(app, &story, Decision::Cut, figure).await?;
    Ok(Some(ApiStory { story, text }))
}

/// Every section, by position.
pub fn sections(app: &App) -> Vec<Section> {
    app.sections().all().to_vec()
}

/// Authors with published stories.
pub async fn authors(app: &App) -> Result<Vec<PublicAuthor>> {
    Ok(app.store().public_authors().await?)
}

/// Tags on published stories.
pub async fn tags(app: &App) -> Result<Vec<PublicTag>> {
    Ok(app.store().public_tags().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_nothing_else_reads() {
        let c = Cursor {
            published_at: 1_764_000_000,
            id: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for bad in [
            "",
            "zz",
            "42",
            &hex::encode("v2:1:2"),
            &hex::encode("v1:1"),
            &hex::encode("v1:1:2:3"),
            &hex::encode("v1:x:2"),
            &hex::encode("v1:1:0"),
            &"a".repeat(200),
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
