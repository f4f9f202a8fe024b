//! Writing the directory, as the 2024 original allowed: managers (and national administrators)
//! create and edit structures and professionals, a structure administrator edits the
//! structures they administer and their professionals, a professional edits their own
//! profile. A professional is created with their account and told by e-mail; deactivating one
//! closes the account and ends their memberships but keeps the history.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, delete, patch, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::answer::Answer;
use super::db::with_conn;
use super::directory::{ProfessionalView, StructureView};
use super::directory_input::{self, FieldErrors};
use super::extractors::json_body;
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::auth::policy::{self, DirectoryWriter};
use crate::store::{self, directory_writes::Written};

/// Subject of the e-mail telling a professional their account exists (as in the original).
pub use crate::notify::ACCOUNT_CREATED_SUBJECT;

/// A structure to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStructure {
    /// The deployment: required for national administrators; a manager's own when absent.
    pub deployment_id: Option<Uuid>,
    /// Name, unique in the deployment ignoring case and accents.
    #[schema(value_type = String, required = true)]
    pub name: Option<String>,
    /// SIRET: 14 digits with a valid Luhn key (spaces ignored).
    pub siret: Option<String>,
    /// Description.
    pub short_desc: Option<String>,
    /// Phone numbers, separated by commas; stored in E.164 form.
    pub phone: Option<String>,
    /// Contact e-mail.
    pub email: Option<String>,
    /// Address.
    pub address1: Option<String>,
    /// Address, second line.
    pub address2: Option<String>,
    /// Five digits.
    pub postal_code: Option<String>,
    /// Town.
    pub city: Option<String>,
    /// Web site; `https://` is added when missing.
    pub website: Option<String>,
    /// Structure sensible: its name or purpose reveals sensitive information about the people it
    /// follows (never shown to partners). False when absent.
    pub sensitive: Option<bool>,
}

/// Changes to a structure: an absent field is left alone, `null` (or `""`) empties it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StructurePatch {
    /// Name, unique in the deployment ignoring case and accents (cannot be emptied).
    #[serde(default, deserialize_with = "directory_input::present")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    /// SIRET: 14 digits with a valid Luhn key.
    #[serde(default, deserialize_with = "directory_input::present")]
    #[schema(value_type = Option<String>)]
    pub siret: Option<Option<String>>,
    /// Description.
    #[serde(default, deserialize_with = "directory_input::present")]
    #[schema(value_type = Option<String>)]
    pub short_desc: Option<Option<String>>,
    /// Phone numbers, separated by commas.
    #[serde(default, deserialize_with = "directory_input::present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// Contact e-mail.
    #[serde(default, deserialize_with = "directory_input::present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// Address.
    #[serde(default, deserialize_with = "directory_input::present")]
    #[schema(value_type = Option<String>)]
    pub address1: Option<Option<String>>,
    /// Address, second line.
    #[serde(default, deserialize_with = "directory_input::present")]
    #[schema(value_type = Option<String>)]
    pub address2: Option<Option<String>>,
    /// Five digits.
    #[serde(default, deserialize_with = "directory_input::present")]
    #[schema(value_type = Option<String>)]
    pub postal_code: Option<Option<String>>,
    /// Town.
    #[serde(default, deserialize_with = "directory_input::present")]
    #[schema(value_type = Option<String>)]
    pub city: Option<Option<String>>,
    /// Web site.
    #[serde(default, deserialize_with = "directory_input::present")]
    #[schema(value_type = Option<String>)]
    pub website: Option<Option<String>>,
    /// Only managers and national administrators change it.
    pub sensitive: Option<bool>,
}

/// A professional to create, with their account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProfessional {
    /// Their structure, in the caller's deployment (one the caller administers, for a
    /// structure administrator).
    #[schema(value_type = Uuid, required = true)]
    pub structure_id: Option<Uuid>,
    /// Their e-mail, unique among the deployment's professionals: they log in with it.
    #[schema(value_type = String, required = true)]
    pub email: Option<String>,
    /// First name.
    #[schema(value_type = String, required = true)]
    pub firstname: Option<String>,
    /// Last name.
    #[schema(value_type = String, required = true)]
    pub lastname: Option<String>,
    /// Their position (fonction).
    pub position: Option<String>,
    /// Stored in E.164 form.
    pub mobile_number: Option<String>,
}

/// Changes to a professional: an absent field is left alone, `null` (or `""`) empties it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfessionalPatch {
    /// Moves the professional to another structure of the deployment (not for the
    /// professional themself).
    pub structure_id: Option<Uuid>,
    /// Their e-mail, unique among the deployment's professionals (cannot be emptied).
    #[serde(default, deserialize_with = "directory_input::present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// First name (cannot be emptied).
    #[serde(default, deserialize_with = "directory_input::present")]
    #[schema(value_type = Option<String>)]
    pub firstname: Option<Option<String>>,
    /// Last name (cannot be emptied).
    #[serde(default, deserialize_with = "directory_input::present")]
    #[schema(value_type = Option<String>)]
    pub lastname: Option<Option<String>>,
    /// Their position (fonction).
    #[serde(default, deserialize_with = "directory_input::present")]
    #[schema(value_type = Option<String>)]
    pub position: Option<Option<String>>,
    /// Mobile phone number.
    #[serde(default, deserialize_with = "directory_input::present")]
    #[schema(value_type = Option<String>)]
    pub mobile_number: Option<Option<String>>,
}

fn forbidden(detail: &str) -> ApiError {
    ApiError::new(ErrorCode::Forbidden, detail)
}

fn writer_of(caller: &Caller) -> Result<DirectoryWriter, ApiError> {
    policy::directory_writer(caller).ok_or_else(|| {
        forbidden(
            "The directory is written by the deployment's managers, structure administrators \
             and professionals (their own profile), from a session.",
        )
    })
}

fn conflict(detail: &str, member: &str, existing: Uuid) -> ApiError {
    ApiError::new(ErrorCode::Conflict, detail).with(member, serde_json::json!(existing))
}

/// A stored answer for a conflict (kept for replays like a success).
fn conflict_answer(error: &ApiError) -> (StatusCode, serde_json::Value) {
    let problem = error.problem(super::request_id::current());
    (
        StatusCode::CONFLICT,
        serde_json::to_value(problem).unwrap_or_default(),
    )
}

/// The answer of a POST, with the `Location` of what it created (replays included).
fn created_response(answer: Answer, collection: &str) -> HttpResponse {
    let location = (answer.status == StatusCode::CREATED)
        .then(|| answer.body.get("id").and_then(|id| id.as_str()))
        .flatten()
        .map(|id| format!("{collection}/{id}"));
    let mut response = answer.into_response();
    if let Some(location) = location
        && let Ok(value) = header::HeaderValue::from_str(&location)
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Creates a structure in a deployment.
#[utoipa::path(
    tag = "directory",
    request_body = NewStructure,
    responses(
        (status = 201, description = "Created; `Location` is its URL.", body = StructureView),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a manager or national administrator (or not from a session).", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The deployment has a structure of this name: `structure_id` says which.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (`errors` lists them), or an Idempotency-Key reused with another body.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/structures")]
pub async fn create_structure(
    state: web::Data<AppState>,
    caller: Caller,
    body: super::extractors::BoundedBody<{ 64 * 1024 }>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let writer = writer_of(&caller)?;
    if !writer.is_deployment_wide() {
        return Err(forbidden(
            "Structures are created by the deployment's managers.",
        ));
    }
    let input: NewStructure = json_body(&body)?;
    let mut errors = FieldErrors::default();
    let deployment = match (writer.deployment(), input.deployment_id) {
        (Some(own), None) => Some(own),
        (Some(own), Some(asked)) if asked == own => Some(own),
        (Some(_), Some(_)) => {
            errors.fail(
                "deployment_id",
                "not_your_deployment",
                "deployment_id must be your own deployment (or absent)",
            );
            None
        }
        (None, Some(asked)) => Some(asked),
        (None, None) => {
            errors.fail(
                "deployment_id",
                "required",
                "deployment_id is required for a national administrator",
            );
            None
        }
    };
    let row = directory_input::new_structure(&mut errors, &input, deployment);
    let row = errors.finish(row)?;
    let check_deployment = writer == DirectoryWriter::Everything;
    let answer = with_conn(&state.pool, move |conn| {
        store::transaction(conn, |conn| {
            Answer::of(conn, |conn| {
                if check_deployment
                    && store::directory::find_deployment(conn, &row.deployment_id.to_string())?
                        .is_none()
                {
                    let mut errors = FieldErrors::default();
                    errors.fail(
                        "deployment_id",
                        "unknown_deployment",
                        "deployment_id is not a deployment",
                    );
                    return Err(errors.into_error());
                }
                match store::directory_writes::create_structure(conn, &row)? {
                    Written::Done(created) => Ok((
                        StatusCode::CREATED,
                        serde_json::to_value(StructureView::from(created)).unwrap_or_default(),
                    )),
                    Written::Duplicate(existing) => Ok(conflict_answer(&conflict(
                        "The deployment already has a structure of this name.",
                        "structure_id",
                        existing,
                    ))),
                }
            })
        })
    })
    .await?;
    if answer.status == StatusCode::CREATED {
        tracing::info!(
            structure_id = answer.body["id"].as_str().unwrap_or_default(),
            "structure created"
        );
    }
    Ok(created_response(answer, "/v1/structures"))
}

/// Edits a structure's descriptive fields.
#[utoipa::path(
    tag = "directory",
    params(("id" = Uuid, Path, description = "Structure id.")),
    request_body = StructurePatch,
    responses(
        (status = 200, description = "The structure as changed.", body = StructureView),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a manager, nor an administrator of this structure (only managers change `sensitive`).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such structure within your reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another structure of the deployment has this name: `structure_id` says which.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/v1/structures/{id}")]
pub async fn update_structure(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<StructurePatch>,
) -> Result<web::Json<StructureView>, ApiError> {
    let writer = writer_of(&caller)?;
    if matches!(writer, DirectoryWriter::OwnProfile { .. }) {
        return Err(forbidden(
            "Structures are edited by their administrators and the deployment's managers.",
        ));
    }
    let id = id.into_inner();
    let mut errors = FieldErrors::default();
    let changes = directory_input::structure_changes(&mut errors, &body);
    let changes = errors.finish(changes)?;
    let updated = with_conn(&state.pool, move |conn| {
        let current = store::directory_writes::structure(conn, id, writer.deployment())?
            .ok_or_else(|| ApiError::not_found("structure"))?;
        if let DirectoryWriter::AdministeredStructures {
            admin_structure_id, ..
        } = writer
        {
            if !store::directory_writes::administers(conn, admin_structure_id, id)? {
                return Err(forbidden("You do not administer this structure."));
            }
            if changes.sensitive.is_some() {
                return Err(forbidden(
                    "Whether a structure is sensitive is decided by the deployment's managers.",
                ));
            }
        }
        match store::directory_writes::update_structure(conn, &current, &changes)? {
            Written::Done(row) => Ok(row),
            Written::Duplicate(existing) => Err(conflict(
                "Another structure of the deployment has this name.",
                "structure_id",
                existing,
            )),
        }
    })
    .await?;
    tracing::info!(structure_id = %updated.id, "structure updated");
    Ok(web::Json(StructureView::from(updated)))
}

/// The e-mail telling a professional that their account exists and how to log in.
fn account_created_body(app_url: &str, professional: &ProfessionalView, structure: &str) -> String {
    crate::notify::account_created(
        app_url,
        &format!("{} {}", professional.firstname, professional.lastname),
        &professional.email,
        "professionnel",
        &format!(", pour la structure « {structure} »"),
    )
    .body
}

/// Creates a professional of a structure with their account, and e-mails them.
#[utoipa::path(
    tag = "directory",
    request_body = NewProfessional,
    responses(
        (status = 201, description = "Created; `Location` is its URL. The e-mail « Création de compte sur Carnet de bord » is queued.", body = ProfessionalView),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a manager, nor an administrator of the structure (or not from a session).", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The deployment has a professional with this e-mail: `professional_id` says which.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (`errors` lists them; a structure outside your deployment is one), or an Idempotency-Key reused with another body.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/professionals")]
pub async fn create_professional(
    state: web::Data<AppState>,
    caller: Caller,
    body: super::extractors::BoundedBody<{ 64 * 1024 }>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let writer = writer_of(&caller)?;
    if matches!(writer, DirectoryWriter::OwnProfile { .. }) {
        return Err(forbidden(
            "Professionals are created by their structure's administrators and the deployment's managers.",
        ));
    }
    let input: NewProfessional = json_body(&body)?;
    let mut errors = FieldErrors::default();
    let fields = directory_input::new_professional(&mut errors, &input);
    let fields = errors.finish(fields)?;
    let app_url = state.auth.app_url.clone();
    let answer = with_conn(&state.pool, move |conn| {
        store::transaction(conn, |conn| {
            Answer::of(conn, |conn| {
                let Some(structure) = store::directory_writes::structure(
                    conn,
                    fields.structure_id,
                    writer.deployment(),
                )?
                else {
                    let mut errors = FieldErrors::default();
                    errors.fail(
                        "structure_id",
                        "unknown_structure",
                        "structure_id is not a structure of your deployment",
                    );
                    return Err(errors.into_error());
                };
                if let DirectoryWriter::AdministeredStructures {
                    admin_structure_id, ..
                } = writer
                    && !store::directory_writes::administers(
                        conn,
                        admin_structure_id,
                        structure.id,
                    )?
                {
                    return Err(forbidden("You do not administer this structure."));
                }
                let row = fields.into_row(structure.deployment_id);
                match store::directory_writes::create_professional(conn, &row)? {
                    Written::Done(created) => {
                        let view = ProfessionalView::from(created.professional);
                        store::outbox::queue(
                            conn,
                            &view.email,
                            ACCOUNT_CREATED_SUBJECT,
                            &account_created_body(&app_url, &view, &structure.name),
                        )?;
                        Ok((
                            StatusCode::CREATED,
                            serde_json::to_value(view).unwrap_or_default(),
                        ))
                    }
                    Written::Duplicate(existing) => Ok(conflict_answer(&conflict(
                        "The deployment already has a professional with this e-mail.",
                        "professional_id",
                        existing,
                    ))),
                }
            })
        })
    })
    .await?;
    if answer.status == StatusCode::CREATED {
        tracing::info!(
            professional_id = answer.body["id"].as_str().unwrap_or_default(),
            "professional created with their account"
        );
    }
    Ok(created_response(answer, "/v1/professionals"))
}

/// Edits a professional: e-mail, names, position, mobile number, structure.
#[utoipa::path(
    tag = "directory",
    params(("id" = Uuid, Path, description = "Professional id.")),
    request_body = ProfessionalPatch,
    responses(
        (status = 200, description = "The professional as changed.", body = ProfessionalView),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither a manager, an administrator of their structure (and of the new one), nor the professional themself (who cannot change structure).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such professional within your reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another professional of the deployment has this e-mail: `professional_id` says which.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/v1/professionals/{id}")]
pub async fn update_professional(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<ProfessionalPatch>,
) -> Result<web::Json<ProfessionalView>, ApiError> {
    let writer = writer_of(&caller)?;
    let id = id.into_inner();
    let mut errors = FieldErrors::default();
    let changes = directory_input::professional_changes(&mut errors, &body);
    let changes = errors.finish(changes)?;
    let updated = with_conn(&state.pool, move |conn| {
        let current = store::directory_writes::professional(conn, id, writer.deployment())?
            .ok_or_else(|| ApiError::not_found("professional"))?;
        let moving_to = changes
            .structure_id
            .filter(|structure| *structure != current.structure_id);
        match writer {
            DirectoryWriter::Everything | DirectoryWriter::Deployment(_) => {}
            DirectoryWriter::AdministeredStructures {
                admin_structure_id, ..
            } => {
                if !store::directory_writes::administers(
                    conn,
                    admin_structure_id,
                    current.structure_id,
                )? {
                    return Err(forbidden(
                        "You do not administer this professional's structure.",
                    ));
                }
                if let Some(target) = moving_to
                    && !store::directory_writes::administers(conn, admin_structure_id, target)?
                {
                    return Err(forbidden(
                        "You can move a professional only to a structure you administer.",
                    ));
                }
            }
            DirectoryWriter::OwnProfile {
                professional_id, ..
            } => {
                if professional_id != id {
                    return Err(forbidden("A professional edits only their own profile."));
                }
                if moving_to.is_some() {
                    return Err(forbidden(
                        "Your structure is changed by its administrators or the deployment's managers.",
                    ));
                }
            }
        }
        if let Some(target) = moving_to
            && store::directory_writes::structure(conn, target, Some(current.deployment_id))?
                .is_none()
        {
            let mut errors = FieldErrors::default();
            errors.fail(
                "structure_id",
                "unknown_structure",
                "structure_id is not a structure of the professional's deployment",
            );
            return Err(errors.into_error());
        }
        match store::directory_writes::update_professional(conn, &current, &changes)? {
            Written::Done(row) => Ok(row),
            Written::Duplicate(existing) => Err(conflict(
                "Another professional of the deployment has this e-mail.",
                "professional_id",
                existing,
            )),
        }
    })
    .await?;
    tracing::info!(professional_id = %updated.id, "professional updated");
    Ok(web::Json(ProfessionalView::from(updated)))
}

/// Deactivates a professional: their account can no longer log in nor call the API, and their
/// memberships of follow-up groups end; their profile and history stay. Idempotent.
#[utoipa::path(
    tag = "directory",
    params(("id" = Uuid, Path, description = "Professional id.")),
    responses(
        (status = 204, description = "Deactivated (or already so)."),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither a manager nor an administrator of their structure.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such professional within your reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/professionals/{id}")]
pub async fn deactivate_professional(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let writer = writer_of(&caller)?;
    if matches!(writer, DirectoryWriter::OwnProfile { .. }) {
        return Err(forbidden(
            "Professionals are deactivated by their structure's administrators or the deployment's managers.",
        ));
    }
    let id = id.into_inner();
    let author = caller.account().map(|account| account.account_id);
    let done = with_conn(&state.pool, move |conn| {
        let current = store::directory_writes::professional(conn, id, writer.deployment())?
            .ok_or_else(|| ApiError::not_found("professional"))?;
        if let DirectoryWriter::AdministeredStructures {
            admin_structure_id, ..
        } = writer
            && !store::directory_writes::administers(
                conn,
                admin_structure_id,
                current.structure_id,
            )?
        {
            return Err(forbidden(
                "You do not administer this professional's structure.",
            ));
        }
        Ok(store::directory_writes::deactivate_professional(
            conn, id, author,
        )?)
    })
    .await?;
    tracing::info!(
        professional_id = %id,
        account_closed = done.account_closed,
        memberships_ended = done.memberships_ended,
        "professional deactivated"
    );
    Ok(HttpResponse::NoContent().finish())
}
