//! OAuth2 client credentials against France Travail's token endpoint, with one cached token
//! per scope set.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use cdb_connector::ConnectorError;
use oauth2::basic::{BasicClient, BasicErrorResponse};
use oauth2::{
    AccessToken, AuthType, ClientId, ClientSecret, EndpointNotSet, EndpointSet, HttpRequest,
    HttpResponse, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use reqwest::StatusCode;
use thiserror::Error;
use tokio::time::Instant;

use crate::codes;
use crate::config::{ConfigError, FranceTravailConfig, Secret};
use crate::rate::RateGate;

/// Assumed lifetime of a token whose answer has no `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

type TokenClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The scopes of one operation, sorted so that equal sets share one cached token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ScopeSet(BTreeSet<String>);

impl ScopeSet {
    /// The union of space-separated scope lists.
    pub(crate) fn of<'a>(lists: impl IntoIterator<Item = &'a str>) -> Self {
        Self(
            lists
                .into_iter()
                .flat_map(str::split_whitespace)
                .map(str::to_owned)
                .collect(),
        )
    }

    fn key(&self) -> String {
        self.0.iter().cloned().collect::<Vec<_>>().join(" ")
    }
}

/// An access token and the generation that issued it (to invalidate exactly that one).
pub(crate) struct Bearer {
    pub(crate) token: AccessToken,
    pub(crate) generation: u64,
}

struct Cached {
    token: AccessToken,
    generation: u64,
    refresh_at: Instant,
}

/// Fetches and caches tokens; concurrent callers of one scope set share one fetch.
pub(crate) struct TokenCache {
    oauth: TokenClient,
    http: reqwest::Client,
    gate: Arc<RateGate>,
    margin: Duration,
    application_scope: Option<String>,
    secret: Secret,
    slots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Cached>>>>>,
    generations: AtomicU64,
}

impl TokenCache {
    /// A cache for the configured client, sending through `http` and `gate`.
    pub(crate) fn new(
        config: &FranceTravailConfig,
        http: reqwest::Client,
        gate: Arc<RateGate>,
    ) -> Result<Self, ConfigError> {
        let token_url = TokenUrl::from_url(config.token_url()?);
        let oauth = BasicClient::new(ClientId::new(config.client_id.clone()))
            .set_client_secret(ClientSecret::new(config.client_secret.expose().to_owned()))
            // France Travail reads the credentials from the form body, not from Basic auth.
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(token_url);
        Ok(Self {
            oauth,
            http,
            gate,
            margin: config.token_refresh_margin,
            application_scope: config
                .application_scope
                .then(|| format!("application_{}", config.client_id)),
            secret: config.client_secret.clone(),
            slots: Mutex::new(HashMap::new()),
            generations: AtomicU64::new(0),
        })
    }

    /// A valid token for these scopes, from the cache or freshly issued.
    pub(crate) async fn bearer(&self, scopes: &ScopeSet) -> Result<Bearer, ConnectorError> {
        let slot = self.slot(scopes);
        let mut cached = slot.lock().await;
        if let Some(current) = cached.as_ref()
            && Instant::now() < current.refresh_at
        {
            return Ok(Bearer {
                token: current.token.clone(),
                generation: current.generation,
            });
        }
        let fresh = self.fetch(scopes).await?;
        let bearer = Bearer {
            token: fresh.token.clone(),
            generation: fresh.generation,
        };
        *cached = Some(fresh);
        Ok(bearer)
    }

    /// Forgets the token of `generation` after the API refused it; a token issued since by a
    /// concurrent caller is kept.
    pub(crate) async fn invalidate(&self, scopes: &ScopeSet, generation: u64) {
        let slot = self.slot(scopes);
        let mut cached = slot.lock().await;
        if cached.as_ref().map(|c| c.generation) == Some(generation) {
            *cached = None;
        }
    }

    fn slot(&self, scopes: &ScopeSet) -> Arc<tokio::sync::Mutex<Option<Cached>>> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.entry(scopes.key()).or_default().clone()
    }

    async fn fetch(&self, scopes: &ScopeSet) -> Result<Cached, ConnectorError> {
        let mut request = self
            .oauth
            .exchange_client_credentials()
            .add_scopes(scopes.0.iter().cloned().map(Scope::new));
        if let Some(application) = &self.application_scope {
            request = request.add_scope(Scope::new(application.clone()));
        }
        let asked_at = Instant::now();
        // The future owns its handles: borrowing `self` in it breaks the `Send` bound that
        // the connector's futures must meet.
        let client = |req: HttpRequest| {
            let http = self.http.clone();
            let gate = self.gate.clone();
            async move { send(&http, &gate, req).await }
        };
        let answer = request
            .request_async(&client)
            .await
            .map_err(|e| token_error(e, self.secret.expose()))?;
        let lifetime = answer.expires_in().unwrap_or(DEFAULT_LIFETIME);
        // Short-lived tokens (tests, odd setups) still get half their life.
        let usable = lifetime.saturating_sub(self.margin).max(lifetime / 2);
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!(scopes = %scopes.key(), generation, lifetime_s = lifetime.as_secs(), "France Travail token issued");
        Ok(Cached {
            token: answer.access_token().clone(),
            generation,
            refresh_at: asked_at + usable,
        })
    }
}

/// What can go wrong on the way to the token endpoint, before oauth2 reads the answer.
#[derive(Debug, Error)]
pub(crate) enum TokenHttpError {
    /// The request did not get an answer.
    #[error("the token endpoint did not answer")]
    Send(#[source] reqwest::Error),
    /// The token endpoint asked us to slow down.
    #[error("the token endpoint is rate limiting")]
    RateLimited(Duration),
    /// The token endpoint failed on its side.
    #[error("the token endpoint answered HTTP {0}")]
    Server(u16),
}

/// The oauth2 crate's HTTP client, over the connector's reqwest client and quota.
async fn send(
    client: &reqwest::Client,
    gate: &RateGate,
    request: HttpRequest,
) -> Result<HttpResponse, TokenHttpError> {
    gate.wait().await;
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(TokenHttpError::Send)?;
    let status = response.status();
    if status == StatusCode::TOO_MANY_REQUESTS {
        let wait = codes::retry_after(response.headers(), SystemTime::now())
            .unwrap_or(codes::DEFAULT_RETRY_AFTER);
        return Err(TokenHttpError::RateLimited(wait));
    }
    if status.is_server_error() {
        return Err(TokenHttpError::Server(status.as_u16()));
    }
    let mut builder = oauth2::http::Response::builder().status(status);
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let bytes = response.bytes().await.map_err(TokenHttpError::Send)?;
    // Cannot fail: status and headers come from a valid response.
    builder
        .body(bytes.to_vec())
        .map_err(|_| TokenHttpError::Server(status.as_u16()))
}

/// Translates a token failure; the answer's body is never kept, since it may hold a token.
fn token_error(
    error: RequestTokenError<TokenHttpError, BasicErrorResponse>,
    secret: &str,
) -> ConnectorError {
    match error {
        RequestTokenError::ServerResponse(refusal) => {
            let description = refusal
                .error_description()
                .map(|d| match secret {
                    "" => codes::sanitise(d),
                    _ => codes::sanitise(&d.replace(secret, "[…]")),
                })
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            ConnectorError::Forbidden(format!("token refused: {}{description}", refusal.error()))
        }
        RequestTokenError::Request(TokenHttpError::RateLimited(retry_after)) => {
            ConnectorError::RateLimited { retry_after }
        }
        RequestTokenError::Request(failure) => {
            ConnectorError::transient("France Travail token endpoint unavailable", failure)
        }
        RequestTokenError::Parse(_, _) => {
            ConnectorError::Invalid("unreadable answer from the token endpoint".to_owned())
        }
        RequestTokenError::Other(reason) => {
            ConnectorError::Invalid(format!("token endpoint: {}", codes::sanitise(&reason)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_sets_are_unions_in_a_stable_order() {
        let a = ScopeSet::of(["b a", "c  a"]);
        let b = ScopeSet::of(["a b c"]);
        assert_eq!(a, b);
        assert_eq!(a.key(), "a b c");
    }
}
