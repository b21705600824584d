//! All SQL lives here: the schema (one migration folder per backend), the
//! queries, and the mapping of database errors to [`StoreError`].
//!
//! SQLite and PostgreSQL coexist through [`Db`], an enum of the two native
//! sqlx pools. Queries are written once in portable SQL (`$1` placeholders,
//! which SQLite also reads by number; integers for times and flags) and run
//! on whichever pool is open via the `with_pool!` macro, which expands the
//! same code once per backend so each arm is type-checked against its own
//! driver. Where the dialects differ, a query matches on [`Db`] itself.
//! Writes that belong together are composed by the app on one [`Tx`]
//! (`Store::begin`), where the audit row and change event are written once.

mod admin_api;
pub use admin_api::{ApiTokenRow, DeliveryRow, TokenHolder, WebhookRow};
// Newsletters (issue 13 item 5).
mod newsletters;
mod wire;
pub use newsletters::{
    IssueRow, NewsletterRow, NewsletterSubscriptionRow, SendJob, SuppressionRow,
};
pub use wire::{AgencyFields, AgencyRow, QuarantineRow, WireContent, WireFilter, WireItemRow};
mod comments;
mod corrections;
mod curation;
mod demo_mark;
mod error;
mod live;
mod newsroom;
mod paywall;
mod queries;
mod readers;
mod signin;
mod social;
mod subscriptions;
mod taxonomy;
mod traffic;
mod tx;
// Feeds and sitemaps (issue 13).
mod feeds;
// Live pages (issue 12 item 5).
mod live_pages;
// Search (issue 13).
mod search;
// The Content API's reads (issue 13).
mod content_api;
pub use content_api::{PublicAuthor, PublicTag, StoryFilters};

pub use comments::*;
pub use corrections::*;
pub use curation::FrontSlot;
pub use error::StoreError;
pub use live::{COMMENTER_KEY_PREFIX, READERS_KEY};
pub use newsroom::*;
pub use paywall::*;
pub use queries::*;
pub use readers::*;
pub use social::*;
pub use subscriptions::*;
pub use taxonomy::*;
pub use traffic::*;
pub use tx::{StoryState, Tx};
// Feeds and sitemaps (issue 13).
pub use feeds::*;
// Comment reactions, featured comments, ignore lists, badges (issue 12).
mod comment_extras;
pub use comment_extras::*;
// Live pages (issue 12 item 5).
pub use live_pages::{LiveState, LiveUpdate};

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The open database, one of the two backends. Private to the store:
/// callers get [`Store`] methods and [`Tx`].
#[derive(Clone, Debug)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same expression against whichever pool is open, binding the
/// pool to `$p`.
macro_rules! with_pool {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($p) => $body,
            $crate::Db::Postgres($p) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Which backend a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "database URL {:?} is neither sqlite:… nor postgres://…: use sqlite:///path/to/paper.db or postgres://user@host/db",
                redact(url)
            )))
        }
    }
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub url: String,
    /// Create the SQLite file if it does not exist.
    pub create: bool,
    pub max_connections: u32,
}

/// The store: a handle on the database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    live: live::SharedLive,
}

impl Store {
    /// Opens (and for SQLite, optionally creates) the database. Errors are
    /// phrased for the operator: what is wrong and what to do.
    pub async fn open(opts: &OpenOptions) -> Result<Store, StoreError> {
        let live = live::SharedLive::default();
        let db = match Backend::of_url(&opts.url)? {
            Backend::Sqlite => Db::Sqlite(open_sqlite(opts, &live).await?),
            Backend::Postgres => Db::Postgres(open_postgres(opts, &live).await?),
        };
        Ok(Store { db, live })
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.db {
            Db::Sqlite(p) => SQLITE_MIGRATIONS
                .run(p)
                .await
                .map_err(StoreError::migrate)?,
            Db::Postgres(p) => POSTGRES_MIGRATIONS
                .run(p)
                .await
                .map_err(StoreError::migrate)?,
        }
        Ok(())
    }

    pub async fn close(&self) {
        with_pool!(&self.db, p => p.close().await)
    }
}

async fn open_sqlite(
    opts: &OpenOptions,
    live: &live::SharedLive,
) -> Result<SqlitePool, StoreError> {
    let conn = SqliteConnectOptions::from_str(&opts.url)
        .map_err(|e| StoreError::Config(format!("bad SQLite URL {:?}: {e}", opts.url)))?;
    let file = conn.get_filename().to_path_buf();
    if !opts.create && !file.exists() {
        return Err(StoreError::Missing(format!(
            "database file {} does not exist: run `broadsheet migrate` (empty paper) or `broadsheet demo` (demo paper) to create it, or check --database-url",
            file.display()
        )));
    }
    if opts.create
        && let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Config(format!(
                "cannot create data directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    let conn = conn
        .create_if_missing(opts.create)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a commit is durable before we acknowledge it (SECURITY.md rule 7).
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("cache_size", "-4000");
    let (l1, l2) = (live.clone(), live.clone());
    let pool = SqlitePoolOptions::new()
        .after_connect(move |_, _| {
            l1.acquired();
            Box::pin(async { Ok(()) })
        })
        .before_acquire(move |_, _| {
            l2.acquired();
            Box::pin(async { Ok(true) })
        })
        .max_connections(opts.max_connections.max(1))
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(conn)
        .await
        .map_err(|e| sqlite_open_error(&file, e))?;
    // Touch the schema so a file that is not a database fails here, clearly.
    sqlx::query("SELECT count(*) FROM sqlite_master")
        .fetch_one(&pool)
        .await
        .map_err(|e| sqlite_open_error(&file, e))?;
    Ok(pool)
}

fn sqlite_open_error(file: &Path, e: sqlx::Error) -> StoreError {
    let text = e.to_string();
    if text.contains("not a database") || text.contains("malformed") || text.contains("corrupt") {
        StoreError::Corrupt(format!(
            "{} is not a readable Broadsheet database (the file is damaged or not SQLite): restore it from a backup, or move it aside and run `broadsheet demo` for a fresh demo paper",
            file.display()
        ))
    } else if text.contains("unable to open")
        || text.contains("readonly")
        || text.contains("permission")
    {
        StoreError::Unavailable(format!(
            "cannot open database file {}: check that its directory exists and is writable by this user",
            file.display()
        ))
    } else {
        StoreError::Unavailable(format!(
            "cannot open database file {}: {text}",
            file.display()
        ))
    }
}

async fn open_postgres(opts: &OpenOptions, live: &live::SharedLive) -> Result<PgPool, StoreError> {
    let conn = PgConnectOptions::from_str(&opts.url).map_err(|e| {
        StoreError::Config(format!("bad PostgreSQL URL {:?}: {e}", redact(&opts.url)))
    })?;
    let (l1, l2) = (live.clone(), live.clone());
    PgPoolOptions::new()
        .after_connect(move |_, _| {
            l1.acquired();
            Box::pin(async { Ok(()) })
        })
        .before_acquire(move |_, _| {
            l2.acquired();
            Box::pin(async { Ok(true) })
        })
        .max_connections(opts.max_connections.max(1))
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(conn)
        .await
        .map_err(|e| {
            StoreError::Unavailable(format!(
                "cannot connect to PostgreSQL at {}: {} — is the server running, and are the host, port, user and database in --database-url right?",
                redact(&opts.url),
                e.as_database_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string())
            ))
        })
}

/// Hides a password in a database URL.
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((cred, host)) = rest.split_once('@')
    {
        let user = cred.split(':').next().unwrap_or("");
        return format!("{scheme}://{user}@{host}");
    }
    url.to_string()
}
