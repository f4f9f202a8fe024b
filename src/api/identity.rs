//! Editing a person's identity, contact and rights through the inbound pipeline, as a `human`
//! (or partner) record: the merge rules apply to people's edits too, so a field a more trusted
//! source owns stays and the answer says so. The beneficiary edits their own contact details.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, patch, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::db::with_conn;
use super::journal::{self, Access};
use super::problem::{ApiError, ErrorCode, Problem};
use super::sync::{FieldError, PersonInput, person_fields, source_of};
use crate::api::state::AppState;
use crate::auth::caller::{Caller, Principal};
use crate::auth::policy;
use crate::domain::person::columns;
use crate::domain::role::Role;
use crate::domain::scopes::Scope;
use crate::inbound::pipeline::{Forced, Options, Outcome};
use crate::inbound::record::PersonRecord;
use crate::store::{self, Violation};

/// The fields a beneficiary may change on their own record.
const OWN_CONTACT_FIELDS: &[&str] = &[
    "email",
    "mobile_number",
    "address1",
    "address2",
    "postal_code",
    "city",
];

/// The ETag of a beneficiary's record (its last update, to the microsecond).
pub fn etag(updated_at: DateTime<Utc>) -> String {
    format!("\"b{}\"", updated_at.timestamp_micros())
}

fn if_match(request: &HttpRequest) -> Result<String, ApiError> {
    let value = request.headers().get(header::IF_MATCH).ok_or_else(|| {
        ApiError::new(
            ErrorCode::PreconditionRequired,
            "Send If-Match with the beneficiary's ETag (read it with GET /v1/beneficiaries/{id}).",
        )
    })?;
    value
        .to_str()
        .ok()
        .map(|text| text.trim().trim_start_matches("W/").to_owned())
        .filter(|text| text.starts_with("\"b") && text.ends_with('"'))
        .ok_or_else(|| {
            ApiError::invalid_parameter("If-Match must be an ETag of this API, e.g. \"b1732…\".")
        })
}

/// What an edit did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Edited {
    /// `updated` or `unchanged`.
    pub status: String,
    /// Fields written.
    pub fields: Vec<String>,
    /// Fields sent whose current value stays, because a more trusted or more recent source set
    /// it (see `?include=provenance`).
    pub kept: Vec<String>,
}

/// Who may edit a person, and which fields: `None` for every field.
fn editable(caller: &Caller) -> Result<Option<&'static [&'static str]>, ApiError> {
    caller.require(Scope::BeneficiariesWrite)?;
    match &caller.principal {
        Principal::Client(_) => Ok(None),
        Principal::Account(account) => match account.role {
            Role::AdminCdb | Role::Manager | Role::OrientationManager | Role::Professional => {
                Ok(None)
            }
            Role::Beneficiary => Ok(Some(OWN_CONTACT_FIELDS)),
            Role::AdminStructure => Err(ApiError::new(
                ErrorCode::Forbidden,
                "Structure administrators do not edit people's records.",
            )),
        },
    }
}

fn refused(error: store::QueryError) -> ApiError {
    match store::violation(&error) {
        Some((Violation::Unique, constraint)) => ApiError::new(
            ErrorCode::Conflict,
            format!(
                "Another person already has this identifier ({}).",
                constraint.unwrap_or("unique key")
            ),
        ),
        Some((Violation::Check | Violation::ForeignKey, constraint)) => ApiError::new(
            ErrorCode::ValidationFailed,
            format!(
                "A value is refused by the rule {}.",
                constraint.unwrap_or("constraint")
            ),
        ),
        None => ApiError::internal(&error),
    }
}

/// Edits a person's identity, contact and rights (If-Match required). The edit goes through the
/// inbound pipeline as the caller's record: fields owned by a more trusted source stay and are
/// listed in `kept`; the change is in the timeline and the change feed.
#[utoipa::path(
    tag = "people",
    params(("id" = Uuid, Path, description = "Beneficiary id."), ("If-Match" = String, Header, description = "The beneficiary's ETag as read.")),
    request_body = PersonInput,
    responses(
        (status = 200, description = "Applied; the ETag is the record's new version.", body = Edited),
        (status = 400, description = "Malformed If-Match.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role, or a field the caller may not change.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such beneficiary within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another person has this identifier.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The record changed since it was read.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["beneficiaries:write"]), ("bearer" = []))
)]
#[patch("/v1/beneficiaries/{id}")]
pub async fn edit_beneficiary(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<PersonInput>,
) -> Result<HttpResponse, ApiError> {
    let allowed = editable(&caller)?;
    let fields = person_fields(&body).map_err(|errors| {
        ApiError::new(ErrorCode::ValidationFailed, "Some fields are not valid.")
            .with("errors", serde_json::json!(errors))
    })?;
    let given: Vec<String> = fields
        .present()
        .into_iter()
        .map(|(field, _)| field.column().to_owned())
        .collect();
    if given.is_empty() {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "Give at least one field to change.",
        ));
    }
    if let Some(allowed) = allowed {
        let forbidden: Vec<FieldError> = given
            .iter()
            .filter(|field| !allowed.contains(&field.as_str()))
            .map(|field| FieldError {
                field: field.clone(),
                code: "not_editable".into(),
                message: "You may change only your contact details.".into(),
            })
            .collect();
        if !forbidden.is_empty() {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "You may change only your contact details (e-mail, mobile number, address).",
            )
            .with("errors", serde_json::json!(forbidden)));
        }
    }
    let expected = if_match(&request)?;
    let id = id.into_inner();
    let reach = policy::beneficiaries(&caller);
    let source = source_of(&caller, None, Utc::now());
    let (outcome, updated_at) = with_conn(&state.pool, move |conn| {
        store::transaction(conn, |conn| {
            let Some(row) = store::people::get(conn, store::reach::beneficiaries(reach), id)?
            else {
                return Err(ApiError::not_found("beneficiary"));
            };
            let current = store::people::lock(conn, id)?;
            if etag(current) != expected {
                return Err(ApiError::new(
                    ErrorCode::PreconditionFailed,
                    "The record changed since you read it: read it again and retry.",
                )
                .with("current_etag", serde_json::json!(etag(current))));
            }
            let record = PersonRecord {
                deployment_id: row.deployment_id,
                source,
                fields,
            };
            let outcome = crate::inbound::ingest_one(
                conn,
                &record,
                "hub_api",
                reach,
                Options {
                    forced: Some(Forced::SamePerson(id)),
                    human_edit: true,
                    ..Options::default()
                },
            )
            .map_err(refused)?;
            store::access_log::record(
                conn,
                &[journal::entry(
                    &caller,
                    id,
                    Some(row.deployment_id),
                    Access::Write,
                    "PATCH /v1/beneficiaries/{id}",
                    true,
                    None,
                )],
            )?;
            let updated_at = store::people::lock(conn, id)?;
            Ok((outcome, updated_at))
        })
    })
    .await?;
    let edited = match outcome {
        Outcome::Updated { fields, kept, .. } => Edited {
            status: "updated".into(),
            fields: columns(&fields),
            kept: columns(&kept),
        },
        Outcome::Unchanged { kept, .. } => Edited {
            status: "unchanged".into(),
            fields: Vec::new(),
            kept: columns(&kept),
        },
        Outcome::Rejected { code, message } => {
            return Err(ApiError::new(ErrorCode::ValidationFailed, message)
                .with("reason", serde_json::json!(code)));
        }
        Outcome::Created { .. } | Outcome::PossibleMatch { .. } | Outcome::PendingReview => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "The edit could not be applied to this person.",
            ));
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(updated_at)))
        .json(edited))
}
