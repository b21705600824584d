//! Store errors, with database constraint violations mapped in one place.

/// What can go wrong in the store. The messages of `Config`, `Missing`,
/// `Corrupt` and `Unavailable` are written for the operator; `Database` is
/// internal and must never reach a client.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Missing(String),
    #[error("{0}")]
    Corrupt(String),
    #[error("{0}")]
    Unavailable(String),
    /// A named constraint was violated (e.g. `tags_slug_key`).
    #[error("constraint {0} violated")]
    Conflict(String),
    #[error("database migration failed: {0}")]
    Migrate(String),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    pub(crate) fn migrate(e: sqlx::migrate::MigrateError) -> StoreError {
        let text = e.to_string();
        if text.contains("not a database") {
            StoreError::Corrupt(
                "the database file is damaged or not SQLite: restore it from a backup, or move it aside and run `broadsheet demo`".into(),
            )
        } else if text.contains("was previously applied but is missing") {
            StoreError::Migrate(format!(
                "{text}: this database was migrated by a newer Broadsheet; run that version"
            ))
        } else {
            StoreError::Migrate(text)
        }
    }
}

/// SQLite names no constraint ("UNIQUE constraint failed: tags.slug"), so its
/// table.column pairs are mapped to the names PostgreSQL reports.
const SQLITE_UNIQUE: &[(&str, &str)] = &[
    ("tags.slug", "tags_slug_key"),
    ("authors.username", "authors_username_key"),
    ("authors.slug", "authors_slug_key"),
    ("sections.path", "sections_path_key"),
    ("editors_picks.position", "editors_picks_pkey"),
];

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        if let Some(db) = e.as_database_error() {
            if let Some(name) = db.constraint() {
                return StoreError::Conflict(name.to_string());
            }
            let msg = db.message();
            if let Some(cols) = msg.strip_prefix("UNIQUE constraint failed: ") {
                let first = cols.split(',').next().unwrap_or("").trim();
                if let Some((_, name)) = SQLITE_UNIQUE.iter().find(|(c, _)| *c == first) {
                    return StoreError::Conflict((*name).to_string());
                }
            }
        }
        StoreError::Database(e)
    }
}
