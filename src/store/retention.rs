//! Retention: a deployment's settings, each person's last activity and due date, the managers'
//! notices and the postponements, and the expiry of received files and raw payloads.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Date, Integer, Nullable, Oid, Text, Timestamptz, Uuid as SqlUuid,
};
use uuid::Uuid;

use crate::domain::retention::RetentionSettings;

#[derive(QueryableByName)]
struct SettingsRow {
    #[diesel(sql_type = Integer)]
    person_inactivity_days: i32,
    #[diesel(sql_type = Integer)]
    file_days: i32,
}

/// A deployment's retention (the defaults when it set none).
pub fn settings(conn: &mut PgConnection, deployment: Uuid) -> QueryResult<RetentionSettings> {
    let row = diesel::sql_query(
        "SELECT person_inactivity_days, file_days FROM retention_setting WHERE deployment_id = $1",
    )
    .bind::<SqlUuid, _>(deployment)
    .get_result::<SettingsRow>(conn)
    .optional()?;
    Ok(
        row.map_or_else(RetentionSettings::default, |row| RetentionSettings {
            person_inactivity_days: row.person_inactivity_days,
            file_days: row.file_days,
        }),
    )
}

/// Sets a deployment's retention.
pub fn save_settings(
    conn: &mut PgConnection,
    deployment: Uuid,
    settings: RetentionSettings,
    by: Option<Uuid>,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO retention_setting (deployment_id, person_inactivity_days, file_days, updated_by_account_id) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (deployment_id) DO UPDATE SET \
         person_inactivity_days = EXCLUDED.person_inactivity_days, file_days = EXCLUDED.file_days, \
         updated_at = now(), updated_by_account_id = EXCLUDED.updated_by_account_id",
    )
    .bind::<SqlUuid, _>(deployment)
    .bind::<Integer, _>(settings.person_inactivity_days)
    .bind::<Integer, _>(settings.file_days)
    .bind::<Nullable<SqlUuid>, _>(by)
    .execute(conn)
    .map(|_| ())
}

/// A postponement of a person's purge.
#[derive(Debug, Clone, QueryableByName)]
pub struct PostponementRow {
    /// Its id.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// The person.
    #[diesel(sql_type = SqlUuid)]
    pub beneficiary_id: Uuid,
    /// Kept at least until this day.
    #[diesel(sql_type = Date)]
    pub until: NaiveDate,
    /// Why.
    #[diesel(sql_type = Text)]
    pub reason: String,
    /// By whom.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub postponed_by_account_id: Option<Uuid>,
    /// When.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// A new postponement of a person's purge.
#[derive(Debug, Clone)]
pub struct NewPostponement {
    /// The person's deployment.
    pub deployment_id: Uuid,
    /// The person.
    pub beneficiary_id: Uuid,
    /// Kept at least until this day.
    pub until: NaiveDate,
    /// Why.
    pub reason: String,
    /// The manager or administrator.
    pub by: Option<Uuid>,
}

/// Keeps a person past their due date; the notice sent about them is withdrawn (a new one is
/// sent before the new date).
pub fn postpone(conn: &mut PgConnection, new: &NewPostponement) -> QueryResult<PostponementRow> {
    conn.transaction(|conn| {
        diesel::sql_query("DELETE FROM retention_notice WHERE beneficiary_id = $1")
            .bind::<SqlUuid, _>(new.beneficiary_id)
            .execute(conn)?;
        diesel::sql_query(
            "INSERT INTO retention_postponement (deployment_id, beneficiary_id, until, reason, postponed_by_account_id) \
             VALUES ($1, $2, $3, $4, $5) \
             RETURNING id, beneficiary_id, until, reason, postponed_by_account_id, created_at",
        )
        .bind::<SqlUuid, _>(new.deployment_id)
        .bind::<SqlUuid, _>(new.beneficiary_id)
        .bind::<Date, _>(new.until)
        .bind::<Text, _>(&new.reason)
        .bind::<Nullable<SqlUuid>, _>(new.by)
        .get_result(conn)
    })
}

/// A person due for the retention purge by a given day.
#[derive(Debug, Clone, QueryableByName)]
pub struct DueRow {
    /// The person.
    #[diesel(sql_type = SqlUuid)]
    pub beneficiary_id: Uuid,
    /// First name.
    #[diesel(sql_type = Text)]
    pub firstname: String,
    /// Last name.
    #[diesel(sql_type = Text)]
    pub lastname: String,
    /// Birth date.
    #[diesel(sql_type = Date)]
    pub date_of_birth: NaiveDate,
    /// Their notebook, if any.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub notebook_id: Option<Uuid>,
    /// Their last activity: creation, own sign-in or action, appointment, plan change,
    /// orientation, open right.
    #[diesel(sql_type = Timestamptz)]
    pub last_activity_at: DateTime<Utc>,
    /// The day their retention ends (a postponement included).
    #[diesel(sql_type = Date)]
    pub due_on: NaiveDate,
    /// When the managers were told, if they were.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub noticed_at: Option<DateTime<Utc>>,
    /// The latest postponement's end, if any.
    #[diesel(sql_type = Nullable<Date>)]
    pub postponed_until: Option<NaiveDate>,
    /// Its reason.
    #[diesel(sql_type = Nullable<Text>)]
    pub postponement_reason: Option<String>,
}

/// Which people a due query reads.
#[derive(Debug, Clone, Copy)]
pub struct DueQuery {
    /// The deployment.
    pub deployment_id: Uuid,
    /// Its person retention, in days.
    pub inactivity_days: i32,
    /// People due on this day or before.
    pub by: NaiveDate,
    /// One person only.
    pub person: Option<Uuid>,
    /// Continue after this (due day, person), in that order.
    pub after: Option<(NaiveDate, Uuid)>,
    /// At most this many.
    pub limit: i64,
}

/// A person's last activity is the latest of: their creation and their notebook's, their own
/// sign-in and their own accesses, their appointments (not deleted), their plan's changes
/// (focuses, targets, actions), their orientation decisions, and the date a source last stated
/// an open right (RSA open, ARE, ASS). Their due day is that plus the retention, or the end of
/// their latest postponement when later.
const DUE_QUERY: &str = "WITH person AS (
  SELECT b.id, b.firstname, b.lastname, b.date_of_birth, n.id AS notebook_id,
    greatest(b.created_at, n.created_at, acc.last_login_at, own.at, appointment.at, plan.at, orientation.at,
      CASE WHEN b.right_rsa LIKE 'rsa_droit_ouvert%' THEN (b.provenance->'sources'->((b.provenance->'fields'->>'right_rsa')::int)->>'as_of')::timestamptz END,
      CASE WHEN b.right_are THEN (b.provenance->'sources'->((b.provenance->'fields'->>'right_are')::int)->>'as_of')::timestamptz END,
      CASE WHEN b.right_ass THEN (b.provenance->'sources'->((b.provenance->'fields'->>'right_ass')::int)->>'as_of')::timestamptz END
    ) AS last_activity_at,
    postponed.until AS postponed_until, postponed.reason AS postponement_reason
  FROM beneficiary b
  LEFT JOIN notebook n ON n.beneficiary_id = b.id
  LEFT JOIN account acc ON acc.beneficiary_id = b.id
  LEFT JOIN LATERAL (SELECT max(l.occurred_at) AS at FROM access_log l
      WHERE l.beneficiary_id = b.id AND l.account_id = acc.id) own ON true
  LEFT JOIN LATERAL (SELECT max(a.date) AS at FROM notebook_appointment a
      WHERE a.notebook_id = n.id AND a.deleted_at IS NULL) appointment ON true
  LEFT JOIN LATERAL (SELECT greatest(
      (SELECT max(f.updated_at) FROM notebook_focus f WHERE f.notebook_id = n.id),
      (SELECT max(t.updated_at) FROM notebook_target t WHERE t.notebook_id = n.id),
      (SELECT max(x.updated_at) FROM notebook_action x WHERE x.notebook_id = n.id)) AS at) plan ON true
  LEFT JOIN LATERAL (SELECT max(o.decided_at) AS at FROM orientation_decision o
      WHERE o.notebook_id = n.id) orientation ON true
  LEFT JOIN LATERAL (SELECT p.until, p.reason FROM retention_postponement p
      WHERE p.beneficiary_id = b.id ORDER BY p.until DESC, p.created_at DESC LIMIT 1) postponed ON true
  WHERE b.deployment_id = $1 AND ($4::uuid IS NULL OR b.id = $4)
    -- Every activity is at or after the creation: someone created since the day's retention
    -- began cannot be due, and their activity is not computed.
    AND b.created_at < $3::date + 1 - $2
), due AS (
  SELECT person.*, greatest((last_activity_at + make_interval(days => $2))::date, postponed_until) AS due_on
  FROM person
)
SELECT due.beneficiary_id, due.firstname, due.lastname, due.date_of_birth, due.notebook_id,
  due.last_activity_at, due.due_on, rn.noticed_at, due.postponed_until, due.postponement_reason
FROM (SELECT due.*, due.id AS beneficiary_id FROM due) due
LEFT JOIN retention_notice rn ON rn.beneficiary_id = due.beneficiary_id
WHERE due.due_on <= $3
  AND ($5::date IS NULL OR (due.due_on, due.beneficiary_id) > ($5::date, $6::uuid))
ORDER BY due.due_on, due.beneficiary_id
LIMIT $7";

/// The people of a deployment due by a day, in due order (the day is computed in the database's
/// time zone, UTC on the hub's cluster).
pub fn due(conn: &mut PgConnection, query: &DueQuery) -> QueryResult<Vec<DueRow>> {
    let (after_day, after_id) = query.after.unzip();
    diesel::sql_query(DUE_QUERY)
        .bind::<SqlUuid, _>(query.deployment_id)
        .bind::<Integer, _>(query.inactivity_days)
        .bind::<Date, _>(query.by)
        .bind::<Nullable<SqlUuid>, _>(query.person)
        .bind::<Nullable<Date>, _>(after_day)
        .bind::<Nullable<SqlUuid>, _>(after_id)
        .bind::<BigInt, _>(query.limit)
        .load(conn)
}

/// Forgets the notices of a deployment's people who are no longer due by the horizon (active
/// again, or postponed); answers how many.
pub fn withdraw_notices(
    conn: &mut PgConnection,
    deployment: Uuid,
    still_due: &[Uuid],
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM retention_notice WHERE deployment_id = $1 AND NOT (beneficiary_id = ANY ($2))",
    )
    .bind::<SqlUuid, _>(deployment)
    .bind::<Array<SqlUuid>, _>(still_due)
    .execute(conn)
}

/// Records that the managers were told about these people and their due days.
pub fn record_notices(
    conn: &mut PgConnection,
    deployment: Uuid,
    people: &[(Uuid, NaiveDate)],
    noticed_at: DateTime<Utc>,
) -> QueryResult<usize> {
    let (ids, days): (Vec<Uuid>, Vec<NaiveDate>) = people.iter().copied().unzip();
    diesel::sql_query(
        "INSERT INTO retention_notice (beneficiary_id, deployment_id, due_on, noticed_at) \
         SELECT p, $1, d, $4 FROM unnest($2::uuid[], $3::date[]) AS t(p, d) \
         ON CONFLICT (beneficiary_id) DO NOTHING",
    )
    .bind::<SqlUuid, _>(deployment)
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<Date>, _>(days)
    .bind::<Timestamptz, _>(noticed_at)
    .execute(conn)
}

/// Locks a person for their purge; answers whether they still exist.
pub fn lock_person(conn: &mut PgConnection, person: Uuid) -> QueryResult<bool> {
    diesel::sql_query("SELECT id FROM beneficiary WHERE id = $1 FOR UPDATE")
        .bind::<SqlUuid, _>(person)
        .execute(conn)
        .map(|rows| rows == 1)
}

/// A deployment the sweep goes through.
#[derive(Debug, Clone, QueryableByName)]
pub struct DeploymentRow {
    /// Its id.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its name.
    #[diesel(sql_type = Text)]
    pub label: String,
}

/// Every deployment, in a stable order.
pub fn deployments(conn: &mut PgConnection) -> QueryResult<Vec<DeploymentRow>> {
    diesel::sql_query("SELECT id, label FROM deployment ORDER BY created_at, id").load(conn)
}

/// Whether a deployment exists.
pub fn deployment_exists(conn: &mut PgConnection, deployment: Uuid) -> QueryResult<bool> {
    diesel::sql_query("SELECT id, label FROM deployment WHERE id = $1")
        .bind::<SqlUuid, _>(deployment)
        .execute(conn)
        .map(|rows| rows == 1)
}

/// The advisory lock of the retention sweep (one sweep at a time across every process).
const SWEEP_LOCK: i64 = 0x0063_6462_5f72_6574; // "cdb_ret"

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

/// Takes the sweep's lock on this connection's session, if no other process holds it.
pub fn try_lock_sweep(conn: &mut PgConnection) -> QueryResult<bool> {
    diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
        .bind::<BigInt, _>(SWEEP_LOCK)
        .get_result::<Locked>(conn)
        .map(|row| row.locked)
}

/// Releases the sweep's lock.
pub fn unlock_sweep(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_unlock($1) AS locked")
        .bind::<BigInt, _>(SWEEP_LOCK)
        .get_result::<Locked>(conn)
        .map(|_| ())
}

/// What the expiry of a deployment's files deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExpiredFiles {
    /// Imports whose file went (their lines keep their outcome only).
    pub imports: usize,
    /// Connector files whose content went.
    pub connector_files: usize,
    /// France Travail extract rows whose text went (their hash stays).
    pub extract_rows: usize,
    /// Superseded raw payloads deleted.
    pub payload_versions: usize,
}

/// What an expired line's error or warning says instead of its value and message.
pub const EXPIRED_MESSAGE: &str =
    "Détail effacé à l'expiration de la durée de conservation du fichier.";

#[derive(QueryableByName)]
struct ExpiringImport {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Oid)]
    file_oid: u32,
}

#[derive(QueryableByName)]
struct ExpiringFile {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Nullable<Oid>)]
    content_oid: Option<u32>,
}

/// Deletes what a deployment received before `cutoff` and no longer needs, in one transaction:
/// the files of finished imports (and their lines' cells, changes and values, and their
/// corrections: each line keeps its outcome and its errors' columns and codes), the content of applied or
/// rejected connector files (their report stays, without its list of unknown people), the text of extract rows (their hash stays, so that a row
/// already applied is not applied again) and the raw payloads superseded by a newer version
/// (the current one is the person's data, kept as long as they are), and the messages of
/// finished runs' items (their outcomes stay). Large objects included.
pub fn expire_files(
    conn: &mut PgConnection,
    deployment: Uuid,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<ExpiredFiles> {
    conn.transaction(|conn| {
        let imports: Vec<ExpiringImport> = diesel::sql_query(
            "SELECT id, file_oid FROM import WHERE deployment_id = $1 AND file_oid IS NOT NULL \
             AND status IN ('previewed', 'committed', 'failed') AND finished_at < $2 \
             ORDER BY id FOR UPDATE SKIP LOCKED",
        )
        .bind::<SqlUuid, _>(deployment)
        .bind::<Timestamptz, _>(cutoff)
        .load(conn)?;
        let import_ids: Vec<Uuid> = imports.iter().map(|i| i.id).collect();
        let import_oids: Vec<u32> = imports.iter().map(|i| i.file_oid).collect();
        unlink(conn, &import_oids)?;
        diesel::sql_query(
            "UPDATE import SET file_oid = NULL, file_expired_at = $2 WHERE id = ANY ($1)",
        )
        .bind::<Array<SqlUuid>, _>(&import_ids)
        .bind::<Timestamptz, _>(now)
        .execute(conn)?;
        diesel::sql_query(
            "UPDATE import_row SET cells = NULL, changes = NULL, kept = NULL, \
             errors = (SELECT jsonb_agg(e || $2) FROM jsonb_array_elements(errors) e), \
             warnings = (SELECT jsonb_agg(w || $2) FROM jsonb_array_elements(warnings) w) \
             WHERE import_id = ANY ($1)",
        )
        .bind::<Array<SqlUuid>, _>(&import_ids)
        .bind::<diesel::sql_types::Jsonb, _>(serde_json::json!({"value": "", "message": EXPIRED_MESSAGE}))
        .execute(conn)?;
        diesel::sql_query("DELETE FROM import_correction WHERE import_id = ANY ($1)")
            .bind::<Array<SqlUuid>, _>(&import_ids)
            .execute(conn)?;

        let files: Vec<ExpiringFile> = diesel::sql_query(
            "SELECT id, content_oid FROM connector_file WHERE deployment_id = $1 \
             AND content_expired_at IS NULL AND status IN ('applied', 'rejected') \
             AND coalesce(applied_at, received_at) < $2 ORDER BY id FOR UPDATE SKIP LOCKED",
        )
        .bind::<SqlUuid, _>(deployment)
        .bind::<Timestamptz, _>(cutoff)
        .load(conn)?;
        let file_ids: Vec<Uuid> = files.iter().map(|f| f.id).collect();
        let file_oids: Vec<u32> = files.iter().filter_map(|f| f.content_oid).collect();
        unlink(conn, &file_oids)?;
        diesel::sql_query(
            "UPDATE connector_file SET content = NULL, content_oid = NULL, content_expired_at = $2, \
             report = report - 'unknown_people' WHERE id = ANY ($1)",
        )
        .bind::<Array<SqlUuid>, _>(&file_ids)
        .bind::<Timestamptz, _>(now)
        .execute(conn)?;

        // The runs' items keep their outcome; their messages may quote a value of the file.
        diesel::sql_query(
            "UPDATE connector_run_item i SET message = NULL FROM connector_run r \
             WHERE i.run_id = r.id AND r.deployment_id = $1 AND r.finished_at < $2 AND i.message IS NOT NULL",
        )
        .bind::<SqlUuid, _>(deployment)
        .bind::<Timestamptz, _>(cutoff)
        .execute(conn)?;
        let extract_rows = diesel::sql_query(
            "UPDATE connector_row r SET raw = NULL FROM connector_instance i \
             WHERE r.instance_id = i.id AND i.deployment_id = $1 AND r.raw IS NOT NULL AND r.first_seen_at < $2",
        )
        .bind::<SqlUuid, _>(deployment)
        .bind::<Timestamptz, _>(cutoff)
        .execute(conn)?;
        let payload_versions = diesel::sql_query(
            "DELETE FROM external_data e WHERE e.deployment_id = $1 AND e.received_at < $2 \
             AND EXISTS (SELECT 1 FROM external_data newer WHERE newer.deployment_id = e.deployment_id \
               AND newer.source = e.source AND newer.source_record_id = e.source_record_id \
               AND newer.version > e.version)",
        )
        .bind::<SqlUuid, _>(deployment)
        .bind::<Timestamptz, _>(cutoff)
        .execute(conn)?;
        Ok(ExpiredFiles {
            imports: import_ids.len(),
            connector_files: file_ids.len(),
            extract_rows,
            payload_versions,
        })
    })
}

fn unlink(conn: &mut PgConnection, oids: &[u32]) -> QueryResult<()> {
    if oids.is_empty() {
        return Ok(());
    }
    diesel::sql_query("SELECT lo_unlink(o) FROM unnest($1::oid[]) AS o")
        .bind::<Array<Oid>, _>(oids)
        .execute(conn)
        .map(|_| ())
}
