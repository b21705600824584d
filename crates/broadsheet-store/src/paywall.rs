//! The paywall's rows: the meter (which metered stories each reader opened
//! in each period, and how many fresh device meters each client address
//! started each day), the sections and tags that are for subscribers over
//! the meter, and gift links with the readers they brought.
//!
//! The meter is decided here in the database so that every node agrees: a
//! story already opened in the period stays open (one read), and a new one
//! is counted only while the subject has allowance left (one conditional
//! insert). Two requests of the same reader racing on two different stories
//! may each pass the count; the overshoot is bounded by that reader's
//! concurrent requests, and documented in ARCHITECTURE.md.

use crate::tx::{TxInner, on_tx};
use crate::{Store, StoreError, Tx, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

/// What the meter said about one story for one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeterOpen {
    /// Opened earlier in this period: it stays open, nothing counted.
    Already,
    /// Counted now (allowance was left).
    Counted,
    /// Not opened before and no allowance left.
    Spent,
}

/// A gift link as stored (the token itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftLink {
    pub id: i64,
    pub story_id: i64,
    pub giver: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub max_uses: i64,
    pub revoked_at: Option<i64>,
    /// Readers it opened the story for.
    pub uses: i64,
}

/// What using a gift link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiftUse {
    /// This reader used it before: still open, not counted again.
    Again,
    /// A new reader, counted.
    Counted,
    /// Every use is taken.
    UsedUp,
}

type GiftRow = (i64, i64, i64, i64, i64, i64, Option<i64>, i64);

fn gift(r: GiftRow) -> GiftLink {
    GiftLink {
        id: r.0,
        story_id: r.1,
        giver: r.2,
        created_at: r.3,
        expires_at: r.4,
        max_uses: r.5,
        revoked_at: r.6,
        uses: r.7,
    }
}

const GIFT_COLUMNS: &str = "g.id, g.story_id, g.giver, g.created_at, g.expires_at, g.max_uses, g.revoked_at, \
     CAST((SELECT COUNT(*) FROM gift_uses u WHERE u.link_id = g.id) AS BIGINT)";

impl Store {
    /// Opens `story` on `subject`'s meter for `period` if it was opened
    /// before or `allowance` is not used up (see the module docs). Also
    /// returns the stories the subject has open in the period, as far as
    /// this call saw (a node may remember them: a story once open stays
    /// open for the period, and a meter once spent stays spent).
    pub async fn meter_open(
        &self,
        subject: &str,
        period: i64,
        story: i64,
        allowance: i64,
        at: i64,
    ) -> Result<(MeterOpen, Vec<i64>)> {
        let mut opened = self.meter_opened(subject, period).await?;
        if opened.contains(&story) {
            return Ok((MeterOpen::Already, opened));
        }
        if opened.len() as i64 >= allowance {
            return Ok((MeterOpen::Spent, opened));
        }
        let n = with_pool!(&self.db, p => sqlx::query(
            "INSERT INTO meter_opens (subject, period, story_id, opened_at) \
             SELECT $1, $2, $3, $4 \
             WHERE (SELECT COUNT(*) FROM meter_opens WHERE subject = $1 AND period = $2) < $5 \
             ON CONFLICT (subject, period, story_id) DO NOTHING"
        ).bind(subject).bind(period).bind(story).bind(at).bind(allowance)
            .execute(p).await.map(|r| r.rows_affected()))?;
        if n == 1 {
            opened.push(story);
            return Ok((MeterOpen::Counted, opened));
        }
        // Lost a race: to the same story (open) or to the allowance (spent).
        let opened = self.meter_opened(subject, period).await?;
        Ok(if opened.contains(&story) {
            (MeterOpen::Already, opened)
        } else {
            (MeterOpen::Spent, opened)
        })
    }

    /// The stories `subject` opened in `period`.
    pub async fn meter_opened(&self, subject: &str, period: i64) -> Result<Vec<i64>> {
        let ids: Vec<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT story_id FROM meter_opens WHERE subject = $1 AND period = $2"
        ).bind(subject).bind(period).fetch_all(p).await)?;
        Ok(ids)
    }

    /// Metered stories `subject` opened in `period`.
    pub async fn meter_used(&self, subject: &str, period: i64) -> Result<i64> {
        let n: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM meter_opens WHERE subject = $1 AND period = $2"
        ).bind(subject).bind(period).fetch_one(p).await)?;
        Ok(n)
    }

    /// Counts one fresh device meter started from `client` (a keyed hash of
    /// the address) on `day`; true while at most `cap` were started that day.
    pub async fn meter_mint(&self, client: &str, day: i64, cap: i64) -> Result<bool> {
        let n: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "INSERT INTO meter_mints (client, day, n) VALUES ($1, $2, 1) \
             ON CONFLICT (client, day) DO UPDATE SET n = meter_mints.n + 1 RETURNING n"
        ).bind(client).bind(day).fetch_one(p).await)?;
        Ok(n <= cap)
    }

    /// Deletes meter rows of periods before `period` and mint counts of days
    /// before `day`. Returns rows deleted.
    pub async fn prune_meter(&self, period: i64, day: i64) -> Result<u64> {
        let n = with_pool!(&self.db, p => {
            let a = sqlx::query("DELETE FROM meter_opens WHERE period < $1")
                .bind(period).execute(p).await?.rows_affected();
            let b = sqlx::query("DELETE FROM meter_mints WHERE day < $1")
                .bind(day).execute(p).await?.rows_affected();
            Ok::<u64, sqlx::Error>(a + b)
        })?;
        Ok(n)
    }

    /// True if any of `sections` or `tags` is set "subscribers only over the meter".
    pub async fn paywall_over_meter(&self, sections: &[i64], tags: &[i64]) -> Result<bool> {
        if sections.is_empty() && tags.is_empty() {
            return Ok(false);
        }
        let n: i64 = with_pool!(&self.db, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT section_id AS id FROM paywall_sections WHERE section_id IN (",
            );
            let mut sep = qb.separated(", ");
            sep.push_bind(-1_i64);
            for id in sections {
                sep.push_bind(*id);
            }
            qb.push(") UNION ALL SELECT tag_id AS id FROM paywall_tags WHERE tag_id IN (");
            let mut sep = qb.separated(", ");
            sep.push_bind(-1_i64);
            for id in tags {
                sep.push_bind(*id);
            }
            qb.push(")) x");
            qb.build_query_scalar().fetch_one(p).await
        })?;
        Ok(n > 0)
    }

    /// The sections and the tags set "subscribers only over the meter".
    pub async fn paywall_rules(&self) -> Result<(Vec<i64>, Vec<i64>)> {
        let s: Vec<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT section_id FROM paywall_sections ORDER BY section_id"
        ).fetch_all(p).await)?;
        let t: Vec<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT tag_id FROM paywall_tags ORDER BY tag_id"
        ).fetch_all(p).await)?;
        Ok((s, t))
    }

    // ----- gift links ------------------------------------------------------------

    /// Gift links `giver` made at or after `since`.
    pub async fn gifts_made_since(&self, giver: i64, since: i64) -> Result<i64> {
        let n: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM gift_links WHERE giver = $1 AND created_at >= $2"
        ).bind(giver).bind(since).fetch_one(p).await)?;
        Ok(n)
    }

    /// Stores a gift link (its token's hash); returns its id.
    pub async fn insert_gift(
        &self,
        token_hash: &str,
        story: i64,
        giver: i64,
        now: i64,
        expires_at: i64,
        max_uses: i64,
    ) -> Result<i64> {
        let id: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "INSERT INTO gift_links (token_hash, story_id, giver, created_at, expires_at, max_uses) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
        ).bind(token_hash).bind(story).bind(giver).bind(now).bind(expires_at).bind(max_uses)
            .fetch_one(p).await)?;
        Ok(id)
    }

    /// The gift link whose token hashes to `token_hash`.
    pub async fn gift_by_hash(&self, token_hash: &str) -> Result<Option<GiftLink>> {
        let sql = format!("SELECT {GIFT_COLUMNS} FROM gift_links g WHERE g.token_hash = $1");
        let row: Option<GiftRow> = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(token_hash).fetch_optional(p).await)?;
        Ok(row.map(gift))
    }

    /// `giver`'s gift links, newest first.
    pub async fn gifts_of(&self, giver: i64, limit: i64) -> Result<Vec<GiftLink>> {
        let sql = format!(
            "SELECT {GIFT_COLUMNS} FROM gift_links g WHERE g.giver = $1 ORDER BY g.created_at DESC, g.id DESC LIMIT $2"
        );
        let rows: Vec<GiftRow> = with_pool!(&self.db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(giver).bind(limit).fetch_all(p).await)?;
        Ok(rows.into_iter().map(gift).collect())
    }

    /// Records that `subject` opened the story through link `id`, if it did
    /// before or a use is left (one conditional insert, so nodes agree).
    pub async fn use_gift(
        &self,
        id: i64,
        subject: &str,
        max_uses: i64,
        at: i64,
    ) -> Result<GiftUse> {
        let n = with_pool!(&self.db, p => sqlx::query(
            "INSERT INTO gift_uses (link_id, subject, at) SELECT $1, $2, $3 \
             WHERE (SELECT COUNT(*) FROM gift_uses WHERE link_id = $1) < $4 \
             ON CONFLICT (link_id, subject) DO NOTHING"
        ).bind(id).bind(subject).bind(at).bind(max_uses).execute(p).await.map(|r| r.rows_affected()))?;
        if n == 1 {
            return Ok(GiftUse::Counted);
        }
        let again: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM gift_uses WHERE link_id = $1 AND subject = $2"
        ).bind(id).bind(subject).fetch_one(p).await)?;
        Ok(if again > 0 {
            GiftUse::Again
        } else {
            GiftUse::UsedUp
        })
    }
}

impl Tx {
    /// Sets or clears "subscribers only over the meter" on a section.
    pub async fn set_paywall_section(&mut self, section: i64, on: bool) -> Result<()> {
        if on {
            on_tx!(self, c => sqlx::query(
                "INSERT INTO paywall_sections (section_id) VALUES ($1) ON CONFLICT (section_id) DO NOTHING"
            ).bind(section).execute(&mut *c).await.map(|_| ()))?;
        } else {
            on_tx!(self, c => sqlx::query("DELETE FROM paywall_sections WHERE section_id = $1")
                .bind(section).execute(&mut *c).await.map(|_| ()))?;
        }
        Ok(())
    }

    /// Sets or clears "subscribers only over the meter" on a tag.
    pub async fn set_paywall_tag(&mut self, tag: i64, on: bool) -> Result<()> {
        if on {
            on_tx!(self, c => sqlx::query(
                "INSERT INTO paywall_tags (tag_id) VALUES ($1) ON CONFLICT (tag_id) DO NOTHING"
            ).bind(tag).execute(&mut *c).await.map(|_| ()))?;
        } else {
            on_tx!(self, c => sqlx::query("DELETE FROM paywall_tags WHERE tag_id = $1")
                .bind(tag).execute(&mut *c).await.map(|_| ()))?;
        }
        Ok(())
    }

    /// Revokes `giver`'s gift link `id`. False if it is not theirs or was revoked.
    pub async fn revoke_gift(&mut self, id: i64, giver: i64, now: i64) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE gift_links SET revoked_at = $1 WHERE id = $2 AND giver = $3 AND revoked_at IS NULL"
        ).bind(now).bind(id).bind(giver).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
