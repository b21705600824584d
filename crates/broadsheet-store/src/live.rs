//! What a store handle knows about its own traffic, shared by its clones:
//! how many times it took a connection from its pool (every statement on
//! the pool, and every transaction begun, takes one: the database round
//! trips a request costs, which tests count), and the *reader generation*,
//! a number that moves after every committed write changing what a reader
//! session is worth (who it belongs to, whether they hold an entitlement).
//!
//! The generation lets a node keep sessions and entitlements in memory
//! (`broadsheet_app::gatecache`) without ever serving one that changed:
//! an entry remembers the generation it was read at and is used only
//! while the generation has not moved. Such a write also appends a change
//! event with the key [`READERS_KEY`] in the same transaction
//! ([`crate::Tx::commit`]), and every other node moves its own generation
//! when it applies that event ([`Store::reader_state_changed`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The change-event key of a write to reader sessions or entitlements. It
/// names no page; nodes forget what they remember of readers.
pub const READERS_KEY: &str = "readers";

/// The change-event key of a reader whose entitlements changed is this
/// prefix and their id (`commenter-42`): the comment thread pages showing
/// their comments (and "Subscriber" badge) carry it.
pub const COMMENTER_KEY_PREFIX: &str = "commenter-";

#[derive(Debug, Default)]
pub(crate) struct Live {
    acquires: AtomicU64,
    reader_generation: AtomicU64,
}

pub(crate) type SharedLive = Arc<Live>;

impl Live {
    pub(crate) fn acquired(&self) {
        self.acquires.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn bump_readers(&self) {
        self.reader_generation.fetch_add(1, Ordering::AcqRel);
    }
}

impl crate::Store {
    /// Connections taken from the pool since the store was opened: one per
    /// statement outside a transaction, one per transaction.
    pub fn round_trips(&self) -> u64 {
        self.live.acquires.load(Ordering::Relaxed)
    }

    /// The reader generation (see the module docs). Read it *before*
    /// reading the rows a remembered value is made from.
    pub fn reader_generation(&self) -> u64 {
        self.live.reader_generation.load(Ordering::Acquire)
    }

    /// Moves the reader generation: a change event with [`READERS_KEY`]
    /// was applied (a write on another node or process).
    pub fn reader_state_changed(&self) {
        self.live.bump_readers();
    }
}
