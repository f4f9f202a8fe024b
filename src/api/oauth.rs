//! The OAuth2 token endpoint (client credentials grant, RFC 6749 §4.4) and the public keys that
//! verify its tokens. Errors here follow RFC 6749 §5.2, not problem+json.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use utoipa::ToSchema;

use super::problem::ApiError;
use crate::api::state::AppState;
use crate::auth::keys::JwkSet;
use crate::auth::{clients, tokens};
use crate::domain::scopes::Scopes;
use crate::store;

/// A successful token response.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// The access token (a signed JWT).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: i64,
    /// Granted scopes, space-separated.
    pub scope: String,
}

/// An error of the token endpoint (RFC 6749 §5.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`,
    /// `unsupported_grant_type` or `invalid_scope`.
    pub error: String,
    /// Explanation for the developer.
    pub error_description: String,
}

/// The form of a token request.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct TokenRequest {
    /// Must be `client_credentials`.
    grant_type: String,
    /// Requested scopes, space-separated; all of the client's when absent.
    scope: Option<String>,
    /// Client id, when not sent with HTTP Basic.
    client_id: Option<String>,
    /// Client secret, when not sent with HTTP Basic.
    client_secret: Option<String>,
}

fn oauth_error(
    status: StatusCode,
    error: &str,
    description: &str,
    basic_challenge: bool,
) -> HttpResponse {
    let mut response = HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(OAuthError {
            error: error.to_owned(),
            error_description: description.to_owned(),
        });
    if basic_challenge {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"cdb-hub\""),
        );
    }
    response
}

fn invalid_request(description: &str) -> HttpResponse {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        description,
        false,
    )
}

/// Client credentials sent with HTTP Basic: `client_id:client_secret`, each form-urlencoded.
fn basic_credentials(request: &HttpRequest) -> Option<Result<(String, String), ()>> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    Some(
        STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| {
                let (id, secret) = text.split_once(':')?;
                let decode = |part: &str| {
                    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={part}"))
                        .ok()
                        .and_then(|pairs| pairs.into_iter().next().map(|(_, v)| v))
                };
                Some((decode(id)?, decode(secret)?))
            })
            .ok_or(()),
    )
}

/// Issues an access token to an API client (OAuth2 client credentials).
#[utoipa::path(
    tag = "auth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "An access token.", body = TokenResponse),
        (status = 400, description = "invalid_request, unsupported_grant_type or invalid_scope (RFC 6749 §5.2).", body = OAuthError),
        (status = 401, description = "invalid_client: unknown client, wrong secret or revoked client.", body = OAuthError),
        (status = 429, description = "Too many requests from this address.", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("client_basic" = []), ())
)]
#[post("/oauth/token")]
pub async fn token(
    request: HttpRequest,
    state: web::Data<AppState>,
    body: super::extractors::BoundedBody<{ 16 * 1024 }>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Ok(invalid_request(
            "The request must be application/x-www-form-urlencoded.",
        ));
    }
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return Ok(invalid_request("The request body is not a valid form."));
    };
    let mut seen = std::collections::HashSet::new();
    if let Some((name, _)) = pairs.iter().find(|(name, _)| !seen.insert(name.as_str())) {
        return Ok(invalid_request(&format!(
            "The parameter {name} is repeated."
        )));
    }
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let basic = basic_credentials(&request);
    let (client_id, secret, used_basic) = match (basic, param("client_id"), param("client_secret"))
    {
        (Some(Err(())), _, _) => {
            return Ok(oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "The HTTP Basic credentials are malformed.",
                true,
            ));
        }
        (Some(Ok(_)), Some(_), _) | (Some(Ok(_)), _, Some(_)) => {
            return Ok(invalid_request(
                "Authenticate the client with HTTP Basic or with client_id/client_secret in the body, not both.",
            ));
        }
        (Some(Ok((id, secret))), None, None) => (id, secret, true),
        (None, Some(id), Some(secret)) => (id, secret, false),
        (None, _, _) => {
            return Ok(oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication is missing.",
                false,
            ));
        }
    };
    match param("grant_type").as_deref() {
        None => return Ok(invalid_request("grant_type is missing.")),
        Some("client_credentials") => {}
        Some(_) => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Only the client_credentials grant is supported.",
                false,
            ));
        }
    }
    let requested = match param("scope").map(|scope| Scopes::parse(&scope)) {
        None => None,
        Some(Ok(scopes)) => Some(scopes),
        Some(Err(unknown)) => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                &format!("Unknown scope {:?}.", unknown.0),
                false,
            ));
        }
    };
    let pool = state.pool.clone();
    let keys = state.keys.clone();
    let client = web::block(move || -> Result<_, String> {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        let client = store::clients::active_by_client_id(&mut conn, &client_id)
            .map_err(|e| e.to_string())?;
        keys.refresh_if_rotated(&mut conn)
            .map_err(|e| e.to_string())?;
        Ok(client.filter(|client| clients::secret_matches(client, &secret)))
    })
    .await?
    .map_err(|e| ApiError::internal(&std::io::Error::other(e)))?;
    let Some(client) = client else {
        return Ok(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unknown client, wrong secret or revoked client.",
            used_basic,
        ));
    };
    let allowed = Scopes::from_names(&client.scope_names()).unwrap_or_default();
    let granted = match requested {
        None => allowed,
        Some(requested) if allowed.includes(requested) => requested,
        Some(_) => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                &format!("This client may request only: {allowed}."),
                false,
            ));
        }
    };
    let lifetime = state.auth.client_token_lifetime_secs;
    let access_token = tokens::issue(
        &state.keys,
        client.id,
        &client.client_id,
        client.deployment_id,
        client.structure_id,
        granted,
        lifetime,
    )
    .map_err(|e| ApiError::internal(&e))?;
    let pool = state.pool.clone();
    let id = client.id;
    web::block(move || {
        pool.get()
            .map(|mut conn| store::clients::touch(&mut conn, id))
    })
    .await?
    .ok();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: lifetime,
            scope: granted.to_string(),
        }))
}

/// The public keys verifying access tokens (JWKS); every token's header names its `kid`.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "The key set.", body = JwkSet)),
    security(())
)]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> web::Json<JwkSet> {
    web::Json(state.keys.jwks(chrono::Duration::seconds(
        state.auth.client_token_lifetime_secs,
    )))
}
