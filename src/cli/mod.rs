//! Command line of the `cdb-hub` binary: sub-commands and the options they share.

pub mod admin;
pub mod import;
pub mod run;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use crate::config::{GlobalOptions, LogFormat};
pub use crate::jobs::options::WorkerOptions;

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
    /// Manage deployments (one per département).
    #[command(subcommand)]
    Deployments(DeploymentsCommand),
    /// Manage people's accounts.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// Manage API clients (partner information systems).
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// Manage the keys signing API clients' tokens.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The data lifecycle's retention.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Import a file (beneficiaries…) into a deployment, in this process, with a progress bar;
    /// prints the summary as JSON.
    Import(ImportOptions),
    /// Send a webhook receiver signed sample events (valid, replayed, tampered, stale, signed
    /// with another secret) and report whether it accepts only the valid one; exits 1 if not.
    CheckWebhookReceiver(CheckReceiverOptions),
}

/// `cdb-hub check-webhook-receiver …`
#[derive(Debug, Clone, Args)]
pub struct CheckReceiverOptions {
    /// The receiver's URL.
    pub url: String,
    /// The subscription's secret (`whsec_…`, as `POST /v1/webhooks` answered it).
    #[arg(long, env = "CDB_WEBHOOK_SECRET")]
    pub secret: String,
}

/// `cdb-hub import …`
#[derive(Debug, Clone, Args)]
pub struct ImportOptions {
    /// Deployment (label or id).
    #[arg(long)]
    pub deployment: String,
    /// Kind of file: beneficiaries, structures, professionals, reorientations,
    /// orientation_managers or rattachements.
    #[arg(long, default_value = "beneficiaries")]
    pub kind: String,
    /// The structure (id or exact name) a professionals or rattachements file is for.
    #[arg(long)]
    pub structure: Option<String>,
    /// Structures: overwrite the details of structures that already exist.
    #[arg(long)]
    pub overwrite: bool,
    /// Structures: e-mail new structure administrators their account.
    #[arg(long)]
    pub send_account_email: bool,
    /// Base URL of the Carnet de bord application, for the e-mails of created accounts.
    #[arg(long, env = "CDB_APP_URL", default_value = "http://127.0.0.1:8080")]
    pub app_url: String,
    /// Only say what each line would become; nothing is written.
    #[arg(long)]
    pub preview: bool,
    /// Mapping profile, naming the file's source system (`departement:<profile>`).
    #[arg(long)]
    pub profile: Option<String>,
    /// Sheet of a workbook (the first by default).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Carry on an import left unfinished (a stopped command or worker), from its checkpoint,
    /// instead of uploading a file.
    #[arg(long, conflicts_with = "file")]
    pub resume: Option<uuid::Uuid>,
    /// The file: CSV, XLSX, XLS or ODS.
    #[arg(required_unless_present = "resume")]
    pub file: Option<PathBuf>,
}

/// `cdb-hub deployments …`
#[derive(Debug, Clone, Subcommand)]
pub enum DeploymentsCommand {
    /// Create a deployment; prints it as JSON.
    Create {
        /// Label, e.g. "CD 93".
        #[arg(long)]
        label: String,
        /// Département code, e.g. 93.
        #[arg(long)]
        department_code: Option<String>,
    },
    /// List the deployments as JSON (id and label of each).
    List,
}

/// `cdb-hub accounts …`
#[derive(Debug, Clone, Subcommand)]
pub enum AccountsCommand {
    /// Create an administrator or a deployment manager; sends (or prints) the first login link.
    Create {
        /// `admin_cdb` or `manager`.
        #[arg(long)]
        role: String,
        /// E-mail of the person.
        #[arg(long)]
        email: String,
        /// Deployment (label or id), for a manager.
        #[arg(long)]
        deployment: Option<String>,
        /// First name.
        #[arg(long)]
        firstname: Option<String>,
        /// Last name.
        #[arg(long)]
        lastname: Option<String>,
        /// Base URL of the Carnet de bord application, for the login link.
        #[arg(long, env = "CDB_APP_URL", default_value = "http://127.0.0.1:8080")]
        app_url: String,
        /// The hub's own public URL, for the console's sign-in link.
        #[arg(long, env = "CDB_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
        public_url: String,
    },
}

/// `cdb-hub clients …`
#[derive(Debug, Clone, Subcommand)]
pub enum ClientsCommand {
    /// Create an API client; prints its client_id and client_secret (shown once) as JSON.
    Create {
        /// Deployment (label or id).
        #[arg(long)]
        deployment: String,
        /// Name of the partner system.
        #[arg(long)]
        name: String,
        /// Scopes, repeated or comma-separated (e.g. beneficiaries:read,notebooks:read).
        #[arg(long = "scope", value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// Structure (name or id) to narrow the client to.
        #[arg(long)]
        structure: Option<String>,
        /// Print `export CDB_CLIENT_ID=… CDB_CLIENT_SECRET=…` lines for a shell's `eval`
        /// instead of JSON.
        #[arg(long)]
        env: bool,
    },
}

/// `cdb-hub keys …`
#[derive(Debug, Clone, Subcommand)]
pub enum KeysCommand {
    /// Retire the active signing key and create a new one (tokens already issued stay valid).
    Rotate,
}

/// `cdb-hub retention …`
#[derive(Debug, Clone, Subcommand)]
pub enum RetentionCommand {
    /// Run the retention sweep now (the workers run it every night): notices to the managers,
    /// purges of the people whose day has come, expiry of files; prints what it did as JSON.
    Sweep {
        /// Run as of this past instant (RFC 3339) instead of now, e.g. to catch up a missed night
        /// (a future instant is refused: it would purge people before their day).
        #[arg(long)]
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    },
}

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeOptions {
    /// Address the HTTP API listens on.
    #[arg(long, env = "CDB_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Load the demo data before serving, as the partners' sandbox (webhook receivers on private
    /// addresses and over http are accepted).
    #[arg(long)]
    pub demo: bool,

    /// Beneficiaries per demo deployment, with `--demo`.
    #[arg(long, env = "CDB_DEMO_BENEFICIARIES", default_value_t = 200)]
    pub demo_beneficiaries: u32,

    /// Authentication options.
    #[command(flatten)]
    pub auth: AuthOptions,

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
            auth: AuthOptions::default(),
            worker: WorkerOptions::default(),
        }
    }
}

/// Authentication and rate-limiting options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct AuthOptions {
    /// Base URL of the Carnet de bord application: login links point to `<url>/auth/jwt/<key>`.
    #[arg(long, env = "CDB_APP_URL", default_value = "http://127.0.0.1:8080")]
    pub app_url: String,

    /// The hub's own public URL (as agents' browsers reach it): the console's sign-in links
    /// point to `<url>/console/connexion/<key>`, and its cookies are `Secure` when it is https.
    #[arg(long, env = "CDB_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
    pub public_url: String,

    /// Lifetime of API clients' access tokens, in seconds (revocation takes effect within it).
    #[arg(long, env = "CDB_TOKEN_LIFETIME_SECS", default_value_t = 900, value_parser = clap::value_parser!(i64).range(60..=86_400))]
    pub token_lifetime_secs: i64,

    /// Lifetime of people's sessions, in hours.
    #[arg(long, env = "CDB_SESSION_LIFETIME_HOURS", default_value_t = 12, value_parser = clap::value_parser!(i64).range(1..=720))]
    pub session_lifetime_hours: i64,

    /// Requests a minute allowed per API client, per account and per anonymous address.
    #[arg(long, env = "CDB_RATE_LIMIT_PER_MINUTE", default_value_t = 1200, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_per_minute: u32,

    /// Requests a minute allowed per address on the token and login endpoints.
    #[arg(long, env = "CDB_SIGN_IN_RATE_LIMIT_PER_MINUTE", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub sign_in_rate_limit_per_minute: u32,

    /// Reverse proxies (CIDR, comma-separated, e.g. `10.0.0.0/8,::1/128`) whose `Forwarded` or
    /// `X-Forwarded-For` header names the caller's address; from anyone else it is ignored.
    #[arg(long, env = "CDB_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// A token that `/metrics` then requires (`Authorization: Bearer …`); open when unset.
    #[arg(long, env = "CDB_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

impl Default for AuthOptions {
    fn default() -> Self {
        let defaults = crate::auth::AuthSettings::default();
        Self {
            app_url: defaults.app_url,
            public_url: defaults.public_url,
            token_lifetime_secs: defaults.client_token_lifetime_secs,
            session_lifetime_hours: defaults.session_lifetime_hours,
            rate_limit_per_minute: defaults.rate_limit_per_minute,
            sign_in_rate_limit_per_minute: defaults.sign_in_rate_limit_per_minute,
            trusted_proxies: defaults.trusted_proxies,
            metrics_token: defaults.metrics_token,
        }
    }
}

impl AuthOptions {
    /// The settings these options give.
    pub fn settings(&self) -> crate::auth::AuthSettings {
        crate::auth::AuthSettings {
            app_url: self.app_url.clone(),
            public_url: self.public_url.clone(),
            client_token_lifetime_secs: self.token_lifetime_secs,
            session_lifetime_hours: self.session_lifetime_hours,
            secret_overlap_hours: 24,
            rate_limit_per_minute: self.rate_limit_per_minute,
            sign_in_rate_limit_per_minute: self.sign_in_rate_limit_per_minute,
            trusted_proxies: self.trusted_proxies.clone(),
            metrics_token: self.metrics_token.clone().filter(|token| !token.is_empty()),
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
