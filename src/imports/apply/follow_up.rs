//! Follow-up files: re-orientations (a person found by name and birth date gets referents
//! added or removed and structures attached) and the rattachement round trip (a structure's
//! pending people, exported then filled in with the structure's professionals).
//!
//! The first professional a line adds becomes the referent (the former one stays in the
//! group as a member), the others join as members. A line whose wishes already hold is
//! `unchanged`: a re-sent file changes nothing.

use crate::domain::states::LineStatus;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Date, Text, Uuid as SqlUuid};
use serde_json::{Value, json};
use uuid::Uuid;

use super::notebook::{self, NotebookApplied};
use super::{Applied, KindLines, LineApplier, LineFailure, RunContext, references};
use crate::imports::kinds::{RattachementRow, Rattachements, ReorientationRow, Reorientations};
use crate::store::timeline::Author;

#[derive(QueryableByName)]
struct NotebookOf {
    #[diesel(sql_type = SqlUuid)]
    notebook_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    beneficiary_id: Uuid,
}

/// The line's outcome from what its notebook writes changed.
fn outcome(notebook: NotebookOf, applied: NotebookApplied) -> Applied {
    let mut result = Applied::new(if applied.pending.is_empty() {
        LineStatus::Unchanged
    } else {
        LineStatus::Update
    });
    result.beneficiary_id = Some(notebook.beneficiary_id);
    result.record_id = Some(notebook.notebook_id);
    if !applied.changes.is_empty() {
        result.changes = Some(Value::Object(applied.changes));
    }
    result.pending = applied.pending;
    result
}

fn author(context: &RunContext<'_>) -> Author {
    Author {
        account_id: context.import.created_by_account_id,
    }
}

/// Applies the lines of a re-orientations file.
pub struct ReorientationLines;

impl KindLines for ReorientationLines {
    type Kind = Reorientations;

    fn kind_for(_header: &[String]) -> Reorientations {
        Reorientations
    }
}

impl LineApplier for ReorientationLines {
    type Row = ReorientationRow;

    fn new(_context: &RunContext<'_>) -> Self {
        Self
    }

    fn apply(
        &self,
        conn: &mut PgConnection,
        context: &RunContext<'_>,
        row: &ReorientationRow,
    ) -> Result<Applied, LineFailure> {
        let deployment = context.import.deployment_id;
        let found: Vec<NotebookOf> = diesel::sql_query(
            "SELECT n.id AS notebook_id, b.id AS beneficiary_id FROM beneficiary b \
             JOIN notebook n ON n.beneficiary_id = b.id \
             WHERE b.deployment_id = $1 AND b.date_of_birth = $4 \
             AND lower(unaccent(btrim(b.firstname))) = lower(unaccent(btrim($2))) \
             AND lower(unaccent(btrim(b.lastname))) = lower(unaccent(btrim($3))) LIMIT 2",
        )
        .bind::<SqlUuid, _>(deployment)
        .bind::<Text, _>(&row.firstname)
        .bind::<Text, _>(&row.lastname)
        .bind::<Date, _>(row.date_of_birth)
        .load(conn)?;
        let who = format!(
            "{} {} né(e) le {}",
            row.firstname,
            row.lastname,
            row.date_of_birth.format("%d/%m/%Y")
        );
        let several = found.len() > 1;
        let Some(notebook) = found.into_iter().next().filter(|_| !several) else {
            let (code, message) = if several {
                (
                    "ambiguous_beneficiary",
                    format!(
                        "Plusieurs bénéficiaires {who} sur ce territoire : réorientez-le depuis son carnet"
                    ),
                )
            } else {
                (
                    "beneficiary_not_found",
                    format!(
                        "Ce bénéficiaire est introuvable : aucun bénéficiaire {who} sur ce territoire"
                    ),
                )
            };
            return Err(LineFailure::cell(
                context.columns.get("lastname"),
                &row.lastname,
                code,
                message,
            ));
        };
        let author = author(context);
        let mut applied = NotebookApplied::default();
        let add_column = context.columns.get("advisors_to_add");
        let mut added = Vec::new();
        for (index, email) in row.advisors_to_add.iter().enumerate() {
            let professional =
                references::professional(conn, deployment, None, email.as_str(), &add_column)?;
            if notebook::join(
                conn,
                notebook.notebook_id,
                professional.account_id,
                index == 0,
                author,
                &mut applied,
            )? {
                added.push(email.as_str().to_owned());
            }
        }
        let remove_column = context.columns.get("advisors_to_remove");
        let mut removed = Vec::new();
        for email in &row.advisors_to_remove {
            let professional =
                references::professional(conn, deployment, None, email.as_str(), &remove_column)?;
            if notebook::leave(
                conn,
                notebook.notebook_id,
                professional.account_id,
                author,
                &mut applied,
            )? {
                removed.push(email.as_str().to_owned());
            }
        }
        let structures_column = context.columns.get("structures");
        let mut attached = Vec::new();
        for name in &row.structures {
            let structure = references::structure(conn, deployment, name, &structures_column)?;
            if notebook::attach_structure(
                conn,
                notebook.notebook_id,
                notebook.beneficiary_id,
                structure,
                name,
                author,
                &mut applied,
            )? {
                attached.push(name.clone());
            }
        }
        for (field, values) in [
            ("advisors_to_add", added),
            ("advisors_to_remove", removed),
            ("structures", attached),
        ] {
            if !values.is_empty() {
                applied.changes.insert(
                    field.into(),
                    json!({"before": null, "after": values, "source": null}),
                );
            }
        }
        Ok(outcome(notebook, applied))
    }
}

/// Applies the lines of a rattachement file, for the import's structure.
pub struct RattachementLines;

impl KindLines for RattachementLines {
    type Kind = Rattachements;

    fn kind_for(_header: &[String]) -> Rattachements {
        Rattachements
    }
}

impl LineApplier for RattachementLines {
    type Row = RattachementRow;

    fn new(_context: &RunContext<'_>) -> Self {
        Self
    }

    fn apply(
        &self,
        conn: &mut PgConnection,
        context: &RunContext<'_>,
        row: &RattachementRow,
    ) -> Result<Applied, LineFailure> {
        let deployment = context.import.deployment_id;
        let Some(structure) = context.import.structure_id else {
            return Err(LineFailure::Rejected(vec![super::refused_line(
                "le fichier de rattachement doit désigner sa structure",
            )]));
        };
        let id_column = context.columns.get("notebook_id");
        let unknown = || {
            LineFailure::cell(
                id_column.clone(),
                row.notebook_id.as_str(),
                "unknown_notebook",
                format!(
                    "Aucun carnet « {} » parmi les personnes rattachées à cette structure",
                    row.notebook_id.as_str()
                ),
            )
        };
        let id = Uuid::parse_str(row.notebook_id.as_str()).map_err(|_| unknown())?;
        // Only the notebooks the structure's pending list shows: its people. Any other
        // notebook of the territory is answered as unknown (the file must not learn it exists).
        let notebook: NotebookOf = diesel::sql_query(
            "SELECT n.id AS notebook_id, n.beneficiary_id FROM notebook n \
             JOIN beneficiary_structure bs ON bs.beneficiary_id = n.beneficiary_id \
             AND bs.structure_id = $3 AND bs.status = 'current' \
             WHERE n.id = $1 AND n.deployment_id = $2",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(deployment)
        .bind::<SqlUuid, _>(structure)
        .get_result(conn)
        .optional()?
        .ok_or_else(unknown)?;
        let author = author(context);
        let mut applied = NotebookApplied::default();
        let column = context.columns.get("professional_emails");
        let mut added = Vec::new();
        for (index, email) in row.professional_emails.iter().enumerate() {
            let professional = references::professional(
                conn,
                deployment,
                Some(structure),
                email.as_str(),
                &column,
            )?;
            if notebook::join(
                conn,
                notebook.notebook_id,
                professional.account_id,
                index == 0,
                author,
                &mut applied,
            )? {
                added.push(email.as_str().to_owned());
            }
        }
        let name = crate::store::directory_writes::structure(conn, structure, Some(deployment))?
            .map(|s| s.name)
            .unwrap_or_default();
        notebook::attach_structure(
            conn,
            notebook.notebook_id,
            notebook.beneficiary_id,
            structure,
            &name,
            author,
            &mut applied,
        )?;
        if !added.is_empty() {
            applied.changes.insert(
                "professional_emails".into(),
                json!({"before": null, "after": added, "source": null}),
            );
        }
        Ok(outcome(notebook, applied))
    }
}
