//! Assembling the HTTP application and running a hub process (server and workers) until a
//! shutdown signal drains both.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDocument;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::api::contract::{self, ApiDoc, ContractText};
use crate::api::rate_limit::rate_limit;
pub use crate::api::state::AppState;
use crate::api::{observe::observe, problem};

/// The contract, computed from the same route registration as the server.
pub fn openapi() -> OpenApiDocument {
    let (_, mut document) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::api::routes)
        .split_for_parts();
    contract::finish(&mut document);
    document
}

/// Builds the HTTP server on a bound listener; it handles no signal itself (see [`run_until_signal`]).
pub fn http_server(
    state: AppState,
    listener: TcpListener,
    grace: Duration,
) -> std::io::Result<Server> {
    crate::telemetry::metrics::handle();
    let document = openapi();
    let text = ContractText {
        yaml: contract::to_yaml(&document),
    };
    let server = HttpServer::new(move || {
        let (app, mut document) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .app_data(web::Data::new(state.clone()))
            .app_data(web::Data::new(text.clone()))
            .configure(crate::api::routes)
            .split_for_parts();
        contract::finish(&mut document);
        app.app_data(crate::api::extractors::json_config())
            .app_data(crate::api::extractors::query_config())
            .app_data(crate::api::extractors::path_config())
            .route("/openapi.yaml", web::get().to(contract::yaml))
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header(("Location", "/docs/"))
                        .finish()
                }),
            )
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .url("/openapi.json", document)
                    .config(SwaggerConfig::default().validator_url("none")),
            )
            .configure(crate::console::routes)
            .default_service(web::to(problem::not_found))
            .wrap(from_fn(crate::api::idempotency::idempotency))
            .wrap(from_fn(rate_limit))
            .wrap(Compress::default())
            .wrap(from_fn(observe))
    })
    .disable_signals()
    .shutdown_timeout(grace.as_secs())
    .listen(listener)?
    .run();
    Ok(server)
}

/// Resolves on the first SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received: draining");
}
