//! Corrections: dated notes at the foot of a story, and the corrections page.

use crate::{Store, StoreError, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

/// A correction as readers see it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Correction {
    pub id: i64,
    pub story_id: i64,
    pub at: i64,
    pub text: String,
}

impl Store {
    pub async fn corrections_of(&self, story_id: i64) -> Result<Vec<Correction>> {
        let rows: Vec<Correction> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, story_id, at, text FROM corrections WHERE story_id = $1 ORDER BY at, id"
        ).bind(story_id).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Corrections on published stories, newest first.
    pub async fn recent_corrections(&self, limit: i64, offset: i64) -> Result<Vec<Correction>> {
        let rows: Vec<Correction> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT c.id, c.story_id, c.at, c.text FROM corrections c JOIN stories s ON s.id = c.story_id \
             WHERE s.status = 'published' ORDER BY c.at DESC, c.id DESC LIMIT $1 OFFSET $2"
        ).bind(limit).bind(offset).fetch_all(p).await)?;
        Ok(rows)
    }
}

/// A picture in the media library.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LibraryPicture {
    pub id: i64,
    /// Public name: renditions are at `/media/<token>-<width>.jpg`.
    pub token: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub width: i64,
    pub height: i64,
    pub created_at: i64,
}

impl Store {
    /// Stores an uploaded picture and its renditions in one transaction: an
    /// upload that fails half-way leaves nothing behind.
    pub async fn insert_picture_with_renditions(
        &self,
        pic: &crate::NewPicture,
        renditions: &[(i64, &str, &[u8])],
        now: i64,
    ) -> Result<i64> {
        let id = with_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO pictures (alt, caption, credit, width, height, original, created_at, token) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(&pic.alt).bind(&pic.caption).bind(&pic.credit).bind(pic.width).bind(pic.height)
            .bind(&pic.original).bind(now).bind(&pic.token)
            .fetch_one(&mut *tx).await?;
            for (w, f, bytes) in renditions {
                sqlx::query("INSERT INTO picture_renditions (picture_id, width, format, bytes) VALUES ($1, $2, $3, $4)")
                    .bind(id).bind(*w).bind(*f).bind(*bytes).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<i64, sqlx::Error>(id)
        })?;
        Ok(id)
    }

    /// Newest pictures whose alt text, caption or credit contain `q` (all if empty).
    pub async fn search_pictures(&self, q: &str, limit: i64) -> Result<Vec<LibraryPicture>> {
        let like = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
        let rows: Vec<LibraryPicture> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, token, alt, caption, credit, width, height, created_at FROM pictures \
             WHERE LOWER(alt) LIKE $1 OR LOWER(caption) LIKE $1 OR LOWER(credit) LIKE $1 \
             ORDER BY id DESC LIMIT $2"
        ).bind(like).bind(limit).fetch_all(p).await)?;
        Ok(rows)
    }

    /// The picture whose public name is `token`.
    pub async fn picture_id_by_token(&self, token: &str) -> Result<Option<i64>> {
        let id: Option<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT id FROM pictures WHERE token = $1"
        ).bind(token).fetch_optional(p).await)?;
        Ok(id)
    }

    /// Published stories whose lead picture is `picture` (at most `limit`).
    pub async fn published_stories_led_by(&self, picture: i64, limit: i64) -> Result<Vec<i64>> {
        let ids: Vec<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT id FROM stories WHERE lead_picture_id = $1 AND status = 'published' ORDER BY id LIMIT $2"
        ).bind(picture).bind(limit).fetch_all(p).await)?;
        Ok(ids)
    }

    /// Authors whose byline picture is `picture`.
    pub async fn authors_portrayed_by(&self, picture: i64) -> Result<Vec<i64>> {
        let ids: Vec<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT id FROM authors WHERE picture_id = $1 ORDER BY id"
        ).bind(picture).fetch_all(p).await)?;
        Ok(ids)
    }

    /// Published stories whose body contains `text` literally (at most
    /// `limit`), with their bodies, for the caller to check placements.
    pub async fn published_bodies_mentioning(
        &self,
        text: &str,
        limit: i64,
    ) -> Result<Vec<(i64, String)>> {
        let like = format!("%{}%", text.replace(['%', '_'], ""));
        let rows: Vec<(i64, String)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, body FROM stories WHERE status = 'published' AND body LIKE $1 ORDER BY id LIMIT $2"
        ).bind(like).bind(limit).fetch_all(p).await)?;
        Ok(rows)
    }

    pub async fn picture_count(&self) -> Result<i64> {
        let n: i64 = with_pool!(&self.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM pictures").fetch_one(p).await)?;
        Ok(n)
    }
}
