//! The design system's files (`static/dsfr`, vendored from npm by `static/vendor.sh`) and the
//! console's own script, compiled into the binary and served with a long cache: their path
//! carries the design system's version.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use rust_embed::Embed;

/// The design system's version, as vendored (`static/package.json`).
pub const DSFR_VERSION: &str = "1.15.3";

#[derive(Embed)]
#[folder = "src/console/static/"]
#[include = "dsfr/**"]
#[include = "console.js"]
#[include = "console.css"]
struct Files;

/// `GET /console/static/{path}`: a vendored file (404 for anything else, the vendoring
/// script and lockfile included).
pub async fn serve(path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    match Files::get(&path) {
        Some(file) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, file.metadata.mimetype()))
            .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
            .body(file.data.into_owned()),
        None => super::error::ConsoleError::NotFound.page(),
    }
}
