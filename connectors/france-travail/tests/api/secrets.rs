//! The client secret, access tokens and the jeton usager never show in Debug output, errors
//! or API requests.

use cdb_france_travail::Secret;
use wiremock::ResponseTemplate;

use crate::support::*;

fn assert_clean(text: &str) {
    for secret in [SECRET, "token-1", "token-2", JETON] {
        assert!(!text.contains(secret), "{secret:?} leaked in {text}");
    }
}

#[tokio::test]
async fn debug_output_shows_no_secret() {
    let ft = Ft::start(1500).await;
    let config = ft.config();
    assert_clean(&format!("{config:?}"));
    assert_clean(&format!("{:?}", Ft::connector(config)));
    assert_eq!(format!("{:?}", Secret::new(SECRET)), "Secret(***)");
}

#[tokio::test]
async fn errors_show_no_secret_token_or_jeton() {
    // A refused secret.
    let ft = Ft::start(1500).await;
    let mut config = ft.config();
    config.client_secret = Secret::new(format!("{SECRET}-old"));
    let error = Ft::connector(config)
        .lookup(&keys_by_nir())
        .await
        .unwrap_err();
    assert_clean(&format!("{error} {error:?}"));

    // A read failing after the jeton was issued, and a token refused twice.
    let ft = Ft::start(1500).await;
    ft.mount_read(
        ADMINISTRATIVE,
        ResponseTemplate::new(500).set_body_json(serde_json::json!({
            "codeErreur": "JCS0011G", "message": "jeton a_long_token invalide pour 1041174010081"
        })),
    )
    .await;
    ft.mount_read(CONTRACT, ResponseTemplate::new(401)).await;
    ft.mount_person().await;
    let mut config = ft.config();
    config.transient_retries = 0;
    let connector = Ft::connector(config);
    let error = connector.lookup(&keys_by_nir()).await.unwrap_err();
    let text = format!("{error} {error:?}");
    assert_clean(&text);
    assert!(!text.contains("1041174010081"), "{text}");
}

#[tokio::test]
async fn the_secret_travels_only_to_the_token_endpoint() {
    let ft = Ft::start(1500).await;
    ft.mount_person().await;
    Ft::connector(ft.config())
        .lookup(&keys_by_nir())
        .await
        .unwrap();
    for request in ft.server.received_requests().await.unwrap() {
        let body = String::from_utf8_lossy(&request.body);
        let headers = format!("{:?}", request.headers);
        let carries = body.contains(SECRET) || headers.contains(SECRET);
        assert_eq!(carries, request.url.path() == TOKEN_PATH, "{}", request.url);
    }
}
