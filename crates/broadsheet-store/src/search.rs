//! Reads for the search index (issue 13): stories that are not withdrawn
//! (published ones for readers, the others for the newsroom's search) in
//! batches by id (for a rebuild) or by the ids a change event names (to
//! keep the index in step), each with its byline and tags. The index itself
//! lives in the app (`broadsheet-app/src/search.rs`) and is derived from
//! these rows only.

use std::collections::HashMap;

use broadsheet_domain::{Access, AuthorRef, Story, StoryStatus, TagRef};
use sqlx::{FromRow, QueryBuilder};

use crate::{Store, StoreError, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

#[derive(FromRow)]
struct SearchRow {
    id: i64,
    slug: String,
    section_id: i64,
    headline: String,
    standfirst: String,
    body: String,
    byline_text: Option<String>,
    access: String,
    breaking: i64,
    published_at: Option<i64>,
    updated_at: Option<i64>,
    modified_at: i64,
    version: i64,
    status: String,
    created_by: Option<i64>,
}

#[derive(FromRow)]
struct LinkRow {
    story_id: i64,
    id: i64,
    slug: String,
    name: String,
}

const COLUMNS: &str = "s.id, s.slug, s.section_id, s.headline, s.standfirst, s.body, s.byline_text, \
    s.access, s.breaking, s.published_at, s.updated_at, s.modified_at, s.version, s.status, s.created_by";

impl Store {
    /// Up to `limit` stories that are not withdrawn, with an id above
    /// `after`, by id, with their authors and tags (not their pictures:
    /// `lead_picture` is `None`).
    pub async fn search_stories_after(&self, after: i64, limit: i64) -> Result<Vec<Story>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM stories s WHERE s.status <> 'withdrawn' AND s.id > $1 \
             ORDER BY s.id LIMIT $2"
        );
        let rows: Vec<SearchRow> = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(after).bind(limit).fetch_all(p).await)?;
        self.search_complete(rows).await
    }

    /// Those of `ids` that are not withdrawn, as [`Store::search_stories_after`]
    /// gives them; an id not returned is withdrawn or gone.
    pub async fn search_stories(&self, ids: &[i64]) -> Result<Vec<Story>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<SearchRow> = with_pool!(&self.db, p => {
            let mut qb = QueryBuilder::new(format!(
                "SELECT {COLUMNS} FROM stories s WHERE s.status <> 'withdrawn' AND s.id IN ("
            ));
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            qb.push(") ORDER BY s.id");
            qb.build_query_as().fetch_all(p).await
        })?;
        self.search_complete(rows).await
    }

    async fn search_complete(&self, rows: Vec<SearchRow>) -> Result<Vec<Story>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let links = |select: &'static str| {
            let ids = ids.clone();
            async move {
                let rows: Vec<LinkRow> = with_pool!(&self.db, p => {
                    let mut qb = QueryBuilder::new(select);
                    let mut sep = qb.separated(", ");
                    for id in &ids {
                        sep.push_bind(*id);
                    }
                    qb.push(")");
                    qb.build_query_as().fetch_all(p).await
                })?;
                let mut by_story: HashMap<i64, Vec<LinkRow>> = HashMap::new();
                for r in rows {
                    by_story.entry(r.story_id).or_default().push(r);
                }
                Ok::<_, StoreError>(by_story)
            }
        };
        let mut authors = links(
            "SELECT sa.story_id, a.id, a.slug, a.display_name AS name FROM story_authors sa \
             JOIN authors a ON a.id = sa.author_id WHERE sa.story_id IN (",
        )
        .await?;
        let mut tags = links(
            "SELECT st.story_id, t.id, t.slug, t.name FROM story_tags st \
             JOIN tags t ON t.id = st.tag_id WHERE st.story_id IN (",
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Story {
                authors: authors
                    .remove(&r.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|a| AuthorRef {
                        id: a.id,
                        slug: a.slug,
                        display_name: a.name,
                    })
                    .collect(),
                tags: tags
                    .remove(&r.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| TagRef {
                        id: t.id,
                        slug: t.slug,
                        name: t.name,
                    })
                    .collect(),
                id: r.id,
                slug: r.slug,
                section_id: r.section_id,
                headline: r.headline,
                standfirst: r.standfirst,
                body: r.body,
                byline_text: r.byline_text,
                status: StoryStatus::parse(&r.status),
                access: r.access.parse().unwrap_or(Access::Subscribers),
                breaking: r.breaking != 0,
                published_at: r.published_at,
                updated_at: r.updated_at,
                lead_picture: None,
                modified_at: r.modified_at,
                version: r.version,
                created_by: r.created_by,
                scheduled_at: None,
                seo_title: String::new(),
                seo_description: String::new(),
            })
            .collect())
    }
}
