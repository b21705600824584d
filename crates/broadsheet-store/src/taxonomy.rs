//! Sections and tags as editors manage them (reads; the writes are on
//! [`crate::Tx`]).

use crate::{Store, StoreError, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

/// A tag with how many stories carry it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TagUse {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub stories: i64,
}

impl Store {
    /// Tags with their story counts, most used first.
    pub async fn tag_uses(&self) -> Result<Vec<TagUse>> {
        let rows: Vec<TagUse> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT t.id, t.slug, t.name, COUNT(st.story_id) AS stories FROM tags t \
             LEFT JOIN story_tags st ON st.tag_id = t.id GROUP BY t.id, t.slug, t.name ORDER BY stories DESC, t.name"
        ).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Where a merged tag's old slug now points.
    pub async fn tag_redirect(&self, slug: &str) -> Result<Option<String>> {
        let s: Option<String> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT t.slug FROM tag_redirects r JOIN tags t ON t.id = r.tag_id WHERE r.slug = $1"
        ).bind(slug).fetch_optional(p).await)?;
        Ok(s)
    }

    /// Stories carrying a tag (for purging them when it changes).
    pub async fn stories_with_tag(&self, tag: i64) -> Result<Vec<i64>> {
        let ids: Vec<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT story_id FROM story_tags WHERE tag_id = $1"
        ).bind(tag).fetch_all(p).await)?;
        Ok(ids)
    }
}
