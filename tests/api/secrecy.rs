//! Secrets and the NIR never reach the logs: a full partner and login scenario runs with every
//! log level captured, then the logs are searched for each secret it handled.

use serde_json::json;

use crate::fixture::world;
use crate::support::{captured_logs, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_hold_no_secret_token_login_key_nor_nir() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a").to_owned();
    // A partner's whole journey: client creation, token, reads with the NIR, a wrong secret.
    let created: serde_json::Value = app
        .client
        .post(format!("{}/v1/clients", app.address))
        .bearer_auth(&manager)
        .json(
            &json!({"name": "SI", "scopes": ["beneficiaries:read", "notebooks:read", "nir:read"]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = created["client_id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let token: serde_json::Value = app
        .client
        .post(format!("{}/oauth/token", app.address))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", &secret),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access_token = token["access_token"].as_str().unwrap().to_owned();
    for path in [
        format!("/v1/notebooks/{}", world.notebook),
        format!("/v1/beneficiaries?nir={}", world.nir),
        format!("/v1/beneficiaries/{}", world.beneficiary),
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .bearer_auth(&access_token)
            .header("X-Purpose", "suivi RSA")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    app.client
        .post(format!("{}/oauth/token", app.address))
        .basic_auth(client_id, Some("a-wrong-secret-guess"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    // A person's login.
    app.client
        .post(format!("{}/v1/auth/login", app.address))
        .json(&json!({"email": "member@example.org"}))
        .send()
        .await
        .unwrap();
    let key = tokio::task::block_in_place(|| {
        use diesel::prelude::*;
        let mut conn = PgConnection::establish(&app.database.url).unwrap();
        let mail =
            cdb_hub::store::outbox::to_recipient(&mut conn, "member@example.org", 1).unwrap();
        mail[0]
            .body
            .split("/auth/jwt/")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    });
    let session: serde_json::Value = app
        .client
        .post(format!("{}/v1/auth/session", app.address))
        .json(&json!({"key": key}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session_token = session["access_token"].as_str().unwrap().to_owned();
    app.client
        .get(format!("{}/v1/me", app.address))
        .bearer_auth(&session_token)
        .send()
        .await
        .unwrap();

    let logs = captured_logs();
    assert!(logs.contains("request served"), "the capture works");
    for (what, secret) in [
        ("client secret", secret.as_str()),
        ("wrong secret", "a-wrong-secret-guess"),
        ("access token", access_token.as_str()),
        ("session token", session_token.as_str()),
        ("manager session", manager.as_str()),
        ("login key", key.as_str()),
        ("NIR", world.nir.as_str()),
    ] {
        // The mock France Travail (wiremock) stands for the remote system: its own logs of
        // what it received are not the hub's.
        let leaked: Vec<String> = logs
            .lines()
            .filter(|line| !line.contains("\"target\":\"wiremock"))
            .filter(|line| line.contains(secret))
            .map(|line| line.replace(secret, "<HERE>"))
            .collect();
        assert!(leaked.is_empty(), "the logs contain a {what}: {leaked:#?}");
    }
}
