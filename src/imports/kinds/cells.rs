//! Reading the cells of one line by column, collecting every error rather than stopping at
//! the first, so the agent fixes a line in one go.

use super::super::headers::{ColumnSpec, HeaderMap, column_letter};
use super::super::table::Row;
use super::super::values::{CellError, ErrorCode, spreadsheet_error};
use super::RowError;

/// A value parser: the cell's text and the label naming the value in messages.
pub type Parser<T> = fn(&str, &str) -> Result<T, CellError>;

/// The cells of one line, looked up by column, with the errors found so far.
pub struct Cells<'a> {
    headers: &'a HeaderMap,
    row: &'a Row,
    errors: Vec<RowError>,
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
        }
    }

    /// Parses a column's value: `None` if the cell is empty (an error if the column is
    /// required) or wrong (the error is recorded), or if the file has no such column.
    pub fn get<T>(&mut self, spec: &ColumnSpec, parse: Parser<T>) -> Option<T> {
        let (column, raw) = self.raw(spec)?;
        match parse(raw, spec.label) {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(column, raw, error);
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

    /// The value if every cell was right, else all the errors of the line.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, Vec<RowError>> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => Err(self.errors),
        }
    }

    /// The non-blank text of a column, recording a missing required value or a spreadsheet
    /// error value.
    fn raw(&mut self, spec: &ColumnSpec) -> Option<(usize, &'a str)> {
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
            self.push(column, raw, error);
            return None;
        }
        Some((column, raw))
    }

    fn push(&mut self, column: usize, raw: &str, error: CellError) {
        self.errors.push(RowError {
            line: self.row.line,
            column: self.headers.header(column).to_owned(),
            raw: raw.to_owned(),
            code: error.code,
            message: error.message,
        });
    }
}
