//! The notebook document: everything the hub holds in a person's notebook, read in a handful of
//! queries once the notebook is known to be within the caller's reach.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::people::BeneficiaryRow;
use super::reach::BeneficiaryFilter;
use crate::schema::{beneficiary, notebook};

/// The notebook row.
#[derive(Debug, Clone, Queryable, Selectable, serde::Deserialize)]
#[diesel(table_name = notebook)]
pub struct NotebookRow {
    pub id: Uuid,
    pub deployment_id: Uuid,
    pub beneficiary_id: Uuid,
    pub right_rqth: bool,
    pub work_situation: Option<String>,
    pub work_situation_date: Option<NaiveDate>,
    pub work_situation_end_date: Option<NaiveDate>,
    pub education_level: Option<String>,
    pub last_job_ended_at: Option<NaiveDate>,
    pub contract_type: Option<String>,
    pub contract_sign_date: Option<NaiveDate>,
    pub contract_start_date: Option<NaiveDate>,
    pub contract_end_date: Option<NaiveDate>,
    pub orientation_system_id: Option<Uuid>,
    pub orientation_reason: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A member of the follow-up group, with who they are.
#[derive(Debug, Clone, QueryableByName, serde::Deserialize)]
pub struct MemberRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub account_id: Uuid,
    #[diesel(sql_type = Text)]
    pub member_type: String,
    #[diesel(sql_type = Bool)]
    pub active: bool,
    #[diesel(sql_type = Text)]
    pub role: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub firstname: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub lastname: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub structure_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub structure_name: Option<String>,
    /// Whether the member's structure is sensitive (its name reveals the person's situation).
    #[diesel(sql_type = Nullable<Bool>)]
    pub structure_sensitive: Option<bool>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub membership_ended_at: Option<DateTime<Utc>>,
}

/// A focus (axe de travail).
#[derive(Debug, Clone, QueryableByName, serde::Deserialize)]
pub struct FocusRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub theme: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub creator_account_id: Option<Uuid>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// A target (objectif).
#[derive(Debug, Clone, QueryableByName, serde::Deserialize)]
pub struct TargetRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub focus_id: Uuid,
    #[diesel(sql_type = Text)]
    pub target: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub linked_to: Option<String>,
    #[diesel(sql_type = Bool)]
    pub user_consent: bool,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// An action.
#[derive(Debug, Clone, QueryableByName, serde::Deserialize)]
pub struct ActionRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub target_id: Uuid,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Timestamptz)]
    pub starting_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// An appointment (rendez-vous) with a member.
#[derive(Debug, Clone, QueryableByName, serde::Deserialize)]
pub struct AppointmentRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub account_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    pub date: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub status: String,
}

/// A current socio-professional situation.
#[derive(Debug, Clone, QueryableByName, serde::Deserialize)]
pub struct SituationRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub situation_id: Uuid,
    #[diesel(sql_type = Text)]
    pub theme: String,
    #[diesel(sql_type = Text)]
    pub description: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// A professional project.
#[derive(Debug, Clone, QueryableByName, serde::Deserialize)]
pub struct ProjectRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    pub rome_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub rome_label: Option<String>,
    #[diesel(sql_type = Nullable<Int4>)]
    pub mobility_radius: Option<i32>,
    #[diesel(sql_type = Nullable<Int4>)]
    pub hourly_rate_cents: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub contract_type_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub employment_type_id: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// The orientation: system, its type, and the current structures.
#[derive(Debug, Clone, QueryableByName, serde::Deserialize)]
pub struct OrientationSystemRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub orientation_type: String,
}

/// A structure the person is attached to (rattachement).
#[derive(Debug, Clone, QueryableByName, serde::Deserialize)]
pub struct AttachedStructureRow {
    #[diesel(sql_type = SqlUuid)]
    pub structure_id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Bool)]
    pub sensitive: bool,
    #[diesel(sql_type = Timestamptz)]
    pub since: DateTime<Utc>,
}

/// Everything in a notebook.
#[derive(Debug, Clone)]
pub struct NotebookDocument {
    pub notebook: NotebookRow,
    pub beneficiary: BeneficiaryRow,
    pub members: Vec<MemberRow>,
    pub focuses: Vec<FocusRow>,
    pub targets: Vec<TargetRow>,
    pub actions: Vec<ActionRow>,
    pub appointments: Vec<AppointmentRow>,
    pub situations: Vec<SituationRow>,
    pub projects: Vec<ProjectRow>,
    pub orientation_system: Option<OrientationSystemRow>,
    pub structures: Vec<AttachedStructureRow>,
}

#[derive(QueryableByName)]
struct DocumentJson {
    #[diesel(sql_type = diesel::sql_types::Json)]
    document: serde_json::Value,
}

#[derive(serde::Deserialize)]
struct DocumentParts {
    notebook: NotebookRow,
    members: Vec<MemberRow>,
    focuses: Vec<FocusRow>,
    targets: Vec<TargetRow>,
    actions: Vec<ActionRow>,
    appointments: Vec<AppointmentRow>,
    situations: Vec<SituationRow>,
    projects: Vec<ProjectRow>,
    orientation_system: Option<OrientationSystemRow>,
    structures: Vec<AttachedStructureRow>,
}

/// Every part of a notebook but the beneficiary, assembled by the database function of the
/// same name (its plan is kept per connection): $1 the notebook, $2 its beneficiary.
const DOCUMENT_QUERY: &str = "SELECT notebook_document($1, $2) AS document";

/// The beneficiary of a notebook, whoever asks: only to journal a refused access.
pub fn beneficiary_of(
    conn: &mut PgConnection,
    notebook_id: Uuid,
) -> QueryResult<Option<(Uuid, Uuid)>> {
    notebook::table
        .find(notebook_id)
        .select((notebook::beneficiary_id, notebook::deployment_id))
        .first(conn)
        .optional()
}

/// Reads a notebook whose beneficiary is within reach.
pub fn get(
    conn: &mut PgConnection,
    reach: BeneficiaryFilter,
    id: Uuid,
) -> QueryResult<Option<NotebookDocument>> {
    let Some(beneficiary) = beneficiary::table
        .filter(reach)
        .filter(
            beneficiary::id.nullable().eq(notebook::table
                .find(id)
                .select(notebook::beneficiary_id)
                .single_value()),
        )
        .select(BeneficiaryRow::as_select())
        .first::<BeneficiaryRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    // The rest of the document in one round trip: PostgreSQL assembles it as JSON.
    let parts: DocumentJson = diesel::sql_query(DOCUMENT_QUERY)
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(beneficiary.id)
        .get_result(conn)?;
    let DocumentParts {
        notebook,
        members,
        focuses,
        targets,
        actions,
        appointments,
        situations,
        projects,
        orientation_system,
        structures,
    } = serde_json::from_value(parts.document)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
    Ok(Some(NotebookDocument {
        notebook,
        beneficiary,
        members,
        focuses,
        targets,
        actions,
        appointments,
        situations,
        projects,
        orientation_system,
        structures,
    }))
}

/// The notebook of a beneficiary (1–1).
pub fn id_of_beneficiary(
    conn: &mut PgConnection,
    beneficiary_id: Uuid,
) -> QueryResult<Option<Uuid>> {
    notebook::table
        .filter(notebook::beneficiary_id.eq(beneficiary_id))
        .select(notebook::id)
        .first(conn)
        .optional()
}

/// The notebooks of these people, by person (one query).
pub fn ids_of_beneficiaries(
    conn: &mut PgConnection,
    beneficiaries: &[Uuid],
) -> QueryResult<std::collections::HashMap<Uuid, Uuid>> {
    if beneficiaries.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(notebook::table
        .filter(notebook::beneficiary_id.eq_any(beneficiaries))
        .select((notebook::beneficiary_id, notebook::id))
        .load::<(Uuid, Uuid)>(conn)?
        .into_iter()
        .collect())
}

/// The notebook's person and deployment when the notebook is within reach.
pub fn within_reach(
    conn: &mut PgConnection,
    reach: BeneficiaryFilter,
    id: Uuid,
) -> QueryResult<Option<(Uuid, Uuid)>> {
    beneficiary::table
        .filter(reach)
        .filter(
            beneficiary::id.nullable().eq(notebook::table
                .find(id)
                .select(notebook::beneficiary_id)
                .single_value()),
        )
        .select((beneficiary::id, beneficiary::deployment_id))
        .first(conn)
        .optional()
}

/// Filters of the notebook list, besides the person's own ([`super::people::BeneficiaryFilters`]).
#[derive(Debug, Clone, Default)]
pub struct NotebookFilters {
    /// Notebooks of which this account is the active referent.
    pub referent: Option<Uuid>,
    /// Notebooks without an active referent.
    pub without_referent: bool,
    /// People attached to this structure.
    pub structure: Option<Uuid>,
    /// Notebooks changed since.
    pub updated_since: Option<DateTime<Utc>>,
    /// Only notebooks with a pending re-orientation request (`Some(true)`), or without one.
    pub orientation_pending: Option<bool>,
    /// People whose RSA right is this (`rsa_droit_ouvert_et_suspendu`…).
    pub rsa_right: Option<String>,
}

/// A notebook in a list: its person and its referent.
#[derive(Debug, Clone, QueryableByName)]
pub struct NotebookSummaryRow {
    /// The notebook.
    #[diesel(sql_type = SqlUuid)]
    pub notebook_id: Uuid,
    /// Its person.
    #[diesel(sql_type = SqlUuid)]
    pub beneficiary_id: Uuid,
    /// Their deployment.
    #[diesel(sql_type = SqlUuid)]
    pub deployment_id: Uuid,
    /// First name.
    #[diesel(sql_type = Text)]
    pub firstname: String,
    /// Last name.
    #[diesel(sql_type = Text)]
    pub lastname: String,
    /// Birth date.
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub date_of_birth: NaiveDate,
    /// The notebook's version (its ETag).
    #[diesel(sql_type = diesel::sql_types::Int8)]
    pub version: i64,
    /// When it last changed.
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    /// The active referent's account.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub referent_account_id: Option<Uuid>,
}

/// One page of the notebooks within reach that pass the filters, ordered by their person's id
/// (the cursor is the last person's id): one statement for the page's people, one for their
/// notebooks and referents.
pub fn list(
    conn: &mut PgConnection,
    reach: BeneficiaryFilter,
    people: &super::people::BeneficiaryFilters,
    filters: &NotebookFilters,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<super::Page<NotebookSummaryRow>> {
    use diesel::dsl::sql;
    const REFERENT: &str = "SELECT 1 FROM notebook n JOIN notebook_member m ON m.notebook_id = n.id \
         AND m.active AND m.member_type = 'referent' WHERE n.beneficiary_id = beneficiary.id";
    let mut query = super::people::filtered(reach, people).filter(sql::<Bool>(
        "EXISTS (SELECT 1 FROM notebook n WHERE n.beneficiary_id = beneficiary.id)",
    ));
    if let Some(since) = filters.updated_since {
        query = query.filter(
            sql::<Bool>(
                "EXISTS (SELECT 1 FROM notebook n WHERE n.beneficiary_id = beneficiary.id AND n.updated_at >= ",
            )
            .bind::<Timestamptz, _>(since)
            .sql(")"),
        );
    }
    if let Some(referent) = filters.referent {
        query = query.filter(
            sql::<Bool>(&format!("EXISTS ({REFERENT} AND m.account_id = "))
                .bind::<SqlUuid, _>(referent)
                .sql(")"),
        );
    }
    if filters.without_referent {
        query = query.filter(sql::<Bool>(&format!("NOT EXISTS ({REFERENT})")));
    }
    if let Some(structure) = filters.structure {
        query = query.filter(
            sql::<Bool>(
                "EXISTS (SELECT 1 FROM beneficiary_structure bs WHERE bs.beneficiary_id = beneficiary.id AND bs.structure_id = ",
            )
            .bind::<SqlUuid, _>(structure)
            .sql(")"),
        );
    }
    if let Some(pending) = filters.orientation_pending {
        let exists = "EXISTS (SELECT 1 FROM orientation_request o WHERE o.beneficiary_id = beneficiary.id AND o.status = 'pending')";
        query = query.filter(sql::<Bool>(&if pending {
            exists.to_owned()
        } else {
            format!("NOT {exists}")
        }));
    }
    if let Some(right) = &filters.rsa_right {
        query = query.filter(beneficiary::right_rsa.eq(right.clone()));
    }
    if let Some(after) = after {
        query = query.filter(beneficiary::id.gt(after));
    }
    let ids: Vec<Uuid> = query
        .select(beneficiary::id)
        .order(beneficiary::id.asc())
        .limit(limit + 1)
        .load(conn)?;
    let rows: Vec<NotebookSummaryRow> = diesel::sql_query(
        "SELECT n.id AS notebook_id, b.id AS beneficiary_id, b.deployment_id, b.firstname, b.lastname, \
                b.date_of_birth, n.version, n.updated_at, r.account_id AS referent_account_id \
         FROM beneficiary b JOIN notebook n ON n.beneficiary_id = b.id \
         LEFT JOIN LATERAL (SELECT m.account_id FROM notebook_member m WHERE m.notebook_id = n.id \
              AND m.active AND m.member_type = 'referent' ORDER BY m.created_at LIMIT 1) r ON true \
         WHERE b.id = ANY ($1) ORDER BY b.id",
    )
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(&ids)
    .load(conn)?;
    Ok(super::Page::from_rows(rows, limit, |row| {
        row.beneficiary_id
    }))
}
