//! Possible matches: records that matched several people, or disagreed on an identity pivot,
//! kept aside until a manager says whether they are about a known person or someone new.

use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::db::with_conn;
use super::pagination::{ListPage, PageParams};
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::domain::role::Role;
use crate::inbound::pipeline::{Forced, Options, Outcome};
use crate::inbound::record::PersonRecord;
use crate::store::{self, possible_matches::MatchRow};

/// A possible match waiting for a decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct PossibleMatchView {
    pub id: Uuid,
    /// `ambiguous` (several people share a key) or `pivot_conflict` (a NIR or birth date
    /// disagrees with the person it matched).
    pub reason: String,
    /// The record as received (source, as-of date, fields).
    #[schema(value_type = Object)]
    pub record: serde_json::Value,
    /// The people it may be about.
    pub candidate_ids: Vec<Uuid>,
    /// `open`, `same_person` or `different_person`.
    pub status: String,
    pub created_at: DateTime<Utc>,
}

impl From<MatchRow> for PossibleMatchView {
    fn from(row: MatchRow) -> Self {
        PossibleMatchView {
            id: row.id,
            reason: row.reason,
            record: row.record,
            candidate_ids: row.candidate_ids,
            status: row.status,
            created_at: row.created_at,
        }
    }
}

/// Managers decide possible matches, in their deployment.
pub fn managed_deployment(caller: &Caller) -> Result<Uuid, ApiError> {
    match caller.account() {
        Some(account) if account.role == Role::Manager => account
            .deployment_id
            .ok_or_else(|| ApiError::new(ErrorCode::Forbidden, "Managers only.")),
        _ => Err(ApiError::new(
            ErrorCode::Forbidden,
            "Possible matches are resolved by the deployment's managers.",
        )),
    }
}

/// Lists the open possible matches of the manager's deployment, oldest first.
#[utoipa::path(
    tag = "sync",
    params(PageParams),
    responses(
        (status = 200, description = "One page of possible matches.", body = ListPage<PossibleMatchView>),
        (status = 400, description = "Invalid parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a manager.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/matches")]
pub async fn list_matches(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<PossibleMatchView>>, ApiError> {
    let deployment = managed_deployment(&caller)?;
    let (limit, after) = (page.limit()?, page.after()?);
    let rows = with_conn(&state.pool, move |conn| {
        Ok(store::possible_matches::open(
            conn,
            deployment,
            after,
            limit + 1,
        )?)
    })
    .await?;
    let page = store::Page::from_rows(rows, limit, |row| row.id);
    Ok(web::Json(ListPage::from_store(
        page,
        PossibleMatchView::from,
    )))
}

/// A manager's decision.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Resolution {
    /// `same_person` (then `beneficiary_id`, one of the candidates) or `different_person`.
    pub decision: String,
    /// The person the record is about, for `same_person`.
    pub beneficiary_id: Option<Uuid>,
}

/// The result of a decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResolutionResult {
    /// The possible match, now decided.
    pub possible_match_id: Uuid,
    /// What the pipeline did with the record.
    #[schema(value_type = Object)]
    pub outcome: serde_json::Value,
}

/// Resolves a possible match: the record is applied to the chosen person, or to a new one, and
/// the decision is kept.
#[utoipa::path(
    tag = "sync",
    params(("id" = Uuid, Path, description = "Possible match id.")),
    request_body = Resolution,
    responses(
        (status = 200, description = "Decided and applied.", body = ResolutionResult),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a manager.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No open possible match with this id in your deployment.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid decision.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/matches/{id}/resolve")]
pub async fn resolve_match(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<Resolution>,
) -> Result<web::Json<ResolutionResult>, ApiError> {
    managed_deployment(&caller)?;
    let id = id.into_inner();
    let body = body.into_inner();
    let result = with_conn(&state.pool, move |conn| {
        resolve(conn, &caller, id, &body.decision, body.beneficiary_id)
    })
    .await?;
    Ok(web::Json(result))
}

/// Decides an open possible match of the manager's deployment and applies its record to the
/// chosen person or to a new one, in one transaction (the API's and the console's).
pub fn resolve(
    conn: &mut store::Connection,
    caller: &Caller,
    id: Uuid,
    decision: &str,
    beneficiary_id: Option<Uuid>,
) -> Result<ResolutionResult, ApiError> {
    let deployment = managed_deployment(caller)?;
    let account = caller.account().map(|a| a.account_id);
    store::transaction::<_, ApiError, _>(conn, |conn| {
        let Some(found) = store::possible_matches::lock_open(conn, id, deployment)? else {
            return Err(ApiError::not_found("open possible match"));
        };
        let (forced, status) = match (decision, beneficiary_id) {
            ("same_person", Some(person)) if found.candidate_ids.contains(&person) => {
                (Forced::SamePerson(person), "same_person")
            }
            ("same_person", _) => {
                return Err(ApiError::new(
                    ErrorCode::ValidationFailed,
                    "same_person needs beneficiary_id, one of the candidates.",
                ));
            }
            ("different_person", _) => (Forced::DifferentPerson, "different_person"),
            _ => {
                return Err(ApiError::new(
                    ErrorCode::ValidationFailed,
                    "decision must be same_person or different_person.",
                ));
            }
        };
        let record: PersonRecord =
            serde_json::from_value::<crate::inbound::record::StoredRecord>(found.record.clone())
                .map_err(|e| ApiError::internal(&e))?
                .into_record(found.deployment_id);
        // A pivot conflict decided as the same person: the pivots the person already has stay.
        let outcome = crate::inbound::ingest_one(
            conn,
            &record,
            "hub_api",
            crate::domain::reach::Reach::Deployment(deployment),
            Options {
                forced: Some(forced),
                ..Options::default()
            },
        )?;
        let resolved = match &outcome {
            Outcome::Created { beneficiary_id, .. }
            | Outcome::Updated { beneficiary_id, .. }
            | Outcome::Unchanged { beneficiary_id, .. } => Some(*beneficiary_id),
            _ => None,
        };
        store::possible_matches::decide(conn, id, status, account, resolved)?;
        Ok(ResolutionResult {
            possible_match_id: id,
            outcome: serde_json::to_value(outcome).unwrap_or_default(),
        })
    })
}
