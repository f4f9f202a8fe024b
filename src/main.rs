//! The `cdb-hub` binary: parses the command line, validates the settings and runs.

use std::process::ExitCode;

use clap::Parser;

use cdb_hub::cli::{Cli, Command, ServeOptions};
use cdb_hub::config::Settings;

fn main() -> ExitCode {
    // One TLS provider for the whole process (SMTP, outbound HTTP): ring, no C build.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let settings = match Settings::from_options(&cli.global) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("cdb-hub: invalid configuration: {error}");
            return ExitCode::from(2);
        }
    };
    cdb_hub::telemetry::init(&settings.log_filter, settings.log_format);
    let command = cli
        .command
        .unwrap_or_else(|| Command::Serve(serve_defaults()));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cdb-hub: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cdb_hub::cli::run::run(settings, command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "cdb-hub stopped on an error");
            eprintln!("cdb-hub: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// `serve` options when no sub-command is given: the same defaults and environment as `serve`.
fn serve_defaults() -> ServeOptions {
    match Cli::try_parse_from(["cdb-hub", "serve"]) {
        Ok(Cli {
            command: Some(Command::Serve(options)),
            ..
        }) => options,
        _ => ServeOptions::default(),
    }
}
