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
                | JsonPayloadError::OverflowKnownLength { .. } => ApiError::new(
                    ErrorCode::BadRequest,
                    "The request body is too large (1 MiB at most).",
                ),
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
