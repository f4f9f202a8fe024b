//! Matching a record to a known person, in the order of the identity keys' reliability:
//! the record's own source link, NIR (first 13 characters), CAF/MSA organisation + matricule +
//! role, France Travail id, département SI id + role, then names + birth date.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Date, Nullable, Text, Uuid as SqlUuid};
use serde::Serialize;
use uuid::Uuid;

use super::record::PersonRecord;

/// The key a record matched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKey {
    /// The same record of the same source, seen before.
    SourceRecord,
    /// NIR.
    Nir,
    /// CAF/MSA organisation, matricule and household role.
    CafMsa,
    /// France Travail id.
    FranceTravail,
    /// Département SI id and role.
    DepartementId,
    /// Normalised first and last names and birth date.
    NamesAndBirthDate,
}

/// What matching found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchResult {
    /// One person, by this key.
    Matched {
        /// The person.
        beneficiary_id: Uuid,
        /// The key.
        key: MatchKey,
    },
    /// Nobody: a new person.
    New,
    /// Several people share the key: a person must decide.
    Ambiguous {
        /// The key that matched several.
        key: MatchKey,
        /// The candidates.
        candidates: Vec<Uuid>,
    },
    /// The NIR belongs to a person of another deployment.
    OtherDeployment {
        /// That person.
        beneficiary_id: Uuid,
    },
}

#[derive(QueryableByName)]
struct Candidate {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    deployment_id: Uuid,
}

fn decide(key: MatchKey, found: Vec<Candidate>) -> Option<MatchResult> {
    match found.len() {
        0 => None,
        1 => Some(MatchResult::Matched {
            beneficiary_id: found[0].id,
            key,
        }),
        _ => Some(MatchResult::Ambiguous {
            key,
            candidates: found.into_iter().map(|c| c.id).collect(),
        }),
    }
}

/// Finds the person a record is about.
pub fn find(conn: &mut PgConnection, record: &PersonRecord) -> QueryResult<MatchResult> {
    let deployment = record.deployment_id;
    let fields = &record.fields;
    if let Some(record_id) = &record.source.record_id {
        let found: Vec<Candidate> = diesel::sql_query(
            "SELECT beneficiary_id AS id, deployment_id FROM beneficiary_source \
             WHERE deployment_id = $1 AND source_system = $2 AND source_record_id = $3",
        )
        .bind::<SqlUuid, _>(deployment)
        .bind::<Text, _>(&record.source.system)
        .bind::<Text, _>(record_id)
        .load(conn)?;
        if let Some(result) = decide(MatchKey::SourceRecord, found) {
            return Ok(result);
        }
    }
    if let Some(nir) = record.nir() {
        let found: Vec<Candidate> =
            diesel::sql_query("SELECT id, deployment_id FROM beneficiary WHERE nir = $1")
                .bind::<Text, _>(nir.as_str())
                .load(conn)?;
        if let Some(other) = found.iter().find(|c| c.deployment_id != deployment) {
            return Ok(MatchResult::OtherDeployment {
                beneficiary_id: other.id,
            });
        }
        if let Some(result) = decide(MatchKey::Nir, found) {
            return Ok(result);
        }
    }
    if let Some(matricule) = &fields.caf_number {
        // The matricule is the household's: a person in it is told by their role (someone
        // stored without one is the applicant); a record that gives no role (a département's
        // file lists a couple on two lines with one number) is the member born that day, or
        // the applicant when it gives no birth date either.
        let found: Vec<Candidate> = diesel::sql_query(
            "SELECT id, deployment_id FROM beneficiary WHERE deployment_id = $1 AND caf_number = $2 \
             AND ($3::text IS NULL OR caf_organisation IS NULL OR caf_organisation = $3) \
             AND CASE WHEN $4::text IS NOT NULL THEN coalesce(household_role, 'DEM') = $4 \
                      WHEN $5::date IS NOT NULL THEN date_of_birth = $5 \
                      ELSE coalesce(household_role, 'DEM') = 'DEM' END",
        )
        .bind::<SqlUuid, _>(deployment)
        .bind::<Text, _>(matricule.as_str())
        .bind::<Nullable<Text>, _>(fields.caf_organisation.as_deref())
        .bind::<Nullable<Text>, _>(fields.household_role.map(|role| role.code()))
        .bind::<Nullable<diesel::sql_types::Date>, _>(fields.date_of_birth)
        .load(conn)?;
        if let Some(result) = decide(MatchKey::CafMsa, found) {
            return Ok(result);
        }
    }
    if let Some(ft) = &fields.france_travail_id {
        let found: Vec<Candidate> = diesel::sql_query(
            "SELECT id, deployment_id FROM beneficiary WHERE deployment_id = $1 AND france_travail_id = $2",
        )
        .bind::<SqlUuid, _>(deployment)
        .bind::<Text, _>(ft.as_str())
        .load(conn)?;
        if let Some(result) = decide(MatchKey::FranceTravail, found) {
            return Ok(result);
        }
    }
    if let Some(external) = &fields.external_id {
        // IODAS gives a couple one SI id: the role tells the two people apart.
        let found: Vec<Candidate> = diesel::sql_query(
            "SELECT id, deployment_id FROM beneficiary WHERE deployment_id = $1 AND external_id = $2 \
             AND ($3::text IS NULL OR external_role IS NULL OR external_role = $3)",
        )
        .bind::<SqlUuid, _>(deployment)
        .bind::<Text, _>(external)
        .bind::<Nullable<Text>, _>(fields.external_role.as_deref())
        .load(conn)?;
        if let Some(result) = decide(MatchKey::DepartementId, found) {
            return Ok(result);
        }
    }
    if let (Some(firstname), Some(lastname), Some(birth)) =
        (&fields.firstname, &fields.lastname, fields.date_of_birth)
    {
        let found: Vec<Candidate> = diesel::sql_query(
            "SELECT id, deployment_id FROM beneficiary WHERE deployment_id = $1 AND date_of_birth = $2 \
             AND lower(unaccent(btrim(firstname))) = lower(unaccent(btrim($3))) \
             AND lower(unaccent(btrim(lastname))) = lower(unaccent(btrim($4)))",
        )
        .bind::<SqlUuid, _>(deployment)
        .bind::<Date, _>(birth)
        .bind::<Text, _>(firstname)
        .bind::<Text, _>(lastname)
        .load(conn)?;
        if let Some(result) = decide(MatchKey::NamesAndBirthDate, found) {
            return Ok(result);
        }
    }
    Ok(MatchResult::New)
}
