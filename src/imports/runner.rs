//! Running an import kept in the database: read its file, then, chunk by chunk, send each line
//! through the inbound pipeline and save what it became.
//!
//! A preview runs the whole file in one transaction of its own connection, rolled back at the
//! end (nothing written), each chunk in a savepoint, and saves each chunk's results on the
//! run's connection as it goes: a later line sees the people an earlier one would create or
//! change. A commit runs each chunk for real and saves its results and the checkpoint in
//! the same transaction: a worker killed in the middle resumes at the checkpoint, without losing
//! or repeating a line.

use crate::domain::states::LineStatus;
use crate::domain::states::{ImportKind, ImportMode, ImportStatus};
use std::collections::HashSet;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::apply::{
    self, BeneficiaryLines, ColumnNames, KindLines, LineApplier, LineFailure,
    OrientationManagerLines, ProfessionalLines, ProfileLines, ProfileRows, RattachementLines,
    ReorientationLines, RunContext, StructureLines,
};
use super::kinds::{FailedRow, KindRows, Numbered, TemplateKind};
use super::records::LineError;
use super::table::{ReadOptions, Row, SheetChoice, Table, TableError};
use crate::postgres::DbPool;
use crate::store::changes::{self, PendingChange};
use crate::store::imports::{self as store, FileFacts, ImportRow, LineResult};
use crate::store::large_objects::Reader;
use crate::store::statistics::PeopleGrowth;

/// Lines per transaction of a commit.
pub const CHUNK_ROWS: usize = 500;

/// A line read: typed, or already in error.
type Parsed<R> = Result<Numbered<R>, Box<LineResult>>;

/// Lines read but not applied yet: each with its cells as read.
type Chunk<R> = Vec<(Vec<String>, Parsed<R>)>;

/// How many lines became what.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counts {
    /// Lines read.
    pub read: i64,
    /// Records to create (created, once committed).
    pub create: i64,
    /// Records to update.
    pub update: i64,
    /// Records already up to date.
    pub unchanged: i64,
    /// Lines kept aside for a person to decide who they are about.
    pub possible_match: i64,
    /// Lines in error.
    pub error: i64,
    /// Lines applied without some of their values (avertissements); counted besides their
    /// outcome.
    #[serde(default)]
    pub warning: i64,
}

impl Counts {
    fn add(&mut self, status: LineStatus, count: i64) {
        self.read += count;
        match status {
            LineStatus::Create => self.create += count,
            LineStatus::Update => self.update += count,
            LineStatus::Unchanged => self.unchanged += count,
            LineStatus::PossibleMatch => self.possible_match += count,
            LineStatus::Error => self.error += count,
        }
    }

    fn with(mut self, results: &[LineResult]) -> Self {
        for result in results {
            self.add(result.status, 1);
            if result.warnings.is_some() {
                self.warning += 1;
            }
        }
        self
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
    /// Stop at the next checkpoint once this is set (a command interrupted by a signal).
    pub stop: Option<&'static std::sync::atomic::AtomicBool>,
}

/// Where a run left the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    /// Done: previewed, committed or failed.
    Finished(ImportStatus),
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
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A statement failed.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// No connection to read the file on.
    #[error(transparent)]
    Pool(#[from] diesel::r2d2::PoolError),
}

/// The result of a run, or of one of its steps.
pub type RunResult<T> = Result<T, RunError>;

/// Runs an import from where it stands to its end (or to the limit), unless another worker is
/// running it (`Busy`). The file is read a piece at a time on a connection of `files` of its
/// own. `app_url` is the application's address, for the e-mails lines queue.
pub fn run(
    conn: &mut PgConnection,
    files: &DbPool,
    import_id: Uuid,
    limit: RunLimit,
    app_url: &str,
    on_progress: &mut dyn FnMut(Progress),
) -> RunResult<RunState> {
    if !store::try_lock_run(conn, import_id)? {
        return Ok(RunState::Busy);
    }
    let result = run_locked(conn, files, import_id, limit, app_url, on_progress);
    let unlocked = store::unlock_run(conn, import_id);
    let state = result?;
    unlocked?;
    Ok(state)
}

fn run_locked(
    conn: &mut PgConnection,
    files: &DbPool,
    import_id: Uuid,
    limit: RunLimit,
    app_url: &str,
    on_progress: &mut dyn FnMut(Progress),
) -> RunResult<RunState> {
    let Some(import) = store::get(conn, import_id, None)? else {
        return Ok(RunState::Missing);
    };
    let working = match (import.status, import.mode) {
        (status, _) if status.is_finished() => return Ok(RunState::Finished(status)),
        (ImportStatus::Received, ImportMode::Preview) | (ImportStatus::Previewing, _) => {
            ImportStatus::Previewing
        }
        _ => ImportStatus::Committing,
    };
    store::start(conn, import_id, working)?;
    let run = Run {
        import: &import,
        files,
        preview: working == ImportStatus::Previewing,
        app_url,
        limit,
    };
    let profile = import.profile.as_deref().filter(|name| *name != "cdb");
    match (import.kind, profile) {
        (ImportKind::Beneficiaries, Some(name)) => {
            let Some(profile) = cdb_departement::Profile::named(name) else {
                return failed(
                    conn,
                    import_id,
                    "unknown_profile",
                    &format!("Profil de correspondance inconnu : {name}"),
                );
            };
            let mut context = cdb_departement::RowContext::new(import.created_at);
            context.file_name = Some(import.file_name.clone());
            context.run_id = Some(format!("import:{import_id}"));
            drive::<ProfileLines, _>(conn, &run, on_progress, |header| {
                let rows = ProfileRows::bind(profile, &header.cells, context)?;
                Ok(Prepared {
                    unknown: rows.unknown_columns(),
                    columns: ColumnNames::default(),
                    parse: move |row| rows.parse(row),
                })
            })
        }
        (ImportKind::Beneficiaries, None) => by_kind::<BeneficiaryLines>(conn, &run, on_progress),
        (ImportKind::Structures, _) => by_kind::<StructureLines>(conn, &run, on_progress),
        (ImportKind::Professionals, _) => by_kind::<ProfessionalLines>(conn, &run, on_progress),
        (ImportKind::OrientationManagers, _) => {
            by_kind::<OrientationManagerLines>(conn, &run, on_progress)
        }
        (ImportKind::Reorientations, _) => by_kind::<ReorientationLines>(conn, &run, on_progress),
        (ImportKind::Rattachements, _) => by_kind::<RattachementLines>(conn, &run, on_progress),
    }
}

/// A file's header read for one way of reading its lines.
struct Prepared<F> {
    /// Reads one line.
    parse: F,
    /// Columns of the file not read, with their letter.
    unknown: serde_json::Value,
    /// The header of each column, for errors.
    columns: ColumnNames,
}

/// Runs a file of one of the original's kinds (its template's columns).
fn by_kind<A: KindLines>(
    conn: &mut PgConnection,
    run: &Run<'_>,
    on_progress: &mut dyn FnMut(Progress),
) -> RunResult<RunState> {
    drive::<A, _>(conn, run, on_progress, |header| {
        let kind = A::kind_for(&header.cells);
        let specs = kind.columns();
        let parser = KindRows::new(kind, header, std::iter::empty::<Result<Row, TableError>>())
            .map_err(|error| (error.code().to_owned(), error.to_string()))?;
        Ok(Prepared {
            unknown: serde_json::to_value(parser.headers().unknown()).unwrap_or_default(),
            columns: ColumnNames::new(parser.headers(), specs),
            parse: move |row| {
                parser
                    .parse_row(row)
                    .map_err(|failed| Box::new(failed_line(failed)))
            },
        })
    })
}

/// One run of an import.
struct Run<'a> {
    import: &'a ImportRow,
    files: &'a DbPool,
    preview: bool,
    app_url: &'a str,
    limit: RunLimit,
}

/// Reads the file and applies its lines chunk by chunk, from the checkpoint on.
fn drive<A, F>(
    conn: &mut PgConnection,
    run: &Run<'_>,
    on_progress: &mut dyn FnMut(Progress),
    prepare: impl FnOnce(&Row) -> Result<Prepared<F>, (String, String)>,
) -> RunResult<RunState>
where
    A: LineApplier,
    F: Fn(Row) -> Parsed<A::Row>,
{
    let import = run.import;
    let import_id = import.id;
    let Some(oid) = store::file(conn, import_id)? else {
        return failed(conn, import_id, FILE_EXPIRED, FILE_EXPIRED_REASON);
    };
    let options = ReadOptions {
        sheet: import
            .sheet
            .clone()
            .map_or(SheetChoice::First, SheetChoice::Named),
        ..ReadOptions::default()
    };
    // Counted first, on its own reader: one connection reads the file at a time.
    let rows_total = match import.rows_total {
        Some(total) => Some(total),
        None => Table::open(Reader::open(run.files, oid)?, &options)
            .ok()
            .map(|rows| i32::try_from(rows.count()).unwrap_or(i32::MAX)),
    };
    let table = match Table::open(Reader::open(run.files, oid)?, &options) {
        Ok(table) => table,
        Err(error) => return failed(conn, import_id, error.code(), &error.to_string()),
    };
    let header = table.header().clone();
    let prepared = match prepare(&header) {
        Ok(prepared) => prepared,
        Err((code, reason)) => return failed(conn, import_id, &code, &reason),
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
            unknown_columns: prepared.unknown.clone(),
            rows_total,
        },
    )?;
    let context = RunContext {
        import,
        preview: run.preview,
        app_url: run.app_url,
        as_of: import.created_at,
        columns: prepared.columns.clone(),
    };
    let applier = A::new(&context);
    // Lines the agent corrected (sent back into this import): read in place of the file's.
    let corrections = store::corrections(conn, import_id)?;
    // A preview's lines run in one transaction for the whole file, on a connection of their
    // own, rolled back at its end: a person on two lines far apart is previewed as the commit
    // will apply them. A preview stopped in the middle lost what its chunks wrote: it starts
    // again from the top.
    let mut preview = match run.preview {
        true => {
            if import.checkpoint > 0 {
                store::restart_preview(conn, import_id)?;
            }
            Some(PreviewTransaction::begin(run.files)?)
        }
        false => None,
    };
    let mut counts = Counts::default();
    for (status, count) in store::counts_by_status(conn, import_id)? {
        counts.add(status, count);
    }
    let skip = match preview {
        Some(_) => 0,
        None => usize::try_from(import.checkpoint).unwrap_or(0),
    };
    let mut position = skip;
    let mut chunks = 0;
    let mut chunk: Chunk<A::Row> = Vec::with_capacity(CHUNK_ROWS);
    let total = rows_total.and_then(|t| u64::try_from(t).ok());
    let mut table = table.skip(skip);
    let growth = PeopleGrowth::start(conn)?;
    let mut chunk_run = ChunkRun {
        applier: &applier,
        context: &context,
        counts: &mut counts,
        growth,
        preview: preview.as_mut().map(|preview| &mut *preview.0),
    };
    loop {
        let next = table.next();
        let end = next.is_none();
        match next {
            Some(Ok(mut row)) => {
                if let Some(corrected) = i32::try_from(row.line)
                    .ok()
                    .and_then(|line| corrections.get(&line))
                {
                    row.cells.clone_from(corrected);
                }
                let cells = row.cells.clone();
                chunk.push((cells, (prepared.parse)(row)));
            }
            Some(Err(error)) => {
                // A broken record (a quote left open): the lines before it are kept.
                if !chunk.is_empty() {
                    position += chunk.len();
                    chunk_run.run(conn, std::mem::take(&mut chunk), position)?;
                }
                return failed(conn, import_id, error.code(), &error.to_string());
            }
            None => {}
        }
        if chunk.len() == CHUNK_ROWS || (end && !chunk.is_empty()) {
            position += chunk.len();
            chunk_run.run(conn, std::mem::take(&mut chunk), position)?;
            chunks += 1;
            on_progress(Progress {
                done: position as u64,
                total,
            });
            let stopped = run
                .limit
                .stop
                .is_some_and(|stop| stop.load(std::sync::atomic::Ordering::SeqCst));
            if !end && (stopped || run.limit.max_chunks.is_some_and(|max| chunks >= max)) {
                return Ok(RunState::Paused);
            }
        }
        if end {
            break;
        }
    }
    let status = if run.preview {
        ImportStatus::Previewed
    } else {
        ImportStatus::Committed
    };
    store::finish(
        conn,
        import_id,
        status,
        i32::try_from(position).unwrap_or(i32::MAX),
    )?;
    Ok(RunState::Finished(status))
}

/// Failure code of an import whose file was deleted at the end of its retention.
pub const FILE_EXPIRED: &str = "file_expired";
/// Its reason, in French for the agents.
pub const FILE_EXPIRED_REASON: &str =
    "Le fichier a été supprimé à l'expiration de sa durée de conservation : déposez-le à nouveau.";

fn failed(conn: &mut PgConnection, id: Uuid, code: &str, reason: &str) -> RunResult<RunState> {
    store::fail(conn, id, code, reason)?;
    Ok(RunState::Finished(ImportStatus::Failed))
}

fn format_name(format: super::table::FileFormat) -> String {
    serde_json::to_value(format)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A preview's own connection, in the transaction of the whole file, rolled back when it is
/// dropped (whatever ends the run).
struct PreviewTransaction(
    diesel::r2d2::PooledConnection<diesel::r2d2::ConnectionManager<PgConnection>>,
);

impl PreviewTransaction {
    /// Takes a connection of the pool and opens the file's transaction on it.
    fn begin(pool: &DbPool) -> RunResult<Self> {
        let mut conn = pool.get()?;
        AnsiTransactionManager::begin_transaction(&mut *conn)?;
        Ok(Self(conn))
    }
}

impl Drop for PreviewTransaction {
    fn drop(&mut self) {
        if let Err(error) = AnsiTransactionManager::rollback_transaction(&mut *self.0) {
            tracing::warn!(%error, "the preview's transaction could not be rolled back");
        }
    }
}

/// How a chunk's transaction ended.
enum ChunkDone {
    /// Committed, with the counts after it.
    Committed(Counts),
    /// Previewed: its results, its writes kept in the preview's transaction.
    Previewed(Vec<LineResult>),
}

/// Why a chunk's transaction ended without committing.
enum ChunkEnd {
    /// A line applied alone changed a person the chunk had changed together before it (the
    /// same person under keys no two lines shared): the chunk again, changes one line at a
    /// time, so that lines apply in the file's order.
    InOrder,
    /// The database failed.
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for ChunkEnd {
    fn from(error: diesel::result::Error) -> Self {
        ChunkEnd::Database(error)
    }
}

/// Runs the chunks of one import.
struct ChunkRun<'a, A> {
    applier: &'a A,
    context: &'a RunContext<'a>,
    counts: &'a mut Counts,
    /// How much the run made the people's tables grow.
    growth: PeopleGrowth,
    /// A preview's connection, where its lines run (see [`PreviewTransaction`]).
    preview: Option<&'a mut PgConnection>,
}

impl<A: LineApplier> ChunkRun<'_, A> {
    /// Runs one chunk and saves its results with the new checkpoint.
    fn run(
        &mut self,
        conn: &mut PgConnection,
        mut chunk: Chunk<A::Row>,
        checkpoint: usize,
    ) -> RunResult<()> {
        let id = self.context.import.id;
        let mut valid: Vec<&mut Numbered<A::Row>> = chunk
            .iter_mut()
            .filter_map(|(_, parsed)| parsed.as_mut().ok())
            .collect();
        let checkpoint = i32::try_from(checkpoint).unwrap_or(i32::MAX);
        let counts = *self.counts;
        let mut updates = true;
        let mut preview = self.preview.take();
        let lines: &mut PgConnection = match preview.as_deref_mut() {
            Some(preview) => preview,
            None => &mut *conn,
        };
        self.applier.prepare(lines, self.context, &mut valid)?;
        let outcome = loop {
            let attempt = self.attempt(lines, &chunk, updates, checkpoint, counts);
            match attempt {
                Err(ChunkEnd::InOrder) if updates => updates = false,
                other => break other,
            }
        };
        let after = match outcome {
            Ok(ChunkDone::Committed(after)) => after,
            Err(ChunkEnd::Database(error)) => return Err(error.into()),
            Err(ChunkEnd::InOrder) => {
                return Err(diesel::result::Error::RollbackTransaction.into());
            }
            Ok(ChunkDone::Previewed(results)) => conn.transaction(|conn| {
                let after = counts.with(&results);
                store::save_chunk(conn, id, &results, checkpoint, &after.to_json())?;
                Ok::<_, diesel::result::Error>(after)
            })?,
        };
        // A preview's people are seen by its own connection only: it analyses them there.
        let lines: &mut PgConnection = match preview.as_deref_mut() {
            Some(preview) => preview,
            None => &mut *conn,
        };
        let created = after.create - counts.create;
        self.growth
            .created(lines, u64::try_from(created).unwrap_or(0))?;
        self.preview = preview;
        *self.counts = after;
        Ok(())
    }

    /// The chunk in one transaction: what goes together first (changes of known people
    /// included when `updates`), then the other lines one at a time.
    fn attempt(
        &self,
        conn: &mut PgConnection,
        chunk: &Chunk<A::Row>,
        updates: bool,
        checkpoint: i32,
        counts: Counts,
    ) -> Result<ChunkDone, ChunkEnd> {
        let id = self.context.import.id;
        conn.transaction::<_, ChunkEnd, _>(|conn| {
            let valid: Vec<&A::Row> = chunk
                .iter()
                .filter_map(|(_, parsed)| parsed.as_ref().ok().map(|n| &n.value))
                .collect();
            let mut together = self
                .applier
                .together(conn, self.context, &valid, updates)?
                .into_iter();
            let mut results = Vec::with_capacity(chunk.len());
            let mut pending: Vec<PendingChange> = Vec::new();
            // People an earlier line of the chunk changed: a later line found unchanged
            // together (before them) is applied again, after them.
            let mut changed: HashSet<Uuid> = HashSet::new();
            // People changed together, before the lines applied alone.
            let mut changed_together: HashSet<Uuid> = HashSet::new();
            for (cells, parsed) in chunk {
                let applied = match parsed {
                    Ok(numbered) => together
                        .next()
                        .flatten()
                        .filter(|a| {
                            a.status != LineStatus::Unchanged
                                || a.beneficiary_id.is_none_or(|id| !changed.contains(&id))
                        })
                        .map(|a| (numbered.line, a)),
                    Err(_) => None,
                };
                let (mut result, changes) = match applied {
                    Some((line, applied)) => {
                        if applied.status == LineStatus::Update
                            && let Some(id) = applied.beneficiary_id
                        {
                            changed_together.insert(id);
                        }
                        applied.into_result(line)
                    }
                    None => {
                        let alone = self.line(conn, cells, parsed)?;
                        if alone
                            .0
                            .beneficiary_id
                            .is_some_and(|id| changed_together.contains(&id))
                        {
                            return Err(ChunkEnd::InOrder);
                        }
                        alone
                    }
                };
                if let Ok(numbered) = parsed
                    && !numbered.warnings.is_empty()
                {
                    // What the line was applied without, and its cells for the errors file.
                    result.warnings = serde_json::to_value(&numbered.warnings).ok();
                    result.cells = Some(serde_json::json!(cells));
                }
                if result.status == LineStatus::Update
                    && let Some(id) = result.beneficiary_id
                {
                    changed.insert(id);
                }
                pending.extend(changes);
                results.push(result);
            }
            if self.context.preview {
                // Nobody was created: an id would point nowhere.
                for result in &mut results {
                    if result.status == LineStatus::Create {
                        result.beneficiary_id = None;
                    }
                }
                return Ok(ChunkDone::Previewed(results));
            }
            let after = counts.with(&results);
            store::save_chunk(conn, id, &results, checkpoint, &after.to_json())?;
            // The change feed's counter stays locked until commit: last statement.
            changes::record(conn, &pending)?;
            Ok(ChunkDone::Committed(after))
        })
    }

    /// One line, in a savepoint: a rejected line leaves nothing behind.
    fn line(
        &self,
        conn: &mut PgConnection,
        cells: &[String],
        parsed: &Parsed<A::Row>,
    ) -> QueryResult<(LineResult, Vec<PendingChange>)> {
        let numbered = match parsed {
            Ok(numbered) => numbered,
            Err(failed) => return Ok(((**failed).clone(), Vec::new())),
        };
        let outcome = conn.transaction::<_, LineFailure, _>(|conn| {
            self.applier.apply(conn, self.context, &numbered.value)
        });
        match outcome {
            Ok(applied) => Ok(applied.into_result(numbered.line)),
            Err(LineFailure::Rejected(errors)) => Ok((
                apply::error_line(numbered.line, cells.to_vec(), errors),
                Vec::new(),
            )),
            Err(LineFailure::Database(error)) => match apply::refused_by_database(&error) {
                Some(reason) => Ok((
                    apply::error_line(
                        numbered.line,
                        cells.to_vec(),
                        vec![apply::refused_line(&reason)],
                    ),
                    Vec::new(),
                )),
                None => Err(error),
            },
        }
    }
}

fn failed_line(failed: FailedRow) -> LineResult {
    let errors = failed.errors.iter().map(LineError::from).collect();
    apply::error_line(failed.line, failed.cells, errors)
}
