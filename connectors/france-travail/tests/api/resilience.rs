//! France Travail having a bad day: 5xx storms and slow answers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cdb_connector::ConnectorError;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::support::*;

/// Answers 500, 502, 503 and 504 in turn.
struct Storm(std::sync::atomic::AtomicUsize);

impl Respond for Storm {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ResponseTemplate::new([500, 502, 503, 504][n % 4]).set_body_string("<html>busy</html>")
    }
}

#[tokio::test]
async fn a_5xx_storm_gives_transient_errors_after_bounded_retries() {
    let ft = Ft::start(1500).await;
    ft.mount_search(Storm(Default::default())).await;
    let mut config = ft.config();
    config.transient_retries = 2;
    let connector = Arc::new(Ft::connector(config));
    let started = Instant::now();
    let lookups: Vec<_> = (0..4)
        .map(|_| {
            let connector = connector.clone();
            tokio::spawn(async move { connector.lookup(&keys_by_nir()).await })
        })
        .collect();
    for lookup in lookups {
        let error = lookup.await.unwrap().unwrap_err();
        assert!(matches!(error, ConnectorError::Transient { .. }), "{error}");
        assert!(error.is_retryable());
    }
    assert_eq!(
        ft.requests_to(SEARCH_BY_NIR).await.len(),
        12,
        "1 + 2 retries each"
    );
    assert_eq!(ft.tokens_issued().await, 1, "a storm does not churn tokens");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_storm_on_the_reads_fails_the_lookup_once_each() {
    let ft = Ft::start(1500).await;
    Mock::given(method("GET"))
        .and(path(ADMINISTRATIVE))
        .respond_with(Storm(Default::default()))
        .with_priority(1)
        .mount(&ft.server)
        .await;
    ft.mount_person().await;
    let mut config = ft.config();
    config.transient_retries = 1;
    let error = Ft::connector(config)
        .lookup(&keys_by_nir())
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert_eq!(ft.requests_to(ADMINISTRATIVE).await.len(), 2);
    assert_eq!(ft.requests_to(SEARCH_BY_NIR).await.len(), 1);
}

#[tokio::test]
async fn a_slow_answer_times_out_as_a_transient_failure() {
    let ft = Ft::start(1500).await;
    ft.mount_search(
        ResponseTemplate::new(200)
            .set_body_json(reference(
                "POST /partenaire/rechercher-usager/v2/usagers/par-datenaissance-et-nir",
                "200_certified",
            ))
            .set_delay(Duration::from_secs(3)),
    )
    .await;
    let mut config = ft.config();
    config.request_timeout = Duration::from_millis(300);
    config.transient_retries = 0;
    let started = Instant::now();
    let error = Ft::connector(config)
        .lookup(&keys_by_nir())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ConnectorError::Transient { message, .. } if message.contains("timed out")),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_slow_answer_then_a_quick_one_succeeds_on_retry() {
    let ft = Ft::start(1500).await;
    Mock::given(method("GET"))
        .and(path(DIAGNOSTIC))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("diagnostic_argumente_v4_dossier.json"))
                .set_delay(Duration::from_secs(3)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&ft.server)
        .await;
    ft.mount_person().await;
    let mut config = ft.config();
    config.request_timeout = Duration::from_millis(400);
    config.transient_retries = 1;
    let records = Ft::connector(config).lookup(&keys_by_nir()).await.unwrap();
    assert_eq!(records.len(), 6);
    assert_eq!(ft.requests_to(DIAGNOSTIC).await.len(), 2);
}
