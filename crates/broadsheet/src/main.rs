//! The `broadsheet` binary: parses the command line and runs the command
//! (see `lib.rs`), printing a one-line error and exiting non-zero on failure.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = broadsheet::cli::Cli::parse();
    init_logging();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(broadsheet::run(cli));
    log_writer::settle();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let spec = std::env::var("BROADSHEET_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok();
    let filter = broadsheet::log_filter(spec.as_deref());
    let json = std::env::var("BROADSHEET_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour_logs())
        .with_writer(log_writer::Background::start());
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Colour codes in log lines only when stderr is a terminal (a file, a pipe
/// or journald would keep the escape codes as text), and never when
/// `NO_COLOR` is set (<https://no-color.org>).
fn colour_logs() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Log lines (an access line per request at `info`) are handed to a
/// background thread that writes them to stderr in batches, so a request
/// never waits for a write. If the thread falls 16,384 lines behind, new
/// lines are dropped rather than slowing requests (and counted in
/// `broadsheet_log_lines_dropped_total`).
mod log_writer {
    use std::io::Write;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

    /// Lines handed over and not yet written.
    static PENDING: AtomicUsize = AtomicUsize::new(0);

    /// Waits (up to half a second) until every line handed over is written.
    pub fn settle() {
        for _ in 0..250 {
            if PENDING.load(Ordering::Acquire) == 0 {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    pub struct Background {
        tx: SyncSender<Vec<u8>>,
    }

    impl Background {
        pub fn start() -> Background {
            let (tx, rx) = sync_channel::<Vec<u8>>(16_384);
            let spawned = std::thread::Builder::new()
                .name("log-writer".into())
                .spawn(move || drain(rx));
            if spawned.is_err() {
                eprintln!("warning: cannot start the log writer thread; log lines will be lost");
            }
            Background { tx }
        }
    }

    fn drain(rx: Receiver<Vec<u8>>) {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr());
        while let Ok(line) = rx.recv() {
            let _ = out.write_all(&line);
            let mut n = 1;
            // Take whatever else is waiting, then write it all at once.
            while let Ok(more) = rx.try_recv() {
                let _ = out.write_all(&more);
                n += 1;
            }
            let _ = out.flush();
            PENDING.fetch_sub(n, Ordering::AcqRel);
        }
    }

    pub struct Line {
        buf: Vec<u8>,
        tx: SyncSender<Vec<u8>>,
    }

    impl Write for Line {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.buf.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Drop for Line {
        fn drop(&mut self) {
            if self.buf.is_empty() {
                return;
            }
            PENDING.fetch_add(1, Ordering::AcqRel);
            if let Err(e) = self.tx.try_send(std::mem::take(&mut self.buf)) {
                PENDING.fetch_sub(1, Ordering::AcqRel);
                if matches!(e, TrySendError::Full(_)) {
                    metrics::counter!("broadsheet_log_lines_dropped_total").increment(1);
                }
            }
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Background {
        type Writer = Line;
        fn make_writer(&'a self) -> Line {
            Line {
                buf: Vec::with_capacity(256),
                tx: self.tx.clone(),
            }
        }
    }
}
