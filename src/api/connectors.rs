//! Connector instances over HTTP: create, read, change, enable/disable, delete; start a run and
//! read the run history record by record. Secrets go in, sealed, and never come out.

use crate::domain::states::{ConnectorKind, UnknownName};
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use utoipa::ToSchema;
use uuid::Uuid;

use super::db::with_conn;
use super::pagination::{ListPage, PageParams};
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::auth::caller::{Caller, Principal};
use crate::domain::role::Role;
use crate::domain::scopes::Scope;
use crate::sources::kinds;
use crate::store::connector_files;
use crate::store::connectors::{self, InstanceChanges, NewInstance};

/// An instance as shown (no secrets, only whether there are some).
#[derive(Debug, Serialize, ToSchema)]
pub struct InstanceRow {
    /// The instance.
    pub id: Uuid,
    /// Its deployment.
    pub deployment_id: Uuid,
    /// france_travail, caf_msa or departement.
    pub kind: String,
    /// A name unique in the deployment.
    pub name: String,
    /// Settings without secrets.
    #[schema(value_type = Object)]
    pub config: serde_json::Value,
    /// Whether secrets are set (they are never returned).
    pub has_secrets: bool,
    /// Cron schedule (6 fields with seconds, UTC), if it runs on its own.
    pub schedule: Option<String>,
    /// Whether it runs.
    pub enabled: bool,
    /// Hours without a successful run after which the instance is stale.
    pub stale_after_hours: i32,
    /// End of the last successful run.
    pub last_success_at: Option<DateTime<Utc>>,
    /// True when no run succeeded within `stale_after_hours` (and it is enabled).
    pub stale: bool,
    /// Creation.
    pub created_at: DateTime<Utc>,
}

impl From<connectors::InstanceRow> for InstanceRow {
    fn from(row: connectors::InstanceRow) -> Self {
        InstanceRow {
            id: row.id,
            deployment_id: row.deployment_id,
            kind: row.kind.to_string(),
            name: row.name,
            config: row.config,
            has_secrets: row.has_secrets,
            schedule: row.schedule,
            enabled: row.enabled,
            stale_after_hours: row.stale_after_hours,
            last_success_at: row.last_success_at,
            stale: row.stale,
            created_at: row.created_at,
        }
    }
}

/// A run as shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunRow {
    /// The run.
    pub id: Uuid,
    /// Its instance.
    pub instance_id: Uuid,
    /// schedule, manual or file.
    pub trigger: String,
    /// queued, running, succeeded or failed.
    pub status: String,
    /// When it was asked for.
    pub queued_at: DateTime<Utc>,
    /// Start.
    pub started_at: Option<DateTime<Utc>>,
    /// End.
    pub finished_at: Option<DateTime<Utc>>,
    /// read, created, updated, unchanged, rejected, possible_match, not_found, error.
    #[schema(value_type = Object)]
    pub counts: serde_json::Value,
    /// Why it failed.
    pub error: Option<String>,
    /// Attempts (a run resumed after a restart counts twice).
    pub attempts: i32,
}

impl From<connectors::RunRow> for RunRow {
    fn from(row: connectors::RunRow) -> Self {
        RunRow {
            id: row.id,
            instance_id: row.instance_id,
            trigger: row.trigger,
            status: row.status,
            queued_at: row.queued_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            counts: row.counts,
            error: row.error,
            attempts: row.attempts,
        }
    }
}

/// What a run did with one record.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemRow {
    /// Position in the run.
    pub id: i64,
    /// The record, as the source names it (never a NIR).
    pub record_ref: String,
    /// created, updated, unchanged, possible_match, rejected, not_found or error.
    pub outcome: String,
    /// The person, when known.
    pub beneficiary_id: Option<Uuid>,
    /// Why (errors, rejections).
    pub message: Option<String>,
}

impl From<connectors::ItemRow> for ItemRow {
    fn from(row: connectors::ItemRow) -> Self {
        ItemRow {
            id: row.id,
            record_ref: row.record_ref,
            outcome: row.outcome,
            beneficiary_id: row.beneficiary_id,
            message: row.message,
        }
    }
}

/// A file as shown (without its content).
#[derive(Debug, Serialize, ToSchema)]
pub struct FileRow {
    /// The file.
    pub id: Uuid,
    /// Its instance.
    pub instance_id: Uuid,
    /// Name given at upload.
    pub file_name: String,
    /// SHA-256 of the content.
    pub sha256: String,
    /// Size.
    pub size_bytes: i64,
    /// The file's own creation date (the order of application).
    pub flux_created_at: Option<DateTime<Utc>>,
    /// received, applied or rejected.
    pub status: String,
    /// Counts and lists of the application.
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
    /// Why it was rejected.
    pub error: Option<String>,
    /// Reception.
    pub received_at: DateTime<Utc>,
    /// Application.
    pub applied_at: Option<DateTime<Utc>>,
}

impl From<connector_files::FileRow> for FileRow {
    fn from(row: connector_files::FileRow) -> Self {
        FileRow {
            id: row.id,
            instance_id: row.instance_id,
            file_name: row.file_name,
            sha256: row.sha256,
            size_bytes: row.size_bytes,
            flux_created_at: row.flux_created_at,
            status: row.status,
            report: row.report,
            error: row.error,
            received_at: row.received_at,
            applied_at: row.applied_at,
        }
    }
}

/// Who administers connectors: the deployment's managers (in a session), national
/// administrators, and partner systems of a whole deployment holding `connectors:admin` (a
/// client narrowed to a structure never: a connector reads and writes the whole deployment).
/// Answers the deployment filter (`None`: every deployment).
/// Who administers connectors, and where: `None` for every deployment (a national
/// administrator), else the deployment (its managers in a session, its whole-deployment API
/// clients with `connectors:admin`).
pub fn administrators(caller: &Caller) -> Result<Option<Uuid>, ApiError> {
    caller.require(Scope::ConnectorsAdmin)?;
    match &caller.principal {
        Principal::Client(client) if client.structure_id.is_some() => Err(ApiError::new(
            ErrorCode::Forbidden,
            "A client narrowed to a structure does not administer connectors: they act on the whole deployment.",
        )),
        Principal::Client(client) => Ok(Some(client.deployment_id)),
        Principal::Account(account) if !account.is_session => Err(ApiError::new(
            ErrorCode::Forbidden,
            "Connectors hold credentials: manage them in a session, not with a personal token.",
        )),
        Principal::Account(account) => match account.role {
            Role::AdminCdb => Ok(None),
            Role::Manager => account
                .deployment_id
                .map(Some)
                .ok_or_else(|| ApiError::new(ErrorCode::Forbidden, "Managers only.")),
            _ => Err(ApiError::new(
                ErrorCode::Forbidden,
                "Connectors are administered by the deployment's managers.",
            )),
        },
    }
}

fn setting_error(error: kinds::SettingError) -> ApiError {
    ApiError::new(ErrorCode::ValidationFailed, "The settings are not valid.").with(
        "errors",
        serde_json::json!([{"field": error.field, "code": "invalid_setting", "message": error.message}]),
    )
}

fn schedule(text: Option<&str>) -> Result<Option<String>, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => cron::Schedule::from_str(text)
            .map(|_| Some(text.to_owned()))
            .map_err(|e| {
                ApiError::new(
                    ErrorCode::ValidationFailed,
                    format!(
                        "schedule {text:?} is not a cron expression with seconds, e.g. \"0 0 2 * * *\" ({e})."
                    ),
                )
            }),
    }
}

fn name(text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 200 || text.contains('\0') {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "name must have 1 to 200 characters.",
        ));
    }
    Ok(text.to_owned())
}

fn seal(
    state: &AppState,
    instance: Uuid,
    secrets: &serde_json::Value,
) -> Result<Vec<u8>, ApiError> {
    let plain = serde_json::to_vec(secrets).map_err(|e| ApiError::internal(&e))?;
    state
        .secrets
        .seal(instance, &plain)
        .map_err(|e| ApiError::internal(&e))
}

/// A connector instance to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConnector {
    /// france_travail, caf_msa or departement.
    pub kind: String,
    /// A name unique in the deployment.
    pub name: String,
    /// The deployment (national administrators only; others use their own).
    pub deployment_id: Option<Uuid>,
    /// Settings of the kind (France Travail: `client_id`, `auth_base_url`, `api_base_url`,
    /// `realm`, `calls_per_second`; files: `inbox_dir`, `profile`, `create_entrants`).
    #[schema(value_type = Object)]
    pub config: Option<serde_json::Value>,
    /// Secrets of the kind (France Travail: `client_secret`, and `extract_private_key`, the PEM
    /// RSA key opening S/MIME extract files), sealed at rest, never returned.
    #[schema(value_type = Object)]
    pub secrets: Option<serde_json::Value>,
    /// Cron expression with seconds, UTC (e.g. `0 0 2 * * *` every night at 2:00).
    pub schedule: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
    /// Hours without a successful run before the instance is flagged stale (default 48).
    pub stale_after_hours: Option<i32>,
}

fn stale_hours(hours: Option<i32>) -> Result<Option<i32>, ApiError> {
    match hours {
        Some(h) if !(1..=8760).contains(&h) => Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "stale_after_hours must be between 1 and 8760.",
        )),
        other => Ok(other),
    }
}

/// Creates a connector instance.
#[utoipa::path(
    tag = "connectors",
    request_body = NewConnector,
    responses(
        (status = 201, description = "Created.", body = InstanceRow),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator of connectors.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken in the deployment.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid settings, secrets or schedule.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["connectors:admin"]), ("bearer" = []))
)]
#[post("/v1/connectors")]
pub async fn create_connector(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewConnector>,
) -> Result<HttpResponse, ApiError> {
    let scope = administrators(&caller)?;
    let body = body.into_inner();
    let deployment = match (scope, body.deployment_id) {
        (Some(own), None) => own,
        (Some(own), Some(asked)) if asked == own => own,
        (Some(_), Some(_)) => return Err(ApiError::not_found("deployment")),
        (None, Some(asked)) => asked,
        (None, None) => {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                "deployment_id is required for a national administrator.",
            ));
        }
    };
    let config = body.config.unwrap_or_else(|| serde_json::json!({}));
    let kind: ConnectorKind = body.kind.parse().map_err(|e: UnknownName| {
        setting_error(kinds::SettingError {
            field: "kind".into(),
            message: e.to_string(),
        })
    })?;
    kinds::validate(kind, &config, body.secrets.as_ref()).map_err(setting_error)?;
    kinds::allowed(&state.connector_rules, deployment, &config).map_err(setting_error)?;
    let id = Uuid::new_v4();
    let sealed = match &body.secrets {
        Some(secrets) => Some(seal(&state, id, secrets)?),
        None => None,
    };
    let new = NewInstance {
        id,
        deployment_id: deployment,
        kind,
        name: name(&body.name)?,
        config,
        secrets: sealed,
        schedule: schedule(body.schedule.as_deref())?,
        enabled: body.enabled.unwrap_or(true),
        stale_after_hours: stale_hours(body.stale_after_hours)?.unwrap_or(48),
    };
    let created = with_conn(&state.pool, move |conn| {
        if connectors::deployment_exists(conn, new.deployment_id)? {
            Ok(connectors::create(conn, &new)?)
        } else {
            Err(ApiError::not_found("deployment"))
        }
    })
    .await?
    .ok_or_else(|| {
        ApiError::new(
            ErrorCode::Conflict,
            "A connector of this deployment already has this name.",
        )
    })?;
    tracing::info!(instance = %created.id, kind = %created.kind, "connector instance created");
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/connectors/{}", created.id)))
        .json(InstanceRow::from(created)))
}

/// Lists the connector instances within reach, in the order they were created, paged.
#[utoipa::path(
    tag = "connectors",
    params(PageParams),
    responses(
        (status = 200, description = "One page of instances.", body = ListPage<InstanceRow>),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator of connectors.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["connectors:admin"]), ("bearer" = []))
)]
#[get("/v1/connectors")]
pub async fn list_connectors(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<InstanceRow>>, ApiError> {
    let scope = administrators(&caller)?;
    let (limit, after) = (page.limit()?, page.after_instant()?);
    let rows = with_conn(&state.pool, move |conn| {
        Ok(connectors::page(conn, scope, after, limit + 1)?)
    })
    .await?;
    Ok(web::Json(ListPage::from_timed(
        rows,
        limit,
        |row| (row.created_at, row.id),
        InstanceRow::from,
    )))
}

/// Reads one connector instance (secrets are never returned).
#[utoipa::path(
    tag = "connectors",
    params(("id" = Uuid, Path, description = "Instance id.")),
    responses(
        (status = 200, description = "The instance.", body = InstanceRow),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator of connectors.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such instance within reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["connectors:admin"]), ("bearer" = []))
)]
#[get("/v1/connectors/{id}")]
pub async fn get_connector(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<InstanceRow>, ApiError> {
    let scope = administrators(&caller)?;
    let id = id.into_inner();
    let row = with_conn(&state.pool, move |conn| {
        connectors::get(conn, scope, id)?.ok_or_else(|| ApiError::not_found("connector"))
    })
    .await?;
    Ok(web::Json(InstanceRow::from(row)))
}

/// Changes to an instance: absent fields stay; `schedule: null` removes the schedule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorChanges {
    /// New name.
    pub name: Option<String>,
    /// New settings (replace the old ones).
    #[schema(value_type = Option<Object>)]
    pub config: Option<serde_json::Value>,
    /// New secrets (replace the old ones).
    #[schema(value_type = Option<Object>)]
    pub secrets: Option<serde_json::Value>,
    /// New schedule, or null for none.
    #[serde(default, deserialize_with = "super::extractors::present")]
    #[schema(value_type = Option<String>)]
    pub schedule: Option<Option<String>>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// New staleness threshold in hours.
    pub stale_after_hours: Option<i32>,
}

/// Changes a connector instance: settings, secrets, schedule, enabled.
#[utoipa::path(
    tag = "connectors",
    params(("id" = Uuid, Path, description = "Instance id.")),
    request_body = ConnectorChanges,
    responses(
        (status = 200, description = "Changed.", body = InstanceRow),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator of connectors.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such instance within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken in the deployment.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid settings, secrets or schedule.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["connectors:admin"]), ("bearer" = []))
)]
#[patch("/v1/connectors/{id}")]
pub async fn update_connector(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<ConnectorChanges>,
) -> Result<web::Json<InstanceRow>, ApiError> {
    let scope = administrators(&caller)?;
    let id = id.into_inner();
    let body = body.into_inner();
    let current = with_conn(&state.pool, move |conn| {
        connectors::get(conn, scope, id)?.ok_or_else(|| ApiError::not_found("connector"))
    })
    .await?;
    if let Some(config) = &body.config
        && body.secrets.is_none()
        && current.has_secrets
        && redirects_secrets(&current.config, config)
    {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "Changing where an instance connects (a URL or the client id) needs its secrets again in the same request: the stored ones never follow a new host.",
        )
        .with(
            "errors",
            serde_json::json!([{"field": "secrets", "code": "secrets_required", "message": "send the secrets with the new settings"}]),
        ));
    }
    if body.config.is_some() || body.secrets.is_some() {
        let config = body.config.clone().unwrap_or(current.config.clone());
        // Secrets left as they are stay valid; only new ones are checked with the settings.
        let check_secrets = body.secrets.clone().or_else(|| {
            current
                .has_secrets
                .then(|| placeholder_secrets(current.kind))
        });
        kinds::validate(current.kind, &config, check_secrets.as_ref()).map_err(setting_error)?;
        kinds::allowed(&state.connector_rules, current.deployment_id, &config)
            .map_err(setting_error)?;
    }
    let changes = InstanceChanges {
        name: body.name.as_deref().map(name).transpose()?,
        config: body.config,
        secrets: match &body.secrets {
            Some(secrets) => Some(seal(&state, id, secrets)?),
            None => None,
        },
        schedule: match body.schedule {
            Some(text) => Some(schedule(text.as_deref())?),
            None => None,
        },
        enabled: body.enabled,
        stale_after_hours: stale_hours(body.stale_after_hours)?,
    };
    let row = with_conn(&state.pool, move |conn| {
        connectors::update(conn, scope, id, &changes)
            .map_err(|error| match crate::store::violation(&error) {
                Some((crate::store::Violation::Unique, _)) => ApiError::new(
                    ErrorCode::Conflict,
                    "A connector of this deployment already has this name.",
                ),
                _ => ApiError::internal(&error),
            })?
            .ok_or_else(|| ApiError::not_found("connector"))
    })
    .await?;
    Ok(web::Json(InstanceRow::from(row)))
}

/// Whether new settings change where the instance's secrets would be sent: a URL or the
/// client id they authenticate.
fn redirects_secrets(current: &serde_json::Value, new: &serde_json::Value) -> bool {
    let keys = |config: &serde_json::Value| -> Vec<String> {
        config
            .as_object()
            .map(|object| object.keys().cloned().collect())
            .unwrap_or_default()
    };
    keys(current)
        .into_iter()
        .chain(keys(new))
        .filter(|key| key.ends_with("_url") || key == "client_id")
        .any(|key| current.get(&key) != new.get(&key))
}

/// Secrets of the right shape, to check new settings against when the stored secrets stay.
fn placeholder_secrets(kind: ConnectorKind) -> serde_json::Value {
    match kind {
        ConnectorKind::FranceTravail => serde_json::json!({"client_secret": "unchanged"}),
        ConnectorKind::CafMsa | ConnectorKind::Departement => serde_json::json!({}),
    }
}

/// Deletes a connector instance (it stops; its run history is kept).
#[utoipa::path(
    tag = "connectors",
    params(("id" = Uuid, Path, description = "Instance id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator of connectors.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such instance within reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["connectors:admin"]), ("bearer" = []))
)]
#[delete("/v1/connectors/{id}")]
pub async fn delete_connector(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let scope = administrators(&caller)?;
    let id = id.into_inner();
    let deleted = with_conn(&state.pool, move |conn| {
        Ok(connectors::delete(conn, scope, id)?)
    })
    .await?;
    if deleted {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("connector"))
    }
}

/// Starts a run now (executed by the workers within seconds).
#[utoipa::path(
    tag = "connectors",
    params(("id" = Uuid, Path, description = "Instance id.")),
    responses(
        (status = 202, description = "Queued; follow it at its Location.", body = RunRow),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator of connectors.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such instance within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A run is already queued or running (its id is in `run_id`), or the instance is disabled.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["connectors:admin"]), ("bearer" = []))
)]
#[post("/v1/connectors/{id}/runs")]
pub async fn start_run(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let run = with_conn(&state.pool, move |conn| queue_manual_run(conn, &caller, id)).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((
            header::LOCATION,
            format!("/v1/connectors/{id}/runs/{}", run.id),
        ))
        .json(RunRow::from(run)))
}

/// The runs of an instance, newest first.
#[utoipa::path(
    tag = "connectors",
    params(("id" = Uuid, Path, description = "Instance id."), PageParams),
    responses(
        (status = 200, description = "One page of runs.", body = ListPage<RunRow>),
        (status = 400, description = "Invalid parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator of connectors.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such instance within reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["connectors:admin"]), ("bearer" = []))
)]
#[get("/v1/connectors/{id}/runs")]
pub async fn list_runs(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<RunRow>>, ApiError> {
    let scope = administrators(&caller)?;
    let id = id.into_inner();
    let (limit, after) = (page.limit()?, page.after()?);
    let rows = with_conn(&state.pool, move |conn| {
        connectors::get(conn, scope, id)?.ok_or_else(|| ApiError::not_found("connector"))?;
        Ok(connectors::runs(conn, id, after, limit + 1)?)
    })
    .await?;
    let page = crate::store::Page::from_rows(rows, limit, |row| row.id);
    Ok(web::Json(ListPage::from_store(page, RunRow::from)))
}

/// One run of an instance.
#[utoipa::path(
    tag = "connectors",
    params(("id" = Uuid, Path, description = "Instance id."), ("run_id" = Uuid, Path, description = "Run id.")),
    responses(
        (status = 200, description = "The run.", body = RunRow),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator of connectors.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run within reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["connectors:admin"]), ("bearer" = []))
)]
#[get("/v1/connectors/{id}/runs/{run_id}")]
pub async fn get_run(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<RunRow>, ApiError> {
    let scope = administrators(&caller)?;
    let (id, run) = path.into_inner();
    let row = with_conn(&state.pool, move |conn| {
        connectors::get(conn, scope, id)?.ok_or_else(|| ApiError::not_found("connector"))?;
        connectors::run(conn, id, run)?.ok_or_else(|| ApiError::not_found("run"))
    })
    .await?;
    Ok(web::Json(RunRow::from(row)))
}

/// What a run did, record by record.
#[utoipa::path(
    tag = "connectors",
    params(("id" = Uuid, Path, description = "Instance id."), ("run_id" = Uuid, Path, description = "Run id."), PageParams),
    responses(
        (status = 200, description = "One page of items.", body = ListPage<ItemRow>),
        (status = 400, description = "Invalid parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator of connectors.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run within reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["connectors:admin"]), ("bearer" = []))
)]
#[get("/v1/connectors/{id}/runs/{run_id}/items")]
pub async fn list_run_items(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<ItemRow>>, ApiError> {
    let scope = administrators(&caller)?;
    let (id, run) = path.into_inner();
    let limit = page.limit()?;
    let after = page
        .cursor
        .as_deref()
        .map(super::pagination::decode_sequence)
        .transpose()?;
    let rows = with_conn(&state.pool, move |conn| {
        connectors::get(conn, scope, id)?.ok_or_else(|| ApiError::not_found("connector"))?;
        connectors::run(conn, id, run)?.ok_or_else(|| ApiError::not_found("run"))?;
        Ok(connectors::items(conn, run, after, limit + 1)?)
    })
    .await?;
    let mut rows = rows;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        rows.last()
            .map(|row| crate::domain::cursor::after_sequence(row.id))
    } else {
        None
    };
    Ok(web::Json(ListPage {
        items: rows.into_iter().map(ItemRow::from).collect(),
        next_cursor,
    }))
}

/// Largest file a connector instance accepts (a département's whole monthly flux).
pub const MAX_FILE_BYTES: usize = 512 * 1024 * 1024;

/// Query of a file upload.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileName {
    /// The file's name, as the agent knows it (e.g. `RSABEM_20261101.xml`).
    pub name: Option<String>,
}

/// What was received: the whole file, or a flux's first bytes with the large object holding it.
struct Received {
    /// The whole file, or the first bytes of a flux (enough for its header).
    head: Vec<u8>,
    /// The large object of a streamed flux.
    oid: Option<u32>,
    /// Size in bytes.
    size: i64,
    /// SHA-256, hex.
    sha256: String,
}

/// Bytes of a flux kept in memory for its header.
const FLUX_HEAD: usize = 256 * 1024;

/// Bytes written to the large object at a time.
const FLUX_PIECE: usize = 4 * 1024 * 1024;

/// Streams a flux into a new large object; on failure the object is deleted.
async fn stream_flux<S, E>(
    pool: &crate::postgres::DbPool,
    payload: &mut S,
) -> Result<Received, ApiError>
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    use crate::store::large_objects;
    let oid = with_conn(pool, |conn| Ok(large_objects::create(conn)?)).await?;
    let streamed = write_flux(pool, payload, oid).await;
    if streamed.is_err() {
        let _ = with_conn(pool, move |conn| Ok(large_objects::unlink(conn, oid)?)).await;
    }
    streamed
}

async fn write_flux<S, E>(
    pool: &crate::postgres::DbPool,
    payload: &mut S,
    oid: u32,
) -> Result<Received, ApiError>
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    use futures_util::StreamExt;
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let mut head = Vec::new();
    let mut piece = Vec::with_capacity(FLUX_PIECE);
    let mut size: i64 = 0;
    let mut written: i64 = 0;
    loop {
        let next = payload.next().await;
        let end = next.is_none();
        if let Some(chunk) = next {
            let chunk =
                chunk.map_err(|e| ApiError::invalid_parameter(format!("unreadable body: {e}")))?;
            hasher.update(&chunk);
            if head.len() < FLUX_HEAD {
                head.extend_from_slice(&chunk[..chunk.len().min(FLUX_HEAD - head.len())]);
            }
            size += i64::try_from(chunk.len()).unwrap_or(i64::MAX);
            piece.extend_from_slice(&chunk);
        }
        if piece.len() >= FLUX_PIECE || (end && !piece.is_empty()) {
            let bytes = std::mem::replace(&mut piece, Vec::with_capacity(FLUX_PIECE));
            let offset = written;
            written += i64::try_from(bytes.len()).unwrap_or(i64::MAX);
            with_conn(pool, move |conn| {
                Ok(crate::store::large_objects::write_at(
                    conn, oid, offset, &bytes,
                )?)
            })
            .await?;
        }
        if end {
            break;
        }
    }
    Ok(Received {
        head,
        oid: Some(oid),
        size,
        sha256: hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    })
}

/// Sends a file to an instance (CAF/MSA flux bénéficiaires, France Travail weekly principal or
/// actions extract, clear or S/MIME-encrypted): the raw file as the body.
/// It is kept before anything else and applied by the workers, in the order of the files' own
/// creation dates; the same file sent again is recognised and not applied twice.
#[utoipa::path(
    tag = "connectors",
    params(("id" = Uuid, Path, description = "Instance id."), FileName),
    request_body(content = Vec<u8>, content_type = "application/xml", description = "The flux file as received (windows-1252 XML)."),
    responses(
        (status = 202, description = "Kept; applied within seconds (see its report).", body = FileRow),
        (status = 200, description = "The same file was already received.", body = FileRow),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator of connectors.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such instance within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This instance does not take files.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 512 MiB (an extract or export; a CAF/MSA flux is streamed, whatever its size).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a file of the instance's kind (kept, rejected, with the reason).", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["connectors:admin"]), ("bearer" = []))
)]
#[post("/v1/connectors/{id}/files")]
pub async fn upload_file(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<FileName>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let name = query.into_inner().name;
    let (kept, is_new) = receive_file(&state, &caller, id, name, &mut payload).await?;
    tracing::info!(instance = %id, file = %kept.id, is_new, "connector file received");
    let location = format!("/v1/connectors/{id}/files/{}", kept.id);
    let mut response = if is_new {
        HttpResponse::Accepted()
    } else {
        HttpResponse::Ok()
    };
    Ok(response
        .insert_header((header::LOCATION, location))
        .json(FileRow::from(kept)))
}

/// The files of an instance, newest first, paged, with their reports.
#[utoipa::path(
    tag = "connectors",
    params(("id" = Uuid, Path, description = "Instance id."), PageParams),
    responses(
        (status = 200, description = "One page of files, newest first.", body = ListPage<FileRow>),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator of connectors.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such instance within reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["connectors:admin"]), ("bearer" = []))
)]
#[get("/v1/connectors/{id}/files")]
pub async fn list_files(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<FileRow>>, ApiError> {
    let scope = administrators(&caller)?;
    let id = id.into_inner();
    let (limit, before) = (page.limit()?, page.after_instant()?);
    let rows = with_conn(&state.pool, move |conn| {
        connectors::get(conn, scope, id)?.ok_or_else(|| ApiError::not_found("connector"))?;
        Ok(crate::store::connector_files::list(
            conn,
            id,
            before,
            limit + 1,
        )?)
    })
    .await?;
    Ok(web::Json(ListPage::from_timed(
        rows,
        limit,
        |row| (row.received_at, row.id),
        FileRow::from,
    )))
}

/// One file of an instance, with its report (counts, unknown people, warnings) or the reason it
/// was rejected.
#[utoipa::path(
    tag = "connectors",
    params(("id" = Uuid, Path, description = "Instance id."), ("file_id" = Uuid, Path, description = "File id.")),
    responses(
        (status = 200, description = "The file.", body = FileRow),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator of connectors.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such file within reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["connectors:admin"]), ("bearer" = []))
)]
#[get("/v1/connectors/{id}/files/{file_id}")]
pub async fn get_file(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<FileRow>, ApiError> {
    let scope = administrators(&caller)?;
    let (id, file) = path.into_inner();
    let row = with_conn(&state.pool, move |conn| {
        connectors::get(conn, scope, id)?.ok_or_else(|| ApiError::not_found("connector"))?;
        crate::store::connector_files::get(conn, id, file)?
            .ok_or_else(|| ApiError::not_found("file"))
    })
    .await?;
    Ok(web::Json(FileRow::from(row)))
}

/// Keeps a file sent to a connector instance the caller administers (a flux streamed into a
/// large object, other files bounded in memory), inspects it and queues the run that applies
/// it; a file rejected on inspection is kept with its reason (422 naming it). Answers the file
/// and whether it was new (the API's upload and the console's).
pub async fn receive_file<S, E>(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    name: Option<String>,
    payload: &mut S,
) -> Result<(connector_files::FileRow, bool), ApiError>
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    use futures_util::StreamExt;
    let scope = administrators(caller)?;
    let instance = with_conn(&state.pool, move |conn| {
        connectors::get(conn, scope, id)?.ok_or_else(|| ApiError::not_found("connector"))
    })
    .await?;
    // Every kind takes files: CAF/MSA fluxes, France Travail extracts, departmental exports.
    let kind = instance.kind;
    let file_name = name
        .map(|n| n.trim().replace(['/', '\\', '\0'], "_"))
        .filter(|n| !n.is_empty() && n.chars().count() <= 255)
        .unwrap_or_else(|| "flux.xml".to_owned());
    let deployment = instance.deployment_id;
    // A flux is streamed into a large object (memory does not grow with the file); the
    // other files are small and kept in the row.
    let received = if kind == ConnectorKind::CafMsa {
        stream_flux(&state.pool, payload).await?
    } else {
        let mut content = Vec::new();
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|e| ApiError::invalid_parameter(format!("unreadable body: {e}")))?;
            if content.len() + chunk.len() > MAX_FILE_BYTES {
                return Err(ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    "The file is larger than 512 MiB.",
                ));
            }
            content.extend_from_slice(&chunk);
        }
        let sha256 = crate::auth::secrets::sha256_hex_bytes(&content);
        Received {
            size: i64::try_from(content.len()).unwrap_or(i64::MAX),
            head: content,
            oid: None,
            sha256,
        }
    };
    if received.size == 0 {
        if let Some(oid) = received.oid {
            let _ = with_conn(&state.pool, move |conn| {
                Ok(crate::store::large_objects::unlink(conn, oid)?)
            })
            .await;
        }
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "The file is empty.",
        ));
    }
    let (created, error, received) = web::block(move || {
        let (created, error) = crate::sources::inbox::inspect(kind, &received.head);
        (created, error, received)
    })
    .await?;
    let (kept, is_new, rejected) = with_conn(&state.pool, move |conn| {
        let (file, is_new) = crate::store::connector_files::keep(
            conn,
            &crate::store::connector_files::NewFile {
                instance_id: id,
                deployment_id: deployment,
                file_name: &file_name,
                content: received.oid.is_none().then_some(received.head.as_slice()),
                content_oid: received.oid,
                size_bytes: received.size,
                sha256: &received.sha256,
                flux_created_at: created,
                error: error.clone(),
            },
        )?;
        if let (false, Some(oid)) = (is_new, received.oid) {
            crate::store::large_objects::unlink(conn, oid)?;
        }
        if is_new && error.is_none() {
            // A run applies it now; if one is active, the tick queues the next one.
            let _ = connectors::queue_run(conn, id, "file")?;
        }
        Ok((file, is_new, error))
    })
    .await?;
    if let Some(reason) = rejected {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            format!("The file is kept, rejected: {reason}."),
        )
        .with("file_id", serde_json::json!(kept.id)));
    }
    Ok((kept, is_new))
}

/// Queues a manual run of an instance the caller administers (409 when disabled, or when a
/// run is already queued or running: its id in `run_id`).
pub fn queue_manual_run(
    conn: &mut crate::store::Connection,
    caller: &Caller,
    id: Uuid,
) -> Result<connectors::RunRow, ApiError> {
    let scope = administrators(caller)?;
    let instance =
        connectors::get(conn, scope, id)?.ok_or_else(|| ApiError::not_found("connector"))?;
    if !instance.enabled {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "The connector is disabled: enable it first.",
        ));
    }
    match connectors::queue_run(conn, id, "manual")? {
        Some(run) => Ok(run),
        None => {
            let active = connectors::active_run(conn, id)?;
            Err(ApiError::new(
                ErrorCode::Conflict,
                "A run of this connector is already queued or running.",
            )
            .with("run_id", serde_json::json!(active.map(|r| r.id))))
        }
    }
}
