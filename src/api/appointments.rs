//! Appointments of a notebook with a member of its follow-up group: created by the members and
//! partner systems (e.g. a scheduling service), moved or marked present/absent with `If-Match`,
//! and soft-deleted.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, patch, post, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::problem::{ApiError, ErrorCode, Problem};
use super::writes::{Written, if_match, write, written};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::store::appointments;

/// An appointment to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAppointment {
    /// When.
    pub date: DateTime<Utc>,
    /// The member met (an active member's account); the caller when absent.
    pub account_id: Option<Uuid>,
    /// pending (default), present or absent.
    pub status: Option<String>,
}

/// Changes to an appointment: absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentChanges {
    /// New date.
    pub date: Option<DateTime<Utc>>,
    /// pending, present or absent.
    pub status: Option<String>,
}

/// Adds an appointment with a member of the follow-up group.
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id.")),
    request_body = NewAppointment,
    responses(
        (status = 201, description = "Added.", body = Written),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook within your reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[post("/v1/notebooks/{id}/appointments")]
pub async fn add_appointment(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<NewAppointment>,
) -> Result<HttpResponse, ApiError> {
    let notebook = id.into_inner();
    let body = body.into_inner();
    let member = body
        .account_id
        .or_else(|| caller.account().map(|account| account.account_id))
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::ValidationFailed,
                "account_id (the member met) is required for a partner system.",
            )
        })?;
    let status = body.status.unwrap_or_else(|| "pending".into());
    let (row, version) = write(
        &state,
        caller,
        notebook,
        "POST /v1/notebooks/{id}/appointments",
        move |conn, author| {
            appointments::add(conn, notebook, member, body.date, status.trim(), author)
        },
    )
    .await?;
    Ok(written(StatusCode::CREATED, Some(row), version))
}

/// Moves an appointment or records whether the person came (If-Match required).
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id."), ("appointment_id" = Uuid, Path, description = "Appointment id."), ("If-Match" = String, Header, description = "The notebook's ETag as read.")),
    request_body = AppointmentChanges,
    responses(
        (status = 200, description = "Changed.", body = Written),
        (status = 400, description = "Malformed If-Match.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment in a notebook within your reach.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The notebook changed since it was read.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[patch("/v1/notebooks/{id}/appointments/{appointment_id}")]
pub async fn update_appointment(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<AppointmentChanges>,
) -> Result<HttpResponse, ApiError> {
    let (notebook, appointment) = path.into_inner();
    let body = body.into_inner();
    let expected = if_match(&request)?;
    let version = write(
        &state,
        caller,
        notebook,
        "PATCH /v1/notebooks/{id}/appointments/{appointment_id}",
        move |conn, author| {
            appointments::update(
                conn,
                notebook,
                appointment,
                body.date,
                body.status.as_deref().map(str::trim),
                expected,
                author,
            )
        },
    )
    .await?;
    Ok(written(StatusCode::OK, None, version))
}

/// Cancels an appointment (soft delete: kept with who deleted it).
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id."), ("appointment_id" = Uuid, Path, description = "Appointment id.")),
    responses(
        (status = 200, description = "Deleted.", body = Written),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment in a notebook within your reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[delete("/v1/notebooks/{id}/appointments/{appointment_id}")]
pub async fn delete_appointment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (notebook, appointment) = path.into_inner();
    let version = write(
        &state,
        caller,
        notebook,
        "DELETE /v1/notebooks/{id}/appointments/{appointment_id}",
        move |conn, author| appointments::delete(conn, notebook, appointment, author),
    )
    .await?;
    Ok(written(StatusCode::OK, None, version))
}
