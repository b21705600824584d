//! Counting views as they arrive, and the per-installation secrets.
//!
//! Views are aggregated on write: `view_counts` holds one row per story per
//! hour (`VIEW_BUCKET_SECS`) with a sketch of the readers counted in that
//! hour ([`ReaderSketch`]: the exact set of up to [`SPARSE_MAX`] reader
//! hashes, else a HyperLogLog of 1,024 one-byte registers) and its estimate
//! `n`. A row is at most about 1 KB whatever the traffic, so the storage of
//! a day is bounded by (stories read) × 24 rows, the same at 10,000 or
//! 10,000,000 views.
//!
//! The counted rule is "once per reader per story per window": a story's
//! Most Read count is the number of distinct readers in the union of its
//! hourly sketches within the window: exact up to [`SPARSE_MAX`] readers per
//! union, beyond that within about ±3.3 % (one standard error, 1.04/√1024;
//! ±10 % at three). Sketches merge by union, so several nodes count together:
//! a flush reads, merges and writes its rows in one transaction, the rows
//! locked (`FOR UPDATE` on PostgreSQL; SQLite has one writer). Most Read
//! ranks by the sum of the hourly estimates (an upper bound of the union)
//! and computes unions only until no remaining story can reach the top
//! (see [`Store::most_read`]). Rows older than the window plus a day are
//! pruned by a job.

use std::collections::{HashMap, HashSet};

use sqlx::QueryBuilder;

use crate::{Store, StoreError, with_pool};

pub use sketch::{ReaderSketch, SPARSE_MAX};

type Result<T> = std::result::Result<T, StoreError>;

/// Width of a Most Read bucket: an hour.
pub const VIEW_BUCKET_SECS: i64 = 3600;

/// Rows per multi-row statement (4 binds each: well under both engines' limits).
const CHUNK: usize = 1000;

/// Stories whose unions Most Read computes per round trip.
const UNION_CHUNK: usize = 64;

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

/// What counting holds (for measurement and `/metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ViewStorage {
    /// Hourly rows.
    pub count_rows: i64,
    /// Bytes of reader sketches in them.
    pub sketch_bytes: i64,
}

/// The reader sketch: a set of 64-bit reader hashes, exact while small,
/// then a HyperLogLog (p = 10) with the usual small-range correction.
pub mod sketch {
    /// Readers kept exactly (8 bytes each): beyond this the sketch turns
    /// into registers (1 KB), so a sketch never exceeds about 1 KB.
    pub const SPARSE_MAX: usize = 128;
    const P: u32 = 10;
    const M: usize = 1 << P;
    const SPARSE: u8 = 1;
    const DENSE: u8 = 2;

    /// Readers counted in one story-hour (or a union of several).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum ReaderSketch {
        /// Distinct reader hashes, sorted.
        Sparse(Vec<u64>),
        /// HyperLogLog registers.
        Dense(Box<[u8; M]>),
    }

    impl Default for ReaderSketch {
        fn default() -> Self {
            ReaderSketch::Sparse(Vec::new())
        }
    }

    /// A reader id spread over all 64 bits (ids of test and demo readers are
    /// small or patterned; the registers need uniform bits).
    pub fn hash(reader: i64) -> u64 {
        // The SplitMix64 finaliser: a bijection with full avalanche.
        let mut z = (reader as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn register(h: u64) -> (usize, u8) {
        let idx = (h >> (64 - P)) as usize;
        let rest = h << P;
        let rho = (rest.leading_zeros().min(64 - P) + 1) as u8;
        (idx, rho)
    }

    impl ReaderSketch {
        /// Adds a reader by its [`hash`].
        pub fn insert_hash(&mut self, h: u64) {
            match self {
                ReaderSketch::Sparse(v) => {
                    if let Err(at) = v.binary_search(&h) {
                        v.insert(at, h);
                        if v.len() > SPARSE_MAX {
                            self.densify();
                        }
                    }
                }
                ReaderSketch::Dense(r) => {
                    let (i, rho) = register(h);
                    if r[i] < rho {
                        r[i] = rho;
                    }
                }
            }
        }

        fn densify(&mut self) {
            if let ReaderSketch::Sparse(v) = self {
                let mut r = Box::new([0u8; M]);
                for h in v.iter() {
                    let (i, rho) = register(*h);
                    if r[i] < rho {
                        r[i] = rho;
                    }
                }
                *self = ReaderSketch::Dense(r);
            }
        }

        /// Adds every reader of `other` (a union).
        pub fn merge(&mut self, other: &ReaderSketch) {
            match other {
                ReaderSketch::Sparse(v) => {
                    for h in v {
                        self.insert_hash(*h);
                    }
                }
                ReaderSketch::Dense(o) => {
                    self.densify();
                    if let ReaderSketch::Dense(r) = self {
                        for (a, b) in r.iter_mut().zip(o.iter()) {
                            if *a < *b {
                                *a = *b;
                            }
                        }
                    }
                }
            }
        }

        /// Distinct readers: exact while sparse, else the HyperLogLog
        /// estimate (linear counting while many registers are empty).
        pub fn estimate(&self) -> i64 {
            match self {
                ReaderSketch::Sparse(v) => v.len() as i64,
                ReaderSketch::Dense(r) => {
                    let m = M as f64;
                    let alpha = 0.7213 / (1.0 + 1.079 / m);
                    let sum: f64 = r.iter().map(|&x| 2f64.powi(-i32::from(x))).sum();
                    let raw = alpha * m * m / sum;
                    let zeros = r.iter().filter(|&&x| x == 0).count();
                    let e = if raw <= 2.5 * m && zeros > 0 {
                        m * (m / zeros as f64).ln()
                    } else {
                        raw
                    };
                    e.round() as i64
                }
            }
        }

        /// The stored form: a kind byte, then the sorted hashes (8 bytes
        /// each, little-endian) or the 1,024 registers.
        pub fn to_bytes(&self) -> Vec<u8> {
            match self {
                ReaderSketch::Sparse(v) => {
                    let mut out = Vec::with_capacity(1 + 8 * v.len());
                    out.push(SPARSE);
                    for h in v {
                        out.extend_from_slice(&h.to_le_bytes());
                    }
                    out
                }
                ReaderSketch::Dense(r) => {
                    let mut out = Vec::with_capacity(1 + M);
                    out.push(DENSE);
                    out.extend_from_slice(&r[..]);
                    out
                }
            }
        }

        /// Reads the stored form; `None` if it is not one.
        pub fn from_bytes(b: &[u8]) -> Option<ReaderSketch> {
            match b.split_first() {
                None => Some(ReaderSketch::default()),
                Some((&SPARSE, rest)) if rest.len() % 8 == 0 => {
                    let mut v: Vec<u64> = rest
                        .chunks_exact(8)
                        .map(|c| {
                            let mut a = [0u8; 8];
                            a.copy_from_slice(c);
                            u64::from_le_bytes(a)
                        })
                        .collect();
                    v.sort_unstable();
                    v.dedup();
                    let mut s = ReaderSketch::Sparse(Vec::new());
                    if v.len() > SPARSE_MAX {
                        for h in v {
                            s.insert_hash(h);
                        }
                    } else {
                        s = ReaderSketch::Sparse(v);
                    }
                    Some(s)
                }
                Some((&DENSE, rest)) if rest.len() == M => {
                    let mut r = Box::new([0u8; M]);
                    r.copy_from_slice(rest);
                    Some(ReaderSketch::Dense(r))
                }
                _ => None,
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn exact_while_small_then_within_the_stated_error() {
            let mut s = ReaderSketch::default();
            for r in 0..SPARSE_MAX as i64 {
                s.insert_hash(hash(r));
                s.insert_hash(hash(r));
            }
            assert_eq!(s.estimate(), SPARSE_MAX as i64, "exact up to SPARSE_MAX");
            assert!(matches!(s, ReaderSketch::Sparse(_)));
            // Beyond: ±10 % (three standard errors) at every size tried.
            for n in [200i64, 1_000, 10_000, 100_000, 1_000_000] {
                let mut s = ReaderSketch::default();
                for r in 0..n {
                    s.insert_hash(hash(r * 7_919 + n));
                }
                let e = s.estimate();
                let err = (e - n).abs() as f64 / n as f64;
                assert!(err < 0.10, "{n} readers estimated {e}");
                assert!(s.to_bytes().len() <= 1 + 1024, "bounded size");
            }
        }

        #[test]
        fn unions_count_shared_readers_once_and_survive_storage() {
            let mut a = ReaderSketch::default();
            let mut b = ReaderSketch::default();
            for r in 0..60 {
                a.insert_hash(hash(r));
            }
            for r in 30..90 {
                b.insert_hash(hash(r));
            }
            let mut u = a.clone();
            u.merge(&b);
            assert_eq!(u.estimate(), 90, "exact union of small sets");
            assert_eq!(ReaderSketch::from_bytes(&u.to_bytes()), Some(u.clone()));
            // Large unions: dense with dense, dense with sparse.
            let mut big1 = ReaderSketch::default();
            let mut big2 = ReaderSketch::default();
            for r in 0..60_000 {
                big1.insert_hash(hash(r));
            }
            for r in 30_000..90_000 {
                big2.insert_hash(hash(r));
            }
            let stored = ReaderSketch::from_bytes(&big1.to_bytes()).expect("dense");
            assert_eq!(stored, big1);
            let mut u = stored;
            u.merge(&big2);
            u.merge(&a);
            let e = u.estimate();
            assert!((e - 90_000).abs() < 9_000, "union of 90,000 estimated {e}");
            assert_eq!(ReaderSketch::from_bytes(&[9, 9]), None);
            assert_eq!(ReaderSketch::from_bytes(&[]), Some(ReaderSketch::default()));
        }
    }
}

/// A sketch of `n` readers never seen elsewhere, made up from the row and
/// `salt` (the demo's generated history; rows counted before sketches).
fn made_up_readers(story: i64, bucket: i64, n: i64, salt: i64) -> ReaderSketch {
    let mut sk = ReaderSketch::default();
    let row = story.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ bucket.rotate_left(17);
    for i in 0..n {
        sk.insert_hash(sketch::hash(
            row ^ i.wrapping_add(salt << 40).rotate_left(29),
        ));
    }
    sk
}

/// The sketches of `(story, bucket)` rows, read for a merge.
type SketchRows = HashMap<(i64, i64), (ReaderSketch, i64)>;

impl Store {
    /// Counts views by the ranking rules (see the module docs): each view
    /// adds its reader to its story's hourly sketch (a reader already in it
    /// adds nothing). Returns how many views were counted: by how much the
    /// hourly estimates grew (exact while the sketches are small).
    pub async fn record_views(&self, batch: &[ViewRecord]) -> Result<u64> {
        if batch.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = {
            let set: HashSet<i64> = batch.iter().map(|v| v.story_id).collect();
            set.into_iter().collect()
        };
        let published = self.published_story_ids(&ids).await?;
        let mut fresh: HashMap<(i64, i64), ReaderSketch> = HashMap::new();
        for v in batch.iter().filter(|v| published.contains(&v.story_id)) {
            fresh
                .entry((v.story_id, view_bucket(v.at)))
                .or_default()
                .insert_hash(sketch::hash(v.reader));
        }
        self.merge_sketches(fresh).await
    }

    /// Merges sketches into their rows in one transaction, the rows locked
    /// while read and written. Returns by how much the estimates grew.
    async fn merge_sketches(&self, fresh: HashMap<(i64, i64), ReaderSketch>) -> Result<u64> {
        let mut keys: Vec<(i64, i64)> = fresh.keys().copied().collect();
        // One order for every node: two flushes lock rows without deadlock.
        keys.sort_unstable();
        let postgres = self.backend() == crate::Backend::Postgres;
        let grown: u64 = with_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            let mut grown = 0u64;
            for chunk in keys.chunks(CHUNK) {
                // Make the missing rows first: then every row exists to lock
                // (and SQLite takes its write lock before reading).
                let mut qb = QueryBuilder::new("INSERT INTO view_counts (story_id, bucket, n, readers) ");
                qb.push_values(chunk, |mut b, (story, bucket)| {
                    b.push_bind(*story).push_bind(*bucket).push_bind(0i64).push_bind(Vec::<u8>::new());
                });
                qb.push(" ON CONFLICT (story_id, bucket) DO NOTHING");
                qb.build().execute(&mut *tx).await?;
                // The chunk's stories over its range of hours, by the primary
                // key (a row-value IN would scan the table on SQLite); rows
                // outside the chunk are read and left alone.
                let mut stories: Vec<i64> = chunk.iter().map(|k| k.0).collect();
                stories.sort_unstable();
                stories.dedup();
                let lo = chunk.iter().map(|k| k.1).min().unwrap_or(0);
                let hi = chunk.iter().map(|k| k.1).max().unwrap_or(0);
                let mut qb = QueryBuilder::new("SELECT story_id, bucket, n, readers FROM view_counts WHERE story_id IN (");
                let mut sep = qb.separated(", ");
                for id in &stories {
                    sep.push_bind(*id);
                }
                qb.push(") AND bucket >= ");
                qb.push_bind(lo);
                qb.push(" AND bucket <= ");
                qb.push_bind(hi);
                if postgres {
                    qb.push(" ORDER BY story_id, bucket FOR UPDATE");
                }
                let rows: Vec<(i64, i64, i64, Option<Vec<u8>>)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                let mut stored: SketchRows = HashMap::new();
                for (story, bucket, n, readers) in rows {
                    if !fresh.contains_key(&(story, bucket)) {
                        continue;
                    }
                    let sk = match readers.as_deref().and_then(ReaderSketch::from_bytes) {
                        Some(sk) => sk,
                        // Counted before sketches: as many readers not seen since.
                        None => made_up_readers(story, bucket, n, 0),
                    };
                    stored.insert((story, bucket), (sk, n));
                }
                let mut out: Vec<(i64, i64, i64, Vec<u8>)> = Vec::with_capacity(chunk.len());
                for key in chunk {
                    let (mut sk, before) = stored.remove(key).unwrap_or_default();
                    if let Some(f) = fresh.get(key) {
                        sk.merge(f);
                    }
                    let n = sk.estimate().max(before);
                    grown += (n - before).max(0) as u64;
                    out.push((key.0, key.1, n, sk.to_bytes()));
                }
                let mut qb = QueryBuilder::new("INSERT INTO view_counts (story_id, bucket, n, readers) ");
                qb.push_values(&out, |mut b, (story, bucket, n, readers)| {
                    b.push_bind(*story).push_bind(*bucket).push_bind(*n).push_bind(readers.clone());
                });
                qb.push(" ON CONFLICT (story_id, bucket) DO UPDATE SET n = excluded.n, readers = excluded.readers");
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(grown)
        })?;
        Ok(grown)
    }

    /// Adds ready-made counts to the hourly buckets (the demo's generated
    /// history): `rows` are (story, any time in the hour, views), each view
    /// from a reader not seen before.
    pub async fn add_view_counts(&self, rows: &[(i64, i64, i64)]) -> Result<()> {
        let mut sums: HashMap<(i64, i64), i64> = HashMap::new();
        for (story, at, n) in rows {
            *sums.entry((*story, view_bucket(*at))).or_default() += n;
        }
        // Readers made up from the row and a salt from this call's rows (the
        // same on every backend, so a seeded demo counts the same).
        let salt = rows.iter().fold(rows.len() as i64, |h, (s, at, n)| {
            (h.rotate_left(7) ^ s ^ at.rotate_left(23) ^ n).wrapping_mul(0x0100_0000_01b3)
        });
        let mut fresh: HashMap<(i64, i64), ReaderSketch> = sums
            .into_iter()
            .map(|((story, bucket), n)| ((story, bucket), made_up_readers(story, bucket, n, salt)))
            .collect();
        let mut keys: Vec<(i64, i64)> = fresh.keys().copied().collect();
        keys.sort_unstable();
        for chunk in keys.chunks(CHUNK) {
            let part: HashMap<(i64, i64), ReaderSketch> = chunk
                .iter()
                .filter_map(|k| fresh.remove(k).map(|s| (*k, s)))
                .collect();
            self.merge_sketches(part).await?;
        }
        Ok(())
    }

    /// Published stories with the most distinct readers in the hourly
    /// buckets from the one holding `since` on: (story, readers), most
    /// first, ties by lower id. Reads only the aggregates: the sums of the
    /// hourly estimates rank the candidates (a sum is never below the union
    /// it bounds), and the unions of their sketches are computed in that
    /// order until the next candidate's sum cannot reach the `limit`-th
    /// union found.
    pub async fn most_read(&self, since: i64, limit: i64) -> Result<Vec<(i64, i64)>> {
        let since = view_bucket(since);
        let limit = usize::try_from(limit.max(0)).unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        // `status || ''`: SQLite walks the window's view counts and looks
        // each story up, rather than every published story by the status
        // index (1.2 s a refresh at 1,000,000 stories, 0.35 s alone).
        let candidates: Vec<(i64, i64)> = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT c.story_id, CAST(SUM(c.n) AS BIGINT) AS n FROM view_counts c \
             JOIN stories s ON s.id = c.story_id \
             WHERE c.bucket >= $1 AND s.status || '' = 'published' AND c.n > 0 \
             GROUP BY c.story_id ORDER BY n DESC, c.story_id ASC"
        ).bind(since).fetch_all(p).await)?;
        let mut found: Vec<(i64, i64)> = Vec::new();
        let mut at = 0;
        while at < candidates.len() {
            if found.len() >= limit {
                // found is sorted: its limit-th entry is the bar to reach.
                let bar = found[limit - 1].1;
                if candidates[at].1 < bar {
                    break;
                }
            }
            let chunk = &candidates[at..(at + UNION_CHUNK).min(candidates.len())];
            at += chunk.len();
            let rows: Vec<(i64, i64, Option<Vec<u8>>)> = with_pool!(&self.db, p => {
                let mut qb = QueryBuilder::new("SELECT story_id, n, readers FROM view_counts WHERE bucket >= ");
                qb.push_bind(since);
                qb.push(" AND story_id IN (");
                let mut sep = qb.separated(", ");
                for (id, _) in chunk {
                    sep.push_bind(*id);
                }
                qb.push(")");
                qb.build_query_as().fetch_all(p).await
            })?;
            let mut unions: HashMap<i64, ReaderSketch> = HashMap::new();
            let mut before_sketches: HashMap<i64, i64> = HashMap::new();
            for (story, n, readers) in rows {
                match readers.as_deref().and_then(ReaderSketch::from_bytes) {
                    Some(sk) => unions.entry(story).or_default().merge(&sk),
                    // Counted before sketches: its count as it stands.
                    None => *before_sketches.entry(story).or_default() += n,
                }
            }
            for (id, sum) in chunk {
                let n = (unions.get(id).map_or(0, ReaderSketch::estimate)
                    + before_sketches.get(id).copied().unwrap_or(0))
                .min(*sum);
                if n > 0 {
                    found.push((*id, n));
                }
            }
            found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        }
        found.truncate(limit);
        Ok(found)
    }

    /// Deletes hourly rows before the bucket holding `counts_before`.
    /// Returns rows deleted.
    pub async fn prune_views(&self, counts_before: i64) -> Result<u64> {
        let n = with_pool!(&self.db, p => sqlx::query("DELETE FROM view_counts WHERE bucket < $1")
            .bind(view_bucket(counts_before)).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// How many rows and sketch bytes counting holds now.
    pub async fn view_storage(&self) -> Result<ViewStorage> {
        let (count_rows, sketch_bytes): (i64, i64) = with_pool!(&self.db, p => sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(LENGTH(readers)), 0) AS BIGINT) FROM view_counts"
        ).fetch_one(p).await)?;
        Ok(ViewStorage {
            count_rows,
            sketch_bytes,
        })
    }

    /// Which of `ids` are published stories (ids only, one query per 1,000).
    pub async fn published_story_ids(&self, ids: &[i64]) -> Result<HashSet<i64>> {
        let mut out = HashSet::new();
        for chunk in ids.chunks(CHUNK) {
            let rows: Vec<i64> = with_pool!(&self.db, p => {
                // `status || ''`: look the ids up by primary key (see
                // `Store::cards_by_ids`), not every published story by status.
                let mut qb = QueryBuilder::new("SELECT id FROM stories WHERE status || '' = 'published' AND id IN (");
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
