//! Logging set-up: `tracing` with a pretty or JSON formatter, filtered by the configured level.

pub mod metrics;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt;
use tracing_subscriber::prelude::*;

use crate::config::LogFormat;

/// Installs the global subscriber; later calls (tests) are ignored.
pub fn init(filter: &str, format: LogFormat) {
    // The job storage's driver logs every server notice at info: keep it to warnings unless the
    // filter names it.
    let directives = if filter.contains("sqlx") {
        filter.to_owned()
    } else {
        format!("{filter},sqlx=warn")
    };
    let filter = EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Pretty => registry
            .with(fmt::layer().with_writer(std::io::stderr).with_target(true))
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_writer(std::io::stderr)
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
    };
    drop(result);
}
