//! Operational endpoints: liveness, readiness and metrics.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;

/// State of the process.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when alive, `ready` when able to serve.
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness: the process answers HTTP (no dependency is checked).
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process is alive.", body = Health))
)]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".to_owned(),
    })
}

/// Readiness: the database is reachable and every migration of this binary is applied.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve.", body = Health),
        (status = 503, description = "The database is unreachable or not migrated.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    let pool = state.pool.clone();
    let checked = web::block(move || -> Result<bool, String> {
        let mut conn = pool
            .get_timeout(Duration::from_secs(2))
            .map_err(|e| e.to_string())?;
        crate::postgres::is_migrated(&mut conn).map_err(|e| e.to_string())
    })
    .await;
    match checked {
        Ok(Ok(true)) => Ok(web::Json(Health {
            status: "ready".to_owned(),
        })),
        Ok(Ok(false)) => Err(ApiError::new(
            ErrorCode::DatabaseUnavailable,
            "The database schema is not migrated to this version: run `cdb-hub migrate`.",
        )),
        Ok(Err(reason)) => {
            tracing::warn!(%reason, "readiness check failed");
            Err(ApiError::new(
                ErrorCode::DatabaseUnavailable,
                "The database cannot be reached.",
            ))
        }
        Err(error) => Err(ApiError::internal(&error)),
    }
}

/// Metrics in the Prometheus text format: HTTP requests by route and status, job counts by
/// queue and state.
/// When the operator set a metrics token, only a request bearing it is answered.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition format.", body = String, content_type = "text/plain"),
        (status = 401, description = "A metrics token is configured and this request does not bear it.", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
#[get("/metrics")]
pub async fn metrics(
    request: actix_web::HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if let Some(expected) = &state.auth.metrics_token {
        let sent = crate::api::caller::bearer_token(&request).unwrap_or_default();
        // Digests are compared, not the tokens: how long the comparison takes tells nothing
        // about the token itself.
        let same =
            crate::auth::secrets::sha256_hex(sent) == crate::auth::secrets::sha256_hex(expected);
        if !same {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "The metrics need the operator's metrics token.",
            ));
        }
    }
    let pool = state.pool.clone();
    if let Ok(Err(error)) = web::block(move || crate::jobs::refresh_job_metrics(&pool)).await {
        tracing::warn!(%error, "job counts could not be read for the metrics");
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::telemetry::metrics::render()))
}
