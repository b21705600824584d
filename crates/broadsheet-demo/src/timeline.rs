//! When stories are published: a monotonic map from story key to time.
//!
//! The 30 days before `now` are split into hourly buckets, each weighted
//! by recency (recent days are denser) and by hour of day (few stories
//! overnight). Story `k` of `n` lands at the point where the cumulative
//! weight reaches `(k + jitter) / n` of the total, so times never decrease
//! with the key, and any key's time can be computed on its own.

use crate::rng::{Rng, stream};

const HOURS: usize = 30 * 24;

/// Relative number of stories published in each hour of the (UTC) day.
const HOUR_WEIGHT: [f64; 24] = [
    0.10, 0.05, 0.05, 0.05, 0.08, 0.20, 0.50, 0.90, 1.20, 1.30, 1.30, 1.20, 1.20, 1.20, 1.20, 1.10,
    1.10, 1.00, 0.90, 0.80, 0.70, 0.50, 0.35, 0.20,
];

#[derive(Debug, Clone)]
pub(crate) struct Timeline {
    seed: u64,
    n: usize,
    now: i64,
    start: i64,
    weights: Vec<f64>,
    cdf: Vec<f64>,
}

impl Timeline {
    pub(crate) fn new(seed: u64, n: usize, now: i64) -> Timeline {
        let start = now - (HOURS as i64) * 3600;
        let mut weights = Vec::with_capacity(HOURS);
        let mut cdf = Vec::with_capacity(HOURS + 1);
        cdf.push(0.0);
        let mut total = 0.0;
        for j in 0..HOURS {
            let bucket_start = start + (j as i64) * 3600;
            let hour = (bucket_start.rem_euclid(86_400) / 3600) as usize;
            let age_days = (HOURS - j) as f64 / 24.0;
            let w = ((-age_days / 12.0).exp() + 0.15) * HOUR_WEIGHT[hour];
            weights.push(w);
            total += w;
            cdf.push(total);
        }
        Timeline {
            seed,
            n,
            now,
            start,
            weights,
            cdf,
        }
    }

    /// Publication time of story `key` (whole minutes, `<= now`).
    pub(crate) fn published_at(&self, key: usize) -> i64 {
        if self.n == 0 {
            return self.now;
        }
        let jitter = Rng::derive(self.seed, stream::TIME, key as u64).f64();
        let q = ((key as f64 + jitter) / self.n as f64).clamp(0.0, 1.0);
        let total = self.cdf.last().copied().unwrap_or(1.0);
        let target = q * total;
        let b = self
            .cdf
            .partition_point(|&x| x <= target)
            .saturating_sub(1)
            .min(HOURS - 1);
        let w = self.weights[b];
        let frac = if w > 0.0 {
            ((target - self.cdf[b]) / w).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let t = self.start + (b as i64) * 3600 + (frac * 3600.0) as i64;
        let t = t - t.rem_euclid(60);
        t.clamp(self.start, self.now)
    }

    /// The smallest key published at or after `t` (`n` if none).
    #[cfg(test)]
    pub(crate) fn first_key_at_or_after(&self, t: i64) -> usize {
        let (mut lo, mut hi) = (0usize, self.n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.published_at(mid) < t {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_and_in_range() {
        let now = 1_760_000_000;
        let t = Timeline::new(5, 1000, now);
        let mut prev = i64::MIN;
        for k in 0..1000 {
            let p = t.published_at(k);
            assert!(p >= prev);
            assert!(p <= now && p >= now - 30 * 86_400);
            prev = p;
        }
        let k = t.first_key_at_or_after(now - 86_400);
        assert!(k < 1000);
        assert!(t.published_at(k) >= now - 86_400);
        assert!(k == 0 || t.published_at(k - 1) < now - 86_400);
    }

    #[test]
    fn recent_days_are_denser() {
        let now = 1_760_000_000;
        let t = Timeline::new(9, 3000, now);
        let last_week = 3000 - t.first_key_at_or_after(now - 7 * 86_400);
        let first_week = t.first_key_at_or_after(now - 23 * 86_400);
        assert!(last_week > first_week * 2, "{last_week} vs {first_week}");
    }
}
