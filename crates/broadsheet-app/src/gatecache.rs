//! Per-node memory for the gate's hot path, so a paid story page costs
//! about what a free one does: what a reader session is worth (account,
//! subscriber), which stories a meter has open, and which client addresses
//! started all the device meters they may today. Each is bounded (entries
//! and lifetime) and each is exact, never a second opinion:
//!
//! - **Sessions** (`bs_reader` token, by its SHA-256) → (account,
//!   subscriber), read in one statement ([`broadsheet_store::Store::gate_session`]).
//!   An entry is used only while the store's *reader generation* has not
//!   moved since it was read (every committed write to sessions,
//!   entitlements, organisation domains or seats moves it on this node at
//!   once, and on every other node when it applies that write's `readers`
//!   change event, within the change-event poll of 500 ms), and only until
//!   the answer changes by the clock (the session's expiry, the next start
//!   or end of an entitlement), and at most [`SESSION_TTL`]. So a
//!   cancellation or a refund takes effect on the reader's next request on
//!   the node that recorded it, and within the poll interval on the others
//!   (which read the change events anyway to purge their pages).
//! - **Meters**: (subject, period) → the stories open, and whether the
//!   allowance is used up. Both only grow within a period (the database
//!   counts a story once, and adds none to a spent meter), so a story seen
//!   open stays open and a meter seen spent stays spent on every node: a
//!   request for either costs no round trip. Anything else (a new story on
//!   a meter with room) is decided in the database, as before.
//! - **Over the new-device limit**: (keyed hash of a client address, day)
//!   seen over `--meter-new-per-address`. The count only grows during a
//!   day, so this too is exact: a cookieless request from such an address
//!   gets the cut with no database write (this was a write per request, all
//!   of them queued on SQLite's one writer). The count itself is kept in
//!   the database, shared by every node.

use std::sync::Arc;
use std::time::Duration;

use broadsheet_store::GateSession;
use moka::sync::Cache;

use crate::{App, Result};

/// Longest a session's worth is remembered, whatever else holds.
pub const SESSION_TTL: Duration = Duration::from_secs(60);
/// Entries per map (each well under a kilobyte).
const CAPACITY: u64 = 100_000;

#[derive(Debug, Clone, Copy)]
struct SessionEntry {
    /// (reader id, subscriber), or no current session.
    session: Option<(i64, bool)>,
    /// Unix seconds (exclusive) until which the answer holds by the clock.
    until: i64,
    generation: u64,
}

#[derive(Debug)]
struct MeterEntry {
    opened: Vec<i64>,
    spent: bool,
}

/// The maps (one per node, in `App`).
pub(crate) struct GateCache {
    sessions: Cache<String, SessionEntry>,
    meters: Cache<(String, i64), Arc<MeterEntry>>,
    over_limit: Cache<(String, i64), ()>,
}

impl Default for GateCache {
    fn default() -> Self {
        GateCache {
            sessions: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(SESSION_TTL)
                .build(),
            meters: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_idle(Duration::from_secs(3600))
                .build(),
            over_limit: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(Duration::from_secs(86_400))
                .build(),
        }
    }
}

/// A reader session as the gate needs it: (reader id, subscriber).
pub type SessionWorth = Option<(i64, bool)>;

/// What the session `token` is worth now, from memory only: `None` when
/// this node does not know (then ask [`session`]).
pub fn session_in_memory(app: &App, token: &str, now: i64) -> Option<SessionWorth> {
    if !crate::readers::token_shape_ok(token) {
        return Some(None);
    }
    let cache = app.gate_cache();
    let e = cache.sessions.get(&crate::signin::token_hash(token))?;
    (e.generation == app.store().reader_generation() && now < e.until).then_some(e.session)
}

/// What the session `token` is worth now: from memory, else one statement.
pub async fn session(app: &App, token: &str, now: i64) -> Result<SessionWorth> {
    if let Some(known) = session_in_memory(app, token, now) {
        return Ok(known);
    }
    let hash = crate::signin::token_hash(token);
    // Read before the rows: a write committed after this read moves it.
    let generation = app.store().reader_generation();
    let found: Option<GateSession> = app.store().gate_session(&hash, now).await?;
    let session = found.map(|s| (s.reader_id, s.subscriber));
    let until = found.map_or(now + SESSION_TTL.as_secs() as i64, |s| s.holds_until);
    app.gate_cache().sessions.insert(
        hash,
        SessionEntry {
            session,
            until,
            generation,
        },
    );
    Ok(session)
}

impl GateCache {
    /// Some(true): `story` is open on this meter; Some(false): the meter is
    /// spent and `story` not open on it; None: ask the database.
    pub(crate) fn meter(&self, subject: &str, period: i64, story: i64) -> Option<bool> {
        let e = self.meters.get(&(subject.to_string(), period))?;
        if e.opened.contains(&story) {
            Some(true)
        } else if e.spent {
            Some(false)
        } else {
            None
        }
    }

    /// Remembers what the database said of a meter.
    pub(crate) fn remember_meter(
        &self,
        subject: &str,
        period: i64,
        opened: Vec<i64>,
        allowance: i64,
    ) {
        let spent = opened.len() as i64 >= allowance;
        self.meters.insert(
            (subject.to_string(), period),
            Arc::new(MeterEntry { opened, spent }),
        );
    }

    /// True if `client_key` was seen over today's new-device limit.
    pub(crate) fn over_limit(&self, client_key: &str, day: i64) -> bool {
        self.over_limit.contains_key(&(client_key.to_string(), day))
    }

    pub(crate) fn remember_over_limit(&self, client_key: String, day: i64) {
        self.over_limit.insert((client_key, day), ());
    }
}
