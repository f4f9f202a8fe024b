//! One API call to France Travail: token, quota, agent and user headers, one refresh on a
//! 401, bounded retries of idempotent calls, and the answer classified.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cdb_connector::ConnectorError;
use reqwest::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};

use crate::auth::{ScopeSet, TokenCache};
use crate::codes::{self, Failure};
use crate::config::{ConfigError, FranceTravailConfig};
use crate::identify::UserToken;
use crate::rate::RateGate;

/// The header carrying the *jeton usager* on calls about one person.
const USER_TOKEN_HEADER: &str = "ft-jeton-usager";

/// The longest pause between two attempts of a call.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// One request to send.
pub(crate) struct Call<'a> {
    /// What the call is, for messages and logs (`GET informations-administratives`).
    pub name: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path below the API host, starting with `/partenaire/`.
    pub path: String,
    /// Query parameters.
    pub query: &'a [(&'a str, &'a str)],
    /// JSON body.
    pub body: Option<serde_json::Value>,
    /// The person the call is about, for calls that need one.
    pub user: Option<&'a UserToken>,
    /// The scopes the token must carry.
    pub scopes: &'a ScopeSet,
    /// True when sending it twice does no harm (reads, searches), so it may be retried.
    pub idempotent: bool,
}

/// A successful answer.
pub(crate) struct Answer {
    /// The 2xx status.
    pub status: StatusCode,
    /// The body as received.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON, or `Invalid` when it breaks the contract.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<T, ConnectorError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            // serde's message names the field and position, never the value.
            ConnectorError::Invalid(format!("unreadable answer to {name}: {e}"))
        })
    }

    /// True for 204 and empty bodies: France Travail's way to say "nothing".
    pub(crate) fn is_empty(&self) -> bool {
        self.status == StatusCode::NO_CONTENT || self.body.iter().all(u8::is_ascii_whitespace)
    }
}

/// Sends calls for one connector instance.
pub(crate) struct Transport {
    http: reqwest::Client,
    api: Url,
    gate: Arc<RateGate>,
    tokens: TokenCache,
    agent: HeaderMap,
    retries: u32,
    backoff: Duration,
}

impl Transport {
    /// Builds the HTTP client, the quota and the token cache from checked settings.
    pub(crate) fn new(config: &FranceTravailConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            return Err(ConfigError::CryptoProvider);
        }
        let http = reqwest::Client::builder()
            // The oauth2 docs warn that following redirects from a token endpoint opens SSRF,
            // and France Travail's 302 means "agent headers missing": never follow.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| ConfigError::Client(e.to_string()))?;
        let gate = Arc::new(RateGate::per_second(config.calls_per_second));
        let tokens = TokenCache::new(config, http.clone(), gate.clone())?;
        let mut agent = HeaderMap::new();
        for (name, value) in [
            ("pa-identifiant-agent", &config.agent.id),
            ("pa-nom-agent", &config.agent.last_name),
            ("pa-prenom-agent", &config.agent.first_name),
        ] {
            let value = HeaderValue::from_str(value).map_err(|_| ConfigError::Agent(name))?;
            agent.insert(HeaderName::from_static(name), value);
        }
        agent.insert(ACCEPT, HeaderValue::from_static("application/json"));
        Ok(Self {
            http,
            api: config.api_url()?,
            gate,
            tokens,
            agent,
            retries: config.transient_retries,
            backoff: config.retry_backoff,
        })
    }

    /// Sends the call until it succeeds, fails for good, or its retries are spent.
    pub(crate) async fn call(&self, call: &Call<'_>) -> Result<Answer, Failure> {
        let url = self.url(&call.path)?;
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            let bearer = self.tokens.bearer(call.scopes).await.map_err(plain)?;
            self.gate.wait().await;
            let outcome = self.send(call, url.clone(), bearer.token.secret()).await;
            let failure = match outcome {
                Ok((status, _, _)) if status == StatusCode::UNAUTHORIZED && !refreshed => {
                    // The token may have been revoked or expired early: one fresh token, once.
                    refreshed = true;
                    tracing::info!(call = call.name, "token refused, fetching a new one");
                    self.tokens.invalidate(call.scopes, bearer.generation).await;
                    continue;
                }
                Ok((status, _, body)) if status.is_success() => {
                    return Ok(Answer { status, body });
                }
                Ok((status, headers, body)) => {
                    let jeton = call.user.map(UserToken::as_str).unwrap_or_default();
                    let redact = [jeton, bearer.token.secret().as_str()];
                    codes::failure(status, &headers, &body, SystemTime::now(), &redact)
                }
                Err(error) => plain(error),
            };
            if let Some(retry_after) = failure.error.retry_after() {
                // The job runner retries; meanwhile no call of the instance leaves before
                // Retry-After (calls of the same read run side by side), since France Travail
                // counts the client's calls and would refuse them again.
                self.gate.pause(retry_after);
                return Err(failure);
            }
            let retryable = matches!(failure.error, ConnectorError::Transient { .. });
            if !(call.idempotent && retryable && attempt < self.retries) {
                return Err(failure);
            }
            let pause = self
                .backoff
                .saturating_mul(1 << attempt.min(16))
                .min(MAX_BACKOFF);
            attempt += 1;
            tracing::warn!(call = call.name, attempt, error = %failure.error, "retrying France Travail call");
            tokio::time::sleep(pause).await;
        }
    }

    async fn send(
        &self,
        call: &Call<'_>,
        url: Url,
        token: &str,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), ConnectorError> {
        let mut request = self
            .http
            .request(call.method.clone(), url)
            .headers(self.agent.clone())
            .header(reqwest::header::AUTHORIZATION, bearer_header(token)?);
        if let Some(user) = call.user {
            request = request.header(USER_TOKEN_HEADER, user.header_value()?);
        }
        if !call.query.is_empty() {
            request = request.query(call.query);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        let unreachable = |e: reqwest::Error| {
            let what = if e.is_timeout() {
                "timed out"
            } else {
                "failed"
            };
            ConnectorError::transient(format!("{} {what}", call.name), e)
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(unreachable)?;
        Ok((status, headers, body.to_vec()))
    }

    fn url(&self, path: &str) -> Result<Url, Failure> {
        let base = self.api.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}{path}")).map_err(|e| {
            plain(ConnectorError::fatal(
                "cannot build a France Travail URL",
                e,
            ))
        })
    }
}

/// A failure with no France Travail code attached.
pub(crate) fn plain(error: ConnectorError) -> Failure {
    Failure {
        error,
        remote_code: None,
    }
}

fn bearer_header(token: &str) -> Result<HeaderValue, ConnectorError> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        ConnectorError::Invalid("the access token is not a header value".to_owned())
    })?;
    value.set_sensitive(true);
    Ok(value)
}
