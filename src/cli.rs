//! Command line of the `cdb-hub` binary: sub-commands and the options they share.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Data-exchange hub of Carnet de bord: notebook API, imports and connectors.
#[derive(Debug, Parser)]
#[command(name = "cdb-hub", version, about, long_about = None)]
pub struct Cli {
    /// Options shared by every sub-command.
    #[command(flatten)]
    pub global: GlobalOptions,

    /// What to run; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

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

/// The sub-commands of the hub.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the HTTP API and run the background workers in one process (the default).
    Serve(ServeOptions),
    /// Run the background workers only (to scale them out beside `serve`).
    Worker(WorkerOptions),
    /// Apply the database migrations and exit.
    Migrate,
    /// Print the OpenAPI contract (YAML) on standard output and exit.
    Openapi,
    /// Load the synthetic demo deployments (idempotent) and exit.
    Demo(DemoOptions),
}

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeOptions {
    /// Address the HTTP API listens on.
    #[arg(long, env = "CDB_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Load the demo data before serving.
    #[arg(long)]
    pub demo: bool,

    /// Beneficiaries per demo deployment, with `--demo`.
    #[arg(long, env = "CDB_DEMO_BENEFICIARIES", default_value_t = 200)]
    pub demo_beneficiaries: u32,

    /// Worker options.
    #[command(flatten)]
    pub worker: WorkerOptions,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            demo: false,
            demo_beneficiaries: 200,
            worker: WorkerOptions::default(),
        }
    }
}

/// Options of the background workers.
#[derive(Debug, Clone, Args)]
pub struct WorkerOptions {
    /// Seconds given to running jobs and open requests to finish after a shutdown signal.
    #[arg(long, env = "CDB_SHUTDOWN_GRACE_SECS", default_value_t = 8)]
    pub shutdown_grace_secs: u64,

    /// Days a finished background job is kept before housekeeping deletes it.
    #[arg(long, env = "CDB_JOB_RETENTION_DAYS", default_value_t = 14)]
    pub job_retention_days: u32,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            shutdown_grace_secs: 8,
            job_retention_days: 14,
        }
    }
}

/// Options of `demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoOptions {
    /// Beneficiaries per demo deployment (the benchmarks use 110000).
    #[arg(long, env = "CDB_DEMO_BENEFICIARIES", default_value_t = 200)]
    pub beneficiaries: u32,
}
