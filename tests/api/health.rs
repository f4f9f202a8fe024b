//! Operational endpoints, request ids and problem documents.

use crate::support::spawn_app;

#[tokio::test]
async fn healthz_answers_ok_with_a_request_id() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("x-request-id").is_some());
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn a_well_formed_incoming_request_id_is_echoed() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("X-Request-Id", "partner-abc-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "partner-abc-42");
}

#[tokio::test]
async fn readyz_is_ready_on_a_migrated_database() {
    let app = spawn_app().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn readyz_fails_with_a_problem_when_the_database_is_gone() {
    let app = spawn_app().await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    let name = app.database.name.clone();
    tokio::task::spawn_blocking(move || crate::support::drop_database(&name))
        .await
        .unwrap();
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "database_unavailable");
    assert_eq!(body["status"], 503);
}

#[tokio::test]
async fn readyz_fails_when_the_schema_is_not_migrated() {
    let app = spawn_app().await;
    let url = app.database.url.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        use diesel_migrations::MigrationHarness;
        let mut conn = diesel::PgConnection::establish(&url).unwrap();
        conn.revert_last_migration(cdb_hub::postgres::MIGRATIONS)
            .unwrap();
    })
    .await
    .unwrap();
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("migrate"),
        "{body}"
    );
}

#[tokio::test]
async fn an_unknown_route_is_a_problem_document() {
    let app = spawn_app().await;
    let response = app.get("/v1/nothing-here?x=1").await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["status"], 404);
    assert_eq!(body["title"], "Resource not found");
    assert_eq!(body["request_id"], request_id.as_str());
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("/v1/nothing-here")
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_jobs_by_state() {
    let app = spawn_app().await;
    app.get("/healthz").await;
    app.get("/no-such-page").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("cdb_http_requests_total")
                && l.contains("route=\"/healthz\"")
                && l.contains("status=\"200\"")),
        "{text}"
    );
    assert!(text.contains("route=\"unmatched\""), "{text}");
    assert!(
        text.contains("cdb_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("cdb_jobs{")
            && l.contains("queue=\"cdb.housekeeping\"")
            && l.contains("state=\"pending\"")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_put_behind_a_token() {
    let database = tokio::task::spawn_blocking(crate::support::TestDatabase::new)
        .await
        .unwrap();
    let auth = cdb_hub::auth::AuthSettings {
        metrics_token: Some("m3trics-s3cret".into()),
        ..crate::support::test_auth_settings()
    };
    let app = crate::support::spawn_app_with(database, auth).await;
    let url = format!("{}/metrics", app.address);
    let anonymous = app.client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["content-type"],
        "application/problem+json"
    );
    let wrong = app
        .client
        .get(&url)
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = app
        .client
        .get(&url)
        .bearer_auth("m3trics-s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(right.text().await.unwrap().contains("http_requests"));
}
