//! `Idempotency-Key` on every POST of the API (draft-ietf-httpapi-idempotency-key-header).
//!
//! The body is received whole first (in memory up to 1 MiB, in a temporary file beyond) and
//! fingerprinted with the path and query. The key is then claimed for the caller:
//! - a replay of an answered request gets the first answer (`Idempotent-Replayed: true`);
//! - the same key with another request: 422 `idempotency_key_reused`;
//! - the same request still running: 409 `idempotency_in_progress`;
//! - the same request claimed by a process that stopped before answering: 409
//!   `idempotency_outcome_unknown` (whether it ran is unknown; it is never run a second time).
//!
//! A claimed request runs to its end even if the client goes away, and its answer is kept for
//! 24 hours when it succeeded (2xx); any other answer frees the key, so that the same request
//! can be sent again. Answers carrying a credential are kept sealed with the secrets key.

pub mod fingerprint;
pub mod spool;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError, web};
use tracing::Instrument;
use uuid::Uuid;

use self::fingerprint::Fingerprint;
use self::spool::{Spool, SpoolError};
use super::db::with_conn;
use super::problem::{ApiError, ErrorCode};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::store::idempotency::{self as keys, Claim, StoredAnswer};

/// Header carrying the key.
pub const HEADER: &str = "idempotency-key";

/// Header marking a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";

/// The largest body an idempotent POST may send: a connector file and its form.
pub const MAX_BODY_BYTES: usize = super::connectors::MAX_FILE_BYTES + 1024 * 1024;

/// A request claimed longer ago than this without an answer was left by a stopped process.
pub const LEASE_SECONDS: i32 = 15 * 60;

/// The largest answer kept for replays.
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// Answer headers a replay repeats.
const KEPT_HEADERS: [header::HeaderName; 4] = [
    header::LOCATION,
    header::ETAG,
    header::CONTENT_TYPE,
    header::CONTENT_LOCATION,
];

/// Members of an answer that make it a credential, kept sealed.
const CREDENTIALS: [&str; 5] = [
    "access_token",
    "client_secret",
    "refresh_token",
    "secret",
    "token",
];

/// The additional data sealing kept answers (not a connector instance).
const SEALING_CONTEXT: Uuid = Uuid::from_u128(0x6964_656d_706f_7465_6e63_792d_6b65_7973);

/// The middleware: every authenticated POST under `/v1/` carrying an `Idempotency-Key`.
pub async fn idempotency<B: MessageBody + 'static>(
    mut request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B, BoxBody>>, Error> {
    let applies = request.method() == Method::POST && request.path().starts_with("/v1/");
    let Some(value) = request.headers().get(HEADER).filter(|_| applies).cloned() else {
        return pass(next, request).await;
    };
    let (Some(caller), Some(state)) = (
        request.extensions().get::<Caller>().cloned(),
        request.app_data::<web::Data<AppState>>().cloned(),
    ) else {
        // No valid token: the handler answers 401.
        return pass(next, request).await;
    };
    let key = match parse_key(&value) {
        Ok(key) => key,
        Err(error) => return Ok(refuse(request, &error)),
    };
    // A partner system's keys are its own across its tokens, a person's theirs.
    let owner = caller.subject();
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut fingerprint = Fingerprint::new(&path, fingerprint::boundary_of(&content_type));
    let spool = match Spool::receive(request.take_payload(), &mut fingerprint, MAX_BODY_BYTES).await
    {
        Ok(spool) => spool,
        Err(error) => return Ok(refuse(request, &spool_error(error))),
    };
    let request_hash = fingerprint.finish();
    let claim = {
        let (owner, key) = (owner.clone(), key.clone());
        with_conn(&state.pool, move |conn| {
            Ok(keys::claim(
                conn,
                &owner,
                &key,
                &request_hash,
                LEASE_SECONDS,
            )?)
        })
        .await
    };
    match claim {
        Err(error) => Ok(refuse(request, &error)),
        Ok(Claim::Answered(stored)) => match replay(&state, stored) {
            Ok(response) => Ok(request.into_response(response).map_into_right_body()),
            Err(error) => Ok(refuse(request, &error)),
        },
        Ok(Claim::Reused) => Ok(refuse(
            request,
            &ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "This Idempotency-Key was already used with another request; use a new key for a new request.",
            ),
        )),
        Ok(Claim::Running) => Ok(refuse(
            request,
            &ApiError::new(
                ErrorCode::IdempotencyInProgress,
                "A request with this Idempotency-Key is still running: retry once it has answered.",
            ),
        )),
        Ok(Claim::Abandoned) => Ok(refuse(
            request,
            &ApiError::new(
                ErrorCode::IdempotencyOutcomeUnknown,
                "The hub stopped while it ran the first request with this Idempotency-Key: read the resource to learn whether it was done, and send it again with a new key if it was not.",
            ),
        )),
        Ok(Claim::Taken) => {
            request.set_payload(spool.into_payload());
            let request_id = super::request_id::current().unwrap_or_default();
            // Run to the end even if the client goes away, so that the answer is kept.
            let run = super::request_id::scope(
                request_id,
                run_and_keep(next, request, state, owner, key),
            )
            .instrument(tracing::Span::current());
            match actix_web::rt::spawn(run).await {
                Ok(result) => result,
                Err(error) => Err(ApiError::internal(&error).into()),
            }
        }
    }
}

async fn pass<B: MessageBody + 'static>(
    next: Next<B>,
    request: ServiceRequest,
) -> Result<ServiceResponse<EitherBody<B, BoxBody>>, Error> {
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn refuse<B>(request: ServiceRequest, error: &ApiError) -> ServiceResponse<EitherBody<B, BoxBody>> {
    request
        .into_response(error.error_response())
        .map_into_right_body()
}

/// A key: 1 to 255 visible ASCII characters.
fn parse_key(value: &header::HeaderValue) -> Result<String, ApiError> {
    value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|key| !key.is_empty() && key.len() <= 255)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::invalid_parameter(
                "Idempotency-Key must be 1 to 255 visible ASCII characters.",
            )
        })
}

fn spool_error(error: SpoolError) -> ApiError {
    match error {
        SpoolError::TooLarge { limit } => ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "The request body is larger than the {} MiB any operation accepts.",
                limit / (1024 * 1024)
            ),
        ),
        SpoolError::Payload(error) => ApiError::new(
            ErrorCode::BadRequest,
            format!("The request body could not be read: {error}."),
        ),
        SpoolError::Io(error) => ApiError::internal(&error),
    }
}

/// Runs a claimed request, keeps its answer if it succeeded, frees the key otherwise.
async fn run_and_keep<B: MessageBody + 'static>(
    next: Next<B>,
    request: ServiceRequest,
    state: web::Data<AppState>,
    owner: String,
    key: String,
) -> Result<ServiceResponse<EitherBody<B, BoxBody>>, Error> {
    let free = |state: web::Data<AppState>, owner: String, key: String| async move {
        let freed = with_conn(&state.pool, move |conn| Ok(keys::free(conn, &owner, &key)?)).await;
        if let Err(error) = freed {
            tracing::error!(%error, "an idempotency key could not be freed");
        }
    };
    let response = match next.call(request).await {
        Ok(response) => response,
        Err(error) => {
            free(state, owner, key).await;
            return Err(error);
        }
    };
    if !response.status().is_success() {
        free(state, owner, key).await;
        return Ok(response.map_into_left_body());
    }
    let (http_request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let bytes = match actix_web::body::to_bytes_limited(body, MAX_ANSWER_BYTES).await {
        Ok(Ok(bytes)) => bytes,
        _ => {
            // Done, but its answer cannot be kept: the key stays claimed (outcome unknown).
            tracing::error!("an idempotent answer could not be read to be kept");
            let error = ApiError::new(
                ErrorCode::InternalError,
                "The request was done but its answer could not be sent; it is not run again with this key.",
            );
            return Ok(
                ServiceResponse::new(http_request, error.error_response()).map_into_right_body()
            );
        }
    };
    let mut headers = serde_json::Map::new();
    for name in &KEPT_HEADERS {
        if let Some(value) = head.headers().get(name).and_then(|v| v.to_str().ok()) {
            headers.insert(name.as_str().to_owned(), serde_json::json!(value));
        }
    }
    let mut answer = StoredAnswer {
        status: i32::from(head.status().as_u16()),
        headers: serde_json::Value::Object(headers),
        body: None,
        sealed_body: None,
    };
    if !bytes.is_empty() {
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(json) if !carries_credential(&json) => answer.body = Some(json),
            _ => match state.secrets.seal(SEALING_CONTEXT, &bytes) {
                Ok(sealed) => answer.sealed_body = Some(sealed),
                Err(error) => tracing::error!(%error, "an idempotent answer could not be sealed"),
            },
        }
    }
    let kept = with_conn(&state.pool, move |conn| {
        Ok(keys::keep(conn, &owner, &key, &answer)?)
    })
    .await;
    if let Err(error) = kept {
        tracing::error!(%error, "an idempotent answer could not be kept");
    }
    let response = head.set_body(bytes).map_into_boxed_body();
    Ok(ServiceResponse::new(http_request, response).map_into_right_body())
}

/// Whether a JSON answer holds a credential anywhere.
fn carries_credential(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Object(members) => members
            .iter()
            .any(|(name, value)| CREDENTIALS.contains(&name.as_str()) || carries_credential(value)),
        serde_json::Value::Array(items) => items.iter().any(carries_credential),
        _ => false,
    }
}

/// The kept answer, marked as a replay.
fn replay(state: &AppState, stored: StoredAnswer) -> Result<HttpResponse, ApiError> {
    let status = u16::try_from(stored.status)
        .ok()
        .and_then(|status| StatusCode::from_u16(status).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    if let serde_json::Value::Object(headers) = &stored.headers {
        for (name, value) in headers {
            if let Some(value) = value.as_str() {
                response.insert_header((name.as_str(), value));
            }
        }
    }
    response.insert_header((REPLAYED, "true"));
    Ok(match (stored.body, stored.sealed_body) {
        (Some(body), _) => response.body(serde_json::to_vec(&body).unwrap_or_default()),
        (None, Some(sealed)) => {
            let body = state
                .secrets
                .open(SEALING_CONTEXT, &sealed)
                .map_err(|error| ApiError::internal(&error))?;
            response.body(body)
        }
        (None, None) => response.finish(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_found_at_any_depth() {
        assert!(carries_credential(
            &serde_json::json!({"client_id": "x", "client_secret": "s"})
        ));
        assert!(carries_credential(
            &serde_json::json!({"a": [{"token": "t"}]})
        ));
        assert!(!carries_credential(
            &serde_json::json!({"id": "x", "items": [{"status": "created"}]})
        ));
    }

    #[test]
    fn a_key_is_one_to_255_visible_characters() {
        let key = |text: &str| parse_key(&header::HeaderValue::from_str(text).unwrap());
        assert_eq!(key(" abc ").unwrap(), "abc");
        assert!(key("").is_err());
        assert!(key(&"k".repeat(256)).is_err());
        assert!(key(&"k".repeat(255)).is_ok());
    }
}
