//! What every notebook write shares: who may write (active members and partner systems), the
//! notebook's ETag and `If-Match`, the journal entry, and the answer carrying the new version.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::db::with_conn;
use super::journal::{self, Access};
use super::problem::{ApiError, ErrorCode};
use crate::api::state::AppState;
use crate::auth::caller::{Caller, Principal};
use crate::auth::policy::{self, Reach};
use crate::domain::role::Role;
use crate::domain::scopes::Scope;
use crate::store::timeline::{Author, WriteError};
use crate::store::{self, reach};

/// The ETag of a notebook version.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

pub fn if_match(request: &HttpRequest) -> Result<i64, ApiError> {
    let value = request.headers().get(header::IF_MATCH).ok_or_else(|| {
        ApiError::new(
            ErrorCode::PreconditionRequired,
            "Send If-Match with the notebook's ETag (read it with GET /v1/notebooks/{id}).",
        )
    })?;
    value
        .to_str()
        .ok()
        .and_then(|text| {
            text.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .strip_prefix('v')
                .and_then(|n| n.parse().ok())
        })
        .ok_or_else(|| {
            ApiError::invalid_parameter("If-Match must be an ETag of this API, e.g. \"v3\".")
        })
}

/// Who may write a notebook: its active members among professionals and orientation
/// managers, and partner systems holding `notebooks:write` within their reach.
pub fn write_reach(caller: &Caller) -> Result<Reach, ApiError> {
    caller.require(Scope::NotebooksWrite)?;
    match &caller.principal {
        Principal::Client(_) => Ok(policy::beneficiaries(caller)),
        Principal::Account(account)
            if matches!(account.role, Role::Professional | Role::OrientationManager) =>
        {
            match account.deployment_id {
                Some(deployment) => Ok(Reach::ActiveMember {
                    deployment,
                    account_id: account.account_id,
                }),
                None => Err(ApiError::not_found("notebook")),
            }
        }
        Principal::Account(_) => Err(ApiError::new(
            ErrorCode::Forbidden,
            "Only the notebook's members write its plan.",
        )),
    }
}

pub fn write_error(error: WriteError) -> ApiError {
    match error {
        WriteError::StaleVersion { current, .. } => ApiError::new(
            ErrorCode::PreconditionFailed,
            "The notebook changed since you read it: read it again and retry.",
        )
        .with("current_etag", serde_json::json!(etag(current))),
        WriteError::Forbidden(reason) => ApiError::new(ErrorCode::Forbidden, reason),
        WriteError::Conflict(reason) => ApiError::new(ErrorCode::Conflict, reason),
        WriteError::NotFound => ApiError::not_found("plan item in this notebook"),
        WriteError::Invalid(reason) => ApiError::new(ErrorCode::ValidationFailed, reason),
        WriteError::Database(error) => ApiError::internal(&error),
    }
}

/// What a write created.
#[derive(Debug, Serialize, ToSchema)]
pub struct Written {
    /// The new item, for creations.
    pub id: Option<Uuid>,
    /// The notebook's version after the write (also in the ETag header).
    pub version: i64,
}

pub fn written(
    status: actix_web::http::StatusCode,
    id: Option<Uuid>,
    version: i64,
) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(version)))
        .json(Written { id, version })
}

/// Runs a write on a notebook within the caller's write reach, journaled.
pub async fn write<T, F>(
    state: &AppState,
    caller: Caller,
    notebook: Uuid,
    resource: &'static str,
    work: F,
) -> Result<T, ApiError>
where
    F: FnOnce(&mut store::Connection, Author) -> Result<T, WriteError> + Send + 'static,
    T: Send + 'static,
{
    let reach = write_reach(&caller)?;
    write_within(state, caller, reach, notebook, resource, work).await
}

/// Runs a write on a notebook within the given reach, journaled.
pub async fn write_within<T, F>(
    state: &AppState,
    caller: Caller,
    reach: Reach,
    notebook: Uuid,
    resource: &'static str,
    work: F,
) -> Result<T, ApiError>
where
    F: FnOnce(&mut store::Connection, Author) -> Result<T, WriteError> + Send + 'static,
    T: Send + 'static,
{
    let author = Author {
        account_id: caller.account().map(|a| a.account_id),
    };
    with_conn(&state.pool, move |conn| {
        let Some((person, deployment)) =
            store::notebooks::within_reach(conn, reach::beneficiaries(reach), notebook)?
        else {
            return Err(ApiError::not_found("notebook"));
        };
        let result = work(conn, author).map_err(write_error)?;
        store::access_log::record(
            conn,
            &[journal::entry(
                &caller,
                person,
                Some(deployment),
                Access::Write,
                resource,
                true,
                None,
            )],
        )?;
        Ok(result)
    })
    .await
}
