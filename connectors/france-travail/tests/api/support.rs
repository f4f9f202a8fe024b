//! A local France Travail: token endpoint and partner APIs on wiremock, answering with the
//! payloads of the reference (fixtures/france-travail).

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cdb_connector::{FranceTravailId, IdentityKeys, NameAndBirth, Nir};
use cdb_france_travail::{FranceTravailConfig, FranceTravailConnector, Scopes, Secret};
use chrono::NaiveDate;
use serde_json::Value;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const SECRET: &str = "sup3r-s3cr3t-client-secret";
pub const CLIENT_ID: &str = "PAR_cdbhub_0123456789";
pub const JETON: &str = "a_long_token";

pub const TOKEN_PATH: &str = "/connexion/oauth2/access_token";
pub const SEARCH_BY_NIR: &str = "/partenaire/rechercher-usager/v2/usagers/par-datenaissance-et-nir";
pub const SEARCH_BY_NUMBER: &str =
    "/partenaire/rechercher-usager/v2/usagers/par-numero-francetravail";
pub const ADMINISTRATIVE: &str = "/partenaire/informations-administratives/v1/usager";
pub const CONTRACT: &str = "/partenaire/contrat-usager/v2/contrat";
pub const DIAGNOSTIC: &str = "/partenaire/diagnosticargumente/v4/dossiers";
pub const ORIENTATION_READ: &str = "/partenaire/orientationusager/v1/lectureOrientation";
pub const ORIENTATION_SEND: &str = "/partenaire/orientationusager/v1/orientation";
pub const APPOINTMENTS: &str = "/partenaire/rendez-vous-partenaire/v1/rendez-vous";

/// Every test binary that builds a reqwest client installs the provider first.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A fixture file of fixtures/france-travail.
pub fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../fixtures/france-travail/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// One answer of partenaire_api_responses.json, by endpoint key and answer name.
pub fn reference(endpoint_prefix: &str, answer: &str) -> Value {
    let all = fixture("partenaire_api_responses.json");
    let endpoint = all
        .as_object()
        .unwrap()
        .iter()
        .find(|(key, _)| key.starts_with(endpoint_prefix))
        .unwrap_or_else(|| panic!("no endpoint {endpoint_prefix}"))
        .1
        .clone();
    endpoint[answer].clone()
}

/// Issues `token-1`, `token-2`… and checks the client's credentials and grant.
pub struct TokenIssuer {
    pub issued: AtomicUsize,
    pub expires_in: u64,
}

impl Respond for TokenIssuer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let get = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        if get("grant_type") != Some("client_credentials")
            || get("client_id") != Some(CLIENT_ID)
            || get("client_secret") != Some(SECRET)
        {
            return ResponseTemplate::new(400).set_body_json(serde_json::json!({
                "error": "invalid_client",
                "error_description": "Client authentication failed"
            }));
        }
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "scope": get("scope").unwrap_or_default(),
            "expires_in": self.expires_in,
            "token_type": "Bearer",
            "access_token": format!("token-{n}"),
        }))
    }
}

/// Records when each request arrived, then answers with `inner`.
pub struct Timed<R> {
    pub inner: R,
    pub arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl<R: Respond> Respond for Timed<R> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.arrivals.lock().unwrap().push(Instant::now());
        self.inner.respond(request)
    }
}

/// A mock France Travail.
pub struct Ft {
    pub server: MockServer,
}

impl Ft {
    /// A server with a token endpoint issuing tokens valid `expires_in` seconds.
    pub async fn start(expires_in: u64) -> Self {
        install_crypto();
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .and(query_param("realm", "/agent"))
            .respond_with(TokenIssuer {
                issued: AtomicUsize::new(0),
                expires_in,
            })
            .mount(&server)
            .await;
        Self { server }
    }

    /// A config pointing at this server, every API enabled, fast retries, a loose quota.
    pub fn config(&self) -> FranceTravailConfig {
        let mut config = FranceTravailConfig::new(CLIENT_ID, Secret::new(SECRET));
        config.auth_base_url = self.server.uri();
        config.api_base_url = self.server.uri();
        config.scopes = Scopes {
            registration: Some("api_contrat-usagerv2 contratusager".to_owned()),
            diagnostic: Some("api_diagnosticargumentev4 diagnosticusager".to_owned()),
            ..Scopes::default()
        };
        config.calls_per_second = NonZeroU32::new(200).unwrap();
        config.request_timeout = Duration::from_secs(5);
        config.retry_backoff = Duration::from_millis(10);
        config.partner.email = Some("insertion@departement08.fr".to_owned());
        config.partner.default_structure_id = Some("08-CD-DIE".to_owned());
        config.partner.default_structure_name = Some("CD des Ardennes".to_owned());
        config
    }

    /// A connector on `config`.
    pub fn connector(config: FranceTravailConfig) -> FranceTravailConnector {
        FranceTravailConnector::new(config).unwrap()
    }

    /// Mounts the reference's answers: a certified person found by NIR or number, and
    /// every read API about them.
    pub async fn mount_person(&self) {
        self.mount_search(ResponseTemplate::new(200).set_body_json(reference(
            "POST /partenaire/rechercher-usager/v2/usagers/par-datenaissance-et-nir",
            "200_certified",
        )))
        .await;
        Mock::given(method("POST"))
            .and(path(SEARCH_BY_NUMBER))
            .and(body_json(reference(
                "POST /partenaire/rechercher-usager/v2/usagers/par-numero-francetravail",
                "request",
            )))
            .respond_with(ResponseTemplate::new(200).set_body_json(reference(
                "POST /partenaire/rechercher-usager/v2/usagers/par-numero-francetravail",
                "200_certified",
            )))
            .mount(&self.server)
            .await;
        self.mount_read(
            ADMINISTRATIVE,
            ResponseTemplate::new(200).set_body_json(reference(
                "GET /partenaire/informations-administratives",
                "200",
            )),
        )
        .await;
        self.mount_read(
            CONTRACT,
            ResponseTemplate::new(200)
                .set_body_json(reference("GET /partenaire/contrat-usager", "200")),
        )
        .await;
        self.mount_read(
            DIAGNOSTIC,
            ResponseTemplate::new(200)
                .set_body_json(fixture("diagnostic_argumente_v4_dossier.json")),
        )
        .await;
        self.mount_read(
            ORIENTATION_READ,
            ResponseTemplate::new(200)
                .set_body_json(reference("GET /partenaire/orientationusager", "200")),
        )
        .await;
    }

    /// Mounts the NIR search (reference request body) with this answer.
    pub async fn mount_search<R: Respond + 'static>(&self, answer: R) {
        Mock::given(method("POST"))
            .and(path(SEARCH_BY_NIR))
            .and(body_json(reference(
                "POST /partenaire/rechercher-usager/v2/usagers/par-datenaissance-et-nir",
                "request",
            )))
            .respond_with(answer)
            .mount(&self.server)
            .await;
    }

    /// Mounts a read API that answers only with the person's jeton.
    pub async fn mount_read<R: Respond + 'static>(&self, route: &str, answer: R) {
        Mock::given(method("GET"))
            .and(path(route))
            .and(header("ft-jeton-usager", JETON))
            .respond_with(answer)
            .mount(&self.server)
            .await;
    }

    /// Requests received on a path.
    pub async fn requests_to(&self, route: &str) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path() == route)
            .collect()
    }

    /// How many tokens were issued.
    pub async fn tokens_issued(&self) -> usize {
        self.requests_to(TOKEN_PATH).await.len()
    }
}

/// The reference person by NIR and birth date (and names, as the hub knows them).
pub fn keys_by_nir() -> IdentityKeys {
    IdentityKeys {
        nir: Some(Nir::parse("1041174010081").unwrap()),
        name_and_birth: Some(NameAndBirth {
            first_name: "John".to_owned(),
            last_name: "Doe".to_owned(),
            birth_date: NaiveDate::from_ymd_opt(1998, 7, 11).unwrap(),
        }),
        ..IdentityKeys::default()
    }
}

/// The reference person by France Travail number only.
pub fn keys_by_number() -> IdentityKeys {
    IdentityKeys {
        france_travail_id: Some(FranceTravailId::parse("12345678900").unwrap()),
        ..IdentityKeys::default()
    }
}
