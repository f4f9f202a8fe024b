//! `POST /v1/notebooks/{id}/refresh`: asks France Travail now what it knows of the notebook's
//! person (through the deployment's enabled France Travail instance) and applies it through the
//! inbound pipeline, for a professional who needs it up to date before an appointment.

use crate::domain::person::columns;
use crate::domain::states::ConnectorKind;
use actix_web::{HttpRequest, post, web};
use cdb_connector::ConnectorError;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::db::with_conn;
use super::journal::{self, Access};
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::auth::policy;
use crate::domain::scopes::Scope;
use crate::inbound::canonical::person_records;
use crate::inbound::pipeline::{Options, Outcome};
use crate::sources::{kinds, runner};
use crate::store::{self, connector_runs};

/// What a refresh did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Refreshed {
    /// `updated`, `unchanged`, `possible_match` (kept for a manager) or `not_found` (France
    /// Travail does not know the person).
    pub status: String,
    /// Fields written.
    pub fields: Vec<String>,
}

/// Refreshes a person from France Travail now.
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id."), ("X-Purpose" = Option<String>, Header, description = "Why; required for API clients.")),
    responses(
        (status = 200, description = "Done.", body = Refreshed),
        (status = 400, description = "Missing purpose.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The deployment has no enabled France Travail connector, or the person has neither NIR nor France Travail id.", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "France Travail failed or refused.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[post("/v1/notebooks/{id}/refresh")]
pub async fn refresh_notebook(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<Refreshed>, ApiError> {
    caller.require(Scope::NotebooksWrite)?;
    let purpose = journal::purpose(&request, &caller)?;
    let notebook = id.into_inner();
    let reach = policy::beneficiaries(&caller);
    let (person, instance) = with_conn(&state.pool, move |conn| {
        let Some((person, deployment)) =
            store::notebooks::within_reach(conn, store::reach::beneficiaries(reach), notebook)?
        else {
            return Err(ApiError::not_found("notebook"));
        };
        let instance = connector_runs::enabled_instance(conn, deployment, ConnectorKind::FranceTravail)?
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Conflict,
                    "This deployment has no enabled France Travail connector.",
                )
            })?;
        let person = connector_runs::person_to_look_up(conn, person)?
            .filter(|p| p.nir.is_some() || p.france_travail_id.is_some())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Conflict,
                    "France Travail identifies a person by NIR or France Travail id: this person has neither.",
                )
            })?;
        Ok((person, instance))
    })
    .await?;
    let sealed = instance.secrets.clone().unwrap_or_default();
    let secrets = state
        .secrets
        .open(instance.instance_id, &sealed)
        .map_err(|e| ApiError::internal(&e))?;
    let secrets: serde_json::Value =
        serde_json::from_slice(&secrets).map_err(|e| ApiError::internal(&e))?;
    let connector = kinds::france_travail(&state.connector_rules, &instance.config, &secrets)
        .map_err(|e| ApiError::new(ErrorCode::UpstreamUnavailable, e.message))?;
    let (records, raw) = match connector.read_dossier(&runner::keys_of(&person)).await {
        Ok(dossier) => (
            runner::dossier_records(&dossier, &state.secrets),
            runner::raw_payloads(person.id, &dossier, &state.secrets),
        ),
        Err(ConnectorError::NotFound) => (Vec::new(), Vec::new()),
        Err(error) => {
            tracing::warn!(%error, code = error.code(), "France Travail refresh failed");
            return Err(ApiError::new(
                ErrorCode::UpstreamUnavailable,
                format!("France Travail: {error}"),
            ));
        }
    };
    let deployment = instance.deployment_id;
    let person_id = person.id;
    // The raw answers are kept in the same transaction as what the pipeline made of them.
    let refreshed = with_conn(&state.pool, move |conn| {
        store::transaction(conn, |conn| {
            let mut refreshed = Refreshed {
                status: if records.is_empty() {
                    "not_found".into()
                } else {
                    "unchanged".into()
                },
                fields: Vec::new(),
            };
            store::external_data::keep(
                conn,
                deployment,
                store::external_data::FRANCE_TRAVAIL_API,
                &raw,
            )?;
            for record in person_records(deployment, &records) {
                match crate::inbound::ingest_from_connector(conn, &record, Options::default())? {
                    Outcome::Updated { fields, .. } => {
                        refreshed.status = "updated".into();
                        refreshed.fields.extend(columns(&fields));
                    }
                    Outcome::PossibleMatch { .. } | Outcome::PendingReview => {
                        refreshed.status = "possible_match".into()
                    }
                    _ => {}
                }
            }
            store::access_log::record(
                conn,
                &[journal::entry(
                    &caller,
                    person_id,
                    Some(deployment),
                    Access::Write,
                    "POST /v1/notebooks/{id}/refresh",
                    true,
                    purpose.as_deref(),
                )],
            )?;
            Ok(refreshed)
        })
    })
    .await?;
    Ok(web::Json(refreshed))
}
