//! France Travail's weekly extract files (`principal` and `actions`, SFTP "OI33SPIE"),
//! already decrypted: rows parsed into typed values and canonical records, each kept raw
//! with its SHA-256 so that a re-sent or unchanged row produces no change.
//!
//! ```
//! use std::collections::HashSet;
//! use cdb_france_travail::extract::parse_principal;
//!
//! let file = "identifiant_unique_de;nom;prenom;date_naissance\n\
//!             e1881749-1334-47b9-8a34-74922528d4ea;MARTIN;Lucie;1985-04-12 00:00:00.0\n";
//! let parsed = parse_principal(file.as_bytes())?;
//! let known: HashSet<_> = HashSet::new();
//! assert_eq!(parsed.changed_since(&known).len(), 1);
//! let known = parsed.hashes();
//! assert!(parse_principal(file.as_bytes())?.changed_since(&known).is_empty());
//! # Ok::<(), cdb_france_travail::extract::ExtractError>(())
//! ```

mod actions;
mod categories;
mod cells;
mod hash;
mod principal;

use std::collections::HashSet;

use csv::ByteRecord;
use thiserror::Error;

pub use actions::ActionRow;
pub use categories::ActionCategories;
pub use hash::{RowHash, RowHashError};
pub use principal::{Difficulties, PrincipalRow};

use self::cells::{Cells, Columns};

/// One kind of extract file: its columns and how a row reads.
pub(crate) trait ExtractKind: Sized {
    /// Columns without which the file is not this kind of extract.
    const REQUIRED: &'static [&'static str];

    /// Reads one row.
    fn read(cells: &Cells<'_>) -> Result<Self, RowProblem>;
}

/// A parsed row, with its raw text and hash.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractRow<T> {
    /// Line of the row in the file (the header is line 1).
    pub line: u64,
    /// The row as received, without its line terminator.
    pub raw: String,
    /// SHA-256 of `raw`.
    pub hash: RowHash,
    /// The typed row.
    pub row: T,
}

/// A row that could not be read, and why; the rest of the file is still read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// Line of the row in the file.
    pub line: u64,
    /// What is wrong with it.
    pub problem: RowProblem,
}

/// What is wrong with a row (never its values: they are personal data).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RowProblem {
    /// Not as many cells as header columns.
    #[error("{found} cells where the header has {expected}")]
    FieldCount {
        /// Columns in the header.
        expected: usize,
        /// Cells in the row.
        found: usize,
    },
    /// A cell (or the row) that is not UTF-8.
    #[error("column {column} is not UTF-8 text")]
    Encoding {
        /// The column, or `row` for the whole row.
        column: String,
    },
    /// A required cell is empty or `NULL`.
    #[error("column {column} is empty")]
    Missing {
        /// The column.
        column: String,
    },
    /// A cell that does not hold the expected kind of value.
    #[error("column {column} does not hold {expected}")]
    Invalid {
        /// The column.
        column: String,
        /// What was expected.
        expected: &'static str,
    },
}

/// A file that cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExtractError {
    /// No header line.
    #[error("the file is empty")]
    Empty,
    /// The header is one column: the file is not `;`-separated.
    #[error("the header has a single column: not a ';'-separated extract")]
    NotSemicolonSeparated,
    /// Columns this kind of extract must have are missing.
    #[error("missing columns: {}", .0.join(", "))]
    MissingColumns(Vec<String>),
    /// The header is not UTF-8.
    #[error("the header is not UTF-8 text")]
    HeaderEncoding,
    /// The CSV reader failed.
    #[error("unreadable CSV at line {line}: {message}")]
    Csv {
        /// Where.
        line: u64,
        /// Why.
        message: String,
    },
}

/// A parsed extract file.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractFile<T> {
    /// The header's column names (trimmed, lower-cased), in the file's order.
    pub columns: Vec<String>,
    /// The rows read.
    pub rows: Vec<ExtractRow<T>>,
    /// The rows that could not be read.
    pub rejected: Vec<RejectedRow>,
}

impl<T> ExtractFile<T> {
    /// The rows whose hash is not in `known` (the hashes kept from earlier files), each
    /// distinct row once: only these make changes.
    pub fn changed_since(&self, known: &HashSet<RowHash>) -> Vec<&ExtractRow<T>> {
        let mut seen = HashSet::new();
        self.rows
            .iter()
            .filter(|row| !known.contains(&row.hash) && seen.insert(row.hash))
            .collect()
    }

    /// The hashes of every row read, to keep for the next file.
    pub fn hashes(&self) -> HashSet<RowHash> {
        self.rows.iter().map(|row| row.hash).collect()
    }

    /// A row as received, column by column (header name → cell text, `NULL` kept): the raw
    /// payload the hub keeps versioned. A homonym column keeps its first cell.
    pub fn fields(&self, row: &ExtractRow<T>) -> serde_json::Value {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .flexible(true)
            .from_reader(row.raw.as_bytes());
        let mut record = csv::StringRecord::new();
        let mut fields = serde_json::Map::new();
        // The raw row was read as UTF-8 CSV once already: it reads again.
        if reader.read_record(&mut record).unwrap_or(false) {
            for (name, cell) in self.columns.iter().zip(record.iter()) {
                fields
                    .entry(name.clone())
                    .or_insert_with(|| serde_json::Value::String(cell.to_owned()));
            }
        }
        serde_json::Value::Object(fields)
    }
}

/// Parses a `principal` extract.
pub fn parse_principal(bytes: &[u8]) -> Result<ExtractFile<PrincipalRow>, ExtractError> {
    parse(bytes)
}

/// Parses an `actions` extract.
pub fn parse_actions(bytes: &[u8]) -> Result<ExtractFile<ActionRow>, ExtractError> {
    parse(bytes)
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn parse<T: ExtractKind>(bytes: &[u8]) -> Result<ExtractFile<T>, ExtractError> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = ByteRecord::new();
    let csv_error = |e: csv::Error, line: u64| ExtractError::Csv {
        line,
        message: e.to_string(),
    };
    if !reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(e, 1))?
    {
        return Err(ExtractError::Empty);
    }
    let (names, columns) = header(&record, T::REQUIRED)?;
    let mut lines = Lines {
        bytes,
        offset: 0,
        line: 1,
    };
    let mut file = ExtractFile {
        columns: names,
        rows: Vec::new(),
        rejected: Vec::new(),
    };
    loop {
        let line = reader.position().line();
        if !reader
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(e, line))?
        {
            break;
        }
        if record.len() == 1
            && record
                .get(0)
                .is_some_and(|cell| cell.trim_ascii().is_empty())
        {
            continue;
        }
        let start = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(0);
        let end = usize::try_from(reader.position().byte()).unwrap_or(bytes.len());
        let line = lines.at(start);
        let raw = trim_terminator(bytes.get(start..end).unwrap_or_default());
        match read_row::<T>(&columns, &record, raw) {
            Ok((raw, row)) => file.rows.push(ExtractRow {
                line,
                hash: RowHash::of(raw.as_bytes()),
                raw,
                row,
            }),
            Err(problem) => file.rejected.push(RejectedRow { line, problem }),
        }
    }
    Ok(file)
}

fn header(record: &ByteRecord, required: &[&str]) -> Result<(Vec<String>, Columns), ExtractError> {
    let names = record
        .iter()
        .map(|name| {
            std::str::from_utf8(name)
                .map(|n| n.trim().to_lowercase())
                .map_err(|_| ExtractError::HeaderEncoding)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if names.len() < 2 {
        return Err(ExtractError::NotSemicolonSeparated);
    }
    let columns = Columns::new(&names);
    let missing: Vec<String> = required
        .iter()
        .filter(|name| !columns.has(name))
        .map(|name| (*name).to_owned())
        .collect();
    if !missing.is_empty() {
        return Err(ExtractError::MissingColumns(missing));
    }
    Ok((names, columns))
}

fn read_row<T: ExtractKind>(
    columns: &Columns,
    record: &ByteRecord,
    raw: &[u8],
) -> Result<(String, T), RowProblem> {
    if record.len() != columns.len() {
        return Err(RowProblem::FieldCount {
            expected: columns.len(),
            found: record.len(),
        });
    }
    let raw = String::from_utf8(raw.to_vec()).map_err(|_| RowProblem::Encoding {
        column: "row".to_owned(),
    })?;
    let row = T::read(&Cells { columns, record })?;
    Ok((raw, row))
}

/// The row without line ends: the CSV reader's offsets put a CRLF file's `\n` at the start
/// of the next row, and a file's line ends must not change its rows' hashes.
fn trim_terminator(raw: &[u8]) -> &[u8] {
    let start = raw
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .unwrap_or(raw.len());
    let end = raw
        .iter()
        .rposition(|b| !matches!(b, b'\r' | b'\n'))
        .map_or(start, |last| last + 1);
    raw.get(start..end).unwrap_or_default()
}

/// Line numbers from byte offsets, counted once through the file: the CSV reader does not
/// count the blank lines it skips.
struct Lines<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl Lines<'_> {
    /// The line of the first non-blank byte at or after `offset` (offsets only grow).
    fn at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.bytes.len());
        let skip_blank = self.bytes[offset..]
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        let target = offset + skip_blank;
        if target > self.offset {
            let newlines = self.bytes[self.offset..target]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.line += newlines as u64;
            self.offset = target;
        }
        self.line
    }
}
