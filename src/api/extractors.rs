//! Errors of actix's own extractors (JSON bodies, query strings, paths) as problem documents,
//! so that even a malformed request gets a specific, documented answer.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::web;

use super::problem::{ApiError, ErrorCode};

/// JSON bodies: malformed → 400, well-formed but not the expected shape → 422.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(1 << 20)
        .error_handler(|error, _| {
            let api = match &error {
                JsonPayloadError::Deserialize(inner) if inner.is_data() => ApiError::new(
                    ErrorCode::ValidationFailed,
                    format!("The request body does not have the expected fields: {inner}."),
                ),
                JsonPayloadError::ContentType => ApiError::new(
                    ErrorCode::BadRequest,
                    "The request body must be JSON (Content-Type: application/json).",
                ),
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => body_too_large(1 << 20),
                other => ApiError::new(
                    ErrorCode::BadRequest,
                    format!("The request body is not valid JSON: {other}."),
                ),
            };
            api.into()
        })
}

/// Parses a JSON body read as bytes (POSTs keep the bytes for their Idempotency-Key), with the
/// answers of [`json_config`]: malformed → 400, well-formed but not the expected shape → 422.
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|error| {
        if error.is_data() {
            ApiError::new(
                ErrorCode::ValidationFailed,
                format!("The request body does not have the expected fields: {error}."),
            )
        } else {
            ApiError::new(
                ErrorCode::BadRequest,
                format!("The request body is not valid JSON: {error}."),
            )
        }
    })
}

/// Query strings: a value of the wrong type → 400 with the reason.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error: QueryPayloadError, _| {
        ApiError::invalid_parameter(format!("Invalid query parameter: {error}.")).into()
    })
}

/// Paths: an id that is not a UUID names no resource → 404.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_: PathError, request| {
        ApiError::new(
            ErrorCode::NotFound,
            format!("No resource at {} {}.", request.method(), request.path()),
        )
        .into()
    })
}

/// Reads a JSON field that may be absent (unchanged), null (cleared) or set, for PATCH bodies:
/// use with `#[serde(default, deserialize_with = "present")]` on an `Option<Option<T>>`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// A request body read whole up to `LIMIT` bytes, for handlers that keep the bytes (their
/// `Idempotency-Key` hashes them). A larger body is refused with 413 as problem+json as soon as
/// its announced length or its bytes pass the limit, without reading the rest.
pub struct BoundedBody<const LIMIT: usize>(pub web::Bytes);

/// The refusal of a body over its limit.
pub fn body_too_large(limit: usize) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!(
            "The request body is too large for this operation ({} KiB at most).",
            limit / 1024
        ),
    )
    .with("limit_bytes", serde_json::json!(limit))
}

impl<const LIMIT: usize> actix_web::FromRequest for BoundedBody<LIMIT> {
    type Error = ApiError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(
        request: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        use futures_util::StreamExt;
        let announced = request
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if announced.is_some_and(|length| length > LIMIT as u64) {
                return Err(body_too_large(LIMIT));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|error| {
                    ApiError::new(
                        ErrorCode::BadRequest,
                        format!("The request body could not be read: {error}."),
                    )
                })?;
                if body.len() + chunk.len() > LIMIT {
                    return Err(body_too_large(LIMIT));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(BoundedBody(body.freeze()))
        })
    }
}
