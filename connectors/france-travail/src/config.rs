//! Settings of the France Travail connector: where to call, with which credentials and scopes,
//! how fast, and who we say we are.

use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

use reqwest::Url;
use thiserror::Error;

/// A credential that must never be printed: `Debug` shows `***` and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential read from the environment or a vault.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The OAuth2 scopes to ask for each partner API; `None` means the habilitation does not
/// cover that API and the connector does not call it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes {
    /// Rechercher usager v2 (identification by NIR + birth date or France Travail number).
    pub search: String,
    /// Informations administratives v1 (civil status, addresses, phones, emails).
    pub administrative: Option<String>,
    /// Contrat usager v2 (registration status, category, reason).
    pub registration: Option<String>,
    /// Diagnostic argumenté v4 (needs per job project, personal constraints).
    pub diagnostic: Option<String>,
    /// Orientation usager v1 (read and send orientations).
    pub orientation: Option<String>,
    /// Rendez-vous partenaire v1 (create, update, cancel appointments).
    pub appointments: Option<String>,
}

impl Default for Scopes {
    /// The scope names real clients use (README §3.1). Registration and diagnostic v4 have
    /// no published scope name in the reference, so they stay off until configured.
    fn default() -> Self {
        Self {
            search: "api_rechercher-usagerv2 rechercheusager profil_accedant".to_owned(),
            administrative: Some(
                "api_informations-administrativesv1 informationsadministrativesusager".to_owned(),
            ),
            registration: None,
            diagnostic: None,
            orientation: Some("api_orientationusagerv1 orientationusager".to_owned()),
            appointments: Some("api_rendez-vous-partenairev1 gererRDV".to_owned()),
        }
    }
}

/// Who calls, as the agent-realm APIs require (`pa-identifiant-agent`, `pa-nom-agent`,
/// `pa-prenom-agent`); a batch names itself `BATCH` and its logical name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentIdentity {
    /// `pa-identifiant-agent`.
    pub id: String,
    /// `pa-nom-agent`.
    pub last_name: String,
    /// `pa-prenom-agent`.
    pub first_name: String,
}

impl Default for AgentIdentity {
    fn default() -> Self {
        Self {
            id: "BATCH".to_owned(),
            last_name: "BATCH".to_owned(),
            first_name: "CDB-HUB".to_owned(),
        }
    }
}

/// The département as France Travail sees it in pushed appointments and orientations
/// (organisme).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerOrganisation {
    /// Organisation code (`CD` conseil départemental, `DCD` délégataire…).
    pub code: String,
    /// Contact email shown to the France Travail adviser.
    pub email: Option<String>,
    /// Contact phone shown to the France Travail adviser.
    pub phone: Option<String>,
    /// Structure id used when an appointment names no structure (idStructure).
    pub default_structure_id: Option<String>,
    /// Structure name used when an appointment names no structure (libelleStructure).
    pub default_structure_name: Option<String>,
    /// Origin sent with an orientation that does not carry its own (origine).
    pub orientation_origin: String,
}

impl Default for PartnerOrganisation {
    fn default() -> Self {
        Self {
            code: "CD".to_owned(),
            email: None,
            phone: None,
            default_structure_id: None,
            default_structure_name: None,
            orientation_origin: "INSCRIPTION_CONSEILLER_CD".to_owned(),
        }
    }
}

/// Everything the connector needs to talk to France Travail.
#[derive(Debug, Clone)]
pub struct FranceTravailConfig {
    /// Authentication host (`https://entreprise.francetravail.fr`).
    pub auth_base_url: String,
    /// OAuth2 realm, sent in the token URL's query string (`/agent`).
    pub realm: String,
    /// API host; endpoint paths start with `/partenaire/` (`https://api.francetravail.io`).
    pub api_base_url: String,
    /// OAuth2 client id issued by francetravail.io.
    pub client_id: String,
    /// OAuth2 client secret issued by francetravail.io.
    pub client_secret: Secret,
    /// Scopes per API.
    pub scopes: Scopes,
    /// Also ask for the `application_<client id>` scope, as some FT clients must.
    pub application_scope: bool,
    /// Calls per second allowed by the contract with France Travail.
    pub calls_per_second: NonZeroU32,
    /// Longest wait for one HTTP answer.
    pub request_timeout: Duration,
    /// Longest wait to open a connection.
    pub connect_timeout: Duration,
    /// How long before its announced expiry a token is replaced.
    pub token_refresh_margin: Duration,
    /// Extra attempts of a read after a transient failure, before giving up to the job runner.
    pub transient_retries: u32,
    /// First pause between two such attempts (doubled each time).
    pub retry_backoff: Duration,
    /// Accept a person whose identity France Travail has not certified (topIdentiteCertifiee N).
    pub accept_uncertified_identity: bool,
    /// The caller's identity headers.
    pub agent: AgentIdentity,
    /// The département as sender of appointments and orientations.
    pub partner: PartnerOrganisation,
}

impl FranceTravailConfig {
    /// Production hosts and defaults, with the credentials given.
    pub fn new(client_id: impl Into<String>, client_secret: Secret) -> Self {
        Self {
            auth_base_url: "https://entreprise.francetravail.fr".to_owned(),
            realm: "/agent".to_owned(),
            api_base_url: "https://api.francetravail.io".to_owned(),
            client_id: client_id.into(),
            client_secret,
            scopes: Scopes::default(),
            application_scope: false,
            calls_per_second: NonZeroU32::new(4).unwrap_or(NonZeroU32::MIN),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            token_refresh_margin: Duration::from_secs(60),
            transient_retries: 1,
            retry_backoff: Duration::from_millis(500),
            accept_uncertified_identity: false,
            agent: AgentIdentity::default(),
            partner: PartnerOrganisation::default(),
        }
    }

    /// The token endpoint: `{auth}/connexion/oauth2/access_token?realm=<realm>`.
    pub fn token_url(&self) -> Result<Url, ConfigError> {
        let mut url = parse_base("auth_base_url", &self.auth_base_url)?;
        url.path_segments_mut()
            .map_err(|()| ConfigError::Url {
                field: "auth_base_url",
                reason: "cannot be a base".to_owned(),
            })?
            .pop_if_empty()
            .extend(["connexion", "oauth2", "access_token"]);
        // France Travail reads the realm from the query string only, never from the body.
        url.query_pairs_mut().append_pair("realm", &self.realm);
        Ok(url)
    }

    /// The API host, checked.
    pub fn api_url(&self) -> Result<Url, ConfigError> {
        parse_base("api_base_url", &self.api_base_url)
    }

    /// Checks every setting once, at start-up, so that a bad one fails there and not mid-run.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.token_url()?;
        self.api_url()?;
        if self.client_id.trim().is_empty() {
            return Err(ConfigError::Missing("client_id"));
        }
        if self.client_secret.expose().is_empty() {
            return Err(ConfigError::Missing("client_secret"));
        }
        if self.scopes.search.trim().is_empty() {
            return Err(ConfigError::Missing("scopes.search"));
        }
        if !self.realm.starts_with('/') {
            return Err(ConfigError::Realm);
        }
        if self.request_timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(ConfigError::Timeout);
        }
        for (field, value) in [
            ("agent.id", &self.agent.id),
            ("agent.last_name", &self.agent.last_name),
            ("agent.first_name", &self.agent.first_name),
        ] {
            // An empty agent header makes France Travail answer 401, which would look like a
            // credentials problem.
            if value.trim().is_empty() || reqwest::header::HeaderValue::from_str(value).is_err() {
                return Err(ConfigError::Agent(field));
            }
        }
        Ok(())
    }
}

fn parse_base(field: &'static str, text: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(text).map_err(|e| ConfigError::Url {
        field,
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::Url {
            field,
            reason: "http or https expected".to_owned(),
        });
    }
    if url.query().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::Url {
            field,
            reason: "a base URL carries no query nor credentials".to_owned(),
        });
    }
    Ok(url)
}

/// A setting that cannot work; it names the setting, never its value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// A URL that does not parse or is not a plain http(s) base.
    #[error("{field} is not a usable base URL: {reason}")]
    Url {
        /// The setting.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A required setting is empty.
    #[error("{0} is required")]
    Missing(&'static str),
    /// The realm does not start with `/`.
    #[error("realm must start with '/', e.g. /agent")]
    Realm,
    /// A zero timeout.
    #[error("timeouts must be greater than zero")]
    Timeout,
    /// An agent header that France Travail would refuse.
    #[error("{0} must be a non-empty header value")]
    Agent(&'static str),
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be built: {0}")]
    Client(String),
    /// No rustls crypto provider is installed for the process.
    #[error(
        "no TLS crypto provider: call rustls::crypto::ring::default_provider().install_default() at start-up"
    )]
    CryptoProvider,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> FranceTravailConfig {
        FranceTravailConfig::new("client-1", Secret::new("s3cr3t-value"))
    }

    #[test]
    fn the_realm_goes_in_the_token_urls_query() {
        let url = config().token_url().unwrap();
        assert_eq!(
            url.as_str(),
            "https://entreprise.francetravail.fr/connexion/oauth2/access_token?realm=%2Fagent"
        );
        let mut local = config();
        local.auth_base_url = "http://127.0.0.1:8080/".to_owned();
        local.realm = "/partenaire".to_owned();
        assert_eq!(
            local.token_url().unwrap().as_str(),
            "http://127.0.0.1:8080/connexion/oauth2/access_token?realm=%2Fpartenaire"
        );
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let text = format!("{:?}", config());
        assert!(!text.contains("s3cr3t-value"), "{text}");
        assert!(text.contains("Secret(***)"));
    }

    #[test]
    fn bad_settings_are_named_without_their_value() {
        let mut bad = config();
        bad.api_base_url = "ftp://s3cr3t-value@host".to_owned();
        let error = bad.validate().unwrap_err();
        assert!(matches!(
            error,
            ConfigError::Url {
                field: "api_base_url",
                ..
            }
        ));
        let mut empty = config();
        empty.client_secret = Secret::new("");
        assert_eq!(
            empty.validate().unwrap_err(),
            ConfigError::Missing("client_secret")
        );
        let mut agent = config();
        agent.agent.first_name = " ".to_owned();
        assert_eq!(
            agent.validate().unwrap_err(),
            ConfigError::Agent("agent.first_name")
        );
        assert!(config().validate().is_ok());
    }
}
