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
    match rt.block_on(broadsheet::run(cli)) {
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
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
