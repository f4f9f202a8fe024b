//! Reading the cells of one line by column, collecting every error rather than stopping at
//! the first, so the agent fixes a line in one go. An optional cell that is wrong is a warning
//! instead: the line goes on without that value, and says what was left out and why.

use super::super::headers::{ColumnSpec, HeaderMap, column_letter};
use super::super::table::Row;
use super::super::values::{CellError, ErrorCode, Items, spreadsheet_error};
use super::RowError;

/// A value parser: the cell's text and the label naming the value in messages.
pub type Parser<T> = fn(&str, &str) -> Result<T, CellError>;

/// A list parser that keeps the valid items of a cell and names the others.
pub type ItemsParser<T> = fn(&str, &str) -> Items<T>;

/// Whether a wrong value rejects the line or is only left out of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Severity {
    /// The line cannot go without it (a required value, an identity key).
    Error,
    /// Optional: the line goes on without it.
    Warning,
}

/// The cells of one line, looked up by column, with the errors found so far.
pub struct Cells<'a> {
    headers: &'a HeaderMap,
    row: &'a Row,
    errors: Vec<RowError>,
    warnings: Vec<RowError>,
}

impl<'a> Cells<'a> {
    /// Starts reading a line; values in columns without a header are errors at once, since
    /// they usually mean a stray separator shifted the line.
    pub fn new(headers: &'a HeaderMap, row: &'a Row) -> Self {
        let errors = row
            .cells
            .iter()
            .enumerate()
            .filter(|(column, cell)| !headers.is_named(*column) && !cell.trim().is_empty())
            .map(|(column, cell)| {
                let letter = column_letter(column);
                RowError {
                    line: row.line,
                    column: format!("Colonne {letter}"),
                    raw: cell.clone(),
                    code: ErrorCode::CellWithoutHeader,
                    message: format!(
                        "La colonne {letter} n'a pas d'en-tête mais contient « {} » : une \
                         valeur a peut-être été décalée par un séparateur en trop",
                        cell.trim()
                    ),
                }
            })
            .collect();
        Self {
            headers,
            row,
            errors,
            warnings: Vec::new(),
        }
    }

    /// Parses a column's value: `None` if the cell is empty (an error if the column is
    /// required) or wrong (the error is recorded), or if the file has no such column.
    pub fn get<T>(&mut self, spec: &ColumnSpec, parse: Parser<T>) -> Option<T> {
        self.value(spec, parse, Severity::Error)
    }

    /// Parses an optional column's value: a wrong value is a warning and is left out.
    pub fn optional<T>(&mut self, spec: &ColumnSpec, parse: Parser<T>) -> Option<T> {
        self.value(spec, parse, Severity::Warning)
    }

    /// Parses an optional list column item by item: the valid items are kept, the others are
    /// a warning.
    pub fn items<T>(&mut self, spec: &ColumnSpec, parse: ItemsParser<T>) -> Vec<T> {
        let Some((column, raw)) = self.raw_as(spec, Severity::Warning) else {
            return Vec::new();
        };
        let items = parse(raw, spec.label);
        if let Some(error) = items.invalid {
            self.note(column, raw, error, Severity::Warning);
        }
        items.values
    }

    fn value<T>(&mut self, spec: &ColumnSpec, parse: Parser<T>, severity: Severity) -> Option<T> {
        let (column, raw) = self.raw_as(spec, severity)?;
        match parse(raw, spec.label) {
            Ok(value) => Some(value),
            Err(error) => {
                self.note(column, raw, error, severity);
                None
            }
        }
    }

    /// Parses a list column: an empty cell is an empty list (an error if required).
    pub fn list<T>(&mut self, spec: &ColumnSpec, parse: Parser<Vec<T>>) -> Option<Vec<T>> {
        let Some((column, raw)) = self.raw(spec) else {
            return (!spec.required).then(Vec::new);
        };
        match parse(raw, spec.label) {
            Ok(items) if items.is_empty() && spec.required => {
                self.push(column, raw, CellError::required(spec.label));
                None
            }
            Ok(items) => Some(items),
            Err(error) => {
                self.push(column, raw, error);
                None
            }
        }
    }

    /// The value and what was left out of it if no cell was in error, else every problem of
    /// the line (its warnings too: the agent fixes the line in one go).
    pub fn finish<T>(self, value: Option<T>) -> Result<(T, Vec<RowError>), Vec<RowError>> {
        match value {
            Some(value) if self.errors.is_empty() => Ok((value, self.warnings)),
            _ => {
                let mut all = self.errors;
                all.extend(self.warnings);
                Err(all)
            }
        }
    }

    /// The non-blank text of a column, recording a missing required value or a spreadsheet
    /// error value.
    fn raw(&mut self, spec: &ColumnSpec) -> Option<(usize, &'a str)> {
        self.raw_as(spec, Severity::Error)
    }

    /// [`Self::raw`], a spreadsheet error value being of this severity.
    fn raw_as(&mut self, spec: &ColumnSpec, severity: Severity) -> Option<(usize, &'a str)> {
        let row: &'a Row = self.row;
        let Some(column) = self.headers.position(spec) else {
            if spec.required {
                // Unreachable after the header check, but a missing value must never pass.
                self.errors.push(RowError {
                    line: row.line,
                    column: spec.display_name(),
                    raw: String::new(),
                    code: ErrorCode::Required,
                    message: CellError::required(spec.label).message,
                });
            }
            return None;
        };
        let raw = row.cell(column);
        if raw.trim().is_empty() {
            if spec.required {
                self.push(column, raw, CellError::required(spec.label));
            }
            return None;
        }
        if let Some(error) = spreadsheet_error(raw) {
            self.note(column, raw, error, severity);
            return None;
        }
        Some((column, raw))
    }

    fn push(&mut self, column: usize, raw: &str, error: CellError) {
        self.note(column, raw, error, Severity::Error);
    }

    fn note(&mut self, column: usize, raw: &str, error: CellError, severity: Severity) {
        let list = match severity {
            Severity::Error => &mut self.errors,
            Severity::Warning => &mut self.warnings,
        };
        list.push(RowError {
            line: self.row.line,
            column: self.headers.header(column).to_owned(),
            raw: raw.to_owned(),
            code: error.code,
            message: error.message,
        });
    }
}
