//! The orientation workflow over HTTP: the referent asks for a re-orientation; orientation
//! managers (and managers) list the requests, deny them or decide an orientation.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::db::with_conn;
use super::pagination::{ListPage, PageParams};
use super::problem::{ApiError, ErrorCode, Problem};
use super::writes::{Written, write, write_within, written};
use crate::api::state::AppState;
use crate::auth::caller::{Caller, Principal};
use crate::auth::policy::{self, Reach};
use crate::domain::role::Role;
use crate::domain::scopes::Scope;
use crate::store::orientation::{self, Decision};
use crate::store::timeline::WriteError;

/// Who decides orientations: orientation managers and managers of the deployment, and the
/// national administrators. Answers their reach and deployment (`None`: every deployment).
fn deciders(caller: &Caller) -> Result<(Reach, Option<Uuid>), ApiError> {
    caller.require(Scope::NotebooksWrite)?;
    match &caller.principal {
        Principal::Account(account)
            if matches!(account.role, Role::OrientationManager | Role::Manager) =>
        {
            Ok((policy::beneficiaries(caller), account.deployment_id))
        }
        Principal::Account(account) if account.role == Role::AdminCdb => {
            Ok((policy::beneficiaries(caller), None))
        }
        _ => Err(ApiError::new(
            ErrorCode::Forbidden,
            "Orientations are decided by the deployment's orientation managers and managers.",
        )),
    }
}

fn reason(text: Option<String>) -> Result<Option<String>, ApiError> {
    let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if text
        .as_deref()
        .is_some_and(|t| t.contains('\0') || t.chars().count() > 2000)
    {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "reason must have at most 2000 characters and no NUL byte.",
        ));
    }
    Ok(text)
}

/// A re-orientation request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrientationRequest {
    /// The orientation system recommended.
    pub requested_orientation_system_id: Uuid,
    /// Why.
    pub reason: Option<String>,
}

/// Asks for a re-orientation (the notebook's referent only).
#[utoipa::path(
    tag = "orientation",
    params(("id" = Uuid, Path, description = "Notebook id.")),
    request_body = NewOrientationRequest,
    responses(
        (status = 201, description = "Asked; `id` is the request.", body = Written),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the notebook's referent.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook within your reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request is already open.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/notebooks/{id}/orientation-requests")]
pub async fn request_orientation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<NewOrientationRequest>,
) -> Result<HttpResponse, ApiError> {
    let notebook = id.into_inner();
    let body = body.into_inner();
    let reason = reason(body.reason)?;
    let requestor = caller
        .account()
        .filter(|account| account.role == Role::Professional)
        .map(|account| account.account_id)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Forbidden,
                "Only the notebook's referent asks for a re-orientation.",
            )
        })?;
    let (request, version) = write(
        &state,
        caller,
        notebook,
        "POST /v1/notebooks/{id}/orientation-requests",
        move |conn, _| {
            orientation::request(
                conn,
                notebook,
                requestor,
                body.requested_orientation_system_id,
                reason.as_deref(),
            )
        },
    )
    .await?;
    Ok(written(StatusCode::CREATED, Some(request), version))
}

/// A re-orientation request, as listed for orientation managers.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestRow {
    /// The request.
    pub id: Uuid,
    /// The notebook.
    pub notebook_id: Uuid,
    /// The person.
    pub beneficiary_id: Uuid,
    /// Who asked (the referent).
    pub requestor_account_id: Uuid,
    /// The orientation asked for.
    pub requested_orientation_system_id: Uuid,
    /// The orientation decided (accepted requests).
    pub decided_orientation_system_id: Option<Uuid>,
    /// pending, accepted or denied.
    pub status: String,
    /// Why it was asked.
    pub reason: Option<String>,
    /// Why it was decided so.
    pub decision_reason: Option<String>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// When it was asked.
    pub created_at: DateTime<Utc>,
}

impl From<orientation::RequestRow> for RequestRow {
    fn from(row: orientation::RequestRow) -> Self {
        RequestRow {
            id: row.id,
            notebook_id: row.notebook_id,
            beneficiary_id: row.beneficiary_id,
            requestor_account_id: row.requestor_account_id,
            requested_orientation_system_id: row.requested_orientation_system_id,
            decided_orientation_system_id: row.decided_orientation_system_id,
            status: row.status.to_string(),
            reason: row.reason,
            decision_reason: row.decision_reason,
            decided_at: row.decided_at,
            created_at: row.created_at,
        }
    }
}

/// Filters of the requests list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestFilters {
    /// pending (default), accepted, denied or all.
    pub status: Option<String>,
}

/// Lists the re-orientation requests of the deployment, oldest first (pending by default).
#[utoipa::path(
    tag = "orientation",
    params(RequestFilters, PageParams),
    responses(
        (status = 200, description = "One page of requests.", body = ListPage<RequestRow>),
        (status = 400, description = "Invalid parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an orientation manager or manager.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/orientation-requests")]
pub async fn list_requests(
    state: web::Data<AppState>,
    caller: Caller,
    filters: web::Query<RequestFilters>,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<RequestRow>>, ApiError> {
    let (_, deployment) = deciders(&caller)?;
    let status = match filters.status.as_deref() {
        None | Some("pending") => Some("pending"),
        Some("all") => None,
        Some("accepted") => Some("accepted"),
        Some("denied") => Some("denied"),
        Some(other) => {
            return Err(ApiError::invalid_parameter(format!(
                "status must be pending, accepted, denied or all, not {other:?}."
            )));
        }
    };
    let (limit, after) = (page.limit()?, page.after()?);
    let rows = with_conn(&state.pool, move |conn| {
        Ok(orientation::list(
            conn,
            deployment,
            status,
            after,
            limit + 1,
        )?)
    })
    .await?;
    let page = crate::store::Page::from_rows(rows, limit, |row| row.id);
    Ok(web::Json(ListPage::from_store(page, RequestRow::from)))
}

/// A denial.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Denial {
    /// Why the accompaniment continues as it is.
    pub reason: Option<String>,
}

/// Denies an open request: the accompaniment continues; the referent is e-mailed ("Maintien de
/// l’accompagnement").
#[utoipa::path(
    tag = "orientation",
    params(("id" = Uuid, Path, description = "Request id.")),
    request_body = Denial,
    responses(
        (status = 200, description = "Denied; `id` is the notebook.", body = Written),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an orientation manager or manager.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such open request in your deployment.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/orientation-requests/{id}/deny")]
pub async fn deny_request(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<Denial>,
) -> Result<HttpResponse, ApiError> {
    let (reach, deployment) = deciders(&caller)?;
    let request = id.into_inner();
    let reason = reason(body.into_inner().reason)?;
    let notebook = with_conn(&state.pool, move |conn| {
        Ok(orientation::list_one(conn, deployment, request)?)
    })
    .await?
    .filter(|row| row.status == crate::domain::states::OrientationRequestStatus::Pending)
    .ok_or_else(|| ApiError::not_found("open orientation request"))?
    .notebook_id;
    let app_url = state.auth.app_url.clone();
    let (notebook, version) = write_within(
        &state,
        caller,
        reach,
        notebook,
        "POST /v1/orientation-requests/{id}/deny",
        move |conn, author| {
            crate::notify::group::deny(
                conn,
                &app_url,
                deployment,
                request,
                reason.as_deref(),
                author,
            )
        },
    )
    .await?;
    Ok(written(StatusCode::OK, Some(notebook), version))
}

/// An orientation decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrientationInput {
    /// The orientation system decided.
    pub orientation_system_id: Uuid,
    /// The structure that will accompany the person.
    pub structure_id: Uuid,
    /// The open request this decision accepts, if any.
    pub orientation_request_id: Option<Uuid>,
    /// The new referent's account; absent or null: no referent.
    pub referent_account_id: Option<Uuid>,
    /// Why.
    pub reason: Option<String>,
}

/// Orients or re-orients a notebook: sets its orientation, structure and referent (the former
/// referent stays as a member), accepts the request given, keeps the decision and e-mails the
/// former and new referents.
#[utoipa::path(
    tag = "orientation",
    params(("id" = Uuid, Path, description = "Notebook id.")),
    request_body = OrientationInput,
    responses(
        (status = 201, description = "Decided; `id` is the decision.", body = Written),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an orientation manager or manager.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook within your reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown orientation system, structure or referent, or a request of someone else.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/notebooks/{id}/orientation")]
pub async fn decide_orientation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<OrientationInput>,
) -> Result<HttpResponse, ApiError> {
    let (reach, _) = deciders(&caller)?;
    let notebook = id.into_inner();
    let body = body.into_inner();
    let decision = Decision {
        orientation_system_id: body.orientation_system_id,
        structure_id: body.structure_id,
        orientation_request_id: body.orientation_request_id,
        referent_account_id: body.referent_account_id,
        reason: reason(body.reason)?,
    };
    let app_url = state.auth.app_url.clone();
    let (decided, version) = write_within(
        &state,
        caller,
        reach,
        notebook,
        "POST /v1/notebooks/{id}/orientation",
        move |conn, author| -> Result<_, WriteError> {
            crate::notify::group::decide(conn, &app_url, notebook, &decision, author)
        },
    )
    .await?;
    Ok(written(StatusCode::CREATED, Some(decided), version))
}
