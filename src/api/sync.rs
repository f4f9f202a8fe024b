//! The partner sync contract: creating a notebook, batches of person records, the change feed,
//! and the possible matches a manager resolves. Every write goes through the inbound pipeline.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::answer::Answer;
use super::db::with_conn;
use super::extractors::json_body;
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::auth::caller::{Caller, Principal};
use crate::auth::policy;
use crate::domain::Nir;
use crate::domain::person::columns;
use crate::domain::role::Role;
use crate::domain::scopes::Scope;
use crate::inbound::pipeline::{Options, Outcome};
use crate::inbound::record::{PersonFields, PersonRecord, Source, SourceKind};
use crate::store;

/// Largest batch.
pub const MAX_BATCH: usize = 1000;

/// Where the caller's writes come from, for provenance: each client and each account is a
/// source of its own, so that one caller's record ids never meet another's.
pub fn source_of(caller: &Caller, record_id: Option<String>, as_of: DateTime<Utc>) -> Source {
    match &caller.principal {
        Principal::Client(client) => Source {
            kind: SourceKind::Partner,
            system: format!("partner:{}", client.client_id),
            record_id,
            as_of,
            author_account_id: None,
        },
        Principal::Account(account) => Source {
            kind: SourceKind::Human,
            system: format!("human:{}:{}", account.role, account.account_id),
            record_id,
            as_of,
            author_account_id: Some(account.account_id),
        },
    }
}

fn writable_deployment(caller: &Caller) -> Result<Uuid, ApiError> {
    caller.require(Scope::BeneficiariesWrite)?;
    match (&caller.principal, caller.deployment_id()) {
        (Principal::Account(account), Some(deployment))
            if matches!(
                account.role,
                Role::Manager | Role::OrientationManager | Role::Professional
            ) =>
        {
            Ok(deployment)
        }
        (Principal::Client(_), Some(deployment)) => Ok(deployment),
        _ => Err(ApiError::new(
            ErrorCode::Forbidden,
            "Your role does not create or update people through this API.",
        )),
    }
}

/// A person's data as a partner sends it (snake_case fields of the original's rdv-insertion
/// endpoint, plus rights and identifiers).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub nir: Option<String>,
    pub external_id: Option<String>,
    pub external_role: Option<String>,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    pub place_of_birth: Option<String>,
    pub mobile_number: Option<String>,
    pub email: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    /// CAF/MSA file number (matricule).
    pub caf_number: Option<String>,
    /// `CAF` or `MSA` and the fund number, e.g. `CAF261`.
    pub caf_organisation: Option<String>,
    /// DEM, CJT, ENF, AUT or RDO.
    pub household_role: Option<String>,
    pub france_travail_id: Option<String>,
    /// Key of the `rsa_right` referential.
    pub right_rsa: Option<String>,
    pub right_are: Option<bool>,
    pub right_ass: Option<bool>,
    pub right_bonus: Option<bool>,
}

/// An error on one field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The field.
    pub field: String,
    /// Stable code.
    pub code: String,
    /// Explanation.
    pub message: String,
}

fn text(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The value of a given field by its parser; what it refuses is added to `errors`.
fn parsed<T>(
    errors: &mut Vec<FieldError>,
    field: &str,
    code: &str,
    value: &Option<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    let raw = text(value)?;
    parse(&raw)
        .map_err(|why| {
            errors.push(FieldError {
                field: field.into(),
                code: code.into(),
                message: format!("{raw:?} {why}"),
            })
        })
        .ok()
}

/// Parses a person's input into canonical fields, or the list of what is wrong.
pub fn person_fields(input: &PersonInput) -> Result<PersonFields, Vec<FieldError>> {
    let mut errors = Vec::new();
    // Each key by `cdb_connector`'s one parser: the API stores what a file or a flux would.
    let nir = parsed(&mut errors, "nir", "invalid_nir", &input.nir, |raw| {
        Nir::parse(raw).map_err(|e| format!("is not a valid NIR: {e}"))
    });
    let date_of_birth = parsed(
        &mut errors,
        "date_of_birth",
        "invalid_date",
        &input.date_of_birth,
        |raw| {
            cdb_connector::time::parse_iso_date(raw)
                .map_err(|e| format!("is not a date YYYY-MM-DD between 1900 and 2100: {e}"))
        },
    );
    let email = parsed(&mut errors, "email", "invalid_email", &input.email, |raw| {
        cdb_connector::records::Email::parse(raw).map_err(|_| "is not an e-mail address".to_owned())
    });
    let mobile_number = parsed(
        &mut errors,
        "mobile_number",
        "invalid_phone",
        &input.mobile_number,
        |raw| {
            cdb_connector::records::PhoneNumber::parse(raw)
                .map(String::from)
                .map_err(|e| format!("is not a phone number: {e}"))
        },
    );
    let france_travail_id = parsed(
        &mut errors,
        "france_travail_id",
        "invalid_france_travail_id",
        &input.france_travail_id,
        |raw| {
            cdb_connector::FranceTravailId::parse(raw)
                .map_err(|_| "is not an 11-character France Travail id".to_owned())
        },
    );
    let caf_number = parsed(
        &mut errors,
        "caf_number",
        "invalid_caf_number",
        &input.caf_number,
        |raw| {
            cdb_connector::identity::CafMatricule::parse(raw)
                .map_err(|e| format!("is not a CAF/MSA file number: {e}"))
        },
    );
    let household_role = parsed(
        &mut errors,
        "household_role",
        "invalid_household_role",
        &input.household_role,
        |raw| {
            cdb_connector::HouseholdRole::parse(raw)
                .map_err(|_| "is not DEM, CJT, ENF, AUT or RDO".to_owned())
        },
    );
    let mut error = |field: &str, code: &str, message: String| {
        errors.push(FieldError {
            field: field.into(),
            code: code.into(),
            message,
        })
    };
    for (field, value) in [
        ("firstname", &input.firstname),
        ("lastname", &input.lastname),
    ] {
        if let Some(name) = text(value)
            && name.contains(['(', ')'])
        {
            error(
                field,
                "invalid_name",
                format!("{name:?}: parentheses are not allowed in names"),
            );
        }
    }
    let texts = [
        ("nir", &input.nir),
        ("external_id", &input.external_id),
        ("external_role", &input.external_role),
        ("firstname", &input.firstname),
        ("lastname", &input.lastname),
        ("date_of_birth", &input.date_of_birth),
        ("place_of_birth", &input.place_of_birth),
        ("mobile_number", &input.mobile_number),
        ("email", &input.email),
        ("address1", &input.address1),
        ("address2", &input.address2),
        ("postal_code", &input.postal_code),
        ("city", &input.city),
        ("caf_number", &input.caf_number),
        ("caf_organisation", &input.caf_organisation),
        ("household_role", &input.household_role),
        ("france_travail_id", &input.france_travail_id),
        ("right_rsa", &input.right_rsa),
    ];
    for (field, value) in texts {
        if value
            .as_deref()
            .is_some_and(|v| v.contains('\0') || v.chars().count() > 255)
        {
            errors.push(FieldError {
                field: field.into(),
                code: "invalid_text".into(),
                message: format!("{field} must be at most 255 characters, with no NUL character"),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(PersonFields {
        firstname: text(&input.firstname),
        lastname: text(&input.lastname),
        date_of_birth,
        place_of_birth: text(&input.place_of_birth),
        nir,
        caf_organisation: text(&input.caf_organisation),
        caf_number,
        household_role,
        france_travail_id,
        external_id: text(&input.external_id),
        external_role: text(&input.external_role),
        email,
        mobile_number,
        address1: text(&input.address1),
        address2: text(&input.address2),
        postal_code: text(&input.postal_code),
        city: text(&input.city),
        right_rsa: text(&input.right_rsa),
        right_are: input.right_are,
        right_ass: input.right_ass,
        right_bonus: input.right_bonus,
        ..Default::default()
    })
}

/// A record held for the deployment's managers to decide; it names nobody.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingReview {
    /// Always `pending_review`.
    pub status: String,
    /// What happens next.
    pub detail: String,
}

/// What a caller is told of a record it may not apply.
pub fn pending_review() -> PendingReview {
    PendingReview {
        status: "pending_review".into(),
        detail: "This record may concern a person you cannot change: the deployment's managers will decide.".into(),
    }
}

/// The notebook created for a partner.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotebookCreated {
    pub notebook_id: Uuid,
    pub beneficiary_id: Uuid,
}

/// Creates a person and their notebook (idempotent on the NIR: an existing NIR of someone
/// within the caller's reach answers 409 with its notebook id). A NIR of someone the caller may
/// not change — outside its reach, or in another deployment — answers 202 `pending_review`:
/// the record waits for the deployment's managers, and the answer names nobody.
#[utoipa::path(
    tag = "sync",
    request_body = PersonInput,
    responses(
        (status = 201, description = "Created; `Location` is the notebook.", body = NotebookCreated),
        (status = 202, description = "Held for the deployment's managers: the person may be someone the caller cannot change.", body = PendingReview),
        (status = 400, description = "A malformed body.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The person already has a notebook: `notebook_id` says which.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or an Idempotency-Key reused with another body.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["beneficiaries:write"]), ("bearer" = []))
)]
#[post("/v1/notebooks")]
pub async fn create_notebook(
    state: web::Data<AppState>,
    caller: Caller,
    body: super::extractors::BoundedBody<{ 64 * 1024 }>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let deployment = writable_deployment(&caller)?;
    let input: PersonInput = json_body(&body)?;
    let fields = person_fields(&input).map_err(|errors| {
        ApiError::new(ErrorCode::ValidationFailed, "Some fields are invalid.")
            .with("errors", serde_json::to_value(errors).unwrap_or_default())
    })?;
    if fields.nir.is_none() {
        return Err(ApiError::new(ErrorCode::ValidationFailed, "nir is required.")
            .with("errors", serde_json::json!([{"field": "nir", "code": "required", "message": "nir is required"}])));
    }
    let record = PersonRecord {
        deployment_id: deployment,
        source: source_of(&caller, None, Utc::now()),
        fields,
    };
    let reach = policy::beneficiaries(&caller);
    let answer = with_conn(&state.pool, move |conn| {
        Answer::of(conn, |conn| {
        let outcome = crate::inbound::ingest_one(conn, &record, "hub_api", reach, Options::default())?;
        let (status, body) = match outcome {
            Outcome::Created {
                beneficiary_id,
                notebook_id,
            } => (
                StatusCode::CREATED,
                serde_json::json!({"notebook_id": notebook_id, "beneficiary_id": beneficiary_id}),
            ),
            Outcome::Updated { beneficiary_id, .. } | Outcome::Unchanged { beneficiary_id, .. } => {
                let notebook = store::notebooks::id_of_beneficiary(conn, beneficiary_id)?;
                let problem =
                    ApiError::new(ErrorCode::Conflict, "This person already has a notebook.")
                        .with("notebook_id", serde_json::json!(notebook))
                        .problem(super::request_id::current());
                (
                    StatusCode::CONFLICT,
                    serde_json::to_value(problem).unwrap_or_default(),
                )
            }
            Outcome::PossibleMatch {
                possible_match_id, ..
            } => {
                let problem = ApiError::new(
                    ErrorCode::Conflict,
                    "This person may already be known: a manager will decide.",
                )
                .with("possible_match_id", serde_json::json!(possible_match_id))
                .problem(super::request_id::current());
                (
                    StatusCode::CONFLICT,
                    serde_json::to_value(problem).unwrap_or_default(),
                )
            }
            Outcome::PendingReview => (
                StatusCode::ACCEPTED,
                serde_json::to_value(pending_review()).unwrap_or_default(),
            ),
            Outcome::Rejected { code, message } => {
                return Err(ApiError::new(ErrorCode::ValidationFailed, message)
                    .with("reason", serde_json::json!(code)));
            }
        };
        Ok((status, body))
        })
    })
    .await?;
    let location = (answer.status == StatusCode::CREATED)
        .then(|| {
            answer.body["notebook_id"]
                .as_str()
                .map(|id| format!("/v1/notebooks/{id}"))
        })
        .flatten();
    let mut response = answer.into_response();
    if let Some(location) = location
        && let Ok(value) = actix_web::http::header::HeaderValue::from_str(&location)
    {
        response
            .headers_mut()
            .insert(actix_web::http::header::LOCATION, value);
    }
    Ok(response)
}

/// A batch of person records from one source.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchRequest {
    /// Records, at most 1,000; each is an object with `source_id`, optional `as_of` and the
    /// person's fields (as in `PersonInput`).
    #[schema(value_type = Vec<BatchItem>)]
    pub items: Vec<serde_json::Value>,
}

/// One record of a batch.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchItem {
    /// The record's id in the partner's system: the key of the record.
    pub source_id: String,
    /// As-of date of the data (RFC 3339); now when absent.
    pub as_of: Option<DateTime<Utc>>,
    /// The person's fields.
    #[serde(flatten)]
    pub person: PersonInput,
}

/// What happened to one record.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    /// Position in the request.
    pub index: usize,
    pub source_id: Option<String>,
    /// `created`, `updated`, `unchanged`, `possible_match`, `pending_review` (held for the
    /// deployment's managers: it may concern someone the caller cannot change; no id is given)
    /// or `rejected` (`as_of_in_future` among the codes: an as-of date more than five minutes
    /// ahead of the hub's clock).
    pub status: String,
    pub beneficiary_id: Option<Uuid>,
    pub notebook_id: Option<Uuid>,
    pub possible_match_id: Option<Uuid>,
    /// Fields written (updates).
    pub fields: Vec<String>,
    /// Why a record was rejected.
    pub errors: Vec<FieldError>,
}

/// The answer to a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    pub items: Vec<BatchResult>,
}

fn result_of(index: usize, source_id: Option<String>, outcome: Outcome) -> BatchResult {
    let mut result = BatchResult {
        index,
        source_id,
        status: String::new(),
        beneficiary_id: None,
        notebook_id: None,
        possible_match_id: None,
        fields: Vec::new(),
        errors: Vec::new(),
    };
    match outcome {
        Outcome::Created {
            beneficiary_id,
            notebook_id,
        } => {
            result.status = "created".into();
            result.beneficiary_id = Some(beneficiary_id);
            result.notebook_id = Some(notebook_id);
        }
        Outcome::Updated {
            beneficiary_id,
            fields,
            ..
        } => {
            result.status = "updated".into();
            result.beneficiary_id = Some(beneficiary_id);
            result.fields = columns(&fields);
        }
        Outcome::Unchanged { beneficiary_id, .. } => {
            result.status = "unchanged".into();
            result.beneficiary_id = Some(beneficiary_id);
        }
        Outcome::PossibleMatch {
            possible_match_id, ..
        } => {
            result.status = "possible_match".into();
            result.possible_match_id = Some(possible_match_id);
        }
        Outcome::PendingReview => {
            result.status = "pending_review".into();
        }
        Outcome::Rejected { code, message } => {
            result.status = "rejected".into();
            result.errors.push(FieldError {
                field: String::new(),
                code,
                message,
            });
        }
    }
    result
}

/// Applies up to 1,000 person records keyed by the partner's own ids; valid records are applied
/// even when others are rejected, and each gets its result.
#[utoipa::path(
    tag = "sync",
    request_body = BatchRequest,
    responses(
        (status = 200, description = "One result per record, in order.", body = BatchResponse),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "More than 1,000 records, or an Idempotency-Key reused with another body.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["beneficiaries:write"]), ("bearer" = []))
)]
#[post("/v1/beneficiaries/batch")]
pub async fn batch(
    state: web::Data<AppState>,
    caller: Caller,
    body: super::extractors::BoundedBody<{ 8 * 1024 * 1024 }>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let deployment = writable_deployment(&caller)?;
    let batch: BatchRequest = json_body(&body)?;
    if batch.items.len() > MAX_BATCH {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            format!(
                "A batch holds at most {MAX_BATCH} records, not {}.",
                batch.items.len()
            ),
        ));
    }
    let mut results: Vec<Option<BatchResult>> = Vec::with_capacity(batch.items.len());
    let mut records = Vec::new();
    let mut positions = Vec::new();
    for (index, value) in batch.items.into_iter().enumerate() {
        let source_id = value
            .get("source_id")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let parsed = serde_json::from_value::<BatchItem>(value)
            .map_err(|e| {
                vec![FieldError {
                    field: String::new(),
                    code: "invalid_record".into(),
                    message: e.to_string(),
                }]
            })
            .and_then(|item| {
                if item.source_id.trim().is_empty() {
                    return Err(vec![FieldError {
                        field: "source_id".into(),
                        code: "required".into(),
                        message: "source_id is required".into(),
                    }]);
                }
                person_fields(&item.person).map(|fields| (item, fields))
            });
        match parsed {
            Ok((item, fields)) => {
                records.push(PersonRecord {
                    deployment_id: deployment,
                    source: source_of(
                        &caller,
                        Some(item.source_id.trim().to_owned()),
                        item.as_of.unwrap_or_else(Utc::now),
                    ),
                    fields,
                });
                positions.push((index, source_id));
                results.push(None);
            }
            Err(errors) => results.push(Some(BatchResult {
                index,
                source_id,
                status: "rejected".into(),
                beneficiary_id: None,
                notebook_id: None,
                possible_match_id: None,
                fields: Vec::new(),
                errors,
            })),
        }
    }
    let reach = policy::beneficiaries(&caller);
    let answer = with_conn(&state.pool, move |conn| {
        Answer::of(conn, move |conn| {
            let outcomes = crate::inbound::ingest_all(conn, &records, "hub_api", reach)?;
            for ((index, source_id), outcome) in positions.into_iter().zip(outcomes) {
                results[index] = Some(result_of(index, source_id, outcome));
            }
            let body = serde_json::to_value(BatchResponse {
                items: results.into_iter().flatten().collect(),
            })
            .unwrap_or_default();
            Ok((StatusCode::OK, body))
        })
    })
    .await?;
    Ok(answer.into_response())
}

/// Paging of the change feed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Cursor of the last change already read (`next_cursor` of the previous page); from the
    /// start when absent.
    pub cursor: Option<String>,
    /// The former name of `cursor`, accepted for one more version.
    #[deprecated(note = "send `cursor`")]
    pub after: Option<String>,
    /// Page size, 1 to 1,000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// One committed change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    /// Position in the feed: strictly increasing, assigned at commit.
    pub seq: i64,
    /// `beneficiary.created`, `beneficiary.updated`, …
    pub kind: String,
    pub beneficiary_id: Option<Uuid>,
    pub notebook_id: Option<Uuid>,
    /// Fields that changed.
    pub fields: Vec<String>,
    /// The source of the change.
    pub source_system: Option<String>,
    pub committed_at: DateTime<Utc>,
}

/// A page of the change feed; `next_cursor` is where to resume (also on the last page).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesPage {
    pub items: Vec<ChangeView>,
    /// Resume from here; equals the `after` sent when no new change was found.
    pub next_cursor: Option<String>,
}

/// The change feed of the people within reach, in commit order: a partner resuming from its
/// last cursor misses nothing and sees nothing twice. A purged person's `beneficiary.purged`
/// tombstone (ids only) is shown to every caller whose reach lies in that deployment.
#[utoipa::path(
    tag = "sync",
    params(ChangesQuery),
    responses(
        (status = 200, description = "A page of changes.", body = ChangesPage),
        (status = 400, description = "Invalid cursor or limit.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["beneficiaries:read"]), ("bearer" = []))
)]
#[get("/v1/changes")]
pub async fn changes(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ChangesQuery>,
) -> Result<web::Json<ChangesPage>, ApiError> {
    caller.require(Scope::BeneficiariesRead)?;
    let limit = match query.limit {
        None => 100,
        Some(limit) if (1..=1000).contains(&limit) => limit,
        Some(limit) => {
            return Err(ApiError::invalid_parameter(format!(
                "limit must be between 1 and 1000, not {limit}."
            )));
        }
    };
    #[allow(deprecated)]
    let cursor = match (&query.cursor, &query.after) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_parameter(
                "Send `cursor` only (`after` is its former name).",
            ));
        }
        (cursor, after) => cursor.clone().or_else(|| after.clone()),
    };
    let after = match cursor.as_deref() {
        None => 0,
        Some(cursor) => super::pagination::decode_sequence(cursor)?,
    };
    let reach = policy::beneficiaries(&caller);
    let deployment = match reach {
        policy::Reach::Everything => None,
        _ => caller.deployment_id(),
    };
    let tombstones = policy::purge_tombstones(reach);
    let rows = with_conn(&state.pool, move |conn| {
        Ok(store::changes::after(
            conn,
            store::reach::beneficiaries(reach),
            tombstones,
            deployment,
            after,
            limit,
        )?)
    })
    .await?;
    let last = rows.last().map_or(after, |row| row.seq);
    Ok(web::Json(ChangesPage {
        items: rows
            .into_iter()
            .map(|row| ChangeView {
                seq: row.seq,
                kind: row.kind,
                beneficiary_id: row.beneficiary_id,
                notebook_id: row.notebook_id,
                fields: row.fields.into_iter().flatten().collect(),
                source_system: row.source_system,
                committed_at: row.committed_at,
            })
            .collect(),
        next_cursor: Some(crate::domain::cursor::after_sequence(last)),
    }))
}
