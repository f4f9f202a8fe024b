//! The client-side quota, measured where France Travail would measure it: at the server.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cdb_france_travail::{FranceTravailConfig, Secret};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::*;

/// The most requests that arrived within any one-second window.
fn busiest_second(arrivals: &[Instant]) -> usize {
    let mut sorted = arrivals.to_vec();
    sorted.sort();
    (0..sorted.len())
        .map(|i| {
            sorted[i..]
                .iter()
                .take_while(|t| t.duration_since(sorted[i]) < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

async fn timed_person(ft: &Ft) -> Arc<Mutex<Vec<Instant>>> {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let search = reference(
        "POST /partenaire/rechercher-usager/v2/usagers/par-datenaissance-et-nir",
        "200_certified",
    );
    Mock::given(method("POST"))
        .and(path(SEARCH_BY_NIR))
        .respond_with(Timed {
            inner: ResponseTemplate::new(200).set_body_json(search),
            arrivals: arrivals.clone(),
        })
        .mount(&ft.server)
        .await;
    for (route, body) in [
        (
            ADMINISTRATIVE,
            reference("GET /partenaire/informations-administratives", "200"),
        ),
        (CONTRACT, reference("GET /partenaire/contrat-usager", "200")),
        (DIAGNOSTIC, fixture("diagnostic_argumente_v4_dossier.json")),
        (
            ORIENTATION_READ,
            reference("GET /partenaire/orientationusager", "200"),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(Timed {
                inner: ResponseTemplate::new(200).set_body_json(body),
                arrivals: arrivals.clone(),
            })
            .mount(&ft.server)
            .await;
    }
    arrivals
}

#[test]
fn the_default_quota_is_four_calls_a_second() {
    let config = FranceTravailConfig::new("id", Secret::new("secret"));
    assert_eq!(config.calls_per_second.get(), 4);
}

#[tokio::test]
async fn concurrent_lookups_never_exceed_the_quota() {
    let ft = Ft::start(1500).await;
    let arrivals = timed_person(&ft).await;
    let mut config = ft.config();
    config.calls_per_second = NonZeroU32::new(4).unwrap();
    let connector = Arc::new(Ft::connector(config));
    let started = Instant::now();
    let lookups: Vec<_> = (0..3)
        .map(|_| {
            let connector = connector.clone();
            tokio::spawn(async move { connector.lookup(&keys_by_nir()).await })
        })
        .collect();
    for lookup in lookups {
        assert_eq!(lookup.await.unwrap().unwrap().len(), 6);
    }
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 15, "3 searches and 12 reads");
    assert!(
        busiest_second(&arrivals) <= 4,
        "{} in one second",
        busiest_second(&arrivals)
    );
    // 16 calls (with the token) spaced by at least 250 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(3750),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_quota_is_configurable() {
    let ft = Ft::start(1500).await;
    let arrivals = timed_person(&ft).await;
    let mut config = ft.config();
    config.calls_per_second = NonZeroU32::new(10).unwrap();
    let connector = Arc::new(Ft::connector(config));
    let lookups: Vec<_> = (0..5)
        .map(|_| {
            let connector = connector.clone();
            tokio::spawn(async move { connector.lookup(&keys_by_nir()).await })
        })
        .collect();
    for lookup in lookups {
        lookup.await.unwrap().unwrap();
    }
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 25);
    let busiest = busiest_second(&arrivals);
    assert!((8..=10).contains(&busiest), "{busiest} in one second");
}
