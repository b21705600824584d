//! `broadsheet serve`: start, serve, and shut down without losing anything.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use broadsheet_app::App;
use broadsheet_web::{Web, WebOptions};

use crate::config::Settings;

pub async fn serve(s: Settings, demo_if_empty: bool) -> Result<(), String> {
    let started = Instant::now();
    // Bind first: a port in use is reported before any slow work.
    let listener = tokio::net::TcpListener::bind(s.listen).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            format!(
                "cannot listen on {}: the address is already in use; stop the other server or choose another address with --listen",
                s.listen
            )
        } else {
            format!("cannot listen on {}: {e}; choose another address with --listen", s.listen)
        }
    })?;
    let store = crate::open(&s, true).await?;
    if demo_if_empty && store.is_empty().await.map_err(|e| e.to_string())? {
        println!("empty database: making the demo paper (once)…");
        let summary = crate::make_demo(
            &store,
            broadsheet_app::demo::DEFAULT_STORIES,
            broadsheet_app::demo::DEFAULT_SEED,
        )
        .await?;
        println!(
            "demo paper: {} stories, {} comments, {} views",
            summary.stories, summary.comments, summary.views
        );
    }
    let app = App::new(store.clone(), s.paper.clone())
        .await
        .map_err(|e| e.to_string())?;
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| format!("cannot start metrics: {e}"))?;
    let web = Web::new(
        app.clone(),
        WebOptions {
            cache_bytes: s.page_cache_bytes,
            metrics: Some(metrics),
            esi: s.esi,
        },
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let jobs = app.spawn_jobs(stop_rx);

    println!(
        "{} is at http://{} ({}), ready in {:.2} s",
        s.paper.name,
        s.listen,
        broadsheet_store::redact(&s.database_url),
        started.elapsed().as_secs_f64()
    );
    tracing::info!(listen = %s.listen, "serving");
    let banner_store = store.clone();
    tokio::spawn(async move { crate::print_demo_logins(&banner_store).await });

    let (signal_tx, signal_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(
        listener,
        web.router()
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = signal_rx.await;
    });
    let mut server = tokio::spawn(async move { server.await });
    tokio::select! {
        r = &mut server => {
            return Err(match r {
                Ok(Ok(())) => "the server stopped unexpectedly".to_string(),
                Ok(Err(e)) => format!("the server stopped: {e}"),
                Err(e) => format!("the server stopped: {e}"),
            });
        }
        () = shutdown_signal() => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
    let _ = signal_tx.send(());
    // Requests in flight get a few seconds; idle connections close at once.
    if tokio::time::timeout(Duration::from_secs(8), &mut server)
        .await
        .is_err()
    {
        tracing::warn!("requests still running after 8 s; stopping anyway");
        server.abort();
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
    tracing::info!("stopped");
    Ok(())
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
