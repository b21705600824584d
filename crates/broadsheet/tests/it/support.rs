//! A demo paper on a fresh database, and helpers to make requests.

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use broadsheet_app::{App, PaperConfig};
use broadsheet_store::{OpenOptions, Store};
use broadsheet_web::{Web, WebOptions};
use http_body_util::BodyExt;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower::ServiceExt;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

#[allow(dead_code)]
pub struct Paper {
    pub app: App,
    pub web: Web,
    pub router: Router,
    pub url: TestDb,
    /// The demo staff's random passwords, as `make_demo` gave them.
    pub logins: Vec<broadsheet_app::demo::DemoLogin>,
    _dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

fn metrics() -> PrometheusHandle {
    static H: OnceLock<PrometheusHandle> = OnceLock::new();
    H.get_or_init(|| match PrometheusBuilder::new().install_recorder() {
        Ok(h) => h,
        Err(e) => panic!("metrics recorder: {e}"),
    })
    .clone()
}

pub fn backend() -> String {
    std::env::var("BROADSHEET_TEST_BACKEND").unwrap_or_else(|_| "sqlite".into())
}

/// One test's database: a SQLite file in the test's directory, or a fresh
/// PostgreSQL database that is dropped when this value is (so a run leaves
/// no databases behind). Derefs to the database URL.
pub struct TestDb {
    url: String,
    /// (admin URL, database name) for PostgreSQL.
    drop: Option<(String, String)>,
}

impl std::ops::Deref for TestDb {
    type Target = String;
    fn deref(&self) -> &String {
        &self.url
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.drop.take() else {
            return;
        };
        // Drop runs inside the test's runtime: do the async work on a thread
        // of its own, and wait for it. FORCE ends the pool's connections.
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await?;
                Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
            })
            .map_err(|e| std::io::Error::other(e.to_string()))
        })
        .join();
        if let Ok(Err(e)) = done {
            eprintln!("could not drop test database: {e}");
        }
    }
}

/// A database for one test: a new SQLite file, or a new PostgreSQL database.
pub async fn database_url(dir: &std::path::Path) -> Result<TestDb, Box<dyn std::error::Error>> {
    database_url_for(&backend(), dir).await
}

/// A database on the named backend (`sqlite` or `postgres`).
pub async fn database_url_for(
    backend: &str,
    dir: &std::path::Path,
) -> Result<TestDb, Box<dyn std::error::Error>> {
    if backend == "postgres" {
        let admin = std::env::var("BROADSHEET_TEST_DATABASE_URL")
            .map_err(|_| "BROADSHEET_TEST_BACKEND=postgres needs BROADSHEET_TEST_DATABASE_URL")?;
        let name = format!("bs_test_{:016x}", rand::random::<u64>());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .ok_or("bad admin URL")?;
        Ok(TestDb {
            url: format!("{base}/{name}"),
            drop: Some((admin, name)),
        })
    } else {
        Ok(TestDb {
            url: format!("sqlite://{}", dir.join("paper.db").display()),
            drop: None,
        })
    }
}

/// The demo paper (seed 7) as `broadsheet demo` makes it, its pictures
/// drawn once per test process for each number of stories: nearly every
/// test makes a paper, and drawing and encoding the same pictures again was
/// most of a test's time. The demo's clock is fixed for the process to
/// match (pictures are drawn for their stories, whose dates follow it).
pub async fn make_demo(
    store: &Store,
    stories: usize,
) -> Result<broadsheet_app::demo::DemoSummary, Box<dyn std::error::Error>> {
    use broadsheet_app::demo::{self, DemoPictures};
    type Drawn = std::sync::Arc<OnceLock<Result<DemoPictures, String>>>;
    static DRAWN: OnceLock<std::sync::Mutex<std::collections::HashMap<usize, Drawn>>> =
        OnceLock::new();
    static DEMO_NOW: OnceLock<i64> = OnceLock::new();
    let spec = broadsheet_demo::DemoSpec {
        seed: 7,
        stories,
        now: *DEMO_NOW.get_or_init(broadsheet_app::now),
    };
    let cell: Drawn = DRAWN
        .get_or_init(Default::default)
        .lock()
        .map_err(|e| e.to_string())?
        .entry(stories)
        .or_default()
        .clone();
    // The first test to ask draws; the others wait for it.
    let pictures = tokio::task::spawn_blocking(move || {
        cell.get_or_init(|| {
            demo::draw_pictures(spec, demo::Renditions::All).map_err(|e| e.to_string())
        })
        .clone()
    })
    .await??;
    Ok(demo::load_with_pictures(store, pictures).await?)
}

pub async fn store(url: &str) -> Result<Store, Box<dyn std::error::Error>> {
    let store = Store::open(&OpenOptions {
        url: url.to_string(),
        create: true,
        max_connections: 8,
    })
    .await?;
    store.migrate().await?;
    Ok(store)
}

impl Paper {
    /// A demo paper with `stories` stories.
    pub async fn demo(stories: usize) -> Result<Paper, Box<dyn std::error::Error>> {
        Paper::demo_with(stories, PaperConfig::default()).await
    }

    pub async fn demo_with(
        stories: usize,
        config: PaperConfig,
    ) -> Result<Paper, Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let url = database_url(dir.path()).await?;
        let store = store(&url).await?;
        let summary = make_demo(&store, stories).await?;
        let app = App::new(store, config).await?;
        let web = Web::new(
            app.clone(),
            WebOptions {
                cache_bytes: 0,
                metrics: Some(metrics()),
                metrics_token: None,
                esi: false,
                sse_max_connections: 0,
            },
        );
        let router = web.router();
        Ok(Paper {
            app,
            web,
            router,
            url,
            logins: summary.staff,
            _dir: dir,
        })
    }

    /// The password a demo staff member was given (empty if unknown).
    pub fn password(&self, username: &str) -> String {
        self.logins
            .iter()
            .find(|l| l.username == username)
            .map(|l| l.password.clone())
            .unwrap_or_default()
    }

    pub async fn get(&self, path: &str) -> Result<Reply, Box<dyn std::error::Error>> {
        self.request(path, &[]).await
    }

    pub async fn request(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Reply, Box<dyn std::error::Error>> {
        self.send("GET", path, Body::empty(), headers).await
    }

    /// POSTs a URL-encoded form body.
    pub async fn post(
        &self,
        path: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> Result<Reply, Box<dyn std::error::Error>> {
        let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        self.send("POST", path, Body::from(body.to_string()), &all)
            .await
    }

    /// POSTs raw bytes; `headers` must name the content type.
    pub async fn post_bytes(
        &self,
        path: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, Box<dyn std::error::Error>> {
        self.send("POST", path, Body::from(body), headers).await
    }

    /// One request through the router, in-process.
    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Body,
        headers: &[(&str, &str)],
    ) -> Result<Reply, Box<dyn std::error::Error>> {
        send_to(&self.router, method, path, body, headers).await
    }
}

impl Paper {
    /// Path of a published story matching `pred`.
    pub async fn story_where(
        &self,
        pred: impl Fn(&broadsheet_domain::Story) -> bool,
    ) -> Result<broadsheet_domain::Story, Box<dyn std::error::Error>> {
        let cards = self
            .app
            .store()
            .cards(broadsheet_store::Listing::All, 1000, 0)
            .await?;
        for c in cards {
            if let Some(s) = self.app.store().story(c.id).await?
                && pred(&s)
            {
                return Ok(s);
            }
        }
        Err("no story matches".into())
    }

    pub fn path_of(&self, s: &broadsheet_domain::Story) -> String {
        broadsheet_domain::permalink::story_path(
            self.app.sections().path(s.section_id),
            &s.slug,
            s.id,
        )
    }
}

/// Every `href="…"` in a page.
pub fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect()
}

/// The text between the first `start` and the next `end` after it.
pub fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let Some(i) = html.find(start) else { return "" };
    let rest = &html[i..];
    let j = rest.find(end).unwrap_or(rest.len());
    &rest[..j]
}

/// A staff member of `role` as the app layer's use cases take one (for
/// tests that call use cases directly rather than through a signed-in
/// browser session).
pub async fn staff_of_role(
    p: &Paper,
    role: &str,
) -> Result<broadsheet_app::newsroom::Staff, Box<dyn std::error::Error>> {
    let (username, _, _) = p
        .app
        .store()
        .staff()
        .await?
        .into_iter()
        .find(|(_, _, r)| r == role)
        .ok_or_else(|| format!("the demo has no {role}"))?;
    let acct = p
        .app
        .store()
        .author_by_username(&username)
        .await?
        .ok_or("no such account")?;
    Ok(broadsheet_app::newsroom::Staff {
        id: acct.id,
        username: acct.username,
        display_name: acct.display_name,
        role: acct.role.parse()?,
        csrf: String::new(),
    })
}

/// One request through `router`, in-process.
pub async fn send_to(
    router: &Router,
    method: &str,
    path: &str,
    body: Body,
    headers: &[(&str, &str)],
) -> Result<Reply, Box<dyn std::error::Error>> {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = router.clone().oneshot(req.body(body)?).await?;
    let status = res.status();
    let headers = res.headers().clone();
    let streaming = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    let bytes = if streaming {
        // An event stream never ends: what it sends in its first moments.
        let mut body = res.into_body();
        let mut got = Vec::new();
        let until = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
        while let Ok(Some(frame)) = tokio::time::timeout_at(until, body.frame()).await {
            if let Ok(d) = frame?.into_data() {
                got.extend_from_slice(&d);
            }
        }
        got.into()
    } else {
        res.into_body().collect().await?.to_bytes()
    };
    Ok(Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}
