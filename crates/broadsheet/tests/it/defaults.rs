//! Safe defaults of `broadsheet serve` (issue 11, item 5), through the real
//! binary: the base URL follows the listen address, a non-loopback address
//! without `--base-url` is refused, a first start with `--no-demo` names the
//! command that makes the first admin, logs carry no colour codes when
//! stderr is not a terminal, and the "generated and fictional" notice is on
//! a demo paper only.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::support::{TestResult, database_url};

fn broadsheet(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_broadsheet"))
        .args(args)
        .env_remove("BROADSHEET_DATABASE_URL")
        .env_remove("BROADSHEET_CONFIG")
        .env_remove("BROADSHEET_BASE_URL")
        .env_remove("BROADSHEET_METRICS_LISTEN")
        .env("BROADSHEET_LOG", "warn")
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!("cannot run broadsheet: {e}"),
    }
}

fn free_port() -> Result<u16, Box<dyn std::error::Error>> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// `GET path` on `addr`; the whole answer (head and body).
fn get(addr: &str, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// A `broadsheet serve` on 127.0.0.1 with stdout and stderr going to files
/// (not a terminal); killed when dropped.
struct Server {
    child: Child,
    addr: String,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Server {
    fn start(extra: &[&str], dir: &Path, log: &str) -> Result<Server, Box<dyn std::error::Error>> {
        let addr = format!("127.0.0.1:{}", free_port()?);
        let tag = rand::random::<u32>();
        let stdout = dir.join(format!("serve-{tag}.out"));
        let stderr = dir.join(format!("serve-{tag}.err"));
        let child = Command::new(env!("CARGO_BIN_EXE_broadsheet"))
            .args(["serve", "--listen", &addr])
            .args(extra)
            .env_remove("BROADSHEET_CONFIG")
            .env_remove("BROADSHEET_BASE_URL")
            .env_remove("BROADSHEET_METRICS_LISTEN")
            .env_remove("NO_COLOR")
            .env("BROADSHEET_LOG", log)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout)?)
            .stderr(std::fs::File::create(&stderr)?)
            .spawn()?;
        let server = Server {
            child,
            addr,
            stdout,
            stderr,
        };
        for _ in 0..300 {
            if get(&server.addr, "/healthz").is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "the server did not start: {} {}",
            server.stdout(),
            server.stderr()
        )
        .into())
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const NOTICE: &str = "generated and fictional";

/// Without `--base-url`, canonical and `robots.txt` links name the address
/// the server listens on, not 127.0.0.1:8080.
#[tokio::test]
async fn base_url_follows_the_listen_address() -> TestResult {
    let dir = tempfile::tempdir()?;
    let url = database_url(dir.path()).await?;
    let d = dir.path().to_str().ok_or("path")?;
    let made = broadsheet(&[
        "demo",
        "--stories",
        "3",
        "--data-dir",
        d,
        "--database-url",
        &url,
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let server = Server::start(
        &["--data-dir", d, "--database-url", &url],
        dir.path(),
        "warn",
    )?;
    let me = format!("http://{}", server.addr);
    let robots = get(&server.addr, "/robots.txt").ok_or("no robots.txt")?;
    assert!(robots.contains(&format!("{me}\n")), "{robots}");
    let home = get(&server.addr, "/").ok_or("no home page")?;
    assert!(
        home.contains(&format!("<link rel=\"canonical\" href=\"{me}/\"")),
        "{home}"
    );
    for page in [&robots, &home] {
        if !server.addr.ends_with(":8080") {
            assert!(!page.contains("127.0.0.1:8080"), "{page}");
        }
    }
    // An explicit base URL wins.
    drop(server);
    let server = Server::start(
        &[
            "--data-dir",
            d,
            "--database-url",
            &url,
            "--base-url",
            "https://news.example.com",
        ],
        dir.path(),
        "warn",
    )?;
    let robots = get(&server.addr, "/robots.txt").ok_or("no robots.txt")?;
    assert!(robots.contains("https://news.example.com\n"), "{robots}");
    assert!(!robots.contains(&server.addr), "{robots}");
    Ok(())
}

/// A public listen address without `--base-url` is refused before anything
/// listens, with one line that says what to pass.
#[test]
fn public_listen_without_base_url_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let d = dir.path().to_str().ok_or("path")?;
    let port = free_port()?.to_string();
    let listen = format!("0.0.0.0:{port}");
    let out = broadsheet(&["serve", "--no-demo", "--listen", &listen, "--data-dir", d]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "started on {listen}: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    for needle in [
        "error: ",
        listen.as_str(),
        "not a loopback address",
        "--base-url https://",
    ] {
        assert!(lines[0].contains(needle), "{needle:?} not in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    // Nothing listens there.
    assert!(TcpStream::connect(("127.0.0.1", port.parse::<u16>()?)).is_err());
    Ok(())
}

/// A first start with `--no-demo` prints the exact command that makes the
/// first admin; the paper shows no demo notice; logs written to a file carry
/// no ANSI colour codes.
#[tokio::test]
async fn first_start_without_demo_names_the_admin_command_and_logs_plain_text() -> TestResult {
    let dir = tempfile::tempdir()?;
    let url = database_url(dir.path()).await?;
    let d = dir.path().to_str().ok_or("path")?;
    let server = Server::start(
        &["--no-demo", "--data-dir", d, "--database-url", &url],
        dir.path(),
        "info",
    )?;
    let home = get(&server.addr, "/").ok_or("no home page")?;
    assert!(home.starts_with("HTTP/1.1 200"), "{home}");
    assert!(!home.contains(NOTICE), "demo notice on a --no-demo paper");
    let out = server.stdout();
    assert!(
        out.contains(
            "broadsheet user add NAME --name \"First Last\" --email you@example.com --role admin"
        ),
        "{out}"
    );
    let err = server.stderr();
    assert!(err.contains("serving"), "no log lines at info: {err}");
    assert!(
        !err.contains('\u{1b}'),
        "colour codes in a log file: {err:?}"
    );
    Ok(())
}

/// A demo paper says its stories are generated, also after a restart.
#[tokio::test]
async fn demo_paper_carries_the_notice() -> TestResult {
    let dir = tempfile::tempdir()?;
    let url = database_url(dir.path()).await?;
    let d = dir.path().to_str().ok_or("path")?;
    let made = broadsheet(&[
        "demo",
        "--stories",
        "3",
        "--data-dir",
        d,
        "--database-url",
        &url,
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let server = Server::start(
        &["--data-dir", d, "--database-url", &url],
        dir.path(),
        "warn",
    )?;
    let home = get(&server.addr, "/").ok_or("no home page")?;
    assert!(home.contains(NOTICE), "{home}");
    Ok(())
}
