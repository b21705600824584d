//! Broadsheet's domain: the newspaper's types and the pure rules over them.
//!
//! Nothing here does IO: no database, no HTTP, no clock (times are passed in as
//! unix seconds). Everything is testable with plain values.

pub mod actor;
pub mod comments;
pub mod markup;
pub mod model;
pub mod newsletters;
pub mod permalink;
pub mod permissions;
pub mod ranking;
pub mod readers;
pub mod time;
pub mod wire;
pub mod workflow;

pub use actor::Actor;
pub use model::*;
pub use readers::{EntitlementSource, ReaderAccount};
