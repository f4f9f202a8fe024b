//! Appointments of a notebook with a member of its follow-up group: created by the members and
//! partner systems (e.g. a scheduling service), moved or marked present/absent with `If-Match`,
//! and soft-deleted.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::db::with_conn;
use super::pagination::{ListPage, PageParams};
use super::problem::{ApiError, ErrorCode, Problem};
use super::writes::{Written, if_match, write, written};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::domain::scopes::Scope;
use crate::store::{self, appointments};

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

/// The window and filter of the appointment list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppointmentsQuery {
    /// From this instant (RFC 3339, included); now by default.
    pub from: Option<DateTime<Utc>>,
    /// To this instant (excluded); 7 days after `from` by default, 366 days after it at most.
    pub to: Option<DateTime<Utc>>,
    /// Only the appointments this professional's account holds.
    pub account: Option<Uuid>,
}

/// An appointment across notebooks.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentItem {
    pub id: Uuid,
    /// Its notebook (`GET /v1/notebooks/{id}`).
    pub notebook_id: Uuid,
    /// The notebook's person.
    pub beneficiary_id: Uuid,
    /// The professional who holds it (absent for a partner when a sensitive structure's).
    pub account_id: Option<Uuid>,
    pub date: DateTime<Utc>,
    /// `pending`, `present` or `absent`.
    pub status: String,
}

/// The appointments of the notebooks within the caller's reach in a window of time (a
/// professional's « my appointments this week »), in time order; each person concerned is
/// journaled as read.
#[utoipa::path(
    tag = "notebooks",
    params(AppointmentsQuery, PageParams, ("X-Purpose" = Option<String>, Header, description = "Why the data is read; required for API clients.")),
    responses(
        (status = 200, description = "One page of appointments.", body = ListPage<AppointmentItem>),
        (status = 400, description = "Invalid window or parameter, or missing purpose.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:read"]), ("bearer" = []))
)]
#[get("/v1/appointments")]
pub async fn list_appointments(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<AppointmentsQuery>,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<AppointmentItem>>, ApiError> {
    caller.require(Scope::NotebooksRead)?;
    let purpose = super::journal::purpose(&request, &caller)?;
    let limit = page.limit()?;
    let after = page
        .cursor
        .as_deref()
        .map(crate::domain::cursor::decode_after_instant)
        .transpose()
        .map_err(|error| ApiError::invalid_parameter(error.to_string()))?;
    let from = query.from.unwrap_or_else(Utc::now);
    let to = query.to.unwrap_or(from + chrono::Duration::days(7));
    if to <= from || to - from > chrono::Duration::days(366) {
        return Err(ApiError::invalid_parameter(
            "to must come after from, at most 366 days after it.",
        ));
    }
    let account = query.account;
    let is_client = matches!(caller.principal, crate::auth::caller::Principal::Client(_));
    let reach = crate::auth::policy::beneficiaries(&caller);
    let rows = with_conn(&state.pool, move |conn| {
        let rows = store::appointments::within(
            conn,
            store::reach::beneficiaries(reach),
            (from, to),
            account,
            after,
            limit + 1,
        )?;
        let entries: Vec<_> = rows
            .iter()
            .take(usize::try_from(limit).unwrap_or(0))
            .map(|row| {
                super::journal::entry(
                    &caller,
                    row.beneficiary_id,
                    Some(row.deployment_id),
                    super::journal::Access::Read,
                    "GET /v1/appointments",
                    true,
                    purpose.as_deref(),
                )
            })
            .collect();
        store::access_log::record(conn, &entries)?;
        let hidden = match (is_client, caller.deployment_id()) {
            (true, Some(deployment)) => {
                store::directory::sensitive_structures(conn, deployment)?.accounts
            }
            _ => Vec::new(),
        };
        Ok(rows
            .into_iter()
            .map(|row| (row, hidden.clone()))
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(web::Json(ListPage::from_timed(
        rows,
        limit,
        |(row, _)| (row.date, row.id),
        |(row, hidden)| AppointmentItem {
            id: row.id,
            notebook_id: row.notebook_id,
            beneficiary_id: row.beneficiary_id,
            account_id: (!hidden.contains(&row.account_id)).then_some(row.account_id),
            date: row.date,
            status: row.status,
        },
    )))
}
