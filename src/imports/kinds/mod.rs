//! The import kinds: for each, its columns and the typed row a line of the file becomes, or
//! every error of that line.

mod beneficiary;
mod cells;
mod orientation_manager;
mod professional;
mod rattachement;
mod reorientation;
mod structure;

use std::io::Read;

use super::headers::{ColumnSpec, HeaderError, HeaderMap};
use super::records::LineError;
use super::table::{Row, Table, TableError};
use super::values;

pub use beneficiary::{Beneficiaries, BeneficiaryRow, BeneficiaryTemplate};
pub use cells::{Cells, Parser};
pub use orientation_manager::{OrientationManagerRow, OrientationManagers};
pub use professional::{ProfessionalRow, Professionals};
pub use rattachement::{RattachementRow, Rattachements};
pub use reorientation::{ReorientationRow, Reorientations};
pub use structure::{StructureAdmin, StructureRow, Structures};

/// An error on one cell (or one line) of the file, located as the agent sees it in Excel.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// Line number in the file.
    pub line: u64,
    /// The column's header as written in the file (or `Colonne X` for one without header).
    pub column: String,
    /// The cell's text as read.
    pub raw: String,
    /// Stable machine-readable code.
    pub code: values::ErrorCode,
    /// Message in French for the agent.
    pub message: String,
}

/// A line that could not be imported: its original cells, to write it back, and its errors.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FailedRow {
    /// Line number in the file.
    pub line: u64,
    /// The cells as read, in the file's column order.
    pub cells: Vec<String>,
    /// Every error of the line.
    pub errors: Vec<RowError>,
}

/// A typed row with the line it came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Numbered<T> {
    /// Line number in the file.
    pub line: u64,
    /// The typed row.
    pub value: T,
    /// The optional values left out of the row, and why.
    pub warnings: Vec<LineError>,
}

/// What one line of the file became.
pub type ParsedRow<T> = Result<Numbered<T>, FailedRow>;

/// An import kind (type d'import): its columns and how a line becomes a typed row.
pub trait TemplateKind {
    /// The typed row.
    type Row;

    /// The columns the kind knows.
    fn columns(&self) -> &'static [ColumnSpec];

    /// Reads one line's cells; `None` when some cell was wrong (the errors are in `cells`).
    fn parse(&self, cells: &mut Cells<'_>) -> Option<Self::Row>;
}

/// The typed rows of a file, one per non-blank line after the header, read lazily.
pub struct KindRows<K, I> {
    kind: K,
    headers: HeaderMap,
    rows: I,
}

impl<K: TemplateKind, I: Iterator<Item = Result<Row, TableError>>> KindRows<K, I> {
    /// Matches the header row against the kind's columns; rows are parsed as they are read.
    pub fn new(kind: K, header: &Row, rows: I) -> Result<Self, HeaderError> {
        let headers = HeaderMap::match_headers(&header.cells, kind.columns())?;
        Ok(Self {
            kind,
            headers,
            rows,
        })
    }

    /// Where the columns were found, and which were not recognised.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Parses one row.
    pub fn parse_row(&self, row: Row) -> ParsedRow<K::Row> {
        let mut cells = Cells::new(&self.headers, &row);
        let value = self.kind.parse(&mut cells);
        match cells.finish(value) {
            Ok((value, warnings)) => Ok(Numbered {
                line: row.line,
                value,
                warnings: warnings.iter().map(LineError::from).collect(),
            }),
            Err(errors) => Err(FailedRow {
                line: row.line,
                cells: row.cells,
                errors,
            }),
        }
    }
}

impl<K: TemplateKind, I: Iterator<Item = Result<Row, TableError>>> Iterator for KindRows<K, I> {
    type Item = Result<ParsedRow<K::Row>, TableError>;

    fn next(&mut self) -> Option<Self::Item> {
        let row = self.rows.next()?;
        Some(row.map(|row| self.parse_row(row)))
    }
}

/// Reads the typed rows of an opened file.
pub fn read<K: TemplateKind, R: Read>(
    kind: K,
    table: Table<R>,
) -> Result<KindRows<K, Table<R>>, HeaderError> {
    let header = table.header().clone();
    KindRows::new(kind, &header, table)
}

#[cfg(test)]
mod tests;
