//! Options of the background workers, from the command line and environment.

use clap::Args;

/// Options of the background workers.
#[derive(Debug, Clone, Args)]
pub struct WorkerOptions {
    /// Seconds given to running jobs and open requests to finish after a shutdown signal.
    #[arg(long, env = "CDB_SHUTDOWN_GRACE_SECS", default_value_t = 8)]
    pub shutdown_grace_secs: u64,

    /// Days a finished background job is kept before housekeeping deletes it.
    #[arg(long, env = "CDB_JOB_RETENTION_DAYS", default_value_t = 14)]
    pub job_retention_days: u32,

    /// SMTP server for e-mails, e.g. `smtp://user:password@smtp.example.org:587?tls=required`.
    /// Unset: e-mails stay in the `email_outbox` table.
    #[arg(long, env = "CDB_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Sender of the e-mails.
    #[arg(
        long,
        env = "CDB_MAIL_FROM",
        default_value = "Carnet de bord <contact@carnetdebord.inclusion.beta.gouv.fr>"
    )]
    pub mail_from: String,

    /// Let webhook deliveries go to loopback, private and link-local addresses (tests, local
    /// development); refused otherwise, at creation and at each delivery.
    /// Folder holding one inbox folder per deployment (`<root>/<deployment id>/…`); connector
    /// instances may watch a directory only inside their deployment's. Unset: no inboxes.
    #[arg(long, env = "CDB_INBOX_ROOT")]
    pub inbox_root: Option<std::path::PathBuf>,

    /// Let France Travail instances use other hosts than the real ones (a sandbox, a mock).
    #[arg(long, env = "CDB_CONNECTORS_ALLOW_ANY_HOST")]
    pub connectors_allow_any_host: bool,

    #[arg(long, env = "CDB_WEBHOOKS_ALLOW_PRIVATE")]
    pub webhooks_allow_private: bool,

    /// Accept http webhook endpoints (not only https).
    #[arg(long, env = "CDB_WEBHOOKS_ALLOW_HTTP")]
    pub webhooks_allow_http: bool,

    /// Base URL of the Carnet de bord application in the e-mails background jobs queue (the
    /// accounts an import creates); the same variable as `--app-url`.
    #[arg(long, env = "CDB_APP_URL", default_value = "http://127.0.0.1:8080")]
    pub links_url: String,
}

impl WorkerOptions {
    /// What these options let connector instances reach.
    pub fn connector_rules(&self) -> crate::sources::operator::ConnectorRules {
        crate::sources::operator::ConnectorRules {
            inbox_root: self.inbox_root.clone(),
            allow_any_host: self.connectors_allow_any_host,
        }
    }

    /// Webhook settings of these options.
    pub fn webhook_settings(&self) -> crate::outbound::WebhookSettings {
        crate::outbound::WebhookSettings {
            allow_private: self.webhooks_allow_private,
            allow_http: self.webhooks_allow_http,
        }
    }
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            shutdown_grace_secs: 8,
            job_retention_days: 14,
            smtp_url: None,
            mail_from: "Carnet de bord <contact@carnetdebord.inclusion.beta.gouv.fr>".into(),
            webhooks_allow_private: false,
            webhooks_allow_http: false,
            inbox_root: None,
            connectors_allow_any_host: false,
            links_url: crate::auth::AuthSettings::default().app_url,
        }
    }
}
