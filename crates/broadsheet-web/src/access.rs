//! The access log, off the request path.
//!
//! A request only fills an [`AccessRecord`] (method, path, status, bytes,
//! microseconds, client address, request id: a few copies of what is at
//! hand) and hands it to a bounded channel; a background thread formats the
//! lines (text like the other log lines, or JSON) and writes them to stderr
//! in batches, one write per batch, every 20 ms at most (a writer woken by
//! each request would cost each request a wake-up). When the thread falls
//! [`QUEUE`] records behind, new records are dropped rather than slowing
//! requests, and counted (`broadsheet_access_log_dropped_total` in
//! `/metrics`).
//!
//! It is on when the `broadsheet::access` target logs at `info`
//! (`BROADSHEET_LOG=info`, the default), which `broadsheet serve` checks once
//! at start ([`AccessLog::start`]); a [`crate::Web`] made without it (tests)
//! writes no access lines.

use std::io::Write;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, SystemTime};

use axum::http::{Method, Uri};

/// Records waiting for the writer at most.
pub const QUEUE: usize = 16_384;

/// Lines formatted per write at most.
const BATCH: usize = 512;

/// One request, as the access line will tell it.
#[derive(Debug, Clone)]
pub struct AccessRecord {
    pub at: SystemTime,
    pub method: Method,
    /// The request target (only its path is written).
    pub uri: Uri,
    pub route: &'static str,
    pub status: u16,
    /// Body bytes sent (0 when not known in advance).
    pub bytes: u64,
    pub micros: u64,
    pub client: Option<IpAddr>,
    pub request_id: String,
}

/// How lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessFormat {
    /// `2026-11-30T15:00:00.000000Z  INFO broadsheet::access: request method=GET …`
    Text,
    /// One JSON object per line, shaped like the other JSON log lines.
    Json,
}

struct Inner {
    tx: SyncSender<AccessRecord>,
    pending: Arc<AtomicUsize>,
    dropped: AtomicU64,
}

/// The handle requests push to. Cheap to clone; off when made with
/// [`AccessLog::off`].
#[derive(Clone, Default)]
pub struct AccessLog {
    inner: Option<Arc<Inner>>,
}

impl AccessLog {
    /// No access lines.
    pub fn off() -> AccessLog {
        AccessLog { inner: None }
    }

    /// Starts the writer thread. If the thread cannot start, the log is off
    /// (and says so once).
    pub fn start(format: AccessFormat) -> AccessLog {
        Self::start_with(format, Box::new(std::io::stderr()))
    }

    /// Starts the writer thread writing to `out` (tests use a buffer).
    pub fn start_with(format: AccessFormat, out: Box<dyn Write + Send>) -> AccessLog {
        let (tx, rx) = sync_channel::<AccessRecord>(QUEUE);
        let pending = Arc::new(AtomicUsize::new(0));
        let p = pending.clone();
        let spawned = std::thread::Builder::new()
            .name("access-log".into())
            .spawn(move || drain(rx, format, out, &p));
        if spawned.is_err() {
            tracing::warn!("cannot start the access log thread; no access lines will be written");
            return AccessLog::off();
        }
        AccessLog {
            inner: Some(Arc::new(Inner {
                tx,
                pending,
                dropped: AtomicU64::new(0),
            })),
        }
    }

    /// True when records are taken.
    pub fn is_on(&self) -> bool {
        self.inner.is_some()
    }

    /// Hands a record to the writer; drops (and counts) it if the writer is
    /// [`QUEUE`] behind.
    pub fn push(&self, record: AccessRecord) {
        let Some(inner) = &self.inner else {
            return;
        };
        inner.pending.fetch_add(1, Ordering::AcqRel);
        if let Err(e) = inner.tx.try_send(record) {
            inner.pending.fetch_sub(1, Ordering::AcqRel);
            if matches!(e, TrySendError::Full(_)) {
                inner.dropped.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("broadsheet_access_log_dropped_total").increment(1);
            }
        }
    }

    /// Records dropped because the writer was behind.
    pub fn dropped(&self) -> u64 {
        self.inner
            .as_ref()
            .map_or(0, |i| i.dropped.load(Ordering::Relaxed))
    }

    /// Waits (up to `limit`) until every record handed over is written: at
    /// shutdown, so the last requests' lines are not lost.
    pub fn settle(&self, limit: Duration) {
        let Some(inner) = &self.inner else {
            return;
        };
        let until = std::time::Instant::now() + limit;
        while inner.pending.load(Ordering::Acquire) > 0 && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

fn drain(
    rx: Receiver<AccessRecord>,
    format: AccessFormat,
    mut out: Box<dyn Write + Send>,
    pending: &AtomicUsize,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    while let Ok(first) = rx.recv() {
        buf.clear();
        write_line(&mut buf, &first, format);
        let mut n = 1;
        // Take whatever else is waiting (up to a batch), then write it all at once.
        while n < BATCH {
            match rx.try_recv() {
                Ok(r) => {
                    write_line(&mut buf, &r, format);
                    n += 1;
                }
                Err(_) => break,
            }
        }
        let _ = out.write_all(&buf);
        let _ = out.flush();
        pending.fetch_sub(n, Ordering::AcqRel);
        if n < BATCH {
            // Let the next records gather before looking again. A writer
            // that waits in `recv` is woken by every push (a futex call on
            // the request path and a switch of threads per request: a
            // quarter of the throughput on two cores); a sleeping one is
            // not, and finds them all queued when it wakes.
            std::thread::sleep(GATHER);
        }
    }
}

/// How long the writer lets records gather between writes: lines reach the
/// log at most this late; at [`QUEUE`] records per gathering the queue
/// holds 800,000 requests a second.
const GATHER: Duration = Duration::from_millis(20);

/// Appends one line (with its newline) for `r` to `buf`.
pub fn write_line(buf: &mut Vec<u8>, r: &AccessRecord, format: AccessFormat) {
    let at = jiff::Timestamp::try_from(r.at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let client = r.client.map(|c| c.to_string()).unwrap_or_default();
    match format {
        AccessFormat::Text => {
            let _ = writeln!(
                buf,
                "{at:.6}  INFO broadsheet::access: request request_id={} method={} path={} route={} status={} bytes={} micros={} client={}",
                r.request_id,
                r.method,
                r.uri.path(),
                r.route,
                r.status,
                r.bytes,
                r.micros,
                client
            );
        }
        AccessFormat::Json => {
            let line = serde_json::json!({
                "timestamp": format!("{at:.6}"),
                "level": "INFO",
                "target": "broadsheet::access",
                "fields": {
                    "message": "request",
                    "request_id": r.request_id,
                    "method": r.method.as_str(),
                    "path": r.uri.path(),
                    "route": r.route,
                    "status": r.status,
                    "bytes": r.bytes,
                    "micros": r.micros,
                    "client": client,
                }
            });
            let _ = serde_json::to_writer(&mut *buf, &line);
            buf.push(b'\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn record(path: &str) -> AccessRecord {
        AccessRecord {
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            method: Method::GET,
            uri: path.parse().expect("uri"),
            route: "story",
            status: 200,
            bytes: 31_000,
            micros: 87,
            client: Some("198.51.100.7".parse().expect("ip")),
            request_id: "abc-1".into(),
        }
    }

    #[test]
    fn lines_are_written_by_the_thread_in_both_formats() {
        for (format, want) in [
            (
                AccessFormat::Text,
                "2023-11-14T22:13:20.000000Z  INFO broadsheet::access: request request_id=abc-1 method=GET path=/news/x-1 route=story status=200 bytes=31000 micros=87 client=198.51.100.7\n",
            ),
            (
                AccessFormat::Json,
                r#"{"fields":{"bytes":31000,"client":"198.51.100.7","message":"request","method":"GET","micros":87,"path":"/news/x-1","request_id":"abc-1","route":"story","status":200},"level":"INFO","target":"broadsheet::access","timestamp":"2023-11-14T22:13:20.000000Z"}"#,
            ),
        ] {
            let out = Shared::default();
            let log = AccessLog::start_with(format, Box::new(out.clone()));
            assert!(log.is_on());
            log.push(record("/news/x-1?utm=1"));
            log.settle(Duration::from_secs(5));
            let got = String::from_utf8(out.0.lock().expect("lock").clone()).expect("utf8");
            assert_eq!(got.trim_end(), want.trim_end(), "{format:?}");
            assert_eq!(log.dropped(), 0);
        }
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_waiting() {
        // A writer that blocks until released: the queue fills behind it.
        struct Gate(Arc<Mutex<()>>);
        impl Write for Gate {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                drop(self.0.lock().expect("lock"));
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let gate = Arc::new(Mutex::new(()));
        let held = gate.lock().expect("lock");
        let log = AccessLog::start_with(AccessFormat::Text, Box::new(Gate(gate.clone())));
        let started = std::time::Instant::now();
        for _ in 0..(QUEUE + BATCH + 100) {
            log.push(record("/"));
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "pushing never waits"
        );
        assert!(log.dropped() >= 100, "dropped {}", log.dropped());
        drop(held);
        log.settle(Duration::from_secs(5));
        assert!(!AccessLog::off().is_on());
    }
}
