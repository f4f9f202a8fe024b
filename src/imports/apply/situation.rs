//! The situation columns of a beneficiaries line — work situation, RQTH, education level,
//! wanted jobs and mobility area — decided from the notebook's state and written, for one line
//! or for a whole chunk with one statement per table. A line alone and a line of a chunk go
//! through the same [`plan`], so they write the same rows and tell the same changes.

use std::collections::{HashMap, HashSet};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Jsonb, Nullable, Text, Uuid as SqlUuid};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::notebook::mobility_radius;
use crate::imports::kinds::BeneficiaryRow;
use crate::imports::values::ValueSet;
use crate::store::changes::PendingChange;
use crate::store::timeline::{self, Author};

/// Whether the line has a situation column.
pub fn has_columns(row: &BeneficiaryRow) -> bool {
    row.work_situation.is_some()
        || row.right_rqth.is_some()
        || row.education_level.is_some()
        || row.geographical_area.is_some()
        || !row.wanted_jobs.is_empty()
}

/// A professional project of a notebook, as its situation columns see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Project {
    /// The project.
    pub id: Uuid,
    /// Its ROME code, if it has one.
    pub code: Option<String>,
    /// Its mobility radius in km, if set.
    pub mobility_radius: Option<i32>,
}

/// What a notebook holds that the situation columns may change.
#[derive(Debug, Clone, Default)]
pub struct NotebookState {
    /// `work_situation`, `right_rqth`, `education_level` (null when unset).
    pub diagnostic: Map<String, Value>,
    /// Its professional projects, by id.
    pub projects: Vec<Project>,
}

#[derive(QueryableByName)]
struct StateRow {
    #[diesel(sql_type = SqlUuid)]
    notebook_id: Uuid,
    #[diesel(sql_type = Jsonb)]
    diagnostic: Value,
    #[diesel(sql_type = Jsonb)]
    projects: Value,
}

/// The state of these notebooks, read in one query.
pub fn read_states(
    conn: &mut PgConnection,
    notebooks: &[Uuid],
) -> QueryResult<HashMap<Uuid, NotebookState>> {
    if notebooks.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<StateRow> = diesel::sql_query(
        "SELECT n.id AS notebook_id, jsonb_build_object('work_situation', n.work_situation, \
           'right_rqth', n.right_rqth, 'education_level', n.education_level) AS diagnostic, \
           coalesce((SELECT jsonb_agg(jsonb_build_object('id', pp.id, 'code', r.code, \
             'mobility_radius', pp.mobility_radius) ORDER BY pp.id) \
             FROM professional_project pp LEFT JOIN rome_code r ON r.id = pp.rome_code_id \
             WHERE pp.notebook_id = n.id), '[]') AS projects \
         FROM notebook n WHERE n.id = ANY ($1)",
    )
    .bind::<Array<SqlUuid>, _>(notebooks)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let diagnostic = match row.diagnostic {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            let projects = serde_json::from_value(row.projects).unwrap_or_default();
            (
                row.notebook_id,
                NotebookState {
                    diagnostic,
                    projects,
                },
            )
        })
        .collect())
}

#[derive(QueryableByName)]
struct Code {
    #[diesel(sql_type = Text)]
    code: String,
}

/// Of these ROME codes, those the referential does not know (one query).
pub fn unknown_codes(conn: &mut PgConnection, codes: &[String]) -> QueryResult<HashSet<String>> {
    if codes.is_empty() {
        return Ok(HashSet::new());
    }
    let known: HashSet<String> =
        diesel::sql_query("SELECT DISTINCT code FROM rome_code WHERE code = ANY ($1)")
            .bind::<Array<Text>, _>(codes)
            .load::<Code>(conn)?
            .into_iter()
            .map(|found| found.code)
            .collect();
    Ok(codes
        .iter()
        .filter(|code| !known.contains(*code))
        .cloned()
        .collect())
}

/// What a line's situation columns do to a notebook.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The diagnostic fields written, with their values.
    pub diagnostic: Map<String, Value>,
    /// New projects: ROME code and mobility radius.
    pub new_projects: Vec<(String, Option<i32>)>,
    /// Projects whose radius changes, to this radius.
    pub radii: Vec<(Uuid, i32)>,
    /// column → {before, after, source}, as the line's result shows it.
    pub changes: Map<String, Value>,
    /// The timeline events, in order: type and payload.
    pub events: Vec<(&'static str, Value)>,
}

/// Decides what the line's situation columns change in a notebook in this state: only what
/// differs, each change a timeline event. Codes are assumed known (see [`unknown_codes`]).
pub fn plan(row: &BeneficiaryRow, state: &NotebookState) -> Plan {
    let mut plan = Plan::default();
    diagnostic(row, state, &mut plan);
    projects(row, state, &mut plan);
    plan
}

fn diagnostic(row: &BeneficiaryRow, state: &NotebookState, plan: &mut Plan) {
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
    let mut before = Map::new();
    for (field, value) in wanted {
        let old = state.diagnostic.get(&field).cloned().unwrap_or(Value::Null);
        if old != value {
            plan.changes.insert(
                field.clone(),
                json!({"before": old, "after": value, "source": null}),
            );
            before.insert(field.clone(), old);
            plan.diagnostic.insert(field, value);
        }
    }
    if !plan.diagnostic.is_empty() {
        plan.events.push((
            "notebook",
            json!({
                "event_label": "Diagnostic socio-professionnel",
                "before": before,
                "after": plan.diagnostic,
            }),
        ));
    }
}

/// Wanted jobs become professional projects (one per ROME code); the mobility area is the
/// radius of the line's projects, or of the notebook's projects without one when the line
/// names no job.
fn projects(row: &BeneficiaryRow, state: &NotebookState, plan: &mut Plan) {
    let radius = row.geographical_area.map(mobility_radius);
    if row.wanted_jobs.is_empty() && radius.is_none() {
        return;
    }
    let before: Vec<&str> = state
        .projects
        .iter()
        .filter_map(|p| p.code.as_deref())
        .collect();
    let mut added: Vec<String> = Vec::new();
    for job in &row.wanted_jobs {
        if before.contains(&job.code.as_str()) || added.contains(&job.code) {
            continue;
        }
        plan.new_projects.push((job.code.clone(), radius));
        plan.events.push((
            "professional_project",
            json!({
                "event_label": job.code, "status": "created", "before": null,
                "after": {"rome_code": job.code, "mobility_radius": radius},
            }),
        ));
        added.push(job.code.clone());
    }
    if !added.is_empty() {
        let mut after: Vec<&str> = before.clone();
        after.extend(added.iter().map(String::as_str));
        plan.changes.insert(
            "wanted_jobs".into(),
            json!({"before": before, "after": after, "source": null}),
        );
    }
    let Some(radius) = radius else {
        return;
    };
    let named: Vec<&str> = row.wanted_jobs.iter().map(|j| j.code.as_str()).collect();
    for project in &state.projects {
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
        plan.radii.push((project.id, radius));
        plan.changes.insert(
            "geographical_area".into(),
            json!({"before": project.mobility_radius, "after": radius, "source": null}),
        );
        plan.events.push((
            "professional_project",
            json!({
                "event_label": project.code.clone().unwrap_or_else(|| "Projet en construction".into()),
                "status": "updated",
                "before": {"mobility_radius": project.mobility_radius},
                "after": {"mobility_radius": radius},
            }),
        ));
    }
}

/// Writes the plans of several notebooks (one per notebook), one statement per table, by the
/// import's author; answers each plan's change-feed entries, in order.
pub fn write(
    conn: &mut PgConnection,
    plans: &[(Uuid, &Plan)],
    author: Author,
) -> QueryResult<Vec<Vec<PendingChange>>> {
    write_rows(conn, plans, author)?;
    let events: Vec<(Uuid, &[(&'static str, Value)])> = plans
        .iter()
        .map(|(notebook, plan)| (*notebook, plan.events.as_slice()))
        .collect();
    timeline::stage_planned(conn, &events, author)
}

/// Writes the rows of several notebooks' plans (diagnostic, projects, radii), one statement
/// per table, without their timeline events (the caller stages them, with others of the same
/// notebooks).
pub fn write_rows(
    conn: &mut PgConnection,
    plans: &[(Uuid, &Plan)],
    author: Author,
) -> QueryResult<()> {
    let diagnostics: Vec<(Uuid, Value)> = plans
        .iter()
        .filter(|(_, plan)| !plan.diagnostic.is_empty())
        .map(|(notebook, plan)| (*notebook, Value::Object(plan.diagnostic.clone())))
        .collect();
    if !diagnostics.is_empty() {
        let (ids, patches): (Vec<Uuid>, Vec<Value>) = diagnostics.into_iter().unzip();
        diesel::sql_query(
            "UPDATE notebook n SET (work_situation, right_rqth, education_level) = \
               (SELECT p.work_situation, p.right_rqth, p.education_level FROM jsonb_populate_record(n, t.patch) AS p) \
             FROM unnest($1::uuid[], $2::jsonb[]) AS t(id, patch) WHERE n.id = t.id AND n.id = ANY ($1)",
        )
        .bind::<Array<SqlUuid>, _>(&ids)
        .bind::<Array<Jsonb>, _>(&patches)
        .execute(conn)?;
    }
    let mut project_notebooks = Vec::new();
    let mut codes = Vec::new();
    let mut radii = Vec::new();
    for (notebook, plan) in plans {
        for (code, radius) in &plan.new_projects {
            project_notebooks.push(*notebook);
            codes.push(code.clone());
            radii.push(*radius);
        }
    }
    if !codes.is_empty() {
        diesel::sql_query(
            "INSERT INTO professional_project (deployment_id, notebook_id, rome_code_id, mobility_radius, updated_by_account_id) \
             SELECT n.deployment_id, n.id, r.id, t.radius, $4 \
             FROM unnest($1::uuid[], $2::text[], $3::int4[]) WITH ORDINALITY AS t(notebook_id, code, radius, position) \
             JOIN notebook n ON n.id = t.notebook_id AND n.id = ANY ($1) \
             JOIN LATERAL (SELECT id FROM rome_code WHERE code = t.code ORDER BY label LIMIT 1) r ON true \
             ORDER BY t.position",
        )
        .bind::<Array<SqlUuid>, _>(&project_notebooks)
        .bind::<Array<Text>, _>(&codes)
        .bind::<Array<Nullable<Integer>>, _>(&radii)
        .bind::<Nullable<SqlUuid>, _>(author.account_id)
        .execute(conn)?;
    }
    let (projects, new_radii): (Vec<Uuid>, Vec<i32>) = plans
        .iter()
        .flat_map(|(_, plan)| plan.radii.iter().copied())
        .unzip();
    if !projects.is_empty() {
        diesel::sql_query(
            "UPDATE professional_project pp SET mobility_radius = t.radius \
             FROM unnest($1::uuid[], $2::int4[]) AS t(id, radius) WHERE pp.id = t.id AND pp.id = ANY ($1)",
        )
        .bind::<Array<SqlUuid>, _>(&projects)
        .bind::<Array<Integer>, _>(&new_radii)
        .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imports::values::{GeographicalArea, RomeCode, WorkSituation};

    fn row() -> BeneficiaryRow {
        BeneficiaryRow {
            external_id: None,
            firstname: "Zoé".into(),
            lastname: "Lefèvre".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
            nir: None,
            place_of_birth: None,
            mobile_numbers: Vec::new(),
            email: None,
            address1: None,
            address2: None,
            postal_code: None,
            city: None,
            work_situation: None,
            caf_number: None,
            pe_number: None,
            right_rsa: None,
            right_are: None,
            right_ass: None,
            right_bonus: None,
            right_rqth: None,
            geographical_area: None,
            wanted_jobs: Vec::new(),
            education_level: None,
            structures: Vec::new(),
            advisors: Vec::new(),
        }
    }

    fn job(code: &str) -> RomeCode {
        RomeCode {
            code: code.into(),
            description: None,
        }
    }

    #[test]
    fn an_empty_notebook_takes_every_situation_column() {
        let mut line = row();
        line.work_situation = Some(WorkSituation::SeekingJob);
        line.right_rqth = Some(true);
        line.wanted_jobs = vec![job("K1302"), job("K1302"), job("N4101")];
        line.geographical_area = Some(GeographicalArea::Less10);
        let plan = plan(&line, &NotebookState::default());
        assert_eq!(plan.diagnostic.len(), 2);
        assert_eq!(
            plan.new_projects,
            vec![
                ("K1302".to_owned(), Some(10)),
                ("N4101".to_owned(), Some(10))
            ]
        );
        let types: Vec<&str> = plan.events.iter().map(|(kind, _)| *kind).collect();
        assert_eq!(
            types,
            ["notebook", "professional_project", "professional_project"]
        );
        assert_eq!(
            plan.changes["wanted_jobs"]["after"],
            json!(["K1302", "N4101"])
        );
    }

    #[test]
    fn what_the_notebook_already_says_is_not_written_again() {
        let mut line = row();
        line.right_rqth = Some(false);
        line.wanted_jobs = vec![job("K1302")];
        let project = Uuid::new_v4();
        let mut state = NotebookState::default();
        state.diagnostic.insert("right_rqth".into(), json!(false));
        state.projects.push(Project {
            id: project,
            code: Some("K1302".into()),
            mobility_radius: None,
        });
        assert_eq!(plan(&line, &state), Plan::default());
        // A mobility area alone sets the radius of the line's jobs, or of projects without one.
        line.geographical_area = Some(GeographicalArea::Plus30);
        let moved = plan(&line, &state);
        assert_eq!(moved.radii, vec![(project, 31)]);
        assert_eq!(moved.changes["geographical_area"]["before"], Value::Null);
        line.wanted_jobs.clear();
        assert_eq!(plan(&line, &state).radii, vec![(project, 31)]);
    }
}
