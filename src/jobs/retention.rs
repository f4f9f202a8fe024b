//! The nightly retention sweep: a daily tick enqueues one sweep job; the sweep takes an advisory
//! lock and is idempotent, so that ticks from several processes are harmless (see
//! [`crate::lifecycle::retention`]).

use std::str::FromStr;

use apalis::layers::retry::RetryPolicy;
use apalis::prelude::*;
use apalis_cron::{CronScheduler, Tick};
use apalis_postgres::{Config, PostgresStorage};
use serde::{Deserialize, Serialize};

use crate::postgres::{Database, DbPool};

/// Stable name of the retention queue (never the Rust type path).
pub const QUEUE: &str = "cdb.retention";

/// Runs the retention sweep as of the moment the job runs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SweepRetention {}

/// Storage of the retention queue.
pub fn storage(database: &Database) -> PostgresStorage<SweepRetention> {
    PostgresStorage::new(&database.jobs_pool).with_config(Config::default().queue(QUEUE))
}

async fn run_sweep(_job: SweepRetention, pool: Data<DbPool>) -> Result<(), BoxDynError> {
    let pool = (*pool).clone();
    let report = tokio::task::spawn_blocking(move || -> Result<_, BoxDynError> {
        let mut conn = pool.get()?;
        Ok(crate::lifecycle::retention::sweep(
            &mut conn,
            chrono::Utc::now(),
        )?)
    })
    .await??;
    tracing::info!(
        ran = report.ran,
        deployments = report.deployments.len(),
        "retention sweep done"
    );
    Ok(())
}

async fn enqueue_sweep(
    _tick: Tick,
    storage: Data<PostgresStorage<SweepRetention>>,
) -> Result<(), BoxDynError> {
    let mut storage = (*storage).clone();
    storage.push(SweepRetention {}).await?;
    Ok(())
}

/// Adds the nightly retention schedule and worker to a monitor.
pub fn register(
    monitor: Monitor,
    database: &Database,
    instance: &str,
) -> Result<Monitor, cron::error::Error> {
    // 02:43 UTC every night: outside office hours, away from the hourly housekeeping.
    let nightly = cron::Schedule::from_str("0 43 2 * * *")?;
    let pool = database.pool.clone();
    let queue = storage(database);
    let ticks_storage = queue.clone();
    let worker_name = format!("{QUEUE}-{instance}");
    let tick_name = format!("{QUEUE}-tick-{instance}");
    Ok(monitor
        .register(move |_| {
            WorkerBuilder::new(worker_name.as_str())
                .backend(queue.clone())
                .retry(RetryPolicy::retries(2))
                .data(pool.clone())
                .build(run_sweep)
        })
        .register(move |_| {
            WorkerBuilder::new(tick_name.as_str())
                .backend(CronScheduler::new(nightly.clone()))
                .data(ticks_storage.clone())
                .build(enqueue_sweep)
        }))
}
