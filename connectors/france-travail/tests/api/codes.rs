//! Every return code of the reference, and HTTP 429, as the connector's errors.

use std::time::Duration;

use cdb_connector::ConnectorError;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::*;

const SEARCH: &str = "POST /partenaire/rechercher-usager/v2/usagers/par-datenaissance-et-nir";

/// Looks the reference person up against a search answering `answer`; returns the error
/// and how many searches were sent.
async fn search_answering(answer: ResponseTemplate, retries: u32) -> (ConnectorError, usize) {
    let ft = Ft::start(1500).await;
    ft.mount_search(answer).await;
    let mut config = ft.config();
    config.transient_retries = retries;
    let error = Ft::connector(config)
        .lookup(&keys_by_nir())
        .await
        .unwrap_err();
    (error, ft.requests_to(SEARCH_BY_NIR).await.len())
}

fn reference_answer(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(reference(SEARCH, name))
}

#[tokio::test]
async fn s001_certified_is_found_and_uncertified_only_on_demand() {
    let ft = Ft::start(1500).await;
    ft.mount_search(reference_answer(200, "200_not_certified"))
        .await;
    ft.mount_person().await;
    let error = Ft::connector(ft.config())
        .lookup(&keys_by_nir())
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectorError::NotFound), "{error}");
    let mut config = ft.config();
    config.accept_uncertified_identity = true;
    assert_eq!(
        Ft::connector(config)
            .lookup(&keys_by_nir())
            .await
            .unwrap()
            .len(),
        6
    );
}

#[tokio::test]
async fn s002_is_not_found() {
    let (error, searches) = search_answering(reference_answer(200, "200_not_found"), 2).await;
    assert!(matches!(error, ConnectorError::NotFound), "{error}");
    assert_eq!(searches, 1);
}

#[tokio::test]
async fn s003_is_ambiguous() {
    let (error, searches) = search_answering(reference_answer(200, "200_multiple"), 2).await;
    assert!(
        matches!(error, ConnectorError::Ambiguous { candidates: None }),
        "{error}"
    );
    assert_eq!(searches, 1);
}

#[tokio::test]
async fn r997_is_invalid() {
    let (error, searches) = search_answering(reference_answer(400, "400"), 2).await;
    assert!(
        matches!(&error, ConnectorError::Invalid(m) if m.starts_with("R997")),
        "{error}"
    );
    assert_eq!(searches, 1);
}

#[tokio::test]
async fn r001_is_forbidden_and_never_retried() {
    let (error, searches) = search_answering(reference_answer(403, "403"), 3).await;
    assert!(
        matches!(&error, ConnectorError::Forbidden(m) if m.starts_with("R001")),
        "{error}"
    );
    assert!(!error.is_retryable());
    assert_eq!(searches, 1, "R001 is not retried");
}

#[tokio::test]
async fn r998_is_invalid_and_not_retried() {
    let (error, searches) = search_answering(reference_answer(500, "500"), 3).await;
    assert!(
        matches!(&error, ConnectorError::Invalid(m) if m.starts_with("R998")),
        "{error}"
    );
    assert_eq!(searches, 1);
}

#[tokio::test]
async fn r999_is_transient_and_retried_a_bounded_number_of_times() {
    let (error, searches) = search_answering(reference_answer(503, "503"), 2).await;
    assert!(
        matches!(&error, ConnectorError::Transient { message, .. } if message.starts_with("R999")),
        "{error}"
    );
    assert!(error.is_retryable());
    assert_eq!(searches, 3);
}

#[tokio::test]
async fn an_empty_or_404_search_is_not_found() {
    let (error, _) = search_answering(ResponseTemplate::new(404), 0).await;
    assert!(matches!(error, ConnectorError::NotFound), "{error}");
    let (error, _) = search_answering(ResponseTemplate::new(204), 0).await;
    assert!(matches!(error, ConnectorError::NotFound), "{error}");
}

#[tokio::test]
async fn http_429_is_rate_limited_with_its_delay_and_not_retried_here() {
    let (error, searches) = search_answering(
        ResponseTemplate::new(429).insert_header("Retry-After", "7"),
        3,
    )
    .await;
    assert!(
        matches!(error, ConnectorError::RateLimited { .. }),
        "{error}"
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(searches, 1, "the job runner waits, not the connector");
    let (error, _) = search_answering(ResponseTemplate::new(429), 0).await;
    assert_eq!(error.retry_after(), Some(Duration::from_secs(60)));
}

#[tokio::test]
async fn a_read_failing_with_ft_s_error_body_fails_the_lookup_by_its_status() {
    let ft = Ft::start(1500).await;
    Mock::given(method("GET"))
        .and(path(CONTRACT))
        .respond_with(ResponseTemplate::new(500).set_body_json(serde_json::json!({
            "codeErreur": "JCS0011G", "codeHttp": 500, "message": "Erreur technique"
        })))
        .with_priority(1)
        .mount(&ft.server)
        .await;
    Mock::given(method("GET"))
        .and(path(DIAGNOSTIC))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "codeErreur": "HAB001", "message": "Habilitation insuffisante"
        })))
        .with_priority(1)
        .mount(&ft.server)
        .await;
    ft.mount_person().await;
    let mut config = ft.config();
    config.transient_retries = 0;
    let connector = Ft::connector(config.clone());
    let error = connector.lookup(&keys_by_nir()).await.unwrap_err();
    // Both reads fail: whichever comes first decides, and both are explicit.
    assert!(
        matches!(&error, ConnectorError::Transient { message, .. } if message.contains("JCS0011G"))
            || matches!(&error, ConnectorError::Forbidden(m) if m.contains("HAB001")),
        "{error}"
    );
    config.scopes.diagnostic = None;
    let error = Ft::connector(config)
        .lookup(&keys_by_nir())
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error}");
}

#[tokio::test]
async fn a_malformed_answer_is_invalid() {
    let ft = Ft::start(1500).await;
    ft.mount_read(
        ADMINISTRATIVE,
        ResponseTemplate::new(200).set_body_string("{\"adresses\": 12"),
    )
    .await;
    ft.mount_person().await;
    let error = Ft::connector(ft.config())
        .lookup(&keys_by_nir())
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectorError::Invalid(_)), "{error}");
}
