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
        (name = "retention", description = "The data lifecycle: each deployment's retention, the people due for the retention purge, postponements."),
        (name = "notebooks", description = "The notebook (carnet) of a person."),
        (name = "sync", description = "Partner sync: notebook creation, record batches, the change feed and possible matches."),
        (name = "webhooks", description = "Outbound webhooks: the change feed pushed to an API client's endpoint, signed as the Standard Webhooks specification says (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of \"{id}.{timestamp}.{body}\">` keyed by the base64 after `whsec_`: verify with any Standard Webhooks library), at least once, in order per person, retried 72 hours, then dead letters to replay. The former `X-Cdb-Timestamp` and `X-Cdb-Signature` are still sent for one more version."),
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

/// Completes the document once the routes' paths are collected: every authenticated POST
/// takes an `Idempotency-Key`, and every operation may be refused by the rate limiter.
pub fn finish(document: &mut OpenApiDocument) {
    document.info.version = super::changelog::current_version();
    let description = document.info.description.get_or_insert_with(String::new);
    description.push_str("\n\n");
    description.push_str(&super::changelog::markdown());
    response_headers(document);
    for (path, item) in document.paths.paths.iter_mut() {
        if path.starts_with("/v1/")
            && let Some(operation) = item.post.as_mut()
            && authenticated(operation)
        {
            idempotent(operation);
        }
    }
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
            let paged = operation.parameters.iter().flatten().any(|parameter| {
                matches!(parameter, utoipa::openapi::RefOr::T(p) if p.name == "limit" || p.name == "cursor")
            });
            if paged {
                operation
                    .responses
                    .responses
                    .entry("400".to_owned())
                    .or_insert_with(|| {
                        problem_response("An invalid parameter (`invalid_parameter`): a `limit` out of range, a `cursor` not given by this API…")
                    });
            }
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

/// Headers every answer may carry, declared once in `components.headers`: name, description,
/// whether deprecated, and an example.
const HEADERS: &[(&str, &str, bool, &str)] = &[
    (
        "X-Request-Id",
        "Id of the request, as in the server logs and problem documents' `request_id` (yours if you sent a well-formed one).",
        false,
        "01938f2e-6c1b-7f8e-9a4b-2f1c0e5d7a90",
    ),
    (
        "RateLimit-Policy",
        "The quota of your bucket (IETF draft-ietf-httpapi-ratelimit-headers): `\"caller\";q=<requests>;w=60` per 60 seconds (`\"sign-in\"` on the sign-in endpoints, per address).",
        false,
        "\"caller\";q=600;w=60",
    ),
    (
        "RateLimit",
        "What is left of the quota: `\"caller\";r=<remaining>;t=<seconds until full again>`.",
        false,
        "\"caller\";r=598;t=1",
    ),
    (
        "RateLimit-Limit",
        "Deprecated (kept one version): the quota per minute; read `RateLimit-Policy`.",
        true,
        "600",
    ),
    (
        "RateLimit-Remaining",
        "Deprecated (kept one version): requests left; read `RateLimit`.",
        true,
        "598",
    ),
    (
        "RateLimit-Reset",
        "Deprecated (kept one version): seconds until the bucket is full again; read `RateLimit`.",
        true,
        "1",
    ),
    (
        "Retry-After",
        "Seconds to wait before sending again.",
        false,
        "12",
    ),
    (
        "ETag",
        "The version of the resource: send it in `If-Match` to update it.",
        false,
        "\"v7\"",
    ),
    (
        "Location",
        "The URL of the resource created or of the work started.",
        false,
        "/v1/imports/0193…",
    ),
    (
        "Idempotent-Replayed",
        "`true` when this is the kept answer of an earlier request with the same `Idempotency-Key`.",
        false,
        "true",
    ),
];

/// The answers that carry a `Location`: (method, path, statuses).
const LOCATIONS: &[(&str, &str, &[&str])] = &[
    ("post", "/v1/structures", &["201"]),
    ("post", "/v1/professionals", &["201"]),
    ("post", "/v1/notebooks", &["201"]),
    ("post", "/v1/sync-sessions", &["201"]),
    ("post", "/v1/connectors", &["201"]),
    ("post", "/v1/connectors/{id}/runs", &["202"]),
    ("post", "/v1/connectors/{id}/files", &["200", "202"]),
    ("post", "/v1/imports", &["202"]),
    ("post", "/v1/imports/{id}/commit", &["202"]),
    ("post", "/v1/imports/{id}/corrections", &["202"]),
    ("post", "/v1/webhooks", &["201"]),
];

/// The answers that carry an `ETag` besides every notebook write (a `Written` answer).
const ETAGS: &[(&str, &str, &str)] = &[
    ("get", "/v1/notebooks/{id}", "200"),
    ("get", "/v1/beneficiaries/{id}", "200"),
    ("patch", "/v1/beneficiaries/{id}", "200"),
];

fn header_ref(name: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Header> {
    utoipa::openapi::RefOr::Ref(utoipa::openapi::Ref::new(format!(
        "#/components/headers/{name}"
    )))
}

/// Declares the headers of every answer: request id and rate limits on all, `Retry-After` on
/// 429 and 503, `ETag` and `Location` where the handlers send them.
fn response_headers(document: &mut OpenApiDocument) {
    use utoipa::openapi::{Deprecated, HeaderBuilder, ObjectBuilder, RefOr, Type};
    let components = document.components.get_or_insert_with(Default::default);
    for (name, description, deprecated, example) in HEADERS {
        components.headers.insert(
            (*name).to_owned(),
            RefOr::T(
                HeaderBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .description(Some(*description))
                    .deprecated(deprecated.then_some(Deprecated::True))
                    .example(Some(serde_json::json!(example)))
                    .build(),
            ),
        );
    }
    for (path, item) in document.paths.paths.iter_mut() {
        for (method, operation) in [
            ("get", item.get.as_mut()),
            ("post", item.post.as_mut()),
            ("put", item.put.as_mut()),
            ("patch", item.patch.as_mut()),
            ("delete", item.delete.as_mut()),
        ] {
            let Some(operation) = operation else { continue };
            for (status, response) in operation.responses.responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                let mut names = vec![
                    "X-Request-Id",
                    "RateLimit-Policy",
                    "RateLimit",
                    "RateLimit-Limit",
                    "RateLimit-Remaining",
                    "RateLimit-Reset",
                ];
                if status == "429" || status == "503" {
                    names.push("Retry-After");
                }
                let written = response.content.values().any(|content| {
                    matches!(content, RefOr::T(content) if matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Written")))
                });
                if (status.starts_with('2') && written)
                    || ETAGS.contains(&(method, path.as_str(), status.as_str()))
                {
                    names.push("ETag");
                }
                if LOCATIONS
                    .iter()
                    .any(|(m, p, s)| *m == method && p == path && s.contains(&status.as_str()))
                {
                    names.push("Location");
                }
                for name in names {
                    response.headers.insert(name.to_owned(), header_ref(name));
                }
            }
        }
    }
}

/// Whether an operation needs a caller's credentials (not only an optional or empty scheme).
fn authenticated(operation: &utoipa::openapi::path::Operation) -> bool {
    operation.security.as_ref().is_some_and(|requirements| {
        requirements.iter().any(|requirement| {
            serde_json::to_value(requirement)
                .ok()
                .and_then(|value| value.as_object().map(|o| !o.is_empty()))
                .unwrap_or(false)
        })
    })
}

/// Declares `Idempotency-Key` on a POST (see `api::idempotency`): the header, the replay's
/// `Idempotent-Replayed` on its successes, and the refusals of a key.
fn idempotent(operation: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{ObjectBuilder, RefOr, Required, Type};
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    if !parameters
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.name.eq_ignore_ascii_case("idempotency-key")))
    {
        parameters.push(RefOr::T(
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(format!(
                    "Makes the request safe to send again: a replay (same key, same path and body) \
                     answers the first success with `Idempotent-Replayed: true` instead of running \
                     again, for {} hours; an answer other than a success frees the key. The same key \
                     with another request: 422 `idempotency_key_reused`; while the first request \
                     runs: 409 `idempotency_in_progress`; if the hub stopped while running it: 409 \
                     `idempotency_outcome_unknown` (never run twice). Keys are per caller.",
                    crate::store::idempotency::KEPT_HOURS
                )))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .max_length(Some(255)),
                ))
                .build(),
        ));
    }
    for (status, response) in operation.responses.responses.iter_mut() {
        if status.starts_with('2')
            && let RefOr::T(response) = response
        {
            response
                .headers
                .entry("Idempotent-Replayed".to_owned())
                .or_insert_with(|| header_ref("Idempotent-Replayed"));
        }
    }
    let responses = &mut operation.responses.responses;
    responses.entry("400".to_owned()).or_insert_with(|| {
        problem_response(
            "Idempotency-Key is not 1 to 255 visible ASCII characters (`invalid_parameter`).",
        )
    });
    responses.entry("409".to_owned()).or_insert_with(|| {
        problem_response("A request with this Idempotency-Key is running (`idempotency_in_progress`), or its outcome is unknown (`idempotency_outcome_unknown`).")
    });
    responses.entry("422".to_owned()).or_insert_with(|| {
        problem_response(
            "This Idempotency-Key was used with another request (`idempotency_key_reused`).",
        )
    });
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
