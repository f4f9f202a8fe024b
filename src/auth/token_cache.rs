//! Client access tokens already verified by this process, until they expire: the EdDSA
//! signature check is the costliest step of a partner's request, and a partner sends the same
//! token for its whole lifetime. Only fully verified tokens enter; the client's revocation
//! state is still checked on every request (see `client_cache`).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::Utc;

use super::secrets::sha256_hex;
use super::tokens::ClientClaims;

/// Most tokens kept; past it, expired ones are dropped, then everything if still full.
const CAPACITY: usize = 10_000;

/// Verified tokens by the SHA-256 of their text (the tokens themselves are not kept).
#[derive(Default)]
pub struct VerifiedTokens {
    entries: Mutex<HashMap<String, ClientClaims>>,
}

impl VerifiedTokens {
    /// The claims of a token verified before and not expired yet.
    pub fn get(&self, token: &str) -> Option<ClientClaims> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&sha256_hex(token))
            .filter(|claims| claims.exp > Utc::now().timestamp())
            .cloned()
    }

    /// Remembers a token that passed every check.
    pub fn put(&self, token: &str, claims: &ClientClaims) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                let now = Utc::now().timestamp();
                entries.retain(|_, kept| kept.exp > now);
                if entries.len() >= CAPACITY {
                    entries.clear();
                }
            }
            entries.insert(sha256_hex(token), claims.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> ClientClaims {
        ClientClaims {
            iss: "cdb-hub".into(),
            aud: "cdb-hub".into(),
            sub: "cdb_x".into(),
            exp,
            iat: exp - 60,
            jti: "j".into(),
            scope: String::new(),
            client: uuid::Uuid::nil(),
            deployment_id: uuid::Uuid::nil(),
            structure_id: None,
        }
    }

    #[test]
    fn a_verified_token_is_remembered_until_it_expires() {
        let cache = VerifiedTokens::default();
        let now = Utc::now().timestamp();
        cache.put("live", &claims(now + 60));
        cache.put("expired", &claims(now - 1));
        assert!(cache.get("live").is_some());
        assert!(cache.get("expired").is_none());
        assert!(cache.get("never seen").is_none());
    }
}
