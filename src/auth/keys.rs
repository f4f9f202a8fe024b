//! The keys signing API clients' access tokens (EdDSA): created on first use, kept in the
//! database sealed by the hub's secret box (a database dump alone cannot mint tokens) so that
//! every hub process signs and verifies with the same ones, published as a JWKS, and rotated by
//! adding a new key (the old one keeps verifying until its tokens expire).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::Rng;
use serde::Serialize;
use utoipa::ToSchema;

use crate::schema::signing_key;

/// Why keys could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Database failure.
    #[error("signing keys could not be read or stored: {0}")]
    Database(#[from] diesel::result::Error),
    /// Key encoding failure.
    #[error("signing key encoding failed: {0}")]
    Encoding(String),
    /// A sealed key does not open with this hub's secrets key.
    #[error("a token signing key does not open with this hub's secrets key: {0}")]
    Sealing(#[from] super::secret_box::SecretsError),
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = signing_key)]
struct KeyRow {
    kid: String,
    private_key_der: Vec<u8>,
    public_key: Vec<u8>,
    created_at: DateTime<Utc>,
    retired_at: Option<DateTime<Utc>>,
    sealed: bool,
}

/// One key usable for verification (and for signing if it is the active one).
struct LoadedKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    public_key: Vec<u8>,
    retired_at: Option<DateTime<Utc>>,
}

/// The signing keys known to this process.
pub struct KeyRing {
    keys: RwLock<(Option<String>, HashMap<String, LoadedKey>)>,
    secrets: Arc<super::secret_box::SecretBox>,
    /// When a token with an unknown key id last made this process read the keys again (Unix
    /// seconds): at most once a minute, so that forged key ids cannot hammer the database.
    last_unknown_kid_reload: AtomicI64,
}

/// How often a token signed by an unknown key may make the keys be read again.
pub const UNKNOWN_KID_RELOAD_SECS: i64 = 60;

/// What a sealed key is bound to: its key id.
fn sealing_id(kid: &str) -> uuid::Uuid {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("cdb-hub:signing_key:{kid}").as_bytes(),
    )
}

/// A JSON Web Key (public part of an Ed25519 key).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Jwk {
    /// Key type: `OKP`.
    pub kty: String,
    /// Curve: `Ed25519`.
    pub crv: String,
    /// Public key, base64url.
    pub x: String,
    /// Key id, as in the tokens' header.
    pub kid: String,
    /// Algorithm: `EdDSA`.
    pub alg: String,
    /// Use: `sig`.
    #[serde(rename = "use")]
    pub key_use: String,
}

/// The published key set.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JwkSet {
    /// The keys that may have signed a valid token.
    pub keys: Vec<Jwk>,
}

fn new_key_row(secrets: &super::secret_box::SecretBox) -> Result<KeyRow, KeyError> {
    let mut seed = [0u8; 32];
    rand::rng().fill(&mut seed);
    let signing = SigningKey::from_bytes(&seed);
    let der = signing
        .to_pkcs8_der()
        .map_err(|e| KeyError::Encoding(e.to_string()))?;
    let kid = super::secrets::random_alphanumeric(16);
    Ok(KeyRow {
        private_key_der: secrets.seal(sealing_id(&kid), der.as_bytes())?,
        kid,
        public_key: signing.verifying_key().to_bytes().to_vec(),
        created_at: Utc::now(),
        retired_at: None,
        sealed: true,
    })
}

impl KeyRing {
    /// Loads the keys, creating the first one on a fresh database.
    pub fn load(
        conn: &mut PgConnection,
        secrets: Arc<super::secret_box::SecretBox>,
    ) -> Result<Self, KeyError> {
        let ring = KeyRing {
            keys: RwLock::new((None, HashMap::new())),
            secrets,
            last_unknown_kid_reload: AtomicI64::new(0),
        };
        ring.reload(conn)?;
        let has_active = ring
            .keys
            .read()
            .map(|keys| keys.0.is_some())
            .unwrap_or(false);
        if !has_active {
            diesel::insert_into(signing_key::table)
                .values(new_key_row(&ring.secrets)?)
                .execute(conn)?;
            ring.reload(conn)?;
        }
        Ok(ring)
    }

    /// Re-reads the keys from the database (another process may have rotated them).
    pub fn reload(&self, conn: &mut PgConnection) -> Result<(), KeyError> {
        let rows: Vec<KeyRow> = signing_key::table
            .order(signing_key::created_at.asc())
            .load(conn)?;
        let mut active = None;
        let mut keys = HashMap::new();
        for row in rows {
            if row.retired_at.is_none() {
                active = Some(row.kid.clone());
            }
            let private_key_der = if row.sealed {
                self.secrets
                    .open(sealing_id(&row.kid), &row.private_key_der)?
            } else {
                // Written before keys were sealed: sealed now, in place.
                let sealed = self
                    .secrets
                    .seal(sealing_id(&row.kid), &row.private_key_der)?;
                diesel::update(signing_key::table.find(&row.kid))
                    .set((
                        signing_key::private_key_der.eq(sealed),
                        signing_key::sealed.eq(true),
                    ))
                    .execute(conn)?;
                row.private_key_der.clone()
            };
            keys.insert(
                row.kid.clone(),
                LoadedKey {
                    encoding: EncodingKey::from_ed_der(&private_key_der),
                    decoding: DecodingKey::from_ed_der(&row.public_key),
                    public_key: row.public_key,
                    retired_at: row.retired_at,
                },
            );
        }
        if let Ok(mut guard) = self.keys.write() {
            *guard = (active, keys);
        }
        Ok(())
    }

    /// Retires the active key and creates a new one; answers the new key id.
    pub fn rotate(&self, conn: &mut PgConnection) -> Result<String, KeyError> {
        let row = new_key_row(&self.secrets)?;
        let kid = row.kid.clone();
        conn.transaction::<_, KeyError, _>(|conn| {
            diesel::update(signing_key::table.filter(signing_key::retired_at.is_null()))
                .set(signing_key::retired_at.eq(Utc::now()))
                .execute(conn)?;
            diesel::insert_into(signing_key::table)
                .values(row)
                .execute(conn)?;
            Ok(())
        })?;
        self.reload(conn)?;
        Ok(kid)
    }

    /// The id of the key this process signs with.
    pub fn active_kid(&self) -> Option<String> {
        self.keys.read().ok().and_then(|keys| keys.0.clone())
    }

    /// Reloads the keys if another process rotated them since they were read (checked before
    /// signing: token issuance is rare, so one indexed query is cheap there).
    pub fn refresh_if_rotated(&self, conn: &mut PgConnection) -> Result<(), KeyError> {
        let active: Option<String> = signing_key::table
            .filter(signing_key::retired_at.is_null())
            .select(signing_key::kid)
            .first(conn)
            .optional()?;
        if active.is_some() && active != self.active_kid() {
            self.reload(conn)?;
        }
        Ok(())
    }

    /// The active key id and its signing key.
    pub fn with_signing_key<T>(&self, sign: impl FnOnce(&str, &EncodingKey) -> T) -> Option<T> {
        let guard = self.keys.read().ok()?;
        let kid = guard.0.as_ref()?;
        let key = guard.1.get(kid)?;
        Some(sign(kid, &key.encoding))
    }

    /// The verification key of a key id, if known and not retired for longer than a token's
    /// lifetime (a retired key verifies only the tokens it may still have signed).
    pub fn with_decoding_key<T>(
        &self,
        kid: &str,
        token_lifetime: chrono::Duration,
        verify: impl FnOnce(&DecodingKey) -> T,
    ) -> Option<T> {
        let guard = self.keys.read().ok()?;
        let now = Utc::now();
        guard
            .1
            .get(kid)
            .filter(|key| {
                key.retired_at
                    .is_none_or(|retired| retired + token_lifetime > now)
            })
            .map(|key| verify(&key.decoding))
    }

    /// Reads the keys again for a token signed by an unknown key id (another process may have
    /// rotated them), unless that was done less than [`UNKNOWN_KID_RELOAD_SECS`] ago; answers
    /// whether the keys were read.
    pub fn reload_for_unknown_kid(&self, conn: &mut PgConnection) -> Result<bool, KeyError> {
        let now = Utc::now().timestamp();
        let last = self.last_unknown_kid_reload.load(Ordering::Relaxed);
        if now - last < UNKNOWN_KID_RELOAD_SECS
            || self
                .last_unknown_kid_reload
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return Ok(false);
        }
        self.reload(conn)?;
        Ok(true)
    }

    /// Whether a key id is known.
    pub fn knows(&self, kid: &str) -> bool {
        self.keys
            .read()
            .map(|keys| keys.1.contains_key(kid))
            .unwrap_or(false)
    }

    /// The public keys that may still verify a valid token.
    pub fn jwks(&self, token_lifetime: chrono::Duration) -> JwkSet {
        let now = Utc::now();
        let keys = self
            .keys
            .read()
            .map(|guard| {
                let mut keys: Vec<Jwk> = guard
                    .1
                    .iter()
                    .filter(|(_, key)| {
                        key.retired_at
                            .is_none_or(|retired| retired + token_lifetime > now)
                    })
                    .map(|(kid, key)| Jwk {
                        kty: "OKP".into(),
                        crv: "Ed25519".into(),
                        x: URL_SAFE_NO_PAD.encode(&key.public_key),
                        kid: kid.clone(),
                        alg: "EdDSA".into(),
                        key_use: "sig".into(),
                    })
                    .collect();
                keys.sort_by(|a, b| a.kid.cmp(&b.kid));
                keys
            })
            .unwrap_or_default();
        JwkSet { keys }
    }
}
