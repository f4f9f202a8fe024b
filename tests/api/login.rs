//! People's login by magic link, sessions and personal access tokens; no account enumeration.

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::fixture::world;
use crate::support::{TestApp, spawn_app};

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}{path}", app.address))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, token: &str, path: &str) -> u16 {
    app.client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The login keys e-mailed to an address, newest first.
fn mailed_keys(app: &TestApp, email: &str) -> Vec<String> {
    let mut conn = PgConnection::establish(&app.database.url).unwrap();
    cdb_hub::store::outbox::to_recipient(&mut conn, email, 10)
        .unwrap()
        .into_iter()
        .filter_map(|mail| {
            mail.body
                .split("/auth/jwt/")
                .nth(1)
                .map(|rest| rest.split_whitespace().next().unwrap_or("").to_owned())
        })
        .collect()
}

fn sql(app: &TestApp, statement: &str) {
    let mut conn = PgConnection::establish(&app.database.url).unwrap();
    diesel::sql_query(statement).execute(&mut conn).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_magic_link_opens_one_session_once_and_expires() {
    let app = spawn_app().await;
    let _world = world(&app).await;
    let (status, known) = post(
        &app,
        "/v1/auth/login",
        json!({"email": "Manager.A@example.org"}),
    )
    .await;
    assert_eq!(status, 202);
    let (status, unknown) = post(
        &app,
        "/v1/auth/login",
        json!({"email": "nobody@example.org"}),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(
        known, unknown,
        "the answer must not tell whether the e-mail exists"
    );
    assert!(tokio::task::block_in_place(|| mailed_keys(&app, "nobody@example.org")).is_empty());
    let keys = tokio::task::block_in_place(|| mailed_keys(&app, "Manager.A@example.org"));
    assert_eq!(keys.len(), 1, "one e-mail with one link");
    let (status, session) = post(&app, "/v1/auth/session", json!({"key": keys[0]})).await;
    assert_eq!(status, 201, "{session}");
    assert_eq!(session["role"], "manager");
    let token = session["access_token"].as_str().unwrap().to_owned();
    assert_eq!(get(&app, &token, "/v1/me").await, 200);
    // Single use.
    let (status, problem) = post(&app, "/v1/auth/session", json!({"key": keys[0]})).await;
    assert_eq!(status, 401);
    assert_eq!(problem["code"], "invalid_login_key");
    // Expiry: a key older than 15 minutes is refused, with the same answer.
    post(
        &app,
        "/v1/auth/login",
        json!({"email": "manager.a@example.org"}),
    )
    .await;
    let fresh = tokio::task::block_in_place(|| mailed_keys(&app, "manager.a@example.org"));
    tokio::task::block_in_place(|| {
        sql(
            &app,
            "UPDATE login_key SET expires_at = now() - interval '1 second' WHERE used_at IS NULL",
        )
    });
    let (status, expired) = post(&app, "/v1/auth/session", json!({"key": fresh[0]})).await;
    assert_eq!((status, &expired["code"]), (401, &problem["code"]));
    let (status, _) = post(&app, "/v1/auth/session", json!({"key": "made-up"})).await;
    assert_eq!(status, 401);
    // Signing out revokes the session.
    let out = app
        .client
        .delete(format!("{}/v1/auth/session", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(get(&app, &token, "/v1/me").await, 401);
    // A deleted account cannot log in any more.
    tokio::task::block_in_place(|| {
        sql(
            &app,
            "UPDATE account SET deleted_at = now() WHERE manager_id IS NOT NULL",
        )
    });
    post(
        &app,
        "/v1/auth/login",
        json!({"email": "manager.b@example.org"}),
    )
    .await;
    assert!(tokio::task::block_in_place(|| mailed_keys(&app, "manager.b@example.org")).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_beneficiary_account_is_created_on_first_login_request() {
    let app = spawn_app().await;
    let world = world(&app).await;
    tokio::task::block_in_place(|| {
        sql(
            &app,
            &format!(
                "INSERT INTO beneficiary (deployment_id, firstname, lastname, date_of_birth, email) \
                 VALUES ('{}', 'Lina', 'Nouvelle', '1990-01-01', 'lina@example.org')",
                world.deployment_a
            ),
        )
    });
    post(&app, "/v1/auth/login", json!({"email": "lina@example.org"})).await;
    let keys = tokio::task::block_in_place(|| mailed_keys(&app, "lina@example.org"));
    let (status, session) = post(&app, "/v1/auth/session", json!({"key": keys[0]})).await;
    assert_eq!(status, 201);
    assert_eq!(session["role"], "beneficiary");
    let (status, _) = post(&app, "/v1/auth/login", json!({"email": "not an email"})).await;
    assert_eq!(status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_access_tokens_are_scoped_expiring_and_revocable() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let session = world.token("professional_member");
    let response = app
        .client
        .post(format!("{}/v1/me/tokens", app.address))
        .bearer_auth(session)
        .json(&json!({"name": "Logiciel métier", "scopes": ["notebooks:read"], "expires_in_days": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let pat = created["token"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&app, &pat, &format!("/v1/notebooks/{}", world.notebook)).await,
        200
    );
    assert_eq!(
        get(&app, &pat, "/v1/beneficiaries").await,
        403,
        "the token holds notebooks:read only"
    );
    let listed: Value = app
        .client
        .get(format!("{}/v1/me/tokens", app.address))
        .bearer_auth(session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    assert!(
        !listed.to_string().contains(&pat),
        "the token is shown once only"
    );
    // More than the role allows is refused.
    let too_much = app
        .client
        .post(format!("{}/v1/me/tokens", app.address))
        .bearer_auth(session)
        .json(&json!({"name": "x", "scopes": ["connectors:admin"], "expires_in_days": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(too_much.status(), 422);
    let id = created["id"].as_str().unwrap();
    let revoked = app
        .client
        .delete(format!("{}/v1/me/tokens/{id}", app.address))
        .bearer_auth(session)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(get(&app, &pat, "/v1/me").await, 401);
    // Expired tokens stop working.
    let response = app
        .client
        .post(format!("{}/v1/me/tokens", app.address))
        .bearer_auth(session)
        .json(&json!({"name": "court", "scopes": ["notebooks:read"], "expires_in_days": 1}))
        .send()
        .await
        .unwrap();
    let short: Value = response.json().await.unwrap();
    tokio::task::block_in_place(|| {
        sql(
            &app,
            "UPDATE account_token SET expires_at = now() - interval '1 second' WHERE kind = 'personal'",
        )
    });
    assert_eq!(
        get(&app, short["token"].as_str().unwrap(), "/v1/me").await,
        401
    );
    // API clients have no personal tokens.
    assert_eq!(
        get(&app, world.token("client_a"), "/v1/me/tokens").await,
        403
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_token_cannot_mint_tokens_nor_manage_clients() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let session = world.token("manager_a");
    let created: Value = app
        .client
        .post(format!("{}/v1/me/tokens", app.address))
        .bearer_auth(session)
        .json(&json!({"name": "outil", "scopes": ["beneficiaries:read"], "expires_in_days": 30}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pat = created["token"].as_str().unwrap();
    let escalate = app
        .client
        .post(format!("{}/v1/me/tokens", app.address))
        .bearer_auth(pat)
        .json(&json!({"name": "plus", "scopes": ["nir:read"], "expires_in_days": 365}))
        .send()
        .await
        .unwrap();
    assert_eq!(escalate.status(), 403);
    let client = app
        .client
        .post(format!("{}/v1/clients", app.address))
        .bearer_auth(pat)
        .json(&json!({"name": "x", "scopes": ["nir:read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(client.status(), 403);
    assert_eq!(get(&app, pat, "/v1/clients").await, 403);
}
