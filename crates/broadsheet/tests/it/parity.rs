//! The two backends' schemas are twins: the same migration files, and after
//! migrating, the same tables, columns, named constraints and indexes. The
//! SQLite side always runs; the PostgreSQL side runs where the test run has
//! a PostgreSQL server (`BROADSHEET_TEST_DATABASE_URL`), as in CI's
//! PostgreSQL stage.

use std::collections::BTreeSet;
use std::path::Path;

use sqlx::Row;

use crate::support::{TestDb, TestResult, store};

fn migration_names(backend: &str) -> Result<BTreeSet<String>, Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../broadsheet-store/migrations")
        .join(backend);
    let mut names = BTreeSet::new();
    for e in std::fs::read_dir(dir)? {
        names.insert(e?.file_name().to_string_lossy().into_owned());
    }
    Ok(names)
}

/// Tables, `table.column`s, named constraints and indexes of a schema.
#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    tables: BTreeSet<String>,
    columns: BTreeSet<String>,
    constraints: BTreeSet<String>,
    indexes: BTreeSet<String>,
}

async fn sqlite_schema(url: &str) -> Result<Schema, Box<dyn std::error::Error>> {
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(url).await?;
    let mut s = Schema::default();
    let tables = sqlx::query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await?;
    for t in tables {
        let name: String = t.try_get("name")?;
        let sql: String = t.try_get("sql")?;
        for word in sql.split("CONSTRAINT ").skip(1) {
            let c: String = word
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            s.constraints.insert(c);
        }
        let cols = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{name}')"
        )))
        .fetch_all(&mut conn)
        .await?;
        for c in cols {
            let col: String = c.try_get("name")?;
            s.columns.insert(format!("{name}.{col}"));
        }
        s.tables.insert(name);
    }
    let idx = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'",
    )
    .fetch_all(&mut conn)
    .await?;
    for i in idx {
        s.indexes.insert(i.try_get("name")?);
    }
    Ok(s)
}

async fn postgres_schema(url: &str) -> Result<Schema, Box<dyn std::error::Error>> {
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url).await?;
    let mut s = Schema::default();
    let rows = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await?;
    for r in rows {
        let t: String = r.try_get("t")?;
        let c: String = r.try_get("c")?;
        s.columns.insert(format!("{t}.{c}"));
        s.tables.insert(t);
    }
    // Named unique and check constraints (primary and foreign keys are named
    // by PostgreSQL itself and are not part of the error contract).
    let rows = sqlx::query(
        "SELECT conname::text AS n FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
         WHERE n.nspname = 'public' AND c.contype IN ('u', 'c')",
    )
    .fetch_all(&mut conn)
    .await?;
    for r in rows {
        s.constraints.insert(r.try_get("n")?);
    }
    // Indexes made with CREATE INDEX (not those behind a constraint).
    let rows = sqlx::query(
        "SELECT indexname::text AS n FROM pg_indexes WHERE schemaname = 'public' \
         AND tablename <> '_sqlx_migrations' \
         AND indexname NOT IN (SELECT conname FROM pg_constraint)",
    )
    .fetch_all(&mut conn)
    .await?;
    for r in rows {
        s.indexes.insert(r.try_get("n")?);
    }
    Ok(s)
}

#[test]
fn both_backends_have_the_same_migration_files() -> TestResult {
    assert_eq!(migration_names("sqlite")?, migration_names("postgres")?);
    Ok(())
}

#[tokio::test]
async fn both_backends_migrate_to_the_same_schema() -> TestResult {
    let dir = tempfile::tempdir()?;
    let lite_url = format!("sqlite://{}", dir.path().join("parity.db").display());
    store(&lite_url).await?.close().await;
    let lite = sqlite_schema(&lite_url).await?;
    assert!(lite.tables.contains("stories") && lite.columns.contains("stories.status"));
    assert!(lite.constraints.contains("authors_username_key"));
    if std::env::var("BROADSHEET_TEST_DATABASE_URL").is_err() {
        eprintln!("no PostgreSQL server in this run: compared the SQLite side only");
        return Ok(());
    }
    let pg: TestDb = postgres_database(dir.path()).await?;
    store(&pg).await?.close().await;
    let pg = postgres_schema(&pg).await?;
    assert_eq!(lite.tables, pg.tables, "tables differ between backends");
    assert_eq!(lite.columns, pg.columns, "columns differ between backends");
    assert_eq!(
        lite.constraints, pg.constraints,
        "named constraints differ between backends (they are the error contract)"
    );
    assert_eq!(lite.indexes, pg.indexes, "indexes differ between backends");
    Ok(())
}

/// A PostgreSQL test database whatever the run's backend.
async fn postgres_database(dir: &Path) -> Result<TestDb, Box<dyn std::error::Error>> {
    crate::support::database_url_for("postgres", dir).await
}
