//! Writing the directory: structures and professionals, who may write what, validation,
//! duplicates, the account e-mail, and a deactivated professional's lost access.

use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixture::{World, world};
use crate::support::{TestApp, captured_logs, spawn_app};

/// A valid SIRET (the DINUM's).
const SIRET: &str = "13002526500013";

struct Answer {
    status: u16,
    body: Value,
    headers: HeaderMap,
}

async fn send(
    app: &TestApp,
    method: Method,
    token: &str,
    path: &str,
    body: Option<Value>,
    idempotency_key: Option<&str>,
) -> Answer {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(key) = idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        body,
        headers,
    }
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Answer {
    send(app, Method::POST, token, path, Some(body), None).await
}

async fn patch(app: &TestApp, token: &str, path: &str, body: Value) -> Answer {
    send(app, Method::PATCH, token, path, Some(body), None).await
}

async fn delete(app: &TestApp, token: &str, path: &str) -> Answer {
    send(app, Method::DELETE, token, path, None, None).await
}

async fn get(app: &TestApp, token: &str, path: &str) -> Answer {
    send(app, Method::GET, token, path, None, None).await
}

#[derive(QueryableByName)]
struct One {
    #[diesel(sql_type = Nullable<Text>)]
    value: Option<String>,
}

/// The first column of the first row of a query, as text.
fn scalar(app: &TestApp, query: &str) -> Option<String> {
    let mut conn = PgConnection::establish(&app.database.url).unwrap();
    diesel::sql_query(format!("SELECT ({query})::text AS value"))
        .get_result::<One>(&mut conn)
        .unwrap()
        .value
}

fn professional_id(app: &TestApp, email: &str) -> Uuid {
    scalar(
        app,
        &format!("SELECT id FROM professional WHERE email = '{email}'"),
    )
    .and_then(|id| id.parse().ok())
    .unwrap_or_else(|| panic!("no professional {email}"))
}

fn structure_b(app: &TestApp) -> String {
    scalar(app, "SELECT id FROM structure WHERE name = 'SB'").unwrap()
}

fn field_errors(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").to_owned(),
                        e["code"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A personal access token of a caller (not a session).
async fn personal_token(app: &TestApp, world: &World, caller: &str) -> String {
    let created = post(
        app,
        world.token(caller),
        "/v1/me/tokens",
        json!({"name": "outil", "scopes": ["beneficiaries:read"], "expires_in_days": 1}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body["token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managers_create_structures_named_once_per_deployment() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let created = post(
        &app,
        manager,
        "/v1/structures",
        json!({
            "name": "CCAS d'Évry",
            "siret": "130 025 265 00013",
            "postal_code": "91000",
            "city": "Évry-Courcouronnes",
            "address1": "1 place des Droits de l'Homme",
            "email": "Accueil@CCAS-Evry.fr",
            "phone": "01 60 00 00 00",
            "website": "www.ccas-evry.fr",
            "short_desc": "Centre communal d'action sociale",
            "sensitive": false
        }),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.headers["location"].to_str().unwrap(),
        format!("/v1/structures/{id}")
    );
    assert_eq!(
        created.body["deployment_id"],
        world.deployment_a.to_string()
    );
    assert_eq!(created.body["siret"], SIRET);
    assert_eq!(created.body["email"], "accueil@ccas-evry.fr");
    assert_eq!(created.body["phone"], "+33160000000");
    assert_eq!(created.body["website"], "https://www.ccas-evry.fr");
    let read = get(&app, manager, &format!("/v1/structures/{id}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, created.body);
    // The same name, whatever its case and accents, is the existing structure.
    let again = post(
        &app,
        manager,
        "/v1/structures",
        json!({"name": "ccas d'evry"}),
    )
    .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.body["code"], "conflict");
    assert_eq!(again.body["structure_id"], id.as_str());
    // Another deployment may have a structure of this name.
    let elsewhere = post(
        &app,
        world.token("manager_b"),
        "/v1/structures",
        json!({"name": "CCAS d'Évry"}),
    )
    .await;
    assert_eq!(elsewhere.status, 201);
    assert_eq!(
        elsewhere.body["deployment_id"],
        world.deployment_b.to_string()
    );
    // A manager writes in their own deployment only.
    let other = post(
        &app,
        manager,
        "/v1/structures",
        json!({"name": "Ailleurs", "deployment_id": world.deployment_b}),
    )
    .await;
    assert_eq!(other.status, 422);
    assert_eq!(
        field_errors(&other.body),
        [("deployment_id".into(), "not_your_deployment".into())]
    );
    // A national administrator names the deployment.
    let admin = world.token("admin_cdb");
    let unnamed = post(
        &app,
        admin,
        "/v1/structures",
        json!({"name": "Mission locale"}),
    )
    .await;
    assert_eq!(unnamed.status, 422);
    assert_eq!(
        field_errors(&unnamed.body),
        [("deployment_id".into(), "required".into())]
    );
    let unknown = post(
        &app,
        admin,
        "/v1/structures",
        json!({"name": "Mission locale", "deployment_id": Uuid::new_v4()}),
    )
    .await;
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    let named = post(
        &app,
        admin,
        "/v1/structures",
        json!({"name": "Mission locale", "deployment_id": world.deployment_b, "sensitive": true}),
    )
    .await;
    assert_eq!(named.status, 201, "{}", named.body);
    assert_eq!(named.body["sensitive"], true);
    // Partners never see a sensitive structure, even by id; people of the deployment do.
    let sensitive = format!("/v1/structures/{}", named.body["id"].as_str().unwrap());
    assert_eq!(
        get(&app, world.token("client_b"), &sensitive).await.status,
        404
    );
    assert_eq!(
        get(&app, world.token("manager_b"), &sensitive).await.status,
        200
    );
    assert_eq!(
        get(&app, world.token("manager_a"), &sensitive).await.status,
        404
    );
    assert!(captured_logs().contains("structure created"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_creation_answers_the_first_response() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let body = json!({"name": "Maison de l'emploi"});
    let first = send(
        &app,
        Method::POST,
        manager,
        "/v1/structures",
        Some(body.clone()),
        Some("k-1"),
    )
    .await;
    assert_eq!(first.status, 201);
    let replay = send(
        &app,
        Method::POST,
        manager,
        "/v1/structures",
        Some(body),
        Some("k-1"),
    )
    .await;
    assert_eq!(replay.status, 201, "{}", replay.body);
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(replay.headers["location"], first.headers["location"]);
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM structure WHERE name = 'Maison de l''emploi'"
        )
        .as_deref(),
        Some("1")
    );
    let reused = send(
        &app,
        Method::POST,
        manager,
        "/v1/structures",
        Some(json!({"name": "Autre"})),
        Some("k-1"),
    )
    .await;
    assert_eq!(reused.status, 422);
    assert_eq!(reused.body["code"], "idempotency_key_reused");
    // A professional's creation, replayed, queues one e-mail.
    let pro = json!({"structure_id": world.structure_s1, "email": "rejoue@example.org", "firstname": "Rémi", "lastname": "Joué"});
    for _ in 0..2 {
        let answer = send(
            &app,
            Method::POST,
            manager,
            "/v1/professionals",
            Some(pro.clone()),
            Some("k-2"),
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM email_outbox WHERE recipient = 'rejoue@example.org'"
        )
        .as_deref(),
        Some("1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_structure_fields_are_listed_one_by_one() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let invalid = post(
        &app,
        manager,
        "/v1/structures",
        json!({
            "name": "  ",
            "siret": "13002526500014",
            "postal_code": "ABCDE",
            "email": "accueil.ccas.fr",
            "website": "pas une adresse",
            "phone": "12",
            "city": "x".repeat(300),
            "address1": "nul\u{0}"
        }),
    )
    .await;
    assert_eq!(invalid.status, 422, "{}", invalid.body);
    assert_eq!(invalid.body["code"], "validation_failed");
    assert_eq!(
        invalid.headers["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let mut errors = field_errors(&invalid.body);
    errors.sort();
    assert_eq!(
        errors,
        [
            ("address1", "invalid_text"),
            ("city", "too_long"),
            ("email", "invalid_email"),
            ("name", "required"),
            ("phone", "invalid_phone"),
            ("postal_code", "invalid_postal_code"),
            ("siret", "invalid_siret"),
            ("website", "invalid_url"),
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );
    for error in invalid.body["errors"].as_array().unwrap() {
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // Not JSON: 400; an unknown field: 422.
    let malformed = app
        .client
        .post(format!("{}/v1/structures", app.address))
        .bearer_auth(manager)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let unknown = post(
        &app,
        manager,
        "/v1/structures",
        json!({"name": "S3", "nom": "S3"}),
    )
    .await;
    assert_eq!(unknown.status, 422);
    let patched = patch(
        &app,
        manager,
        &format!("/v1/structures/{}", world.structure_s1),
        json!({"siret": "123", "name": null}),
    )
    .await;
    assert_eq!(patched.status, 422);
    let mut errors = field_errors(&patched.body);
    errors.sort();
    assert_eq!(
        errors,
        [("name", "required"), ("siret", "invalid_siret")]
            .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn structures_are_edited_by_managers_and_their_administrators_only() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let s1 = format!("/v1/structures/{}", world.structure_s1);
    let s2 = format!("/v1/structures/{}", world.structure_s2);
    let edited = patch(
        &app,
        world.token("admin_structure_s1"),
        &s1,
        json!({"short_desc": "Accueil RSA", "siret": SIRET, "postal_code": "91000"}),
    )
    .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["short_desc"], "Accueil RSA");
    assert_eq!(edited.body["name"], "S1");
    // null empties a field; absent fields stay.
    let emptied = patch(&app, world.token("manager_a"), &s1, json!({"siret": null})).await;
    assert_eq!(emptied.status, 200);
    assert_eq!(emptied.body["siret"], Value::Null);
    assert_eq!(emptied.body["postal_code"], "91000");
    // Only managers decide whether a structure is sensitive.
    let sensitive = patch(
        &app,
        world.token("admin_structure_s1"),
        &s1,
        json!({"sensitive": true}),
    )
    .await;
    assert_eq!(sensitive.status, 403);
    let sensitive = patch(
        &app,
        world.token("manager_a"),
        &s1,
        json!({"sensitive": true}),
    )
    .await;
    assert_eq!(sensitive.status, 200);
    assert_eq!(sensitive.body["sensitive"], true);
    // A rename onto another structure's name (case and accents aside) is a conflict.
    let clash = patch(&app, world.token("manager_a"), &s2, json!({"name": " s1 "})).await;
    assert_eq!(clash.status, 409);
    assert_eq!(clash.body["structure_id"], world.structure_s1.to_string());
    for (caller, expected) in [
        ("admin_structure_s2", 403),
        ("orientation_manager_a", 403),
        ("professional_member", 403),
        ("beneficiary_self", 403),
        ("client_a", 403),
        ("manager_b", 404),
        ("professional_other_deployment", 403),
    ] {
        let answer = patch(&app, world.token(caller), &s1, json!({"city": "Évry"})).await;
        assert_eq!(answer.status, expected, "{caller}: {}", answer.body);
    }
    for caller in [
        "admin_structure_s1",
        "orientation_manager_a",
        "professional_member",
        "beneficiary_self",
        "client_a",
    ] {
        let answer = post(
            &app,
            world.token(caller),
            "/v1/structures",
            json!({"name": "S9"}),
        )
        .await;
        assert_eq!(answer.status, 403, "{caller}: {}", answer.body);
    }
    let unknown = patch(
        &app,
        world.token("manager_a"),
        &format!("/v1/structures/{}", Uuid::new_v4()),
        json!({}),
    )
    .await;
    assert_eq!(unknown.status, 404);
    // A personal access token does not write the directory, even a manager's.
    let token = personal_token(&app, &world, "manager_a").await;
    assert_eq!(
        patch(&app, &token, &s1, json!({"city": "Évry"}))
            .await
            .status,
        403
    );
    assert_eq!(
        post(&app, &token, "/v1/structures", json!({"name": "S9"}))
            .await
            .status,
        403
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_professional_is_created_with_an_account_and_told_by_email() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let admin_s1 = world.token("admin_structure_s1");
    let created = post(
        &app,
        admin_s1,
        "/v1/professionals",
        json!({
            "structure_id": world.structure_s1,
            "email": "Nadia.Nouvelle@Example.org",
            "firstname": "Nadia",
            "lastname": "Nouvelle",
            "position": "Conseillère en insertion",
            "mobile_number": "06 12 34 56 78"
        }),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.headers["location"].to_str().unwrap(),
        format!("/v1/professionals/{id}")
    );
    assert_eq!(created.body["email"], "nadia.nouvelle@example.org");
    assert_eq!(created.body["mobile_number"], "+33612345678");
    assert_eq!(
        created.body["deployment_id"],
        world.deployment_a.to_string()
    );
    let read = get(
        &app,
        world.token("manager_a"),
        &format!("/v1/professionals/{id}"),
    )
    .await;
    assert_eq!(read.body, created.body);
    // The account, and the e-mail queued with it.
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT role || ':' || confirmed || ':' || deployment_id FROM account WHERE professional_id = '{id}'"
            )
        ),
        Some(format!("professional:true:{}", world.deployment_a))
    );
    let mail = {
        let mut conn = PgConnection::establish(&app.database.url).unwrap();
        cdb_hub::store::outbox::to_recipient(&mut conn, "nadia.nouvelle@example.org", 5).unwrap()
    };
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].subject, "Création de compte sur Carnet de bord");
    assert!(
        mail[0].body.starts_with("Bonjour Nadia Nouvelle,"),
        "{}",
        mail[0].body
    );
    assert!(mail[0].body.contains("« S1 »"), "{}", mail[0].body);
    assert!(mail[0].body.contains("/auth/login"), "{}", mail[0].body);
    // The new professional logs in with their e-mail.
    let login = app
        .client
        .post(format!("{}/v1/auth/login", app.address))
        .json(&json!({"email": "nadia.nouvelle@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 202);
    let link = scalar(
        &app,
        "SELECT body FROM email_outbox WHERE recipient = 'nadia.nouvelle@example.org' AND subject = 'Accédez à Carnet de bord'",
    )
    .unwrap();
    let key = link
        .split("/auth/jwt/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let session = app
        .client
        .post(format!("{}/v1/auth/session", app.address))
        .json(&json!({"key": key}))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 201);
    let session: Value = session.json().await.unwrap();
    let me = get(&app, session["access_token"].as_str().unwrap(), "/v1/me").await;
    assert_eq!(me.body["role"], "professional");
    assert_eq!(me.body["structure_id"], world.structure_s1.to_string());
    // No personal data in the logs: ids only.
    let logs = captured_logs();
    assert!(logs.contains("professional created with their account"));
    assert!(!logs.to_lowercase().contains("nadia.nouvelle"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn professionals_are_created_by_managers_and_their_structure_administrators() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let pro = |structure: Uuid, email: &str| json!({"structure_id": structure, "email": email, "firstname": "Léa", "lastname": "Martin-Durand"});
    let (s1, s2) = (world.structure_s1, world.structure_s2);
    let by_manager = post(
        &app,
        world.token("manager_a"),
        "/v1/professionals",
        pro(s2, "lea@example.org"),
    )
    .await;
    assert_eq!(by_manager.status, 201, "{}", by_manager.body);
    // The same e-mail, in any case, is the existing professional.
    let duplicate = post(
        &app,
        world.token("manager_a"),
        "/v1/professionals",
        pro(s1, "LEA@example.org"),
    )
    .await;
    assert_eq!(duplicate.status, 409, "{}", duplicate.body);
    assert_eq!(duplicate.body["professional_id"], by_manager.body["id"]);
    // Another deployment may have a professional with this e-mail.
    let sb: Uuid = structure_b(&app).parse().unwrap();
    let in_b = post(
        &app,
        world.token("manager_b"),
        "/v1/professionals",
        pro(sb, "lea@example.org"),
    )
    .await;
    assert_eq!(in_b.status, 201, "{}", in_b.body);
    for (caller, structure, expected) in [
        ("admin_structure_s1", s1, 201),
        ("admin_structure_s2", s1, 403),
        ("admin_cdb", s1, 201),
        ("manager_b", s1, 422),
        ("orientation_manager_a", s1, 403),
        ("professional_member", s1, 403),
        ("beneficiary_self", s1, 403),
        ("client_a", s1, 403),
    ] {
        let email = format!("{caller}.cree@example.org");
        let answer = post(
            &app,
            world.token(caller),
            "/v1/professionals",
            pro(structure, &email),
        )
        .await;
        assert_eq!(answer.status, expected, "{caller}: {}", answer.body);
        if expected == 422 {
            assert_eq!(
                field_errors(&answer.body),
                [("structure_id".into(), "unknown_structure".into())]
            );
        }
    }
    let invalid = post(
        &app,
        world.token("manager_a"),
        "/v1/professionals",
        json!({"structure_id": s1, "email": "pas-un-courriel", "lastname": "Dupont (née Durand)", "mobile_number": "abc"}),
    )
    .await;
    assert_eq!(invalid.status, 422, "{}", invalid.body);
    let mut errors = field_errors(&invalid.body);
    errors.sort();
    assert_eq!(
        errors,
        [
            ("email", "invalid_email"),
            ("firstname", "required"),
            ("lastname", "name_with_parentheses"),
            ("mobile_number", "invalid_phone"),
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn professionals_edit_their_profile_and_managers_move_them() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let member = professional_id(&app, "member@example.org");
    let outsider = professional_id(&app, "outsider@example.org");
    let path = format!("/v1/professionals/{member}");
    let own = patch(
        &app,
        world.token("professional_member"),
        &path,
        json!({"position": "Référente RSA", "mobile_number": "0612345678"}),
    )
    .await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.body["position"], "Référente RSA");
    let cleared = patch(
        &app,
        world.token("professional_member"),
        &path,
        json!({"mobile_number": null, "structure_id": world.structure_s1}),
    )
    .await;
    assert_eq!(cleared.status, 200, "staying in one's structure is no move");
    assert_eq!(cleared.body["mobile_number"], Value::Null);
    let moving = patch(
        &app,
        world.token("professional_member"),
        &path,
        json!({"structure_id": world.structure_s2}),
    )
    .await;
    assert_eq!(moving.status, 403);
    let someone_else = patch(
        &app,
        world.token("professional_non_member"),
        &path,
        json!({"position": "?"}),
    )
    .await;
    assert_eq!(someone_else.status, 403);
    for (caller, expected) in [
        ("professional_other_deployment", 404),
        ("manager_b", 404),
        ("admin_structure_s2", 403),
        ("orientation_manager_a", 403),
        ("beneficiary_self", 403),
        ("client_a", 403),
    ] {
        let answer = patch(&app, world.token(caller), &path, json!({"position": "?"})).await;
        assert_eq!(answer.status, expected, "{caller}: {}", answer.body);
    }
    let by_admin = patch(
        &app,
        world.token("admin_structure_s1"),
        &path,
        json!({"lastname": "Pro-Martin"}),
    )
    .await;
    assert_eq!(by_admin.status, 200, "{}", by_admin.body);
    assert_eq!(by_admin.body["lastname"], "Pro-Martin");
    // A structure administrator moves professionals only between structures they administer.
    let away = patch(
        &app,
        world.token("admin_structure_s1"),
        &path,
        json!({"structure_id": world.structure_s2}),
    )
    .await;
    assert_eq!(away.status, 403);
    // E-mails stay unique in the deployment.
    let taken = patch(
        &app,
        world.token("manager_a"),
        &path,
        json!({"email": "OUTSIDER@example.org"}),
    )
    .await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.body["professional_id"], outsider.to_string());
    let other_deployment = patch(
        &app,
        world.token("manager_a"),
        &path,
        json!({"structure_id": structure_b(&app)}),
    )
    .await;
    assert_eq!(other_deployment.status, 422);
    let moved = patch(
        &app,
        world.token("manager_a"),
        &path,
        json!({"structure_id": world.structure_s2, "email": "Member.New@example.org"}),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["structure_id"], world.structure_s2.to_string());
    assert_eq!(moved.body["email"], "member.new@example.org");
    // Now administered by S2's administrator, and no longer by S1's.
    let me = get(&app, world.token("professional_member"), "/v1/me").await;
    assert_eq!(me.body["structure_id"], world.structure_s2.to_string());
    assert_eq!(
        patch(
            &app,
            world.token("admin_structure_s1"),
            &path,
            json!({"position": "x"})
        )
        .await
        .status,
        403
    );
    assert_eq!(
        patch(
            &app,
            world.token("admin_structure_s2"),
            &path,
            json!({"position": "x"})
        )
        .await
        .status,
        200
    );
    let emptied = patch(&app, world.token("manager_a"), &path, json!({"email": ""})).await;
    assert_eq!(emptied.status, 422);
    assert_eq!(
        field_errors(&emptied.body),
        [("email".into(), "required".into())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivated_professional_loses_memberships_and_access_but_keeps_history() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let member = professional_id(&app, "member@example.org");
    let path = format!("/v1/professionals/{member}");
    let notebook = format!("/v1/notebooks/{}", world.notebook);
    let before = get(&app, world.token("manager_a"), &notebook).await;
    assert_eq!(before.status, 200);
    let etag = before.headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(
        get(&app, world.token("professional_member"), &notebook)
            .await
            .status,
        200
    );
    for (caller, expected) in [
        ("admin_structure_s2", 403),
        ("professional_member", 403),
        ("orientation_manager_a", 403),
        ("beneficiary_self", 403),
        ("client_a", 403),
        ("manager_b", 404),
    ] {
        let answer = delete(&app, world.token(caller), &path).await;
        assert_eq!(answer.status, expected, "{caller}: {}", answer.body);
    }
    let deactivated = delete(&app, world.token("admin_structure_s1"), &path).await;
    assert_eq!(deactivated.status, 204);
    assert_eq!(
        delete(&app, world.token("manager_a"), &path).await.status,
        204,
        "idempotent"
    );
    // The account no longer authenticates nor logs in.
    let me = get(&app, world.token("professional_member"), "/v1/me").await;
    assert_eq!(me.status, 401);
    assert_eq!(me.body["code"], "unauthenticated");
    let login = app
        .client
        .post(format!("{}/v1/auth/login", app.address))
        .json(&json!({"email": "member@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 202);
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM email_outbox WHERE recipient = 'member@example.org'"
        )
        .as_deref(),
        Some("0")
    );
    // The membership ended, kept as history; the profile stays.
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT string_agg(m.active || ':' || (m.membership_ended_at IS NOT NULL), ',') FROM notebook_member m \
                 JOIN account a ON a.id = m.account_id WHERE a.professional_id = '{member}'"
            )
        )
        .as_deref(),
        Some("false:true")
    );
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT deleted_at IS NOT NULL FROM account WHERE professional_id = '{member}'"
            )
        )
        .as_deref(),
        Some("true")
    );
    let profile = get(&app, world.token("manager_a"), &path).await;
    assert_eq!(profile.status, 200);
    // The notebook moved on: a new version, a member event, a change for partners.
    let after = get(&app, world.token("manager_a"), &notebook).await;
    assert_ne!(after.headers["etag"].to_str().unwrap(), etag);
    let members = after.body["members"].as_array().unwrap();
    assert!(
        members.iter().all(|m| m["active"] == false),
        "{}",
        after.body
    );
    assert_eq!(members.len(), 2);
    let events = get(
        &app,
        world.token("manager_a"),
        &format!("{notebook}/events"),
    )
    .await;
    let event = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_type"] == "member")
        .cloned();
    let event = event.unwrap_or_else(|| panic!("no member event: {}", events.body));
    assert_eq!(event["payload"]["change"], "membership_ended");
    assert_eq!(event["payload"]["professional_id"], member.to_string());
    let changes = get(&app, world.token("client_a"), "/v1/changes").await;
    assert!(
        changes.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "notebook.updated"
                && c["fields"] == json!(["members"])
                && c["notebook_id"] == world.notebook.to_string()),
        "{}",
        changes.body
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM notebook_event WHERE event_type = 'member'"
        )
        .as_deref(),
        Some("1"),
        "a second deactivation ends nothing more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn professionals_are_read_by_id_within_reach() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let member = format!(
        "/v1/professionals/{}",
        professional_id(&app, "member@example.org")
    );
    let outsider = format!(
        "/v1/professionals/{}",
        professional_id(&app, "outsider@example.org")
    );
    for (caller, path, expected) in [
        ("manager_a", &member, 200),
        ("professional_non_member", &member, 200),
        ("client_a", &member, 200),
        ("beneficiary_self", &member, 200),
        ("beneficiary_self", &outsider, 404),
        ("beneficiary_other", &member, 404),
        ("manager_b", &member, 404),
        ("client_b", &member, 404),
    ] {
        let answer = get(&app, world.token(caller), path).await;
        assert_eq!(answer.status, expected, "{caller} {path}: {}", answer.body);
    }
}
