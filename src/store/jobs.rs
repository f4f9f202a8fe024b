//! Background jobs enqueued in the caller's transaction, so that a job exists exactly when the
//! input it works on was kept. apalis's own `push_job()` SQL function is broken in 1.0, so the
//! row is inserted as its sink does: this is the one place that writes apalis's table.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamptz};

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

/// A queue's jobs in one state.
#[derive(Debug, Clone, QueryableByName)]
pub struct JobCount {
    /// The queue.
    #[diesel(sql_type = Text)]
    pub queue: String,
    /// The state, lower case (`pending`, `queued`, `running`, `done`, `failed`, `killed`).
    #[diesel(sql_type = Text)]
    pub state: String,
    /// How many.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub count: i64,
}

/// The number of jobs of each queue in each state.
pub fn counts(conn: &mut PgConnection) -> QueryResult<Vec<JobCount>> {
    diesel::sql_query(
        "SELECT job_type AS queue, lower(status) AS state, count(*) AS count \
         FROM apalis.jobs GROUP BY job_type, status ORDER BY 1, 2",
    )
    .load(conn)
}

/// A job, as operators see it (without its payload).
#[derive(Debug, Clone, QueryableByName)]
pub struct JobRow {
    /// Its id (a ULID).
    #[diesel(sql_type = Text)]
    pub id: String,
    /// Its queue.
    #[diesel(sql_type = Text)]
    pub queue: String,
    /// Its state, lower case.
    #[diesel(sql_type = Text)]
    pub state: String,
    /// Attempts made.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// Attempts allowed.
    #[diesel(sql_type = Integer)]
    pub max_attempts: i32,
    /// When it runs (or ran).
    #[diesel(sql_type = Timestamptz)]
    pub run_at: DateTime<Utc>,
    /// When a worker took it.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub lock_at: Option<DateTime<Utc>>,
    /// The worker that took it.
    #[diesel(sql_type = Nullable<Text>)]
    pub lock_by: Option<String>,
    /// When it ended.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub done_at: Option<DateTime<Utc>>,
    /// Its last result (a failed attempt's error), as JSON text cut at 1,000 characters.
    #[diesel(sql_type = Nullable<Text>)]
    pub last_result: Option<String>,
}

/// Which jobs to list.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Only this queue.
    pub queue: Option<String>,
    /// Only this state (lower case).
    pub state: Option<String>,
    /// Continue before this (run_at, id), newest first.
    pub before: Option<(DateTime<Utc>, String)>,
}

/// Jobs, newest first; `limit` of them.
pub fn list(conn: &mut PgConnection, filter: &JobFilter, limit: i64) -> QueryResult<Vec<JobRow>> {
    let (before_at, before_id) = filter.before.clone().unzip();
    diesel::sql_query(
        "SELECT id, job_type AS queue, lower(status) AS state, attempts, max_attempts, run_at, lock_at, \
         lock_by, done_at, left(last_result::text, 1000) AS last_result FROM apalis.jobs \
         WHERE ($1::text IS NULL OR job_type = $1) AND ($2::text IS NULL OR lower(status) = $2) \
         AND ($3::timestamptz IS NULL OR (run_at, id) < ($3, $4)) \
         ORDER BY run_at DESC, id DESC LIMIT $5",
    )
    .bind::<Nullable<Text>, _>(filter.queue.as_deref())
    .bind::<Nullable<Text>, _>(filter.state.as_deref())
    .bind::<Nullable<Timestamptz>, _>(before_at)
    .bind::<Nullable<Text>, _>(before_id)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
}
