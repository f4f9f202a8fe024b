//! Rate limiting: headers on every response, 429 with Retry-After past the limit, per caller
//! and per address on the sign-in endpoints.

use crate::support::{TestDatabase, spawn_app_with};

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_limits_and_excess_answers_429() {
    let database = tokio::task::spawn_blocking(TestDatabase::new)
        .await
        .unwrap();
    let auth = cdb_hub::auth::AuthSettings {
        rate_limit_per_minute: 3,
        sign_in_rate_limit_per_minute: 2,
        ..Default::default()
    };
    let app = spawn_app_with(database, auth).await;
    for (expected_remaining, path) in [(2, "/healthz"), (1, "/nothing-here"), (0, "/v1/me")] {
        let response = app.get(path).await;
        assert_ne!(response.status(), 429, "{path}");
        assert_eq!(
            header(&response, "ratelimit-limit").as_deref(),
            Some("3"),
            "{path}"
        );
        assert_eq!(
            header(&response, "ratelimit-remaining"),
            Some(expected_remaining.to_string()),
            "{path}"
        );
        assert!(header(&response, "ratelimit-reset").is_some(), "{path}");
        // The IETF's current form: the policy, and what is left of it.
        assert_eq!(
            header(&response, "ratelimit-policy").as_deref(),
            Some("\"caller\";q=3;w=60"),
            "{path}"
        );
        let left = header(&response, "ratelimit").unwrap();
        assert!(
            left.starts_with(&format!("\"caller\";r={expected_remaining};t=")),
            "{path}: {left}"
        );
    }
    let refused = app.get("/healthz").await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = header(&refused, "retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert_eq!(
        header(&refused, "ratelimit-remaining").as_deref(),
        Some("0")
    );
    assert!(
        header(&refused, "ratelimit")
            .unwrap()
            .starts_with("\"caller\";r=0;t=")
    );
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_endpoint_is_limited_per_address() {
    let database = tokio::task::spawn_blocking(TestDatabase::new)
        .await
        .unwrap();
    let auth = cdb_hub::auth::AuthSettings {
        rate_limit_per_minute: 1000,
        sign_in_rate_limit_per_minute: 2,
        ..Default::default()
    };
    let app = spawn_app_with(database, auth).await;
    let mut statuses = Vec::new();
    // A percent-escaped path reaches the same endpoint and the same bucket.
    for path in ["/oauth/token", "/oauth/%74oken", "/oauth/token"] {
        let response = app
            .client
            .post(format!("{}{path}", app.address))
            .basic_auth("cdb_guessing0000000000000", Some("guess"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 429]);
    let login = app
        .client
        .post(format!("{}/v1/auth/login", app.address))
        .json(&serde_json::json!({"email": "a@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        login.status(),
        429,
        "the sign-in bucket is shared by the sign-in endpoints"
    );
}

/// Sign-in attempts from one address, as seen through `X-Forwarded-For`.
async fn sign_in_from(app: &crate::support::TestApp, forwarded_for: &str) -> u16 {
    app.client
        .post(format!("{}/v1/auth/login", app.address))
        .header("X-Forwarded-For", forwarded_for)
        .json(&serde_json::json!({"email": "nobody@example.org"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_caller_has_its_own_sign_in_bucket() {
    for (trusted, shared) in [
        (vec!["127.0.0.1/32".parse().unwrap()], false),
        (vec![], true),
    ] {
        let database = tokio::task::spawn_blocking(TestDatabase::new)
            .await
            .unwrap();
        let auth = cdb_hub::auth::AuthSettings {
            sign_in_rate_limit_per_minute: 2,
            trusted_proxies: trusted,
            ..Default::default()
        };
        let app = spawn_app_with(database, auth).await;
        assert_ne!(sign_in_from(&app, "203.0.113.1").await, 429);
        assert_ne!(sign_in_from(&app, "203.0.113.1").await, 429);
        assert_eq!(
            sign_in_from(&app, "203.0.113.1").await,
            429,
            "the same caller"
        );
        // Another caller behind the proxy; untrusted, the header is the caller's to forge and
        // every request is the proxy's own address.
        let other = sign_in_from(&app, "203.0.113.2").await;
        assert_eq!(
            other == 429,
            shared,
            "another caller (trusted proxy: {})",
            !shared
        );
    }
}
