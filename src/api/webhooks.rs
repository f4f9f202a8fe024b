//! Outbound webhook subscriptions over HTTP: an API client holding `webhooks:admin` manages its
//! own (create with a secret shown once, list, read with delivery counts, change, delete), tests
//! its endpoint (ping), reads its dead letters and replays them.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::db::with_conn;
use super::pagination::{ListPage, PageParams};
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::auth::caller::{Caller, Principal};
use crate::domain::cursor::after_sequence as cursor_after_sequence;
use crate::domain::scopes::Scope;
use crate::outbound::{delivery, parse_event_types, ssrf};
use crate::store::webhooks::{
    self as store, DeliveryRow, NewSubscription, SubscriptionChanges, SubscriptionRow,
};

/// The subscriber: an API client holding `webhooks:admin`. Answers its internal id and its
/// deployment.
fn subscriber(caller: &Caller) -> Result<(Uuid, Uuid), ApiError> {
    caller.require(Scope::WebhooksAdmin)?;
    match &caller.principal {
        Principal::Client(client) => Ok((client.api_client_id, client.deployment_id)),
        Principal::Account(_) => Err(ApiError::new(
            ErrorCode::Forbidden,
            "Webhook subscriptions belong to API clients: manage them with a client's token.",
        )),
    }
}

fn invalid(field: &str, code: &str, message: String) -> ApiError {
    ApiError::new(ErrorCode::ValidationFailed, message.clone()).with(
        "errors",
        serde_json::json!([{"field": field, "code": code, "message": message}]),
    )
}

async fn checked_url(state: &AppState, text: &str) -> Result<String, ApiError> {
    if text.len() > 2048 {
        return Err(invalid(
            "url",
            "invalid_url",
            "url is longer than 2048 characters.".into(),
        ));
    }
    ssrf::check_url(text, &state.webhooks.settings)
        .await
        .map(|url| url.to_string())
        .map_err(|error| {
            let code = match error {
                ssrf::UrlError::Internal { .. } => "internal_address",
                ssrf::UrlError::Scheme => "https_required",
                _ => "invalid_url",
            };
            invalid("url", code, format!("url is refused: {error}."))
        })
}

fn event_types(types: &[String]) -> Result<Vec<String>, ApiError> {
    parse_event_types(types)
        .map_err(|message| invalid("event_types", "invalid_event_type", message))
}

/// A webhook subscription as shown to its client (the secret never is, after creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    /// Id.
    pub id: Uuid,
    /// Endpoint receiving the deliveries.
    pub url: String,
    /// Event types delivered, or `*`.
    pub event_types: Vec<String>,
    /// Whether changes are delivered.
    pub enabled: bool,
    /// Feed cursor of the last change considered (resume `GET /v1/changes` from it).
    pub cursor: String,
    /// Deliveries created so far (each body carries its number).
    pub events_since_start: i64,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Deliveries by status (when one subscription is read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<DeliveryCounts>,
}

impl WebhookView {
    fn of(row: SubscriptionRow, counts: Option<DeliveryCounts>) -> Self {
        WebhookView {
            id: row.id,
            url: row.url,
            event_types: row.event_types,
            enabled: row.enabled,
            cursor: cursor_after_sequence(row.cursor),
            events_since_start: row.events_since_start,
            created_at: row.created_at,
            updated_at: row.updated_at,
            counts,
        }
    }
}

/// Deliveries of a subscription by status.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct DeliveryCounts {
    /// Not tried yet.
    pub pending: i64,
    /// Tried, failed, to be retried.
    pub failed: i64,
    /// Received (2xx).
    pub delivered: i64,
    /// Retries exhausted: in the dead letters.
    pub dead: i64,
}

impl From<store::DeliveryCounts> for DeliveryCounts {
    fn from(row: store::DeliveryCounts) -> Self {
        DeliveryCounts {
            pending: row.pending,
            failed: row.failed,
            delivered: row.delivered,
            dead: row.dead,
        }
    }
}

/// A subscription just created, with its secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    /// The subscription.
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// Key of the `X-Cdb-Signature` HMAC-SHA256: keep it, it is not shown again.
    pub secret: String,
}

/// A subscription to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// https endpoint (not a loopback, private or link-local address).
    pub url: String,
    /// `beneficiary.created`, `beneficiary.updated`, `beneficiary.merged`, `beneficiary.purged`,
    /// `beneficiary.no_longer_reported`, `notebook.updated`, or `*` for all.
    pub event_types: Vec<String>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// Creates a subscription of the calling client: the changes it may see from now on are
/// delivered to the endpoint. The signing secret is in the answer, once.
#[utoipa::path(
    tag = "webhooks",
    request_body = NewWebhook,
    responses(
        (status = 201, description = "Created; `secret` is shown this once.", body = CreatedWebhook),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope, or not an API client.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or refused URL (not https, internal address, unresolvable), or unknown event type.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["webhooks:admin", "beneficiaries:read"]))
)]
#[post("/v1/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewWebhook>,
) -> Result<HttpResponse, ApiError> {
    let (client, deployment) = subscriber(&caller)?;
    // Deliveries carry the change feed: the same scope as reading it.
    caller.require(Scope::BeneficiariesRead)?;
    let body = body.into_inner();
    let event_types = event_types(&body.event_types)?;
    let url = checked_url(&state, &body.url).await?;
    let id = Uuid::new_v4();
    let secret = crate::outbound::new_secret();
    let sealed = state
        .secrets
        .seal(id, secret.as_bytes())
        .map_err(|e| ApiError::internal(&e))?;
    let row = with_conn(&state.pool, move |conn| {
        let cursor = store::feed_end(conn)?;
        Ok(store::create(
            conn,
            &NewSubscription {
                id,
                api_client_id: client,
                deployment_id: deployment,
                url,
                event_types,
                secret: sealed,
                enabled: body.enabled.unwrap_or(true),
                cursor,
            },
        )?)
    })
    .await?;
    tracing::info!(subscription = %row.id, "webhook subscription created");
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/webhooks/{}", row.id)))
        .json(CreatedWebhook {
            webhook: WebhookView::of(row, None),
            secret,
        }))
}

/// The calling client's subscriptions.
#[utoipa::path(
    tag = "webhooks",
    params(PageParams),
    responses(
        (status = 200, description = "One page of subscriptions.", body = ListPage<WebhookView>),
        (status = 400, description = "Invalid parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope, or not an API client.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["webhooks:admin"]))
)]
#[get("/v1/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<WebhookView>>, ApiError> {
    let (client, _) = subscriber(&caller)?;
    let (limit, after) = (page.limit()?, page.after()?);
    let page = with_conn(&state.pool, move |conn| {
        Ok(store::list(conn, client, after, limit)?)
    })
    .await?;
    Ok(web::Json(ListPage::from_store(page, |row| {
        WebhookView::of(row, None)
    })))
}

/// One subscription of the calling client, with its deliveries counted by status.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id.")),
    responses(
        (status = 200, description = "The subscription.", body = WebhookView),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope, or not an API client.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription of this client.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["webhooks:admin"]))
)]
#[get("/v1/webhooks/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<WebhookView>, ApiError> {
    let (client, _) = subscriber(&caller)?;
    let id = id.into_inner();
    let view = with_conn(&state.pool, move |conn| {
        let row = store::get(conn, client, id)?.ok_or_else(|| ApiError::not_found("webhook"))?;
        let counts = store::counts(conn, id)?;
        Ok(WebhookView::of(row, Some(DeliveryCounts::from(counts))))
    })
    .await?;
    Ok(web::Json(view))
}

/// Changes to a subscription: absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookChanges {
    /// New endpoint.
    pub url: Option<String>,
    /// New event types (replace the old ones).
    pub event_types: Option<Vec<String>>,
    /// Enable or disable (a disabled subscription keeps its cursor: re-enabled, it delivers
    /// what happened meanwhile).
    pub enabled: Option<bool>,
}

/// Changes a subscription: endpoint, event types, enabled.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id.")),
    request_body = WebhookChanges,
    responses(
        (status = 200, description = "Changed.", body = WebhookView),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope, or not an API client.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription of this client.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or refused URL, or unknown event type.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["webhooks:admin"]))
)]
#[patch("/v1/webhooks/{id}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<WebhookChanges>,
) -> Result<web::Json<WebhookView>, ApiError> {
    let (client, _) = subscriber(&caller)?;
    let id = id.into_inner();
    let body = body.into_inner();
    let changes = SubscriptionChanges {
        url: match &body.url {
            Some(url) => Some(checked_url(&state, url).await?),
            None => None,
        },
        event_types: body.event_types.as_deref().map(event_types).transpose()?,
        enabled: body.enabled,
    };
    let row = with_conn(&state.pool, move |conn| {
        store::update(conn, client, id, &changes)?.ok_or_else(|| ApiError::not_found("webhook"))
    })
    .await?;
    Ok(web::Json(WebhookView::of(row, None)))
}

/// Deletes a subscription and its deliveries.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope, or not an API client.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription of this client.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["webhooks:admin"]))
)]
#[delete("/v1/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (client, _) = subscriber(&caller)?;
    let id = id.into_inner();
    let deleted = with_conn(&state.pool, move |conn| {
        Ok(store::delete(conn, client, id)?)
    })
    .await?;
    if deleted {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("webhook"))
    }
}

/// What a test delivery gave.
#[derive(Debug, Serialize, ToSchema)]
pub struct PingResult {
    /// Whether the endpoint answered 2xx.
    pub delivered: bool,
    /// The endpoint's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// Why it failed (no answer, refused address, non-2xx).
    pub error: Option<String>,
}

/// Sends a signed test delivery (`"event": "ping"`) to the endpoint now and answers what it
/// said; nothing is recorded or retried.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id.")),
    responses(
        (status = 200, description = "The endpoint's answer (or why there was none).", body = PingResult),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope, or not an API client.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription of this client.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["webhooks:admin"]))
)]
#[post("/v1/webhooks/{id}/ping")]
pub async fn ping_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<PingResult>, ApiError> {
    let (client, _) = subscriber(&caller)?;
    let id = id.into_inner();
    let row = with_conn(&state.pool, move |conn| {
        store::get(conn, client, id)?.ok_or_else(|| ApiError::not_found("webhook"))
    })
    .await?;
    let secret = state
        .secrets
        .open(row.id, &row.secret)
        .map_err(|e| ApiError::internal(&e))?;
    let now = Utc::now();
    let body = serde_json::to_vec(&delivery::ping_body(row.id, now))
        .map_err(|e| ApiError::internal(&e))?;
    let message_id = format!("msg_ping_{}", uuid::Uuid::new_v4().simple());
    let attempt = delivery::post(
        &state.webhooks,
        &row.url,
        &secret,
        &message_id,
        &body,
        now.timestamp(),
    )
    .await;
    Ok(web::Json(PingResult {
        delivered: attempt.delivered(),
        status_code: attempt.status_code,
        error: attempt.error,
    }))
}

/// A delivery whose retries are exhausted.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetter {
    /// Delivery id (the body's `id`).
    pub id: Uuid,
    /// The change's feed cursor.
    pub cursor: String,
    /// Event type.
    pub event: String,
    /// The person of the change.
    pub beneficiary_id: Option<Uuid>,
    /// Attempts made.
    pub attempts: i32,
    /// HTTP status of the last attempt.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the delivery was created.
    pub created_at: DateTime<Utc>,
    /// The body that was sent.
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
}

impl DeadLetter {
    fn of(row: DeliveryRow) -> Self {
        DeadLetter {
            id: row.id,
            cursor: cursor_after_sequence(row.change_seq),
            event: row.body["event"].as_str().unwrap_or_default().to_owned(),
            beneficiary_id: row.beneficiary_id,
            attempts: row.attempts,
            last_status_code: row.last_status_code,
            last_error: row.last_error,
            created_at: row.created_at,
            body: row.body,
        }
    }
}

/// The dead letters of a subscription, in change order.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id."), PageParams),
    responses(
        (status = 200, description = "One page of dead letters.", body = ListPage<DeadLetter>),
        (status = 400, description = "Invalid parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope, or not an API client.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription of this client.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["webhooks:admin"]))
)]
#[get("/v1/webhooks/{id}/dead-letters")]
pub async fn dead_letters(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<DeadLetter>>, ApiError> {
    let (client, _) = subscriber(&caller)?;
    let id = id.into_inner();
    let limit = page.limit()?;
    let after = page
        .cursor
        .as_deref()
        .map(super::pagination::decode_sequence)
        .transpose()?;
    let mut rows = with_conn(&state.pool, move |conn| {
        store::get(conn, client, id)?.ok_or_else(|| ApiError::not_found("webhook"))?;
        Ok(store::dead_letters(conn, id, after, limit)?)
    })
    .await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        rows.last().map(|row| cursor_after_sequence(row.change_seq))
    } else {
        None
    };
    Ok(web::Json(ListPage {
        items: rows.into_iter().map(DeadLetter::of).collect(),
        next_cursor,
    }))
}

/// Which dead letters to replay.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// The dead letters to replay; all of them when absent.
    pub delivery_ids: Option<Vec<Uuid>>,
}

/// How many dead letters were put back in the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayResult {
    /// Deliveries queued again (with a fresh 72-hour retry window).
    pub requeued: usize,
}

/// Queues dead letters again (all, or those listed): they are delivered within seconds, with a
/// fresh retry window. The body may be empty.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id.")),
    request_body(content = Option<ReplayRequest>, description = "Optional: the dead letters to replay."),
    responses(
        (status = 200, description = "Queued again.", body = ReplayResult),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope, or not an API client.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription of this client.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["webhooks:admin"]))
)]
#[post("/v1/webhooks/{id}/replay")]
pub async fn replay_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: super::extractors::BoundedBody<{ 64 * 1024 }>,
) -> Result<web::Json<ReplayResult>, ApiError> {
    let body = body.0;
    let (client, _) = subscriber(&caller)?;
    let id = id.into_inner();
    let request: ReplayRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ReplayRequest::default()
    } else {
        serde_json::from_slice::<Option<ReplayRequest>>(&body)
            .map_err(|e| ApiError::new(ErrorCode::ValidationFailed, format!("Invalid body: {e}.")))?
            .unwrap_or_default()
    };
    let requeued = with_conn(&state.pool, move |conn| {
        store::get(conn, client, id)?.ok_or_else(|| ApiError::not_found("webhook"))?;
        Ok(store::replay(
            conn,
            id,
            request.delivery_ids.as_deref(),
            Utc::now(),
        )?)
    })
    .await?;
    tracing::info!(subscription = %id, requeued, "webhook dead letters replayed");
    Ok(web::Json(ReplayResult { requeued }))
}
