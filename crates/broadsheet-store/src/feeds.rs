//! Reads for feeds and sitemaps (issue 13): published stories by month and
//! by time window, the newest change per section and per author, and the
//! byte length of picture renditions (for feed enclosures). Only published
//! stories are ever returned, so a withdrawal takes a story out of every
//! list on the next read.

use std::collections::HashMap;

use sqlx::{FromRow, QueryBuilder};

use crate::{Db, Store, StoreError, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

/// One month that has published stories (months are UTC calendar months).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub stories: i64,
    /// The newest change to any story of the month.
    pub lastmod: i64,
}

/// A published story as a sitemap lists it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SitemapEntry {
    pub id: i64,
    pub slug: String,
    pub section_id: i64,
    pub headline: String,
    pub published_at: i64,
    /// The story's last change (`modified_at`), never before publication.
    pub lastmod: i64,
}

impl Store {
    /// Months with published stories, oldest first, with how many each has.
    pub async fn sitemap_months(&self) -> Result<Vec<SitemapMonth>> {
        let rows: Vec<(String, i64, i64)> = match &self.db {
            Db::Sqlite(p) => {
                sqlx::query_as(
                    "SELECT strftime('%Y-%m', published_at, 'unixepoch') AS m, COUNT(*), \
                     MAX(MAX(modified_at, published_at)) FROM stories \
                     WHERE status = 'published' AND published_at IS NOT NULL GROUP BY m ORDER BY m",
                )
                .fetch_all(p)
                .await?
            }
            Db::Postgres(p) => {
                sqlx::query_as(
                    "SELECT to_char(to_timestamp(published_at) AT TIME ZONE 'UTC', 'YYYY-MM') AS m, COUNT(*), \
                     MAX(GREATEST(modified_at, published_at)) FROM stories \
                     WHERE status = 'published' AND published_at IS NOT NULL GROUP BY m ORDER BY m",
                )
                .fetch_all(p)
                .await?
            }
        };
        Ok(rows
            .into_iter()
            .map(|(month, stories, lastmod)| SitemapMonth {
                month,
                stories,
                lastmod,
            })
            .collect())
    }

    /// Published stories with `from <= published_at < to`, oldest first
    /// (`newest_first` reverses), `limit` from `offset`.
    pub async fn sitemap_entries(
        &self,
        from: i64,
        to: i64,
        newest_first: bool,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<SitemapEntry>> {
        let order = if newest_first {
            "s.published_at DESC, s.id DESC"
        } else {
            "s.published_at, s.id"
        };
        let greatest = match &self.db {
            Db::Sqlite(_) => "MAX",
            Db::Postgres(_) => "GREATEST",
        };
        let sql = format!(
            "SELECT s.id, s.slug, s.section_id, s.headline, s.published_at, \
             {greatest}(s.modified_at, s.published_at) AS lastmod FROM stories s \
             WHERE s.status = 'published' AND s.published_at >= $1 AND s.published_at < $2 \
             ORDER BY {order} LIMIT $3 OFFSET $4"
        );
        let rows: Vec<SitemapEntry> = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(from).bind(to).bind(limit).bind(offset).fetch_all(p).await)?;
        Ok(rows)
    }

    /// How many stories were published with `from <= published_at < to`.
    pub async fn sitemap_count(&self, from: i64, to: i64) -> Result<i64> {
        let n: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM stories WHERE status = 'published' AND published_at >= $1 AND published_at < $2"
        ).bind(from).bind(to).fetch_one(p).await)?;
        Ok(n)
    }

    /// The newest publication per section a story is filed in (section id,
    /// time): read from the `stories_section_published` index alone, so it
    /// costs an index scan, not a table scan, on a large paper.
    pub async fn section_lastmods(&self) -> Result<Vec<(i64, i64)>> {
        let rows: Vec<(i64, i64)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT section_id, MAX(published_at) FROM stories WHERE status = 'published' \
             AND published_at IS NOT NULL GROUP BY section_id"
        ).fetch_all(p).await)?;
        Ok(rows)
    }

    /// The newest change to any published story (`stories_status_modified`).
    pub async fn newest_change(&self) -> Result<Option<i64>> {
        let t: Option<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT MAX(modified_at) FROM stories WHERE status = 'published'"
        ).fetch_one(p).await)?;
        Ok(t)
    }

    /// Authors with published stories: (slug, newest change to one of them),
    /// by slug.
    pub async fn author_lastmods(&self) -> Result<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT a.slug, MAX(s.modified_at) FROM authors a \
             JOIN story_authors sa ON sa.author_id = a.id \
             JOIN stories s ON s.id = sa.story_id AND s.status = 'published' \
             GROUP BY a.slug ORDER BY a.slug"
        ).fetch_all(p).await)?;
        Ok(rows)
    }

    /// The byte length of each picture's rendition `width` in `format`
    /// (pictures without one are left out).
    pub async fn rendition_sizes(
        &self,
        ids: &[i64],
        width: i64,
        format: &str,
    ) -> Result<HashMap<i64, i64>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let length = match &self.db {
            Db::Sqlite(_) => "length(bytes)",
            Db::Postgres(_) => "octet_length(bytes)",
        };
        let rows: Vec<(i64, i64)> = with_pool!(&self.db, p => {
            let mut qb = QueryBuilder::new(format!(
                "SELECT picture_id, CAST({length} AS BIGINT) FROM picture_renditions WHERE width = "
            ));
            qb.push_bind(width);
            qb.push(" AND format = ");
            qb.push_bind(format.to_string());
            qb.push(" AND picture_id IN (");
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            qb.push(")");
            qb.build_query_as().fetch_all(p).await
        })?;
        Ok(rows.into_iter().collect())
    }
}
