//! Applying the typed lines of each import kind, one line at a time, inside the chunk's
//! transaction (each line in a savepoint of its own: a line refused by the database never
//! costs the others).
//!
//! * beneficiaries go through the inbound pipeline (matching, merge, provenance, change feed),
//!   then their notebook columns (situation, rights, projects, structures, referents);
//! * structures, professionals and orientation managers write the directory and its accounts;
//! * re-orientations and rattachements write follow-up groups and structures of notebooks.

mod beneficiaries;
mod directory;
mod follow_up;
mod group;
mod notebook;
mod profile;
mod references;
mod situation;

use crate::domain::states::LineStatus;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use super::headers::{ColumnSpec, HeaderMap};
use super::kinds::{Numbered, TemplateKind};
use super::records::LineError;
use crate::store::changes::PendingChange;
use crate::store::imports::{ImportRow, LineResult};

pub use beneficiaries::BeneficiaryLines;
pub use directory::{OrientationManagerLines, ProfessionalLines, StructureLines};
pub use follow_up::{RattachementLines, ReorientationLines};
pub use profile::{ProfileLines, ProfileRows, profile_names};

/// What every line of a run shares.
pub struct RunContext<'a> {
    /// The import.
    pub import: &'a ImportRow,
    /// A preview: every chunk is rolled back.
    pub preview: bool,
    /// Base URL of the application, for the e-mails the lines queue.
    pub app_url: &'a str,
    /// The date the file's data is as of (its upload).
    pub as_of: DateTime<Utc>,
    /// The file's header for each column of the kind.
    pub columns: ColumnNames,
}

impl RunContext<'_> {
    /// Whether what a chunk finds together is written (a commit) or only told (a preview).
    pub fn writing(&self) -> crate::inbound::batch::Writing {
        if self.preview {
            crate::inbound::batch::Writing::Preview
        } else {
            crate::inbound::batch::Writing::Write
        }
    }
}

/// The header the file gives each column of its kind (or the template's, when absent).
#[derive(Debug, Clone, Default)]
pub struct ColumnNames(Vec<(&'static str, String)>);

impl ColumnNames {
    /// Names every column of the kind as the file writes it.
    pub fn new(headers: &HeaderMap, specs: &[ColumnSpec]) -> Self {
        Self(
            specs
                .iter()
                .map(|spec| {
                    let name = headers.position(spec).map_or_else(
                        || spec.display_name(),
                        |column| headers.header(column).to_owned(),
                    );
                    (spec.key, name)
                })
                .collect(),
        )
    }

    /// The header of a column, by key.
    pub fn get(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| *k == key)
            .map_or_else(|| key.to_owned(), |(_, name)| name.clone())
    }
}

/// A line applied: what it became, and the changes it brings to the change feed (recorded at
/// the end of the chunk, so that the feed's counter is locked only until its commit).
#[derive(Debug, Clone)]
pub struct Applied {
    /// What the line became.
    pub status: LineStatus,
    /// The person the line is about.
    pub beneficiary_id: Option<Uuid>,
    /// The possible match kept for a person to resolve.
    pub possible_match_id: Option<Uuid>,
    /// The structure, professional, orientation manager or notebook written.
    pub record_id: Option<Uuid>,
    /// field → {before, after, source}.
    pub changes: Option<serde_json::Value>,
    /// field → {current, proposed, source}.
    pub kept: Option<serde_json::Value>,
    /// Changes for the feed.
    pub pending: Vec<PendingChange>,
}

impl Applied {
    /// A line with this outcome and nothing else yet.
    pub fn new(status: LineStatus) -> Self {
        Self {
            status,
            beneficiary_id: None,
            possible_match_id: None,
            record_id: None,
            changes: None,
            kept: None,
            pending: Vec::new(),
        }
    }

    /// The line's result, numbered.
    pub fn into_result(self, line: u64) -> (LineResult, Vec<PendingChange>) {
        (
            LineResult {
                line: i32::try_from(line).unwrap_or(i32::MAX),
                status: self.status,
                beneficiary_id: self.beneficiary_id,
                possible_match_id: self.possible_match_id,
                record_id: self.record_id,
                changes: self.changes,
                kept: self.kept,
                errors: None,
                warnings: None,
                cells: None,
            },
            self.pending,
        )
    }
}

/// Why a line was not applied.
#[derive(Debug)]
pub enum LineFailure {
    /// The line is wrong: its errors, in French (its savepoint is rolled back).
    Rejected(Vec<LineError>),
    /// The database failed.
    Database(DieselError),
}

impl From<DieselError> for LineFailure {
    fn from(error: DieselError) -> Self {
        LineFailure::Database(error)
    }
}

impl LineFailure {
    /// One error about one cell.
    pub fn cell(column: String, value: &str, code: &str, message: String) -> Self {
        LineFailure::Rejected(vec![LineError {
            column,
            value: value.to_owned(),
            code: code.to_owned(),
            message,
        }])
    }
}

/// How the typed lines of a file are applied.
pub trait LineApplier: Sized {
    /// The typed line.
    type Row;

    /// The applier of one run.
    fn new(context: &RunContext<'_>) -> Self;

    /// Looks at a chunk's valid lines before they are applied: what a line names that the
    /// deployment does not have (an optional reference) is left out of it, with a warning.
    fn prepare(
        &self,
        _conn: &mut PgConnection,
        _context: &RunContext<'_>,
        _lines: &mut [&mut Numbered<Self::Row>],
    ) -> diesel::QueryResult<()> {
        Ok(())
    }

    /// Applies one valid line (in a savepoint that a rejection rolls back).
    fn apply(
        &self,
        conn: &mut PgConnection,
        context: &RunContext<'_>,
        row: &Self::Row,
    ) -> Result<Applied, LineFailure>;

    /// Applies together (after [`Self::prepare`]), before a chunk's lines are applied one at a
    /// time, the lines that can
    /// only be new people or whose source record is linked to a known person (changing them
    /// only when `updates`): their results by position (`None`: applied the usual way).
    fn together(
        &self,
        _conn: &mut PgConnection,
        _context: &RunContext<'_>,
        rows: &[&Self::Row],
        _updates: bool,
    ) -> diesel::QueryResult<Vec<Option<Applied>>> {
        Ok(vec![None; rows.len()])
    }
}

/// The results of people created together, as lines' results.
pub fn created_together(created: Vec<crate::inbound::batch::Created>) -> Vec<Option<Applied>> {
    created
        .into_iter()
        .map(|created| {
            created.and_then(|(outcome, change)| match outcome {
                crate::inbound::pipeline::Outcome::Created { beneficiary_id, .. } => {
                    let mut applied = Applied::new(LineStatus::Create);
                    applied.beneficiary_id = Some(beneficiary_id);
                    applied.pending.extend(change);
                    Some(applied)
                }
                _ => None,
            })
        })
        .collect()
}

/// An applier of the lines of one of the original's import kinds (templates).
pub trait KindLines: LineApplier {
    /// The kind whose typed rows this applies.
    type Kind: TemplateKind<Row = Self::Row>;

    /// The kind, as the file's header tells (the beneficiaries template of 2022 or 2024).
    fn kind_for(header: &[String]) -> Self::Kind;
}

/// The line's cells and errors as a rejected result.
pub fn error_line(line: u64, cells: Vec<String>, errors: Vec<LineError>) -> LineResult {
    LineResult {
        line: i32::try_from(line).unwrap_or(i32::MAX),
        status: LineStatus::Error,
        beneficiary_id: None,
        possible_match_id: None,
        record_id: None,
        changes: None,
        kept: None,
        errors: Some(serde_json::to_value(errors).unwrap_or_default()),
        warnings: None,
        cells: Some(serde_json::json!(cells)),
    }
}

/// Whether the database refused the line's values (a constraint, a value it cannot store),
/// rather than failed: such a line is in error, the import goes on.
pub fn refused_by_database(error: &DieselError) -> Option<String> {
    match error {
        DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation
            | DatabaseErrorKind::ForeignKeyViolation
            | DatabaseErrorKind::CheckViolation
            | DatabaseErrorKind::NotNullViolation
            | DatabaseErrorKind::Unknown,
            info,
        ) => Some(match info.constraint_name() {
            Some(constraint) => format!("{} ({constraint})", info.message()),
            None => info.message().to_owned(),
        }),
        _ => None,
    }
}

/// The rejection of a line the database refused.
pub fn refused_line(reason: &str) -> LineError {
    LineError {
        column: String::new(),
        value: String::new(),
        code: "not_applicable".into(),
        message: super::records::rejection_message("not_applicable", reason),
    }
}
