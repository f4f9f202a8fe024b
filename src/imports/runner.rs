//! Running an import kept in the database: read its file, then, chunk by chunk, send each line
//! through the inbound pipeline and save what it became.
//!
//! A preview runs each chunk in a transaction that is rolled back (nothing written), then saves
//! the results. A commit runs each chunk for real and saves its results and the checkpoint in
//! the same transaction: a worker killed in the middle resumes at the checkpoint, without losing
//! or repeating a line.

use std::io::Cursor;

use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Text, Uuid as SqlUuid};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::kinds::{Beneficiaries, BeneficiaryRow, FailedRow, ImportKind, KindRows, ParsedRow};
use super::records::{self, LineError};
use super::table::{ReadOptions, Row, SheetChoice, Table, TableError};
use crate::inbound::merge;
use crate::inbound::pipeline::{self, Options, Outcome};
use crate::inbound::record::PersonRecord;
use crate::store::changes::{self, PendingChange};
use crate::store::imports::{self as store, FileFacts, ImportRow, LineResult};

/// Lines per transaction of a commit.
pub const CHUNK_ROWS: usize = 500;

/// The `notebook_creation` source of people created by a file.
const CREATION_SOURCE: &str = "import";

/// The import kinds the hub runs so far.
pub const SUPPORTED_KINDS: [&str; 1] = ["beneficiaries"];

/// Columns of the beneficiaries template the hub reads (a wrong value is still an error) but
/// does not write yet: the notebook's diagnostic, structures and referents.
pub const NOT_APPLIED_YET: [&str; 7] = [
    "work_situation",
    "right_rqth",
    "geographical_area",
    "wanted_jobs",
    "education_level",
    "structures",
    "advisors",
];

/// Every import kind of the original service.
pub const KINDS: [&str; 6] = [
    "beneficiaries",
    "structures",
    "professionals",
    "reorientations",
    "orientation_managers",
    "rattachements",
];

/// How many lines became what.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counts {
    /// Lines read.
    pub read: i64,
    /// People to create (created, once committed).
    pub create: i64,
    /// People to update.
    pub update: i64,
    /// People already up to date.
    pub unchanged: i64,
    /// Lines kept aside for a person to decide who they are about.
    pub possible_match: i64,
    /// Lines in error.
    pub error: i64,
}

impl Counts {
    fn add(&mut self, status: &str, count: i64) {
        self.read += count;
        match status {
            "create" => self.create += count,
            "update" => self.update += count,
            "unchanged" => self.unchanged += count,
            "possible_match" => self.possible_match += count,
            _ => self.error += count,
        }
    }

    fn to_json(self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// How far a run may go.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunLimit {
    /// Stop after this many chunks (tests simulate a worker stopped after a checkpoint).
    pub max_chunks: Option<usize>,
}

/// Where a run left the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    /// Done: `previewed`, `committed` or `failed`.
    Finished(String),
    /// Stopped at a checkpoint by the run limit; running again resumes there.
    Paused,
    /// No such import.
    Missing,
    /// Another worker is running it.
    Busy,
}

/// Progress reported after each chunk.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Lines done.
    pub done: u64,
    /// Lines in the file, when known.
    pub total: Option<u64>,
}

/// A failure of the database while running (file problems end the import instead).
pub type RunResult<T> = Result<T, diesel::result::Error>;

/// Runs an import from where it stands to its end (or to the limit), unless another worker is
/// running it (`Busy`).
pub fn run(
    conn: &mut PgConnection,
    import_id: Uuid,
    limit: RunLimit,
    on_progress: &mut dyn FnMut(Progress),
) -> RunResult<RunState> {
    if !store::try_lock_run(conn, import_id)? {
        return Ok(RunState::Busy);
    }
    let result = run_locked(conn, import_id, limit, on_progress);
    let unlocked = store::unlock_run(conn, import_id);
    let state = result?;
    unlocked?;
    Ok(state)
}

fn run_locked(
    conn: &mut PgConnection,
    import_id: Uuid,
    limit: RunLimit,
    on_progress: &mut dyn FnMut(Progress),
) -> RunResult<RunState> {
    let Some(import) = store::get(conn, import_id, None)? else {
        return Ok(RunState::Missing);
    };
    let working = match (import.status.as_str(), import.mode.as_str()) {
        ("previewed" | "committed" | "failed", _) => return Ok(RunState::Finished(import.status)),
        ("received", "preview") | ("previewing", _) => "previewing",
        _ => "committing",
    };
    store::start(conn, import_id, working)?;
    if !SUPPORTED_KINDS.contains(&import.kind.as_str()) {
        store::fail(
            conn,
            import_id,
            "kind_not_supported_yet",
            &format!(
                "Le hub ne sait pas encore importer ce type de fichier ({})",
                import.kind
            ),
        )?;
        return Ok(RunState::Finished("failed".into()));
    }
    let bytes = store::file(conn, import_id)?;
    let options = ReadOptions {
        sheet: import
            .sheet
            .clone()
            .map_or(SheetChoice::First, SheetChoice::Named),
        ..ReadOptions::default()
    };
    let table = match Table::open(Cursor::new(bytes.as_slice()), &options) {
        Ok(table) => table,
        Err(error) => return failed(conn, import_id, error.code(), &error.to_string()),
    };
    let header = table.header().clone();
    let kind = Beneficiaries::detect(&header.cells);
    let parser = match KindRows::new(kind, &header, std::iter::empty::<Result<Row, TableError>>()) {
        Ok(parser) => parser,
        Err(error) => {
            let reason = header_reason(&error);
            return failed(conn, import_id, error.code(), &reason);
        }
    };
    let rows_total = match import.rows_total {
        Some(total) => Some(total),
        None => Table::open(Cursor::new(bytes.as_slice()), &options)
            .ok()
            .map(|rows| i32::try_from(rows.count()).unwrap_or(i32::MAX)),
    };
    let dialect = table.dialect();
    let csv = matches!(table.format(), super::table::FileFormat::Csv);
    store::record_facts(
        conn,
        import_id,
        &FileFacts {
            format: format_name(table.format()),
            encoding: csv.then(|| dialect.encoding.name().to_owned()),
            delimiter: csv.then(|| dialect.delimiter.char().to_string()),
            header: serde_json::json!(header.cells),
            unknown_columns: serde_json::to_value(parser.headers().unknown()).unwrap_or_default(),
            not_applied_columns: serde_json::json!(
                NOT_APPLIED_YET
                    .iter()
                    .filter_map(|key| kind
                        .columns()
                        .iter()
                        .find(|spec| spec.key == *key)
                        .and_then(|spec| parser.headers().position(spec))
                        .map(|column| parser.headers().header(column).to_owned()))
                    .collect::<Vec<_>>()
            ),
            rows_total,
        },
    )?;
    let context = Context {
        import: &import,
        pe_column: column_header(&parser, kind, "pe_number"),
        source: records::source_system(import.profile.as_deref()),
        as_of: import.created_at,
        preview: working == "previewing",
    };
    let mut counts = Counts::default();
    for (status, count) in store::counts_by_status(conn, import_id)? {
        counts.add(&status, count);
    }
    let skip = usize::try_from(import.checkpoint).unwrap_or(0);
    let mut position = skip;
    let mut chunks = 0;
    let mut chunk: Vec<(Vec<String>, ParsedRow<BeneficiaryRow>)> = Vec::with_capacity(CHUNK_ROWS);
    let total = rows_total.and_then(|t| u64::try_from(t).ok());
    let mut table = table.skip(skip);
    loop {
        let next = table.next();
        let end = next.is_none();
        match next {
            Some(Ok(row)) => {
                let cells = row.cells.clone();
                chunk.push((cells, parser.parse_row(row)));
            }
            Some(Err(error)) => {
                // A broken record (a quote left open): the lines before it are kept.
                if !chunk.is_empty() {
                    position += chunk.len();
                    run_chunk(
                        conn,
                        &context,
                        std::mem::take(&mut chunk),
                        position,
                        &mut counts,
                    )?;
                }
                return failed(conn, import_id, error.code(), &error.to_string());
            }
            None => {}
        }
        if chunk.len() == CHUNK_ROWS || (end && !chunk.is_empty()) {
            position += chunk.len();
            run_chunk(
                conn,
                &context,
                std::mem::take(&mut chunk),
                position,
                &mut counts,
            )?;
            chunks += 1;
            on_progress(Progress {
                done: position as u64,
                total,
            });
            if !end && limit.max_chunks.is_some_and(|max| chunks >= max) {
                return Ok(RunState::Paused);
            }
        }
        if end {
            break;
        }
    }
    let status = if context.preview {
        "previewed"
    } else {
        "committed"
    };
    store::finish(
        conn,
        import_id,
        status,
        i32::try_from(position).unwrap_or(i32::MAX),
    )?;
    Ok(RunState::Finished(status.into()))
}

fn failed(conn: &mut PgConnection, id: Uuid, code: &str, reason: &str) -> RunResult<RunState> {
    store::fail(conn, id, code, reason)?;
    Ok(RunState::Finished("failed".into()))
}

fn format_name(format: super::table::FileFormat) -> String {
    serde_json::to_value(format)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The header line's problem in French, with every missing column named.
fn header_reason(error: &super::headers::HeaderError) -> String {
    error.to_string()
}

/// The header the file gives a column of the kind, or its key when the column is absent.
fn column_header<I>(parser: &KindRows<Beneficiaries, I>, kind: Beneficiaries, key: &str) -> String
where
    I: Iterator<Item = Result<Row, TableError>>,
{
    kind.columns()
        .iter()
        .find(|spec| spec.key == key)
        .and_then(|spec| parser.headers().position(spec))
        .map_or_else(
            || key.to_owned(),
            |column| parser.headers().header(column).to_owned(),
        )
}

/// What every chunk of a run shares.
struct Context<'a> {
    import: &'a ImportRow,
    pe_column: String,
    source: String,
    as_of: chrono::DateTime<Utc>,
    preview: bool,
}

/// Why a chunk's transaction ended without committing.
enum ChunkEnd {
    /// The preview is done: roll back, keep the results.
    Preview(Vec<LineResult>),
    /// The database failed.
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for ChunkEnd {
    fn from(error: diesel::result::Error) -> Self {
        ChunkEnd::Database(error)
    }
}

/// Runs one chunk and saves its results with the new checkpoint.
fn run_chunk(
    conn: &mut PgConnection,
    context: &Context<'_>,
    chunk: Vec<(Vec<String>, ParsedRow<BeneficiaryRow>)>,
    checkpoint: usize,
    counts: &mut Counts,
) -> RunResult<()> {
    let id = context.import.id;
    let checkpoint = i32::try_from(checkpoint).unwrap_or(i32::MAX);
    let outcome = conn.transaction::<_, ChunkEnd, _>(|conn| {
        let mut results = Vec::with_capacity(chunk.len());
        let mut pending: Vec<PendingChange> = Vec::new();
        for (cells, parsed) in chunk {
            let (result, change) = run_line(conn, context, cells, parsed)?;
            pending.extend(change);
            results.push(result);
        }
        if context.preview {
            return Err(ChunkEnd::Preview(results));
        }
        let mut after = *counts;
        for result in &results {
            after.add(&result.status, 1);
        }
        store::save_chunk(conn, id, &results, checkpoint, &after.to_json())?;
        // The change feed's counter stays locked until commit: last statement.
        changes::record(conn, &pending)?;
        *counts = after;
        Ok(())
    });
    match outcome {
        Ok(()) => Ok(()),
        Err(ChunkEnd::Database(error)) => Err(error),
        Err(ChunkEnd::Preview(results)) => conn.transaction(|conn| {
            let mut after = *counts;
            for result in &results {
                after.add(&result.status, 1);
            }
            store::save_chunk(conn, id, &results, checkpoint, &after.to_json())?;
            *counts = after;
            Ok(())
        }),
    }
}

fn error_line(line: u64, cells: Vec<String>, errors: Vec<LineError>) -> LineResult {
    LineResult {
        line: i32::try_from(line).unwrap_or(i32::MAX),
        status: "error".into(),
        beneficiary_id: None,
        possible_match_id: None,
        changes: None,
        kept: None,
        errors: Some(serde_json::to_value(errors).unwrap_or_default()),
        cells: Some(serde_json::json!(cells)),
    }
}

fn failed_line(failed: FailedRow) -> LineResult {
    let errors = failed.errors.iter().map(LineError::from).collect();
    error_line(failed.line, failed.cells, errors)
}

/// One line through the pipeline.
fn run_line(
    conn: &mut PgConnection,
    context: &Context<'_>,
    cells: Vec<String>,
    parsed: ParsedRow<BeneficiaryRow>,
) -> RunResult<(LineResult, Option<PendingChange>)> {
    let numbered = match parsed {
        Ok(numbered) => numbered,
        Err(failed) => return Ok((failed_line(failed), None)),
    };
    let record = match records::beneficiary_record(
        &numbered.value,
        &context.pe_column,
        context.import.deployment_id,
        &context.source,
        context.as_of,
    ) {
        Ok(record) => record,
        Err(errors) => return Ok((error_line(numbered.line, cells, errors), None)),
    };
    let line = i32::try_from(numbered.line).unwrap_or(i32::MAX);
    let reject = |code: &str, message: &str, cells: Vec<String>| {
        error_line(
            numbered.line,
            cells,
            vec![LineError {
                column: String::new(),
                value: String::new(),
                code: code.to_owned(),
                message: records::rejection_message(code, message),
            }],
        )
    };
    let (outcome, change, before) = match ingest(conn, &record, false)? {
        Ingested::Done(outcome, change) => (outcome, change, None),
        Ingested::Refused(error) => {
            return Ok((reject("not_applicable", &error, cells), None));
        }
        Ingested::Updates(beneficiary) => {
            let before = Snapshot::read(conn, beneficiary)?;
            match ingest(conn, &record, true)? {
                Ingested::Done(outcome, change) | Ingested::Kept(outcome, change) => {
                    (outcome, change, Some(before))
                }
                Ingested::Refused(error) => {
                    return Ok((reject("not_applicable", &error, cells), None));
                }
                Ingested::Updates(_) => unreachable_updates(),
            }
        }
        Ingested::Kept(outcome, change) => {
            let current = match &outcome {
                Outcome::Unchanged { beneficiary_id, .. } => {
                    Some(Snapshot::read(conn, *beneficiary_id)?)
                }
                _ => None,
            };
            (outcome, change, current)
        }
    };
    let mut result = LineResult {
        line,
        status: String::new(),
        beneficiary_id: None,
        possible_match_id: None,
        changes: None,
        kept: None,
        errors: None,
        cells: None,
    };
    match outcome {
        Outcome::Created { beneficiary_id, .. } => {
            result.status = "create".into();
            result.beneficiary_id = Some(beneficiary_id);
        }
        Outcome::Updated {
            beneficiary_id,
            fields,
            kept,
            ..
        } => {
            result.status = "update".into();
            result.beneficiary_id = Some(beneficiary_id);
            if let Some(before) = &before {
                result.changes = Some(before.changes(&record, &fields));
                result.kept = before.kept(&record, &kept);
            }
        }
        Outcome::Unchanged {
            beneficiary_id,
            kept,
            ..
        } => {
            result.status = "unchanged".into();
            result.beneficiary_id = Some(beneficiary_id);
            if let Some(current) = &before {
                result.kept = current.kept(&record, &kept);
            }
        }
        Outcome::PossibleMatch {
            possible_match_id, ..
        } => {
            result.status = "possible_match".into();
            // A preview rolls the possible match back: its id would point nowhere.
            result.possible_match_id = (!context.preview).then_some(possible_match_id);
        }
        Outcome::Rejected { code, message } => {
            return Ok((reject(&code, &message, cells), None));
        }
    }
    Ok((result, change))
}

fn unreachable_updates() -> (Outcome, Option<PendingChange>, Option<Snapshot>) {
    // The second run writes what the first one rolled back: it cannot roll back again.
    (
        Outcome::Rejected {
            code: "not_applicable".into(),
            message: "the line changed while it was imported".into(),
        },
        None,
        None,
    )
}

/// What one pipeline attempt gave.
enum Ingested {
    /// Done (created, unchanged without kept fields, possible match, rejected).
    Done(Outcome, Option<PendingChange>),
    /// Unchanged, or updated on the second run; kept fields to show.
    Kept(Outcome, Option<PendingChange>),
    /// It would update this person: rolled back so that their values before can be read.
    Updates(Uuid),
    /// The database refused the line (a constraint); the reason.
    Refused(String),
}

enum Attempt {
    Updates(Uuid),
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for Attempt {
    fn from(error: diesel::result::Error) -> Self {
        Attempt::Database(error)
    }
}

/// One attempt in a savepoint; a first update is rolled back and reported, so that the
/// caller reads the values it replaces, then runs it again.
fn ingest(conn: &mut PgConnection, record: &PersonRecord, second: bool) -> RunResult<Ingested> {
    let attempt = conn.transaction::<_, Attempt, _>(|conn| {
        let (outcome, change) =
            pipeline::ingest(conn, record, CREATION_SOURCE, Options::default())?;
        if let Outcome::Updated { beneficiary_id, .. } = &outcome
            && !second
        {
            return Err(Attempt::Updates(*beneficiary_id));
        }
        Ok((outcome, change))
    });
    match attempt {
        Ok((outcome, change)) => match &outcome {
            Outcome::Unchanged { kept, .. } if !kept.is_empty() => {
                Ok(Ingested::Kept(outcome, change))
            }
            Outcome::Updated { .. } => Ok(Ingested::Kept(outcome, change)),
            _ => Ok(Ingested::Done(outcome, change)),
        },
        Err(Attempt::Updates(id)) => Ok(Ingested::Updates(id)),
        Err(Attempt::Database(diesel::result::Error::DatabaseError(_, info))) => {
            Ok(Ingested::Refused(match info.constraint_name() {
                Some(constraint) => format!("{} ({constraint})", info.message()),
                None => info.message().to_owned(),
            }))
        }
        Err(Attempt::Database(error)) => Err(error),
    }
}

#[derive(QueryableByName)]
struct CurrentRow {
    #[diesel(sql_type = Jsonb)]
    row: serde_json::Value,
}

#[derive(QueryableByName)]
struct OwnerRow {
    #[diesel(sql_type = Text)]
    field: String,
    #[diesel(sql_type = Text)]
    source_system: String,
}

/// A person's values and who set each, before a line changes them.
struct Snapshot {
    row: serde_json::Value,
    owners: Vec<OwnerRow>,
}

impl Snapshot {
    fn read(conn: &mut PgConnection, beneficiary: Uuid) -> RunResult<Self> {
        let row: CurrentRow =
            diesel::sql_query("SELECT to_jsonb(b) AS row FROM beneficiary b WHERE id = $1")
                .bind::<SqlUuid, _>(beneficiary)
                .get_result(conn)?;
        let owners: Vec<OwnerRow> = diesel::sql_query(
            "SELECT field, source_system FROM field_provenance WHERE beneficiary_id = $1",
        )
        .bind::<SqlUuid, _>(beneficiary)
        .load(conn)?;
        Ok(Snapshot {
            row: row.row,
            owners,
        })
    }

    fn owner(&self, field: &str) -> serde_json::Value {
        self.owners
            .iter()
            .find(|owner| owner.field == field)
            .map_or(serde_json::Value::Null, |owner| {
                serde_json::Value::String(owner.source_system.clone())
            })
    }

    fn current(&self, field: &str) -> serde_json::Value {
        mask(field, self.row.get(field).cloned().unwrap_or_default())
    }

    /// field → {before, after, source}: `source` is who set the value being replaced.
    fn changes(&self, record: &PersonRecord, fields: &[String]) -> serde_json::Value {
        let incoming = merge::present_fields(&record.fields);
        let mut map = serde_json::Map::new();
        for field in fields {
            let after = incoming
                .iter()
                .find(|(name, _)| name == field)
                .map_or(serde_json::Value::Null, |(_, value)| value.clone());
            map.insert(
                field.clone(),
                serde_json::json!({
                    "before": self.current(field),
                    "after": mask(field, after),
                    "source": self.owner(field),
                }),
            );
        }
        serde_json::Value::Object(map)
    }

    /// field → {current, proposed, source} for the values of the file that do not win.
    fn kept(&self, record: &PersonRecord, fields: &[String]) -> Option<serde_json::Value> {
        if fields.is_empty() {
            return None;
        }
        let incoming = merge::present_fields(&record.fields);
        let mut map = serde_json::Map::new();
        for field in fields {
            let proposed = incoming
                .iter()
                .find(|(name, _)| name == field)
                .map_or(serde_json::Value::Null, |(_, value)| value.clone());
            map.insert(
                field.clone(),
                serde_json::json!({
                    "current": self.current(field),
                    "proposed": mask(field, proposed),
                    "source": self.owner(field),
                }),
            );
        }
        Some(serde_json::Value::Object(map))
    }
}

/// The NIR is never shown in results (a partner may import without `nir:read`).
fn mask(field: &str, value: serde_json::Value) -> serde_json::Value {
    if field == "nir" && !value.is_null() {
        serde_json::Value::String("•••••••••••••".into())
    } else {
        value
    }
}
