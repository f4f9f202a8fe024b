//! The notebook columns of a beneficiaries line: situation, RQTH and education level, wanted
//! jobs (professional projects, with the mobility area as their radius), structures and
//! referents. Only what differs is written, each as a timeline event; a re-sent file changes
//! nothing.

use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Nullable, Text, Uuid as SqlUuid};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{LineFailure, RunContext, references};
use crate::imports::kinds::BeneficiaryRow;
use crate::imports::values::{GeographicalArea, ValueSet};
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

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Jsonb)]
    row: Value,
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
    row.work_situation.is_some()
        || row.right_rqth.is_some()
        || row.education_level.is_some()
        || row.geographical_area.is_some()
        || !row.wanted_jobs.is_empty()
        || !row.structures.is_empty()
        || !row.advisors.is_empty()
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
    diagnostic(conn, notebook, author, row, &mut applied)?;
    let jobs_column = context.columns.get("wanted_jobs");
    projects(conn, notebook, author, row, &jobs_column, &mut applied)?;
    structures(
        conn,
        context,
        notebook,
        beneficiary,
        author,
        row,
        &mut applied,
    )?;
    referents(conn, context, notebook, author, row, &mut applied)?;
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

/// Work situation, RQTH and education level.
fn diagnostic(
    conn: &mut PgConnection,
    notebook: Uuid,
    author: Author,
    row: &BeneficiaryRow,
    applied: &mut NotebookApplied,
) -> Result<(), LineFailure> {
    let mut wanted = Map::new();
    if let Some(situation) = row.work_situation {
        wanted.insert("work_situation".into(), json!(situation.key()));
    }
    if let Some(rqth) = row.right_rqth {
        wanted.insert("right_rqth".into(), json!(rqth));
    }
    if let Some(level) = row.education_level {
        wanted.insert("education_level".into(), json!(level.key()));
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let current: JsonRow = diesel::sql_query(
        "SELECT jsonb_build_object('work_situation', work_situation, 'right_rqth', right_rqth, \
         'education_level', education_level) AS row FROM notebook WHERE id = $1",
    )
    .bind::<SqlUuid, _>(notebook)
    .get_result(conn)?;
    let mut before = Map::new();
    let mut after = Map::new();
    for (field, value) in wanted {
        let old = current.row.get(&field).cloned().unwrap_or(Value::Null);
        if old != value {
            applied.changes.insert(
                field.clone(),
                json!({"before": old, "after": value, "source": null}),
            );
            before.insert(field.clone(), old);
            after.insert(field, value);
        }
    }
    if after.is_empty() {
        return Ok(());
    }
    let list = after.keys().cloned().collect::<Vec<_>>().join(", ");
    diesel::sql_query(format!(
        "UPDATE notebook SET ({list}) = (SELECT {list} FROM jsonb_populate_record(NULL::notebook, $2)) WHERE id = $1"
    ))
    .bind::<SqlUuid, _>(notebook)
    .bind::<Jsonb, _>(Value::Object(after.clone()))
    .execute(conn)?;
    let payload = json!({
        "event_label": "Diagnostic socio-professionnel", "before": before, "after": after,
    });
    stage(conn, notebook, author, "notebook", &payload, applied)
}

#[derive(QueryableByName)]
struct ProjectRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    code: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
    mobility_radius: Option<i32>,
}

/// Wanted jobs become professional projects (one per ROME code); the mobility area is the
/// radius of the line's projects, or of the notebook's projects without one when the line
/// names no job.
fn projects(
    conn: &mut PgConnection,
    notebook: Uuid,
    author: Author,
    row: &BeneficiaryRow,
    column: &str,
    applied: &mut NotebookApplied,
) -> Result<(), LineFailure> {
    let radius = row.geographical_area.map(mobility_radius);
    if row.wanted_jobs.is_empty() && radius.is_none() {
        return Ok(());
    }
    let existing: Vec<ProjectRow> = diesel::sql_query(
        "SELECT pp.id, r.code, pp.mobility_radius FROM professional_project pp \
         LEFT JOIN rome_code r ON r.id = pp.rome_code_id WHERE pp.notebook_id = $1",
    )
    .bind::<SqlUuid, _>(notebook)
    .load(conn)?;
    let before: Vec<&str> = existing.iter().filter_map(|p| p.code.as_deref()).collect();
    let mut added = Vec::new();
    for job in &row.wanted_jobs {
        if before.contains(&job.code.as_str()) || added.contains(&job.code) {
            continue;
        }
        let inserted = diesel::sql_query(
            "INSERT INTO professional_project (deployment_id, notebook_id, rome_code_id, mobility_radius, updated_by_account_id) \
             SELECT n.deployment_id, n.id, r.id, $3, $4 FROM notebook n \
             JOIN LATERAL (SELECT id FROM rome_code WHERE code = $2 ORDER BY label LIMIT 1) r ON true \
             WHERE n.id = $1",
        )
        .bind::<SqlUuid, _>(notebook)
        .bind::<Text, _>(&job.code)
        .bind::<Nullable<diesel::sql_types::Integer>, _>(radius)
        .bind::<Nullable<SqlUuid>, _>(author.account_id)
        .execute(conn)?;
        if inserted == 0 {
            return Err(LineFailure::cell(
                column.to_owned(),
                &job.code,
                "unknown_rome_code",
                format!("Le code ROME « {} » n'existe pas", job.code),
            ));
        }
        let payload = json!({
            "event_label": job.code, "status": "created", "before": null,
            "after": {"rome_code": job.code, "mobility_radius": radius},
        });
        stage(
            conn,
            notebook,
            author,
            "professional_project",
            &payload,
            applied,
        )?;
        added.push(job.code.clone());
    }
    if !added.is_empty() {
        let mut after: Vec<&str> = before.clone();
        after.extend(added.iter().map(String::as_str));
        applied.changes.insert(
            "wanted_jobs".into(),
            json!({"before": before, "after": after, "source": null}),
        );
    }
    if let Some(radius) = radius {
        let named: Vec<&str> = row.wanted_jobs.iter().map(|j| j.code.as_str()).collect();
        for project in &existing {
            let concerned = if named.is_empty() {
                project.mobility_radius.is_none()
            } else {
                project
                    .code
                    .as_deref()
                    .is_some_and(|code| named.contains(&code))
            };
            if !concerned || project.mobility_radius == Some(radius) {
                continue;
            }
            diesel::sql_query("UPDATE professional_project SET mobility_radius = $2 WHERE id = $1")
                .bind::<SqlUuid, _>(project.id)
                .bind::<diesel::sql_types::Integer, _>(radius)
                .execute(conn)?;
            applied.changes.insert(
                "geographical_area".into(),
                json!({"before": project.mobility_radius, "after": radius, "source": null}),
            );
            let payload = json!({
                "event_label": project.code.clone().unwrap_or_else(|| "Projet en construction".into()),
                "status": "updated",
                "before": {"mobility_radius": project.mobility_radius},
                "after": {"mobility_radius": radius},
            });
            stage(
                conn,
                notebook,
                author,
                "professional_project",
                &payload,
                applied,
            )?;
        }
    }
    Ok(())
}

/// Attaches the person to the structures the line names (current rattachement).
fn structures(
    conn: &mut PgConnection,
    context: &RunContext<'_>,
    notebook: Uuid,
    beneficiary: Uuid,
    author: Author,
    row: &BeneficiaryRow,
    applied: &mut NotebookApplied,
) -> Result<(), LineFailure> {
    let column = context.columns.get("structures");
    let mut attached = Vec::new();
    for name in &row.structures {
        let structure = references::structure(conn, context.import.deployment_id, name, &column)?;
        if attach_structure(
            conn,
            notebook,
            beneficiary,
            structure,
            name,
            author,
            applied,
        )? {
            attached.push(name.clone());
        }
    }
    if !attached.is_empty() {
        applied.changes.insert(
            "structures".into(),
            json!({"before": null, "after": attached, "source": null}),
        );
    }
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

/// The line's professionals join the group: the first as referent when the group has none,
/// the others as members.
fn referents(
    conn: &mut PgConnection,
    context: &RunContext<'_>,
    notebook: Uuid,
    author: Author,
    row: &BeneficiaryRow,
    applied: &mut NotebookApplied,
) -> Result<(), LineFailure> {
    if row.advisors.is_empty() {
        return Ok(());
    }
    let column = context.columns.get("advisors");
    let mut referent = members::referent(conn, notebook)?;
    let mut joined = Vec::new();
    for email in &row.advisors {
        let professional = references::professional(
            conn,
            context.import.deployment_id,
            None,
            email.as_str(),
            &column,
        )?;
        let as_referent = referent.is_none();
        if join(
            conn,
            notebook,
            professional.account_id,
            as_referent,
            author,
            applied,
        )? {
            joined.push(email.as_str().to_owned());
        }
        if as_referent {
            referent = Some(professional.account_id);
        }
    }
    if !joined.is_empty() {
        applied.changes.insert(
            "advisors".into(),
            json!({"before": null, "after": joined, "source": null}),
        );
    }
    Ok(())
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
