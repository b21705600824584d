//! The binary's command line: clear one-line errors, never a panic trace.

use std::process::{Command, Output};

use crate::support::{TestResult, backend, database_url};

fn broadsheet(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_broadsheet"))
        .args(args)
        .env_remove("BROADSHEET_DATABASE_URL")
        .env_remove("BROADSHEET_CONFIG")
        .env("BROADSHEET_LOG", "warn")
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!("cannot run broadsheet: {e}"),
    }
}

/// The command failed with exactly one line on stderr that mentions `needle`.
fn one_line_error(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "expected failure, got success; stderr: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "panic trace: {err}"
    );
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(lines[0].contains(needle), "{needle:?} not in: {err}");
}

#[test]
fn help_documents_every_option_and_environment_variable() {
    let out = broadsheet(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for s in [
        "serve",
        "migrate",
        "demo",
        "reindex",
        "story",
        "picks",
        "--data-dir",
        "--database-url",
        "--config",
        "BROADSHEET_DATA_DIR",
        "BROADSHEET_DATABASE_URL",
        "BROADSHEET_CONFIG",
        "BROADSHEET_TIME_ZONE",
        "BROADSHEET_MOST_READ_WINDOW_HOURS",
        "BROADSHEET_LOG",
    ] {
        assert!(text.contains(s), "--help lacks {s}");
    }
    let serve = broadsheet(&["serve", "--help"]);
    assert!(String::from_utf8_lossy(&serve.stdout).contains("BROADSHEET_LISTEN"));
}

#[test]
fn unknown_config_key_is_refused_by_name() -> TestResult {
    let dir = tempfile::tempdir()?;
    let cfg = dir.path().join("broadsheet.toml");
    std::fs::write(&cfg, "paper_name = \"The Gazette\"\nlisten_port = 80\n")?;
    let out = broadsheet(&[
        "migrate",
        "--config",
        cfg.to_str().ok_or("path")?,
        "--data-dir",
        dir.path().to_str().ok_or("path")?,
    ]);
    one_line_error(&out, "listen_port");
    Ok(())
}

#[test]
fn bad_values_say_what_to_use() -> TestResult {
    let dir = tempfile::tempdir()?;
    let d = dir.path().to_str().ok_or("path")?;
    one_line_error(
        &broadsheet(&["migrate", "--data-dir", d, "--time-zone", "Mars/Olympus"]),
        "IANA",
    );
    one_line_error(
        &broadsheet(&["serve", "--data-dir", d, "--listen", "nowhere"]),
        "127.0.0.1:8080",
    );
    one_line_error(
        &broadsheet(&["migrate", "--database-url", "mysql://x/y"]),
        "postgres://",
    );
    Ok(())
}

#[test]
fn missing_database_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let d = dir.path().join("empty");
    let out = broadsheet(&[
        "story",
        "withdraw",
        "1",
        "--data-dir",
        d.to_str().ok_or("path")?,
    ]);
    one_line_error(&out, "does not exist");
    Ok(())
}

#[test]
fn corrupt_database_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("broadsheet.db"), vec![0x42_u8; 8192])?;
    let out = broadsheet(&["reindex", "--data-dir", dir.path().to_str().ok_or("path")?]);
    one_line_error(&out, "not a readable Broadsheet database");
    Ok(())
}

#[test]
fn port_in_use() -> TestResult {
    let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = taken.local_addr()?.to_string();
    let dir = tempfile::tempdir()?;
    let out = broadsheet(&[
        "serve",
        "--listen",
        &addr,
        "--data-dir",
        dir.path().to_str().ok_or("path")?,
    ]);
    one_line_error(&out, "already in use");
    Ok(())
}

#[tokio::test]
async fn demo_withdraw_restore_picks_and_reindex_on_the_command_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let url = database_url(dir.path()).await?;
    let d = dir.path().to_str().ok_or("path")?;
    let base = ["--data-dir", d, "--database-url", url.as_str()];
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = extra.to_vec();
        args.extend_from_slice(&base);
        broadsheet(&args)
    };
    let out = run(&["demo", "--stories", "15"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("15 stories") && text.contains("editor"),
        "{text}"
    );
    let store = crate::support::store(&url).await?;
    let id = store
        .cards(broadsheet_store::Listing::All, 1, 0)
        .await?
        .first()
        .map(|c| c.id)
        .ok_or("no story")?;
    let ids = id.to_string();
    assert!(run(&["story", "withdraw", &ids]).status.success());
    assert_eq!(
        store.story(id).await?.map(|s| s.status),
        Some(broadsheet_domain::StoryStatus::Withdrawn)
    );
    assert!(run(&["story", "restore", &ids]).status.success());
    assert_eq!(
        store.story(id).await?.map(|s| s.status),
        Some(broadsheet_domain::StoryStatus::Published)
    );
    one_line_error(
        &run(&["story", "withdraw", "987654321"]),
        "no story 987654321",
    );
    assert!(run(&["picks", "set", &ids]).status.success());
    assert_eq!(store.editors_picks().await?, vec![id]);
    let shown = run(&["picks", "show"]);
    assert!(String::from_utf8_lossy(&shown.stdout).starts_with(&format!("1. {id} ")));
    one_line_error(
        &run(&["picks", "set", "987654321"]),
        "not a published story",
    );
    let re = run(&["reindex"]);
    assert!(
        re.status.success(),
        "{}",
        String::from_utf8_lossy(&re.stderr)
    );
    let _ = backend();
    Ok(())
}
