//! Management of API clients by national administrators and deployment managers.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::db::with_conn;
use super::pagination::{ListPage, PageParams};
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::auth::clients::{self, IssuedCredentials};
use crate::auth::policy;
use crate::domain::scopes::Scopes;
use crate::store::{self, clients::ApiClientRow};

/// An API client (never its secret, except once at creation and rotation).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientView {
    pub id: Uuid,
    /// Public client id, for the token endpoint.
    pub client_id: String,
    pub deployment_id: Uuid,
    /// Structure the client is narrowed to.
    pub structure_id: Option<Uuid>,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last token issued.
    pub last_used_at: Option<DateTime<Utc>>,
    /// End of validity of the previous secret after a rotation.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// The secret: present only in the answers of creation and rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

impl From<ApiClientRow> for ClientView {
    fn from(row: ApiClientRow) -> Self {
        let scopes = row.scope_names();
        ClientView {
            id: row.id,
            client_id: row.client_id,
            deployment_id: row.deployment_id,
            structure_id: row.structure_id,
            scopes,
            name: row.name,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
            last_used_at: row.last_used_at,
            previous_secret_expires_at: row.previous_secret_expires_at,
            client_secret: None,
        }
    }
}

impl From<IssuedCredentials> for ClientView {
    fn from(issued: IssuedCredentials) -> Self {
        let mut view = ClientView::from(issued.client);
        view.client_secret = Some(issued.client_secret);
        view
    }
}

fn managed_deployments(caller: &Caller) -> Result<Option<Uuid>, ApiError> {
    policy::client_management(caller).ok_or_else(|| {
        ApiError::new(
            ErrorCode::Forbidden,
            "Only administrators and deployment managers manage API clients.",
        )
    })
}

/// Filter of the client list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientQuery {
    /// Deployment (national administrators only; managers see their own).
    pub deployment_id: Option<Uuid>,
}

/// Lists API clients, with their last use.
#[utoipa::path(
    tag = "clients",
    params(ClientQuery, PageParams),
    responses(
        (status = 200, description = "One page of clients.", body = ListPage<ClientView>),
        (status = 400, description = "Invalid parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator or manager.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/clients")]
pub async fn list_clients(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ClientQuery>,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<ClientView>>, ApiError> {
    let scope = managed_deployments(&caller)?.or(query.deployment_id);
    let (limit, after) = (page.limit()?, page.after()?);
    let page = with_conn(&state.pool, move |conn| {
        Ok(store::clients::list(conn, scope, after, limit)?)
    })
    .await?;
    Ok(web::Json(ListPage::from_store(page, ClientView::from)))
}

/// A client to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewClientRequest {
    /// A name to recognise the partner.
    pub name: String,
    /// Scopes it may request.
    pub scopes: Vec<String>,
    /// Its deployment: required for national administrators, ignored for managers.
    pub deployment_id: Option<Uuid>,
    /// Narrows the client to one structure of the deployment.
    pub structure_id: Option<Uuid>,
}

/// Creates an API client; the answer holds its secret, shown once.
#[utoipa::path(
    tag = "clients",
    request_body = NewClientRequest,
    responses(
        (status = 201, description = "The client and its secret.", body = ClientView),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator or manager.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name, scopes, deployment or structure.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/clients")]
pub async fn create_client(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewClientRequest>,
) -> Result<HttpResponse, ApiError> {
    let managed = managed_deployments(&caller)?;
    let body = body.into_inner();
    let invalid = |detail: String| ApiError::new(ErrorCode::ValidationFailed, detail);
    let deployment = managed
        .or(body.deployment_id)
        .ok_or_else(|| invalid("deployment_id is required.".into()))?;
    let name = body.name.trim().replace('\0', "");
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid("name must have 1 to 200 characters.".into()));
    }
    let scopes = Scopes::from_names(&body.scopes).map_err(|e| invalid(format!("{e}.")))?;
    let creator = caller.account().map(|account| account.account_id);
    let structure = body.structure_id;
    let issued = with_conn(&state.pool, move |conn| {
        if store::directory::find_deployment(conn, &deployment.to_string())?.is_none() {
            return Err(invalid("deployment_id is not a deployment.".into()));
        }
        if let Some(structure) = structure
            && store::directory::find_structure(conn, deployment, &structure.to_string())?.is_none()
        {
            return Err(invalid(
                "structure_id is not a structure of the deployment.".into(),
            ));
        }
        clients::create(conn, deployment, structure, &name, scopes, creator)
            .map_err(|e| ApiError::internal(&e))
    })
    .await?;
    Ok(HttpResponse::Created().json(ClientView::from(issued)))
}

/// Gives a client a new secret; the previous one stays valid 24 hours.
#[utoipa::path(
    tag = "clients",
    params(("id" = Uuid, Path, description = "Client id (internal).")),
    responses(
        (status = 200, description = "The client and its new secret.", body = ClientView),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator or manager.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live client within reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/clients/{id}/rotate")]
pub async fn rotate_client(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<ClientView>, ApiError> {
    let managed = managed_deployments(&caller)?;
    let id = id.into_inner();
    let overlap = Duration::hours(state.auth.secret_overlap_hours);
    let issued = with_conn(&state.pool, move |conn| {
        if store::clients::by_id_in(conn, id, managed)?.is_none() {
            return Err(ApiError::not_found("client"));
        }
        clients::rotate(conn, id, overlap)
            .map_err(|e| ApiError::internal(&e))?
            .ok_or_else(|| ApiError::not_found("client"))
    })
    .await?;
    Ok(web::Json(ClientView::from(issued)))
}

/// Revokes a client: its tokens stop working at once.
#[utoipa::path(
    tag = "clients",
    params(("id" = Uuid, Path, description = "Client id (internal).")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator or manager.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live client within reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/clients/{id}/revoke")]
pub async fn revoke_client(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let managed = managed_deployments(&caller)?;
    let id = id.into_inner();
    let revoked = with_conn(&state.pool, move |conn| {
        if store::clients::by_id_in(conn, id, managed)?.is_none() {
            return Ok(false);
        }
        Ok(store::clients::revoke(conn, id)?)
    })
    .await?;
    state.clients.forget(id);
    if revoked {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("client"))
    }
}
