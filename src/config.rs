//! Settings of a hub process, built from the command line and environment and validated once
//! at start-up so that a misconfiguration stops the process with a clear message.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use apalis_postgres::PgConnectOptions;
use thiserror::Error;
use tracing_subscriber::EnvFilter;

use clap::{Args, ValueEnum};

/// Options shared by every sub-command, each also read from its environment variable.
#[derive(Debug, Clone, Args)]
pub struct GlobalOptions {
    /// PostgreSQL connection URL. When unset, the hub starts (or reuses) its own cluster in
    /// `<data-dir>/postgres` from the PostgreSQL server binaries of this machine.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Directory holding the hub's own data (the embedded PostgreSQL cluster among it).
    #[arg(
        long,
        env = "CDB_DATA_DIR",
        default_value = "./.cdb-data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Directory of the PostgreSQL server binaries (initdb, pg_ctl, postgres) for the embedded
    /// cluster. When unset: the ones on PATH, else the newest /usr/lib/postgresql/*/bin.
    #[arg(long, env = "CDB_POSTGRES_BIN_DIR", global = true)]
    pub postgres_bin_dir: Option<PathBuf>,

    /// Log filter: a level (error, warn, info, debug, trace) or a tracing directive list
    /// such as `info,cdb_hub=debug`.
    #[arg(long, env = "CDB_LOG_LEVEL", default_value = "info", global = true)]
    pub log_level: String,

    /// Log format: `pretty` for people, `json` for log collectors.
    #[arg(long, env = "CDB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Why the configuration cannot be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// DATABASE_URL is not a PostgreSQL URL.
    #[error(
        "DATABASE_URL is not a valid PostgreSQL URL (expected postgres://user:password@host:port/database): {0}"
    )]
    DatabaseUrl(String),
    /// The log filter cannot be parsed.
    #[error(
        "CDB_LOG_LEVEL {value:?} is not a valid log filter (use error, warn, info, debug or trace): {reason}"
    )]
    LogLevel {
        /// The rejected value.
        value: String,
        /// The parser's reason.
        reason: String,
    },
    /// The data directory cannot be created or resolved.
    #[error("CDB_DATA_DIR {path:?} cannot be used: {reason}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Where the database is.
#[derive(Debug, Clone)]
pub enum DatabaseSetting {
    /// A server given by DATABASE_URL: no cluster is started.
    External(Box<ExternalDatabase>),
    /// The embedded cluster in the data directory.
    Embedded {
        /// Explicit PostgreSQL binaries directory, if any.
        bin_dir: Option<PathBuf>,
    },
}

/// A database server given by URL.
#[derive(Debug, Clone)]
pub struct ExternalDatabase {
    /// The URL as given (libpq syntax, used by diesel).
    pub url: String,
    /// The same, parsed for the job storage's driver.
    pub options: PgConnectOptions,
}

/// Validated settings of a hub process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the database is.
    pub database: DatabaseSetting,
    /// Absolute data directory.
    pub data_dir: PathBuf,
    /// Log filter directives.
    pub log_filter: String,
    /// Log line format.
    pub log_format: LogFormat,
}

impl Settings {
    /// Whether the database is shared (`DATABASE_URL`), rather than the hub's own embedded one.
    pub fn shared_database(&self) -> bool {
        matches!(self.database, DatabaseSetting::External(_))
    }

    /// Validates the global options; creates the data directory if needed.
    pub fn from_options(options: &GlobalOptions) -> Result<Self, ConfigError> {
        let database = match options.database_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => {
                let parsed = PgConnectOptions::from_str(url)
                    .map_err(|e| ConfigError::DatabaseUrl(e.to_string()))?;
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(ConfigError::DatabaseUrl(
                        "the URL must start with postgres:// or postgresql://".into(),
                    ));
                }
                DatabaseSetting::External(Box::new(ExternalDatabase {
                    url: url.to_owned(),
                    options: parsed,
                }))
            }
            _ => DatabaseSetting::Embedded {
                bin_dir: options.postgres_bin_dir.clone(),
            },
        };
        validate_log_filter(&options.log_level)?;
        let data_dir = absolute_data_dir(&options.data_dir)?;
        Ok(Self {
            database,
            data_dir,
            log_filter: options.log_level.clone(),
            log_format: options.log_format,
        })
    }
}

/// Checks that a log filter parses.
pub fn validate_log_filter(value: &str) -> Result<(), ConfigError> {
    EnvFilter::try_new(value)
        .map(|_| ())
        .map_err(|e| ConfigError::LogLevel {
            value: value.to_owned(),
            reason: e.to_string(),
        })
}

fn absolute_data_dir(path: &Path) -> Result<PathBuf, ConfigError> {
    let error = |reason: String| ConfigError::DataDir {
        path: path.to_owned(),
        reason,
    };
    std::fs::create_dir_all(path).map_err(|e| error(e.to_string()))?;
    std::fs::canonicalize(path).map_err(|e| error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(database_url: Option<&str>, log_level: &str) -> GlobalOptions {
        GlobalOptions {
            database_url: database_url.map(str::to_owned),
            data_dir: std::env::temp_dir().join("cdb-config-test"),
            postgres_bin_dir: None,
            log_level: log_level.to_owned(),
            log_format: LogFormat::Pretty,
        }
    }

    #[test]
    fn no_database_url_means_embedded() {
        let settings = Settings::from_options(&options(None, "info")).unwrap();
        assert!(matches!(
            settings.database,
            DatabaseSetting::Embedded { .. }
        ));
        assert!(settings.data_dir.is_absolute());
    }

    #[test]
    fn an_empty_database_url_means_embedded() {
        let settings = Settings::from_options(&options(Some("  "), "info")).unwrap();
        assert!(matches!(
            settings.database,
            DatabaseSetting::Embedded { .. }
        ));
    }

    #[test]
    fn a_database_url_is_used_as_is() {
        let settings =
            Settings::from_options(&options(Some("postgres://u:p@db:5432/cdb"), "info")).unwrap();
        assert!(matches!(settings.database, DatabaseSetting::External(_)));
    }

    #[test]
    fn a_non_postgres_url_is_rejected() {
        let error = Settings::from_options(&options(Some("mysql://db/cdb"), "info")).unwrap_err();
        assert!(error.to_string().contains("DATABASE_URL"), "{error}");
    }

    #[test]
    fn a_bad_log_level_is_rejected_with_its_value() {
        let error = Settings::from_options(&options(None, "loud=[")).unwrap_err();
        assert!(error.to_string().contains("loud=["), "{error}");
    }
}
