//! The errors file (fichier des erreurs): the rejected lines, and the lines applied without
//! some of their values, with their original columns, an « Erreurs » and an « Avertissements »
//! column, and the « Ligne d'origine » each line came from, in the upload's own encoding and
//! separator, so the agent corrects them in Excel and uploads the file again: as corrections of
//! the same import (the original line numbers say which line each replaces), or as a new file
//! (the three columns are then ignored).

use std::io::{self, Write};

use super::headers::{ERRORS_HEADER, LINE_HEADER, WARNINGS_HEADER};
use super::kinds::FailedRow;
use super::table::CsvDialect;

/// Separates the messages of one line: not a line break, which would make Excel rows and
/// file lines drift apart on the next upload.
const MESSAGE_SEPARATOR: &str = " | ";

/// Writes the header and the failed rows, each followed by its errors.
///
/// The « Erreurs » column comes after every original column (after the widest row, so that a
/// line with extra cells keeps them) so the column letters quoted in messages stay right.
pub fn write_errors<W: Write>(
    out: W,
    dialect: CsvDialect,
    header: &[String],
    failed: &[FailedRow],
) -> io::Result<()> {
    let lines: Vec<ErrorLine> = failed
        .iter()
        .map(|row| ErrorLine {
            line: row.line,
            cells: row.cells.clone(),
            messages: row
                .errors
                .iter()
                .map(|error| (error.column.clone(), error.message.clone()))
                .collect(),
            warnings: Vec::new(),
        })
        .collect();
    write_error_lines(out, dialect, header, &lines)
}

/// A rejected line as kept by an import: its cells, and its errors as (column, message); the
/// column is empty for an error of the whole line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorLine {
    /// The line of the file it was read from.
    pub line: u64,
    /// The cells as read, in the file's column order.
    pub cells: Vec<String>,
    /// (column header, French message) of each error.
    pub messages: Vec<(String, String)>,
    /// (column header, French message) of each value left out of an applied line.
    pub warnings: Vec<(String, String)>,
}

/// Writes the header and the rejected lines, each followed by its errors (see [`write_errors`]).
pub fn write_error_lines<W: Write>(
    mut out: W,
    dialect: CsvDialect,
    header: &[String],
    lines: &[ErrorLine],
) -> io::Result<()> {
    let width = lines
        .iter()
        .map(|row| row.cells.len())
        .chain([header.len()])
        .max()
        .unwrap_or(0);
    out.write_all(dialect.encoding.bom())?;
    let header_record = padded(header, width).chain([
        ERRORS_HEADER.to_owned(),
        WARNINGS_HEADER.to_owned(),
        LINE_HEADER.to_owned(),
    ]);
    write_record(&mut out, dialect, header_record)?;
    for row in lines {
        let [messages, warnings] = [&row.messages, &row.warnings].map(|list| {
            list.iter()
                .map(|(column, message)| {
                    if column.is_empty() {
                        message.clone()
                    } else {
                        format!("{column} : {message}")
                    }
                })
                .collect::<Vec<_>>()
                .join(MESSAGE_SEPARATOR)
        });
        // The file goes back to a spreadsheet: no cell of it may run as a formula there.
        write_record(
            &mut out,
            dialect,
            padded(&row.cells, width)
                .chain([messages, warnings, row.line.to_string()])
                .map(|cell| crate::domain::spreadsheet_cell::inert(&cell).into_owned()),
        )?;
    }
    out.flush()
}

/// The cells, then empty cells up to `width`.
fn padded(cells: &[String], width: usize) -> impl Iterator<Item = String> + '_ {
    cells.iter().cloned().chain(std::iter::repeat_n(
        String::new(),
        width.saturating_sub(cells.len()),
    ))
}

/// Quotes one record as RFC 4180 with CRLF (what Excel writes), then encodes it.
fn write_record<W: Write>(
    out: &mut W,
    dialect: CsvDialect,
    record: impl Iterator<Item = String>,
) -> io::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(dialect.delimiter.byte())
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    writer.write_record(record)?;
    let bytes = writer
        .into_inner()
        .map_err(|error| io::Error::other(error.to_string()))?;
    let text = String::from_utf8(bytes).map_err(io::Error::other)?;
    out.write_all(&dialect.encoding.encode(&text))
}

#[cfg(test)]
mod tests;
