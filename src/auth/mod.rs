//! Who is calling and what they may see: API clients (OAuth2 client credentials), people's
//! accounts (magic links, sessions, personal tokens), scopes, and the one policy.

pub mod caller;
pub mod client_cache;
pub mod clients;
pub mod keys;
pub mod login;
pub mod policy;
pub mod secret_box;
pub mod secrets;
pub mod token_cache;
pub mod tokens;

/// Settings of authentication and rate limiting.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Base URL of the Carnet de bord application, for login links.
    pub app_url: String,
    /// The hub's own public URL: the console's sign-in links, and `Secure` cookies when https.
    pub public_url: String,
    /// Lifetime of client access tokens, in seconds.
    pub client_token_lifetime_secs: i64,
    /// Lifetime of people's sessions, in hours.
    pub session_lifetime_hours: i64,
    /// How long a client's previous secret stays valid after a rotation, in hours.
    pub secret_overlap_hours: i64,
    /// Requests a minute per client, account or anonymous address.
    pub rate_limit_per_minute: u32,
    /// Requests a minute per address on the token and login endpoints.
    pub sign_in_rate_limit_per_minute: u32,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` are believed (none by default: the
    /// peer address is the caller's).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// When set, `/metrics` answers only a request bearing this token.
    pub metrics_token: Option<String>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            app_url: "http://127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            client_token_lifetime_secs: 900,
            session_lifetime_hours: 12,
            secret_overlap_hours: 24,
            rate_limit_per_minute: 1200,
            sign_in_rate_limit_per_minute: 30,
            trusted_proxies: Vec::new(),
            metrics_token: None,
        }
    }
}
