//! Connector instances, their runs and run items. Secrets are stored sealed and never read back
//! here but by the runner.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{
    BigInt, Bool, Bytea, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use uuid::Uuid;

/// An instance as shown (no secrets, only whether there are some).
#[derive(Debug, Clone, QueryableByName)]
pub struct InstanceRow {
    /// The instance.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its deployment.
    #[diesel(sql_type = SqlUuid)]
    pub deployment_id: Uuid,
    /// Its kind.
    #[diesel(sql_type = Text)]
    pub kind: crate::domain::states::ConnectorKind,
    /// A name unique in the deployment.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Settings without secrets.
    #[diesel(sql_type = Jsonb)]
    pub config: serde_json::Value,
    /// Whether secrets are set (they are never returned).
    #[diesel(sql_type = Bool)]
    pub has_secrets: bool,
    /// Cron schedule (6 fields with seconds, UTC), if it runs on its own.
    #[diesel(sql_type = Nullable<Text>)]
    pub schedule: Option<String>,
    /// Whether it runs.
    #[diesel(sql_type = Bool)]
    pub enabled: bool,
    /// Hours without a successful run after which the instance is stale.
    #[diesel(sql_type = Integer)]
    pub stale_after_hours: i32,
    /// End of the last successful run.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_success_at: Option<DateTime<Utc>>,
    /// True when no run succeeded within `stale_after_hours` (and it is enabled).
    #[diesel(sql_type = Bool)]
    pub stale: bool,
    /// Creation.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

const INSTANCE: &str = "SELECT id, deployment_id, kind, name, config, secrets IS NOT NULL AS has_secrets, schedule, \
     enabled, stale_after_hours, last_success_at, \
     (enabled AND coalesce(last_success_at, created_at) < now() - make_interval(hours => stale_after_hours)) AS stale, \
     created_at FROM connector_instance";

/// What to create.
#[derive(Debug, Clone)]
pub struct NewInstance {
    /// Its id (the secrets are sealed for it before the insert).
    pub id: Uuid,
    /// Deployment.
    pub deployment_id: Uuid,
    /// Kind.
    pub kind: crate::domain::states::ConnectorKind,
    /// Name.
    pub name: String,
    /// Settings.
    pub config: serde_json::Value,
    /// Sealed secrets.
    pub secrets: Option<Vec<u8>>,
    /// Cron schedule.
    pub schedule: Option<String>,
    /// Enabled.
    pub enabled: bool,
    /// Staleness threshold.
    pub stale_after_hours: i32,
}

/// Creates an instance; `None` when the name is taken in the deployment.
pub fn create(conn: &mut PgConnection, new: &NewInstance) -> QueryResult<Option<InstanceRow>> {
    let inserted = diesel::sql_query(
        "INSERT INTO connector_instance (id, deployment_id, kind, name, config, secrets, schedule, enabled, stale_after_hours) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(new.id)
    .bind::<SqlUuid, _>(new.deployment_id)
    .bind::<Text, _>(new.kind)
    .bind::<Text, _>(&new.name)
    .bind::<Jsonb, _>(&new.config)
    .bind::<Nullable<Bytea>, _>(new.secrets.as_deref())
    .bind::<Nullable<Text>, _>(new.schedule.as_deref())
    .bind::<Bool, _>(new.enabled)
    .bind::<Integer, _>(new.stale_after_hours)
    .execute(conn)?;
    if inserted == 0 {
        return Ok(None);
    }
    get(conn, None, new.id)
}

/// An instance of a deployment (any when `None`), not deleted.
pub fn get(
    conn: &mut PgConnection,
    deployment: Option<Uuid>,
    id: Uuid,
) -> QueryResult<Option<InstanceRow>> {
    diesel::sql_query(format!(
        "{INSTANCE} WHERE id = $1 AND ($2::uuid IS NULL OR deployment_id = $2) AND deleted_at IS NULL"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Nullable<SqlUuid>, _>(deployment)
    .get_result(conn)
    .optional()
}

/// Instances of a deployment (every one when `None`), by name.
pub fn list(conn: &mut PgConnection, deployment: Option<Uuid>) -> QueryResult<Vec<InstanceRow>> {
    diesel::sql_query(format!(
        "{INSTANCE} WHERE ($1::uuid IS NULL OR deployment_id = $1) AND deleted_at IS NULL ORDER BY deployment_id, name"
    ))
    .bind::<Nullable<SqlUuid>, _>(deployment)
    .load(conn)
}

/// A page of the live instances (of one deployment when given) in creation order, after an
/// instance's creation instant and id.
pub fn page(
    conn: &mut PgConnection,
    deployment: Option<Uuid>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<InstanceRow>> {
    diesel::sql_query(format!(
        "{INSTANCE} WHERE ($1::uuid IS NULL OR deployment_id = $1) AND deleted_at IS NULL \
         AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::uuid)) \
         ORDER BY created_at, id LIMIT $4"
    ))
    .bind::<Nullable<SqlUuid>, _>(deployment)
    .bind::<Nullable<diesel::sql_types::Timestamptz>, _>(after.map(|a| a.0))
    .bind::<Nullable<SqlUuid>, _>(after.map(|a| a.1))
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
}

/// Changes to an instance; `None` leaves a value as it is.
#[derive(Debug, Clone, Default)]
pub struct InstanceChanges {
    /// New name.
    pub name: Option<String>,
    /// New settings.
    pub config: Option<serde_json::Value>,
    /// New sealed secrets.
    pub secrets: Option<Vec<u8>>,
    /// New schedule (`Some(None)` removes it).
    pub schedule: Option<Option<String>>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// New staleness threshold.
    pub stale_after_hours: Option<i32>,
}

/// Applies changes; `Ok(None)` when no such instance, `Err` unique violation when the name is
/// taken.
pub fn update(
    conn: &mut PgConnection,
    deployment: Option<Uuid>,
    id: Uuid,
    changes: &InstanceChanges,
) -> QueryResult<Option<InstanceRow>> {
    let updated = diesel::sql_query(
        "UPDATE connector_instance SET name = coalesce($3, name), config = coalesce($4, config), \
           secrets = coalesce($5, secrets), schedule = CASE WHEN $6 THEN $7 ELSE schedule END, \
           enabled = coalesce($8, enabled), stale_after_hours = coalesce($9, stale_after_hours) \
         WHERE id = $1 AND ($2::uuid IS NULL OR deployment_id = $2) AND deleted_at IS NULL",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Nullable<SqlUuid>, _>(deployment)
    .bind::<Nullable<Text>, _>(changes.name.as_deref())
    .bind::<Nullable<Jsonb>, _>(changes.config.as_ref())
    .bind::<Nullable<Bytea>, _>(changes.secrets.as_deref())
    .bind::<Bool, _>(changes.schedule.is_some())
    .bind::<Nullable<Text>, _>(changes.schedule.clone().flatten())
    .bind::<Nullable<Bool>, _>(changes.enabled)
    .bind::<Nullable<Integer>, _>(changes.stale_after_hours)
    .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    get(conn, deployment, id)
}

/// Deletes an instance (kept, disabled and hidden, with its run history).
pub fn delete(conn: &mut PgConnection, deployment: Option<Uuid>, id: Uuid) -> QueryResult<bool> {
    diesel::sql_query(
        "UPDATE connector_instance SET deleted_at = now(), enabled = false \
         WHERE id = $1 AND ($2::uuid IS NULL OR deployment_id = $2) AND deleted_at IS NULL",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Nullable<SqlUuid>, _>(deployment)
    .execute(conn)
    .map(|n| n > 0)
}

/// A run as shown.
#[derive(Debug, Clone, QueryableByName)]
pub struct RunRow {
    /// The run.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its instance.
    #[diesel(sql_type = SqlUuid)]
    pub instance_id: Uuid,
    /// schedule, manual or file.
    #[diesel(sql_type = Text)]
    pub trigger: String,
    /// queued, running, succeeded or failed.
    #[diesel(sql_type = Text)]
    pub status: String,
    /// When it was asked for.
    #[diesel(sql_type = Timestamptz)]
    pub queued_at: DateTime<Utc>,
    /// Start.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub started_at: Option<DateTime<Utc>>,
    /// End.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub finished_at: Option<DateTime<Utc>>,
    /// read, created, updated, unchanged, rejected, possible_match, not_found, error.
    #[diesel(sql_type = Jsonb)]
    pub counts: serde_json::Value,
    /// Why it failed.
    #[diesel(sql_type = Nullable<Text>)]
    pub error: Option<String>,
    /// Attempts (a run resumed after a restart counts twice).
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

const RUN: &str = "SELECT id, instance_id, trigger, status, queued_at, started_at, finished_at, counts, error, attempts FROM connector_run";

/// Queues a run; `None` when one is already queued or running for the instance.
pub fn queue_run(
    conn: &mut PgConnection,
    instance: Uuid,
    trigger: &str,
) -> QueryResult<Option<RunRow>> {
    diesel::sql_query(format!(
        "WITH r AS (INSERT INTO connector_run (instance_id, deployment_id, trigger) \
           SELECT id, deployment_id, $2 FROM connector_instance WHERE id = $1 AND deleted_at IS NULL \
           ON CONFLICT DO NOTHING RETURNING *) {} FROM r",
        RUN.trim_end_matches(" FROM connector_run")
    ))
    .bind::<SqlUuid, _>(instance)
    .bind::<Text, _>(trigger)
    .get_result(conn)
    .optional()
}

/// The active run of an instance.
pub fn active_run(conn: &mut PgConnection, instance: Uuid) -> QueryResult<Option<RunRow>> {
    diesel::sql_query(format!(
        "{RUN} WHERE instance_id = $1 AND status IN ('queued', 'running')"
    ))
    .bind::<SqlUuid, _>(instance)
    .get_result(conn)
    .optional()
}

/// Runs of an instance, newest first, before a run id (keyset).
pub fn runs(
    conn: &mut PgConnection,
    instance: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<RunRow>> {
    diesel::sql_query(format!(
        "{RUN} WHERE instance_id = $1 AND ($2::uuid IS NULL OR (queued_at, id) < \
           (SELECT queued_at, id FROM connector_run WHERE id = $2)) ORDER BY queued_at DESC, id DESC LIMIT $3"
    ))
    .bind::<SqlUuid, _>(instance)
    .bind::<Nullable<SqlUuid>, _>(before)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// One run of an instance.
pub fn run(conn: &mut PgConnection, instance: Uuid, id: Uuid) -> QueryResult<Option<RunRow>> {
    diesel::sql_query(format!("{RUN} WHERE instance_id = $1 AND id = $2"))
        .bind::<SqlUuid, _>(instance)
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .optional()
}

/// What a run did with one record.
#[derive(Debug, Clone, QueryableByName)]
pub struct ItemRow {
    /// Position in the run.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// The record, as the source names it (never a NIR).
    #[diesel(sql_type = Text)]
    pub record_ref: String,
    /// created, updated, unchanged, possible_match, rejected, not_found or error.
    #[diesel(sql_type = Text)]
    pub outcome: String,
    /// The person, when known.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub beneficiary_id: Option<Uuid>,
    /// Why (errors, rejections).
    #[diesel(sql_type = Nullable<Text>)]
    pub message: Option<String>,
}

/// Items of a run after an item id.
pub fn items(
    conn: &mut PgConnection,
    run: Uuid,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<ItemRow>> {
    diesel::sql_query(
        "SELECT id, record_ref, outcome, beneficiary_id, message FROM connector_run_item \
         WHERE run_id = $1 AND ($2::bigint IS NULL OR id > $2) ORDER BY id LIMIT $3",
    )
    .bind::<SqlUuid, _>(run)
    .bind::<Nullable<BigInt>, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Whether a deployment exists.
pub fn deployment_exists(conn: &mut PgConnection, id: Uuid) -> QueryResult<bool> {
    use crate::schema::deployment;
    diesel::select(diesel::dsl::exists(deployment::table.find(id))).get_result(conn)
}

/// A connector instance that went stale and whose managers were not told yet.
#[derive(Debug, Clone, QueryableByName)]
pub struct StaleInstance {
    /// The instance.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its deployment.
    #[diesel(sql_type = SqlUuid)]
    pub deployment_id: Uuid,
    /// Its kind.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// Its name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Its threshold, in hours.
    #[diesel(sql_type = Integer)]
    pub stale_after_hours: i32,
    /// End of its last successful run, if any.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_success_at: Option<DateTime<Utc>>,
}

/// Marks the instances stale at `now` and not yet told about as told, and answers them; forgets
/// the mark of those that recovered (so that a later staleness is told again). Locks what it
/// marks, skipping what another process is marking.
pub fn take_stale_unalerted(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
) -> QueryResult<Vec<StaleInstance>> {
    conn.transaction(|conn| {
        diesel::sql_query(
            "UPDATE connector_instance SET stale_alerted_at = NULL WHERE stale_alerted_at IS NOT NULL \
             AND NOT (enabled AND coalesce(last_success_at, created_at) < $1 - make_interval(hours => stale_after_hours))",
        )
        .bind::<Timestamptz, _>(now)
        .execute(conn)?;
        diesel::sql_query(
            "WITH due AS (SELECT id FROM connector_instance WHERE stale_alerted_at IS NULL AND enabled \
               AND coalesce(last_success_at, created_at) < $1 - make_interval(hours => stale_after_hours) \
               FOR UPDATE SKIP LOCKED) \
             UPDATE connector_instance i SET stale_alerted_at = $1 FROM due WHERE i.id = due.id \
             RETURNING i.id, i.deployment_id, i.kind, i.name, i.stale_after_hours, i.last_success_at",
        )
        .bind::<Timestamptz, _>(now)
        .load(conn)
    })
}
