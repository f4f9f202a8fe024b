//! The token endpoint's conformance to RFC 6749 (§4.4 client credentials, §5.2 errors), the
//! tokens' verification (expiry, audience, key), client revocation and secret rotation, as a
//! partner developer would meet them.

use diesel::prelude::*;
use serde_json::Value;

use crate::fixture::world;
use crate::support::{TestApp, spawn_app};

async fn token_request(
    app: &TestApp,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = app
        .client
        .post(format!("{}/oauth/token", app.address))
        .form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        headers,
    )
}

/// Creates a client with the real command line, as an operator would.
fn create_client_with_cli(app: &TestApp, deployment: &str, scopes: &str) -> Value {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cdb-hub"))
        .env("DATABASE_URL", &app.database.url)
        .env("CDB_LOG_LEVEL", "warn")
        .args([
            "clients",
            "create",
            "--deployment",
            deployment,
            "--name",
            "SI partenaire",
            "--scope",
            scopes,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_created_on_the_command_line_gets_a_token_and_reads_its_deployment_only() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let credentials = tokio::task::block_in_place(|| {
        create_client_with_cli(&app, "CD A", "beneficiaries:read,notebooks:read")
    });
    let id = credentials["client_id"].as_str().unwrap();
    let secret = credentials["client_secret"].as_str().unwrap();
    // Client authentication in the body works as well as HTTP Basic.
    let (status, body, headers) = token_request(
        &app,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["scope"], "beneficiaries:read notebooks:read");
    assert_eq!(headers["cache-control"], "no-store");
    let token = body["access_token"].as_str().unwrap();
    let list: Value = app
        .client
        .get(format!("{}/v1/beneficiaries", app.address))
        .bearer_auth(token)
        .header("X-Purpose", "suivi RSA")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let deployments: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["deployment_id"].as_str().unwrap())
        .collect();
    assert_eq!(deployments.len(), 2);
    assert!(
        deployments
            .iter()
            .all(|d| *d == world.deployment_a.to_string())
    );
    // The key that signed it is published.
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&base64_decode(header)).unwrap();
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == header["kid"] && k["kty"] == "OKP" && k["alg"] == "EdDSA")
    );
}

fn base64_decode(part: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rfc_6749_error_is_answered_as_specified() {
    let app = spawn_app().await;
    let _world = world(&app).await;
    let credentials =
        tokio::task::block_in_place(|| create_client_with_cli(&app, "CD A", "beneficiaries:read"));
    let id = credentials["client_id"].as_str().unwrap();
    let secret = credentials["client_secret"].as_str().unwrap();
    let grant = [("grant_type", "client_credentials")];

    let (status, body, headers) = token_request(&app, Some((id, "wrong")), &grant).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let (status, body, _) =
        token_request(&app, Some(("cdb_unknownclient0000000", secret)), &grant).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body, _) = token_request(&app, None, &grant).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body, _) = token_request(&app, Some((id, secret)), &[]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, body, _) = token_request(
        &app,
        Some((id, secret)),
        &[
            ("grant_type", "client_credentials"),
            ("grant_type", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, body, _) =
        token_request(&app, Some((id, secret)), &[("grant_type", "password")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (status, body, _) = token_request(
        &app,
        Some((id, secret)),
        &[("grant_type", "client_credentials"), ("scope", "nir:read")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let (status, body, _) = token_request(
        &app,
        Some((id, secret)),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "everything"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let (status, body, _) = token_request(
        &app,
        Some((id, secret)),
        &[("grant_type", "client_credentials"), ("client_id", id)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let response = app
        .client
        .post(format!("{}/oauth/token", app.address))
        .basic_auth(id, Some(secret))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    // A narrower scope than the client's is granted as asked.
    let (status, body, _) = token_request(
        &app,
        Some((id, secret)),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "beneficiaries:read"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (200, Some("beneficiaries:read"))
    );
}

async fn me(app: &TestApp, token: &str) -> u16 {
    app.client
        .get(format!("{}/v1/me", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn keys(app: &TestApp) -> cdb_hub::auth::keys::KeyRing {
    let mut conn = PgConnection::establish(&app.database.url).unwrap();
    cdb_hub::auth::keys::KeyRing::load(&mut conn, crate::support::test_secrets()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_foreign_and_wrong_audience_tokens_are_refused() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let valid = world.token("client_a").to_owned();
    assert_eq!(me(&app, &valid).await, 200);
    // Every forged token below names the real, active client: only the token checks refuse it.
    let claims: Value =
        serde_json::from_slice(&base64_decode(valid.split('.').nth(1).unwrap())).unwrap();
    let ring = tokio::task::block_in_place(|| keys(&app));
    let sign = |claims: &Value, ring: &cdb_hub::auth::keys::KeyRing| -> String {
        ring.with_signing_key(|kid, key| {
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
            header.kid = Some(kid.to_owned());
            jsonwebtoken::encode(&header, claims, key).unwrap()
        })
        .unwrap()
    };
    let now = chrono::Utc::now().timestamp();
    let variant = |change: &dyn Fn(&mut Value)| {
        let mut forged = claims.clone();
        change(&mut forged);
        forged
    };
    // Control: the same claims re-signed with our key are accepted.
    assert_eq!(me(&app, &sign(&claims, &ring)).await, 200);
    for (what, forged) in [
        (
            "expired",
            variant(&|c| {
                c["iat"] = (now - 1000).into();
                c["exp"] = (now - 100).into();
            }),
        ),
        (
            "wrong audience",
            variant(&|c| c["aud"] = "another-api".into()),
        ),
        (
            "wrong issuer",
            variant(&|c| c["iss"] = "someone-else".into()),
        ),
        (
            "far-future expiry",
            variant(&|c| c["exp"] = (now + 10 * 365 * 86400).into()),
        ),
        (
            "other deployment",
            variant(&|c| c["deployment_id"] = world.deployment_b.to_string().into()),
        ),
    ] {
        assert_eq!(me(&app, &sign(&forged, &ring)).await, 401, "{what}");
    }
    // Tampered payload, signature of the original.
    let mut parts: Vec<String> = valid.split('.').map(str::to_owned).collect();
    let tampered = variant(&|c| {
        c["scope"] = "beneficiaries:read notebooks:read nir:read connectors:admin".into()
    });
    use base64::Engine;
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&tampered).unwrap());
    assert_eq!(me(&app, &parts.join(".")).await, 401, "tampered");
    // Signed by a key this hub never had: with its own kid, or claiming ours.
    let other_db = crate::support::TestDatabase::new();
    let foreign_ring = {
        let mut conn = other_db.connect();
        cdb_hub::auth::keys::KeyRing::load(&mut conn, crate::support::test_secrets()).unwrap()
    };
    assert_eq!(
        me(&app, &sign(&claims, &foreign_ring)).await,
        401,
        "foreign key"
    );
    let our_kid = cdb_hub::auth::tokens::key_id(&valid).unwrap();
    let foreign = sign(&claims, &foreign_ring);
    let mut forged: Vec<String> = foreign.split('.').map(str::to_owned).collect();
    let header = serde_json::json!({"typ": "JWT", "alg": "EdDSA", "kid": our_kid});
    forged[0] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&header).unwrap());
    assert_eq!(
        me(&app, &forged.join(".")).await,
        401,
        "foreign key under our kid"
    );
    // "none" and symmetric algorithms are refused outright.
    let none_header =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"x"}"#);
    assert_eq!(
        me(&app, &format!("{none_header}.{}.", parts[1])).await,
        401,
        "alg none"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_rotation_and_key_rollover() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let created: Value = app
        .client
        .post(format!("{}/v1/clients", app.address))
        .bearer_auth(manager)
        .json(&serde_json::json!({"name": "Logiciel SIAO", "scopes": ["beneficiaries:read"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, client_id) = (
        created["id"].as_str().unwrap().to_owned(),
        created["client_id"].as_str().unwrap().to_owned(),
    );
    let first_secret = created["client_secret"].as_str().unwrap().to_owned();
    let grant = [("grant_type", "client_credentials")];
    let (status, body, _) = token_request(&app, Some((&client_id, &first_secret)), &grant).await;
    assert_eq!(status, 200);
    let token = body["access_token"].as_str().unwrap().to_owned();
    // Rotation: both secrets work during the overlap; the list never shows a secret.
    let rotated: Value = app
        .client
        .post(format!("{}/v1/clients/{id}/rotate", app.address))
        .bearer_auth(manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(first_secret, second_secret);
    assert_eq!(
        token_request(&app, Some((&client_id, &first_secret)), &grant)
            .await
            .0,
        200
    );
    assert_eq!(
        token_request(&app, Some((&client_id, &second_secret)), &grant)
            .await
            .0,
        200
    );
    let listed = app
        .client
        .get(format!("{}/v1/clients", app.address))
        .bearer_auth(manager)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        listed.contains(&client_id)
            && !listed.contains(&second_secret)
            && !listed.contains("secret_hash")
    );
    assert!(listed.contains("last_used_at"));
    // Past the overlap, only the new secret works.
    let url = app.database.url.clone();
    let client_uuid = id.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        diesel::sql_query(format!(
            "UPDATE api_client SET previous_secret_expires_at = now() - interval '1 second' WHERE id = '{client_uuid}'"
        ))
        .execute(&mut conn)
        .unwrap();
    })
    .await
    .unwrap();
    assert_eq!(
        token_request(&app, Some((&client_id, &first_secret)), &grant)
            .await
            .0,
        401
    );
    // Key rollover: tokens signed by the retired key stay valid; new ones use the new key.
    let old_kid = cdb_hub::auth::tokens::key_id(&token).unwrap();
    let new_kid = tokio::task::block_in_place(|| {
        let mut conn = PgConnection::establish(&app.database.url).unwrap();
        keys(&app).rotate(&mut conn).unwrap()
    });
    assert_eq!(me(&app, &token).await, 200);
    let (_, fresh, _) = token_request(&app, Some((&client_id, &second_secret)), &grant).await;
    let fresh = fresh["access_token"].as_str().unwrap().to_owned();
    assert_eq!(cdb_hub::auth::tokens::key_id(&fresh).unwrap(), new_kid);
    assert_eq!(me(&app, &fresh).await, 200);
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()));
    // Revocation takes effect at once, for tokens already issued too.
    let revoke = app
        .client
        .post(format!("{}/v1/clients/{id}/revoke", app.address))
        .bearer_auth(manager)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    assert_eq!(me(&app, &fresh).await, 401);
    assert_eq!(
        token_request(&app, Some((&client_id, &second_secret)), &grant)
            .await
            .0,
        401
    );
    // Another deployment's manager cannot see or touch it.
    let other = app
        .client
        .post(format!("{}/v1/clients/{id}/rotate", app.address))
        .bearer_auth(world.token("manager_b"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_keys_are_sealed_at_rest_and_old_clear_ones_get_sealed() {
    let app = spawn_app().await;
    #[derive(diesel::QueryableByName)]
    struct Key {
        #[diesel(sql_type = diesel::sql_types::Text)]
        kid: String,
        #[diesel(sql_type = diesel::sql_types::Bytea)]
        private_key_der: Vec<u8>,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        sealed: bool,
    }
    let read = |app: &TestApp| {
        let mut conn = PgConnection::establish(&app.database.url).unwrap();
        diesel::sql_query(
            "SELECT kid, private_key_der, sealed FROM signing_key ORDER BY created_at",
        )
        .load::<Key>(&mut conn)
        .unwrap()
    };
    let stored = tokio::task::block_in_place(|| read(&app));
    assert_eq!(stored.len(), 1);
    assert!(stored[0].sealed);
    // A PKCS#8 key is a DER SEQUENCE (0x30) holding the algorithm's OID; the sealed one is not.
    let ed25519_oid = [0x06, 0x03, 0x2b, 0x65, 0x70];
    assert!(
        !stored[0]
            .private_key_der
            .windows(5)
            .any(|w| w == ed25519_oid)
    );
    // A key written in clear by an older hub is sealed by the next one to read it.
    let ring = tokio::task::block_in_place(|| keys(&app));
    let clear = ring.with_signing_key(|kid, _| kid.to_owned()).unwrap();
    tokio::task::block_in_place(|| {
        let mut conn = PgConnection::establish(&app.database.url).unwrap();
        let secrets = crate::support::test_secrets();
        let sealing = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("cdb-hub:signing_key:{clear}").as_bytes(),
        );
        let der = secrets.open(sealing, &stored[0].private_key_der).unwrap();
        diesel::sql_query(
            "UPDATE signing_key SET private_key_der = $1, sealed = false WHERE kid = $2",
        )
        .bind::<diesel::sql_types::Bytea, _>(der)
        .bind::<diesel::sql_types::Text, _>(&clear)
        .execute(&mut conn)
        .unwrap();
    });
    let again = tokio::task::block_in_place(|| keys(&app));
    assert_eq!(again.active_kid().as_deref(), Some(clear.as_str()));
    let stored = tokio::task::block_in_place(|| read(&app));
    assert!(stored.iter().all(|key| key.sealed), "sealed on reading");
    assert_eq!(stored[0].kid, clear);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_key_ids_read_the_keys_again_at_most_once_a_minute() {
    let app = spawn_app().await;
    let ring = tokio::task::block_in_place(|| keys(&app));
    let mut conn = PgConnection::establish(&app.database.url).unwrap();
    assert!(
        ring.reload_for_unknown_kid(&mut conn).unwrap(),
        "the first one reads them"
    );
    for _ in 0..5 {
        assert!(
            !ring.reload_for_unknown_kid(&mut conn).unwrap(),
            "then not within the minute"
        );
    }
}
