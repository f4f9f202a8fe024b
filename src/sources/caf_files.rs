//! Applying CAF/MSA *flux bénéficiaires* received by an instance: in the order of the files' own
//! creation dates; a file that breaks the schema is rejected whole (and kept); the others go
//! household by household through the one inbound pipeline, committed in chunks with the
//! number of households done (an interrupted application resumes there). Each file gets its
//! report, e-mailed to the deployment's managers. People the flux names but the deployment does
//! not know are listed, not created — unless the instance says to create the entrants subject
//! to droits et devoirs.

use crate::domain::reports::FileReport;
use std::collections::HashSet;
use std::io::Cursor;

use cdb_caf_msa::{FluxReader, Household};
use cdb_connector::records::RecordBody;
use diesel::prelude::*;
use uuid::Uuid;

use super::runner::RunCounts;
use crate::inbound::batch;
use crate::inbound::canonical::person_records;
use crate::inbound::pipeline::{Options, Outcome};
use crate::postgres::DbPool;
use crate::store::changes::PendingChange;
use crate::store::connector_files::{self, PendingFile};
use crate::store::connector_runs::{self, ClaimedRun, NewItem};
use crate::store::outbox;

/// Households applied per committed chunk.
const CHUNK: usize = 200;
/// Unknown people listed in a report at most.
const MAX_LISTED: usize = 1000;

/// Why a file application stopped (the run fails with it).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Database failure: the run is retried and resumes at the last chunk.
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    /// No connection.
    #[error("database: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// A file could not be kept.
    #[error(transparent)]
    File(#[from] crate::store::large_objects::StreamError),
    /// An import of the file failed.
    #[error(transparent)]
    Import(#[from] crate::imports::runner::RunError),
}

/// The record ids of the persons that are entrants subject to droits et devoirs.
fn entrants(records: &[cdb_connector::records::Record]) -> HashSet<String> {
    records
        .iter()
        .filter(|record| {
            matches!(&record.body, RecordBody::RsaRights(rights)
                if rights.entrant == Some(true) && rights.subject_to_rights_and_duties == Some(true))
        })
        .map(|record| record.source.record_id.clone())
        .collect()
}

/// What a chunk of households adds up to.
#[derive(Clone)]
struct Tally {
    report: FileReport,
    counts: RunCounts,
    items: Vec<NewItem>,
}

/// A person of a household, ready for the pipeline.
struct Person {
    record: crate::inbound::record::PersonRecord,
    /// The record's reference in the items (its source id, or the household's key).
    reference: String,
    /// Created when unknown (an entrant subject to droits et devoirs, when the instance says so).
    create: bool,
}

/// The people of a household, counted in the report.
fn household_people(
    claimed: &ClaimedRun,
    create_entrants: bool,
    household: &Household,
    header: &cdb_caf_msa::FluxHeader,
    tally: &mut Tally,
) -> Vec<Person> {
    let run = claimed.run_id.to_string();
    let records = household.records(header, Some(&run));
    let entrants = entrants(&records);
    tally.report.households += 1;
    tally.report.persons += household.persons.len() as u64;
    tally.counts.read += records.len() as u64;
    person_records(claimed.deployment_id, &records)
        .into_iter()
        .map(|record| {
            let reference = record
                .source
                .record_id
                .clone()
                .unwrap_or_else(|| household.file_key.clone());
            let create = create_entrants && entrants.contains(&reference);
            Person {
                record,
                reference,
                create,
            }
        })
        .collect()
}

/// Applies the people of a chunk of households, in order: those whose record is linked to a
/// person from an earlier flux are decided and written together (when `together`, see
/// [`batch::known`]); those that surely match nobody (one query for the chunk) are unknown
/// without asking the pipeline again; the others go through the pipeline one at a time. A
/// person changed together and then again by a record alone (the same person under keys no
/// two records shared) ends the chunk with [`InOrder`]: it is applied again, one at a time.
fn apply_people(
    conn: &mut diesel::PgConnection,
    people: &[Person],
    tally: &mut Tally,
    together: bool,
) -> Result<(), InOrder> {
    let records: Vec<&crate::inbound::record::PersonRecord> =
        people.iter().map(|person| &person.record).collect();
    let mut known = if together {
        let chunk = batch::ChunkRecords::new(&records);
        batch::known(
            conn,
            &chunk,
            &vec![true; records.len()],
            true,
            batch::Writing::Write,
        )?
    } else {
        vec![None; records.len()]
    };
    let changed: HashSet<Uuid> = known
        .iter()
        .flatten()
        .filter_map(|found| match found.outcome {
            Outcome::Updated { beneficiary_id, .. } => Some(beneficiary_id),
            _ => None,
        })
        .collect();
    let pending: Vec<PendingChange> = known
        .iter()
        .flatten()
        .filter_map(|found| found.change.clone())
        .collect();
    crate::store::changes::record(conn, &pending)?;
    let inert: Vec<bool> = people.iter().map(|person| !person.create).collect();
    let unknown = batch::surely_unknown(conn, &records, &inert)?;
    for ((person, unknown), found) in people.iter().zip(unknown).zip(known.iter_mut()) {
        let outcome = if let Some(found) = found.take() {
            found.outcome
        } else if unknown && !person.create {
            crate::inbound::pipeline::unknown_person()
        } else {
            let outcome = crate::inbound::ingest_from_connector(
                conn,
                &person.record,
                Options {
                    refuse_new: !person.create,
                    ..Options::default()
                },
            )?;
            if let Outcome::Created { beneficiary_id, .. }
            | Outcome::Updated { beneficiary_id, .. }
            | Outcome::Unchanged { beneficiary_id, .. } = &outcome
                && changed.contains(beneficiary_id)
            {
                return Err(InOrder::Again);
            }
            outcome
        };
        let Tally {
            report,
            counts,
            items,
        } = &mut *tally;
        let item = super::runner::item(&person.reference, None, &outcome, counts);
        match item.outcome.as_str() {
            "created" => report.created += 1,
            "updated" => {
                report.matched += 1;
                report.updated += 1;
            }
            "unchanged" => {
                report.matched += 1;
                report.unchanged += 1;
            }
            "possible_match" => report.possible_matches += 1,
            "not_found" => {
                report.unknown += 1;
                if report.unknown_people.len() < MAX_LISTED {
                    report.unknown_people.push(serde_json::json!({
                        "record_id": person.reference,
                        "lastname": person.record.fields.lastname,
                        "firstname": person.record.fields.firstname,
                        "date_of_birth": person.record.fields.date_of_birth,
                    }));
                }
            }
            _ => report.errors += 1,
        }
        items.push(item);
    }
    Ok(())
}

/// Why a chunk of households is applied again, or the database's error.
#[derive(Debug)]
enum InOrder {
    /// Once more, one record at a time.
    Again,
    /// The database failed.
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for InOrder {
    fn from(error: diesel::result::Error) -> Self {
        InOrder::Database(error)
    }
}

/// The file's content from its start: its large object read a piece at a time (on a
/// connection of its own), or the bytes of its row.
fn content<'a>(
    pool: &DbPool,
    file: &'a PendingFile,
) -> Result<Box<dyn std::io::BufRead + 'a>, FileError> {
    Ok(match file.content_oid {
        Some(oid) => Box::new(std::io::BufReader::with_capacity(
            1024 * 1024,
            crate::store::large_objects::Reader::open(pool, oid)?,
        )),
        None => Box::new(Cursor::new(file.content.as_slice())),
    })
}

/// Applies one file; answers its report, or the reason it is rejected whole.
fn apply_file(
    conn: &mut diesel::PgConnection,
    pool: &DbPool,
    claimed: &ClaimedRun,
    create_entrants: bool,
    file: &PendingFile,
    counts: &mut RunCounts,
) -> Result<Result<FileReport, String>, FileError> {
    // First the whole file against the schema: a broken file is rejected before anything is
    // written.
    let summary = match FluxReader::new(content(pool, file)?).and_then(FluxReader::check) {
        Ok(summary) => summary,
        Err(error) => return Ok(Err(error.to_string())),
    };
    let mut reader = match FluxReader::new(content(pool, file)?) {
        Ok(reader) => reader,
        Err(error) => return Ok(Err(error.to_string())),
    };
    let header = reader.header().clone();
    let mut report: FileReport = file
        .report
        .clone()
        .and_then(|r| serde_json::from_value(r).ok())
        .unwrap_or_default();
    report.warnings = summary.warnings.iter().map(ToString::to_string).collect();
    let skip = usize::try_from(file.units_done).unwrap_or(0);
    let mut done = file.units_done;
    let mut households = reader.by_ref().skip(skip);
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        for household in households.by_ref().take(CHUNK) {
            match household {
                Ok(household) => chunk.push(household),
                Err(error) => return Ok(Err(error.to_string())),
            }
        }
        if chunk.is_empty() {
            return Ok(Ok(report));
        }
        let snapshot = (report.clone(), counts.clone());
        let result = conn.transaction(|conn| {
            let (report, counts) = snapshot;
            let mut tally = Tally {
                report,
                counts,
                items: Vec::new(),
            };
            let people: Vec<Person> = chunk
                .iter()
                .flat_map(|household| {
                    household_people(claimed, create_entrants, household, &header, &mut tally)
                })
                .collect();
            let before = tally.clone();
            match conn.transaction(|conn| apply_people(conn, &people, &mut tally, true)) {
                Ok(()) => {}
                Err(InOrder::Again) => {
                    tally = before;
                    apply_people(conn, &people, &mut tally, false).map_err(
                        |error| match error {
                            InOrder::Database(error) => error,
                            InOrder::Again => diesel::result::Error::RollbackTransaction,
                        },
                    )?;
                }
                Err(InOrder::Database(error)) => return Err(error),
            }
            let Tally {
                report,
                counts,
                items,
            } = tally;
            let units = done + chunk.len() as i64;
            let report_json = serde_json::to_value(&report).unwrap_or_default();
            connector_files::progress(conn, file.id, units, &report_json)?;
            let counts_json = serde_json::to_value(&counts).unwrap_or_default();
            connector_runs::save_page(
                conn,
                claimed.run_id,
                &items,
                &counts_json,
                &file.id.to_string(),
            )?;
            QueryResult::Ok((report, counts, units))
        })?;
        report = result.0;
        *counts = result.1;
        done = result.2;
    }
}

/// Applies every received file of the instance, oldest flux first. Answers a reason when the
/// run must end as failed.
pub fn apply_pending(
    conn: &mut diesel::PgConnection,
    pool: &DbPool,
    claimed: &ClaimedRun,
    counts: &mut RunCounts,
) -> Result<(), FileError> {
    let create_entrants = claimed
        .config
        .get("create_entrants")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    while let Some(file) = connector_files::next_pending(conn, claimed.instance_id)? {
        tracing::info!(file = %file.id, name = %file.file_name, "applying a CAF/MSA file");
        let outcome = apply_file(conn, pool, claimed, create_entrants, &file, counts)?;
        let (report, error) = match outcome {
            Ok(report) => (report, None),
            Err(reason) => (FileReport::default(), Some(reason)),
        };
        let report_json = serde_json::to_value(&report).unwrap_or_default();
        conn.transaction(|conn| {
            connector_files::end(conn, file.id, &report_json, error.as_deref())?;
            notify_managers(
                conn,
                claimed.deployment_id,
                file.id,
                &file.file_name,
                &report,
                error.as_deref(),
            )
        })?;
        match &error {
            None => {
                tracing::info!(file = %file.id, households = report.households, "CAF/MSA file applied")
            }
            Some(reason) => tracing::warn!(file = %file.id, %reason, "CAF/MSA file rejected"),
        }
    }
    Ok(())
}

fn notify_managers(
    conn: &mut diesel::PgConnection,
    deployment: Uuid,
    file: Uuid,
    file_name: &str,
    report: &FileReport,
    error: Option<&str>,
) -> QueryResult<()> {
    let date = connector_files_date(conn, file)?;
    let notice = crate::notify::caf_report(&date, file_name, report, error);
    for email in connector_files::manager_emails(conn, deployment)? {
        outbox::queue(conn, &email, &notice.subject, &notice.body)?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct FluxDate {
    #[diesel(sql_type = diesel::sql_types::Text)]
    date: String,
}

/// The file's date as the original wrote it in the subject (DD/MM/YYYY).
fn connector_files_date(conn: &mut diesel::PgConnection, file: Uuid) -> QueryResult<String> {
    diesel::sql_query(
        "SELECT to_char(coalesce(flux_created_at, received_at) AT TIME ZONE 'Europe/Paris', 'DD/MM/YYYY') AS date \
         FROM connector_file WHERE id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(file)
    .get_result::<FluxDate>(conn)
    .map(|row| row.date)
}
