//! Counting views as they arrive, and the per-installation secrets.
//!
//! Views are aggregated on write: `view_counts` holds one row per story per
//! hour (`VIEW_BUCKET_SECS`), so Most Read sums at most (stories read in the
//! window) × (hours in the window) rows, the same at 10,000 or 10,000,000
//! views a day. The once-per-reader-per-window rule is kept in
//! `view_readers` (the last counted view of each story by each reader, a
//! 64-bit reader id), which the database applies with one upsert per view,
//! so several nodes count together and two nodes cannot both count the same
//! reader twice. Rows older than the window are pruned by a job.

use std::collections::{HashMap, HashSet};

use sqlx::QueryBuilder;

use crate::{Store, StoreError, with_pool};

type Result<T> = std::result::Result<T, StoreError>;

/// Width of a Most Read bucket: an hour.
pub const VIEW_BUCKET_SECS: i64 = 3600;

/// Rows per multi-row statement (3 binds each: well under both engines' limits).
const CHUNK: usize = 1000;

/// One story load to count. `reader` is a 64-bit id of the (signed) reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewRecord {
    pub story_id: i64,
    pub reader: i64,
    pub at: i64,
}

/// The bucket (start of the hour) a time falls in.
pub fn view_bucket(at: i64) -> i64 {
    at - at.rem_euclid(VIEW_BUCKET_SECS)
}

/// Rows held for counting views (for measurement and `/metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ViewStorage {
    pub count_rows: i64,
    pub reader_rows: i64,
}

impl Store {
    /// Counts views by the ranking rules (see `broadsheet_domain::ranking`):
    /// a view of a published story counts unless the same reader has a
    /// counted view of that story younger than `window_secs`. Counted views
    /// are added to their story's hourly bucket, all in one transaction.
    /// Returns how many were counted.
    pub async fn record_views(&self, batch: &[ViewRecord], window_secs: i64) -> Result<u64> {
        if batch.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = {
            let set: HashSet<i64> = batch.iter().map(|v| v.story_id).collect();
            set.into_iter().collect()
        };
        let published = self.published_story_ids(&ids).await?;
        let mut sorted: Vec<&ViewRecord> = batch
            .iter()
            .filter(|v| published.contains(&v.story_id))
            .collect();
        sorted.sort_by_key(|v| v.at);
        // One upsert statement may not touch a row twice: the n-th view of the
        // same (story, reader) in this batch goes in round n, in time order.
        let mut rounds: Vec<Vec<&ViewRecord>> = Vec::new();
        let mut seen: HashMap<(i64, i64), usize> = HashMap::new();
        for v in sorted {
            let n = seen.entry((v.story_id, v.reader)).or_insert(0);
            if rounds.len() <= *n {
                rounds.push(Vec::new());
            }
            rounds[*n].push(v);
            *n += 1;
        }
        let counted: Vec<(i64, i64)> = with_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            let mut counted: Vec<(i64, i64)> = Vec::new();
            for round in &rounds {
                for chunk in round.chunks(CHUNK) {
                    let mut qb = QueryBuilder::new("INSERT INTO view_readers (story_id, reader, at) ");
                    qb.push_values(chunk, |mut b, v| {
                        b.push_bind(v.story_id).push_bind(v.reader).push_bind(v.at);
                    });
                    qb.push(
                        " ON CONFLICT (story_id, reader) DO UPDATE SET at = excluded.at \
                         WHERE view_readers.at <= excluded.at - ",
                    );
                    qb.push_bind(window_secs);
                    qb.push(" RETURNING story_id, at");
                    let rows: Vec<(i64, i64)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                    counted.extend(rows);
                }
            }
            let mut sums: HashMap<(i64, i64), i64> = HashMap::new();
            for (story, at) in &counted {
                *sums.entry((*story, view_bucket(*at))).or_default() += 1;
            }
            let sums: Vec<((i64, i64), i64)> = sums.into_iter().collect();
            for chunk in sums.chunks(CHUNK) {
                let mut qb = QueryBuilder::new("INSERT INTO view_counts (story_id, bucket, n) ");
                qb.push_values(chunk, |mut b, ((story, bucket), n)| {
                    b.push_bind(*story).push_bind(*bucket).push_bind(*n);
                });
                qb.push(" ON CONFLICT (story_id, bucket) DO UPDATE SET n = view_counts.n + excluded.n");
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(counted)
        })?;
        Ok(counted.len() as u64)
    }

    /// Adds ready-made counts to the hourly buckets, without the reader rule
    /// (the demo's generated history). `rows`: (story, any time in the hour, views).
    pub async fn add_view_counts(&self, rows: &[(i64, i64, i64)]) -> Result<()> {
        let mut sums: HashMap<(i64, i64), i64> = HashMap::new();
        for (story, at, n) in rows {
            *sums.entry((*story, view_bucket(*at))).or_default() += n;
        }
        let sums: Vec<((i64, i64), i64)> = sums.into_iter().collect();
        for chunk in sums.chunks(CHUNK) {
            with_pool!(&self.db, p => {
                let mut qb = QueryBuilder::new("INSERT INTO view_counts (story_id, bucket, n) ");
                qb.push_values(chunk, |mut b, ((story, bucket), n)| {
                    b.push_bind(*story).push_bind(*bucket).push_bind(*n);
                });
                qb.push(" ON CONFLICT (story_id, bucket) DO UPDATE SET n = view_counts.n + excluded.n");
                qb.build().execute(p).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    /// Published stories with the most counted views in the hourly buckets
    /// from the one holding `since` on: (story, views), most first, ties by
    /// lower id. Reads only the aggregates.
    pub async fn most_read(&self, since: i64, limit: i64) -> Result<Vec<(i64, i64)>> {
        let rows: Vec<(i64, i64)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT c.story_id, CAST(SUM(c.n) AS BIGINT) AS n FROM view_counts c \
             JOIN stories s ON s.id = c.story_id \
             WHERE c.bucket >= $1 AND s.status = 'published' \
             GROUP BY c.story_id ORDER BY n DESC, c.story_id ASC LIMIT $2"
        ).bind(view_bucket(since)).bind(limit).fetch_all(p).await)?;
        Ok(rows)
    }

    /// Deletes reader rows older than `readers_before` (they can no longer
    /// block a count) and buckets before `counts_before`. Returns rows deleted.
    pub async fn prune_views(&self, readers_before: i64, counts_before: i64) -> Result<u64> {
        let n = with_pool!(&self.db, p => {
            let a = sqlx::query("DELETE FROM view_readers WHERE at < $1")
                .bind(readers_before).execute(p).await?.rows_affected();
            let b = sqlx::query("DELETE FROM view_counts WHERE bucket < $1")
                .bind(view_bucket(counts_before)).execute(p).await?.rows_affected();
            Ok::<u64, sqlx::Error>(a + b)
        })?;
        Ok(n)
    }

    /// How many rows counting holds now.
    pub async fn view_storage(&self) -> Result<ViewStorage> {
        let (count_rows, reader_rows): (i64, i64) = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM view_counts), (SELECT COUNT(*) FROM view_readers)"
        ).fetch_one(p).await)?;
        Ok(ViewStorage {
            count_rows,
            reader_rows,
        })
    }

    /// Which of `ids` are published stories (ids only, one query per 1,000).
    pub async fn published_story_ids(&self, ids: &[i64]) -> Result<HashSet<i64>> {
        let mut out = HashSet::new();
        for chunk in ids.chunks(CHUNK) {
            let rows: Vec<i64> = with_pool!(&self.db, p => {
                let mut qb = QueryBuilder::new("SELECT id FROM stories WHERE status = 'published' AND id IN (");
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(")");
                qb.build_query_scalar().fetch_all(p).await
            })?;
            out.extend(rows);
        }
        Ok(out)
    }
}
