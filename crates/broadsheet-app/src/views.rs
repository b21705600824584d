//! Counting views for Most Read, so that the public count is earned.
//!
//! Views arrive from the view beacon (an image every story page embeds, so a
//! page served from a CDN still counts). A view counts only when:
//! - the user agent is not a known bot (`broadsheet_domain::ranking::is_bot`);
//! - it carries a reader cookie this installation issued and signed
//!   (HMAC-SHA256 with a secret kept in the database, shared by every node):
//!   a beacon without one, or with a forged one, is given a fresh signed
//!   cookie and not counted, so inventing reader ids moves nothing;
//! - its client address (read through the configured proxy hops) has not
//!   used up its views for the current minute ([`ClientCaps`], a bounded map);
//! - and it counts once per reader per story per window: each view adds its
//!   reader to the story's hourly reader sketch, and Most Read counts the
//!   distinct readers of the window's hours (exact for small numbers, within
//!   a stated error beyond; see `broadsheet_store::traffic`).
//!
//! Accepted views queue in memory (bounded; overflow is dropped and counted)
//! and are written every second in one transaction that adds them to hourly
//! per-story counts. Nothing here purges a page: rankings are recomputed on
//! their own cadence (`rankings.rs`), and only what changed is re-rendered.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use broadsheet_store::{Store, ViewRecord};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::{App, Result};

/// The reader cookie's name (path `/v/`).
pub const READER_COOKIE: &str = "bsr";

/// Name of the signing secret in `installation_secrets`.
const SECRET_NAME: &str = "reader-cookie-hmac";

/// Length of a reader cookie value: 32 hex digits of id, a dot, 32 of MAC.
const COOKIE_LEN: usize = 65;

/// Why a beacon did or did not queue a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Queued; it counts unless the reader is already counted for the story.
    Queued,
    /// A known bot or tool.
    Bot,
    /// No reader cookie, or one this installation did not sign.
    Unsigned,
    /// The client address used up its views for this minute.
    Capped,
    /// The queue was full.
    QueueFull,
    /// Not a story address.
    NotAStory,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Queued => "queued",
            Verdict::Bot => "bot",
            Verdict::Unsigned => "unsigned",
            Verdict::Capped => "capped",
            Verdict::QueueFull => "queue_full",
            Verdict::NotAStory => "not_a_story",
        }
    }
}

/// What the beacon answers: the verdict and, for a reader without a valid
/// cookie, a freshly signed cookie value to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeaconOutcome {
    pub verdict: Verdict,
    pub new_cookie: Option<String>,
}

/// Issues and checks signed reader ids.
pub struct ReaderSigner {
    key: Vec<u8>,
}

impl ReaderSigner {
    pub fn new(key: Vec<u8>) -> ReaderSigner {
        ReaderSigner { key }
    }

    fn mac(&self, id_hex: &str) -> Option<Hmac<Sha256>> {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).ok()?;
        m.update(b"bsr1:");
        m.update(id_hex.as_bytes());
        Some(m)
    }

    /// A new reader cookie value: `<128-bit random id>.<128-bit MAC>`, hex.
    pub fn issue(&self) -> String {
        let id = hex::encode(rand::random::<[u8; 16]>());
        let tag = self
            .mac(&id)
            .map(|m| hex::encode(&m.finalize().into_bytes()[..16]))
            .unwrap_or_default();
        format!("{id}.{tag}")
    }

    /// A keyed hash (hex, 128 bits) of `data` under this installation's key,
    /// for `purpose`: lets rows name a client address without holding it.
    pub fn keyed_hash(&self, purpose: &str, data: &str) -> String {
        let Ok(mut m) = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key) else {
            return String::new();
        };
        m.update(purpose.as_bytes());
        m.update(b":");
        m.update(data.as_bytes());
        hex::encode(&m.finalize().into_bytes()[..16])
    }

    /// The reader's 64-bit id if `value` is a cookie this installation signed.
    pub fn verify(&self, value: &str) -> Option<i64> {
        if value.len() != COOKIE_LEN {
            return None;
        }
        let (id, tag) = value.split_once('.')?;
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let tag = hex::decode(tag).ok()?;
        self.mac(id)?.verify_truncated_left(&tag).ok()?;
        let first = u64::from_str_radix(&id[..16], 16).ok()?;
        Some(first as i64)
    }
}

/// Per-client-address caps on views: at most `per_minute` accepted views
/// from one address (an IPv6 client by its /64) in each minute. Memory is
/// bounded: the table is emptied when the minute turns, and while it holds
/// `max_clients` addresses a new address is refused (and counted as capped).
pub struct ClientCaps {
    per_minute: u32,
    max_clients: usize,
    state: Mutex<(i64, HashMap<u128, u32>)>,
}

impl ClientCaps {
    pub fn new(per_minute: u32, max_clients: usize) -> ClientCaps {
        ClientCaps {
            per_minute,
            max_clients: max_clients.max(1),
            state: Mutex::new((0, HashMap::new())),
        }
    }

    fn key(ip: IpAddr) -> u128 {
        match ip {
            IpAddr::V4(v4) => u128::from(u32::from(v4)),
            // One household or device gets a /64; count the prefix.
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => u128::from(u32::from(v4)),
                None => (u128::from(v6) >> 64 << 64) | (1 << 40),
            },
        }
    }

    /// True if a view from `ip` at `now` (unix seconds) is within the cap.
    pub fn admit(&self, ip: IpAddr, now: i64) -> bool {
        if self.per_minute == 0 {
            return false;
        }
        let minute = now.div_euclid(60);
        let mut g = match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let (current, map) = &mut *g;
        if *current != minute {
            *current = minute;
            map.clear();
            if map.capacity() > 4 * self.max_clients.min(65_536) {
                map.shrink_to(1024);
            }
        }
        let k = Self::key(ip);
        if let Some(n) = map.get_mut(&k) {
            if *n >= self.per_minute {
                return false;
            }
            *n += 1;
            return true;
        }
        if map.len() >= self.max_clients {
            return false;
        }
        map.insert(k, 1);
        true
    }

    /// Addresses in the table now.
    pub fn clients(&self) -> usize {
        match self.state.lock() {
            Ok(g) => g.1.len(),
            Err(p) => p.into_inner().1.len(),
        }
    }
}

/// Counters of beacon outcomes on this node (also in `/metrics`).
#[derive(Default)]
pub struct BeaconStats {
    pub queued: AtomicU64,
    pub bot: AtomicU64,
    pub unsigned: AtomicU64,
    pub capped: AtomicU64,
    pub queue_full: AtomicU64,
    pub counted: AtomicU64,
}

impl BeaconStats {
    fn note(&self, v: Verdict) {
        let c = match v {
            Verdict::Queued => &self.queued,
            Verdict::Bot => &self.bot,
            Verdict::Unsigned => &self.unsigned,
            Verdict::Capped => &self.capped,
            Verdict::QueueFull => &self.queue_full,
            Verdict::NotAStory => return,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
}

pub struct ViewCounter {
    store: Store,
    cap: usize,
    pending: Mutex<Vec<ViewRecord>>,
    flushing: tokio::sync::Mutex<()>,
    signer: ReaderSigner,
    caps: ClientCaps,
    stats: BeaconStats,
}

impl ViewCounter {
    pub(crate) fn new(
        store: Store,
        cap: usize,
        signer: ReaderSigner,
        caps: ClientCaps,
    ) -> ViewCounter {
        ViewCounter {
            store,
            cap: cap.max(1),
            pending: Mutex::new(Vec::new()),
            flushing: tokio::sync::Mutex::new(()),
            signer,
            caps,
            stats: BeaconStats::default(),
        }
    }

    /// Reads (or, on the first start of an installation, makes) the signing secret.
    pub(crate) async fn load_signer(store: &Store) -> Result<ReaderSigner> {
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        let secret = store
            .installation_secret(SECRET_NAME, &fresh, crate::now())
            .await?;
        let key = hex::decode(secret.trim()).map_err(|_| {
            crate::AppError::Invalid(format!(
                "the stored {SECRET_NAME} secret is not hex; delete its row in installation_secrets to make a new one"
            ))
        })?;
        Ok(ReaderSigner::new(key))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<ViewRecord>> {
        match self.pending.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The signer of reader cookies (tests and the beacon).
    pub fn signer(&self) -> &ReaderSigner {
        &self.signer
    }

    pub fn stats(&self) -> &BeaconStats {
        &self.stats
    }

    /// Addresses in the per-client cap table now.
    pub fn capped_clients(&self) -> usize {
        self.caps.clients()
    }

    /// One beacon request: decides whether it queues a view (see the module
    /// docs) and whether the reader needs a new signed cookie.
    pub fn beacon(
        &self,
        story_id: Option<i64>,
        cookie: Option<&str>,
        client: IpAddr,
        user_agent: Option<&str>,
        at: i64,
    ) -> BeaconOutcome {
        let outcome = |verdict, new_cookie| {
            self.stats.note(verdict);
            if verdict != Verdict::Queued && verdict != Verdict::NotAStory {
                metrics::counter!("broadsheet_views_refused_total", "reason" => verdict.label())
                    .increment(1);
            }
            BeaconOutcome {
                verdict,
                new_cookie,
            }
        };
        let Some(story_id) = story_id else {
            return outcome(Verdict::NotAStory, None);
        };
        if broadsheet_domain::ranking::is_bot(user_agent) {
            return outcome(Verdict::Bot, None);
        }
        let Some(reader) = cookie.and_then(|c| self.signer.verify(c)) else {
            return outcome(Verdict::Unsigned, Some(self.signer.issue()));
        };
        if !self.caps.admit(client, at) {
            return outcome(Verdict::Capped, None);
        }
        if !self.record(story_id, reader, at) {
            return outcome(Verdict::QueueFull, None);
        }
        outcome(Verdict::Queued, None)
    }

    /// Queues a view of an already-checked reader. Returns false if the queue
    /// is full (the view is dropped and counted as dropped).
    pub fn record(&self, story_id: i64, reader: i64, at: i64) -> bool {
        let mut q = self.lock();
        if q.len() >= self.cap {
            drop(q);
            metrics::counter!("broadsheet_views_dropped_total").increment(1);
            return false;
        }
        q.push(ViewRecord {
            story_id,
            reader,
            at,
        });
        true
    }

    /// Views waiting to be written.
    pub fn backlog(&self) -> usize {
        self.lock().len()
    }

    /// Writes the queued views. On failure they go back on the queue.
    pub async fn flush(&self) -> Result<u64> {
        let _one = self.flushing.lock().await;
        let batch = std::mem::take(&mut *self.lock());
        if batch.is_empty() {
            return Ok(0);
        }
        match self.store.record_views(&batch).await {
            Ok(n) => {
                self.stats.counted.fetch_add(n, Ordering::Relaxed);
                metrics::counter!("broadsheet_views_counted_total").increment(n);
                metrics::gauge!("broadsheet_view_backlog").set(self.backlog() as f64);
                Ok(n)
            }
            Err(e) => {
                let mut q = self.lock();
                let room = self.cap.saturating_sub(q.len());
                q.extend(batch.into_iter().take(room));
                Err(e.into())
            }
        }
    }
}

/// A 64-bit reader id for a reader known only by name (the demo's history).
pub fn reader_id(name: &str) -> i64 {
    use sha2::Digest;
    let d = Sha256::digest(name.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    i64::from_be_bytes(b)
}

/// Writes queued views every second. It does not announce anything: Most
/// Read is re-read from the aggregates on the rankings cadence.
pub(crate) async fn flush_loop(app: App, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stop = tokio::select! {
            _ = tick.tick() => false,
            _ = shutdown.changed() => true,
        };
        if let Err(e) = app.views().flush().await {
            tracing::warn!(error = %e, backlog = app.views().backlog(), "writing views failed; will retry");
        }
        if stop {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_ids_verify_and_forgeries_do_not() {
        let s = ReaderSigner::new(b"0123456789abcdef0123456789abcdef".to_vec());
        let other = ReaderSigner::new(b"another installation's key......".to_vec());
        let c = s.issue();
        assert_eq!(c.len(), COOKIE_LEN);
        assert!(s.verify(&c).is_some());
        assert!(other.verify(&c).is_none(), "another key's cookie");
        let (id, tag) = c.split_once('.').expect("dot");
        let mut flipped = id.to_string();
        flipped.replace_range(0..1, if id.starts_with('0') { "1" } else { "0" });
        assert!(
            s.verify(&format!("{flipped}.{tag}")).is_none(),
            "changed id"
        );
        assert!(s.verify(&"a".repeat(32)).is_none(), "old unsigned cookie");
        assert!(s.verify(&format!("{id}.")).is_none(), "no MAC");
        assert!(s.verify("").is_none());
    }

    #[test]
    fn caps_per_address_per_minute_with_a_bounded_table() {
        let caps = ClientCaps::new(3, 2);
        let a: IpAddr = "198.51.100.7".parse().expect("ip");
        let b: IpAddr = "2001:db8::1".parse().expect("ip");
        let b2: IpAddr = "2001:db8::ffff".parse().expect("ip");
        let c: IpAddr = "203.0.113.1".parse().expect("ip");
        let t = 6_000_000;
        assert!((0..3).all(|_| caps.admit(a, t)));
        assert!(!caps.admit(a, t + 1), "fourth in the minute");
        assert!(caps.admit(b, t));
        assert!(caps.admit(b2, t) && caps.admit(b2, t), "same /64");
        assert!(!caps.admit(b, t), "the /64 used its three");
        assert!(!caps.admit(c, t), "table full: new addresses are refused");
        assert_eq!(caps.clients(), 2);
        assert!(caps.admit(a, t + 60), "a new minute");
        assert!(caps.admit(c, t + 60));
        assert!(
            !ClientCaps::new(0, 10).admit(a, t),
            "a cap of 0 counts nothing"
        );
    }
}
