//! The HTTP API: handlers per resource, the error type, request observation and the contract.

pub mod auth;
pub mod clients;
pub mod contract;
pub mod db;
pub mod directory;
pub mod directory_input;
pub mod directory_writes;
pub mod extractors;
pub mod health;
pub mod idempotency;
pub mod journal;
pub mod matches;
pub mod notebooks;
pub mod oauth;
pub mod observe;
pub mod pagination;
pub mod people;
pub mod plan;
pub mod problem;
pub mod rate_limit;
pub mod request_id;
pub mod sync;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented route; the same function feeds the server and the contract, so
/// they cannot diverge.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(oauth::token)
        .service(oauth::jwks)
        .service(auth::request_login)
        .service(auth::open_session)
        .service(auth::close_session)
        .service(auth::me)
        .service(auth::create_personal_token)
        .service(auth::list_personal_tokens)
        .service(auth::revoke_personal_token)
        .service(clients::list_clients)
        .service(clients::create_client)
        .service(clients::rotate_client)
        .service(clients::revoke_client)
        .service(directory::list_deployments)
        .service(directory::list_structures)
        .service(directory::list_professionals)
        .service(directory::get_structure)
        .service(directory::get_professional)
        .service(directory_writes::create_structure)
        .service(directory_writes::update_structure)
        .service(directory_writes::create_professional)
        .service(directory_writes::update_professional)
        .service(directory_writes::deactivate_professional)
        .service(people::list_beneficiaries)
        .service(people::get_beneficiary)
        .service(people::access_log)
        .service(notebooks::get_notebook)
        .service(plan::add_focus)
        .service(plan::add_target)
        .service(plan::add_action)
        .service(plan::update_target)
        .service(plan::update_action)
        .service(plan::events)
        .service(sync::create_notebook)
        .service(sync::batch)
        .service(sync::changes)
        .service(matches::list_matches)
        .service(matches::resolve_match);
}
