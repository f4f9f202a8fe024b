//! Access tokens of API clients: short-lived JWTs signed with the key ring (EdDSA), with the
//! client's deployment, optional structure and granted scopes.

use chrono::Utc;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::keys::KeyRing;
use crate::domain::scopes::Scopes;

/// Issuer of our tokens.
pub const ISSUER: &str = "cdb-hub";
/// Audience of our tokens: this API.
pub const AUDIENCE: &str = "cdb-hub-api";

/// The claims of a client access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClientClaims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The public client id.
    pub sub: String,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issue time.
    pub iat: i64,
    /// Token id.
    pub jti: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Internal id of the API client.
    pub client: Uuid,
    /// The client's deployment.
    pub deployment_id: Uuid,
    /// The structure the client is narrowed to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structure_id: Option<Uuid>,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a JWT, a bad signature, the wrong audience or issuer, or expired.
    #[error("the access token is invalid or expired")]
    Invalid,
    /// Signed by a key this hub does not know.
    #[error("the access token was signed by an unknown key")]
    UnknownKey(String),
    /// No signing key is available.
    #[error("no signing key is available")]
    NoKey,
}

/// Signs a token for a client.
pub fn issue(
    keys: &KeyRing,
    client: Uuid,
    client_id: &str,
    deployment_id: Uuid,
    structure_id: Option<Uuid>,
    scopes: Scopes,
    lifetime_secs: i64,
) -> Result<String, TokenError> {
    let now = Utc::now().timestamp();
    let claims = ClientClaims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: client_id.into(),
        exp: now + lifetime_secs,
        iat: now,
        jti: Uuid::new_v4().to_string(),
        scope: scopes.to_string(),
        client,
        deployment_id,
        structure_id,
    };
    keys.with_signing_key(|kid, key| {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, &claims, key).map_err(|_| TokenError::NoKey)
    })
    .unwrap_or(Err(TokenError::NoKey))
}

/// The key id a token claims to be signed with.
pub fn key_id(token: &str) -> Result<String, TokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
    if header.alg != Algorithm::EdDSA {
        return Err(TokenError::Invalid);
    }
    header.kid.ok_or(TokenError::Invalid)
}

/// Verifies signature, issuer, audience and expiry (no leeway: a token is short-lived), and
/// that the token claims no longer life than this hub gives (a forged far-future `exp` signed
/// with a leaked old key is refused).
pub fn verify(keys: &KeyRing, token: &str, lifetime_secs: i64) -> Result<ClientClaims, TokenError> {
    let kid = key_id(token)?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    let claims = keys
        .with_decoding_key(&kid, chrono::Duration::seconds(lifetime_secs), |key| {
            jsonwebtoken::decode::<ClientClaims>(token, key, &validation)
                .map(|data| data.claims)
                .map_err(|_| TokenError::Invalid)
        })
        .unwrap_or(Err(TokenError::UnknownKey(kid)))?;
    let now = Utc::now().timestamp();
    let plausible = claims.iat <= now + 60
        && claims.exp - claims.iat <= lifetime_secs
        && claims.exp <= now + lifetime_secs;
    if plausible {
        Ok(claims)
    } else {
        Err(TokenError::Invalid)
    }
}

/// Whether a bearer token has the shape of a JWT (three dot-separated parts).
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3
}
