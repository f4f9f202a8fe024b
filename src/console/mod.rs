//! The agents' console: pages under `/console`, rendered on the server from templates, on the
//! French State's design system (vendored, served by the hub itself), in French. Every page
//! goes through the same policy and reach as the API; a session cookie opened by the magic
//! link stands for the bearer token, and every form carries a CSRF token.

pub mod assets;
pub mod connectors;
pub mod error;
pub mod imports;
pub mod labels;
pub mod matches;
pub mod people;
pub mod render;
pub mod session;
pub mod sign_in;

use actix_web::web;

/// Registers the console's routes (pages, forms and the design system's files).
pub fn routes(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/console")
            .wrap(actix_web::middleware::from_fn(session::same_origin_posts))
            .wrap(actix_web::middleware::from_fn(render::page_headers))
            .route("", web::get().to(imports::home))
            .route("/", web::get().to(imports::home))
            .route("/static/{path:.*}", web::get().to(assets::serve))
            .route("/connexion", web::get().to(sign_in::form))
            .route("/connexion", web::post().to(sign_in::request_link))
            .route("/connexion/{key}", web::get().to(sign_in::confirm))
            .route("/connexion/{key}", web::post().to(sign_in::open))
            .route("/deconnexion", web::post().to(sign_in::close))
            .route("/imports", web::get().to(imports::list))
            .route("/imports", web::post().to(imports::upload))
            .route("/imports/nouveau", web::get().to(imports::new))
            .route("/imports/{id}", web::get().to(imports::show))
            .route(
                "/imports/{id}/progression",
                web::get().to(imports::progress),
            )
            .route("/imports/{id}/validation", web::post().to(imports::commit))
            .route(
                "/imports/{id}/corrections",
                web::post().to(imports::corrections),
            )
            .route(
                "/imports/{id}/erreurs.csv",
                web::get().to(imports::errors_file),
            )
            .route("/connecteurs", web::get().to(connectors::list))
            .route("/connecteurs/{id}", web::get().to(connectors::show))
            .route(
                "/connecteurs/{id}/fichiers",
                web::post().to(connectors::upload),
            )
            .route(
                "/connecteurs/{id}/fichiers/{file_id}",
                web::get().to(connectors::show_file),
            )
            .route(
                "/connecteurs/{id}/executions",
                web::post().to(connectors::start),
            )
            .route(
                "/connecteurs/{id}/executions/{run_id}",
                web::get().to(connectors::show_run),
            )
            .route("/rapprochements", web::get().to(matches::list))
            .route("/rapprochements/{id}", web::get().to(matches::show))
            .route("/rapprochements/{id}", web::post().to(matches::decide))
            .route("/personnes", web::get().to(people::list))
            .route("/personnes/{id}", web::get().to(people::show))
            .default_service(web::to(error::not_found)),
    );
}
