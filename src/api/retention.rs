//! Retention (data lifecycle): a deployment's retention settings, who is due for the retention
//! purge and when, and the postponement of a person's purge with a reason.
//!
//! For the deployment's managers and the national administrators; a personal access token
//! reads but does not change. A deployment or a person outside the caller's reach is 404.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::db::with_conn;
use super::journal::{self, Access};
use super::pagination::{ListPage, PageParams};
use super::privacy::{journal_denied, parse_reason, person_within_reach};
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::auth::policy;
use crate::domain::retention::{
    self, NOTICE_DAYS, RetentionSettings, notice_horizon, postponement_until, purge_on,
};
use crate::domain::scopes::Scope;
use crate::store::retention::{self as store, DueQuery, DueRow, NewPostponement, PostponementRow};

/// A deployment's retention.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionView {
    /// The deployment.
    pub deployment_id: Uuid,
    /// Days a person is kept after their last activity (their own sign-in or action, an
    /// appointment, a change of their plan, an orientation, a right opened); default 730.
    pub person_inactivity_days: i32,
    /// Days an import's file, a connector's file and raw payloads are kept once applied;
    /// default 90.
    pub file_days: i32,
    /// Days between the managers' notice and the purge, at least (30).
    pub notice_days: u64,
}

impl RetentionView {
    fn of(deployment_id: Uuid, settings: RetentionSettings) -> Self {
        RetentionView {
            deployment_id,
            person_inactivity_days: settings.person_inactivity_days,
            file_days: settings.file_days,
            notice_days: NOTICE_DAYS,
        }
    }
}

/// New retention settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionInput {
    /// Days a person is kept after their last activity: 180 to 3650.
    #[schema(minimum = 180, maximum = 3650, example = 730)]
    pub person_inactivity_days: i32,
    /// Days files and raw payloads are kept once applied: 7 to 730.
    #[schema(minimum = 7, maximum = 730, example = 90)]
    pub file_days: i32,
}

/// The deployment, if the caller manages its retention: 403 for a caller who never does, 404
/// for a deployment outside their reach (as if it did not exist), 403 for a change with a
/// personal access token.
fn managed_deployment(
    conn: &mut crate::store::Connection,
    caller: &Caller,
    deployment: Uuid,
    change: bool,
) -> Result<Uuid, ApiError> {
    let Some(reach) = policy::retention_manager(caller, false) else {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "Only the deployment's managers and the national administrators manage retention.",
        ));
    };
    let within = match reach {
        Some(own) => own == deployment,
        None => store::deployment_exists(conn, deployment)?,
    };
    if !within {
        return Err(ApiError::not_found("deployment"));
    }
    if change && policy::retention_manager(caller, true).is_none() {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "Retention is changed in a session, not with a personal access token.",
        ));
    }
    Ok(deployment)
}

/// Reads a deployment's retention.
#[utoipa::path(
    tag = "retention",
    params(("id" = Uuid, Path, description = "Deployment id.")),
    responses(
        (status = 200, description = "The deployment's retention (the defaults unless it set its own).", body = RetentionView),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a manager or national administrator.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such deployment within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/deployments/{id}/retention")]
pub async fn get_retention(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<RetentionView>, ApiError> {
    let id = id.into_inner();
    let view = with_conn(&state.pool, move |conn| {
        let deployment = managed_deployment(conn, &caller, id, false)?;
        Ok(RetentionView::of(
            deployment,
            store::settings(conn, deployment)?,
        ))
    })
    .await?;
    Ok(web::Json(view))
}

/// Sets a deployment's retention.
///
/// The next nightly sweep applies it: people newly due are announced to the managers a month
/// before their purge; files past the new file retention are deleted.
#[utoipa::path(
    tag = "retention",
    params(("id" = Uuid, Path, description = "Deployment id.")),
    request_body = RetentionInput,
    responses(
        (status = 200, description = "The deployment's retention, as set.", body = RetentionView),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a manager or national administrator in a session.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such deployment within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A duration out of its bounds.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/v1/deployments/{id}/retention")]
pub async fn set_retention(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<RetentionInput>,
) -> Result<web::Json<RetentionView>, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let settings = RetentionSettings::new(body.person_inactivity_days, body.file_days)
        .map_err(|error| ApiError::new(ErrorCode::ValidationFailed, error.to_string()))?;
    let by = caller.account().map(|account| account.account_id);
    let view = with_conn(&state.pool, move |conn| {
        let deployment = managed_deployment(conn, &caller, id, true)?;
        store::save_settings(conn, deployment, settings, by)?;
        Ok(RetentionView::of(deployment, settings))
    })
    .await?;
    Ok(web::Json(view))
}

/// Which due people to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueParams {
    /// The deployment (required for a national administrator; a manager's own by default).
    pub deployment: Option<Uuid>,
    /// People due on this day or before (default: in 30 days, the notice period).
    pub before: Option<NaiveDate>,
}

/// A person due for the retention purge.
#[derive(Debug, Serialize, ToSchema)]
pub struct DueView {
    /// The person.
    pub beneficiary_id: Uuid,
    /// Their notebook, if any.
    pub notebook_id: Option<Uuid>,
    /// First name.
    pub firstname: String,
    /// Last name.
    pub lastname: String,
    /// Birth date.
    pub date_of_birth: NaiveDate,
    /// Their last activity.
    pub last_activity_at: DateTime<Utc>,
    /// The day their retention ends (a postponement included).
    pub due_on: NaiveDate,
    /// When the managers were told (null: not yet; the nightly sweep tells them).
    pub noticed_at: Option<DateTime<Utc>>,
    /// The day of the purge: the due day, or 30 days after the notice when it came late; null
    /// before the notice.
    pub purge_on: Option<NaiveDate>,
    /// The latest postponement, if any.
    pub postponed_until: Option<NaiveDate>,
    /// Its reason.
    pub postponement_reason: Option<String>,
}

impl From<DueRow> for DueView {
    fn from(row: DueRow) -> Self {
        DueView {
            beneficiary_id: row.beneficiary_id,
            notebook_id: row.notebook_id,
            firstname: row.firstname,
            lastname: row.lastname,
            date_of_birth: row.date_of_birth,
            last_activity_at: row.last_activity_at,
            due_on: row.due_on,
            noticed_at: row.noticed_at,
            purge_on: purge_on(row.due_on, row.noticed_at),
            postponed_until: row.postponed_until,
            postponement_reason: row.postponement_reason,
        }
    }
}

/// The cursor of a due list: the due day and the person.
fn due_cursor(row: &DueRow) -> (DateTime<Utc>, Uuid) {
    (
        row.due_on.and_time(chrono::NaiveTime::MIN).and_utc(),
        row.beneficiary_id,
    )
}

/// Lists the people due for the retention purge by a day, in due order.
#[utoipa::path(
    tag = "retention",
    params(DueParams, PageParams),
    responses(
        (status = 200, description = "One page of people due, by due day.", body = ListPage<DueView>),
        (status = 400, description = "Invalid parameter (a national administrator must name the deployment).", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a manager or national administrator.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such deployment within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/retention/due")]
pub async fn list_due(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<DueParams>,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<DueView>>, ApiError> {
    caller.require(Scope::BeneficiariesRead)?;
    let (limit, after) = (page.limit()?, page.after_instant()?);
    let own = policy::retention_manager(&caller, false).flatten();
    let Some(deployment) = params.deployment.or(own) else {
        return Err(match policy::retention_manager(&caller, false) {
            Some(_) => ApiError::invalid_parameter(
                "deployment is required: name the deployment whose people to list.",
            ),
            None => ApiError::new(
                ErrorCode::Forbidden,
                "Only the deployment's managers and the national administrators see who is due.",
            ),
        });
    };
    let by = params.before.unwrap_or_else(|| notice_horizon(Utc::now()));
    let rows = with_conn(&state.pool, move |conn| {
        let deployment = managed_deployment(conn, &caller, deployment, false)?;
        let settings = store::settings(conn, deployment)?;
        Ok(store::due(
            conn,
            &DueQuery {
                deployment_id: deployment,
                inactivity_days: settings.person_inactivity_days,
                by,
                person: None,
                after: after.map(|(at, id)| (at.date_naive(), id)),
                limit: limit + 1,
            },
        )?)
    })
    .await?;
    Ok(web::Json(ListPage::from_timed(
        rows,
        limit,
        due_cursor,
        DueView::from,
    )))
}

/// A postponement asked for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostponementInput {
    /// Keep the person at least until this day (after today, within 5 years).
    pub until: NaiveDate,
    /// Why (1 to 500 characters, kept with the person), e.g. « accompagnement en cours,
    /// dernier contact téléphonique ».
    pub reason: String,
}

/// A postponement of a person's retention purge.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostponementView {
    /// Its id.
    pub id: Uuid,
    /// The person.
    pub beneficiary_id: Uuid,
    /// Kept at least until this day.
    pub until: NaiveDate,
    /// Why.
    pub reason: String,
    /// By whom.
    pub postponed_by_account_id: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<PostponementRow> for PostponementView {
    fn from(row: PostponementRow) -> Self {
        PostponementView {
            id: row.id,
            beneficiary_id: row.beneficiary_id,
            until: row.until,
            reason: row.reason,
            postponed_by_account_id: row.postponed_by_account_id,
            created_at: row.created_at,
        }
    }
}

/// Postpones a person's retention purge, with a reason.
///
/// The person is kept at least until `until`; the notice sent about them is withdrawn, and a new
/// one goes to the managers a month before the new day if they are still inactive then. Any new
/// activity keeps them too, without a postponement.
#[utoipa::path(
    tag = "retention",
    params(("id" = Uuid, Path, description = "Beneficiary id.")),
    request_body = PostponementInput,
    responses(
        (status = 201, description = "Postponed.", body = PostponementView),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a manager or national administrator in a session.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such beneficiary within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A day in the past or beyond 5 years, or a missing reason.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/beneficiaries/{id}/retention-postponements")]
pub async fn postpone(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<PostponementInput>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::BeneficiariesWrite)?;
    let body = body.into_inner();
    let until = postponement_until(body.until, Utc::now().date_naive()).map_err(
        |error: retention::RetentionError| {
            ApiError::new(ErrorCode::ValidationFailed, error.to_string())
        },
    )?;
    let reason = parse_reason(&body.reason)
        .map_err(|error| ApiError::new(ErrorCode::ValidationFailed, error.to_string()))?;
    let purpose = journal::purpose(&request, &caller)?;
    let id = id.into_inner();
    let resource = "POST /v1/beneficiaries/{id}/retention-postponements";
    let row = with_conn(&state.pool, move |conn| {
        let purpose = purpose.as_deref();
        let person = person_within_reach(conn, &caller, id, Access::Write, resource, purpose)?;
        if policy::retention_manager(&caller, true).is_none() {
            journal_denied(conn, &caller, person, Access::Write, resource, purpose)?;
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "Only the deployment's managers and the national administrators postpone a purge, in a session.",
            ));
        }
        crate::store::access_log::record(
            conn,
            &[journal::entry(
                &caller,
                person.0,
                Some(person.1),
                Access::Write,
                resource,
                true,
                purpose,
            )],
        )?;
        Ok(store::postpone(
            conn,
            &NewPostponement {
                deployment_id: person.1,
                beneficiary_id: person.0,
                until,
                reason,
                by: caller.account().map(|account| account.account_id),
            },
        )?)
    })
    .await?;
    Ok(HttpResponse::Created().json(PostponementView::from(row)))
}
