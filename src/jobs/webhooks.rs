//! Webhook deliveries as jobs: a tick every second fans the change feed out to the
//! subscriptions and claims the due deliveries (oldest undelivered first per person), handing
//! each to the job queue; a worker sends it and records the outcome.

use std::str::FromStr;
use std::sync::Arc;

use apalis::layers::retry::RetryPolicy;
use apalis::prelude::*;
use apalis_cron::{CronScheduler, Tick};
use apalis_postgres::{Config, PostgresStorage};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::secret_box::SecretBox;
use crate::outbound::Webhooks;
use crate::outbound::delivery::{self, DeliveryError};
use crate::postgres::{Database, DbPool};

/// Stable name of the webhook deliveries queue.
pub const QUEUE: &str = "cdb.webhook-deliveries";

/// Deliveries claimed per tick.
pub const CLAIM_LIMIT: i64 = 500;

/// Sends one webhook delivery.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SendDelivery {
    /// The delivery.
    pub delivery_id: Uuid,
}

/// Jobs a worker fetches at once: a tick hands out up to [`CLAIM_LIMIT`] deliveries, which
/// must all be on their way within the second (100 changes a second is the target load).
const FETCH_BATCH: usize = 100;

/// Storage of the queue.
pub fn storage(database: &Database) -> PostgresStorage<SendDelivery> {
    PostgresStorage::new(&database.jobs_pool)
        .with_config(Config::default().queue(QUEUE).batch_size(FETCH_BATCH))
}

/// Fans the feed out to every enabled subscription, then claims the deliveries due at `now`:
/// answers their ids, to hand to the workers.
pub fn due_deliveries(pool: &DbPool, now: DateTime<Utc>) -> Result<Vec<Uuid>, DeliveryError> {
    let mut conn = pool.get()?;
    let created = crate::outbound::fan_out::fan_out_all(&mut conn, now)?;
    if created > 0 {
        tracing::debug!(created, "webhook deliveries created");
    }
    Ok(crate::store::webhooks::claim_due(
        &mut conn,
        now,
        CLAIM_LIMIT,
    )?)
}

async fn send(
    job: SendDelivery,
    pool: Data<DbPool>,
    webhooks: Data<Arc<Webhooks>>,
    secrets: Data<Arc<SecretBox>>,
) -> Result<(), BoxDynError> {
    delivery::deliver(&pool, &webhooks, &secrets, job.delivery_id, Utc::now()).await?;
    Ok(())
}

async fn on_tick(
    _tick: Tick,
    pool: Data<DbPool>,
    storage: Data<PostgresStorage<SendDelivery>>,
) -> Result<(), BoxDynError> {
    let pool = (*pool).clone();
    let due = tokio::task::spawn_blocking(move || due_deliveries(&pool, Utc::now())).await??;
    let mut storage = (*storage).clone();
    for delivery_id in due {
        storage.push(SendDelivery { delivery_id }).await?;
    }
    Ok(())
}

/// Adds the webhook tick and worker to a monitor.
pub fn register(
    monitor: Monitor,
    database: &Database,
    webhooks: Arc<Webhooks>,
    secrets: Arc<SecretBox>,
    instance: &str,
) -> Result<Monitor, cron::error::Error> {
    let every_second = cron::Schedule::from_str("* * * * * *")?;
    let pool = database.pool.clone();
    let queue = storage(database);
    let tick_queue = queue.clone();
    let tick_pool = pool.clone();
    let worker_name = format!("{QUEUE}-{instance}");
    let tick_name = format!("{QUEUE}-tick-{instance}");
    Ok(monitor
        .register(move |_| {
            WorkerBuilder::new(worker_name.as_str())
                // Woken by the queue's notifications rather than a poll: a delivery leaves as
                // soon as the tick hands it out.
                .backend(queue.clone().with_pubsub())
                // An endpoint's failure is recorded by the delivery itself (with its backoff);
                // only a database failure errs, and the claim's lease brings the delivery back.
                .retry(RetryPolicy::retries(1))
                .data(pool.clone())
                .data(webhooks.clone())
                .data(secrets.clone())
                .build(send)
        })
        .register(move |_| {
            WorkerBuilder::new(tick_name.as_str())
                .backend(CronScheduler::new(every_second.clone()))
                .data(tick_pool.clone())
                .data(tick_queue.clone())
                .build(on_tick)
        }))
}
