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
    /// A unique constraint was violated (e.g. `sections_path_key`): the
    /// name is PostgreSQL's, and SQLite's columns are mapped to it.
    #[error("constraint {0} violated")]
    Conflict(String),
    /// A foreign key was violated: the row referred to does not exist (it was
    /// deleted meanwhile, or never was). The constraint's name on
    /// PostgreSQL; empty on SQLite, which does not say which key.
    #[error("foreign key {0:?} violated")]
    Reference(String),
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
    ("story_authors.story_id", "story_authors_pkey"),
    ("story_tags.story_id", "story_tags_pkey"),
    ("tag_redirects.slug", "tag_redirects_pkey"),
    ("newsletters.slug", "newsletters_slug_key"),
];

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        let Some(db) = e.as_database_error() else {
            return StoreError::Database(e);
        };
        match db.kind() {
            sqlx::error::ErrorKind::UniqueViolation => {
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
                StoreError::Database(e)
            }
            sqlx::error::ErrorKind::ForeignKeyViolation => {
                StoreError::Reference(db.constraint().unwrap_or("").to_string())
            }
            _ => StoreError::Database(e),
        }
    }
}
