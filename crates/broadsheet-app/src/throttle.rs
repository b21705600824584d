//! Rate limits for things an attacker can repeat cheaply (guessing a
//! password, a two-factor code, the current password on the account page),
//! built on `governor`'s keyed GCRA limiters with bounded memory.
//!
//! A [`Bucket`] lets a key make `burst` attempts at once and one more every
//! `window / burst`; an attempt takes its cell *before* the work it guards is
//! done ([`Bucket::take`] is one atomic compare-and-swap inside governor), so
//! parallel requests cannot all slip under the limit. Cells are not given
//! back.
//!
//! Memory is bounded twice: [`Bucket::sweep`] (run every minute by the
//! owner's sweeper, see `signin::SignInGuard::start_sweeper`) forgets keys
//! whose bucket has been full again for one refill period, and a bucket that still holds `cap` keys
//! sweeps at once and, if that frees nothing, refuses new attempts until it
//! does (failing closed rather than growing). Callers check a per-client
//! bucket first, so one client can create only a few keys in the others.
//!
//! Client addresses are keyed by [`ClientKey`]: an IPv4 address, or the /64
//! prefix of an IPv6 address (one subscriber usually holds a whole /64, so
//! keying by the full address would let one machine make 2^64 keys).

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// Keys a limiter holds at most, per bucket, unless said otherwise.
pub const DEFAULT_CAP: usize = 100_000;

/// The key a client address is counted under (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    V4(u32),
    V6Prefix(u64),
}

impl From<IpAddr> for ClientKey {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => ClientKey::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::V4(u32::from(v4)),
                None => ClientKey::V6Prefix((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

/// An attempt was refused: how long until one more is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait(pub Duration);

impl Wait {
    /// "1 minute", "4 minutes": rounded up, never "0".
    pub fn words(&self) -> String {
        let mins = self.0.as_secs().div_ceil(60).max(1);
        if mins == 1 {
            "1 minute".into()
        } else {
            format!("{mins} minutes")
        }
    }
}

/// One keyed limit: `burst` attempts, refilled evenly over `window`.
pub struct Bucket<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
    cap: usize,
    window: Duration,
}

impl<K: Hash + Eq + Clone> Bucket<K> {
    /// `burst` attempts at once, one more every `window / burst`, for at most
    /// `cap` keys. A zero `burst` or `window` is taken as 1 (1 s).
    pub fn new(burst: u32, window: Duration, cap: usize) -> Bucket<K> {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let window = window.max(Duration::from_secs(1));
        let quota = Quota::with_period(window / burst.get())
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Bucket {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            cap: cap.max(1),
            window,
        }
    }

    /// Takes one attempt for `key`, or says how long to wait.
    pub fn take(&self, key: &K) -> Result<(), Wait> {
        if self.limiter.len() >= self.cap {
            self.sweep();
            if self.limiter.len() >= self.cap {
                tracing::warn!(
                    keys = self.limiter.len(),
                    cap = self.cap,
                    "rate-limit table full: refusing new attempts until it drains"
                );
                metrics::counter!("broadsheet_throttle_full_total").increment(1);
                return Err(Wait(self.window / 10));
            }
        }
        self.limiter
            .check_key(key)
            .map_err(|not_until| Wait(not_until.wait_time_from(self.clock.now())))
    }

    /// Forgets keys whose bucket has filled up again (they behave as new).
    pub fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// How many keys the bucket holds now.
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refused_with_a_wait() {
        let b: Bucket<u32> = Bucket::new(3, Duration::from_secs(900), 10);
        for _ in 0..3 {
            assert!(b.take(&1).is_ok());
        }
        let Err(w) = b.take(&1) else {
            panic!("the fourth attempt must be refused")
        };
        assert!(w.0 > Duration::from_secs(200) && w.0 <= Duration::from_secs(300));
        assert_eq!(w.words(), "5 minutes");
        assert!(b.take(&2).is_ok(), "other keys are not affected");
    }

    #[test]
    fn the_table_never_grows_past_its_cap() {
        let b: Bucket<u32> = Bucket::new(2, Duration::from_secs(900), 50);
        let mut refused = 0;
        for k in 0..200 {
            if b.take(&k).is_err() {
                refused += 1;
            }
        }
        assert!(b.len() <= 50, "held {} keys", b.len());
        assert_eq!(refused, 150, "new keys are refused while the table is full");
    }

    #[test]
    fn a_sweep_forgets_full_buckets() {
        // One cell every 100 ms; governor drops a key one period after
        // its bucket is full again.
        let b: Bucket<u32> = Bucket::new(10, Duration::from_secs(1), 1000);
        for k in 0..100 {
            let _ = b.take(&k);
        }
        assert_eq!(b.len(), 100);
        b.sweep();
        assert_eq!(b.len(), 100, "recent keys stay");
        std::thread::sleep(Duration::from_millis(350));
        b.sweep();
        assert!(b.is_empty());
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(ClientKey::from(a), ClientKey::from(b));
        assert_ne!(ClientKey::from(a), ClientKey::from(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("ip");
        let v4: IpAddr = "192.0.2.1".parse().expect("ip");
        assert_eq!(ClientKey::from(mapped), ClientKey::from(v4));
    }
}
