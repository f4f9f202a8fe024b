//! The imports worker: runs an import kept in the database (see `imports::runner`). The job
//! only names the import; everything else is read from its row, so a job run twice, or
//! resumed after a crash, carries on from the import's checkpoint.

use std::time::Duration;

use apalis::layers::retry::RetryPolicy;
use apalis::prelude::*;
use apalis_postgres::{Config, PgPool, PostgresStorage};

use crate::imports::runner::{self, RunLimit, RunState};
use crate::postgres::{Database, DbPool};
use crate::store::imports::{QUEUE, RunImport};

/// Storage of the imports queue.
pub fn storage(jobs_pool: &PgPool) -> PostgresStorage<RunImport> {
    PostgresStorage::new(jobs_pool).with_config(
        Config::default()
            .queue(QUEUE)
            // An import may run for minutes: a worker is declared lost only after it
            // stopped beating for a while, and its import then resumes elsewhere.
            .heartbeat_interval(Duration::from_secs(10)),
    )
}

/// Runs one import to its end, on the blocking pool.
#[tracing::instrument(skip(pool), fields(import_id = %job.import_id))]
async fn run_import(
    job: RunImport,
    pool: Data<DbPool>,
    links: Data<LinksUrl>,
) -> Result<(), BoxDynError> {
    let pool = (*pool).clone();
    let app_url = (*links).0.clone();
    let state = tokio::task::spawn_blocking(move || -> Result<RunState, BoxDynError> {
        let mut conn = pool.get()?;
        Ok(runner::run(
            &mut conn,
            &pool,
            job.import_id,
            RunLimit::default(),
            &app_url,
            &mut |_| {},
        )?)
    })
    .await??;
    tracing::info!(?state, "import run");
    Ok(())
}

/// The application's base URL, for the e-mails of the accounts an import creates.
#[derive(Debug, Clone)]
pub struct LinksUrl(pub String);

/// Adds the imports worker to a monitor.
pub fn register(monitor: Monitor, database: &Database, instance: &str, links_url: &str) -> Monitor {
    register_on(
        monitor,
        database.pool.clone(),
        &database.jobs_pool,
        instance,
        links_url,
    )
}

/// Adds the imports worker to a monitor, from the two pools.
pub fn register_on(
    monitor: Monitor,
    pool: DbPool,
    jobs_pool: &PgPool,
    instance: &str,
    links_url: &str,
) -> Monitor {
    let links = LinksUrl(links_url.to_owned());
    let queue = storage(jobs_pool);
    let name = format!("{QUEUE}-{instance}");
    monitor.register(move |_| {
        WorkerBuilder::new(name.as_str())
            .backend(queue.clone().with_pubsub())
            .retry(RetryPolicy::retries(
                usize::try_from(crate::store::imports::MAX_ATTEMPTS - 1).unwrap_or(0),
            ))
            .data(pool.clone())
            .data(links.clone())
            .build(run_import)
    })
}
