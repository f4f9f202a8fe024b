//! Writing the action plan of a notebook (focuses, targets, actions) and reading its timeline.
//! Creations bump the notebook's version; status changes need `If-Match` with the version read
//! (412 when it moved on). Every write is journaled and enters the change feed.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::db::with_conn;
use super::journal::{self, Access};
use super::pagination::{ListPage, PageParams};
use super::problem::{ApiError, ErrorCode, Problem};
use super::writes::{Written, if_match, write, written};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::auth::policy;
use crate::domain::scopes::Scope;
use crate::store::plan::{self, PlanItem};
use crate::store::{self, reach};

/// A focus to add.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewFocus {
    /// Key of the `ref_theme` referential (e.g. `emploi`, `logement`).
    pub theme: String,
}

/// Adds a focus (axe de travail) to the plan.
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id.")),
    request_body = NewFocus,
    responses(
        (status = 201, description = "Added; the ETag is the notebook's new version.", body = Written),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook within your reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[post("/v1/notebooks/{id}/focuses")]
pub async fn add_focus(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<NewFocus>,
) -> Result<HttpResponse, ApiError> {
    let theme = body.into_inner().theme;
    let notebook = id.into_inner();
    let (focus, version) = write(
        &state,
        caller,
        notebook,
        "POST /v1/notebooks/{id}/focuses",
        move |conn, author| plan::add_focus(conn, notebook, theme.trim(), author),
    )
    .await?;
    Ok(written(
        actix_web::http::StatusCode::CREATED,
        Some(focus),
        version,
    ))
}

/// A target to add.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTarget {
    /// The target, normally a description of the `ref_target` referential.
    pub target: String,
    /// Contract it is linked to: cer, ppae, pacea, cej or no.
    pub linked_to: Option<String>,
}

/// Adds a target (objectif) to a focus.
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id."), ("focus_id" = Uuid, Path, description = "Focus id.")),
    request_body = NewTarget,
    responses(
        (status = 201, description = "Added.", body = Written),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook or focus within your reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[post("/v1/notebooks/{id}/focuses/{focus_id}/targets")]
pub async fn add_target(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<NewTarget>,
) -> Result<HttpResponse, ApiError> {
    let (notebook, focus) = path.into_inner();
    let body = body.into_inner();
    let target = body.target.trim().replace('\0', "");
    if target.is_empty() || target.chars().count() > 500 {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "target must have 1 to 500 characters.",
        ));
    }
    let (id, version) = write(
        &state,
        caller,
        notebook,
        "POST /v1/notebooks/{id}/focuses/{focus_id}/targets",
        move |conn, author| {
            plan::add_target(
                conn,
                notebook,
                focus,
                &target,
                body.linked_to.as_deref(),
                author,
            )
        },
    )
    .await?;
    Ok(written(
        actix_web::http::StatusCode::CREATED,
        Some(id),
        version,
    ))
}

/// An action to add.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewAction {
    /// The action, normally a description of the `ref_action` referential.
    pub action: String,
    /// When it starts; now when absent.
    pub starting_at: Option<DateTime<Utc>>,
}

/// Adds an action to a target.
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id."), ("target_id" = Uuid, Path, description = "Target id.")),
    request_body = NewAction,
    responses(
        (status = 201, description = "Added.", body = Written),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook or target within your reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[post("/v1/notebooks/{id}/targets/{target_id}/actions")]
pub async fn add_action(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<NewAction>,
) -> Result<HttpResponse, ApiError> {
    let (notebook, target) = path.into_inner();
    let body = body.into_inner();
    let action = body.action.trim().replace('\0', "");
    if action.is_empty() || action.chars().count() > 500 {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "action must have 1 to 500 characters.",
        ));
    }
    let starting_at = body.starting_at.unwrap_or_else(Utc::now);
    let (id, version) = write(
        &state,
        caller,
        notebook,
        "POST /v1/notebooks/{id}/targets/{target_id}/actions",
        move |conn, author| plan::add_action(conn, notebook, target, &action, starting_at, author),
    )
    .await?;
    Ok(written(
        actix_web::http::StatusCode::CREATED,
        Some(id),
        version,
    ))
}

/// A status change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusChange {
    /// Key of the `action_status` referential: in_progress, done, abandonned, canceled, planned, standby.
    pub status: String,
}

/// A status change of one plan item, as asked.
struct StatusRequest {
    notebook: Uuid,
    item: PlanItem,
    id: Uuid,
    status: String,
    resource: &'static str,
}

async fn change_status(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    asked: StatusRequest,
) -> Result<HttpResponse, ApiError> {
    let StatusRequest {
        notebook,
        item,
        id,
        status,
        resource,
    } = asked;
    let expected = if_match(&request)?;
    let version = write(&state, caller, notebook, resource, move |conn, author| {
        plan::set_status(conn, notebook, item, id, status.trim(), expected, author)
    })
    .await?;
    Ok(written(actix_web::http::StatusCode::OK, None, version))
}

/// Changes a target's status (If-Match required).
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id."), ("target_id" = Uuid, Path, description = "Target id."), ("If-Match" = String, Header, description = "The notebook's ETag as read.")),
    request_body = StatusChange,
    responses(
        (status = 200, description = "Changed.", body = Written),
        (status = 400, description = "Malformed If-Match.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook or target within your reach.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The notebook changed since it was read.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[patch("/v1/notebooks/{id}/targets/{target_id}")]
pub async fn update_target(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<StatusChange>,
) -> Result<HttpResponse, ApiError> {
    let (notebook, id) = path.into_inner();
    change_status(
        request,
        state,
        caller,
        StatusRequest {
            notebook,
            item: PlanItem::Target,
            id,
            status: body.into_inner().status,
            resource: "PATCH /v1/notebooks/{id}/targets/{target_id}",
        },
    )
    .await
}

/// Changes an action's status (If-Match required).
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id."), ("action_id" = Uuid, Path, description = "Action id."), ("If-Match" = String, Header, description = "The notebook's ETag as read.")),
    request_body = StatusChange,
    responses(
        (status = 200, description = "Changed.", body = Written),
        (status = 400, description = "Malformed If-Match.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook or action within your reach.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The notebook changed since it was read.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[patch("/v1/notebooks/{id}/actions/{action_id}")]
pub async fn update_action(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<StatusChange>,
) -> Result<HttpResponse, ApiError> {
    let (notebook, id) = path.into_inner();
    change_status(
        request,
        state,
        caller,
        StatusRequest {
            notebook,
            item: PlanItem::Action,
            id,
            status: body.into_inner().status,
            resource: "PATCH /v1/notebooks/{id}/actions/{action_id}",
        },
    )
    .await
}

/// One event of the timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: Uuid,
    /// `focus`, `target`, `action`, `orientation`…
    pub event_type: String,
    pub event_date: DateTime<Utc>,
    /// Who did it (null for a partner system or a connector).
    pub author_account_id: Option<Uuid>,
    /// What: category, label, status, and before → after for changes.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// A page of a notebook's events, newest first, and where the next page starts.
pub struct EventsPage {
    /// The events shown to this caller.
    pub rows: Vec<plan::EventRow>,
    /// The date and id the next page continues before; none on the last page.
    pub next: Option<(DateTime<Utc>, Uuid)>,
}

/// A page of the events of a notebook within the caller's reach, newest first (before `before`
/// when given), as the API shows them to this caller, journaled as read through `resource`
/// (the API's and the console's).
pub fn read_events(
    conn: &mut store::Connection,
    caller: &Caller,
    notebook: Uuid,
    resource: &str,
    purpose: Option<&str>,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<EventsPage, ApiError> {
    caller.require(Scope::NotebooksRead)?;
    let reach = policy::beneficiaries(caller);
    // Partners never learn that a person is followed by a sensitive structure, as in the
    // notebook itself: the events naming one are left out, their professionals unnamed.
    let hide_sensitive = matches!(caller.principal, crate::auth::caller::Principal::Client(_));
    let Some((person, deployment)) =
        store::notebooks::within_reach(conn, reach::beneficiaries(reach), notebook)?
    else {
        return Err(ApiError::not_found("notebook"));
    };
    let mut rows = plan::events(conn, notebook, before, limit + 1)?;
    let next = (rows.len() > usize::try_from(limit).unwrap_or(0))
        .then(|| {
            rows.truncate(usize::try_from(limit).unwrap_or(0));
            rows.last().map(|row| (row.event_date, row.id))
        })
        .flatten();
    if hide_sensitive {
        let sensitive = store::directory::sensitive_structures(conn, deployment)?;
        rows.retain(|row| !sensitive.named_in(&row.payload));
        for row in &mut rows {
            if row
                .author_account_id
                .is_some_and(|author| sensitive.accounts.contains(&author))
            {
                row.author_account_id = None;
            }
        }
    }
    store::access_log::record(
        conn,
        &[journal::entry(
            caller,
            person,
            Some(deployment),
            Access::Read,
            resource,
            true,
            purpose,
        )],
    )?;
    Ok(EventsPage { rows, next })
}

/// The timeline of a notebook, newest first, paged.
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id."), PageParams, ("X-Purpose" = Option<String>, Header, description = "Why the data is read; required for API clients.")),
    responses(
        (status = 200, description = "One page of events, newest first.", body = ListPage<EventView>),
        (status = 400, description = "Missing purpose.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook within reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:read"]), ("bearer" = []))
)]
#[get("/v1/notebooks/{id}/events")]
pub async fn events(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<EventView>>, ApiError> {
    caller.require(Scope::NotebooksRead)?;
    let purpose = journal::purpose(&request, &caller)?;
    let notebook = id.into_inner();
    let (limit, before) = (page.limit()?, page.after_instant()?);
    let page = with_conn(&state.pool, move |conn| {
        read_events(
            conn,
            &caller,
            notebook,
            "GET /v1/notebooks/{id}/events",
            purpose.as_deref(),
            before,
            limit,
        )
    })
    .await?;
    Ok(web::Json(ListPage {
        next_cursor: page
            .next
            .map(|(at, id)| crate::domain::cursor::after_instant(at, id)),
        items: page
            .rows
            .into_iter()
            .map(|row| EventView {
                id: row.id,
                event_type: row.event_type,
                event_date: row.event_date,
                author_account_id: row.author_account_id,
                payload: row.payload,
                created_at: row.created_at,
            })
            .collect(),
    }))
}
