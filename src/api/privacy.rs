//! Personal data rights (RGPD): a person's whole data as one JSON document (right of access,
//! `GET /v1/beneficiaries/{id}/export`) and its purge (right to erasure,
//! `DELETE /v1/beneficiaries/{id}`), which leaves a proof without personal data, keeps the access
//! journal, and announces a `beneficiary.purged` tombstone in the change feed.
//!
//! Both answer 404 for a person outside the caller's reach and 403 to a caller who sees the
//! person but may not do this; both are journaled, refusals included.

use std::collections::BTreeMap;

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, delete, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::db::with_conn;
use super::journal::{self, Access};
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::auth::policy;
use crate::domain::scopes::Scope;
use crate::store::{
    self, Connection,
    privacy::{PurgeError, PurgeProofRow, PurgeRequest, Purger},
};

/// Longest purge reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Everything the hub holds about a person: one member per table, each row as stored (secrets
/// such as login keys and tokens excepted; the NIR only with `nir:read`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BeneficiaryExport {
    /// When the document was made.
    pub exported_at: DateTime<Utc>,
    /// The person: identity, identifiers, contact, address and rights.
    #[schema(value_type = Object)]
    pub beneficiary: serde_json::Value,
    /// For each field, the source that set it and the as-of date of its data.
    #[schema(value_type = Vec<Object>)]
    pub field_provenance: serde_json::Value,
    /// The person's records in each source system.
    #[schema(value_type = Vec<Object>)]
    pub beneficiary_source: serde_json::Value,
    /// Attachments to structures (rattachements), current and past.
    #[schema(value_type = Vec<Object>)]
    pub beneficiary_structure: serde_json::Value,
    /// The notebook (carnet de bord), if any.
    #[schema(value_type = Option<Object>)]
    pub notebook: serde_json::Value,
    /// The follow-up group (groupe de suivi), former members included.
    #[schema(value_type = Vec<Object>)]
    pub notebook_member: serde_json::Value,
    /// Focuses (axes de travail).
    #[schema(value_type = Vec<Object>)]
    pub notebook_focus: serde_json::Value,
    /// Targets (objectifs).
    #[schema(value_type = Vec<Object>)]
    pub notebook_target: serde_json::Value,
    /// Actions.
    #[schema(value_type = Vec<Object>)]
    pub notebook_action: serde_json::Value,
    /// Appointments (rendez-vous), deleted ones included.
    #[schema(value_type = Vec<Object>)]
    pub notebook_appointment: serde_json::Value,
    /// Socio-professional situations, past ones included.
    #[schema(value_type = Vec<Object>)]
    pub notebook_situation: serde_json::Value,
    /// Professional projects.
    #[schema(value_type = Vec<Object>)]
    pub professional_project: serde_json::Value,
    /// The notebook's timeline.
    #[schema(value_type = Vec<Object>)]
    pub notebook_event: serde_json::Value,
    /// How and by whom the notebook was created.
    #[schema(value_type = Vec<Object>)]
    pub notebook_creation: serde_json::Value,
    /// Orientation requests.
    #[schema(value_type = Vec<Object>)]
    pub orientation_request: serde_json::Value,
    /// Orientation decisions.
    #[schema(value_type = Vec<Object>)]
    pub orientation_decision: serde_json::Value,
    /// Raw payloads received from sources (CAF/MSA, France Travail…).
    #[schema(value_type = Vec<Object>)]
    pub external_data: serde_json::Value,
    /// Records that may be about the person, waiting for or having had a manager's decision.
    #[schema(value_type = Vec<Object>)]
    pub possible_match: serde_json::Value,
    /// The person's accounts (no login key or token).
    #[schema(value_type = Vec<Object>)]
    pub account: serde_json::Value,
    /// E-mails to the person's address: recipient, subject and dates (bodies hold login links).
    #[schema(value_type = Vec<Object>)]
    pub email_outbox: serde_json::Value,
    /// Postponements of the retention purge: until when, why, by whom.
    #[schema(value_type = Vec<Object>)]
    pub retention_postponement: serde_json::Value,
    /// The access journal: who read or wrote the person's data, when, why, with what outcome.
    #[schema(value_type = Vec<Object>)]
    pub access_log: serde_json::Value,
}

/// Removes the NIR from a document for a caller without `nir:read`: the `nir` members, any
/// value that contains it (a source may key its records by NIR), and its provenance (which
/// would tell that there is one).
fn without_nir(value: &mut serde_json::Value, nir: &str) {
    match value {
        serde_json::Value::Object(members) => {
            members.retain(|key, member| {
                !key.eq_ignore_ascii_case("nir")
                    && !member.as_str().is_some_and(|text| text.contains(nir))
            });
            members
                .values_mut()
                .for_each(|member| without_nir(member, nir));
        }
        serde_json::Value::Array(items) => {
            items.retain(|item| {
                !item.as_str().is_some_and(|text| text.contains(nir))
                    && item.get("field").and_then(|f| f.as_str()) != Some("nir")
            });
            items.iter_mut().for_each(|item| without_nir(item, nir));
        }
        _ => {}
    }
}

/// Journals an access that was refused.
pub(super) fn journal_denied(
    conn: &mut Connection,
    caller: &Caller,
    person: (Uuid, Uuid),
    access: Access,
    resource: &str,
    purpose: Option<&str>,
) -> Result<(), ApiError> {
    let (beneficiary_id, deployment_id) = person;
    store::access_log::record(
        conn,
        &[journal::entry(
            caller,
            beneficiary_id,
            Some(deployment_id),
            access,
            resource,
            false,
            purpose,
        )],
    )?;
    Ok(())
}

/// The person within reach, or 404 (journaled when the person exists elsewhere).
pub(super) fn person_within_reach(
    conn: &mut Connection,
    caller: &Caller,
    id: Uuid,
    access: Access,
    resource: &str,
    purpose: Option<&str>,
) -> Result<(Uuid, Uuid), ApiError> {
    let reach = store::reach::beneficiaries(policy::beneficiaries(caller));
    if let Some(row) = store::people::get(conn, reach, id)? {
        return Ok((row.id, row.deployment_id));
    }
    if let Some(deployment) = store::people::deployment_of(conn, id)? {
        journal_denied(conn, caller, (id, deployment), access, resource, purpose)?;
    }
    Err(ApiError::not_found("beneficiary"))
}

/// Exports everything held about a person (right of access).
///
/// For the deployment's managers, the national administrators and the person themself. The
/// export is journaled like any read.
#[utoipa::path(
    tag = "people",
    params(("id" = Uuid, Path, description = "Beneficiary id."), ("X-Purpose" = Option<String>, Header, description = "Why the data is read.")),
    responses(
        (status = 200, description = "The whole document, as an attachment `beneficiary-<id>.json`.", body = BeneficiaryExport),
        (status = 400, description = "Missing purpose.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope, or the person is within reach but the caller may not export them.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such beneficiary within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/beneficiaries/{id}/export")]
pub async fn export_beneficiary(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::BeneficiariesRead)?;
    caller.require(Scope::NotebooksRead)?;
    let purpose = journal::purpose(&request, &caller)?;
    let id = id.into_inner();
    let show_nir = caller.scopes.contains(Scope::NirRead);
    let resource = "GET /v1/beneficiaries/{id}/export";
    let mut document = with_conn(&state.pool, move |conn| {
        let purpose = purpose.as_deref();
        let person = person_within_reach(conn, &caller, id, Access::Read, resource, purpose)?;
        if !policy::may_export(&caller) {
            journal_denied(conn, &caller, person, Access::Read, resource, purpose)?;
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "Only the deployment's managers, the national administrators and the person themself export a person's data.",
            ));
        }
        // Journaled first, so that the export shows itself in the journal it carries.
        store::access_log::record(
            conn,
            &[journal::entry(
                &caller,
                person.0,
                Some(person.1),
                Access::Read,
                resource,
                true,
                purpose,
            )],
        )?;
        Ok(store::privacy::export(conn, id)?)
    })
    .await?;
    if !show_nir && let Some(nir) = document["beneficiary"]["nir"].as_str().map(str::to_owned) {
        without_nir(&mut document, &nir);
    }
    if let Some(members) = document.as_object_mut() {
        members.insert("exported_at".to_owned(), serde_json::json!(Utc::now()));
    }
    let export: BeneficiaryExport =
        serde_json::from_value(document).map_err(|e| ApiError::internal(&e))?;
    Ok(HttpResponse::Ok()
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(format!("beneficiary-{id}.json"))],
        })
        .json(export))
}

/// Why a person is purged.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PurgeQuery {
    /// Why the person is purged (1 to 500 characters, kept in the proof: write no personal data
    /// in it), e.g. « demande d'effacement RGPD du 12/03, ticket 4521 ».
    pub reason: String,
}

/// The proof of a purge: no personal data, only ids and counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PurgeProofView {
    /// Id of the proof.
    pub id: Uuid,
    /// The person's deployment.
    pub deployment_id: Uuid,
    /// The id the person had.
    pub beneficiary_id: Uuid,
    /// When the data was deleted.
    pub purged_at: DateTime<Utc>,
    /// The account that purged; null when the retention rule did.
    pub purged_by_account_id: Option<Uuid>,
    /// `account` (a purge on request) or `retention` (the deployment's retention rule).
    pub purged_by: String,
    /// The reason given.
    pub reason: String,
    /// Rows deleted, by table.
    pub deleted_rows: BTreeMap<String, u64>,
}

impl TryFrom<PurgeProofRow> for PurgeProofView {
    type Error = serde_json::Error;

    fn try_from(row: PurgeProofRow) -> Result<Self, Self::Error> {
        Ok(PurgeProofView {
            id: row.id,
            deployment_id: row.deployment_id,
            beneficiary_id: row.beneficiary_id,
            purged_at: row.purged_at,
            purged_by_account_id: row.purged_by_account_id,
            purged_by: row.purged_by,
            reason: row.reason,
            deleted_rows: serde_json::from_value(row.deleted_rows)?,
        })
    }
}

/// The reason of a purge, trimmed, or why it is refused.
pub(super) fn parse_reason(reason: &str) -> Result<String, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::invalid_parameter(format!(
            "reason must have 1 to {MAX_REASON_CHARS} characters."
        )));
    }
    if reason.chars().any(char::is_control) {
        return Err(ApiError::invalid_parameter(
            "reason must not contain control characters.",
        ));
    }
    Ok(reason.to_owned())
}

/// Purges a person (right to erasure).
///
/// Deletes, in one transaction, the person, their notebook and everything in it, their accounts
/// with their login keys and tokens, the possible matches about them and the e-mails not yet sent
/// to them; keeps the access journal; answers the proof (kept without personal data) and
/// announces a `beneficiary.purged` change. For the deployment's managers and the national
/// administrators, in a session (not with a personal access token, not as a partner system).
#[utoipa::path(
    tag = "people",
    params(("id" = Uuid, Path, description = "Beneficiary id."), PurgeQuery),
    responses(
        (status = 200, description = "Purged: the proof.", body = PurgeProofView),
        (status = 400, description = "Missing or invalid reason.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope, or the person is within reach but the caller may not purge them.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such beneficiary within reach (or already purged).", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The person's account is referenced outside their notebook: nothing was deleted.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/beneficiaries/{id}")]
pub async fn purge_beneficiary(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<PurgeQuery>,
) -> Result<web::Json<PurgeProofView>, ApiError> {
    caller.require(Scope::BeneficiariesWrite)?;
    let reason = parse_reason(&query.reason)?;
    let purpose = journal::purpose(&request, &caller)?;
    let id = id.into_inner();
    let resource = "DELETE /v1/beneficiaries/{id}";
    let proof = with_conn(&state.pool, move |conn| {
        let purpose = purpose.as_deref();
        let person = person_within_reach(conn, &caller, id, Access::Delete, resource, purpose)?;
        let by = caller.account().map(|account| account.account_id);
        let Some(purged_by_account_id) = by.filter(|_| policy::may_purge(&caller)) else {
            journal_denied(conn, &caller, person, Access::Delete, resource, purpose)?;
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "Only the deployment's managers and the national administrators purge a person, in a session.",
            ));
        };
        let request = PurgeRequest {
            beneficiary_id: id,
            purger: Purger::Account {
                account_id: purged_by_account_id,
                journal: Box::new(journal::entry(
                    &caller,
                    person.0,
                    Some(person.1),
                    Access::Delete,
                    resource,
                    true,
                    purpose,
                )),
            },
            reason,
        };
        store::privacy::purge(conn, &request).map_err(|error| match error {
            PurgeError::NotFound => ApiError::not_found("beneficiary"),
            PurgeError::StillReferenced(constraint) => {
                tracing::warn!(%constraint, "purge refused: the person's account is referenced elsewhere");
                ApiError::new(
                    ErrorCode::Conflict,
                    "The person's account is referenced outside their notebook: nothing was deleted.",
                )
            }
            PurgeError::Database(error) => ApiError::internal(&error),
        })
    })
    .await?;
    let view = PurgeProofView::try_from(proof).map_err(|e| ApiError::internal(&e))?;
    Ok(web::Json(view))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_nir_leaves_the_document_wherever_it_is() {
        let nir = "1850375123456";
        let mut document = json!({
            "beneficiary": {"id": "b", "nir": nir, "firstname": "Sophie"},
            "field_provenance": [{"field": "nir"}, {"field": "firstname"}],
            "beneficiary_source": [{"source_record_id": format!("{nir}42")}],
            "external_data": [{"data": {"NIR": nir, "nom": "TIFOUR", "ids": [nir, "x"]}}]
        });
        without_nir(&mut document, nir);
        assert!(!document.to_string().contains(nir), "{document}");
        assert_eq!(document["beneficiary"]["firstname"], "Sophie");
        assert_eq!(
            document["field_provenance"],
            json!([{"field": "firstname"}])
        );
        assert_eq!(document["external_data"][0]["data"]["ids"], json!(["x"]));
    }

    #[test]
    fn a_reason_is_short_plain_text() {
        assert_eq!(parse_reason("  demande RGPD  ").unwrap(), "demande RGPD");
        assert!(parse_reason("   ").is_err());
        assert!(parse_reason(&"é".repeat(MAX_REASON_CHARS)).is_ok());
        assert!(parse_reason(&"é".repeat(MAX_REASON_CHARS + 1)).is_err());
        assert!(parse_reason("a\0b").is_err());
    }
}
