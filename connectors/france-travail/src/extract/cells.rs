//! Typed access to one row's cells by column name, with the extract's conventions: `;`
//! separated, `NULL` and `_` for nothing, `O`/`N` flags, `YYYY-MM-DD HH:MM:SS.0` dates.

use std::collections::HashMap;

use chrono::NaiveDate;
use csv::ByteRecord;

use super::RowProblem;
use crate::values;

/// The header: where each column is.
pub(crate) struct Columns {
    index: HashMap<String, usize>,
    count: usize,
}

impl Columns {
    /// Reads header names (trimmed, lower-cased).
    pub(crate) fn new(names: &[String]) -> Self {
        let mut index = HashMap::with_capacity(names.len());
        for (position, name) in names.iter().enumerate() {
            // The first of two homonym columns wins, as a reader by name would see it.
            index.entry(name.clone()).or_insert(position);
        }
        Self {
            index,
            count: names.len(),
        }
    }

    /// How many columns the header has.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Whether a column is present.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }
}

/// One row, read through the header.
pub(crate) struct Cells<'a> {
    pub(crate) columns: &'a Columns,
    pub(crate) record: &'a ByteRecord,
}

impl Cells<'_> {
    /// The cell's text; an absent column, a blank and the null markers are `None`.
    pub(crate) fn text(&self, column: &str) -> Result<Option<String>, RowProblem> {
        let Some(bytes) = self
            .columns
            .index
            .get(column)
            .and_then(|&i| self.record.get(i))
        else {
            return Ok(None);
        };
        let text = std::str::from_utf8(bytes).map_err(|_| RowProblem::Encoding {
            column: column.to_owned(),
        })?;
        Ok(values::text(Some(text)))
    }

    /// A cell that must hold something.
    pub(crate) fn required(&self, column: &str) -> Result<String, RowProblem> {
        self.text(column)?.ok_or_else(|| RowProblem::Missing {
            column: column.to_owned(),
        })
    }

    /// A date cell.
    pub(crate) fn date(&self, column: &str) -> Result<Option<NaiveDate>, RowProblem> {
        match self.text(column)? {
            None => Ok(None),
            Some(text) => values::date(&text)
                .map(Some)
                .ok_or_else(|| RowProblem::Invalid {
                    column: column.to_owned(),
                    expected: "a date",
                }),
        }
    }

    /// An `O`/`N` flag (`OUI`/`NON` accepted too).
    pub(crate) fn flag(&self, column: &str) -> Result<Option<bool>, RowProblem> {
        match self.text(column)?.map(|t| t.to_uppercase()).as_deref() {
            None => Ok(None),
            Some("O" | "OUI") => Ok(Some(true)),
            Some("N" | "NON") => Ok(Some(false)),
            Some(_) => Err(RowProblem::Invalid {
                column: column.to_owned(),
                expected: "O or N",
            }),
        }
    }
}
