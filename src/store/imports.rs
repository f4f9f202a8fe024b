//! File imports: the upload kept with its import, the per-line results, the checkpoint a
//! restarted worker resumes from, and the job that processes it (enqueued in the same
//! transaction as the upload, so no upload is ever left without its job).

use crate::domain::states::{ImportKind, ImportMode, ImportStatus, LineStatus};
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{
    Bigint, Integer, Jsonb, Nullable, Oid, Text, Timestamptz, Uuid as SqlUuid,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::large_objects::{self, StreamError};

/// Stable name of the imports queue (never the Rust type path).
pub const QUEUE: &str = "cdb.imports";

/// Attempts of an import job: a failure of the database is retried twice, file problems are
/// not failures of the job (they end the import as `failed`).
pub const MAX_ATTEMPTS: i32 = 3;

/// An upload to keep.
#[derive(Debug, Clone)]
pub struct NewImport {
    /// The deployment imported into.
    pub deployment_id: Uuid,
    /// What the file holds.
    pub kind: ImportKind,
    /// Preview or commit.
    pub mode: ImportMode,
    /// Mapping profile (names the source system), if any.
    pub profile: Option<String>,
    /// Sheet of a workbook to read, if not the first.
    pub sheet: Option<String>,
    /// The file's name as uploaded.
    pub file_name: String,
    /// The person who uploaded it.
    pub created_by_account_id: Option<Uuid>,
    /// The API client that uploaded it.
    pub created_by_client_id: Option<Uuid>,
    /// The structure a professionals or rattachement file is for.
    pub structure_id: Option<Uuid>,
    /// Structures: overwrite the existing structures' details.
    pub overwrite: bool,
    /// Structures: e-mail the new structure administrators their account.
    pub send_account_email: bool,
}

/// An import as read back (without the file).
#[derive(Debug, Clone, QueryableByName)]
pub struct ImportRow {
    /// The import.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its deployment.
    #[diesel(sql_type = SqlUuid)]
    pub deployment_id: Uuid,
    /// The kind of file.
    #[diesel(sql_type = Text)]
    pub kind: ImportKind,
    /// Preview or commit.
    #[diesel(sql_type = Text)]
    pub mode: ImportMode,
    /// Where it stands.
    #[diesel(sql_type = Text)]
    pub status: ImportStatus,
    /// The mapping profile.
    #[diesel(sql_type = Nullable<Text>)]
    pub profile: Option<String>,
    /// The sheet read in a workbook.
    #[diesel(sql_type = Nullable<Text>)]
    pub sheet: Option<String>,
    /// The file name as uploaded.
    #[diesel(sql_type = Text)]
    pub file_name: String,
    /// Size of the file in bytes.
    #[diesel(sql_type = Bigint)]
    pub file_size: i64,
    /// SHA-256 of the file, hex.
    #[diesel(sql_type = Text)]
    pub file_sha256: String,
    /// csv, xlsx, xls, xlsb or ods, once read.
    #[diesel(sql_type = Nullable<Text>)]
    pub file_format: Option<String>,
    /// Encoding of a CSV, once read.
    #[diesel(sql_type = Nullable<Text>)]
    pub encoding: Option<String>,
    /// Separator of a CSV, once read.
    #[diesel(sql_type = Nullable<Text>)]
    pub delimiter: Option<String>,
    /// The header line.
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub header: Option<serde_json::Value>,
    /// Columns not recognised.
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub unknown_columns: Option<serde_json::Value>,
    /// Lines by outcome so far.
    #[diesel(sql_type = Jsonb)]
    pub counts: serde_json::Value,
    /// Lines after the header, once counted.
    #[diesel(sql_type = Nullable<Integer>)]
    pub rows_total: Option<i32>,
    /// Lines done.
    #[diesel(sql_type = Integer)]
    pub rows_done: i32,
    /// Lines of the file already handled: a restart resumes after them.
    #[diesel(sql_type = Integer)]
    pub checkpoint: i32,
    /// When it was uploaded.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// When its processing started.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it failed (code).
    #[diesel(sql_type = Nullable<Text>)]
    pub failure_code: Option<String>,
    /// Why it failed, in French.
    #[diesel(sql_type = Nullable<Text>)]
    pub failure_reason: Option<String>,
    /// The person who uploaded it.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub created_by_account_id: Option<Uuid>,
    /// The API client that uploaded it.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub created_by_client_id: Option<Uuid>,
    /// The structure a professionals or rattachement file is for.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub structure_id: Option<Uuid>,
    /// Structures: overwrite the existing structures' details.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub overwrite: bool,
    /// Structures: e-mail the new structure administrators their account.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub send_account_email: bool,
    /// When the file was deleted at the end of its retention.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub file_expired_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, deployment_id, kind, mode, status, profile, sheet, file_name, file_size, \
     file_sha256, file_format, encoding, delimiter, header, unknown_columns, counts, rows_total, rows_done, \
     checkpoint, created_at, started_at, finished_at, failure_code, failure_reason, \
     created_by_account_id, created_by_client_id, structure_id, overwrite, send_account_email, file_expired_at";

/// The job of an import, as its worker receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunImport {
    /// The import to run.
    pub import_id: Uuid,
}

/// Keeps an upload (its file streamed into a large object) and, with `enqueue`, its job, in
/// one transaction (the command line runs its imports itself).
pub fn create(
    conn: &mut PgConnection,
    new: &NewImport,
    file: impl std::io::Read,
    enqueue_job: bool,
) -> Result<ImportRow, StreamError> {
    conn.transaction(|conn| {
        let file = large_objects::stream(conn, file, 0)?;
        let row: ImportRow = diesel::sql_query(format!(
            "INSERT INTO import (deployment_id, kind, mode, profile, sheet, file_name, file_size, file_sha256, file_oid, \
             created_by_account_id, created_by_client_id, structure_id, overwrite, send_account_email) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             RETURNING {COLUMNS}"
        ))
        .bind::<SqlUuid, _>(new.deployment_id)
        .bind::<Text, _>(new.kind)
        .bind::<Text, _>(new.mode)
        .bind::<Nullable<Text>, _>(new.profile.as_deref())
        .bind::<Nullable<Text>, _>(new.sheet.as_deref())
        .bind::<Text, _>(&new.file_name)
        .bind::<Bigint, _>(file.size)
        .bind::<Text, _>(&file.sha256)
        .bind::<Oid, _>(file.oid)
        .bind::<Nullable<SqlUuid>, _>(new.created_by_account_id)
        .bind::<Nullable<SqlUuid>, _>(new.created_by_client_id)
        .bind::<Nullable<SqlUuid>, _>(new.structure_id)
        .bind::<diesel::sql_types::Bool, _>(new.overwrite)
        .bind::<diesel::sql_types::Bool, _>(new.send_account_email)
        .get_result(conn)?;
        if enqueue_job {
            enqueue(conn, row.id, "upload")?;
        }
        Ok(row)
    })
}

/// Enqueues the import's job inside the caller's transaction (see [`super::jobs::enqueue`]);
/// a second enqueue for the same step is a no-op.
pub fn enqueue(conn: &mut PgConnection, import_id: Uuid, step: &str) -> QueryResult<()> {
    let job = serde_json::to_string(&RunImport { import_id }).unwrap_or_default();
    super::jobs::enqueue(
        conn,
        QUEUE,
        &job,
        MAX_ATTEMPTS,
        &format!("import:{import_id}:{step}"),
    )
}

/// An import, if it belongs to the deployment (any deployment when `None`).
pub fn get(
    conn: &mut PgConnection,
    id: Uuid,
    deployment: Option<Uuid>,
) -> QueryResult<Option<ImportRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM import WHERE id = $1 AND ($2::uuid IS NULL OR deployment_id = $2)"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Nullable<SqlUuid>, _>(deployment)
    .get_result(conn)
    .optional()
}

/// An import locked for its worker.
pub fn lock(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<ImportRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM import WHERE id = $1 FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .optional()
}

#[derive(QueryableByName)]
struct FileRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<Oid>)]
    file_oid: Option<u32>,
}

/// The large object holding the uploaded file (read it with [`large_objects::Reader`]); `None`
/// once the file expired (its retention ended).
pub fn file(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<u32>> {
    diesel::sql_query("SELECT file_oid FROM import WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .get_result::<FileRow>(conn)
        .map(|row| row.file_oid)
}

/// Starts (or restarts) the processing: `previewing` or `committing`.
pub fn start(conn: &mut PgConnection, id: Uuid, status: ImportStatus) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE import SET status = $2, started_at = coalesce(started_at, now()) WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(status)
    .execute(conn)
    .map(|_| ())
}

/// What the file turned out to be, once its header is read.
#[derive(Debug, Clone)]
pub struct FileFacts {
    /// csv, xlsx, xls, xlsb, ods.
    pub format: String,
    /// Encoding of a CSV.
    pub encoding: Option<String>,
    /// Separator of a CSV.
    pub delimiter: Option<String>,
    /// The header row.
    pub header: serde_json::Value,
    /// Columns not recognised.
    pub unknown_columns: serde_json::Value,
    /// Rows after the header.
    pub rows_total: Option<i32>,
}

/// Records what the file is.
pub fn record_facts(conn: &mut PgConnection, id: Uuid, facts: &FileFacts) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE import SET file_format = $2, encoding = $3, delimiter = $4, header = $5, unknown_columns = $6, \
         rows_total = coalesce($7, rows_total) WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(&facts.format)
    .bind::<Nullable<Text>, _>(facts.encoding.as_deref())
    .bind::<Nullable<Text>, _>(facts.delimiter.as_deref())
    .bind::<Jsonb, _>(&facts.header)
    .bind::<Jsonb, _>(&facts.unknown_columns)
    .bind::<Nullable<Integer>, _>(facts.rows_total)
    .execute(conn)
    .map(|_| ())
}

/// Ends an import that cannot be processed; the file stays attached with the reason.
pub fn fail(conn: &mut PgConnection, id: Uuid, code: &str, reason: &str) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE import SET status = 'failed', failure_code = $2, failure_reason = $3, finished_at = now() WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(code)
    .bind::<Text, _>(reason)
    .execute(conn)
    .map(|_| ())
}

/// What one line of the file became.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineResult {
    /// Line number in the file.
    pub line: i32,
    /// What the line became.
    pub status: LineStatus,
    /// The person, once known.
    pub beneficiary_id: Option<Uuid>,
    /// The possible match kept for a person to resolve.
    pub possible_match_id: Option<Uuid>,
    /// The structure, professional, orientation manager or notebook the line wrote.
    pub record_id: Option<Uuid>,
    /// field → {before, after, source}.
    pub changes: Option<serde_json::Value>,
    /// field → {current, proposed, source}: values of the file that do not win.
    pub kept: Option<serde_json::Value>,
    /// [{column, value, code, message}].
    pub errors: Option<serde_json::Value>,
    /// What an applied line left out, and why: [{column, value, code, message}].
    pub warnings: Option<serde_json::Value>,
    /// The cells of the line as read (kept for rejected lines and lines with warnings, for
    /// the errors file).
    pub cells: Option<serde_json::Value>,
}

/// Saves the results of a chunk and moves the checkpoint, in the caller's transaction.
pub fn save_chunk(
    conn: &mut PgConnection,
    id: Uuid,
    results: &[LineResult],
    checkpoint: i32,
    counts: &serde_json::Value,
) -> QueryResult<()> {
    if !results.is_empty() {
        let json = serde_json::to_value(results).unwrap_or_default();
        diesel::sql_query(
            "INSERT INTO import_row (import_id, line, status, beneficiary_id, possible_match_id, record_id, changes, kept, errors, warnings, cells) \
             SELECT $1, r.line, r.status, r.beneficiary_id, r.possible_match_id, r.record_id, r.changes, r.kept, r.errors, r.warnings, r.cells \
             FROM jsonb_to_recordset($2) AS r(line integer, status text, beneficiary_id uuid, possible_match_id uuid, \
                  record_id uuid, changes jsonb, kept jsonb, errors jsonb, warnings jsonb, cells jsonb) \
             ON CONFLICT (import_id, line) DO UPDATE SET status = EXCLUDED.status, beneficiary_id = EXCLUDED.beneficiary_id, \
             possible_match_id = EXCLUDED.possible_match_id, record_id = EXCLUDED.record_id, changes = EXCLUDED.changes, kept = EXCLUDED.kept, \
             errors = EXCLUDED.errors, warnings = EXCLUDED.warnings, cells = EXCLUDED.cells",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<Jsonb, _>(json)
        .execute(conn)?;
    }
    diesel::sql_query(
        "UPDATE import SET checkpoint = $2, rows_done = $2, counts = $3 WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Integer, _>(checkpoint)
    .bind::<Jsonb, _>(counts)
    .execute(conn)
    .map(|_| ())
}

/// Forgets what a preview stopped in the middle saved: it runs again from the first line.
pub fn restart_preview(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::sql_query("DELETE FROM import_row WHERE import_id = $1")
            .bind::<SqlUuid, _>(id)
            .execute(conn)?;
        diesel::sql_query(
            "UPDATE import SET checkpoint = 0, rows_done = 0, counts = '{}'::jsonb WHERE id = $1",
        )
        .bind::<SqlUuid, _>(id)
        .execute(conn)
        .map(|_| ())
    })
}

/// Ends a processing: `previewed` or `committed`.
pub fn finish(
    conn: &mut PgConnection,
    id: Uuid,
    status: ImportStatus,
    rows_total: i32,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE import SET status = $2, rows_total = $3, finished_at = now() WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(status)
    .bind::<Integer, _>(rows_total)
    .execute(conn)
    .map(|_| ())
}

/// Why a previewed import cannot be committed.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// Not previewed (yet, or any more).
    #[error("the import is {0}")]
    NotPreviewed(String),
    /// No such import.
    #[error("no such import")]
    NotFound,
    /// Database failure.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Turns a previewed import into a commit: the preview's results are replaced as the commit
/// advances, and the job is enqueued in the same transaction.
pub fn request_commit(
    conn: &mut PgConnection,
    id: Uuid,
    deployment: Option<Uuid>,
) -> Result<ImportRow, CommitError> {
    conn.transaction(|conn| {
        let current = lock(conn, id)?.ok_or(CommitError::NotFound)?;
        if deployment.is_some_and(|d| d != current.deployment_id) {
            return Err(CommitError::NotFound);
        }
        if current.status != ImportStatus::Previewed {
            return Err(CommitError::NotPreviewed(current.status.to_string()));
        }
        diesel::sql_query("DELETE FROM import_row WHERE import_id = $1")
            .bind::<SqlUuid, _>(id)
            .execute(conn)?;
        let row: ImportRow = diesel::sql_query(format!(
            "UPDATE import SET mode = 'commit', status = 'committing', checkpoint = 0, rows_done = 0, \
             counts = '{{}}'::jsonb, started_at = now(), finished_at = NULL WHERE id = $1 RETURNING {COLUMNS}"
        ))
        .bind::<SqlUuid, _>(id)
        .get_result(conn)?;
        enqueue(conn, id, "commit")?;
        Ok(row)
    })
}

#[derive(QueryableByName)]
struct StatusCount {
    #[diesel(sql_type = Text)]
    status: LineStatus,
    #[diesel(sql_type = Bigint)]
    count: i64,
}

/// Lines saved so far, by status (to resume the counts after a restart).
pub fn counts_by_status(conn: &mut PgConnection, id: Uuid) -> QueryResult<Vec<(LineStatus, i64)>> {
    let rows: Vec<StatusCount> = diesel::sql_query(
        "SELECT status, count(*) AS count FROM import_row WHERE import_id = $1 GROUP BY status",
    )
    .bind::<SqlUuid, _>(id)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.status, r.count)).collect())
}

/// A saved line result.
#[derive(Debug, Clone, QueryableByName)]
pub struct SavedLine {
    /// Line number in the file.
    #[diesel(sql_type = Integer)]
    pub line: i32,
    /// What the line became.
    #[diesel(sql_type = Text)]
    pub status: LineStatus,
    /// The person.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub beneficiary_id: Option<Uuid>,
    /// The possible match kept.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub possible_match_id: Option<Uuid>,
    /// The structure, professional, orientation manager or notebook written.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub record_id: Option<Uuid>,
    /// field → {before, after, source}.
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub changes: Option<serde_json::Value>,
    /// field → {current, proposed, source}.
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub kept: Option<serde_json::Value>,
    /// [{column, value, code, message}].
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub errors: Option<serde_json::Value>,
    /// What an applied line left out: [{column, value, code, message}].
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub warnings: Option<serde_json::Value>,
    /// The cells as read (rejected lines, lines with warnings).
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub cells: Option<serde_json::Value>,
}

/// Line results after a line, optionally of one status, by line; `limit + 1` to tell whether
/// another page follows.
pub fn lines(
    conn: &mut PgConnection,
    id: Uuid,
    status: Option<&str>,
    after_line: i32,
    limit: i64,
) -> QueryResult<Vec<SavedLine>> {
    diesel::sql_query(
        "SELECT line, status, beneficiary_id, possible_match_id, record_id, changes, kept, errors, warnings, cells FROM import_row \
         WHERE import_id = $1 AND ($2::text IS NULL OR status = $2) AND line > $3 ORDER BY line LIMIT $4",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Nullable<Text>, _>(status)
    .bind::<Integer, _>(after_line)
    .bind::<Bigint, _>(limit)
    .load(conn)
}

/// The lines an agent has to look at again, after a line, by line: those in error and those
/// applied without some of their values (warnings); `limit` of them.
pub fn lines_to_correct(
    conn: &mut PgConnection,
    id: Uuid,
    after_line: i32,
    limit: i64,
) -> QueryResult<Vec<SavedLine>> {
    diesel::sql_query(
        "SELECT line, status, beneficiary_id, possible_match_id, record_id, changes, kept, errors, warnings, cells FROM import_row \
         WHERE import_id = $1 AND (status = 'error' OR warnings IS NOT NULL) AND line > $2 ORDER BY line LIMIT $3",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Integer, _>(after_line)
    .bind::<Bigint, _>(limit)
    .load(conn)
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

/// Takes the import's session lock, so that a single worker runs it at a time; `false` when
/// another connection holds it.
pub fn try_lock_run(conn: &mut PgConnection, id: Uuid) -> QueryResult<bool> {
    diesel::sql_query(
        "SELECT pg_try_advisory_lock(hashtextextended('import:' || $1::text, 0)) AS locked",
    )
    .bind::<SqlUuid, _>(id)
    .get_result::<Locked>(conn)
    .map(|row| row.locked)
}

/// Releases the import's session lock.
pub fn unlock_run(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    diesel::sql_query(
        "SELECT pg_advisory_unlock(hashtextextended('import:' || $1::text, 0)) AS locked",
    )
    .bind::<SqlUuid, _>(id)
    .get_result::<Locked>(conn)
    .map(|_| ())
}

/// Whose imports a list shows (the policy's importer, in the store's terms).
#[derive(Debug, Clone, Default)]
pub struct ImportScope {
    /// Only this deployment's; every deployment when `None`.
    pub deployment: Option<Uuid>,
    /// Only these kinds.
    pub kinds: Vec<ImportKind>,
    /// Only the files of the structures this structure administrator administers.
    pub administered_by: Option<Uuid>,
    /// Only the files this API client uploaded.
    pub uploaded_by_client: Option<Uuid>,
}

/// Which imports of a scope a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportFilter {
    /// Only those in this status.
    pub status: Option<ImportStatus>,
    /// Only this kind (within the scope's kinds).
    pub kind: Option<ImportKind>,
    /// Only those uploaded at or after this instant.
    pub since: Option<DateTime<Utc>>,
}

/// The imports in scope, newest first, before `(created_at, id)` of the previous page's last;
/// `limit` of them.
pub fn list(
    conn: &mut PgConnection,
    scope: &ImportScope,
    filter: ImportFilter,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<ImportRow>> {
    let kinds: Vec<String> = scope
        .kinds
        .iter()
        .filter(|kind| filter.kind.is_none_or(|only| only == **kind))
        .map(|kind| kind.to_string())
        .collect();
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM import i WHERE ($1::uuid IS NULL OR deployment_id = $1) \
         AND kind = ANY ($2) \
         AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM admin_structure_structure a \
              WHERE a.admin_structure_id = $3 AND a.structure_id = i.structure_id AND a.deleted_at IS NULL)) \
         AND ($4::uuid IS NULL OR created_by_client_id = $4) \
         AND ($5::timestamptz IS NULL OR (created_at, id) < ($5, $6)) \
         AND ($8::text IS NULL OR status = $8) \
         AND ($9::timestamptz IS NULL OR created_at >= $9) \
         ORDER BY created_at DESC, id DESC LIMIT $7"
    ))
    .bind::<Nullable<SqlUuid>, _>(scope.deployment)
    .bind::<diesel::sql_types::Array<Text>, _>(kinds)
    .bind::<Nullable<SqlUuid>, _>(scope.administered_by)
    .bind::<Nullable<SqlUuid>, _>(scope.uploaded_by_client)
    .bind::<Nullable<Timestamptz>, _>(before.map(|(at, _)| at))
    .bind::<Nullable<SqlUuid>, _>(before.map(|(_, id)| id))
    .bind::<Bigint, _>(limit)
    .bind::<Nullable<Text>, _>(filter.status.map(|status| status.to_string()))
    .bind::<Nullable<Timestamptz>, _>(filter.since)
    .load(conn)
}

#[derive(QueryableByName)]
struct LineNumber {
    #[diesel(sql_type = Integer)]
    line: i32,
}

/// The lines of an import an agent may correct: in error, or applied without some values.
pub fn correctable_lines(
    conn: &mut PgConnection,
    id: Uuid,
) -> QueryResult<std::collections::BTreeSet<i32>> {
    let rows: Vec<LineNumber> = diesel::sql_query(
        "SELECT line FROM import_row WHERE import_id = $1 AND (status = 'error' OR warnings IS NOT NULL)",
    )
    .bind::<SqlUuid, _>(id)
    .load(conn)?;
    Ok(rows.into_iter().map(|row| row.line).collect())
}

/// Keeps corrections of a previewed import (a later correction of a line replaces the earlier)
/// and previews it again: its line results are replaced as the new preview advances, and the
/// job is enqueued in the same transaction.
pub fn correct(
    conn: &mut PgConnection,
    id: Uuid,
    deployment: Option<Uuid>,
    corrections: &[(i32, Vec<String>)],
    file_name: &str,
) -> Result<ImportRow, CommitError> {
    conn.transaction(|conn| {
        let current = lock(conn, id)?.ok_or(CommitError::NotFound)?;
        if deployment.is_some_and(|d| d != current.deployment_id) {
            return Err(CommitError::NotFound);
        }
        if current.status != ImportStatus::Previewed {
            return Err(CommitError::NotPreviewed(current.status.to_string()));
        }
        let lines: Vec<i32> = corrections.iter().map(|(line, _)| *line).collect();
        let cells: Vec<serde_json::Value> = corrections
            .iter()
            .map(|(_, cells)| serde_json::json!(cells))
            .collect();
        diesel::sql_query(
            "INSERT INTO import_correction (import_id, line, cells, file_name) \
             SELECT $1, line, cells, $4 FROM unnest($2::int[], $3::jsonb[]) AS c(line, cells) \
             ON CONFLICT (import_id, line) DO UPDATE SET cells = EXCLUDED.cells, \
             file_name = EXCLUDED.file_name, created_at = now()",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<diesel::sql_types::Array<Integer>, _>(&lines)
        .bind::<diesel::sql_types::Array<Jsonb>, _>(&cells)
        .bind::<Text, _>(file_name)
        .execute(conn)?;
        diesel::sql_query("DELETE FROM import_row WHERE import_id = $1")
            .bind::<SqlUuid, _>(id)
            .execute(conn)?;
        let row: ImportRow = diesel::sql_query(format!(
            "UPDATE import SET status = 'received', checkpoint = 0, rows_done = 0, \
             counts = '{{}}'::jsonb, started_at = NULL, finished_at = NULL WHERE id = $1 RETURNING {COLUMNS}"
        ))
        .bind::<SqlUuid, _>(id)
        .get_result(conn)?;
        enqueue(conn, id, &format!("correction:{}", Uuid::new_v4()))?;
        Ok(row)
    })
}

#[derive(QueryableByName)]
struct CorrectionRow {
    #[diesel(sql_type = Integer)]
    line: i32,
    #[diesel(sql_type = Jsonb)]
    cells: serde_json::Value,
}

/// The corrections kept for an import: line → cells in the original header's order.
pub fn corrections(
    conn: &mut PgConnection,
    id: Uuid,
) -> QueryResult<std::collections::HashMap<i32, Vec<String>>> {
    let rows: Vec<CorrectionRow> =
        diesel::sql_query("SELECT line, cells FROM import_correction WHERE import_id = $1")
            .bind::<SqlUuid, _>(id)
            .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                row.line,
                serde_json::from_value(row.cells).unwrap_or_default(),
            )
        })
        .collect())
}

/// How many lines of an import have been corrected.
pub fn corrected_count(conn: &mut PgConnection, id: Uuid) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = Bigint)]
        count: i64,
    }
    let row: Count =
        diesel::sql_query("SELECT count(*) AS count FROM import_correction WHERE import_id = $1")
            .bind::<SqlUuid, _>(id)
            .get_result(conn)?;
    Ok(row.count)
}
