//! Sections and tags as editors manage them.

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
    pub async fn rename_section(&self, id: i64, name: &str, now: i64) -> Result<()> {
        with_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE sections SET name = $1 WHERE id = $2").bind(name).bind(id).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO change_events (at, keys) VALUES ($1, 'sections')").bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<(), sqlx::Error>(())
        })?;
        Ok(())
    }

    /// Swaps the positions of two sections (moving one up or down).
    pub async fn swap_sections(&self, a: i64, b: i64, now: i64) -> Result<()> {
        with_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            let pa: i64 = sqlx::query_scalar("SELECT position FROM sections WHERE id = $1").bind(a).fetch_one(&mut *tx).await?;
            let pb: i64 = sqlx::query_scalar("SELECT position FROM sections WHERE id = $1").bind(b).fetch_one(&mut *tx).await?;
            sqlx::query("UPDATE sections SET position = $1 WHERE id = $2").bind(pb).bind(a).execute(&mut *tx).await?;
            sqlx::query("UPDATE sections SET position = $1 WHERE id = $2").bind(pa).bind(b).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO change_events (at, keys) VALUES ($1, 'sections')").bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<(), sqlx::Error>(())
        })?;
        Ok(())
    }

    pub async fn add_section(
        &self,
        slug: &str,
        name: &str,
        parent_id: Option<i64>,
        path: &str,
        now: i64,
    ) -> Result<i64> {
        let id = with_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            let pos: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM sections").fetch_one(&mut *tx).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO sections (slug, name, parent_id, position, path) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(slug).bind(name).bind(parent_id).bind(pos).bind(path).fetch_one(&mut *tx).await?;
            sqlx::query("INSERT INTO change_events (at, keys) VALUES ($1, 'sections')").bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<i64, sqlx::Error>(id)
        })?;
        Ok(id)
    }

    /// Tags with their story counts, most used first.
    pub async fn tag_uses(&self) -> Result<Vec<TagUse>> {
        let rows: Vec<TagUse> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT t.id, t.slug, t.name, COUNT(st.story_id) AS stories FROM tags t \
             LEFT JOIN story_tags st ON st.tag_id = t.id GROUP BY t.id, t.slug, t.name ORDER BY stories DESC, t.name"
        ).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Merges tag `from` into `into`: its stories get `into`, its address
    /// redirects to `into`'s, and it is gone. `keys` are purged.
    pub async fn merge_tags(&self, from: i64, into: i64, now: i64, keys: &str) -> Result<()> {
        with_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO story_tags (story_id, tag_id) SELECT story_id, $2 FROM story_tags WHERE tag_id = $1 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(from).bind(into).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM story_tags WHERE tag_id = $1").bind(from).execute(&mut *tx).await?;
            sqlx::query("UPDATE tag_redirects SET tag_id = $2 WHERE tag_id = $1").bind(from).bind(into).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO tag_redirects (slug, tag_id) SELECT slug, $2 FROM tags WHERE id = $1 ON CONFLICT (slug) DO UPDATE SET tag_id = excluded.tag_id")
                .bind(from).bind(into).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM tags WHERE id = $1").bind(from).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO change_events (at, keys) VALUES ($1, $2)").bind(now).bind(keys).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<(), sqlx::Error>(())
        })?;
        Ok(())
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
