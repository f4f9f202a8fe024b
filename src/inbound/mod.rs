//! The one inbound pipeline: every piece of data about a person — a partner's API call, an
//! uploaded file, a connector's pull, a professional's edit — becomes a canonical
//! [`record::PersonRecord`] and goes through matching, merge with per-field provenance, and a
//! write recorded in the change feed, in one transaction.

pub mod batch;
pub mod canonical;
pub mod matching;
pub mod merge;
pub mod pipeline;

pub mod record;

use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::domain::reach::Reach;
use crate::store::changes::{self, PendingChange};
use pipeline::{Options, Outcome};
use record::PersonRecord;

/// Runs records of a writer of this reach in one transaction; a record that fails is rolled back alone (savepoint) and
/// reported, the others are applied; the changes are recorded last.
pub fn ingest_all(
    conn: &mut PgConnection,
    records: &[PersonRecord],
    creation_source: &str,
    reach: Reach,
) -> QueryResult<Vec<Outcome>> {
    conn.transaction(|conn| {
        let mut outcomes = Vec::with_capacity(records.len());
        let mut pending: Vec<PendingChange> = Vec::new();
        for record in records {
            let result = conn.transaction(|conn| {
                pipeline::ingest(conn, record, creation_source, reach, Options::default())
            });
            match result {
                Ok((outcome, change)) => {
                    pending.extend(change);
                    outcomes.push(outcome);
                }
                Err(error) => outcomes.push(Outcome::Rejected {
                    code: "not_applicable".into(),
                    message: database_reason(&error),
                }),
            }
        }
        changes::record(conn, &pending)?;
        Ok(outcomes)
    })
}

/// Runs one record for a writer of this reach, with the caller's options.
pub fn ingest_one(
    conn: &mut PgConnection,
    record: &PersonRecord,
    creation_source: &str,
    reach: Reach,
    options: Options,
) -> QueryResult<Outcome> {
    conn.transaction(|conn| {
        let (outcome, change) = pipeline::ingest(conn, record, creation_source, reach, options)?;
        changes::record(conn, change.as_slice())?;
        Ok(outcome)
    })
}

/// Runs one record of a source the deployment runs itself — its connectors, CAF/MSA fluxes,
/// departmental exports and events: such a source writes for the whole deployment.
pub fn ingest_from_connector(
    conn: &mut PgConnection,
    record: &PersonRecord,
    options: Options,
) -> QueryResult<Outcome> {
    ingest_one(
        conn,
        record,
        "connector",
        Reach::Deployment(record.deployment_id),
        options,
    )
}

/// A database refusal as a reason a partner can act on (constraint names say which value).
fn database_reason(error: &diesel::result::Error) -> String {
    match error {
        diesel::result::Error::DatabaseError(_, info) => match info.constraint_name() {
            Some(constraint) => format!(
                "a value is refused by the rule {constraint}: {}",
                info.message()
            ),
            None => info.message().to_owned(),
        },
        other => other.to_string(),
    }
}
