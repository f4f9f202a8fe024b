//! The HTTP API: handlers per resource, the error type, request observation and the contract.

pub mod answer;
pub mod appointments;
pub mod auth;
pub mod caller;
pub mod changelog;
pub mod clients;
pub mod connectors;
pub mod contract;
pub mod db;
pub mod diagnostic;
pub mod directory;
pub mod directory_input;
pub mod directory_writes;
pub mod extractors;
pub mod health;
pub mod idempotency;
pub mod identity;
pub mod imports;
pub mod inbound_events;
pub mod jobs;
pub mod journal;
pub mod login_address;
pub mod matches;
pub mod members;
pub mod notebooks;
pub mod oauth;
pub mod observe;
pub mod orientation;
pub mod pagination;
pub mod people;
pub mod plan;
pub mod privacy;
pub mod problem;
pub mod problem_guide;
pub mod problems;
pub mod rate_limit;
pub mod rattachement;
pub mod refresh;
pub mod request_id;
pub mod retention;
pub mod state;
pub mod sync;
pub mod sync_sessions;
pub mod webhooks;
pub mod writes;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented route; the same function feeds the server and the contract, so
/// they cannot diverge.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(changelog::changelog)
        .service(problems::list_problems)
        .service(problems::get_problem)
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
        .service(identity::edit_beneficiary)
        .service(login_address::set_login_email)
        .service(privacy::export_beneficiary)
        .service(privacy::purge_beneficiary)
        .service(retention::get_retention)
        .service(retention::set_retention)
        .service(retention::list_due)
        .service(retention::postpone)
        .service(jobs::job_summary)
        .service(jobs::list_jobs)
        .service(notebooks::list_notebooks)
        .service(notebooks::get_notebook)
        .service(plan::add_focus)
        .service(plan::add_target)
        .service(plan::add_action)
        .service(plan::update_target)
        .service(plan::update_action)
        .service(plan::events)
        .service(diagnostic::update_notebook)
        .service(diagnostic::add_situation)
        .service(diagnostic::remove_situation)
        .service(diagnostic::add_project)
        .service(diagnostic::update_project)
        .service(diagnostic::remove_project)
        .service(appointments::list_appointments)
        .service(appointments::add_appointment)
        .service(appointments::update_appointment)
        .service(appointments::delete_appointment)
        .service(members::invite_member)
        .service(members::set_referent)
        .service(members::end_membership)
        .service(orientation::request_orientation)
        .service(orientation::list_requests)
        .service(orientation::deny_request)
        .service(orientation::decide_orientation)
        .service(sync::create_notebook)
        .service(sync::batch)
        .service(sync::changes)
        .service(sync_sessions::open_session)
        .service(sync_sessions::get_session)
        .service(sync_sessions::complete_session)
        .service(sync_sessions::abandon_session)
        .service(connectors::create_connector)
        .service(connectors::list_connectors)
        .service(connectors::get_connector)
        .service(connectors::update_connector)
        .service(connectors::delete_connector)
        .service(connectors::start_run)
        .service(connectors::list_runs)
        .service(connectors::get_run)
        .service(connectors::list_run_items)
        .service(connectors::upload_file)
        .service(connectors::list_files)
        .service(connectors::get_file)
        .service(refresh::refresh_notebook)
        .service(inbound_events::receive_event)
        .service(matches::list_matches)
        .service(matches::resolve_match)
        .service(imports::upload)
        .service(imports::list_imports)
        .service(imports::get_import)
        .service(imports::list_rows)
        .service(imports::commit)
        .service(imports::correct)
        .service(imports::errors_file)
        .service(rattachement::pending_beneficiaries)
        .service(webhooks::create_webhook)
        .service(webhooks::list_webhooks)
        .service(webhooks::get_webhook)
        .service(webhooks::update_webhook)
        .service(webhooks::delete_webhook)
        .service(webhooks::ping_webhook)
        .service(webhooks::dead_letters)
        .service(webhooks::replay_webhook);
}
