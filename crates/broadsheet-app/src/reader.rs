//! What reader pages read: one function per page's data, so the web crate
//! assembles nothing from the store itself. The story page's *text* is not
//! here: it comes only through [`crate::render::story_body`], which runs
//! [`crate::entitlement::gate`] (the one place paid text is cut).

use broadsheet_domain::{Author, PictureRef, Story, StoryCard, TagRef};
use broadsheet_store::{Correction, Listing};

use crate::{App, Result, StoryLookup};

/// How many published stories a listing holds (for pagination).
pub async fn count(app: &App, listing: Listing<'_>) -> Result<i64> {
    Ok(app.store().count(listing).await?)
}

/// An author page's subject: the author and their byline picture.
pub async fn author(app: &App, slug: &str) -> Result<Option<(Author, Option<PictureRef>)>> {
    let Some(a) = app.store().author_by_slug(slug).await? else {
        return Ok(None);
    };
    let portrait = match a.picture_id {
        Some(pid) => app.store().pictures(&[pid]).await?.into_iter().next(),
        None => None,
    };
    Ok(Some((a, portrait)))
}

/// A tag page's subject.
pub async fn tag(app: &App, slug: &str) -> Result<Option<TagRef>> {
    Ok(app.store().tag_by_slug(slug).await?)
}

/// Where a merged tag's old address now points (its new slug), if anywhere.
pub async fn tag_redirect(app: &App, slug: &str) -> Result<Option<String>> {
    Ok(app.store().tag_redirect(slug).await?)
}

/// The corrections page: recent corrections with the card of their story.
pub async fn corrections(app: &App, limit: i64) -> Result<Vec<(Correction, StoryCard)>> {
    let list = app.store().recent_corrections(limit, 0).await?;
    let ids: Vec<i64> = list.iter().map(|c| c.story_id).collect();
    let cards = app.store().cards_by_ids(&ids).await?;
    Ok(list
        .into_iter()
        .filter_map(|c| {
            let card = cards.iter().find(|k| k.id == c.story_id)?.clone();
            Some((c, card))
        })
        .collect())
}

/// Everything a story page shows besides its text (which the page takes
/// from `render::story_body`, through the gate).
pub struct StoryRead {
    /// The story, its `access` already made effective (section and tag
    /// rules applied, [`crate::entitlement::effective_access`]).
    pub story: Box<Story>,
    pub corrections: Vec<Correction>,
    /// What the gate needs to decide for each reader of this page.
    pub gate: crate::entitlement::GateInfo,
}

/// What a story address leads to for this reader.
pub enum StoryPage {
    Found(StoryRead),
    Withdrawn,
    Missing,
}

/// Loads a published story and what its page shows around it.
pub async fn story(app: &App, id: i64) -> Result<StoryPage> {
    let mut story = match app.published_story(id).await? {
        StoryLookup::Found(s) => s,
        StoryLookup::Withdrawn => return Ok(StoryPage::Withdrawn),
        StoryLookup::Missing => return Ok(StoryPage::Missing),
    };
    story.access = crate::entitlement::effective_access(app, &story).await?;
    let gate = crate::entitlement::GateInfo {
        story_id: story.id,
        access: story.access,
    };
    let corrections = app.store().corrections_of(story.id).await?;
    Ok(StoryPage::Found(StoryRead {
        story,
        corrections,
        gate,
    }))
}

/// Whether the database answers (for `/healthz`).
pub async fn ping(app: &App) -> Result<()> {
    Ok(app.store().ping().await?)
}
