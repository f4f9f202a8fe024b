//! The hub's background jobs, for the national administrators who operate it: how many of each
//! queue are in each state, and the jobs themselves (without their payload), newest first.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::db::with_conn;
use super::pagination::{ListPage, PageParams};
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::auth::policy;
use crate::store::jobs::{self as store, JobCount, JobFilter, JobRow};

/// The states a job goes through.
const STATES: [&str; 6] = ["pending", "queued", "running", "done", "failed", "killed"];

/// How many jobs of a queue are in a state.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobCountView {
    /// The queue (`cdb.imports`, `cdb.connector-runs`, `cdb.webhook-deliveries`, `cdb.housekeeping`, `cdb.retention`).
    pub queue: String,
    /// pending, queued, running, done, failed or killed.
    pub state: String,
    /// How many.
    pub count: i64,
}

impl From<JobCount> for JobCountView {
    fn from(row: JobCount) -> Self {
        JobCountView {
            queue: row.queue,
            state: row.state,
            count: row.count,
        }
    }
}

/// The jobs of every queue, counted by state.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobSummary {
    /// One entry per queue and state that has jobs.
    pub counts: Vec<JobCountView>,
}

/// A background job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    /// Its id.
    pub id: String,
    /// Its queue.
    pub queue: String,
    /// pending, queued, running, done, failed or killed.
    pub state: String,
    /// Attempts made.
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// When it runs (or ran).
    pub run_at: DateTime<Utc>,
    /// When a worker took it.
    pub lock_at: Option<DateTime<Utc>>,
    /// The worker that took it.
    pub worker: Option<String>,
    /// When it ended.
    pub done_at: Option<DateTime<Utc>>,
    /// Its last result (a failed attempt's error), as JSON text of at most 1,000 characters.
    pub last_result: Option<String>,
}

impl From<JobRow> for JobView {
    fn from(row: JobRow) -> Self {
        JobView {
            id: row.id,
            queue: row.queue,
            state: row.state,
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            run_at: row.run_at,
            lock_at: row.lock_at,
            worker: row.lock_by,
            done_at: row.done_at,
            last_result: row.last_result,
        }
    }
}

fn operators_only(caller: &Caller) -> Result<(), ApiError> {
    if policy::may_see_jobs(caller) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Forbidden,
            "Only the national administrators see the hub's jobs.",
        ))
    }
}

/// Counts the hub's jobs by queue and state.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The counts.", body = JobSummary),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a national administrator.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/jobs/summary")]
pub async fn job_summary(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<JobSummary>, ApiError> {
    operators_only(&caller)?;
    let counts = with_conn(&state.pool, move |conn| Ok(store::counts(conn)?)).await?;
    Ok(web::Json(JobSummary {
        counts: counts.into_iter().map(JobCountView::from).collect(),
    }))
}

/// Filters of the list of jobs.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobParams {
    /// Only this queue.
    pub queue: Option<String>,
    /// Only this state: pending, queued, running, done, failed or killed.
    pub state: Option<String>,
}

/// The cursor of a job: its run time and its id (a ULID, as a UUID).
fn job_cursor(row: &JobRow) -> (DateTime<Utc>, Uuid) {
    let id = ulid::Ulid::from_string(&row.id).map_or(Uuid::nil(), |id| Uuid::from_u128(id.0));
    (row.run_at, id)
}

/// Lists the hub's jobs, newest first, by queue and state.
#[utoipa::path(
    tag = "operations",
    params(JobParams, PageParams),
    responses(
        (status = 200, description = "One page of jobs, newest first.", body = ListPage<JobView>),
        (status = 400, description = "An unknown state, or a bad cursor.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a national administrator.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/jobs")]
pub async fn list_jobs(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<JobParams>,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<JobView>>, ApiError> {
    operators_only(&caller)?;
    let params = params.into_inner();
    if let Some(asked) = params.state.as_deref()
        && !STATES.contains(&asked)
    {
        return Err(ApiError::invalid_parameter(format!(
            "state: unknown value « {asked} » (one of {}).",
            STATES.join(", ")
        )));
    }
    let (limit, after) = (page.limit()?, page.after_instant()?);
    let filter = JobFilter {
        queue: params.queue,
        state: params.state,
        before: after.map(|(at, id)| (at, ulid::Ulid(id.as_u128()).to_string())),
    };
    let rows = with_conn(&state.pool, move |conn| {
        Ok(store::list(conn, &filter, limit + 1)?)
    })
    .await?;
    Ok(web::Json(ListPage::from_timed(
        rows,
        limit,
        job_cursor,
        JobView::from,
    )))
}
