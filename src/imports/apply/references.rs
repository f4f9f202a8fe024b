//! Structures and professionals named in a file's cells (by name, by e-mail), resolved within
//! the import's deployment; a name that resolves to nothing is an error of its cell.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::LineFailure;
use crate::store::directory_writes;

/// A professional's live account.
#[derive(Debug, Clone, Copy, QueryableByName)]
pub struct ProfessionalAccount {
    /// The account.
    #[diesel(sql_type = SqlUuid)]
    pub account_id: Uuid,
}

/// The professional of the deployment (of one structure, when given) with this e-mail, or an
/// error on the cell.
pub fn professional(
    conn: &mut PgConnection,
    deployment: Uuid,
    structure: Option<Uuid>,
    email: &str,
    column: &str,
) -> Result<ProfessionalAccount, LineFailure> {
    let found: Option<ProfessionalAccount> = diesel::sql_query(
        "SELECT a.id AS account_id FROM professional p \
         JOIN account a ON a.professional_id = p.id AND a.deleted_at IS NULL \
         WHERE p.deployment_id = $1 AND lower(p.email) = lower($2) \
         AND ($3::uuid IS NULL OR p.structure_id = $3) LIMIT 1",
    )
    .bind::<SqlUuid, _>(deployment)
    .bind::<Text, _>(email)
    .bind::<Nullable<SqlUuid>, _>(structure)
    .get_result(conn)
    .optional()?;
    found.ok_or_else(|| {
        let within = if structure.is_some() {
            "de la structure"
        } else {
            "du territoire"
        };
        LineFailure::cell(
            column.to_owned(),
            email,
            "unknown_professional",
            format!("Aucun professionnel {within} n'a le courriel « {email} »"),
        )
    })
}

/// The deployment's structure with this name (ignoring case and accents), or an error on the
/// cell.
pub fn structure(
    conn: &mut PgConnection,
    deployment: Uuid,
    name: &str,
    column: &str,
) -> Result<Uuid, LineFailure> {
    directory_writes::structure_named(conn, deployment, name, None)?.ok_or_else(|| {
        LineFailure::cell(
            column.to_owned(),
            name,
            "unknown_structure",
            format!("La structure « {name} » n'existe pas sur ce territoire"),
        )
    })
}
