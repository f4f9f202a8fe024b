//! The notebook columns of a beneficiaries line: situation, RQTH and education level, wanted
//! jobs (professional projects, with the mobility area as their radius), structures and
//! referents. Only what differs is written, each as a timeline event; a re-sent file changes
//! nothing.

use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Uuid as SqlUuid;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{LineFailure, RunContext, group, situation};
use crate::imports::kinds::BeneficiaryRow;
use crate::imports::values::GeographicalArea;
use crate::store::changes::PendingChange;
use crate::store::members;
use crate::store::timeline::{self, Author, WriteError};

/// What the notebook columns of a line changed.
#[derive(Debug, Default)]
pub struct NotebookApplied {
    /// column → {before, after, source}.
    pub changes: Map<String, Value>,
    /// Change-feed entries.
    pub pending: Vec<PendingChange>,
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// The radius in km a mobility area stands for: its upper bound (31 for "more than 30 km").
pub fn mobility_radius(area: GeographicalArea) -> i32 {
    match area {
        GeographicalArea::NoMobility => 0,
        GeographicalArea::Less10 => 10,
        GeographicalArea::Between10And20 => 20,
        GeographicalArea::Between20And30 => 30,
        GeographicalArea::Plus30 => 31,
    }
}

/// Whether the line says anything of the notebook (beyond the person).
pub fn has_columns(row: &BeneficiaryRow) -> bool {
    situation::has_columns(row) || group::has_columns(row)
}

/// Writes what the line says of the person's notebook.
pub fn apply(
    conn: &mut PgConnection,
    context: &RunContext<'_>,
    beneficiary: Uuid,
    row: &BeneficiaryRow,
) -> Result<NotebookApplied, LineFailure> {
    let mut applied = NotebookApplied::default();
    if !has_columns(row) {
        return Ok(applied);
    }
    let Some(notebook) = diesel::sql_query("SELECT id FROM notebook WHERE beneficiary_id = $1")
        .bind::<SqlUuid, _>(beneficiary)
        .get_result::<Found>(conn)
        .optional()?
        .map(|found| found.id)
    else {
        return Ok(applied);
    };
    let author = Author {
        account_id: context.import.created_by_account_id,
    };
    situation_columns(conn, context, notebook, author, row, &mut applied)?;
    group_columns(
        conn,
        context,
        notebook,
        beneficiary,
        author,
        row,
        &mut applied,
    )?;
    Ok(applied)
}

fn write_error(error: WriteError) -> LineFailure {
    match error {
        WriteError::Database(error) => LineFailure::Database(error),
        other => LineFailure::Rejected(vec![super::refused_line(&other.to_string())]),
    }
}

fn stage(
    conn: &mut PgConnection,
    notebook: Uuid,
    author: Author,
    event_type: &str,
    payload: &Value,
    applied: &mut NotebookApplied,
) -> Result<(), LineFailure> {
    let change = timeline::stage(conn, notebook, author, event_type, Utc::now(), payload)?;
    applied.pending.push(change);
    Ok(())
}

/// The situation columns of the line (work situation, RQTH, education level, wanted jobs,
/// mobility), through the plan a chunk uses ([`situation::plan`]); a wanted job the ROME
/// referential does not know is the error of its cell.
fn situation_columns(
    conn: &mut PgConnection,
    context: &RunContext<'_>,
    notebook: Uuid,
    author: Author,
    row: &BeneficiaryRow,
    applied: &mut NotebookApplied,
) -> Result<(), LineFailure> {
    if !situation::has_columns(row) {
        return Ok(());
    }
    let state = situation::read_states(conn, &[notebook])?
        .remove(&notebook)
        .unwrap_or_default();
    let codes: Vec<String> = row.wanted_jobs.iter().map(|job| job.code.clone()).collect();
    let unknown = situation::unknown_codes(conn, &codes)?;
    let held = |code: &str| {
        state
            .projects
            .iter()
            .any(|project| project.code.as_deref() == Some(code))
    };
    if let Some(code) = codes
        .iter()
        .find(|code| unknown.contains(*code) && !held(code))
    {
        return Err(LineFailure::cell(
            context.columns.get("wanted_jobs"),
            code,
            "unknown_rome_code",
            format!("Le code ROME « {code} » n'existe pas"),
        ));
    }
    let plan = situation::plan(row, &state);
    let pending = situation::write(conn, &[(notebook, &plan)], author)?;
    applied.changes.extend(plan.changes);
    applied.pending.extend(pending.into_iter().flatten());
    Ok(())
}

/// The structures and referents columns of the line, through the plan a chunk uses
/// ([`group::plan`]); a structure or an e-mail nobody answers to is the error of its cell.
fn group_columns(
    conn: &mut PgConnection,
    context: &RunContext<'_>,
    notebook: Uuid,
    beneficiary: Uuid,
    author: Author,
    row: &BeneficiaryRow,
    applied: &mut NotebookApplied,
) -> Result<(), LineFailure> {
    if !group::has_columns(row) {
        return Ok(());
    }
    let references = group::resolve_line(conn, context, row)?;
    let state = group::read_states(conn, &[(notebook, beneficiary)])?
        .remove(&notebook)
        .unwrap_or_default();
    let plan = group::plan(row, &state, &references);
    let pending = group::write(conn, &[(notebook, beneficiary, &plan)], author)?;
    applied.changes.extend(plan.changes);
    applied.pending.extend(pending.into_iter().flatten());
    Ok(())
}

/// Attaches a person to a structure unless they already are: whether it was done.
pub fn attach_structure(
    conn: &mut PgConnection,
    notebook: Uuid,
    beneficiary: Uuid,
    structure: Uuid,
    name: &str,
    author: Author,
    applied: &mut NotebookApplied,
) -> Result<bool, LineFailure> {
    let inserted = diesel::sql_query(
        "INSERT INTO beneficiary_structure (deployment_id, beneficiary_id, structure_id) \
         SELECT deployment_id, id, $2 FROM beneficiary WHERE id = $1 \
         AND NOT EXISTS (SELECT 1 FROM beneficiary_structure WHERE beneficiary_id = $1 \
                         AND structure_id = $2 AND status = 'current')",
    )
    .bind::<SqlUuid, _>(beneficiary)
    .bind::<SqlUuid, _>(structure)
    .execute(conn)?;
    if inserted == 0 {
        return Ok(false);
    }
    let payload = json!({
        "event_label": format!("Rattachement à la structure {name}"),
        "before": null, "after": {"structure_id": structure, "structure": name},
    });
    stage(conn, notebook, author, "orientation", &payload, applied)?;
    Ok(true)
}

/// An account joins the group (staged event): whether anything changed.
pub fn join(
    conn: &mut PgConnection,
    notebook: Uuid,
    account: Uuid,
    as_referent: bool,
    author: Author,
    applied: &mut NotebookApplied,
) -> Result<bool, LineFailure> {
    match members::join(conn, notebook, account, as_referent, author).map_err(write_error)? {
        Some(payload) => {
            stage(conn, notebook, author, "member", &payload, applied)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// An account leaves the group (staged event): whether it was a member.
pub fn leave(
    conn: &mut PgConnection,
    notebook: Uuid,
    account: Uuid,
    author: Author,
    applied: &mut NotebookApplied,
) -> Result<bool, LineFailure> {
    match members::leave(conn, notebook, account).map_err(write_error)? {
        Some(payload) => {
            stage(conn, notebook, author, "member", &payload, applied)?;
            Ok(true)
        }
        None => Ok(false),
    }
}
