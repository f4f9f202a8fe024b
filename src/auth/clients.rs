//! API client life cycle shared by the command line and the API: creation with a random secret
//! shown once, authentication of a secret (current or previous), rotation.

use chrono::{Duration, Utc};
use diesel::pg::PgConnection;
use uuid::Uuid;

use super::secrets;
use crate::domain::scopes::Scopes;
use crate::store::clients::{self, ApiClientRow, NewClient};

/// A client with its secret in clear, as answered once at creation or rotation.
#[derive(Debug, Clone)]
pub struct IssuedCredentials {
    /// The stored client.
    pub client: ApiClientRow,
    /// The secret: shown once, never stored in clear.
    pub client_secret: String,
}

/// Why a client operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Database failure.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// Hashing failure.
    #[error(transparent)]
    Hash(#[from] secrets::HashError),
}

fn new_secret() -> String {
    format!("cdbs_{}", secrets::random_token(32))
}

/// Creates a client with a fresh secret.
pub fn create(
    conn: &mut PgConnection,
    deployment_id: Uuid,
    structure_id: Option<Uuid>,
    name: &str,
    scopes: Scopes,
    created_by: Option<Uuid>,
) -> Result<IssuedCredentials, ClientError> {
    let client_id = format!("cdb_{}", secrets::random_alphanumeric(24));
    let client_secret = new_secret();
    let secret_hash = secrets::hash_secret(&client_secret)?;
    let client = clients::create(
        conn,
        NewClient {
            client_id: &client_id,
            deployment_id,
            structure_id,
            name,
            scopes: scopes.names(),
            secret_hash: &secret_hash,
            created_by,
        },
    )?;
    Ok(IssuedCredentials {
        client,
        client_secret,
    })
}

/// Installs a new secret; the previous one stays valid for `overlap`.
pub fn rotate(
    conn: &mut PgConnection,
    id: Uuid,
    overlap: Duration,
) -> Result<Option<IssuedCredentials>, ClientError> {
    let client_secret = new_secret();
    let hash = secrets::hash_secret(&client_secret)?;
    Ok(
        clients::rotate(conn, id, &hash, overlap)?.map(|client| IssuedCredentials {
            client,
            client_secret,
        }),
    )
}

/// Whether a secret is one of the client's valid secrets.
pub fn secret_matches(client: &ApiClientRow, secret: &str) -> bool {
    if secrets::verify_secret(secret, &client.secret_hash) {
        return true;
    }
    match (
        &client.previous_secret_hash,
        client.previous_secret_expires_at,
    ) {
        (Some(previous), Some(expires)) if expires > Utc::now() => {
            secrets::verify_secret(secret, previous)
        }
        _ => false,
    }
}
