//! Background jobs enqueued in the caller's transaction, so that a job exists exactly when the
//! input it works on was kept. apalis's own `push_job()` SQL function is broken in 1.0, so the
//! row is inserted as its sink does: this is the one place that writes apalis's table.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

/// Enqueues `job` (its JSON) on `queue`; a job with the same idempotency key on the queue
/// makes this a no-op.
pub fn enqueue(
    conn: &mut PgConnection,
    queue: &str,
    job: &str,
    max_attempts: i32,
    idempotency_key: &str,
) -> QueryResult<()> {
    let id = ulid::Ulid::generate().to_string();
    diesel::sql_query(
        "INSERT INTO apalis.jobs (id, job_type, job, status, attempts, max_attempts, run_at, priority, idempotency_key) \
         VALUES ($1, $2, convert_to($3, 'UTF8'), 'Pending', 0, $4, now(), 0, $5) \
         ON CONFLICT (job_type, idempotency_key) DO NOTHING",
    )
    .bind::<Text, _>(id)
    .bind::<Text, _>(queue)
    .bind::<Text, _>(job)
    .bind::<Integer, _>(max_attempts)
    .bind::<Text, _>(idempotency_key)
    .execute(conn)
    .map(|_| ())
}
