//! Front-page curation: the slots editors arranged on the home page (front
//! 0) and each section front (front = section id), the newest stories of a
//! listing leaving the arranged ones out, the story search the newsroom's
//! pickers use, and the writes a change to an arrangement makes on a [`Tx`].
//! What the slots mean (which wins, pins, fill by newest) is the app's
//! (`broadsheet_app::curation`); this only reads and writes rows.

use broadsheet_domain::StoryCard;
use sqlx::FromRow;

use crate::queries::{CARD_COLUMNS, CardRow, listing_sql};
use crate::tx::{TxInner, on_tx};
use crate::{Listing, Store, StoreError, Tx, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

/// One arranged slot of a front.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct FrontSlot {
    /// 0: the lead; 1..: the top slots in order.
    pub position: i64,
    pub story_id: i64,
    /// The end of a pin (unix seconds); `None`: until replaced or removed.
    pub pinned_until: Option<i64>,
}

/// `ids` as a SQL list of integers (safe to splice: they are numbers).
fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `q` as a LIKE pattern matching it anywhere, its wildcards escaped (`\`).
fn contains_pattern(q: &str) -> String {
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Store {
    /// The slots arranged on `front`, by position (expired pins included:
    /// the app decides what counts).
    pub async fn front_slots(&self, front: i64) -> Result<Vec<FrontSlot>> {
        Ok(with_pool!(&self.db, p => sqlx::query_as(
            "SELECT position, story_id, pinned_until FROM front_slots WHERE front = $1 ORDER BY position"
        ).bind(front).fetch_all(p).await)?)
    }

    /// Published stories of `listing`, newest first, leaving out `except`.
    pub async fn cards_except(
        &self,
        listing: Listing<'_>,
        except: &[i64],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<StoryCard>> {
        let (join, filter) = listing_sql(listing);
        let not_in = if except.is_empty() {
            String::new()
        } else {
            format!("AND s.id NOT IN ({})", id_list(except))
        };
        let sql = format!(
            "SELECT {CARD_COLUMNS} FROM stories s LEFT JOIN pictures p ON p.id = s.lead_picture_id {join} \
             WHERE s.status = 'published' {filter} {not_in} ORDER BY s.published_at DESC, s.id DESC LIMIT $2 OFFSET $3"
        );
        let rows: Vec<CardRow> = with_pool!(&self.db, p => {
            let q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            let q = match listing {
                Listing::All => q.bind(0_i64),
                Listing::SectionTree(path) => q.bind(path.to_string()),
                Listing::Author(id) | Listing::Tag(id) => q.bind(id),
            };
            q.bind(limit.max(0)).bind(offset.max(0)).fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(CardRow::into_card).collect())
    }

    /// Published stories of `listing` whose headline contains `q` (any case),
    /// newest first; an empty `q` gives the newest.
    pub async fn search_published(
        &self,
        listing: Listing<'_>,
        q: &str,
        limit: i64,
    ) -> Result<Vec<StoryCard>> {
        let (join, filter) = listing_sql(listing);
        let sql = format!(
            "SELECT {CARD_COLUMNS} FROM stories s LEFT JOIN pictures p ON p.id = s.lead_picture_id {join} \
             WHERE s.status = 'published' {filter} AND LOWER(s.headline) LIKE $2 ESCAPE '\\' \
             ORDER BY s.published_at DESC, s.id DESC LIMIT $3"
        );
        let pattern = contains_pattern(q);
        let rows: Vec<CardRow> = with_pool!(&self.db, p => {
            let qy = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            let qy = match listing {
                Listing::All => qy.bind(0_i64),
                Listing::SectionTree(path) => qy.bind(path.to_string()),
                Listing::Author(id) | Listing::Tag(id) => qy.bind(id),
            };
            qy.bind(pattern).bind(limit).fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(CardRow::into_card).collect())
    }
}

impl Tx {
    /// Bumps `front`'s version (making its row if needed) and returns it. Do
    /// this first: it holds the front's row until commit, so a second
    /// change to the same front waits and then reads this one's result.
    pub async fn lock_front(&mut self, front: i64) -> Result<i64> {
        Ok(on_tx!(self, c => sqlx::query_scalar(
            "INSERT INTO front_versions (front, version) VALUES ($1, 1) \
             ON CONFLICT (front) DO UPDATE SET version = front_versions.version + 1 RETURNING version"
        ).bind(front).fetch_one(&mut *c).await)?)
    }

    /// The slots of `front` as this transaction sees them.
    pub async fn front_slots(&mut self, front: i64) -> Result<Vec<FrontSlot>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT position, story_id, pinned_until FROM front_slots WHERE front = $1 ORDER BY position"
        ).bind(front).fetch_all(&mut *c).await)?)
    }

    /// Replaces `front`'s slots with `slots`.
    pub async fn set_front_slots(
        &mut self,
        front: i64,
        slots: &[FrontSlot],
        now: i64,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query("DELETE FROM front_slots WHERE front = $1")
            .bind(front).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        for s in slots {
            on_tx!(self, c => sqlx::query(
                "INSERT INTO front_slots (front, position, story_id, pinned_until, set_at) VALUES ($1, $2, $3, $4, $5)"
            ).bind(front).bind(s.position).bind(s.story_id).bind(s.pinned_until).bind(now)
                .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// Removes every pin that ended at or before `now`; returns the fronts
    /// that lost one (each once). Of several nodes doing this at once, each
    /// row is removed, and so reported, by one.
    pub async fn expire_pins(&mut self, now: i64) -> Result<Vec<i64>> {
        let mut fronts: Vec<i64> = on_tx!(self, c => sqlx::query_scalar(
            "DELETE FROM front_slots WHERE pinned_until IS NOT NULL AND pinned_until <= $1 RETURNING front"
        ).bind(now).fetch_all(&mut *c).await)?;
        fronts.sort_unstable();
        fronts.dedup();
        Ok(fronts)
    }

    /// Raises a published story's breaking flag (the site-wide banner).
    /// Returns false if it is not published.
    pub async fn flag_breaking(&mut self, story: i64) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE stories SET breaking = 1 WHERE id = $1 AND status = 'published'"
        ).bind(story).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
