//! Sync sessions of full-snapshot partners: `POST /v1/sync-sessions`, then batches, then
//! `/complete`; people the partner reported before and not in this snapshot are marked as no
//! longer reported by it (a `beneficiary.no_longer_reported` change each).

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::db::with_conn;
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::auth::caller::{Caller, Principal};
use crate::domain::scopes::Scope;
use crate::store::sync_sessions::{self, SessionError};

/// A session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionRow {
    /// The session.
    pub id: Uuid,
    /// Its deployment.
    pub deployment_id: Uuid,
    /// The source that sends its stock.
    pub source_system: String,
    /// open, completed or abandoned.
    pub status: String,
    /// When it was opened: records not seen since are no longer reported at completion.
    pub started_at: DateTime<Utc>,
    /// When it was completed or abandoned.
    pub ended_at: Option<DateTime<Utc>>,
    /// How many people were marked as no longer reported at completion.
    pub no_longer_reported: Option<i32>,
}

impl From<sync_sessions::SessionRow> for SessionRow {
    fn from(row: sync_sessions::SessionRow) -> Self {
        SessionRow {
            id: row.id,
            deployment_id: row.deployment_id,
            source_system: row.source_system,
            status: row.status.to_string(),
            started_at: row.started_at,
            ended_at: row.ended_at,
            no_longer_reported: row.no_longer_reported,
        }
    }
}

/// The partner's deployment and source system.
fn partner_source(caller: &Caller) -> Result<(Uuid, String), ApiError> {
    caller.require(Scope::BeneficiariesWrite)?;
    match &caller.principal {
        Principal::Client(client) => Ok((
            client.deployment_id,
            format!("partner:{}", client.client_id),
        )),
        Principal::Account(_) => Err(ApiError::new(
            ErrorCode::Forbidden,
            "Sync sessions are for partner systems sending their whole stock.",
        )),
    }
}

fn session_error(error: SessionError) -> ApiError {
    match error {
        SessionError::AlreadyOpen(open) => ApiError::new(
            ErrorCode::Conflict,
            "A session of your system is already open: complete or abandon it first.",
        )
        .with("session_id", serde_json::json!(open.id)),
        SessionError::NotOpen(status) => {
            ApiError::new(ErrorCode::Conflict, format!("The session is {status}."))
        }
        SessionError::NotFound => ApiError::not_found("sync session"),
        SessionError::Database(error) => ApiError::internal(&error),
    }
}

/// Opens a full-snapshot session for the calling partner system.
#[utoipa::path(
    tag = "sync",
    responses(
        (status = 201, description = "Opened.", body = SessionRow),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner system with beneficiaries:write.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A session is already open (its id is in `session_id`).", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["beneficiaries:write"]))
)]
#[post("/v1/sync-sessions")]
pub async fn open_session(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let (deployment, source) = partner_source(&caller)?;
    let session = with_conn(&state.pool, move |conn| {
        sync_sessions::open(conn, deployment, &source).map_err(session_error)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/sync-sessions/{}", session.id),
        ))
        .json(SessionRow::from(session)))
}

/// Reads a session of the calling partner system.
#[utoipa::path(
    tag = "sync",
    params(("id" = Uuid, Path, description = "Session id.")),
    responses(
        (status = 200, description = "The session.", body = SessionRow),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner system with beneficiaries:write.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session of yours.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["beneficiaries:write"]))
)]
#[get("/v1/sync-sessions/{id}")]
pub async fn get_session(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<SessionRow>, ApiError> {
    let (deployment, source) = partner_source(&caller)?;
    let id = id.into_inner();
    let session = with_conn(&state.pool, move |conn| {
        sync_sessions::get(conn, deployment, &source, id)?
            .ok_or_else(|| ApiError::not_found("sync session"))
    })
    .await?;
    Ok(web::Json(SessionRow::from(session)))
}

async fn end(
    state: web::Data<AppState>,
    caller: Caller,
    id: Uuid,
    complete: bool,
) -> Result<web::Json<SessionRow>, ApiError> {
    let (deployment, source) = partner_source(&caller)?;
    let session = with_conn(&state.pool, move |conn| {
        sync_sessions::end(conn, deployment, &source, id, complete).map_err(session_error)
    })
    .await?;
    Ok(web::Json(SessionRow::from(session)))
}

/// Completes a session: the people your system reported before and not since the session
/// opened are marked as no longer reported by it.
#[utoipa::path(
    tag = "sync",
    params(("id" = Uuid, Path, description = "Session id.")),
    responses(
        (status = 200, description = "Completed; `no_longer_reported` counts the people marked.", body = SessionRow),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner system with beneficiaries:write.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session of yours.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The session is not open.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["beneficiaries:write"]))
)]
#[post("/v1/sync-sessions/{id}/complete")]
pub async fn complete_session(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<SessionRow>, ApiError> {
    end(state, caller, id.into_inner(), true).await
}

/// Abandons a session (a snapshot that could not be sent whole): nobody is marked.
#[utoipa::path(
    tag = "sync",
    params(("id" = Uuid, Path, description = "Session id.")),
    responses(
        (status = 200, description = "Abandoned.", body = SessionRow),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner system with beneficiaries:write.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session of yours.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The session is not open.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["beneficiaries:write"]))
)]
#[post("/v1/sync-sessions/{id}/abandon")]
pub async fn abandon_session(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<SessionRow>, ApiError> {
    end(state, caller, id.into_inner(), false).await
}
