//! Beneficiaries files read through a département's mapping profile (`cdb-departement`:
//! IODAS lists, the WebRSA FRSA export, the CNAF contact file): each line becomes canonical
//! records, then person records, through the same pipeline as every other source.

use crate::domain::states::LineStatus;
use cdb_connector::records::Record;
use cdb_departement::{BoundProfile, Profile, RowContext};
use diesel::pg::PgConnection;

use super::beneficiaries::{ingest_person, people_together};
use super::{Applied, LineApplier, LineFailure, RunContext};
use crate::imports::kinds::Numbered;
use crate::imports::records::LineError;
use crate::imports::table::Row;
use crate::inbound::canonical::person_records;
use crate::inbound::record::PersonRecord;
use crate::store::imports::LineResult;

/// The mapping profiles a beneficiaries upload may name (`cdb` is the hub's own template
/// reader, which also writes the notebook columns).
pub fn profile_names() -> Vec<&'static str> {
    Profile::all()
        .iter()
        .map(Profile::name)
        .filter(|name| *name != "cdb")
        .collect()
}

/// The lines of a file read through a profile bound to its header.
pub struct ProfileRows {
    bound: BoundProfile<'static>,
    context: RowContext,
}

impl ProfileRows {
    /// Binds the profile to the file's header; the header's problem in French otherwise.
    pub fn bind(
        profile: &'static Profile,
        header: &[String],
        context: RowContext,
    ) -> Result<Self, (String, String)> {
        profile
            .bind(header)
            .map(|bound| Self { bound, context })
            .map_err(|error| (error.code().to_owned(), error.to_string()))
    }

    /// The columns of the file the profile does not know (ignored), with their letter.
    pub fn unknown_columns(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.bound
                .unknown_columns()
                .iter()
                .map(|column| {
                    serde_json::json!({
                        "column": crate::imports::headers::column_letter(column.position),
                        "header": column.header,
                    })
                })
                .collect(),
        )
    }

    /// Reads one line into records, or the line in error with its located errors.
    pub fn parse(&self, row: Row) -> Result<Numbered<Vec<Record>>, Box<LineResult>> {
        match self.bound.read_row(row.line, &row.cells, &self.context) {
            Ok(records) => Ok(Numbered {
                line: row.line,
                value: records,
                warnings: Vec::new(),
            }),
            Err(errors) => Err(Box::new(super::error_line(
                row.line,
                row.cells,
                errors
                    .into_iter()
                    .map(|error| LineError {
                        column: error.column,
                        value: error.value,
                        code: error.code.as_str().to_owned(),
                        message: error.message,
                    })
                    .collect(),
            ))),
        }
    }
}

/// Applies the records of a profile's lines.
pub struct ProfileLines;

impl LineApplier for ProfileLines {
    type Row = Vec<Record>;

    fn new(_context: &RunContext<'_>) -> Self {
        Self
    }

    fn apply(
        &self,
        conn: &mut PgConnection,
        context: &RunContext<'_>,
        row: &Self::Row,
    ) -> Result<Applied, LineFailure> {
        let mut result = Applied::new(LineStatus::Unchanged);
        for record in person_records(context.import.deployment_id, row) {
            let applied = ingest_person(conn, context, &record)?;
            let mut pending = std::mem::take(&mut result.pending);
            pending.extend(applied.pending.iter().cloned());
            if applied.status != LineStatus::Unchanged || result.beneficiary_id.is_none() {
                result = applied;
            }
            result.pending = pending;
        }
        Ok(result)
    }

    fn together(
        &self,
        conn: &mut PgConnection,
        context: &RunContext<'_>,
        rows: &[&Self::Row],
        updates: bool,
    ) -> diesel::QueryResult<Vec<Option<Applied>>> {
        // A line that is one person goes together with the others; the rest the usual way,
        // their keys counting.
        let people: Vec<Vec<PersonRecord>> = rows
            .iter()
            .map(|records| person_records(context.import.deployment_id, records))
            .collect();
        let all: Vec<&PersonRecord> = people.iter().flatten().collect();
        let wanted: Vec<bool> = people
            .iter()
            .flat_map(|line| std::iter::repeat_n(line.len() == 1, line.len()))
            .collect();
        let mut created = people_together(conn, context, &all, &wanted, updates)?.into_iter();
        Ok(people
            .iter()
            .map(|line| {
                let mut outcomes: Vec<Option<Applied>> =
                    line.iter().map(|_| created.next().flatten()).collect();
                if line.len() == 1 {
                    outcomes.pop().flatten()
                } else {
                    None
                }
            })
            .collect())
    }
}
