//! Beneficiaries files: each line through the inbound pipeline (matching, merge under the
//! sources' ranks, provenance, change feed), then its notebook columns.

use crate::domain::states::LineStatus;
use diesel::pg::PgConnection;
use diesel::prelude::*;

use super::{Applied, KindLines, LineApplier, LineFailure, RunContext, group, notebook, situation};
use crate::imports::kinds::{Beneficiaries, BeneficiaryRow, Numbered};
use crate::imports::records::{self, LineError};
use crate::inbound::batch;
use crate::inbound::pipeline::{self, FieldChange, Options, Outcome};
use crate::inbound::record::PersonRecord;
use crate::store::changes::PendingChange;
use std::cell::RefCell;
use uuid::Uuid;

/// The `notebook_creation` source of people created by a file.
const CREATION_SOURCE: &str = "import";

/// Applies the lines of a beneficiaries file.
pub struct BeneficiaryLines {
    /// The header of the France Travail id column, for its errors.
    pe_column: String,
    /// The source system the file's values are recorded under.
    source: String,
    /// The structures and professionals the file named so far, resolved once per import.
    references: RefCell<group::References>,
}

impl KindLines for BeneficiaryLines {
    type Kind = Beneficiaries;

    fn kind_for(header: &[String]) -> Beneficiaries {
        Beneficiaries::detect(header)
    }
}

impl LineApplier for BeneficiaryLines {
    type Row = BeneficiaryRow;

    fn new(context: &RunContext<'_>) -> Self {
        Self {
            pe_column: context.columns.get("pe_number"),
            source: records::source_system(context.import.profile.as_deref()),
            references: RefCell::new(group::References::default()),
        }
    }

    fn prepare(
        &self,
        conn: &mut PgConnection,
        context: &RunContext<'_>,
        lines: &mut [&mut Numbered<BeneficiaryRow>],
    ) -> QueryResult<()> {
        let named: Vec<&BeneficiaryRow> = lines
            .iter()
            .map(|line| &line.value)
            .filter(|row| group::has_columns(row))
            .collect();
        self.references.borrow_mut().extend(conn, context, &named)?;
        let codes: Vec<String> = lines
            .iter()
            .flat_map(|line| line.value.wanted_jobs.iter().map(|job| job.code.clone()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let unknown_codes = situation::unknown_codes(conn, &codes)?;
        let references = self.references.borrow();
        for line in lines.iter_mut() {
            left_out(line, context, &references, &unknown_codes);
        }
        Ok(())
    }

    fn apply(
        &self,
        conn: &mut PgConnection,
        context: &RunContext<'_>,
        row: &BeneficiaryRow,
    ) -> Result<Applied, LineFailure> {
        apply_line(conn, self, context, row)
    }

    fn together(
        &self,
        conn: &mut PgConnection,
        context: &RunContext<'_>,
        rows: &[&BeneficiaryRow],
        updates: bool,
    ) -> QueryResult<Vec<Option<Applied>>> {
        // `prepare` left out of the lines the jobs, structures and professionals nobody
        // knows: lines with notebook columns go together when changes do; the others the
        // usual way, but their keys count.
        let references = self.references.borrow();
        let situated = |row: &BeneficiaryRow| updates && references.resolve_all(row);
        let records: Vec<Option<PersonRecord>> = rows
            .iter()
            .map(|row| {
                records::beneficiary_record(
                    row,
                    &self.pe_column,
                    context.import.deployment_id,
                    &self.source,
                    context.as_of,
                )
                .ok()
            })
            .collect();
        let (present, wanted): (Vec<&PersonRecord>, Vec<bool>) = records
            .iter()
            .zip(rows)
            .filter_map(|(record, row)| {
                record
                    .as_ref()
                    .map(|r| (r, !notebook::has_columns(row) || situated(row)))
            })
            .unzip();
        let mut created = people_together(conn, context, &present, &wanted, updates)?.into_iter();
        let mut results: Vec<Option<Applied>> = records
            .iter()
            .map(|record| record.as_ref().and_then(|_| created.next().flatten()))
            .collect();
        notebooks_together(conn, context, rows, &references, &mut results)?;
        Ok(results)
    }
}

/// Leaves out of a line the structures, professionals and ROME codes the deployment and the
/// referential do not know, each with a warning: the person keeps their line.
fn left_out(
    line: &mut Numbered<BeneficiaryRow>,
    context: &RunContext<'_>,
    references: &group::References,
    unknown_codes: &std::collections::HashSet<String>,
) {
    let row = &mut line.value;
    let warnings = &mut line.warnings;
    let column = context.columns.get("structures");
    row.structures.retain(|name| {
        let known = references.has_structure(name);
        if !known {
            warnings.push(LineError {
                column: column.clone(),
                value: name.clone(),
                code: "unknown_structure".into(),
                message: format!(
                    "La structure « {name} » n'existe pas sur ce territoire : la personne est importée sans ce rattachement"
                ),
            });
        }
        known
    });
    let column = context.columns.get("advisors");
    row.advisors.retain(|email| {
        let known = references.has_professional(email.as_str());
        if !known {
            warnings.push(LineError {
                column: column.clone(),
                value: email.as_str().to_owned(),
                code: "unknown_professional".into(),
                message: format!(
                    "Aucun professionnel du territoire n'a le courriel « {} » : la personne est importée sans cet accompagnateur",
                    email.as_str()
                ),
            });
        }
        known
    });
    let column = context.columns.get("wanted_jobs");
    row.wanted_jobs.retain(|job| {
        let known = !unknown_codes.contains(&job.code);
        if !known {
            warnings.push(LineError {
                column: column.clone(),
                value: job.code.clone(),
                code: "unknown_rome_code".into(),
                message: format!(
                    "Le code ROME « {} » n'existe pas : la personne est importée sans cet emploi recherché",
                    job.code
                ),
            });
        }
        known
    });
}

/// The notebook columns of the lines whose person was decided together: planned over their
/// notebooks read in one query per table (a person created by a preview has an empty one),
/// written in one statement per table, and told in each line's result as a line alone tells
/// them.
fn notebooks_together(
    conn: &mut PgConnection,
    context: &RunContext<'_>,
    rows: &[&BeneficiaryRow],
    references: &group::References,
    results: &mut [Option<Applied>],
) -> QueryResult<()> {
    let lines: Vec<usize> = (0..rows.len())
        .filter(|&i| notebook::has_columns(rows[i]))
        .filter(|&i| {
            results[i]
                .as_ref()
                .is_some_and(|applied| applied.beneficiary_id.is_some())
        })
        .collect();
    if lines.is_empty() {
        return Ok(());
    }
    let unwritten = |applied: &Applied| context.preview && applied.status == LineStatus::Create;
    let people: Vec<Uuid> = lines
        .iter()
        .filter_map(|&i| results[i].as_ref())
        .filter(|applied| !unwritten(applied))
        .filter_map(|applied| applied.beneficiary_id)
        .collect();
    let notebooks = crate::store::notebooks::ids_of_beneficiaries(conn, &people)?;
    let ids: Vec<Uuid> = notebooks.values().copied().collect();
    let pairs: Vec<(Uuid, Uuid)> = notebooks
        .iter()
        .map(|(person, notebook)| (*notebook, *person))
        .collect();
    let mut situations = situation::read_states(conn, &ids)?;
    let mut groups = group::read_states(conn, &pairs)?;
    // Each line, its notebook and person (none: created by this preview), and its two plans.
    let mut plans = Vec::new();
    for &i in &lines {
        let Some(applied) = results[i].as_ref() else {
            continue;
        };
        let Some(person) = applied.beneficiary_id else {
            continue;
        };
        let notebook = notebooks.get(&person).copied();
        if notebook.is_none() && !unwritten(applied) {
            // No notebook: nothing to write, as a line alone.
            continue;
        }
        let (situation_state, group_state) = match notebook {
            Some(notebook) => (
                situations.remove(&notebook).unwrap_or_default(),
                groups.remove(&notebook).unwrap_or_default(),
            ),
            None => Default::default(),
        };
        let row = rows[i];
        plans.push((
            i,
            notebook.map(|notebook| (notebook, person)),
            situation::plan(row, &situation_state),
            group::plan(row, &group_state, references),
        ));
    }
    if context.writing() == batch::Writing::Write {
        let author = crate::store::timeline::Author {
            account_id: context.import.created_by_account_id,
        };
        let written: Vec<(Uuid, &situation::Plan)> = plans
            .iter()
            .filter_map(|(_, at, plan, _)| at.map(|(notebook, _)| (notebook, plan)))
            .collect();
        situation::write_rows(conn, &written, author)?;
        let written: Vec<(Uuid, Uuid, &group::GroupPlan)> = plans
            .iter()
            .filter_map(|(_, at, _, plan)| at.map(|(notebook, person)| (notebook, person, plan)))
            .collect();
        group::write_rows(conn, &written, author)?;
        // Each notebook's events, its situation's then its group's, staged in one statement:
        // one version bump per notebook.
        let events: Vec<(Uuid, Vec<(&'static str, serde_json::Value)>)> = plans
            .iter()
            .filter_map(|(_, at, situation, group)| {
                at.map(|(notebook, _)| {
                    let events = situation
                        .events
                        .iter()
                        .chain(&group.events)
                        .cloned()
                        .collect();
                    (notebook, events)
                })
            })
            .collect();
        let staged: Vec<(Uuid, &[(&'static str, serde_json::Value)])> = events
            .iter()
            .map(|(notebook, events)| (*notebook, events.as_slice()))
            .collect();
        let mut changes = crate::store::timeline::stage_planned(conn, &staged, author)?.into_iter();
        for (i, at, _, _) in &plans {
            if at.is_some()
                && let Some(applied) = results[*i].as_mut()
            {
                applied.pending.extend(changes.next().unwrap_or_default());
            }
        }
    }
    for (i, _, situation, group) in plans {
        if let Some(applied) = results[i].as_mut() {
            let mut changes = situation.changes;
            changes.extend(group.changes);
            told(applied, changes);
        }
    }
    Ok(())
}

/// A line's result with the changes of its notebook columns: a person unchanged whose notebook
/// changed is an update.
fn told(result: &mut Applied, notebook: serde_json::Map<String, serde_json::Value>) {
    if notebook.is_empty() {
        return;
    }
    if result.status == LineStatus::Unchanged {
        result.status = LineStatus::Update;
    }
    let mut all = match result.changes.take() {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    all.extend(notebook);
    result.changes = Some(serde_json::Value::Object(all));
}

/// The records of a chunk that can only be new people, created together, and those whose
/// source record is linked to a known person, decided and written together (changes only
/// when `updates`): their results by position (`None`: through the pipeline one at a time).
/// `wanted` says which records may go together; the others count for their keys.
pub fn people_together(
    conn: &mut PgConnection,
    context: &RunContext<'_>,
    records: &[&PersonRecord],
    wanted: &[bool],
    updates: bool,
) -> QueryResult<Vec<Option<Applied>>> {
    let chunk = batch::ChunkRecords::new(records);
    let created = batch::create_new(conn, &chunk, wanted, CREATION_SOURCE, context.writing())?;
    let mut results = super::created_together(created);
    let left: Vec<bool> = wanted
        .iter()
        .zip(&results)
        .map(|(wanted, result)| *wanted && result.is_none())
        .collect();
    let known = batch::known(conn, &chunk, &left, updates, context.writing())?;
    for (result, found) in results.iter_mut().zip(known) {
        if let Some(found) = found {
            *result = applied(context, found.outcome, found.change).ok();
        }
    }
    Ok(results)
}

/// One line through the pipeline, then its notebook columns.
fn apply_line(
    conn: &mut PgConnection,
    lines: &BeneficiaryLines,
    context: &RunContext<'_>,
    row: &BeneficiaryRow,
) -> Result<Applied, LineFailure> {
    let record = records::beneficiary_record(
        row,
        &lines.pe_column,
        context.import.deployment_id,
        &lines.source,
        context.as_of,
    )
    .map_err(LineFailure::Rejected)?;
    let mut result = ingest_person(conn, context, &record)?;
    if let Some(beneficiary) = result.beneficiary_id {
        let notebook = notebook::apply(conn, context, beneficiary, row)?;
        told(&mut result, notebook.changes);
        result.pending.extend(notebook.pending);
    }
    Ok(result)
}

/// One person record through the pipeline: what it became, with the values it changes
/// (before → after, and who set them) and the values of the file that do not win.
pub fn ingest_person(
    conn: &mut PgConnection,
    context: &RunContext<'_>,
    record: &PersonRecord,
) -> Result<Applied, LineFailure> {
    let (outcome, change) =
        ingest(conn, record)?.map_err(|error| reject("not_applicable", &error))?;
    applied(context, outcome, change)
}

/// The line refused by the pipeline, for this reason.
fn reject(code: &str, message: &str) -> LineFailure {
    LineFailure::Rejected(vec![LineError {
        column: String::new(),
        value: String::new(),
        code: code.to_owned(),
        message: records::rejection_message(code, message),
    }])
}

/// A line's result from what the pipeline did with its person.
fn applied(
    context: &RunContext<'_>,
    outcome: Outcome,
    change: Option<PendingChange>,
) -> Result<Applied, LineFailure> {
    let mut result = Applied::new(LineStatus::Unchanged);
    match outcome {
        Outcome::Created { beneficiary_id, .. } => {
            result.status = LineStatus::Create;
            result.beneficiary_id = Some(beneficiary_id);
        }
        Outcome::Updated {
            beneficiary_id,
            changes,
            kept_values,
            ..
        } => {
            result.status = LineStatus::Update;
            result.beneficiary_id = Some(beneficiary_id);
            result.changes = Some(shown(&changes, "before", "after"));
            result.kept =
                (!kept_values.is_empty()).then(|| shown(&kept_values, "current", "proposed"));
        }
        Outcome::Unchanged {
            beneficiary_id,
            kept_values,
            ..
        } => {
            result.status = LineStatus::Unchanged;
            result.beneficiary_id = Some(beneficiary_id);
            result.kept =
                (!kept_values.is_empty()).then(|| shown(&kept_values, "current", "proposed"));
        }
        Outcome::PossibleMatch {
            possible_match_id, ..
        } => {
            result.status = LineStatus::PossibleMatch;
            // A preview rolls the possible match back: its id would point nowhere.
            result.possible_match_id = (!context.preview).then_some(possible_match_id);
        }
        // Someone of another deployment has this NIR: the managers decide, nobody is named.
        Outcome::PendingReview => {
            result.status = LineStatus::PossibleMatch;
        }
        Outcome::Rejected { code, message } => {
            return Err(reject(&code, &message));
        }
    }
    result.pending.extend(change);
    Ok(result)
}

/// field → {<now>: the person's value, <incoming>: the line's, source: who set the first}, the
/// NIR masked.
fn shown(changes: &[FieldChange], now: &str, incoming: &str) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for change in changes {
        let mut entry = serde_json::Map::new();
        entry.insert(now.to_owned(), change.field.shown(change.before.clone()));
        entry.insert(
            incoming.to_owned(),
            change.field.shown(change.after.clone()),
        );
        entry.insert(
            "source".to_owned(),
            change
                .source
                .clone()
                .map_or(serde_json::Value::Null, serde_json::Value::String),
        );
        map.insert(
            change.field.column().to_owned(),
            serde_json::Value::Object(entry),
        );
    }
    serde_json::Value::Object(map)
}

/// What the pipeline did with a line, or why the database refused it (a constraint).
type Ingested = Result<(Outcome, Option<PendingChange>), String>;

/// The line through the pipeline once, in a savepoint (a refused line leaves nothing).
fn ingest(conn: &mut PgConnection, record: &PersonRecord) -> QueryResult<Ingested> {
    let attempt = conn.transaction::<_, diesel::result::Error, _>(|conn| {
        pipeline::ingest(
            conn,
            record,
            CREATION_SOURCE,
            crate::domain::reach::Reach::Deployment(record.deployment_id),
            Options::default(),
        )
    });
    match attempt {
        Ok(done) => Ok(Ok(done)),
        Err(diesel::result::Error::DatabaseError(_, info)) => {
            Ok(Err(match info.constraint_name() {
                Some(constraint) => format!("{} ({constraint})", info.message()),
                None => info.message().to_owned(),
            }))
        }
        Err(error) => Err(error),
    }
}
