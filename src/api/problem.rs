//! The one API error type, rendered as RFC 9457 `application/problem+json` with a stable `code`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Machine-readable error codes: stable snake_case strings that clients can switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No resource at this URL (or not one the caller may know of).
    NotFound,
    /// The method is not supported on this resource.
    MethodNotAllowed,
    /// The request is malformed.
    BadRequest,
    /// The database is unreachable or not migrated.
    DatabaseUnavailable,
    /// No valid credentials were sent.
    Unauthenticated,
    /// The credentials lack a scope the operation needs.
    InsufficientScope,
    /// The caller's role may not do this.
    Forbidden,
    /// A partner must say why it reads a person's data (`X-Purpose`).
    PurposeRequired,
    /// A query or path parameter is invalid.
    InvalidParameter,
    /// The request body is invalid.
    ValidationFailed,
    /// The resource already exists or changed meanwhile.
    Conflict,
    /// Too many requests: wait for `Retry-After` seconds.
    RateLimited,
    /// A login key is unknown, expired or already used.
    InvalidLoginKey,
    /// An Idempotency-Key was reused with another request.
    IdempotencyKeyReused,
    /// A request with the same Idempotency-Key is running: retry once it has answered.
    IdempotencyInProgress,
    /// The hub stopped while it ran the first request with this Idempotency-Key: whether it was
    /// done is unknown, and it is not run again with this key.
    IdempotencyOutcomeUnknown,
    /// The resource changed since the version sent in `If-Match`.
    PreconditionFailed,
    /// An update needs `If-Match` with the version read.
    PreconditionRequired,
    /// An unexpected failure; its details are in the server log under the request id.
    InternalError,
    /// The request body is larger than the endpoint accepts.
    PayloadTooLarge,
    /// A partner system the hub calls (France Travail…) failed or refused.
    UpstreamUnavailable,
    /// The resource's content was deleted at the end of its retention period.
    Gone,
}

impl ErrorCode {
    /// The HTTP status of this code.
    pub fn http_status(self) -> StatusCode {
        self.status()
    }

    fn status(self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unauthenticated | Self::InvalidLoginKey => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope | Self::Forbidden => StatusCode::FORBIDDEN,
            Self::PurposeRequired | Self::InvalidParameter => StatusCode::BAD_REQUEST,
            Self::ValidationFailed | Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict | Self::IdempotencyInProgress | Self::IdempotencyOutcomeUnknown => {
                StatusCode::CONFLICT
            }
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Gone => StatusCode::GONE,
            Self::UpstreamUnavailable => StatusCode::BAD_GATEWAY,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
        }
    }

    /// The problem's title.
    pub fn title(self) -> &'static str {
        match self {
            Self::NotFound => "Resource not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::BadRequest => "Bad request",
            Self::DatabaseUnavailable => "Database unavailable",
            Self::InternalError => "Internal error",
            Self::Unauthenticated => "Authentication required",
            Self::InsufficientScope => "Insufficient scope",
            Self::Forbidden => "Forbidden",
            Self::PurposeRequired => "Purpose required",
            Self::InvalidParameter => "Invalid parameter",
            Self::ValidationFailed => "Invalid request body",
            Self::Conflict => "Conflict",
            Self::RateLimited => "Too many requests",
            Self::InvalidLoginKey => "Invalid login key",
            Self::IdempotencyKeyReused => "Idempotency key reused",
            Self::IdempotencyInProgress => "Idempotency key in progress",
            Self::IdempotencyOutcomeUnknown => "Outcome of the idempotent request unknown",
            Self::PreconditionFailed => "Precondition failed",
            Self::PreconditionRequired => "Precondition required",
            Self::PayloadTooLarge => "Payload too large",
            Self::UpstreamUnavailable => "Partner system unavailable",
            Self::Gone => "Deleted at the end of its retention",
        }
    }
}

/// RFC 9457 problem details, with our `code` and the request id.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// URI identifying the problem type: a page of the hub saying, in French and English, what
    /// the code means and what to do (relative to the hub's address).
    #[serde(rename = "type")]
    #[schema(example = "/problems/not_found")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Id of the request, as in the `X-Request-Id` header and the server logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Members specific to the problem (e.g. the id of the existing resource on a conflict).
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty")]
    #[schema(value_type = Object)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

/// An error answered by the API.
#[derive(Debug, thiserror::Error)]
#[error("{detail}")]
pub struct ApiError {
    code: ErrorCode,
    detail: String,
    extensions: serde_json::Map<String, serde_json::Value>,
}

impl From<crate::store::QueryError> for ApiError {
    fn from(error: crate::store::QueryError) -> Self {
        ApiError::internal(&error)
    }
}

impl From<crate::store::large_objects::StreamError> for ApiError {
    fn from(error: crate::store::large_objects::StreamError) -> Self {
        ApiError::internal(&error)
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::internal(&error)
    }
}

impl ApiError {
    /// 404 for a resource that does not exist or is outside the caller's reach (the same answer,
    /// so that existence does not leak).
    pub fn not_found(what: &str) -> Self {
        Self::new(
            ErrorCode::NotFound,
            format!("No {what} with this id is within your reach."),
        )
    }

    /// 400 for a bad parameter.
    pub fn invalid_parameter(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameter, detail)
    }

    /// An error with its code and a human explanation.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            extensions: serde_json::Map::new(),
        }
    }

    /// Adds a member to the problem document.
    pub fn with(mut self, name: &str, value: serde_json::Value) -> Self {
        self.extensions.insert(name.to_owned(), value);
        self
    }

    /// The machine code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human explanation.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// A member added to the problem document.
    pub fn extension(&self, name: &str) -> Option<&serde_json::Value> {
        self.extensions.get(name)
    }

    /// An unexpected failure: logged with its cause chain here, answered without details.
    pub fn internal(error: &(dyn std::error::Error + 'static)) -> Self {
        let mut chain = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            source = cause.source();
        }
        tracing::error!(error = %chain, "internal error");
        Self::new(
            ErrorCode::InternalError,
            "An unexpected error occurred; it has been logged with the request id.",
        )
    }

    /// The problem document of this error.
    pub fn problem(&self, request_id: Option<String>) -> Problem {
        Problem {
            problem_type: super::problems::type_uri(self.code),
            title: self.code.title().to_owned(),
            status: self.code.status().as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            request_id,
            extensions: self.extensions.clone(),
        }
    }
}

/// The code as it is written in problem documents (`not_found`).
pub fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let request_id = super::request_id::current();
        let mut response = problem_response(self.code.status(), &self.problem(request_id));
        if self.code.status() == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"cdb-hub\""),
            );
        }
        response
    }
}

/// Serialises a problem with its media type.
pub fn problem_response(status: StatusCode, problem: &Problem) -> HttpResponse {
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = HttpResponse::build(status).body(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

/// The answer for an unknown route.
pub async fn not_found(request: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::NotFound,
        format!("No resource at {} {}.", request.method(), request.path()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_strings() {
        assert_eq!(
            code_name(ErrorCode::DatabaseUnavailable),
            "database_unavailable"
        );
    }

    #[test]
    fn a_problem_carries_status_title_and_code() {
        let problem = ApiError::new(ErrorCode::NotFound, "nothing here").problem(Some("r1".into()));
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["status"], 404);
        assert_eq!(json["code"], "not_found");
        assert_eq!(json["type"], "/problems/not_found");
        assert_eq!(json["request_id"], "r1");
    }
}
