//! What every handler can reach: the pool, the keys, the caches and the operator's rules.

use std::sync::Arc;

use crate::api::rate_limit::RateLimits;
use crate::auth::AuthSettings;
use crate::auth::keys::KeyRing;
use crate::postgres::DbPool;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Our database pool.
    pub pool: DbPool,
    /// Authentication settings.
    pub auth: Arc<AuthSettings>,
    /// Token signing keys.
    pub keys: Arc<KeyRing>,
    /// Rate-limiting buckets.
    pub limits: Arc<RateLimits>,
    /// Recently read API clients.
    pub clients: Arc<crate::auth::client_cache::ClientCache>,
    /// Client tokens already verified.
    pub verified_tokens: Arc<crate::auth::token_cache::VerifiedTokens>,
    /// The key sealing connector secrets.
    pub secrets: Arc<crate::auth::secret_box::SecretBox>,
    /// Outbound webhook settings and HTTP client.
    pub webhooks: Arc<crate::outbound::Webhooks>,
    /// What the operator lets connector instances reach (inboxes, hosts).
    pub connector_rules: Arc<crate::sources::operator::ConnectorRules>,
}

impl AppState {
    /// The same state with the operator's rules for connector instances.
    pub fn with_connector_rules(mut self, rules: crate::sources::operator::ConnectorRules) -> Self {
        self.connector_rules = Arc::new(rules);
        self
    }

    /// The same state with other webhook settings.
    pub fn with_webhooks(
        mut self,
        settings: crate::outbound::WebhookSettings,
    ) -> Result<Self, reqwest::Error> {
        self.webhooks = Arc::new(crate::outbound::Webhooks::new(settings)?);
        Ok(self)
    }

    /// Builds the state, loading (or creating) the signing keys. Blocking.
    pub fn build(
        pool: DbPool,
        auth: AuthSettings,
        secrets: Arc<crate::auth::secret_box::SecretBox>,
    ) -> Result<Self, anyhow::Error> {
        let mut conn = pool.get()?;
        let keys = KeyRing::load(&mut conn, secrets.clone())?;
        drop(conn);
        Ok(AppState {
            limits: Arc::new(RateLimits::new(
                auth.rate_limit_per_minute,
                auth.sign_in_rate_limit_per_minute,
            )),
            pool,
            auth: Arc::new(auth),
            keys: Arc::new(keys),
            clients: Arc::default(),
            verified_tokens: Arc::default(),
            secrets,
            webhooks: Arc::new(crate::outbound::Webhooks::new(
                crate::outbound::WebhookSettings::default(),
            )?),
            connector_rules: Arc::default(),
        })
    }
}
