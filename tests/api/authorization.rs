//! The authorization matrix: every caller kind × every protected endpoint × (own / other
//! deployment; member / former member / non-member of the notebook), with the exact outcome of
//! each cell. An endpoint of the contract that the matrix does not cover fails the test.

use std::collections::BTreeSet;

use crate::fixture::{World, world};
use crate::support::{TestApp, spawn_app};

/// The endpoints of the matrix (method, contract path).
const COVERED: &[(&str, &str)] = &[
    ("get", "/v1/beneficiaries"),
    ("get", "/v1/beneficiaries/{id}"),
    ("get", "/v1/notebooks/{id}"),
    ("get", "/v1/beneficiaries/{id}/access-log"),
    ("get", "/v1/deployments"),
    ("get", "/v1/structures"),
    ("get", "/v1/professionals"),
    ("get", "/v1/clients"),
    ("get", "/v1/me"),
];

/// Endpoints tested elsewhere: public ones, and the caller's own tokens and client management
/// writes (tests in `oauth.rs` and `login.rs`), personal data rights (`privacy.rs`).
/// Endpoints tested elsewhere: public ones, the caller's own tokens and client management
/// writes (tests in `oauth.rs` and `login.rs`), and the directory's writes and reads by id
/// (`directory_writes.rs`).
const ELSEWHERE: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("post", "/oauth/token"),
    ("get", "/.well-known/jwks.json"),
    // Public documentation of the problem codes (`problems.rs`).
    ("get", "/problems"),
    ("get", "/problems/{code}"),
    // The API's changelog (`contract.rs`).
    ("get", "/changelog"),
    ("post", "/v1/auth/login"),
    ("post", "/v1/auth/session"),
    ("delete", "/v1/auth/session"),
    ("post", "/v1/me/tokens"),
    ("get", "/v1/me/tokens"),
    ("delete", "/v1/me/tokens/{id}"),
    ("post", "/v1/clients"),
    ("post", "/v1/clients/{id}/rotate"),
    ("post", "/v1/clients/{id}/revoke"),
    ("post", "/v1/notebooks"),
    ("post", "/v1/beneficiaries/batch"),
    ("get", "/v1/changes"),
    ("get", "/v1/matches"),
    ("post", "/v1/notebooks/{id}/focuses"),
    ("post", "/v1/notebooks/{id}/focuses/{focus_id}/targets"),
    ("post", "/v1/notebooks/{id}/targets/{target_id}/actions"),
    ("patch", "/v1/notebooks/{id}/targets/{target_id}"),
    ("patch", "/v1/notebooks/{id}/actions/{action_id}"),
    ("get", "/v1/notebooks/{id}/events"),
    ("post", "/v1/matches/{id}/resolve"),
    // Tests in `journey.rs`.
    ("patch", "/v1/beneficiaries/{id}"),
    // Tests in `least_privilege.rs` and `write_matrix.rs`.
    ("put", "/v1/beneficiaries/{id}/login-email"),
    ("patch", "/v1/notebooks/{id}"),
    ("post", "/v1/notebooks/{id}/situations"),
    ("delete", "/v1/notebooks/{id}/situations/{situation_id}"),
    ("post", "/v1/notebooks/{id}/professional-projects"),
    (
        "patch",
        "/v1/notebooks/{id}/professional-projects/{project_id}",
    ),
    (
        "delete",
        "/v1/notebooks/{id}/professional-projects/{project_id}",
    ),
    ("post", "/v1/notebooks/{id}/appointments"),
    ("patch", "/v1/notebooks/{id}/appointments/{appointment_id}"),
    ("delete", "/v1/notebooks/{id}/appointments/{appointment_id}"),
    ("post", "/v1/notebooks/{id}/members"),
    ("put", "/v1/notebooks/{id}/referent"),
    ("delete", "/v1/notebooks/{id}/members/{account_id}"),
    ("post", "/v1/notebooks/{id}/orientation-requests"),
    ("get", "/v1/orientation-requests"),
    ("post", "/v1/orientation-requests/{id}/deny"),
    ("post", "/v1/notebooks/{id}/orientation"),
    // Tests in `notebook_list.rs`.
    ("get", "/v1/notebooks"),
    ("get", "/v1/appointments"),
    // Tests in `imports.rs`.
    ("post", "/v1/imports"),
    ("get", "/v1/imports"),
    ("get", "/v1/imports/{id}"),
    ("get", "/v1/imports/{id}/rows"),
    ("post", "/v1/imports/{id}/commit"),
    ("post", "/v1/imports/{id}/corrections"),
    ("get", "/v1/imports/{id}/errors.csv"),
    // Tests in `import_kinds.rs`.
    ("get", "/v1/structures/{id}/pending-beneficiaries.csv"),
    ("post", "/v1/sync-sessions"),
    ("get", "/v1/sync-sessions/{id}"),
    ("post", "/v1/sync-sessions/{id}/complete"),
    ("post", "/v1/sync-sessions/{id}/abandon"),
    // Tests in `connectors.rs`.
    ("post", "/v1/connectors"),
    ("get", "/v1/connectors"),
    ("get", "/v1/connectors/{id}"),
    ("patch", "/v1/connectors/{id}"),
    ("delete", "/v1/connectors/{id}"),
    ("post", "/v1/connectors/{id}/runs"),
    ("get", "/v1/connectors/{id}/runs"),
    ("get", "/v1/connectors/{id}/runs/{run_id}"),
    ("get", "/v1/connectors/{id}/runs/{run_id}/items"),
    ("post", "/v1/connectors/{id}/files"),
    ("get", "/v1/connectors/{id}/files"),
    ("get", "/v1/connectors/{id}/files/{file_id}"),
    ("post", "/v1/notebooks/{id}/refresh"),
    ("post", "/v1/connectors/{id}/events"),
    // Tests in `webhooks.rs`.
    ("post", "/v1/webhooks"),
    ("get", "/v1/webhooks"),
    ("get", "/v1/webhooks/{id}"),
    ("patch", "/v1/webhooks/{id}"),
    ("delete", "/v1/webhooks/{id}"),
    ("post", "/v1/webhooks/{id}/ping"),
    ("get", "/v1/webhooks/{id}/dead-letters"),
    ("post", "/v1/webhooks/{id}/replay"),
    ("get", "/v1/beneficiaries/{id}/export"),
    ("delete", "/v1/beneficiaries/{id}"),
    // Tests in `lists.rs`.
    ("get", "/v1/jobs"),
    ("get", "/v1/jobs/summary"),
    // Tests in `retention.rs`.
    ("get", "/v1/deployments/{id}/retention"),
    ("put", "/v1/deployments/{id}/retention"),
    ("get", "/v1/retention/due"),
    ("post", "/v1/beneficiaries/{id}/retention-postponements"),
    ("get", "/v1/structures/{id}"),
    ("get", "/v1/professionals/{id}"),
    ("post", "/v1/structures"),
    ("patch", "/v1/structures/{id}"),
    ("post", "/v1/professionals"),
    ("patch", "/v1/professionals/{id}"),
    ("delete", "/v1/professionals/{id}"),
];

#[test]
fn every_endpoint_of_the_contract_has_a_policy_test() {
    let document = serde_json::to_value(cdb_hub::app::openapi()).unwrap();
    let mut missing = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let key = (method.as_str(), path.as_str());
            if !COVERED.contains(&key) && !ELSEWHERE.contains(&key) {
                missing.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "endpoints without an authorization test: {missing:?}"
    );
}

async fn status(app: &TestApp, token: &str, path: &str) -> (u16, serde_json::Value) {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .header("X-Purpose", "contrôle des droits")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    (status, body)
}

fn listed(body: &serde_json::Value, id: uuid::Uuid) -> bool {
    body["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|item| item["id"] == id.to_string()))
}

/// One row: the caller and its expected outcome on each covered endpoint, in `COVERED` order.
/// `L` = 200 and the followed person is listed, `H` = 200 and hidden, `O` = 200 with only the
/// caller's deployment, `A` = 200 with every deployment, numbers = that status.
const MATRIX: &[(&str, [&str; 9])] = &[
    //  caller                          list  get   notebook access-log deployments structures professionals clients me
    (
        "admin_cdb",
        ["L", "200", "200", "200", "A", "A", "A", "200", "200"],
    ),
    (
        "manager_a",
        ["L", "200", "200", "200", "O", "O", "O", "200", "200"],
    ),
    (
        "manager_b",
        ["H", "404", "404", "404", "O", "O", "O", "200", "200"],
    ),
    (
        "orientation_manager_a",
        ["L", "200", "200", "404", "O", "O", "O", "403", "200"],
    ),
    (
        "admin_structure_s1",
        ["L", "200", "200", "404", "O", "O", "O", "403", "200"],
    ),
    (
        "admin_structure_s2",
        ["H", "404", "404", "404", "O", "O", "O", "403", "200"],
    ),
    (
        "professional_member",
        ["L", "200", "200", "404", "O", "O", "O", "403", "200"],
    ),
    (
        "professional_former_member",
        ["H", "404", "404", "404", "O", "O", "O", "403", "200"],
    ),
    (
        "professional_non_member",
        ["H", "404", "404", "404", "O", "O", "O", "403", "200"],
    ),
    (
        "professional_other_deployment",
        ["H", "404", "404", "404", "O", "O", "O", "403", "200"],
    ),
    (
        "beneficiary_self",
        ["L", "200", "200", "200", "O", "O", "M", "403", "200"],
    ),
    (
        "beneficiary_other",
        ["H", "404", "404", "404", "O", "O", "M", "403", "200"],
    ),
    (
        "client_a",
        ["L", "200", "200", "404", "O", "O", "O", "403", "200"],
    ),
    (
        "client_a_without_scopes",
        ["403", "403", "403", "404", "O", "O", "O", "403", "200"],
    ),
    (
        "client_a_structure_s1",
        ["L", "200", "200", "404", "O", "O", "O", "403", "200"],
    ),
    (
        "client_a_structure_s2",
        ["H", "404", "404", "404", "O", "O", "O", "403", "200"],
    ),
    (
        "client_b",
        ["H", "404", "404", "404", "O", "O", "O", "403", "200"],
    ),
];

async fn check_cell(
    app: &TestApp,
    world: &World,
    caller: &str,
    column: usize,
    expected: &str,
) -> Result<(), String> {
    let token = world.token(caller);
    let (method, template) = COVERED[column];
    let path = match template {
        "/v1/notebooks/{id}" => format!("/v1/notebooks/{}", world.notebook),
        other => other.replace("{id}", &world.beneficiary.to_string()),
    };
    let (status, body) = status(app, token, &path).await;
    let deployments_in = |body: &serde_json::Value| -> BTreeSet<String> {
        body["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| {
                        item.get("deployment_id")
                            .or(item.get("id"))
                            .and_then(|v| v.as_str())
                            .unwrap_or("")
                            .to_owned()
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let a = world.deployment_a.to_string();
    let b = world.deployment_b.to_string();
    let ok = match expected {
        "L" => status == 200 && listed(&body, world.beneficiary),
        "H" => status == 200 && !listed(&body, world.beneficiary),
        "A" => {
            status == 200
                && deployments_in(&body).contains(&a)
                && deployments_in(&body).contains(&b)
        }
        "O" => {
            let seen = deployments_in(&body);
            status == 200 && seen.len() == 1 && (seen.contains(&a) || seen.contains(&b))
        }
        // Professionals a beneficiary sees: only the active members of their own group.
        "M" => {
            let count = body["items"].as_array().map(Vec::len).unwrap_or(usize::MAX);
            status == 200
                && if caller == "beneficiary_self" {
                    count == 1
                } else {
                    count == 0
                }
        }
        code => status.to_string() == code,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{caller} {} {path}: expected {expected}, got {status} {body}",
            method.to_uppercase()
        ))
    }
}

#[tokio::test]
async fn the_authorization_matrix_holds_cell_by_cell() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let mut failures = Vec::new();
    for (caller, row) in MATRIX {
        for (column, expected) in row.iter().enumerate() {
            if let Err(failure) = check_cell(&app, &world, caller, column, expected).await {
                failures.push(failure);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Within a deployment, a person and a professional see no one else.
    for caller in ["beneficiary_self", "professional_member"] {
        let (_, body) = status(&app, world.token(caller), "/v1/beneficiaries").await;
        assert!(
            !listed(&body, world.other_beneficiary),
            "{caller} sees another person"
        );
        assert_eq!(body["items"].as_array().map(Vec::len), Some(1), "{caller}");
    }
    let (_, body) = status(&app, world.token("manager_a"), "/v1/beneficiaries").await;
    assert!(listed(&body, world.other_beneficiary));
}

#[tokio::test]
async fn without_a_token_every_protected_endpoint_answers_401_problem() {
    let app = spawn_app().await;
    for (_, path) in COVERED {
        let path = path.replace("{id}", &uuid::Uuid::new_v4().to_string());
        let response = app.get(&path).await;
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        assert!(
            response.headers().contains_key("www-authenticate"),
            "{path}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "unauthenticated", "{path}");
    }
}

#[tokio::test]
async fn partners_never_see_sensitive_structures() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let url = app.database.url.clone();
    let s1 = world.structure_s1;
    tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        let mut conn = PgConnection::establish(&url).unwrap();
        diesel::sql_query(format!(
            "UPDATE structure SET sensitive = true WHERE id = '{s1}'"
        ))
        .execute(&mut conn)
        .unwrap();
    })
    .await
    .unwrap();
    let path = format!("/v1/notebooks/{}", world.notebook);
    let (_, notebook) = status(&app, world.token("client_a"), &path).await;
    assert!(!notebook.to_string().contains("\"S1\""), "{notebook}");
    assert!(
        !notebook.to_string().contains(&s1.to_string()),
        "{notebook}"
    );
    let (_, structures) = status(&app, world.token("client_a"), "/v1/structures").await;
    assert!(!structures.to_string().contains(&s1.to_string()));
    let (_, as_manager) = status(&app, world.token("manager_a"), &path).await;
    assert!(
        as_manager.to_string().contains("\"S1\""),
        "people of the deployment still see it"
    );
}

#[tokio::test]
async fn the_nir_is_served_only_with_nir_read() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let path = format!("/v1/notebooks/{}", world.notebook);
    let (_, with) = status(&app, world.token("client_a"), &path).await;
    assert_eq!(with["beneficiary"]["nir"], world.nir.as_str());
    // The document: the active referent first, the former member kept with active = false.
    let members = with["members"].as_array().unwrap();
    assert_eq!(members.len(), 2, "{with}");
    assert_eq!(
        (
            members[0]["member_type"].as_str(),
            members[0]["active"].as_bool()
        ),
        (Some("referent"), Some(true))
    );
    assert_eq!(members[1]["active"], false);
    assert_eq!(with["orientation"]["structures"][0]["name"], "S1");
    assert_eq!(with["focuses"], serde_json::json!([]));
    let (_, without) = status(&app, world.token("client_a_structure_s1"), &path).await;
    assert!(without["beneficiary"].get("nir").is_none(), "{without}");
    assert!(!without.to_string().contains(&world.nir));
    let (_, list) = status(&app, world.token("admin_structure_s1"), "/v1/beneficiaries").await;
    assert!(!list.to_string().contains(&world.nir));
    // Filtering by NIR needs the scope too.
    let (code, _) = status(
        &app,
        world.token("client_a_structure_s1"),
        &format!("/v1/beneficiaries?nir={}", world.nir),
    )
    .await;
    assert_eq!(code, 403);
    // Text PostgreSQL cannot hold (found by the contract fuzzer) is a 400, not a 500.
    let (code, _) = status(
        &app,
        world.token("client_a"),
        "/v1/beneficiaries?france_travail_id=%00%C3%A7",
    )
    .await;
    assert_eq!(code, 400);
    let (code, found) = status(
        &app,
        world.token("client_a"),
        &format!("/v1/beneficiaries?nir={}", world.nir),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_partner_must_give_a_purpose_and_the_person_sees_it_in_their_journal() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let path = format!("{}/v1/notebooks/{}", app.address, world.notebook);
    let missing = app
        .client
        .get(&path)
        .bearer_auth(world.token("client_a"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["code"], "purpose_required");
    let read = app
        .client
        .get(&path)
        .bearer_auth(world.token("client_a"))
        .header("X-Purpose", "suivi RSA")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let read_request_id = read.headers()["x-request-id"].to_str().unwrap().to_owned();
    // An attempt from another deployment is journaled as denied.
    let (code, _) = status(
        &app,
        world.token("client_b"),
        &format!("/v1/notebooks/{}", world.notebook),
    )
    .await;
    assert_eq!(code, 404);
    for reader in ["beneficiary_self", "manager_a"] {
        let (code, journal) = status(
            &app,
            world.token(reader),
            &format!("/v1/beneficiaries/{}/access-log", world.beneficiary),
        )
        .await;
        assert_eq!(code, 200);
        let items = journal["items"].as_array().unwrap();
        assert!(
            items.iter().any(|e| e["purpose"] == "suivi RSA"
                && e["resource"] == "GET /v1/notebooks/{id}"
                && e["actor_kind"] == "api_client"
                && e["outcome"] == "allowed"),
            "{journal}"
        );
        assert!(items.iter().any(|e| e["outcome"] == "denied"), "{journal}");
        assert!(
            items
                .iter()
                .any(|e| e["request_id"] == read_request_id.as_str()),
            "the journal names the request, as in the logs: {journal}"
        );
    }
    // The journal is append-only, even for the database owner.
    let url = app.database.url.clone();
    let error = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        let mut conn = PgConnection::establish(&url).unwrap();
        diesel::sql_query("DELETE FROM access_log")
            .execute(&mut conn)
            .unwrap_err()
            .to_string()
    })
    .await
    .unwrap();
    assert!(error.contains("append-only"), "{error}");
}
