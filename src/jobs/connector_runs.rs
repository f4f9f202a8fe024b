//! Connector runs as jobs: a tick every five seconds queues the runs whose cron time came (and
//! those of instances with received files), and hands queued runs to the job queue; a worker executes them (one at a time per run, resumed
//! at their checkpoint when a process stopped in the middle).

use std::str::FromStr;
use std::sync::Arc;

use apalis::layers::retry::RetryPolicy;
use apalis::prelude::*;
use apalis_cron::{CronScheduler, Tick};
use apalis_postgres::{Config, PostgresStorage};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::secret_box::SecretBox;
use crate::postgres::{Database, DbPool};
use crate::sources::operator::ConnectorRules;
use crate::sources::runner;
use crate::store::{connector_runs, connectors};

/// Stable name of the connector runs queue.
pub const QUEUE: &str = "cdb.connector-runs";

/// Executes one connector run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExecuteRun {
    /// The run.
    pub run_id: Uuid,
}

/// Storage of the queue.
pub fn storage(database: &Database) -> PostgresStorage<ExecuteRun> {
    PostgresStorage::new(&database.jobs_pool).with_config(Config::default().queue(QUEUE))
}

async fn execute(
    job: ExecuteRun,
    pool: Data<DbPool>,
    secrets: Data<Arc<SecretBox>>,
    rules: Data<Arc<ConnectorRules>>,
) -> Result<(), BoxDynError> {
    runner::execute(&pool, &secrets, &rules, job.run_id).await?;
    Ok(())
}

/// Queues the runs whose schedule came since they were last scheduled, then answers the queued
/// runs to hand to the job queue.
pub fn due_runs(
    pool: &DbPool,
    rules: &ConnectorRules,
) -> Result<Vec<Uuid>, runner::SourceRunError> {
    let mut conn = pool.get()?;
    let now = Utc::now();
    for instance in connector_runs::scheduled(&mut conn)? {
        let Ok(schedule) = cron::Schedule::from_str(&instance.schedule) else {
            tracing::warn!(instance = %instance.id, "unreadable schedule");
            continue;
        };
        let due = schedule
            .after(&instance.since)
            .next()
            .is_some_and(|next| next <= now);
        if due && connector_runs::mark_scheduled(&mut conn, instance.id, instance.since)? {
            match connectors::queue_run(&mut conn, instance.id, "schedule")? {
                Some(run) => {
                    tracing::info!(instance = %instance.id, run = %run.id, "scheduled run queued")
                }
                None => {
                    tracing::info!(instance = %instance.id, "scheduled run skipped: a run is active")
                }
            }
        }
    }
    let taken = crate::sources::inbox::collect(&mut conn, rules)?;
    if taken > 0 {
        tracing::info!(taken, "inbox files taken");
    }
    for instance in crate::store::connector_files::instances_with_pending_files(&mut conn)? {
        if let Some(run) = connectors::queue_run(&mut conn, instance, "file")? {
            tracing::info!(%instance, run = %run.id, "run queued for received files");
        }
    }
    Ok(connector_runs::to_push(&mut conn)?)
}

async fn on_tick(
    _tick: Tick,
    pool: Data<DbPool>,
    storage: Data<PostgresStorage<ExecuteRun>>,
    rules: Data<Arc<ConnectorRules>>,
) -> Result<(), BoxDynError> {
    let pool = (*pool).clone();
    let rules = (*rules).clone();
    let runs = tokio::task::spawn_blocking(move || due_runs(&pool, &rules)).await??;
    let mut storage = (*storage).clone();
    for run_id in runs {
        storage.push(ExecuteRun { run_id }).await?;
    }
    Ok(())
}

/// Adds the connector tick and worker to a monitor.
pub fn register(
    monitor: Monitor,
    database: &Database,
    secrets: Arc<SecretBox>,
    rules: Arc<ConnectorRules>,
    instance: &str,
) -> Result<Monitor, cron::error::Error> {
    let every_five_seconds = cron::Schedule::from_str("*/5 * * * * *")?;
    let pool = database.pool.clone();
    let queue = storage(database);
    let tick_queue = queue.clone();
    let tick_pool = pool.clone();
    let tick_rules = rules.clone();
    let worker_name = format!("{QUEUE}-{instance}");
    let tick_name = format!("{QUEUE}-tick-{instance}");
    Ok(monitor
        .register(move |_| {
            WorkerBuilder::new(worker_name.as_str())
                // Woken by the queue's notifications: a run starts as soon as the tick hands
                // it out, not at the backend's next poll (tens of seconds after a file came).
                .backend(queue.clone().with_pubsub())
                // A database failure is retried; the run resumes at its checkpoint.
                .retry(RetryPolicy::retries(3))
                .data(pool.clone())
                .data(secrets.clone())
                .data(rules.clone())
                .build(execute)
        })
        .register(move |_| {
            WorkerBuilder::new(tick_name.as_str())
                .backend(CronScheduler::new(every_five_seconds.clone()))
                .data(tick_pool.clone())
                .data(tick_queue.clone())
                .data(tick_rules.clone())
                .build(on_tick)
        }))
}
