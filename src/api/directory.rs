//! The directory: deployments, structures and professionals within the caller's reach.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::db::with_conn;
use super::pagination::{ListPage, PageParams};
use super::problem::{ApiError, Problem};
use crate::api::state::AppState;
use crate::auth::caller::{Caller, Principal};
use crate::auth::policy;
use crate::domain::role::Role;
use crate::store::{
    self,
    directory::{DeploymentRow, ProfessionalRow, StructureRow},
};

/// A deployment: the hub's tenant, one département.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeploymentView {
    pub id: Uuid,
    pub label: String,
    /// Département code, e.g. `93`.
    pub department_code: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<DeploymentRow> for DeploymentView {
    fn from(row: DeploymentRow) -> Self {
        DeploymentView {
            id: row.id,
            label: row.label,
            department_code: row.department_code,
            created_at: row.created_at,
        }
    }
}

/// An accompanying structure.
#[derive(Debug, Serialize, ToSchema)]
pub struct StructureView {
    pub id: Uuid,
    pub deployment_id: Uuid,
    pub name: String,
    pub siret: Option<String>,
    pub short_desc: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub website: Option<String>,
    /// A structure whose name reveals sensitive information about the people it follows.
    pub sensitive: bool,
}

impl From<StructureRow> for StructureView {
    fn from(row: StructureRow) -> Self {
        StructureView {
            id: row.id,
            deployment_id: row.deployment_id,
            name: row.name,
            siret: row.siret,
            short_desc: row.short_desc,
            phone: row.phone,
            email: row.email,
            address1: row.address1,
            address2: row.address2,
            postal_code: row.postal_code,
            city: row.city,
            website: row.website,
            sensitive: row.sensitive,
        }
    }
}

/// A professional of a structure.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfessionalView {
    pub id: Uuid,
    pub deployment_id: Uuid,
    pub structure_id: Uuid,
    pub email: String,
    pub firstname: String,
    pub lastname: String,
    pub position: Option<String>,
    pub mobile_number: Option<String>,
}

impl From<ProfessionalRow> for ProfessionalView {
    fn from(row: ProfessionalRow) -> Self {
        ProfessionalView {
            id: row.id,
            deployment_id: row.deployment_id,
            structure_id: row.structure_id,
            email: row.email,
            firstname: row.firstname,
            lastname: row.lastname,
            position: row.position,
            mobile_number: row.mobile_number,
        }
    }
}

/// Lists the deployments within reach (one's own; all for national administrators).
#[utoipa::path(
    tag = "directory",
    params(PageParams),
    responses(
        (status = 200, description = "One page of deployments.", body = ListPage<DeploymentView>),
        (status = 400, description = "Invalid parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = []), ("bearer" = []))
)]
#[get("/v1/deployments")]
pub async fn list_deployments(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<DeploymentView>>, ApiError> {
    let (limit, after) = (page.limit()?, page.after()?);
    let reach = policy::directory(&caller);
    let page = with_conn(&state.pool, move |conn| {
        Ok(store::directory::deployments(conn, reach, after, limit)?)
    })
    .await?;
    Ok(web::Json(ListPage::from_store(page, DeploymentView::from)))
}

/// Lists the structures of the caller's deployment.
#[utoipa::path(
    tag = "directory",
    params(PageParams),
    responses(
        (status = 200, description = "One page of structures.", body = ListPage<StructureView>),
        (status = 400, description = "Invalid parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = []), ("bearer" = []))
)]
#[get("/v1/structures")]
pub async fn list_structures(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<StructureView>>, ApiError> {
    let (limit, after) = (page.limit()?, page.after()?);
    let reach = policy::directory(&caller);
    let partner = matches!(caller.principal, Principal::Client(_));
    let page = with_conn(&state.pool, move |conn| {
        Ok(store::directory::structures(
            conn, reach, partner, after, limit,
        )?)
    })
    .await?;
    Ok(web::Json(ListPage::from_store(page, StructureView::from)))
}

/// Lists the professionals of the caller's deployment (a beneficiary sees the members of their
/// own follow-up group).
#[utoipa::path(
    tag = "directory",
    params(PageParams),
    responses(
        (status = 200, description = "One page of professionals.", body = ListPage<ProfessionalView>),
        (status = 400, description = "Invalid parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = []), ("bearer" = []))
)]
#[get("/v1/professionals")]
pub async fn list_professionals(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<ProfessionalView>>, ApiError> {
    let (limit, after) = (page.limit()?, page.after()?);
    let reach = policy::directory(&caller);
    let own = own_group(&caller);
    let page = with_conn(&state.pool, move |conn| {
        Ok(store::directory::professionals(
            conn, reach, own, after, limit,
        )?)
    })
    .await?;
    Ok(web::Json(ListPage::from_store(
        page,
        ProfessionalView::from,
    )))
}

/// The professionals a beneficiary may see: the active members of their own group.
fn own_group(caller: &Caller) -> Option<Uuid> {
    match &caller.principal {
        Principal::Account(account) if account.role == Role::Beneficiary => account.profile_id,
        _ => None,
    }
}

/// One structure of the caller's deployment.
#[utoipa::path(
    tag = "directory",
    params(("id" = Uuid, Path, description = "Structure id.")),
    responses(
        (status = 200, description = "The structure.", body = StructureView),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such structure within your reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = []), ("bearer" = []))
)]
#[get("/v1/structures/{id}")]
pub async fn get_structure(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<StructureView>, ApiError> {
    let reach = policy::directory(&caller);
    let partner = matches!(caller.principal, Principal::Client(_));
    let id = id.into_inner();
    let row = with_conn(&state.pool, move |conn| {
        Ok(store::directory::structure_within(
            conn, reach, partner, id,
        )?)
    })
    .await?
    .ok_or_else(|| ApiError::not_found("structure"))?;
    Ok(web::Json(StructureView::from(row)))
}

/// One professional of the caller's deployment (for a beneficiary, a member of their group).
#[utoipa::path(
    tag = "directory",
    params(("id" = Uuid, Path, description = "Professional id.")),
    responses(
        (status = 200, description = "The professional.", body = ProfessionalView),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such professional within your reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = []), ("bearer" = []))
)]
#[get("/v1/professionals/{id}")]
pub async fn get_professional(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<ProfessionalView>, ApiError> {
    let reach = policy::directory(&caller);
    let own = own_group(&caller);
    let id = id.into_inner();
    let row = with_conn(&state.pool, move |conn| {
        Ok(store::directory::professional_within(conn, reach, own, id)?)
    })
    .await?
    .ok_or_else(|| ApiError::not_found("professional"))?;
    Ok(web::Json(ProfessionalView::from(row)))
}
