//! engawa-headend: the operator's command line (declared in `cli.rs`).

use std::process::ExitCode;

use clap::Parser;
use engawa_headend::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                // The benchmark prints its own numbers; a log line per request
                // would drown them (and slow the server it measures).
                let bench = matches!(cli.command, Command::Bench(_));
                tracing_subscriber::EnvFilter::new(if bench { "warn" } else { "info" })
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("engawa-headend: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(engawa_headend::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("engawa-headend: {e:#}");
            ExitCode::FAILURE
        }
    }
}
