//! `broadsheet serve`: start, serve, and shut down without losing anything.
//!
//! Connections are accepted here rather than by `axum::serve`, because that
//! gives no header-read timeout: each connection is HTTP/1.1 through hyper
//! with [`HEADER_READ_TIMEOUT`] (a client that sends half a request and waits
//! gets 408 and a closed connection), and the peer address goes into every
//! request as `ConnectInfo<SocketAddr>` for the web crate's `ClientIp`. Request
//! time and body size limits per route are the web layer's (`layers.rs`).
//!
//! Shutdown (SIGTERM or Ctrl-C): stop accepting, close idle keep-alive
//! connections at once, let requests in flight finish for up to
//! [`SHUTDOWN_GRACE`], then stop the jobs, write the queued views and close
//! the database.
//!
//! A demo paper is made only on an empty database, and only on a loopback
//! listen address unless the operator asks for it by name: its staff logins
//! would otherwise be open to the network.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use broadsheet_app::App;
use broadsheet_web::{AccessFormat, Web, WebOptions};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Settings;

/// How long a client may take to send a request line and its headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long requests in flight may run on after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// Whether `serve` makes the demo paper on an empty database.
#[derive(Debug, Clone, Copy)]
pub struct DemoPolicy {
    /// Not `--no-demo`.
    pub make_if_empty: bool,
    /// `--demo-on-public-address`: allowed on a non-loopback listen address.
    pub on_public_address: bool,
}

async fn bind(addr: SocketAddr, option: &str) -> Result<TcpListener, String> {
    TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            format!(
                "cannot listen on {addr}: the address is already in use; stop the other server or choose another address with {option}"
            )
        } else {
            format!("cannot listen on {addr}: {e}; choose another address with {option}")
        }
    })
}

pub async fn serve(s: Settings, demo: DemoPolicy) -> Result<(), String> {
    let started = Instant::now();
    let store = crate::open(&s, true).await?;
    // Empty means no sections and no staff: a paper whose first admin was
    // made with `user add` is not wiped for a demo.
    let no_staff = store.staff().await.map_err(|e| e.to_string())?.is_empty();
    let empty = no_staff && store.is_empty().await.map_err(|e| e.to_string())?;
    // Refused before listening: the demo's logins never face the network.
    if empty && demo.make_if_empty && !s.listen.ip().is_loopback() && !demo.on_public_address {
        store.close().await;
        return Err(format!(
            "the database is empty and {} is not a loopback address, so no demo paper is made: \
             its staff logins would be open to the network. Make the first admin with \
             `broadsheet user add NAME --name \"First Last\" --email you@example.com --role admin` \
             and start with --no-demo, or pass --demo-on-public-address to make the demo anyway",
            s.listen
        ));
    }
    if let Err(e) = check_base_url(&s) {
        store.close().await;
        return Err(e);
    }
    // Bind before the slow work: a port in use is reported at once.
    let listener = bind(s.listen, "--listen").await?;
    let metrics_listener = match s.metrics_listen {
        Some(addr) => Some(bind(addr, "--metrics-listen").await?),
        None => None,
    };
    let mut made_demo = false;
    if empty && demo.make_if_empty {
        println!("empty database: making the demo paper (once)…");
        let summary = crate::make_demo(
            &store,
            broadsheet_app::demo::DEFAULT_STORIES,
            broadsheet_app::demo::DEFAULT_SEED,
            // WebP and crops come from the start-up backfill job, after the
            // doors open.
            broadsheet_app::demo::Renditions::JpegFirst,
        )
        .await?;
        println!(
            "demo paper: {} stories, {} comments, {} views",
            summary.stories, summary.comments, summary.views
        );
        crate::print_staff(&summary.staff);
        made_demo = true;
    }
    if no_staff && !made_demo {
        crate::print_first_admin_hint();
    }
    let mut paper = s.paper.clone();
    paper.demo_paper = store.is_demo_paper().await.map_err(|e| e.to_string())?;
    // Search (issue 13): this node's index, on its own disk.
    paper.search_dir = Some(broadsheet_app::search::default_dir(&s.data_dir));
    // Wire ingest (issue 14): a drop folder per agency, `<data-dir>/wire/<slug>/`.
    paper.wire.dir = Some(s.data_dir.join("wire"));
    let app = App::new(store.clone(), paper)
        .await
        .map_err(|e| e.to_string())?;
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| format!("cannot start metrics: {e}"))?;
    let mut web = Web::new(
        app.clone(),
        WebOptions {
            cache_bytes: s.page_cache_bytes,
            metrics: Some(metrics),
            metrics_token: s.metrics_token.clone(),
            esi: s.esi,
            sse_max_connections: s.sse_max_connections,
        },
    );
    // The access log: on when its target logs at info (BROADSHEET_LOG),
    // written by its own thread (see broadsheet_web::access).
    if tracing::enabled!(target: "broadsheet::access", tracing::Level::INFO) {
        let json =
            std::env::var("BROADSHEET_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
        web.start_access_log(if json {
            AccessFormat::Json
        } else {
            AccessFormat::Text
        });
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let jobs = app.spawn_jobs(stop_rx);

    println!(
        "{} is at http://{} ({}), ready in {:.2} s",
        s.paper.name,
        s.listen,
        broadsheet_store::redact(&s.database_url),
        started.elapsed().as_secs_f64()
    );
    if let Some(m) = s.metrics_listen {
        println!("metrics are at http://{m}/metrics");
    }
    tracing::info!(listen = %s.listen, "serving");

    let (http_stop_tx, http_stop_rx) = watch::channel(false);
    let mut server = tokio::spawn(serve_connections(
        listener,
        web.service(),
        http_stop_rx.clone(),
    ));
    let metrics_server = metrics_listener
        .map(|l| tokio::spawn(serve_connections(l, web.metrics_router(), http_stop_rx)));
    tokio::select! {
        r = &mut server => {
            return Err(match r {
                Ok(()) => "the server stopped unexpectedly".to_string(),
                Err(e) => format!("the server stopped: {e}"),
            });
        }
        () = shutdown_signal() => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
    let _ = http_stop_tx.send(true);
    // Open Server-Sent Events streams end now (issue 12).
    web.live.close();
    // `serve_connections` bounds its own drain; this only guards against a bug.
    let guard = SHUTDOWN_GRACE + Duration::from_secs(1);
    if tokio::time::timeout(guard, &mut server).await.is_err() {
        server.abort();
    }
    if let Some(mut m) = metrics_server
        && tokio::time::timeout(guard, &mut m).await.is_err()
    {
        m.abort();
    }
    let _ = stop_tx.send(true);
    for j in jobs {
        let _ = tokio::time::timeout(Duration::from_secs(2), j).await;
    }
    // The flush loop writes what is queued when it stops; make sure.
    if let Err(e) = app.flush_views().await {
        tracing::error!(error = %e, backlog = app.views().backlog(), "could not write the last views");
    }
    store.close().await;
    web.access_log().settle(Duration::from_secs(1));
    tracing::info!("stopped");
    Ok(())
}

/// Refuses a non-loopback listen address without a base URL (a loopback one
/// gets `http://LISTEN` from `config::default_base_url`). Refused rather than
/// warned about: behind a proxy or a DNS name the server cannot know the
/// address readers use, and a wrong one goes into every canonical link,
/// share link, `robots.txt` and mailed link, where search engines and
/// readers keep it long after a warning scrolled by.
fn check_base_url(s: &Settings) -> Result<(), String> {
    if s.paper.base_url.is_some() {
        return Ok(());
    }
    Err(format!(
        "{} is not a loopback address and no base URL is set, so canonical, share and robots.txt \
         links would not say where readers find the paper: pass --base-url with the address \
         readers use, such as --base-url https://news.example.com (or set BROADSHEET_BASE_URL, \
         or base_url in the config file)",
        s.listen
    ))
}

/// Accepts connections on `listener` and serves `router` on each until `stop`
/// turns true; then stops accepting, lets requests in flight finish (idle
/// connections close at once) for up to [`SHUTDOWN_GRACE`], and aborts what
/// is left.
async fn serve_connections<S>(listener: TcpListener, service: S, mut stop: watch::Receiver<bool>)
where
    S: tower::Service<
            axum::extract::Request,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.wait_for(|s| *s) => break,
        };
        // Forget connections that have ended.
        while connections.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: wait a moment rather
                // than spin, and keep serving the connections already open.
                tracing::warn!(error = %e, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                // Always ready (no back-pressure): call directly.
                tower::Service::call(&mut service.clone(), req.map(axum::body::Body::new))
            });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        connections.spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still running after {} s; stopping anyway",
            SHUTDOWN_GRACE.as_secs()
        );
        connections.abort_all();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
