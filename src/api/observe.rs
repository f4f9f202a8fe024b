//! The middleware every request goes through: request id, tracing span, access log line and
//! HTTP metrics (counts and latency by route pattern and status).

use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

use super::request_id;

/// Wraps one request: see the module documentation.
pub async fn observe(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    let started = Instant::now();
    let id = request_id::from_header(
        request
            .headers()
            .get(request_id::HEADER)
            .and_then(|v| v.to_str().ok()),
    );
    let method = request.method().to_string();
    // The raw path is not logged: it may carry a secret (a login key pasted in a URL). The
    // route pattern is logged once the request is routed.
    let span = tracing::info_span!("request", request_id = %id, method = %method);
    let result = request_id::scope(id.clone(), next.call(request).instrument(span.clone())).await;
    let elapsed = started.elapsed();
    let mut response = match result {
        Ok(response) => response,
        Err(error) => {
            span.in_scope(|| tracing::warn!(%error, "request failed before a response"));
            return Err(error);
        }
    };
    let status = response.status().as_u16();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    crate::telemetry::metrics::record_request(&method, &route, status, elapsed);
    span.in_scope(|| {
        tracing::info!(
            status,
            route = %route,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "request served"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(request_id::HEADER), value);
    }
    Ok(response)
}
