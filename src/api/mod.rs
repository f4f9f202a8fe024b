//! The HTTP API: handlers per resource, the error type, request observation and the contract.

pub mod contract;
pub mod health;
pub mod observe;
pub mod problem;
pub mod request_id;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented route; the same function feeds the server and the contract, so
/// they cannot diverge.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(health::healthz)
        .service(health::readyz)
        .service(health::metrics);
}
