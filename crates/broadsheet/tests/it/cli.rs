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

fn broadsheet_stdin(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = match Command::new(env!("CARGO_BIN_EXE_broadsheet"))
        .args(args)
        .env_remove("BROADSHEET_DATABASE_URL")
        .env_remove("BROADSHEET_CONFIG")
        .env("BROADSHEET_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!("cannot run broadsheet: {e}"),
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    match child.wait_with_output() {
        Ok(o) => o,
        Err(e) => panic!("broadsheet did not finish: {e}"),
    }
}

#[tokio::test]
async fn staff_accounts_on_the_command_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let url = database_url(dir.path()).await?;
    let d = dir.path().to_str().ok_or("path")?;
    let with = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        v.extend(
            ["--data-dir", d, "--database-url", url.as_str()]
                .iter()
                .map(|s| s.to_string()),
        );
        v
    };
    let run = |extra: &[&str]| {
        let args = with(extra);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        broadsheet(&refs)
    };
    // The demo prints one login per role, and those logins work.
    let demo = run(&["demo", "--stories", "5"]);
    let text = String::from_utf8_lossy(&demo.stdout).to_string();
    for role in ["admin", "editor", "reporter", "contributor", "moderator"] {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(role) && l.contains("password")),
            "no {role} login: {text}"
        );
    }
    let store = crate::support::store(&url).await?;
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("editor"))
        .ok_or("no editor line")?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let (user, password) = (words[1], words[3]);
    let acct = store
        .author_by_username(user)
        .await?
        .ok_or("no such user")?;
    assert!(broadsheet_app::accounts::verify_password(
        password,
        acct.password_hash.as_deref().unwrap_or("")
    ));

    // add: a generated password, stored as an argon2id hash.
    let out = run(&[
        "user",
        "add",
        "jo.bloggs",
        "--name",
        "Jo Bloggs",
        "--email",
        "jo@example.com",
        "--role",
        "reporter",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    let generated = said
        .rsplit("password: ")
        .next()
        .map(str::trim)
        .ok_or("no password")?
        .to_string();
    let jo = store
        .author_by_username("jo.bloggs")
        .await?
        .ok_or("jo missing")?;
    assert_eq!(jo.role, "reporter");
    let hash = jo.password_hash.clone().unwrap_or_default();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(&generated));
    assert!(broadsheet_app::accounts::verify_password(&generated, &hash));
    one_line_error(
        &run(&[
            "user",
            "add",
            "jo.bloggs",
            "--name",
            "Jo Two",
            "--email",
            "j2@example.com",
            "--role",
            "reporter",
        ]),
        "already a user called jo.bloggs",
    );
    one_line_error(
        &run(&[
            "user",
            "add",
            "sam",
            "--name",
            "Sam",
            "--email",
            "s@example.com",
            "--role",
            "owner",
        ]),
        "unknown role",
    );
    // role
    assert!(
        run(&["user", "role", "jo.bloggs", "editor"])
            .status
            .success()
    );
    assert_eq!(
        store.author_by_username("jo.bloggs").await?.map(|a| a.role),
        Some("editor".into())
    );
    one_line_error(
        &run(&["user", "role", "nobody", "editor"]),
        "no user called nobody",
    );
    // reset, from standard input; a short password is refused and nothing changes.
    let args = with(&["user", "reset", "jo.bloggs", "--password-stdin"]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    one_line_error(&broadsheet_stdin(&refs, "short\n"), "too short");
    assert_eq!(
        store
            .author_by_username("jo.bloggs")
            .await?
            .and_then(|a| a.password_hash),
        Some(hash.clone())
    );
    assert!(
        broadsheet_stdin(&refs, "a much longer passphrase\n")
            .status
            .success()
    );
    let after = store
        .author_by_username("jo.bloggs")
        .await?
        .and_then(|a| a.password_hash)
        .unwrap_or_default();
    assert!(broadsheet_app::accounts::verify_password(
        "a much longer passphrase",
        &after
    ));
    assert!(!broadsheet_app::accounts::verify_password(
        &generated, &after
    ));
    let list = run(&["user", "list"]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("jo.bloggs"));
    Ok(())
}

fn http_get(addr: &str, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// Scheduled publishing survives a restart: a story falls due while no server
/// runs; the next `serve` publishes it within seconds of starting.
#[tokio::test]
async fn scheduled_story_publishes_after_a_restart() -> TestResult {
    let dir = tempfile::tempdir()?;
    let url = database_url(dir.path()).await?;
    let d = dir.path().to_str().ok_or("path")?;
    let out = broadsheet(&[
        "demo",
        "--stories",
        "5",
        "--data-dir",
        d,
        "--database-url",
        &url,
    ]);
    assert!(out.status.success());
    let store = crate::support::store(&url).await?;
    let editor = store
        .staff()
        .await?
        .into_iter()
        .find(|(_, _, r)| r == "editor")
        .ok_or("no editor")?
        .0;
    let ed = store
        .author_by_username(&editor)
        .await?
        .ok_or("no editor")?;
    let section = store
        .sections()
        .await?
        .first()
        .map(|s| s.id)
        .ok_or("no section")?;
    let edit = broadsheet_store::StoryEdit {
        section_id: section,
        headline: "Night ferry timetable published".into(),
        standfirst: String::new(),
        body: "Text.".into(),
        byline_text: None,
        access: broadsheet_domain::Access::Free,
        breaking: false,
        seo_title: String::new(),
        seo_description: String::new(),
        tags: Vec::new(),
        authors: Vec::new(),
        lead_picture_id: None,
    };
    let now = broadsheet_app::now();
    // Due a moment ago, while no server was running.
    use broadsheet_domain::StoryStatus::{Draft, Scheduled};
    let mut tx = store.begin().await?;
    let id = tx
        .insert_draft(&edit, "night-ferry-timetable-published", Some(ed.id), now)
        .await?;
    tx.set_story_authors(id, &[ed.id]).await?;
    assert!(
        tx.move_story(id, Draft, None, Scheduled, Some(now - 1), now)
            .await?
    );
    tx.commit().await?;
    store.close().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_broadsheet"))
        .args([
            "serve",
            "--no-demo",
            "--listen",
            &addr,
            "--data-dir",
            d,
            "--database-url",
            &url,
        ])
        .env("BROADSHEET_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let mut seen = false;
    for _ in 0..100 {
        if http_get(&addr, "/").is_some_and(|b| b.contains("Night ferry timetable published")) {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen, "the scheduled story was published after the restart");
    Ok(())
}

#[tokio::test]
async fn the_suppression_list_on_the_command_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let url = database_url(dir.path()).await?;
    let d = dir.path().to_str().ok_or("path")?;
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = extra.to_vec();
        args.extend(["--data-dir", d, "--database-url", url.as_str()]);
        broadsheet(&args)
    };
    assert!(run(&["migrate"]).status.success());
    let added = run(&["mail", "suppress", "Complainer@Example.com"]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let list = String::from_utf8_lossy(&run(&["mail", "suppressed"]).stdout).to_string();
    assert!(list.contains("complainer@example.com\tcomplaint"), "{list}");
    let store = crate::support::store(&url).await?;
    assert!(store.is_suppressed("complainer@example.com").await?);
    // Refusals are one clear line.
    one_line_error(
        &run(&["mail", "suppress", "not an address"]),
        "is not an email address",
    );
    one_line_error(
        &run(&["mail", "suppress", "a@example.com", "--reason", "spite"]),
        "Say why",
    );
    assert!(
        run(&["mail", "unsuppress", "complainer@example.com"])
            .status
            .success()
    );
    assert!(!store.is_suppressed("complainer@example.com").await?);
    one_line_error(
        &run(&["mail", "unsuppress", "complainer@example.com"]),
        "not on the list",
    );
    Ok(())
}

/// Wire ingest (issue 14) from the command line: an agency set up, files
/// ingested with a line for each item, a broken file quarantined with a
/// clear error.
#[tokio::test]
async fn agency_copy_on_the_command_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let url = database_url(dir.path()).await?;
    let d = dir.path().to_str().ok_or("path")?;
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = extra.to_vec();
        args.extend(["--data-dir", d, "--database-url", url.as_str()]);
        broadsheet(&args)
    };
    assert!(run(&["demo", "--stories", "3"]).status.success());
    let added = run(&[
        "agency",
        "add",
        "clico",
        "--name",
        "Cli Co",
        "--byline",
        "Cli Co",
        "--section",
        "news",
        "--mode",
        "auto",
    ]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    one_line_error(
        &run(&[
            "agency",
            "add",
            "clico",
            "--name",
            "x",
            "--byline",
            "x",
            "--section",
            "news",
        ]),
        "already",
    );
    one_line_error(
        &run(&[
            "agency",
            "add",
            "other",
            "--name",
            "x",
            "--byline",
            "x",
            "--section",
            "nowhere",
        ]),
        "no section",
    );
    let list = String::from_utf8_lossy(&run(&["agency", "list"]).stdout).to_string();
    assert!(list.contains("clico\tCli Co\tauto\tnews"), "{list}");
    let good = dir.path().join("good.json");
    std::fs::write(
        &good,
        crate::wire::ninjs(
            "urn:cli:1",
            1,
            "Night ferry returns",
            &["The night ferry returns on Monday."],
            serde_json::json!({}),
        ),
    )?;
    let bad = dir.path().join("bad.xml");
    std::fs::write(&bad, "<newsItem><oops>")?;
    let out = run(&["ingest", "--agency", "clico", good.to_str().ok_or("p")?]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("urn:cli:1 version 1: published (story "),
        "{said}"
    );
    let again = run(&["ingest", "--agency", "clico", good.to_str().ok_or("p")?]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("duplicate"));
    let out = run(&["ingest", "--agency", "clico", bad.to_str().ok_or("p")?]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("quarantined"));
    one_line_error(&out, "quarantined");
    one_line_error(
        &run(&["ingest", "--agency", "nobody", good.to_str().ok_or("p")?]),
        "no agency",
    );
    let store = crate::support::store(&url).await?;
    assert_eq!(store.quarantine_count().await?, 1);
    Ok(())
}

/// Kill -9 in the middle of ingesting a run of versions of one item: the
/// story is always one whole version (headline, text and the wire's record
/// agree), never a mix; ingesting again finishes the run.
#[tokio::test]
async fn a_kill_during_ingest_leaves_one_whole_version() -> TestResult {
    let dir = tempfile::tempdir()?;
    let url = database_url(dir.path()).await?;
    let d = dir.path().to_str().ok_or("path")?.to_string();
    let base = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        args.extend([
            "--data-dir".into(),
            d.clone(),
            "--database-url".into(),
            url.to_string(),
        ]);
        args
    };
    let run = |extra: &[&str]| {
        let args = base(extra);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        broadsheet(&refs)
    };
    assert!(run(&["demo", "--stories", "2"]).status.success());
    assert!(
        run(&[
            "agency",
            "add",
            "killco",
            "--name",
            "Kill Co",
            "--byline",
            "Kill Co",
            "--section",
            "news",
            "--mode",
            "auto"
        ])
        .status
        .success()
    );
    const N: i64 = 150;
    let mut files = Vec::new();
    for v in 1..=N {
        let f = dir.path().join(format!("v{v:03}.json"));
        let text = format!("Text of version {v} of the item.");
        std::fs::write(
            &f,
            crate::wire::ninjs(
                "urn:kill:1",
                v,
                &format!("Headline of version {v}"),
                &[&text, "A second paragraph."],
                serde_json::json!({}),
            ),
        )?;
        files.push(f.to_string_lossy().to_string());
    }
    let store = crate::support::store(&url).await?;
    let check = |label: String| {
        let store = store.clone();
        async move {
            let Some(a) = store.agency_by_slug("killco").await? else {
                return Err::<i64, Box<dyn std::error::Error>>("agency".into());
            };
            let Some(row) = store.wire_item_by_key(a.id, "urn:kill:1").await? else {
                return Ok(0);
            };
            let id = row.story_id.ok_or("no story")?;
            let s = store.story(id).await?.ok_or("story")?;
            let v = row.content.version;
            assert_eq!(s.headline, format!("Headline of version {v}"), "{label}");
            assert_eq!(
                s.standfirst,
                format!("Text of version {v} of the item."),
                "{label}"
            );
            assert_eq!(s.body, "A second paragraph.", "{label}");
            let revs = store.revisions(id).await?;
            assert_eq!(
                revs.first().map(|r| r.headline.clone()),
                Some(s.headline.clone()),
                "{label}"
            );
            Ok(v)
        }
    };
    // Each round starts the whole run again (what was ingested is skipped
    // as older or duplicate) and is killed once the story has passed a
    // version, so the kill lands mid-run, not after it.
    let version_now = || {
        let store = store.clone();
        async move {
            let a = store.agency_by_slug("killco").await?.ok_or("agency")?;
            Ok::<i64, Box<dyn std::error::Error>>(
                store
                    .wire_item_by_key(a.id, "urn:kill:1")
                    .await?
                    .map_or(0, |r| r.content.version),
            )
        }
    };
    let mut reached = Vec::new();
    for (round, past) in [10i64, 50, 100].into_iter().enumerate() {
        let mut args = base(&["ingest", "--agency", "killco"]);
        args.extend(files.iter().cloned());
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_broadsheet"))
            .args(&args)
            .env_remove("BROADSHEET_DATABASE_URL")
            .env_remove("BROADSHEET_CONFIG")
            .env("BROADSHEET_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let started = std::time::Instant::now();
        while version_now().await? < past && started.elapsed() < std::time::Duration::from_secs(60)
        {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        // SIGKILL: no shutdown, no flush.
        child.kill()?;
        let _ = child.wait();
        let v = check(format!("after kill {round} past version {past}")).await?;
        assert!(
            v >= past && v < N,
            "round {round}: the kill did not land mid-run (at {v})"
        );
        reached.push(v);
    }
    let out = run(&{
        let mut a = vec!["ingest", "--agency", "killco"];
        a.extend(files.iter().map(String::as_str));
        a
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        check("after finishing".into()).await?,
        N,
        "killed at versions {reached:?}"
    );
    Ok(())
}
