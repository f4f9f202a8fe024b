//! The OpenAPI contract: generated from the routes themselves, served as YAML and JSON, with
//! an interactive documentation page that needs no internet.

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDocument;

use super::problem::{ErrorCode, Problem};

/// Top-level information of the contract; paths are collected from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "cdb-hub",
        description = "Data-exchange hub of Carnet de bord: the notebook of people in an insertion journey, \
shared between départements, France Travail, CAF/MSA and the professionals who accompany them.\n\n\
Conventions: JSON fields in snake_case; ids are UUIDs; dates `YYYY-MM-DD`; timestamps RFC 3339 in UTC; \
lists are `{\"items\": [...], \"next_cursor\": \"…\" | null}` paged with `?limit=` and `?cursor=`; \
every error is an RFC 9457 `application/problem+json` document with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    tags((name = "operations", description = "Liveness, readiness and metrics.")),
    components(schemas(Problem, ErrorCode))
)]
pub struct ApiDoc;

/// The contract rendered as YAML, exactly as committed in `openapi.yaml`.
pub fn to_yaml(document: &OpenApiDocument) -> String {
    document
        .to_yaml()
        .unwrap_or_else(|error| format!("# the contract could not be rendered: {error}\n"))
}

/// Serves the YAML contract.
pub async fn yaml(document: web::Data<ContractText>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml; charset=utf-8")
        .body(document.yaml.clone())
}

/// The contract texts computed once at start-up.
#[derive(Debug, Clone)]
pub struct ContractText {
    /// YAML rendering.
    pub yaml: String,
}
