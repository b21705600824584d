//! The queries, grouped by what they serve. Each runs on either backend.

use std::collections::HashMap;

use broadsheet_domain::{
    Access, Author, AuthorRef, PictureRef, Section, Story, StoryCard, StoryStatus, TagRef,
};
use sqlx::{FromRow, QueryBuilder};

use crate::{Store, StoreError, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

pub(crate) const CARD_COLUMNS: &str = "s.id, s.slug, s.headline, s.standfirst, s.section_id, \
    s.published_at, s.updated_at, s.breaking, s.access, s.modified_at, \
    p.id AS pic_id, p.token AS pic_token, p.alt AS pic_alt, p.caption AS pic_caption, p.credit AS pic_credit, \
    p.width AS pic_width, p.height AS pic_height";

#[derive(FromRow)]
pub(crate) struct CardRow {
    id: i64,
    slug: String,
    headline: String,
    standfirst: String,
    section_id: i64,
    published_at: Option<i64>,
    updated_at: Option<i64>,
    breaking: i64,
    access: String,
    modified_at: i64,
    pic_id: Option<i64>,
    pic_token: Option<String>,
    pic_alt: Option<String>,
    pic_caption: Option<String>,
    pic_credit: Option<String>,
    pic_width: Option<i64>,
    pic_height: Option<i64>,
}

impl CardRow {
    fn picture(&self) -> Option<PictureRef> {
        Some(PictureRef {
            id: self.pic_id?,
            token: self.pic_token.clone().unwrap_or_default(),
            alt: self.pic_alt.clone().unwrap_or_default(),
            caption: self.pic_caption.clone().unwrap_or_default(),
            credit: self.pic_credit.clone().unwrap_or_default(),
            width: self.pic_width.unwrap_or(0),
            height: self.pic_height.unwrap_or(0),
        })
    }

    pub(crate) fn into_card(self) -> StoryCard {
        StoryCard {
            picture: self.picture(),
            id: self.id,
            slug: self.slug,
            headline: self.headline,
            standfirst: self.standfirst,
            section_id: self.section_id,
            published_at: self.published_at.unwrap_or(self.modified_at),
            updated_at: self.updated_at,
            breaking: self.breaking != 0,
            access: self.access.parse().unwrap_or(Access::Subscribers),
        }
    }
}

#[derive(FromRow)]
struct StoryRow {
    #[sqlx(flatten)]
    card: CardRow,
    body: String,
    byline_text: Option<String>,
    status: String,
    version: i64,
    created_by: Option<i64>,
    scheduled_at: Option<i64>,
    seo_title: String,
    seo_description: String,
}

#[derive(FromRow)]
struct SectionRow {
    id: i64,
    slug: String,
    name: String,
    parent_id: Option<i64>,
    position: i64,
    path: String,
}

#[derive(FromRow)]
struct AuthorRow {
    id: i64,
    slug: String,
    display_name: String,
    bio: String,
    role: String,
    picture_id: Option<i64>,
}

impl From<AuthorRow> for Author {
    fn from(r: AuthorRow) -> Author {
        Author {
            id: r.id,
            slug: r.slug,
            display_name: r.display_name,
            bio: r.bio,
            role: r.role,
            picture_id: r.picture_id,
        }
    }
}

#[derive(FromRow)]
struct RefRow {
    id: i64,
    slug: String,
    name: String,
}

/// A story to insert (the demo, and later the newsroom and wire ingest).
#[derive(Debug, Clone)]
pub struct NewStory {
    pub section_id: i64,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    pub body: String,
    pub byline_text: Option<String>,
    pub author_ids: Vec<i64>,
    pub tag_ids: Vec<i64>,
    pub status: StoryStatus,
    pub access: Access,
    pub breaking: bool,
    pub published_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub lead_picture_id: Option<i64>,
    pub created_at: i64,
}

/// A staff member to insert.
#[derive(Debug, Clone)]
pub struct NewAuthor {
    pub username: String,
    pub slug: String,
    pub display_name: String,
    pub email: String,
    pub role: String,
    pub bio: String,
}

/// A picture to insert, with its original bytes.
#[derive(Debug, Clone)]
pub struct NewPicture {
    /// Random public name (`media::new_token`).
    pub token: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub width: i64,
    pub height: i64,
    pub original: Vec<u8>,
}

/// A staff member's sign-in record.
#[derive(Debug, Clone, FromRow)]
pub struct StaffAccount {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: Option<String>,
    /// Base32 TOTP secret when two-factor sign-in is on.
    pub totp_secret: Option<String>,
}

/// Which published stories a listing shows.
#[derive(Debug, Clone, Copy)]
pub enum Listing<'a> {
    All,
    /// A section and all sections below it, by path (`news` covers `news/world`).
    SectionTree(&'a str),
    Author(i64),
    Tag(i64),
}

impl Store {
    // ----- sections, people, tags -----------------------------------------

    pub async fn sections(&self) -> Result<Vec<Section>> {
        let rows: Vec<SectionRow> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, slug, name, parent_id, position, path FROM sections ORDER BY position, id"
        ).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|r| Section {
                id: r.id,
                slug: r.slug,
                name: r.name,
                parent_id: r.parent_id,
                position: r.position,
                path: r.path,
            })
            .collect())
    }

    pub async fn insert_section(
        &self,
        slug: &str,
        name: &str,
        parent_id: Option<i64>,
        position: i64,
        path: &str,
    ) -> Result<i64> {
        let id: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "INSERT INTO sections (slug, name, parent_id, position, path) VALUES ($1, $2, $3, $4, $5) RETURNING id"
        ).bind(slug).bind(name).bind(parent_id).bind(position).bind(path).fetch_one(p).await)?;
        Ok(id)
    }

    /// Adds a staff member on their own (the demo loader); the statement is
    /// [`crate::Tx::insert_author`]'s.
    pub async fn insert_author(&self, a: &NewAuthor, now: i64) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = tx.insert_author(a, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn author_by_slug(&self, slug: &str) -> Result<Option<Author>> {
        let row: Option<AuthorRow> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, slug, display_name, bio, role, picture_id FROM authors WHERE slug = $1"
        ).bind(slug).fetch_optional(p).await)?;
        Ok(row.map(Author::from))
    }

    /// A staff member's author record by id.
    pub async fn author_profile(&self, id: i64) -> Result<Option<Author>> {
        let row: Option<AuthorRow> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, slug, display_name, bio, role, picture_id FROM authors WHERE id = $1"
        ).bind(id).fetch_optional(p).await)?;
        Ok(row.map(Author::from))
    }

    /// A staff member by username, with role and password hash.
    pub async fn author_by_username(&self, username: &str) -> Result<Option<StaffAccount>> {
        let row: Option<StaffAccount> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, username, display_name, role, password_hash, totp_secret FROM authors WHERE username = $1"
        ).bind(username).fetch_optional(p).await)?;
        Ok(row)
    }

    /// Sets a password hash on its own (the demo loader); the statement is
    /// [`crate::Tx::set_author_password`]'s.
    pub async fn set_author_password(&self, id: i64, hash: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.set_author_password(id, hash).await?;
        tx.commit().await
    }

    pub async fn set_totp_secret(&self, id: i64, secret: Option<&str>) -> Result<()> {
        with_pool!(&self.db, p => sqlx::query("UPDATE authors SET totp_secret = $1 WHERE id = $2")
            .bind(secret).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Staff as (id, display name).
    pub async fn staff_ids(&self) -> Result<Vec<(i64, String)>> {
        let rows: Vec<(i64, String)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, display_name FROM authors ORDER BY id"
        ).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Staff as (id, display name, role), in name order (byline choices).
    pub async fn staff_roles(&self) -> Result<Vec<(i64, String, String)>> {
        let rows: Vec<(i64, String, String)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, display_name, role FROM authors ORDER BY display_name, id"
        ).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Staff as (username, display name, role), for the start-up banner.
    pub async fn staff(&self) -> Result<Vec<(String, String, String)>> {
        let rows: Vec<(String, String, String)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT username, display_name, role FROM authors ORDER BY id"
        ).fetch_all(p).await)?;
        Ok(rows)
    }

    /// The id of the tag with this slug, creating it with `name` if needed
    /// (the demo loader; use cases call [`crate::Tx::tag_id`] in their own
    /// transaction).
    pub async fn tag_id(&self, slug: &str, name: &str) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = tx.tag_id(slug, name).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn tag_by_slug(&self, slug: &str) -> Result<Option<TagRef>> {
        let row: Option<(i64, String, String)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, slug, name FROM tags WHERE slug = $1"
        ).bind(slug).fetch_optional(p).await)?;
        Ok(row.map(|(id, slug, name)| TagRef { id, slug, name }))
    }

    // ----- pictures ---------------------------------------------------------

    pub async fn insert_picture(&self, pic: &NewPicture, now: i64) -> Result<i64> {
        let id: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "INSERT INTO pictures (alt, caption, credit, width, height, original, created_at, token) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
        ).bind(&pic.alt).bind(&pic.caption).bind(&pic.credit).bind(pic.width).bind(pic.height)
         .bind(&pic.original).bind(now).bind(&pic.token).fetch_one(p).await)?;
        Ok(id)
    }

    /// Stores (or replaces) one rendition of a picture.
    pub async fn put_rendition(
        &self,
        picture_id: i64,
        width: i64,
        format: &str,
        bytes: &[u8],
    ) -> Result<()> {
        with_pool!(&self.db, p => sqlx::query(
            "INSERT INTO picture_renditions (picture_id, width, format, bytes) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (picture_id, width, format) DO UPDATE SET bytes = excluded.bytes"
        ).bind(picture_id).bind(width).bind(format).bind(bytes).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn rendition(
        &self,
        picture_id: i64,
        width: i64,
        format: &str,
    ) -> Result<Option<Vec<u8>>> {
        let bytes: Option<Vec<u8>> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT bytes FROM picture_renditions WHERE picture_id = $1 AND width = $2 AND format = $3"
        ).bind(picture_id).bind(width).bind(format).fetch_optional(p).await)?;
        Ok(bytes)
    }

    /// The rendition at `width`, else the widest narrower one in the same
    /// format (a picture narrower than a nominal width is not enlarged).
    pub async fn rendition_at_most(
        &self,
        picture_id: i64,
        width: i64,
        format: &str,
    ) -> Result<Option<Vec<u8>>> {
        let bytes: Option<Vec<u8>> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT bytes FROM picture_renditions WHERE picture_id = $1 AND format = $3 AND width <= $2 \
             ORDER BY width DESC LIMIT 1"
        ).bind(picture_id).bind(width).bind(format).fetch_optional(p).await)?;
        Ok(bytes)
    }

    /// The (width, format) of every rendition stored for a picture.
    pub async fn rendition_keys(&self, picture_id: i64) -> Result<Vec<(i64, String)>> {
        let rows: Vec<(i64, String)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT width, format FROM picture_renditions WHERE picture_id = $1"
        ).bind(picture_id).fetch_all(p).await)?;
        Ok(rows)
    }

    pub async fn picture_width(&self, id: i64) -> Result<Option<i64>> {
        let w: Option<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT width FROM pictures WHERE id = $1"
        ).bind(id).fetch_optional(p).await)?;
        Ok(w)
    }

    pub async fn picture_ids(&self) -> Result<Vec<i64>> {
        let ids: Vec<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT id FROM pictures ORDER BY id"
        ).fetch_all(p).await)?;
        Ok(ids)
    }

    pub async fn picture_original(&self, id: i64) -> Result<Option<Vec<u8>>> {
        let bytes: Option<Vec<u8>> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT original FROM pictures WHERE id = $1"
        ).bind(id).fetch_optional(p).await)?;
        Ok(bytes)
    }

    pub async fn pictures(&self, ids: &[i64]) -> Result<Vec<PictureRef>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, String, String, String, String, i64, i64)> = with_pool!(&self.db, p => {
            let mut qb = QueryBuilder::new(
                "SELECT id, token, alt, caption, credit, width, height FROM pictures WHERE id IN (",
            );
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            qb.push(")");
            qb.build_query_as().fetch_all(p).await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(id, token, alt, caption, credit, width, height)| PictureRef {
                    id,
                    token,
                    alt,
                    caption,
                    credit,
                    width,
                    height,
                },
            )
            .collect())
    }

    // ----- stories ----------------------------------------------------------

    /// Inserts stories with their authors and tags in one transaction.
    pub async fn insert_stories(&self, stories: &[NewStory]) -> Result<Vec<i64>> {
        let mut ids = Vec::with_capacity(stories.len());
        with_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            for s in stories {
                let modified = s.updated_at.or(s.published_at).unwrap_or(s.created_at);
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO stories (section_id, slug, headline, standfirst, body, byline_text, status, access, \
                     breaking, published_at, updated_at, lead_picture_id, created_at, modified_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
                )
                .bind(s.section_id).bind(&s.slug).bind(&s.headline).bind(&s.standfirst).bind(&s.body)
                .bind(&s.byline_text).bind(s.status.as_str()).bind(s.access.as_str()).bind(i64::from(s.breaking))
                .bind(s.published_at).bind(s.updated_at).bind(s.lead_picture_id).bind(s.created_at).bind(modified)
                .fetch_one(&mut *tx).await?;
                for (pos, author) in s.author_ids.iter().enumerate() {
                    sqlx::query("INSERT INTO story_authors (story_id, author_id, position) VALUES ($1, $2, $3)")
                        .bind(id).bind(*author).bind(pos as i64).execute(&mut *tx).await?;
                }
                for tag in &s.tag_ids {
                    sqlx::query("INSERT INTO story_tags (story_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(id).bind(*tag).execute(&mut *tx).await?;
                }
                ids.push(id);
            }
            tx.commit().await?;
            Ok::<(), sqlx::Error>(())
        })?;
        Ok(ids)
    }

    /// A story in any status, with its authors, tags and lead picture.
    pub async fn story(&self, id: i64) -> Result<Option<Story>> {
        let sql = format!(
            "SELECT {CARD_COLUMNS}, s.body, s.byline_text, s.status, s.version, s.created_by, s.scheduled_at, s.seo_title, s.seo_description FROM stories s \
             LEFT JOIN pictures p ON p.id = s.lead_picture_id WHERE s.id = $1"
        );
        let row: Option<StoryRow> = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id).fetch_optional(p).await)?;
        let Some(row) = row else { return Ok(None) };
        let authors: Vec<RefRow> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT a.id, a.slug, a.display_name AS name FROM story_authors sa \
             JOIN authors a ON a.id = sa.author_id WHERE sa.story_id = $1 ORDER BY sa.position"
        ).bind(id).fetch_all(p).await)?;
        let tags: Vec<RefRow> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT t.id, t.slug, t.name FROM story_tags st \
             JOIN tags t ON t.id = st.tag_id WHERE st.story_id = $1 ORDER BY t.name"
        ).bind(id).fetch_all(p).await)?;
        let card = &row.card;
        Ok(Some(Story {
            id: card.id,
            slug: card.slug.clone(),
            section_id: card.section_id,
            headline: card.headline.clone(),
            standfirst: card.standfirst.clone(),
            body: row.body,
            byline_text: row.byline_text,
            authors: authors
                .into_iter()
                .map(|r| AuthorRef {
                    id: r.id,
                    slug: r.slug,
                    display_name: r.name,
                })
                .collect(),
            tags: tags
                .into_iter()
                .map(|r| TagRef {
                    id: r.id,
                    slug: r.slug,
                    name: r.name,
                })
                .collect(),
            status: StoryStatus::parse(&row.status),
            access: card.access.parse().unwrap_or(Access::Subscribers),
            breaking: card.breaking != 0,
            published_at: card.published_at,
            updated_at: card.updated_at,
            lead_picture: card.picture(),
            modified_at: card.modified_at,
            version: row.version,
            created_by: row.created_by,
            scheduled_at: row.scheduled_at,
            seo_title: row.seo_title,
            seo_description: row.seo_description,
        }))
    }

    /// Tag ids of a story (for cache purges).
    pub async fn story_tag_ids(&self, id: i64) -> Result<Vec<i64>> {
        let ids: Vec<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT tag_id FROM story_tags WHERE story_id = $1"
        ).bind(id).fetch_all(p).await)?;
        Ok(ids)
    }

    /// Author ids of a story (for cache purges).
    pub async fn story_author_ids(&self, id: i64) -> Result<Vec<i64>> {
        let ids: Vec<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT author_id FROM story_authors WHERE story_id = $1"
        ).bind(id).fetch_all(p).await)?;
        Ok(ids)
    }

    /// Published stories of a listing, newest first.
    pub async fn cards(
        &self,
        listing: Listing<'_>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<StoryCard>> {
        let (join, filter) = listing_sql(listing);
        let sql = format!(
            "SELECT {CARD_COLUMNS} FROM stories s LEFT JOIN pictures p ON p.id = s.lead_picture_id {join} \
             WHERE s.status = 'published' {filter} ORDER BY s.published_at DESC, s.id DESC LIMIT $2 OFFSET $3"
        );
        let rows: Vec<CardRow> = with_pool!(&self.db, p => {
            let q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            let q = match listing {
                Listing::All => q.bind(0_i64),
                Listing::SectionTree(path) => q.bind(path.to_string()),
                Listing::Author(id) | Listing::Tag(id) => q.bind(id),
            };
            q.bind(limit).bind(offset).fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(CardRow::into_card).collect())
    }

    /// How many published stories a listing has.
    pub async fn count(&self, listing: Listing<'_>) -> Result<i64> {
        let (join, filter) = listing_sql(listing);
        let sql = format!(
            "SELECT COUNT(*) FROM stories s {join} WHERE s.status = 'published' {filter} AND $2 = $2"
        );
        let n: i64 = with_pool!(&self.db, p => {
            let q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
            let q = match listing {
                Listing::All => q.bind(0_i64),
                Listing::SectionTree(path) => q.bind(path.to_string()),
                Listing::Author(id) | Listing::Tag(id) => q.bind(id),
            };
            q.bind(0_i64).fetch_one(p).await
        })?;
        Ok(n)
    }

    /// Published stories by id, in no particular order. The ids are looked
    /// up by primary key: `status || ''` keeps SQLite's planner from
    /// walking the status index instead (every published story: 170 ms a
    /// search on a 1,000,000-story paper, BENCHMARKS.md).
    pub async fn cards_by_ids(&self, ids: &[i64]) -> Result<Vec<StoryCard>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<CardRow> = with_pool!(&self.db, p => {
            let mut qb = QueryBuilder::new(format!(
                "SELECT {CARD_COLUMNS} FROM stories s LEFT JOIN pictures p ON p.id = s.lead_picture_id \
                 WHERE s.status || '' = 'published' AND s.id IN ("
            ));
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            qb.push(")");
            qb.build_query_as().fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(CardRow::into_card).collect())
    }

    /// The newest published breaking story since `since`, if any.
    pub async fn breaking_since(&self, since: i64) -> Result<Option<StoryCard>> {
        let sql = format!(
            "SELECT {CARD_COLUMNS} FROM stories s LEFT JOIN pictures p ON p.id = s.lead_picture_id \
             WHERE s.status = 'published' AND s.breaking = 1 AND s.published_at > $1 \
             ORDER BY s.published_at DESC, s.id DESC LIMIT 1"
        );
        let row: Option<CardRow> = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(since).fetch_optional(p).await)?;
        Ok(row.map(CardRow::into_card))
    }

    // ----- comments ---------------------------------------------------------

    pub async fn insert_comments(&self, rows: &[(i64, String, String, i64)]) -> Result<()> {
        for chunk in rows.chunks(500) {
            with_pool!(&self.db, p => {
                let mut qb = QueryBuilder::new("INSERT INTO comments (story_id, author_name, body, created_at, status) ");
                qb.push_values(chunk, |mut b, (story, name, body, at)| {
                    b.push_bind(*story).push_bind(name.clone()).push_bind(body.clone()).push_bind(*at).push_bind("public");
                });
                qb.build().execute(p).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    /// Public comments per story, for the given stories.
    pub async fn comment_counts(&self, ids: &[i64]) -> Result<HashMap<i64, i64>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(i64, i64)> = with_pool!(&self.db, p => {
            let mut qb = QueryBuilder::new(
                "SELECT story_id, COUNT(*) FROM comments WHERE status = 'public' AND story_id IN (",
            );
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            qb.push(") GROUP BY story_id");
            qb.build_query_as().fetch_all(p).await
        })?;
        Ok(rows.into_iter().collect())
    }

    /// Published stories with the most public comments made since `since`.
    pub async fn most_commented(&self, since: i64, limit: i64) -> Result<Vec<(i64, i64)>> {
        let rows: Vec<(i64, i64)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT c.story_id, COUNT(*) AS n FROM comments c JOIN stories s ON s.id = c.story_id \
             WHERE c.created_at > $1 AND c.status = 'public' AND s.status = 'published' \
             GROUP BY c.story_id ORDER BY n DESC, c.story_id ASC LIMIT $2"
        ).bind(since).bind(limit).fetch_all(p).await)?;
        Ok(rows)
    }

    // ----- editor's picks ---------------------------------------------------

    pub async fn editors_picks(&self) -> Result<Vec<i64>> {
        let ids: Vec<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT story_id FROM editors_picks ORDER BY position"
        ).fetch_all(p).await)?;
        Ok(ids)
    }

    /// Which of these ids are published stories.
    pub async fn published_ids(&self, ids: &[i64]) -> Result<Vec<i64>> {
        Ok(self
            .cards_by_ids(ids)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect())
    }

    // ----- change events ----------------------------------------------------

    /// Appends a change event on its own (a write outside any other
    /// transaction, e.g. `reindex`); the statement is [`crate::Tx::change`]'s.
    pub async fn append_change(&self, keys: &str, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.change(keys, now).await?;
        tx.commit().await
    }

    /// Changes after `after`, oldest first.
    pub async fn changes_since(&self, after: i64) -> Result<Vec<(i64, String)>> {
        let rows: Vec<(i64, String)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, keys FROM change_events WHERE id > $1 ORDER BY id LIMIT 1000"
        ).bind(after).fetch_all(p).await)?;
        Ok(rows)
    }

    pub async fn last_change_id(&self) -> Result<i64> {
        let id: Option<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT MAX(id) FROM change_events"
        ).fetch_one(p).await)?;
        Ok(id.unwrap_or(0))
    }

    /// Deletes change events older than `before`.
    pub async fn prune_changes(&self, before: i64) -> Result<()> {
        with_pool!(&self.db, p => sqlx::query("DELETE FROM change_events WHERE at < $1")
            .bind(before).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    // ----- whole paper ------------------------------------------------------

    /// True when the paper has no sections yet (a fresh database).
    pub async fn is_empty(&self) -> Result<bool> {
        let n: i64 = with_pool!(&self.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM sections")
            .fetch_one(p).await)?;
        Ok(n == 0)
    }

    /// Deletes all content (not the schema): `demo` resets with this.
    pub async fn wipe(&self) -> Result<()> {
        with_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            for table in [
                "wire_quarantine", "wire_items", "agencies",
                "newsletter_issues", "sessions", "audit_log", "corrections", "revisions", "tag_redirects",
                "editors_picks", "view_counts", "comments", "story_tags", "story_authors", "stories",
                "tags", "picture_renditions", "pictures", "authors", "sections",
            ] {
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}"))).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<(), sqlx::Error>(())
        })?;
        Ok(())
    }

    pub async fn ping(&self) -> Result<()> {
        with_pool!(&self.db, p => sqlx::query("SELECT 1").execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}

/// The join and filter for a listing; the filter's value is bound as `$1`.
pub(crate) fn listing_sql(listing: Listing<'_>) -> (&'static str, &'static str) {
    match listing {
        Listing::All => ("", "AND $1 = $1"),
        Listing::SectionTree(_) => (
            "JOIN sections sec ON sec.id = s.section_id",
            "AND (sec.path = $1 OR sec.path LIKE $1 || '/%')",
        ),
        Listing::Author(_) => (
            "JOIN story_authors sa ON sa.story_id = s.id",
            "AND sa.author_id = $1",
        ),
        Listing::Tag(_) => (
            "JOIN story_tags st ON st.story_id = s.id",
            "AND st.tag_id = $1",
        ),
    }
}
