//! Checks of the code's shape that ARCHITECTURE.md promises: every module
//! says what it is for, only the store knows SQL and its pool, and the web
//! crate reaches data only through the app layer.

use std::path::{Path, PathBuf};

use crate::support::TestResult;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// The `[dependencies]` part of a crate's manifest (tests may use more).
fn dependencies(krate: &str) -> Result<String, Box<dyn std::error::Error>> {
    let manifest =
        std::fs::read_to_string(workspace().join("crates").join(krate).join("Cargo.toml"))?;
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .unwrap_or("")
        .split("\n[")
        .next()
        .unwrap_or("")
        .to_string();
    Ok(deps)
}

fn sources(krate: &str) -> Result<Vec<(PathBuf, String)>, Box<dyn std::error::Error>> {
    let mut files = Vec::new();
    rust_files(
        &workspace().join("crates").join(krate).join("src"),
        &mut files,
    )?;
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)?;
        out.push((f, text));
    }
    Ok(out)
}

const CRATES: [&str; 6] = [
    "broadsheet",
    "broadsheet-app",
    "broadsheet-demo",
    "broadsheet-domain",
    "broadsheet-store",
    "broadsheet-web",
];

#[test]
fn every_module_starts_with_a_doc_comment() -> TestResult {
    let mut missing = Vec::new();
    for krate in CRATES {
        for (path, text) in sources(krate)? {
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            if !first.starts_with("//!") {
                missing.push(path.display().to_string());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "modules without a `//!` doc comment saying what they are for: {missing:?}"
    );
    Ok(())
}

#[test]
fn the_web_crate_reaches_data_only_through_the_app() -> TestResult {
    let manifest = dependencies("broadsheet-web")?;
    assert!(
        !manifest.contains("broadsheet-store"),
        "broadsheet-web must not depend on broadsheet-store: call an app function instead"
    );
    for (path, text) in sources("broadsheet-web")? {
        assert!(
            !text.contains("broadsheet_store") && !text.contains(".store()"),
            "{} reaches into the store: call an app function instead",
            path.display()
        );
    }
    Ok(())
}

#[test]
fn only_the_store_knows_sql_and_its_pools() -> TestResult {
    for krate in CRATES.iter().filter(|k| **k != "broadsheet-store") {
        let manifest = dependencies(krate)?;
        assert!(
            !manifest.lines().any(|l| l.trim_start().starts_with("sqlx")),
            "{krate} depends on sqlx: only broadsheet-store runs SQL"
        );
        for (path, text) in sources(krate)? {
            for needle in [
                "with_pool!",
                "sqlx::",
                "store::Db",
                "Db::Sqlite",
                "Db::Postgres",
            ] {
                assert!(
                    !text.contains(needle),
                    "{} names {needle}: only broadsheet-store runs SQL",
                    path.display()
                );
            }
        }
    }
    Ok(())
}

#[test]
fn only_the_web_crate_knows_http() -> TestResult {
    for krate in [
        "broadsheet-app",
        "broadsheet-domain",
        "broadsheet-store",
        "broadsheet-demo",
    ] {
        let manifest = dependencies(krate)?;
        for dep in ["axum", "tower", "hyper", "http"] {
            assert!(
                !manifest
                    .lines()
                    .any(|l| l.trim_start().starts_with(&format!("{dep}."))
                        || l.trim_start().starts_with(&format!("{dep} "))),
                "{krate} depends on {dep}: only broadsheet-web (and the binary) speak HTTP"
            );
        }
    }
    Ok(())
}

#[test]
fn the_domain_crate_does_no_io() -> TestResult {
    for (path, text) in sources("broadsheet-domain")? {
        for needle in ["std::fs", "std::net", "tokio", "std::process"] {
            assert!(
                !text.contains(needle),
                "{} uses {needle}: the domain crate does no I/O",
                path.display()
            );
        }
    }
    Ok(())
}
