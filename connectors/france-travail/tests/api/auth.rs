//! OAuth2 client credentials: the token request, the cache, expiry and refresh on 401.

use std::time::Duration;

use cdb_connector::ConnectorError;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::*;

#[tokio::test]
async fn the_token_request_has_the_realm_in_its_query_and_the_credentials_in_its_form() {
    let ft = Ft::start(1500).await;
    ft.mount_person().await;
    let connector = Ft::connector(ft.config());
    connector.lookup(&keys_by_nir()).await.unwrap();
    connector.lookup(&keys_by_nir()).await.unwrap();
    let tokens = ft.requests_to(TOKEN_PATH).await;
    assert_eq!(tokens.len(), 1, "the token is cached between lookups");
    let request = &tokens[0];
    assert_eq!(request.url.query(), Some("realm=%2Fagent"));
    assert!(
        request.headers.get("authorization").is_none(),
        "no Basic auth"
    );
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect();
    let value = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(value("grant_type").as_deref(), Some("client_credentials"));
    assert_eq!(value("client_id").as_deref(), Some(CLIENT_ID));
    assert!(value("realm").is_none(), "the realm is not in the body");
    let scope = value("scope").unwrap();
    for expected in [
        "api_rechercher-usagerv2",
        "rechercheusager",
        "profil_accedant",
        "informationsadministrativesusager",
        "api_orientationusagerv1",
        "contratusager",
        "api_diagnosticargumentev4",
    ] {
        assert!(
            scope.split(' ').any(|s| s == expected),
            "{expected} in {scope}"
        );
    }
    assert!(
        !scope.contains("gererRDV"),
        "a lookup does not ask for appointments"
    );
}

#[tokio::test]
async fn the_application_scope_is_added_on_demand() {
    let ft = Ft::start(1500).await;
    ft.mount_person().await;
    let mut config = ft.config();
    config.application_scope = true;
    Ft::connector(config).lookup(&keys_by_nir()).await.unwrap();
    let body = String::from_utf8(ft.requests_to(TOKEN_PATH).await[0].body.clone()).unwrap();
    assert!(body.contains(&format!("application_{CLIENT_ID}")), "{body}");
}

#[tokio::test]
async fn a_token_expiring_mid_run_is_replaced_before_it_expires() {
    // 2 s tokens: the connector replaces them after half their life at the latest.
    let ft = Ft::start(2).await;
    ft.mount_person().await;
    let connector = Ft::connector(ft.config());
    connector.lookup(&keys_by_nir()).await.unwrap();
    assert_eq!(ft.tokens_issued().await, 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    connector.lookup(&keys_by_nir()).await.unwrap();
    assert_eq!(ft.tokens_issued().await, 2);
    let reads = ft.requests_to(ADMINISTRATIVE).await;
    assert_eq!(reads[0].headers["authorization"], "Bearer token-1");
    assert_eq!(reads[1].headers["authorization"], "Bearer token-2");
}

#[tokio::test]
async fn a_refused_token_is_refreshed_once_and_the_call_retried() {
    let ft = Ft::start(1500).await;
    // The API revoked token-1 early: it answers 401 to it and serves token-2.
    Mock::given(method("GET"))
        .and(path(ADMINISTRATIVE))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(ResponseTemplate::new(401))
        .with_priority(1)
        .mount(&ft.server)
        .await;
    ft.mount_person().await;
    let mut config = ft.config();
    config.transient_retries = 0;
    let connector = Ft::connector(config);
    let records = connector.lookup(&keys_by_nir()).await.unwrap();
    assert_eq!(records.len(), 6);
    assert_eq!(ft.tokens_issued().await, 2);
    let reads = ft.requests_to(ADMINISTRATIVE).await;
    assert_eq!(reads.len(), 2);
    assert_eq!(reads[1].headers["authorization"], "Bearer token-2");
}

#[tokio::test]
async fn a_token_refused_twice_is_forbidden_without_looping() {
    let ft = Ft::start(1500).await;
    Mock::given(method("POST"))
        .and(path(SEARCH_BY_NIR))
        .respond_with(ResponseTemplate::new(401))
        .mount(&ft.server)
        .await;
    let connector = Ft::connector(ft.config());
    let error = connector.lookup(&keys_by_nir()).await.unwrap_err();
    assert!(matches!(error, ConnectorError::Forbidden(_)), "{error}");
    assert!(!error.is_retryable());
    assert_eq!(ft.tokens_issued().await, 2);
    assert_eq!(ft.requests_to(SEARCH_BY_NIR).await.len(), 2);
}

#[tokio::test]
async fn token_endpoint_failures_are_typed() {
    let ft = Ft::start(1500).await;
    let mut config = ft.config();
    config.client_secret = cdb_france_travail::Secret::new("wrong-secret");
    let error = Ft::connector(config)
        .lookup(&keys_by_nir())
        .await
        .unwrap_err();
    match &error {
        ConnectorError::Forbidden(message) => {
            assert!(message.contains("invalid_client"), "{message}")
        }
        other => panic!("{other}"),
    }

    let limited = Ft::start(1500).await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "12"))
        .with_priority(1)
        .mount(&limited.server)
        .await;
    let error = Ft::connector(limited.config())
        .lookup(&keys_by_nir())
        .await
        .unwrap_err();
    assert_eq!(
        error.retry_after(),
        Some(Duration::from_secs(12)),
        "{error}"
    );

    let down = Ft::start(1500).await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(503).set_body_string("maintenance"))
        .with_priority(1)
        .mount(&down.server)
        .await;
    let error = Ft::connector(down.config())
        .lookup(&keys_by_nir())
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectorError::Transient { .. }), "{error}");
}
