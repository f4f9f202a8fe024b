//! Housekeeping: finished jobs and delivered webhook deliveries are kept for a while
//! (operators look at them), idempotency keys for 24 hours, then deleted so that their tables do
//! not grow without bound; and the managers of connector instances gone stale are told. An hourly tick enqueues one prune job; the
//! prune is idempotent, so ticks from several processes are harmless.

use std::str::FromStr;

use apalis::layers::retry::RetryPolicy;
use apalis::prelude::*;
use apalis_cron::{CronScheduler, Tick};
use apalis_postgres::{Config, PostgresStorage};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::jobs::options::WorkerOptions;
use crate::postgres::{Database, DbPool};

/// Stable name of the housekeeping queue (never the Rust type path).
pub const QUEUE: &str = "cdb.housekeeping";

/// Deletes finished jobs older than the retention; failed jobs are kept for inspection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PruneFinishedJobs {
    /// Age in days past which a finished job is deleted.
    pub older_than_days: u32,
}

/// Storage of the housekeeping queue.
pub fn storage(database: &Database) -> PostgresStorage<PruneFinishedJobs> {
    PostgresStorage::new(&database.jobs_pool).with_config(Config::default().queue(QUEUE))
}

/// Runs one prune; answers how many jobs, delivered webhook deliveries and expired idempotency
/// keys were deleted.
pub fn prune(
    pool: &DbPool,
    job: &PruneFinishedJobs,
) -> Result<usize, crate::postgres::DatabaseError> {
    let mut conn = pool
        .get()
        .map_err(|e| crate::postgres::DatabaseError::Connect(e.to_string()))?;
    let deleted = diesel::sql_query(
        "DELETE FROM apalis.jobs WHERE status IN ('Done', 'Killed') \
         AND done_at < now() - make_interval(days => $1)",
    )
    .bind::<diesel::sql_types::Integer, _>(i32::try_from(job.older_than_days).unwrap_or(i32::MAX))
    .execute(&mut conn)?;
    let deliveries = crate::store::webhooks::prune_delivered(&mut conn, job.older_than_days)?;
    let keys = crate::store::idempotency::prune(&mut conn)?;
    crate::sources::staleness::alert_managers(&mut conn, chrono::Utc::now())?;
    Ok(deleted + usize::try_from(deliveries).unwrap_or(0) + keys)
}

async fn run_prune(job: PruneFinishedJobs, pool: Data<DbPool>) -> Result<usize, BoxDynError> {
    let pool = (*pool).clone();
    let deleted = tokio::task::spawn_blocking(move || prune(&pool, &job)).await??;
    tracing::info!(deleted, "finished jobs pruned");
    Ok(deleted)
}

async fn enqueue_prune(
    _tick: Tick,
    storage: Data<PostgresStorage<PruneFinishedJobs>>,
    retention: Data<u32>,
) -> Result<(), BoxDynError> {
    let mut storage = (*storage).clone();
    storage
        .push(PruneFinishedJobs {
            older_than_days: *retention,
        })
        .await?;
    Ok(())
}

/// Adds the housekeeping schedule and worker to a monitor.
pub fn register(
    monitor: Monitor,
    database: &Database,
    options: &WorkerOptions,
    instance: &str,
) -> Result<Monitor, cron::error::Error> {
    // Minute 17 of every hour: away from the top of the hour, when other crons cluster.
    let hourly = cron::Schedule::from_str("0 17 * * * *")?;
    let pool = database.pool.clone();
    let queue = storage(database);
    let ticks_storage = queue.clone();
    let retention = options.job_retention_days;
    let worker_name = format!("{QUEUE}-{instance}");
    let tick_name = format!("{QUEUE}-tick-{instance}");
    Ok(monitor
        .register(move |_| {
            WorkerBuilder::new(worker_name.as_str())
                .backend(queue.clone())
                .retry(RetryPolicy::retries(2))
                .data(pool.clone())
                .build(run_prune)
        })
        .register(move |_| {
            WorkerBuilder::new(tick_name.as_str())
                .backend(CronScheduler::new(hourly.clone()))
                .data(ticks_storage.clone())
                .data(retention)
                .build(enqueue_prune)
        }))
}
