//! What feeds and sitemaps show (issue 13), read for everyone at once: a
//! feed is one shared document, cached and sent to any reader, so its text
//! is what the entitlement gate gives a reader who is not entitled. Each
//! item's body comes only through [`render::story_body`] with
//! [`Decision::Cut`]: a free story in full, a paid (metered or
//! subscribers-only) story cut to the preview the story page shows a
//! non-subscriber. Nothing here reads paid text by another road.
//!
//! Sitemaps list published stories only (a withdrawal takes a story out at
//! the next read; the web layer purges the cached files by surrogate key).
//! The serialising (RSS, Atom, JSON Feed, sitemap XML) is the web crate's
//! (`broadsheet-web/src/feeds.rs`, `sitemaps.rs`).

use std::collections::HashMap;

use broadsheet_domain::{Author, PictureRef, Section, Story, TagRef};
use broadsheet_store::Listing;
pub use broadsheet_store::{SitemapEntry, SitemapMonth};

use crate::entitlement::Decision;
use crate::{App, Result, StoryLookup, render};

/// Items in one feed.
pub const FEED_ITEMS: i64 = 30;
/// The Google News sitemap lists stories published in this window.
pub const NEWS_WINDOW_SECS: i64 = 2 * 86_400;
/// Stories in one News sitemap file (Google's limit); more are split.
pub const NEWS_PER_FILE: i64 = 1_000;
/// URLs in one story sitemap file (the sitemap protocol allows 50,000);
/// a month with more is split.
pub const STORIES_PER_FILE: i64 = 50_000;
/// The rendition feeds offer as a story's picture.
pub const ENCLOSURE_WIDTH: i64 = 960;

/// What a feed covers.
#[derive(Debug, Clone)]
pub enum Scope {
    Paper,
    Section(Section),
    Tag(TagRef),
    Author(Author),
}

impl Scope {
    /// The stories it lists.
    pub fn listing(&self) -> Listing<'_> {
        match self {
            Scope::Paper => Listing::All,
            Scope::Section(s) => Listing::SectionTree(&s.path),
            Scope::Tag(t) => Listing::Tag(t.id),
            Scope::Author(a) => Listing::Author(a.id),
        }
    }
}

/// Finds the section, tag or author a feed address names (published
/// stories only make a tag's or an author's feed exist).
pub fn scope_section(app: &App, path: &str) -> Option<Scope> {
    app.sections().by_path(path).cloned().map(Scope::Section)
}

/// A tag's feed scope, if the tag has published stories.
pub async fn scope_tag(app: &App, slug: &str) -> Result<Option<Scope>> {
    let Some(t) = app.store().tag_by_slug(slug).await? else {
        return Ok(None);
    };
    if app.store().count(Listing::Tag(t.id)).await? == 0 {
        return Ok(None);
    }
    Ok(Some(Scope::Tag(t)))
}

/// An author's feed scope.
pub async fn scope_author(app: &App, slug: &str) -> Result<Option<Scope>> {
    Ok(app.store().author_by_slug(slug).await?.map(Scope::Author))
}

/// One story as a feed gives it.
#[derive(Debug, Clone)]
pub struct FeedItem {
    /// The published story (its body is not to be shown: use `html`).
    pub story: Box<Story>,
    /// The text everyone may read, rendered: all of a free story, the
    /// preview of a paid one (the gate's cut).
    pub html: String,
    /// Text was withheld (a paid story): say so in the feed.
    pub withheld: bool,
    /// The lead picture and its enclosure rendition's size in bytes.
    pub picture: Option<(PictureRef, i64)>,
}

/// The newest [`FEED_ITEMS`] published stories of `scope`, each through the
/// gate as for a reader who is not entitled. `figure` makes the HTML of a
/// picture placed in a body (absolute addresses: feeds are read elsewhere).
pub async fn items(
    app: &App,
    scope: &Scope,
    figure: impl Fn(&PictureRef) -> String + Clone,
) -> Result<Vec<FeedItem>> {
    let cards = app.cards(scope.listing(), FEED_ITEMS, 0).await?;
    let pics: Vec<i64> = cards
        .iter()
        .filter_map(|c| c.picture.as_ref().map(|p| p.id))
        .collect();
    let sizes: HashMap<i64, i64> = app
        .store()
        .rendition_sizes(&pics, ENCLOSURE_WIDTH, "jpeg")
        .await?;
    let mut out = Vec::with_capacity(cards.len());
    for c in cards {
        let StoryLookup::Found(story) = app.published_story(c.id).await? else {
            continue;
        };
        // A shared document, for nobody in particular: the gate's cut.
        let body = render::story_body(app, &story, Decision::Cut, figure.clone()).await?;
        let picture = story
            .lead_picture
            .clone()
            .and_then(|p| sizes.get(&p.id).map(|n| (p, *n)));
        out.push(FeedItem {
            story,
            html: body.html,
            withheld: body.withheld,
            picture,
        });
    }
    Ok(out)
}

/// The months with published stories (for the sitemap index).
pub async fn months(app: &App) -> Result<Vec<SitemapMonth>> {
    Ok(app.store().sitemap_months().await?)
}

/// The first second of `YYYY-MM` (UTC) and of the month after, or `None`
/// for anything that is not a month from 1970 to 9999.
pub fn month_bounds(month: &str) -> Option<(i64, i64)> {
    let (y, m) = month.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let y: i16 = y.parse().ok()?;
    let m: i8 = m.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    let start = jiff::civil::date(y, m, 1);
    let next = start.checked_add(jiff::Span::new().months(1)).ok()?;
    let secs = |d: jiff::civil::Date| {
        d.to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_second())
    };
    Some((secs(start)?, secs(next)?))
}

/// Part `part` (from 1) of the stories published in `month`: `None` when
/// the month is not valid or the part is beyond the last.
pub async fn month_entries(app: &App, month: &str, part: i64) -> Result<Option<Vec<SitemapEntry>>> {
    let Some((from, to)) = month_bounds(month) else {
        return Ok(None);
    };
    if part < 1 {
        return Ok(None);
    }
    let list = app
        .store()
        .sitemap_entries(
            from,
            to,
            false,
            STORIES_PER_FILE,
            (part - 1) * STORIES_PER_FILE,
        )
        .await?;
    if list.is_empty() {
        return Ok(None);
    }
    Ok(Some(list))
}

/// How many News sitemap files the last two days need (at least one).
pub async fn news_parts(app: &App, now: i64) -> Result<i64> {
    let n = app
        .store()
        .sitemap_count(now - NEWS_WINDOW_SECS, i64::MAX)
        .await?;
    Ok(((n + NEWS_PER_FILE - 1) / NEWS_PER_FILE).max(1))
}

/// Part `part` (from 1) of the stories published in the last two days,
/// newest first; `None` beyond the last part (the first always exists).
pub async fn news_entries(app: &App, now: i64, part: i64) -> Result<Option<Vec<SitemapEntry>>> {
    if part < 1 {
        return Ok(None);
    }
    let list = app
        .store()
        .sitemap_entries(
            now - NEWS_WINDOW_SECS,
            i64::MAX,
            true,
            NEWS_PER_FILE,
            (part - 1) * NEWS_PER_FILE,
        )
        .await?;
    if list.is_empty() && part > 1 {
        return Ok(None);
    }
    Ok(Some(list))
}

/// The newest change to any published story (the index's `lastmod` for the
/// section and author files, which change with it).
pub async fn newest_change(app: &App) -> Result<Option<i64>> {
    Ok(app.store().newest_change().await?)
}

/// Sections with published stories, with the newest publication in them
/// (a section's front also shows the sections below it).
pub async fn section_lastmods(app: &App) -> Result<Vec<(Section, i64)>> {
    let sections = app.sections();
    let mut newest: HashMap<i64, i64> = HashMap::new();
    for (id, t) in app.store().section_lastmods().await? {
        for s in sections.ancestry(id) {
            let e = newest.entry(s.id).or_insert(t);
            *e = (*e).max(t);
        }
    }
    let mut out: Vec<(Section, i64)> = newest
        .into_iter()
        .filter_map(|(id, t)| sections.get(id).map(|s| (s.clone(), t)))
        .collect();
    out.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    Ok(out)
}

/// Authors with published stories (slug, newest change to one of them).
pub async fn author_lastmods(app: &App) -> Result<Vec<(String, i64)>> {
    Ok(app.store().author_lastmods().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_checked_and_bounded() {
        assert_eq!(month_bounds("1970-01"), Some((0, 31 * 86_400)));
        let (a, b) = month_bounds("2024-02").expect("a month");
        assert_eq!(b - a, 29 * 86_400);
        for bad in [
            "2024-13",
            "2024-00",
            "24-01",
            "2024-1",
            "x",
            "2024-01-01",
            "1969-12",
        ] {
            assert_eq!(month_bounds(bad), None, "{bad}");
        }
    }
}
