//! Background jobs (apalis, stored in PostgreSQL): job types, their workers, their schedules,
//! and the job counts exported as metrics.

pub mod connector_runs;
pub mod housekeeping;
pub mod imports;
pub mod mail;
pub mod options;
pub mod retention;
pub mod webhooks;

use std::time::Duration;

use apalis::prelude::*;

use crate::jobs::options::WorkerOptions;
use crate::postgres::{Database, DbPool};

/// Builds the monitor running every worker of this process.
pub fn monitor(
    database: &Database,
    options: &WorkerOptions,
    secrets: std::sync::Arc<crate::auth::secret_box::SecretBox>,
) -> Result<Monitor, anyhow::Error> {
    let instance = uuid::Uuid::now_v7().simple().to_string();
    let monitor = Monitor::new().shutdown_timeout(Duration::from_secs(options.shutdown_grace_secs));
    let monitor = housekeeping::register(monitor, database, options, &instance)?;
    let monitor = retention::register(monitor, database, &instance)?;
    let monitor = imports::register(monitor, database, &instance, &options.links_url);
    let rules = std::sync::Arc::new(options.connector_rules());
    let monitor = connector_runs::register(monitor, database, secrets.clone(), rules, &instance)?;
    let webhooks = std::sync::Arc::new(crate::outbound::Webhooks::new(options.webhook_settings())?);
    Ok(webhooks::register(
        monitor, database, webhooks, secrets, &instance,
    )?)
}

/// Reads the number of jobs per queue and state and publishes them as gauges.
pub fn refresh_job_metrics(pool: &DbPool) -> Result<(), crate::postgres::DatabaseError> {
    let mut conn = pool
        .get()
        .map_err(|e| crate::postgres::DatabaseError::Connect(e.to_string()))?;
    let counts = crate::store::jobs::counts(&mut conn)?;
    for queue in [housekeeping::QUEUE, retention::QUEUE] {
        for state in ["pending", "queued", "running", "done", "failed", "killed"] {
            let count = counts
                .iter()
                .find(|c| c.queue == queue && c.state == state)
                .map_or(0, |c| c.count);
            crate::telemetry::metrics::set_job_count(queue, state, count);
        }
    }
    for other in counts.iter().filter(|c| c.queue != housekeeping::QUEUE) {
        crate::telemetry::metrics::set_job_count(&other.queue, &other.state, other.count);
    }
    for instance in crate::store::connectors::list(&mut conn, None)? {
        crate::telemetry::metrics::set_connector_stale(
            &instance.id.to_string(),
            instance.kind.as_str(),
            instance.stale,
        );
    }
    Ok(())
}
