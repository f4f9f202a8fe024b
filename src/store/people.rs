//! Beneficiaries (the people): listing with filters and reading one, always through the
//! caller's reach.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use uuid::Uuid;

use super::Page;
use super::reach::BeneficiaryFilter;
use crate::domain::provenance::FieldSources;
use crate::schema::beneficiary;

/// A beneficiary as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = beneficiary)]
pub struct BeneficiaryRow {
    pub id: Uuid,
    pub deployment_id: Uuid,
    pub firstname: String,
    pub lastname: String,
    pub date_of_birth: NaiveDate,
    pub place_of_birth: Option<String>,
    pub nir: Option<String>,
    pub caf_organisation: Option<String>,
    pub caf_number: Option<String>,
    pub household_role: Option<String>,
    pub france_travail_id: Option<String>,
    pub external_id: Option<String>,
    pub external_role: Option<String>,
    pub email: Option<String>,
    pub mobile_number: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub right_rsa: Option<String>,
    pub right_are: bool,
    pub right_ass: bool,
    pub right_bonus: bool,
    pub is_homeless: Option<bool>,
    pub subject_to_right_and_duty: Option<bool>,
    pub rsa_suspension_reason: Option<String>,
    pub rsa_closure_reason: Option<String>,
    pub rsa_closure_date: Option<NaiveDate>,
    pub family_situation: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Filters of the beneficiary list; all given filters must match.
#[derive(Debug, Clone, Default)]
pub struct BeneficiaryFilters {
    /// Words of the name, case- and accent-insensitive, each found in the first or last name.
    pub name: Option<String>,
    /// Exact birth date.
    pub date_of_birth: Option<NaiveDate>,
    /// CAF/MSA file number (matricule).
    pub caf_number: Option<String>,
    /// France Travail id.
    pub france_travail_id: Option<String>,
    /// Département SI id.
    pub external_id: Option<String>,
    /// NIR (13 characters); only for callers allowed to see it.
    pub nir: Option<String>,
}

diesel::define_sql_function! {
    /// Removes accents (PostgreSQL `unaccent` extension).
    fn unaccent(text: Text) -> Text;
}

/// The beneficiaries within reach that pass the filters (the people list's and the notebook
/// list's query), as a boxed query to add to.
pub fn filtered(
    reach: BeneficiaryFilter,
    filters: &BeneficiaryFilters,
) -> beneficiary::BoxedQuery<'static, diesel::pg::Pg> {
    let mut query = beneficiary::table.filter(reach).into_boxed();
    if let Some(name) = &filters.name {
        for word in name.split_whitespace().take(5) {
            let pattern = format!("%{}%", word.replace(['%', '_', '\\'], ""));
            query = query.filter(
                diesel::dsl::sql::<Bool>("lower(unaccent(beneficiary.firstname || ' ' || beneficiary.lastname)) LIKE lower(unaccent(")
                    .bind::<Text, _>(pattern)
                    .sql("))"),
            );
        }
    }
    if let Some(date) = filters.date_of_birth {
        query = query.filter(beneficiary::date_of_birth.eq(date));
    }
    if let Some(caf) = &filters.caf_number {
        query = query.filter(beneficiary::caf_number.eq(caf.clone()));
    }
    if let Some(ft) = &filters.france_travail_id {
        query = query.filter(beneficiary::france_travail_id.eq(ft.clone()));
    }
    if let Some(external) = &filters.external_id {
        query = query.filter(beneficiary::external_id.eq(external.clone()));
    }
    if let Some(nir) = &filters.nir {
        query = query.filter(beneficiary::nir.eq(nir.clone()));
    }
    query
}

/// One page of the beneficiaries within reach, ordered by id.
pub fn list(
    conn: &mut PgConnection,
    reach: BeneficiaryFilter,
    filters: &BeneficiaryFilters,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Page<BeneficiaryRow>> {
    let mut query = filtered(reach, filters);
    if let Some(after) = after {
        query = query.filter(beneficiary::id.gt(after));
    }
    let rows = query
        .select(BeneficiaryRow::as_select())
        .order(beneficiary::id.asc())
        .limit(limit + 1)
        .load(conn)?;
    Ok(Page::from_rows(rows, limit, |row| row.id))
}

/// One beneficiary within reach.
pub fn get(
    conn: &mut PgConnection,
    reach: BeneficiaryFilter,
    id: Uuid,
) -> QueryResult<Option<BeneficiaryRow>> {
    beneficiary::table
        .filter(beneficiary::id.eq(id))
        .filter(reach)
        .select(BeneficiaryRow::as_select())
        .first(conn)
        .optional()
}

/// The deployment of a beneficiary, whoever asks: only to journal a refused access.
pub fn deployment_of(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Uuid>> {
    beneficiary::table
        .find(id)
        .select(beneficiary::deployment_id)
        .first(conn)
        .optional()
}

/// Where a field's value came from.
#[derive(Debug, Clone)]
pub struct ProvenanceRow {
    /// The field.
    pub field: String,
    /// The source system that set it.
    pub source_system: String,
    /// The record of that system, when it has an id.
    pub source_record_id: Option<String>,
    /// The as-of date of the data.
    pub as_of: DateTime<Utc>,
    /// When the hub wrote it.
    pub set_at: DateTime<Utc>,
}

/// The provenance of every field of a person that has one, by field name.
pub fn provenance(conn: &mut PgConnection, id: Uuid) -> QueryResult<Vec<ProvenanceRow>> {
    let stored: serde_json::Value = beneficiary::table
        .find(id)
        .select(beneficiary::provenance)
        .first(conn)?;
    let sources = FieldSources::from_json(Some(&stored));
    Ok(sources
        .each()
        .map(|(field, claim)| ProvenanceRow {
            field: field.to_owned(),
            source_system: claim.system.clone(),
            source_record_id: claim.record_id.clone(),
            as_of: claim.as_of,
            set_at: claim.set_at,
        })
        .collect())
}

/// Locks a beneficiary's row for the rest of the transaction; answers its last update time.
pub fn lock(conn: &mut PgConnection, id: Uuid) -> QueryResult<DateTime<Utc>> {
    beneficiary::table
        .find(id)
        .select(beneficiary::updated_at)
        .for_update()
        .first(conn)
}
