//! What the connector runner and scheduler need from the database: claiming a run, the people
//! to look up page by page, saving a page of results with the checkpoint, ending a run, and the
//! schedule's bookkeeping.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Bytea, Date, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use uuid::Uuid;

/// A run claimed by a worker, with its instance.
#[derive(Debug, Clone, QueryableByName)]
pub struct ClaimedRun {
    /// The run.
    #[diesel(sql_type = SqlUuid)]
    pub run_id: Uuid,
    /// Its instance.
    #[diesel(sql_type = SqlUuid)]
    pub instance_id: Uuid,
    /// The deployment.
    #[diesel(sql_type = SqlUuid)]
    pub deployment_id: Uuid,
    /// The instance's kind.
    #[diesel(sql_type = Text)]
    pub kind: crate::domain::states::ConnectorKind,
    /// Its settings.
    #[diesel(sql_type = Jsonb)]
    pub config: serde_json::Value,
    /// Its sealed secrets.
    #[diesel(sql_type = Nullable<Bytea>)]
    pub secrets: Option<Vec<u8>>,
    /// Where a previous attempt stopped.
    #[diesel(sql_type = Nullable<Text>)]
    pub checkpoint: Option<String>,
    /// Counts so far.
    #[diesel(sql_type = Jsonb)]
    pub counts: serde_json::Value,
    /// schedule, manual or file.
    #[diesel(sql_type = Text)]
    pub trigger: String,
}

/// Marks a queued (or interrupted) run as running; `None` when it is finished or unknown.
pub fn claim(conn: &mut PgConnection, run: Uuid) -> QueryResult<Option<ClaimedRun>> {
    diesel::sql_query(
        "WITH r AS (UPDATE connector_run SET status = 'running', started_at = coalesce(started_at, now()), \
           attempts = attempts + 1 WHERE id = $1 AND status IN ('queued', 'running') RETURNING *) \
         SELECT r.id AS run_id, r.instance_id, r.deployment_id, i.kind, i.config, i.secrets, r.checkpoint, r.counts, r.trigger \
         FROM r JOIN connector_instance i ON i.id = r.instance_id",
    )
    .bind::<SqlUuid, _>(run)
    .get_result(conn)
    .optional()
}

/// A person the France Travail connector can look up.
#[derive(Debug, Clone, QueryableByName)]
pub struct Lookup {
    /// The person.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// NIR (13 characters).
    #[diesel(sql_type = Nullable<Text>)]
    pub nir: Option<String>,
    /// Birth date.
    #[diesel(sql_type = Date)]
    pub date_of_birth: NaiveDate,
    /// First name.
    #[diesel(sql_type = Text)]
    pub firstname: String,
    /// Last name.
    #[diesel(sql_type = Text)]
    pub lastname: String,
    /// France Travail id.
    #[diesel(sql_type = Nullable<Text>)]
    pub france_travail_id: Option<String>,
}

/// The next people of a deployment that France Travail can identify (a NIR or an id), in id
/// order after `after`.
pub fn people_to_look_up(
    conn: &mut PgConnection,
    deployment: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Lookup>> {
    diesel::sql_query(
        "SELECT id, nir, date_of_birth, firstname, lastname, france_travail_id FROM beneficiary \
         WHERE deployment_id = $1 AND (nir IS NOT NULL OR france_travail_id IS NOT NULL) \
           AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3",
    )
    .bind::<SqlUuid, _>(deployment)
    .bind::<Nullable<SqlUuid>, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// One record's result, to keep.
#[derive(Debug, Clone)]
pub struct NewItem {
    /// The record as named in the run history (never a NIR).
    pub record_ref: String,
    /// Outcome.
    pub outcome: String,
    /// The person.
    pub beneficiary_id: Option<Uuid>,
    /// Why.
    pub message: Option<String>,
}

/// Saves a page's items, the counts and where to resume, in one transaction with the page's
/// writes (the caller's).
pub fn save_page(
    conn: &mut PgConnection,
    run: Uuid,
    items: &[NewItem],
    counts: &serde_json::Value,
    checkpoint: &str,
) -> QueryResult<()> {
    if !items.is_empty() {
        let refs: Vec<&str> = items.iter().map(|i| i.record_ref.as_str()).collect();
        let outcomes: Vec<&str> = items.iter().map(|i| i.outcome.as_str()).collect();
        let people: Vec<Option<Uuid>> = items.iter().map(|i| i.beneficiary_id).collect();
        let messages: Vec<Option<&str>> = items.iter().map(|i| i.message.as_deref()).collect();
        diesel::sql_query(
            "INSERT INTO connector_run_item (run_id, record_ref, outcome, beneficiary_id, message) \
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::uuid[], $5::text[])",
        )
        .bind::<SqlUuid, _>(run)
        .bind::<Array<Text>, _>(refs)
        .bind::<Array<Text>, _>(outcomes)
        .bind::<Array<Nullable<SqlUuid>>, _>(people)
        .bind::<Array<Nullable<Text>>, _>(messages)
        .execute(conn)?;
    }
    diesel::sql_query("UPDATE connector_run SET counts = $2, checkpoint = $3 WHERE id = $1")
        .bind::<SqlUuid, _>(run)
        .bind::<Jsonb, _>(counts)
        .bind::<Text, _>(checkpoint)
        .execute(conn)
        .map(|_| ())
}

/// Ends a run: succeeded (the instance's last success moves) or failed with the reason.
pub fn finish(
    conn: &mut PgConnection,
    run: Uuid,
    counts: &serde_json::Value,
    error: Option<&str>,
) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::sql_query(
            "UPDATE connector_run SET status = CASE WHEN $3::text IS NULL THEN 'succeeded' ELSE 'failed' END, \
               finished_at = now(), counts = $2, error = $3 WHERE id = $1",
        )
        .bind::<SqlUuid, _>(run)
        .bind::<Jsonb, _>(counts)
        .bind::<Nullable<Text>, _>(error)
        .execute(conn)?;
        if error.is_none() {
            diesel::sql_query(
                "UPDATE connector_instance SET last_success_at = now() \
                 WHERE id = (SELECT instance_id FROM connector_run WHERE id = $1)",
            )
            .bind::<SqlUuid, _>(run)
            .execute(conn)?;
        }
        Ok(())
    })
}

/// An enabled instance with a schedule.
#[derive(Debug, Clone, QueryableByName)]
pub struct Scheduled {
    /// The instance.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its cron schedule.
    #[diesel(sql_type = Text)]
    pub schedule: String,
    /// When it was last scheduled (its creation when never).
    #[diesel(sql_type = Timestamptz)]
    pub since: DateTime<Utc>,
}

/// Enabled instances with a schedule.
pub fn scheduled(conn: &mut PgConnection) -> QueryResult<Vec<Scheduled>> {
    diesel::sql_query(
        "SELECT id, schedule, coalesce(last_scheduled_at, created_at) AS since FROM connector_instance \
         WHERE enabled AND deleted_at IS NULL AND schedule IS NOT NULL",
    )
    .load(conn)
}

/// Records that an instance was scheduled now, if nobody else did since `since` (several
/// worker processes tick; one wins).
pub fn mark_scheduled(
    conn: &mut PgConnection,
    instance: Uuid,
    since: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::sql_query(
        "UPDATE connector_instance SET last_scheduled_at = now() \
         WHERE id = $1 AND coalesce(last_scheduled_at, created_at) = $2",
    )
    .bind::<SqlUuid, _>(instance)
    .bind::<Timestamptz, _>(since)
    .execute(conn)
    .map(|n| n > 0)
}

#[derive(QueryableByName)]
struct RunId {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// Queued runs not handed to the job queue yet (or handed long ago and still queued), marked
/// as handed now.
pub fn to_push(conn: &mut PgConnection) -> QueryResult<Vec<Uuid>> {
    let rows: Vec<RunId> = diesel::sql_query(
        "UPDATE connector_run SET pushed_at = now() WHERE id IN (SELECT id FROM connector_run \
           WHERE (status = 'queued' AND (pushed_at IS NULL OR pushed_at < now() - interval '10 minutes')) \
              OR (status = 'running' AND pushed_at < now() - interval '6 hours') \
           FOR UPDATE SKIP LOCKED) RETURNING id",
    )
    .load(conn)?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

/// An instance read as a run of its own (no run yet): what on-demand calls need.
const ENABLED_INSTANCE: &str = "SELECT id AS run_id, id AS instance_id, deployment_id, kind, config, secrets, \
     NULL::text AS checkpoint, '{}'::jsonb AS counts, 'manual' AS trigger FROM connector_instance";

/// The enabled instance of a kind in a deployment (the oldest when there are several), with
/// its sealed secrets.
pub fn enabled_instance(
    conn: &mut PgConnection,
    deployment: Uuid,
    kind: crate::domain::states::ConnectorKind,
) -> QueryResult<Option<ClaimedRun>> {
    diesel::sql_query(format!(
        "{ENABLED_INSTANCE} WHERE deployment_id = $1 AND kind = $2 AND enabled AND deleted_at IS NULL \
         ORDER BY created_at LIMIT 1"
    ))
    .bind::<SqlUuid, _>(deployment)
    .bind::<Text, _>(kind)
    .get_result(conn)
    .optional()
}

/// The identity of one person, for a lookup.
pub fn person_to_look_up(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Lookup>> {
    diesel::sql_query(
        "SELECT id, nir, date_of_birth, firstname, lastname, france_travail_id FROM beneficiary WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .optional()
}

/// An enabled instance by id, with its sealed secrets.
pub fn enabled_instance_by_id(
    conn: &mut PgConnection,
    id: Uuid,
) -> QueryResult<Option<ClaimedRun>> {
    diesel::sql_query(format!(
        "{ENABLED_INSTANCE} WHERE id = $1 AND enabled AND deleted_at IS NULL"
    ))
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .optional()
}
