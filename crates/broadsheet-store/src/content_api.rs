//! Reads of the Content API (issue 13, item 6): published stories in keyset
//! order (stable while stories are published: a page never repeats or skips
//! one), and the tags and authors that have published stories.

use broadsheet_domain::StoryCard;

use sqlx::QueryBuilder;

use crate::queries::{CARD_COLUMNS, CardRow};
use crate::{Store, StoreError, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

/// What a story list is narrowed to (every filter given must match).
#[derive(Debug, Clone, Copy, Default)]
pub struct StoryFilters<'a> {
    /// A section's path: stories in it or any section below it.
    pub section_path: Option<&'a str>,
    pub tag: Option<i64>,
    pub author: Option<i64>,
}

/// An author with published stories: (id, slug, name, bio, published stories).
pub type PublicAuthor = (i64, String, String, String, i64);
/// A tag on published stories: (id, slug, name, published stories).
pub type PublicTag = (i64, String, String, i64);

impl Store {
    /// Published stories matching every filter of `filters`, newest first,
    /// strictly after the position `after` (publication time, id) in that
    /// order (`None`: from the newest); at most `limit`.
    pub async fn cards_after(
        &self,
        filters: &StoryFilters<'_>,
        after: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<StoryCard>> {
        let (at, id) = after.unwrap_or((i64::MAX, i64::MAX));
        let rows: Vec<CardRow> = with_pool!(&self.db, p => {
            let mut qb = QueryBuilder::new(format!(
                "SELECT {CARD_COLUMNS} FROM stories s LEFT JOIN pictures p ON p.id = s.lead_picture_id \
                 WHERE s.status = 'published'"
            ));
            if let Some(path) = filters.section_path {
                qb.push(" AND s.section_id IN (SELECT id FROM sections WHERE path = ");
                qb.push_bind(path.to_string());
                qb.push(" OR path LIKE ");
                qb.push_bind(format!("{path}/%"));
                qb.push(")");
            }
            if let Some(tag) = filters.tag {
                qb.push(" AND EXISTS (SELECT 1 FROM story_tags st WHERE st.story_id = s.id AND st.tag_id = ");
                qb.push_bind(tag);
                qb.push(")");
            }
            if let Some(author) = filters.author {
                qb.push(" AND EXISTS (SELECT 1 FROM story_authors sa WHERE sa.story_id = s.id AND sa.author_id = ");
                qb.push_bind(author);
                qb.push(")");
            }
            qb.push(" AND (s.published_at < ");
            qb.push_bind(at);
            qb.push(" OR (s.published_at = ");
            qb.push_bind(at);
            qb.push(" AND s.id < ");
            qb.push_bind(id);
            qb.push(")) ORDER BY s.published_at DESC, s.id DESC LIMIT ");
            qb.push_bind(limit);
            qb.build_query_as().fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(CardRow::into_card).collect())
    }

    /// Authors with at least one published story, by name.
    pub async fn public_authors(&self) -> Result<Vec<PublicAuthor>> {
        let rows = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT a.id, a.slug, a.display_name, a.bio, COUNT(*) FROM authors a \
             JOIN story_authors sa ON sa.author_id = a.id \
             JOIN stories s ON s.id = sa.story_id AND s.status = 'published' \
             GROUP BY a.id, a.slug, a.display_name, a.bio ORDER BY a.display_name, a.id"
        ).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Tags on at least one published story, by name.
    pub async fn public_tags(&self) -> Result<Vec<PublicTag>> {
        let rows = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT t.id, t.slug, t.name, COUNT(*) FROM tags t \
             JOIN story_tags st ON st.tag_id = t.id \
             JOIN stories s ON s.id = st.story_id AND s.status = 'published' \
             GROUP BY t.id, t.slug, t.name ORDER BY t.name, t.id"
        ).fetch_all(p).await)?;
        Ok(rows)
    }
}
