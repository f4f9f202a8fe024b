//! The OpenAPI contract: generated from the routes themselves, served as YAML and JSON, with
//! an interactive documentation page that needs no internet.

use actix_web::{HttpResponse, web};
use utoipa::openapi::OpenApi as OpenApiDocument;
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes as OAuthScopes,
    SecurityScheme,
};
use utoipa::{Modify, OpenApi};

use crate::domain::scopes::Scope;

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
    tags(
        (name = "operations", description = "Liveness, readiness and metrics."),
        (name = "auth", description = "OAuth2 client credentials for partner systems; magic-link login, sessions and personal tokens for people."),
        (name = "clients", description = "API clients of partner systems, managed by administrators and managers."),
        (name = "directory", description = "Deployments, structures and professionals."),
        (name = "people", description = "Beneficiaries and the journal of accesses to their data."),
        (name = "notebooks", description = "The notebook (carnet) of a person."),
        (name = "sync", description = "Partner sync: notebook creation, record batches, the change feed and possible matches."),
        (name = "webhooks", description = "Outbound webhooks: the change feed pushed to an API client's endpoint, signed (`X-Cdb-Timestamp`, `X-Cdb-Signature: sha256=<hex HMAC-SHA256 of \"{timestamp}.{body}\">`), at least once, in order per person, retried 72 hours, then dead letters to replay."),
    ),
    components(schemas(Problem, ErrorCode)),
    modifiers(&SecuritySchemes)
)]
pub struct ApiDoc;

/// Declares how callers authenticate: OAuth2 client credentials (partner systems) and bearer
/// tokens of people (sessions and personal access tokens).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApiDocument) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scopes = OAuthScopes::from_iter(
            Scope::ALL
                .iter()
                .map(|scope| (scope.as_str().to_owned(), scope.description().to_owned())),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new("/oauth/token", scopes))],
                "Partner information systems: OAuth2 client credentials; the access token is a JWT signed with a key of /.well-known/jwks.json.",
            )),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("People: a session token (POST /v1/auth/session) or a personal access token."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "client_basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "Client authentication at the token endpoint: client_id and client_secret.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Completes the document once the routes' paths are collected: every operation may be
/// refused by the rate limiter.
pub fn finish(document: &mut OpenApiDocument) {
    // Every operation may be refused by the rate limiter.
    for item in document.paths.paths.values_mut() {
        for operation in [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            let takes_json = operation
                .request_body
                .as_ref()
                .is_some_and(|body| match body {
                    utoipa::openapi::RefOr::T(body) => {
                        body.content.contains_key("application/json")
                    }
                    utoipa::openapi::RefOr::Ref(_) => false,
                });
            if takes_json {
                operation
                    .responses
                    .responses
                    .entry("400".to_owned())
                    .or_insert_with(|| {
                        problem_response("The body is not JSON, or not valid JSON.")
                    });
                operation
                    .responses
                    .responses
                    .entry("422".to_owned())
                    .or_insert_with(|| {
                        problem_response("The body does not have the expected fields or values.")
                    });
            }
            operation
                .responses
                .responses
                .entry("429".to_owned())
                .or_insert_with(|| {
                    utoipa::openapi::RefOr::T(
                        utoipa::openapi::ResponseBuilder::new()
                            .description("Rate limit exceeded: wait for Retry-After seconds.")
                            .content(
                                "application/problem+json",
                                utoipa::openapi::ContentBuilder::new()
                                    .schema(Some(utoipa::openapi::Ref::from_schema_name("Problem")))
                                    .build(),
                            )
                            .build(),
                    )
                });
        }
    }
}

fn problem_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    utoipa::openapi::RefOr::T(
        utoipa::openapi::ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(utoipa::openapi::Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

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
