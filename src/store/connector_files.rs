//! Files received by file-fed connector instances: kept whole, applied in the order of their
//! own creation date, resumable, each with its report.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

/// A file as shown (without its content).
#[derive(Debug, Clone, QueryableByName)]
pub struct FileRow {
    /// The file.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its instance.
    #[diesel(sql_type = SqlUuid)]
    pub instance_id: Uuid,
    /// Name given at upload.
    #[diesel(sql_type = Text)]
    pub file_name: String,
    /// SHA-256 of the content.
    #[diesel(sql_type = Text)]
    pub sha256: String,
    /// Size.
    #[diesel(sql_type = BigInt)]
    pub size_bytes: i64,
    /// The file's own creation date (the order of application).
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub flux_created_at: Option<DateTime<Utc>>,
    /// received, applied or rejected.
    #[diesel(sql_type = Text)]
    pub status: String,
    /// Counts and lists of the application.
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub report: Option<serde_json::Value>,
    /// Why it was rejected.
    #[diesel(sql_type = Nullable<Text>)]
    pub error: Option<String>,
    /// Reception.
    #[diesel(sql_type = Timestamptz)]
    pub received_at: DateTime<Utc>,
    /// Application.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub applied_at: Option<DateTime<Utc>>,
}

const FILE: &str = "SELECT id, instance_id, file_name, sha256, size_bytes, flux_created_at, status, report, error, \
     received_at, applied_at FROM connector_file";

/// A file to keep.
#[derive(Debug, Clone)]
pub struct NewFile<'a> {
    /// Instance.
    pub instance_id: Uuid,
    /// Deployment.
    pub deployment_id: Uuid,
    /// Name.
    pub file_name: &'a str,
    /// Content, unless it is in a large object.
    pub content: Option<&'a [u8]>,
    /// The large object holding the content (a big flux streamed at reception).
    pub content_oid: Option<u32>,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 in hex.
    pub sha256: &'a str,
    /// The file's own creation date.
    pub flux_created_at: Option<DateTime<Utc>>,
    /// Rejected at reception (unreadable header), with the reason.
    pub error: Option<String>,
}

/// Keeps a file; answers it and whether it is new (the same content sent again is the same
/// file: the caller then deletes the large object it wrote, if any).
pub fn keep(conn: &mut PgConnection, new: &NewFile<'_>) -> QueryResult<(FileRow, bool)> {
    let inserted: Option<FileRow> = diesel::sql_query(format!(
        "WITH f AS (INSERT INTO connector_file (instance_id, deployment_id, file_name, content, sha256, size_bytes, \
           flux_created_at, status, error, content_oid) VALUES ($1, $2, $3, $4, $5, $6, $7, \
           CASE WHEN $8::text IS NULL THEN 'received' ELSE 'rejected' END, $8, $9) \
           ON CONFLICT (instance_id, sha256) DO NOTHING RETURNING *) {} FROM f",
        FILE.trim_end_matches(" FROM connector_file")
    ))
    .bind::<SqlUuid, _>(new.instance_id)
    .bind::<SqlUuid, _>(new.deployment_id)
    .bind::<Text, _>(new.file_name)
    .bind::<Nullable<Bytea>, _>(new.content)
    .bind::<Text, _>(new.sha256)
    .bind::<BigInt, _>(new.size_bytes)
    .bind::<Nullable<Timestamptz>, _>(new.flux_created_at)
    .bind::<Nullable<Text>, _>(new.error.as_deref())
    .bind::<Nullable<diesel::sql_types::Oid>, _>(new.content_oid)
    .get_result(conn)
    .optional()?;
    match inserted {
        Some(file) => Ok((file, true)),
        None => diesel::sql_query(format!("{FILE} WHERE instance_id = $1 AND sha256 = $2"))
            .bind::<SqlUuid, _>(new.instance_id)
            .bind::<Text, _>(new.sha256)
            .get_result(conn)
            .map(|file| (file, false)),
    }
}

/// Files of an instance, newest first.
pub fn list(
    conn: &mut PgConnection,
    instance: Uuid,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<FileRow>> {
    diesel::sql_query(format!(
        "{FILE} WHERE instance_id = $1 \
         AND ($3::timestamptz IS NULL OR (received_at, id) < ($3::timestamptz, $4::uuid)) \
         ORDER BY received_at DESC, id DESC LIMIT $2"
    ))
    .bind::<SqlUuid, _>(instance)
    .bind::<BigInt, _>(limit)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>, _>(before.map(|b| b.0))
    .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(before.map(|b| b.1))
    .load(conn)
}

/// One file of an instance.
pub fn get(conn: &mut PgConnection, instance: Uuid, id: Uuid) -> QueryResult<Option<FileRow>> {
    diesel::sql_query(format!("{FILE} WHERE instance_id = $1 AND id = $2"))
        .bind::<SqlUuid, _>(instance)
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .optional()
}

/// The next file to apply, with its content and where it stopped.
#[derive(Debug, Clone, QueryableByName)]
pub struct PendingFile {
    /// The file.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Name.
    #[diesel(sql_type = Text)]
    pub file_name: String,
    /// Content (empty when it is in a large object).
    #[diesel(sql_type = Bytea)]
    pub content: Vec<u8>,
    /// The large object holding the content, for a big flux.
    #[diesel(sql_type = Nullable<diesel::sql_types::Oid>)]
    pub content_oid: Option<u32>,
    /// Units already applied.
    #[diesel(sql_type = BigInt)]
    pub units_done: i64,
    /// The report so far.
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub report: Option<serde_json::Value>,
}

/// The oldest received file of an instance, by its own creation date.
pub fn next_pending(conn: &mut PgConnection, instance: Uuid) -> QueryResult<Option<PendingFile>> {
    diesel::sql_query(
        "SELECT id, file_name, coalesce(content, ''::bytea) AS content, content_oid, units_done, report FROM connector_file \
         WHERE instance_id = $1 AND status = 'received' \
         ORDER BY flux_created_at NULLS LAST, received_at, id LIMIT 1",
    )
    .bind::<SqlUuid, _>(instance)
    .get_result(conn)
    .optional()
}

/// Saves where an application stands (in the transaction of the units applied).
pub fn progress(
    conn: &mut PgConnection,
    id: Uuid,
    units_done: i64,
    report: &serde_json::Value,
) -> QueryResult<()> {
    diesel::sql_query("UPDATE connector_file SET units_done = $2, report = $3 WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .bind::<BigInt, _>(units_done)
        .bind::<Jsonb, _>(report)
        .execute(conn)
        .map(|_| ())
}

/// Ends a file: applied with its report, or rejected whole with the reason.
pub fn end(
    conn: &mut PgConnection,
    id: Uuid,
    report: &serde_json::Value,
    error: Option<&str>,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE connector_file SET status = CASE WHEN $3::text IS NULL THEN 'applied' ELSE 'rejected' END, \
           report = $2, error = $3, applied_at = CASE WHEN $3::text IS NULL THEN now() END WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Jsonb, _>(report)
    .bind::<Nullable<Text>, _>(error)
    .execute(conn)
    .map(|_| ())
}

#[derive(QueryableByName)]
struct Email {
    #[diesel(sql_type = Text)]
    email: String,
}

/// The e-mail addresses of a deployment's managers.
pub fn manager_emails(conn: &mut PgConnection, deployment: Uuid) -> QueryResult<Vec<String>> {
    let rows: Vec<Email> = diesel::sql_query(
        "SELECT m.email FROM manager m JOIN account a ON a.manager_id = m.id \
         WHERE m.deployment_id = $1 AND a.deleted_at IS NULL ORDER BY m.email",
    )
    .bind::<SqlUuid, _>(deployment)
    .load(conn)?;
    Ok(rows.into_iter().map(|row| row.email).collect())
}

#[derive(QueryableByName)]
struct InstanceId {
    #[diesel(sql_type = SqlUuid)]
    instance_id: Uuid,
}

/// Instances with received files and no active run: the tick queues a run for each.
pub fn instances_with_pending_files(conn: &mut PgConnection) -> QueryResult<Vec<Uuid>> {
    let rows: Vec<InstanceId> = diesel::sql_query(
        "SELECT DISTINCT f.instance_id FROM connector_file f JOIN connector_instance i ON i.id = f.instance_id \
         WHERE f.status = 'received' AND i.enabled AND i.deleted_at IS NULL \
           AND NOT EXISTS (SELECT 1 FROM connector_run r WHERE r.instance_id = f.instance_id AND r.status IN ('queued', 'running'))",
    )
    .load(conn)?;
    Ok(rows.into_iter().map(|row| row.instance_id).collect())
}
