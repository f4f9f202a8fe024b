//! The directory of a deployment: the deployment itself, its structures and professionals.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::Page;
use crate::domain::reach::DirectoryReach;
use crate::schema::{deployment, professional, structure};

/// A deployment (one département).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = deployment)]
pub struct DeploymentRow {
    pub id: Uuid,
    pub label: String,
    pub department_code: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A structure.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = structure)]
pub struct StructureRow {
    pub id: Uuid,
    pub deployment_id: Uuid,
    pub name: String,
    pub siret: Option<String>,
    pub short_desc: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub website: Option<String>,
    pub sensitive: bool,
}

/// A professional.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = professional)]
pub struct ProfessionalRow {
    pub id: Uuid,
    pub deployment_id: Uuid,
    pub structure_id: Uuid,
    pub email: String,
    pub firstname: String,
    pub lastname: String,
    pub position: Option<String>,
    pub mobile_number: Option<String>,
}

/// Deployments within reach.
pub fn deployments(
    conn: &mut PgConnection,
    reach: DirectoryReach,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Page<DeploymentRow>> {
    let mut query = deployment::table
        .select(DeploymentRow::as_select())
        .into_boxed();
    match reach {
        DirectoryReach::Everything => {}
        DirectoryReach::Deployment(id) => query = query.filter(deployment::id.eq(id)),
        DirectoryReach::Nothing => query = query.filter(sql::<Bool>("FALSE")),
    }
    if let Some(after) = after {
        query = query.filter(deployment::id.gt(after));
    }
    let rows = query
        .order(deployment::id.asc())
        .limit(limit + 1)
        .load(conn)?;
    Ok(Page::from_rows(rows, limit, |row| row.id))
}

/// All deployments, by label (command line).
pub fn all_deployments(conn: &mut PgConnection) -> QueryResult<Vec<DeploymentRow>> {
    deployment::table
        .select(DeploymentRow::as_select())
        .order(deployment::label.asc())
        .load(conn)
}

/// A deployment by id or by label.
pub fn find_deployment(
    conn: &mut PgConnection,
    id_or_label: &str,
) -> QueryResult<Option<DeploymentRow>> {
    let mut query = deployment::table
        .select(DeploymentRow::as_select())
        .into_boxed();
    query = match Uuid::parse_str(id_or_label) {
        Ok(id) => query.filter(deployment::id.eq(id)),
        Err(_) => query.filter(deployment::label.eq(id_or_label.to_owned())),
    };
    query.first(conn).optional()
}

/// Creates a deployment.
pub fn create_deployment(
    conn: &mut PgConnection,
    label: &str,
    department_code: Option<&str>,
) -> QueryResult<DeploymentRow> {
    diesel::insert_into(deployment::table)
        .values((
            deployment::label.eq(label),
            deployment::department_code.eq(department_code),
        ))
        .returning(DeploymentRow::as_returning())
        .get_result(conn)
}

type StructureQuery<'a> =
    structure::BoxedQuery<'a, Pg, diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<StructureRow, Pg>>>;

/// The structures within reach, as a query to narrow further.
fn structures_within<'a>(reach: DirectoryReach, hide_sensitive: bool) -> StructureQuery<'a> {
    let mut query = structure::table
        .select(StructureRow::as_select())
        .into_boxed();
    // Partners never see sensitive structures: their name reveals the people's situation.
    if hide_sensitive {
        query = query.filter(structure::sensitive.eq(false));
    }
    match reach {
        DirectoryReach::Everything => {}
        DirectoryReach::Deployment(id) => query = query.filter(structure::deployment_id.eq(id)),
        DirectoryReach::Nothing => query = query.filter(sql::<Bool>("FALSE")),
    }
    query
}

/// Structures within reach.
pub fn structures(
    conn: &mut PgConnection,
    reach: DirectoryReach,
    hide_sensitive: bool,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Page<StructureRow>> {
    let mut query = structures_within(reach, hide_sensitive);
    if let Some(after) = after {
        query = query.filter(structure::id.gt(after));
    }
    let rows = query
        .order(structure::id.asc())
        .limit(limit + 1)
        .load(conn)?;
    Ok(Page::from_rows(rows, limit, |row| row.id))
}

/// One structure within reach.
pub fn structure_within(
    conn: &mut PgConnection,
    reach: DirectoryReach,
    hide_sensitive: bool,
    id: Uuid,
) -> QueryResult<Option<StructureRow>> {
    structures_within(reach, hide_sensitive)
        .filter(structure::id.eq(id))
        .first(conn)
        .optional()
}

/// A structure of a deployment by id or by name (case-insensitive).
pub fn find_structure(
    conn: &mut PgConnection,
    deployment: Uuid,
    id_or_name: &str,
) -> QueryResult<Option<StructureRow>> {
    let mut query = structure::table
        .select(StructureRow::as_select())
        .filter(structure::deployment_id.eq(deployment))
        .into_boxed();
    query = match Uuid::parse_str(id_or_name) {
        Ok(id) => query.filter(structure::id.eq(id)),
        Err(_) => query.filter(
            sql::<Bool>("lower(structure.name) = lower(")
                .bind::<diesel::sql_types::Text, _>(id_or_name.to_owned())
                .sql(")"),
        ),
    };
    query.first(conn).optional()
}

type ProfessionalQuery<'a> = professional::BoxedQuery<
    'a,
    Pg,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<ProfessionalRow, Pg>>,
>;

/// The professionals within reach, as a query to narrow further; a beneficiary sees only the
/// active members of their notebook.
fn professionals_within<'a>(
    reach: DirectoryReach,
    members_of_beneficiary: Option<Uuid>,
) -> ProfessionalQuery<'a> {
    let mut query = professional::table
        .select(ProfessionalRow::as_select())
        .into_boxed();
    match reach {
        DirectoryReach::Everything => {}
        DirectoryReach::Deployment(id) => query = query.filter(professional::deployment_id.eq(id)),
        DirectoryReach::Nothing => query = query.filter(sql::<Bool>("FALSE")),
    }
    if let Some(beneficiary) = members_of_beneficiary {
        query = query.filter(
            sql::<Bool>(
                "professional.id IN (SELECT a.professional_id FROM account a \
                 JOIN notebook_member m ON m.account_id = a.id AND m.active \
                 JOIN notebook n ON n.id = m.notebook_id WHERE n.beneficiary_id = ",
            )
            .bind::<SqlUuid, _>(beneficiary)
            .sql(")"),
        );
    }
    query
}

/// Professionals within reach; a beneficiary sees only the active members of their notebook.
pub fn professionals(
    conn: &mut PgConnection,
    reach: DirectoryReach,
    members_of_beneficiary: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Page<ProfessionalRow>> {
    let mut query = professionals_within(reach, members_of_beneficiary);
    if let Some(after) = after {
        query = query.filter(professional::id.gt(after));
    }
    let rows = query
        .order(professional::id.asc())
        .limit(limit + 1)
        .load(conn)?;
    Ok(Page::from_rows(rows, limit, |row| row.id))
}

/// One professional within reach.
pub fn professional_within(
    conn: &mut PgConnection,
    reach: DirectoryReach,
    members_of_beneficiary: Option<Uuid>,
    id: Uuid,
) -> QueryResult<Option<ProfessionalRow>> {
    professionals_within(reach, members_of_beneficiary)
        .filter(professional::id.eq(id))
        .first(conn)
        .optional()
}

/// A person attached to a structure and followed by none of its professionals.
#[derive(Debug, Clone, QueryableByName)]
pub struct PendingBeneficiary {
    /// Their notebook.
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub notebook_id: Uuid,
    /// The person (for the access journal).
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub beneficiary_id: Uuid,
    /// Last name.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub lastname: String,
    /// First name.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub firstname: String,
    /// Birth date.
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub date_of_birth: chrono::NaiveDate,
}

/// The people a structure must give a referent (rattachement): attached to it, and whose
/// group has no active member among its professionals; by last name.
pub fn pending_beneficiaries(
    conn: &mut PgConnection,
    structure: Uuid,
) -> QueryResult<Vec<PendingBeneficiary>> {
    diesel::sql_query(
        "SELECT n.id AS notebook_id, b.id AS beneficiary_id, b.lastname, b.firstname, b.date_of_birth \
         FROM beneficiary_structure bs \
         JOIN beneficiary b ON b.id = bs.beneficiary_id \
         JOIN notebook n ON n.beneficiary_id = b.id \
         WHERE bs.structure_id = $1 AND bs.status = 'current' \
         AND NOT EXISTS (SELECT 1 FROM notebook_member m \
                         JOIN account a ON a.id = m.account_id \
                         JOIN professional p ON p.id = a.professional_id \
                         WHERE m.notebook_id = n.id AND m.active AND p.structure_id = $1) \
         ORDER BY lower(b.lastname), lower(b.firstname), n.id",
    )
    .bind::<diesel::sql_types::Uuid, _>(structure)
    .load(conn)
}

/// What reveals a deployment's sensitive structures (whose name tells the people's situation):
/// their ids and names, and the accounts of their professionals.
#[derive(Debug, Clone, Default)]
pub struct SensitiveStructures {
    /// Ids and names of the sensitive structures.
    pub structures: Vec<(Uuid, String)>,
    /// Accounts of their professionals.
    pub accounts: Vec<Uuid>,
}

/// The sensitive structures of a deployment and their professionals' accounts.
pub fn sensitive_structures(
    conn: &mut PgConnection,
    deployment: Uuid,
) -> QueryResult<SensitiveStructures> {
    let structures: Vec<(Uuid, String)> = structure::table
        .filter(structure::deployment_id.eq(deployment))
        .filter(structure::sensitive)
        .select((structure::id, structure::name))
        .load(conn)?;
    if structures.is_empty() {
        return Ok(SensitiveStructures::default());
    }
    let ids: Vec<Uuid> = structures.iter().map(|(id, _)| *id).collect();
    let professionals = professional::table
        .filter(professional::structure_id.eq_any(&ids))
        .select(professional::id.nullable());
    let accounts: Vec<Uuid> = crate::schema::account::table
        .filter(crate::schema::account::professional_id.eq_any(professionals))
        .select(crate::schema::account::id)
        .load(conn)?;
    Ok(SensitiveStructures {
        structures,
        accounts,
    })
}

impl SensitiveStructures {
    /// Whether a timeline event's content names one of these structures.
    pub fn named_in(&self, payload: &serde_json::Value) -> bool {
        if self.structures.is_empty() {
            return false;
        }
        let text = payload.to_string();
        self.structures.iter().any(|(id, name)| {
            text.contains(&id.to_string())
                || (!name.trim().is_empty() && text.contains(name.as_str()))
        })
    }
}

#[derive(QueryableByName)]
struct ManagerEmail {
    #[diesel(sql_type = Text)]
    email: String,
}

/// The e-mail addresses of a deployment's managers.
pub fn manager_emails(conn: &mut PgConnection, deployment: Uuid) -> QueryResult<Vec<String>> {
    diesel::sql_query("SELECT DISTINCT email FROM manager WHERE deployment_id = $1 ORDER BY email")
        .bind::<SqlUuid, _>(deployment)
        .load::<ManagerEmail>(conn)
        .map(|rows| rows.into_iter().map(|row| row.email).collect())
}
