//! Each shipped profile on a representative file, and properties of arbitrary input.

mod cdb;
mod cnaf_contacts;
mod iodas;
mod properties;
mod webrsa_frsa;

use cdb_connector::identity::{CafOrganisation, IdentityKeys};
use cdb_connector::records::{Record, RecordBody};
use cdb_departement::{CellError, Profile, RowContext, UnknownColumn};
use chrono::{DateTime, TimeZone, Utc};

/// What one row gave: its records, or the errors of its cells.
pub type Outcome = Result<Vec<Record>, Vec<CellError>>;

/// What reading a fixture gave: per line, the records or the errors.
pub struct Read {
    pub unknown: Vec<UnknownColumn>,
    pub lines: Vec<(u64, Outcome)>,
}

impl Read {
    /// The records of a line that must have been read.
    pub fn records(&self, line: u64) -> &[Record] {
        match self.lines.iter().find(|(l, _)| *l == line) {
            Some((_, Ok(records))) => records,
            Some((_, Err(errors))) => panic!("line {line}: {errors:#?}"),
            None => panic!("no line {line}"),
        }
    }

    /// The errors of a line that must have been rejected.
    pub fn errors(&self, line: u64) -> &[CellError] {
        match self.lines.iter().find(|(l, _)| *l == line) {
            Some((_, Err(errors))) => errors,
            Some((_, Ok(records))) => panic!("line {line} was read: {records:#?}"),
            None => panic!("no line {line}"),
        }
    }
}

/// The upload's date, used when rows give none.
pub fn uploaded_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 6, 9, 0, 0).unwrap()
}

/// A context as the hub builds it for an upload of `file_name`.
pub fn context(file_name: &str, caf: Option<&str>) -> RowContext {
    RowContext {
        file_name: Some(file_name.to_owned()),
        caf_organisation: caf.map(|text| CafOrganisation::parse(text).unwrap()),
        ..RowContext::new(uploaded_at())
    }
}

/// Reads a `;`-separated fixture with the `csv` crate, as the hub hands files over: header
/// and rows of strings, lines numbered from 1 (the header).
pub fn read(profile: &str, file: &str, context: &RowContext) -> Read {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = reader.records().map(|row| {
        let row = row.unwrap();
        let line = row.position().unwrap().line();
        (line, row.iter().map(str::to_owned).collect::<Vec<String>>())
    });
    let (_, header) = rows.next().unwrap();
    let bound = Profile::named(profile).unwrap().bind(&header).unwrap();
    let lines = rows
        .map(|(line, cells)| (line, bound.read_row(line, &cells, context)))
        .collect();
    Read {
        unknown: bound.unknown_columns().to_vec(),
        lines,
    }
}

/// The body of the given kind among a row's records.
pub fn body<'a>(records: &'a [Record], kind: &str) -> &'a RecordBody {
    &records
        .iter()
        .find(|record| record.body.kind() == kind)
        .unwrap_or_else(|| panic!("no {kind} in {records:#?}"))
        .body
}

/// The kinds of a row's records, in order.
pub fn kinds(records: &[Record]) -> Vec<&'static str> {
    records.iter().map(|record| record.body.kind()).collect()
}

/// The one subject all of a row's records share.
pub fn subject(records: &[Record]) -> &IdentityKeys {
    let first = &records.first().unwrap().subject;
    assert!(records.iter().all(|record| &record.subject == first));
    first
}

/// A located error reduced to what tests compare: (column, value, code, message).
pub fn located(error: &CellError) -> (&str, &str, &str, &str) {
    (
        error.column.as_str(),
        error.value.as_str(),
        error.code.as_str(),
        error.message.as_str(),
    )
}
