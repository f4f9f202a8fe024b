//! Who is calling: the typed `Caller` extractor. A handler that takes a `Caller` cannot run
//! without an authenticated one (401 otherwise).

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};

use crate::api::problem::{ApiError, ErrorCode};
use crate::api::state::AppState;
use crate::auth::caller::{AccountPrincipal, Caller, ClientPrincipal, MissingScope, Principal};
use crate::auth::tokens::{self, TokenError};
use crate::domain::scopes::Scopes;
use crate::store;

impl From<MissingScope> for ApiError {
    fn from(missing: MissingScope) -> Self {
        ApiError::new(ErrorCode::InsufficientScope, missing.to_string())
    }
}

/// The cookie in which the console keeps a session token (read by the console's pages and by
/// the rate limiter, which counts a console page against its person; never by the API).
pub const CONSOLE_SESSION_COOKIE: &str = "cdb_console";

/// The bearer token of a request, if any.
pub fn bearer_token(request: &HttpRequest) -> Option<&str> {
    let value = request.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn unauthenticated(detail: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, detail)
}

/// Verifies a client token's signature and claims, reloading the keys once when it was signed
/// by a key this process does not know yet (another hub process rotated them).
async fn verify_client_token(
    state: &AppState,
    token: &str,
    lifetime: i64,
) -> Result<tokens::ClientClaims, ApiError> {
    match tokens::verify(&state.keys, token, lifetime) {
        Err(TokenError::UnknownKey(kid)) => {
            let pool = state.pool.clone();
            let keys = state.keys.clone();
            web::block(move || -> Result<(), String> {
                let mut conn = pool.get().map_err(|e| e.to_string())?;
                keys.reload_for_unknown_kid(&mut conn)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| ApiError::internal(&e))?
            .map_err(|e| ApiError::internal(&std::io::Error::other(e)))?;
            if !state.keys.knows(&kid) {
                return Err(unauthenticated(
                    "The access token was signed by an unknown key.",
                ));
            }
            tokens::verify(&state.keys, token, lifetime)
        }
        other => other,
    }
    .map_err(|_| unauthenticated("The access token is invalid or expired."))
}

/// Authenticates a bearer token.
pub async fn authenticate(state: &AppState, token: String) -> Result<Caller, ApiError> {
    if tokens::looks_like_jwt(&token) {
        let lifetime = state.auth.client_token_lifetime_secs;
        let claims = match state.verified_tokens.get(&token) {
            Some(claims) => claims,
            None => {
                let claims = verify_client_token(state, &token, lifetime).await?;
                state.verified_tokens.put(&token, &claims);
                claims
            }
        };
        let pool = state.pool.clone();
        let cached = state.clients.get(claims.client);
        let client = match cached {
            Some(client) => Some(client),
            None => {
                let client_id = claims.client;
                let found = web::block(move || {
                    let mut conn = pool.get().map_err(|e| e.to_string())?;
                    store::clients::active_by_id(&mut conn, client_id).map_err(|e| e.to_string())
                })
                .await
                .map_err(|e| ApiError::internal(&e))?
                .map_err(|e| ApiError::internal(&std::io::Error::other(e)))?;
                if let Some(client) = &found {
                    state.clients.put(client.clone());
                }
                found
            }
        }
        .filter(|client| {
            client.client_id == claims.sub && client.deployment_id == claims.deployment_id
        })
        .ok_or_else(|| unauthenticated("The API client of this token is revoked or unknown."))?;
        let granted = Scopes::parse(&claims.scope).unwrap_or_default();
        let current = Scopes::from_names(&client.scope_names()).unwrap_or_default();
        return Ok(Caller {
            principal: Principal::Client(ClientPrincipal {
                api_client_id: client.id,
                client_id: client.client_id,
                deployment_id: client.deployment_id,
                structure_id: client.structure_id,
            }),
            scopes: granted.intersect(current),
        });
    }
    let hash = crate::auth::secrets::sha256_hex(&token);
    let pool = state.pool.clone();
    let found = web::block(move || {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        store::accounts::by_token_hash(&mut conn, &hash).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
    .map_err(|e| ApiError::internal(&std::io::Error::other(e)))?
    .ok_or_else(|| unauthenticated("The access token is invalid, expired or revoked."))?;
    let role = found.account.role;
    let role_scopes = role.scopes();
    let scopes = match &found.token_scopes {
        Some(names) => Scopes::from_names(names)
            .unwrap_or_default()
            .intersect(role_scopes),
        None => role_scopes,
    };
    Ok(Caller {
        principal: Principal::Account(AccountPrincipal {
            account_id: found.account.id,
            role,
            deployment_id: found.account.deployment_id,
            profile_id: found.account.profile_id,
            structure_id: found.account.structure_id,
            token_id: found.token_id,
            is_session: found.token_scopes.is_none(),
        }),
        scopes,
    })
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(caller) = request.extensions().get::<Caller>() {
            let caller = caller.clone();
            return Box::pin(async move { Ok(caller) });
        }
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(request).map(str::to_owned);
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                ApiError::internal(&std::io::Error::other("application state missing"))
            })?;
            let token = token.ok_or_else(|| {
                unauthenticated(
                    "This endpoint needs a bearer access token (Authorization: Bearer …).",
                )
            })?;
            authenticate(&state, token).await
        })
    }
}
