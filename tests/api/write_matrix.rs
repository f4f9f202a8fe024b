//! The write authorization matrix: every write of the contract that names a person (their
//! record, their notebook and what it holds) × every caller kind of the read matrix × a target
//! inside the caller's reach, outside it, and in another deployment. Outside reach, no write
//! succeeds, nothing about the person changes (every row that references them, from the
//! catalog), and the answer is the same as for a person of another deployment: it tells
//! nothing. Every other write endpoint of the contract is listed with the test that covers it;
//! a new write endpoint without cases fails the test.

use std::collections::BTreeSet;

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixture::world;
use crate::support::TestApp;

/// Writes whose path names a person (a notebook or a beneficiary): the matrix below.
const PERSON_WRITES: &[(&str, &str)] = &[
    ("patch", "/v1/beneficiaries/{id}"),
    ("delete", "/v1/beneficiaries/{id}"),
    ("put", "/v1/beneficiaries/{id}/login-email"),
    ("post", "/v1/beneficiaries/{id}/retention-postponements"),
    ("patch", "/v1/notebooks/{id}"),
    ("post", "/v1/notebooks/{id}/focuses"),
    ("post", "/v1/notebooks/{id}/focuses/{focus_id}/targets"),
    ("post", "/v1/notebooks/{id}/targets/{target_id}/actions"),
    ("patch", "/v1/notebooks/{id}/targets/{target_id}"),
    ("patch", "/v1/notebooks/{id}/actions/{action_id}"),
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
    ("post", "/v1/notebooks/{id}/orientation"),
    ("post", "/v1/notebooks/{id}/refresh"),
    // Collection writes that carry a person's identity: the target's NIR and new values.
    ("post", "/v1/notebooks"),
    ("post", "/v1/beneficiaries/batch"),
];

/// Writes that name no person, with the tests that hold them to their own reach.
const OTHER_WRITES: &[(&str, &str, &str)] = &[
    ("post", "/oauth/token", "oauth.rs"),
    ("post", "/v1/auth/login", "login.rs, least_privilege.rs"),
    ("post", "/v1/auth/session", "login.rs"),
    ("delete", "/v1/auth/session", "login.rs"),
    ("post", "/v1/me/tokens", "login.rs"),
    ("delete", "/v1/me/tokens/{id}", "login.rs"),
    ("post", "/v1/clients", "oauth.rs"),
    ("post", "/v1/clients/{id}/rotate", "oauth.rs"),
    ("post", "/v1/clients/{id}/revoke", "oauth.rs"),
    ("post", "/v1/structures", "directory_writes.rs"),
    ("post", "/v1/professionals", "directory_writes.rs"),
    ("patch", "/v1/structures/{id}", "directory_writes.rs"),
    ("delete", "/v1/professionals/{id}", "directory_writes.rs"),
    ("patch", "/v1/professionals/{id}", "directory_writes.rs"),
    ("post", "/v1/orientation-requests/{id}/deny", "journey.rs"),
    ("post", "/v1/sync-sessions", "import_kinds.rs, journey.rs"),
    (
        "post",
        "/v1/sync-sessions/{id}/complete",
        "import_kinds.rs, journey.rs",
    ),
    (
        "post",
        "/v1/sync-sessions/{id}/abandon",
        "import_kinds.rs, journey.rs",
    ),
    ("post", "/v1/connectors", "connectors.rs"),
    ("delete", "/v1/connectors/{id}", "connectors.rs"),
    ("patch", "/v1/connectors/{id}", "connectors.rs"),
    ("post", "/v1/connectors/{id}/runs", "connectors.rs"),
    ("post", "/v1/connectors/{id}/files", "connectors.rs"),
    ("post", "/v1/connectors/{id}/events", "connectors.rs"),
    ("post", "/v1/matches/{id}/resolve", "sync.rs"),
    ("post", "/v1/imports", "imports.rs, least_privilege.rs"),
    ("post", "/v1/imports/{id}/commit", "imports.rs"),
    ("post", "/v1/imports/{id}/corrections", "imports.rs"),
    ("post", "/v1/webhooks", "webhooks.rs"),
    ("delete", "/v1/webhooks/{id}", "webhooks.rs"),
    ("patch", "/v1/webhooks/{id}", "webhooks.rs"),
    ("post", "/v1/webhooks/{id}/ping", "webhooks.rs"),
    ("post", "/v1/webhooks/{id}/replay", "webhooks.rs"),
    ("put", "/v1/deployments/{id}/retention", "retention.rs"),
];

#[test]
fn every_write_of_the_contract_has_cases() {
    let document = serde_json::to_value(cdb_hub::app::openapi()).unwrap();
    let mut missing = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if !matches!(method.as_str(), "post" | "put" | "patch" | "delete") {
                continue;
            }
            let key = (method.as_str(), path.as_str());
            let listed = PERSON_WRITES.contains(&key)
                || OTHER_WRITES.iter().any(|(m, p, _)| (*m, *p) == key);
            if !listed {
                missing.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "write endpoints without cases: {missing:?}"
    );
}

/// The callers of the read matrix, and whether each reaches the followed person (S1, with an
/// active member) and the other person of deployment A.
const CALLERS: &[(&str, bool, bool)] = &[
    ("admin_cdb", true, true),
    ("manager_a", true, true),
    ("manager_b", false, false),
    ("orientation_manager_a", true, true),
    ("admin_structure_s1", true, false),
    ("admin_structure_s2", false, false),
    ("professional_member", true, false),
    ("professional_former_member", false, false),
    ("professional_non_member", false, false),
    ("professional_other_deployment", false, false),
    ("beneficiary_self", true, false),
    ("beneficiary_other", false, true),
    ("client_a_writer", true, true),
    ("client_a_structure_s1_writer", true, false),
    ("client_a_structure_s2_writer", false, false),
    ("client_b_writer", false, false),
];

/// A person the matrix writes about.
#[derive(Clone)]
struct Target {
    beneficiary: Uuid,
    notebook: Uuid,
    nir: String,
}

/// Everything the hub holds about a person: each row of every table that references them
/// (found in the catalog) except the access journal, which records the attempts themselves.
fn fingerprint(conn: &mut PgConnection, target: &Target) -> String {
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        column_name: String,
    }
    #[derive(QueryableByName)]
    struct Digest {
        #[diesel(sql_type = diesel::sql_types::Text)]
        digest: String,
    }
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name \
         FROM information_schema.columns c JOIN information_schema.tables t \
         ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE' \
         WHERE c.table_schema = 'public' AND c.column_name IN ('beneficiary_id', 'notebook_id') \
         AND c.table_name <> 'access_log' ORDER BY 1, 2",
    )
    .load(conn)
    .unwrap();
    let mut parts = vec![format!(
        "SELECT 'beneficiary' AS t, md5(coalesce(string_agg(to_jsonb(x)::text, ',' ORDER BY to_jsonb(x)::text), '')) AS d FROM beneficiary x WHERE id = '{}'",
        target.beneficiary
    )];
    for column in columns {
        let id = if column.column_name == "beneficiary_id" {
            target.beneficiary
        } else {
            target.notebook
        };
        parts.push(format!(
            "SELECT '{table}.{col}', md5(coalesce(string_agg(to_jsonb(x)::text, ',' ORDER BY to_jsonb(x)::text), '')) FROM \"{table}\" x WHERE \"{col}\" = '{id}'",
            table = column.table_name,
            col = column.column_name,
        ));
    }
    diesel::sql_query(format!(
        "SELECT string_agg(t || ':' || d, ' ' ORDER BY t) AS digest FROM ({}) parts",
        parts.join(" UNION ALL ")
    ))
    .get_result::<Digest>(conn)
    .unwrap()
    .digest
}

/// The request of one write about a target.
fn request(method: &str, path: &str, target: &Target) -> (Method, String, Value) {
    let url = path
        .replace("{id}", &target.notebook.to_string())
        .replace("{focus_id}", &Uuid::new_v4().to_string())
        .replace("{target_id}", &Uuid::new_v4().to_string())
        .replace("{action_id}", &Uuid::new_v4().to_string())
        .replace("{situation_id}", &Uuid::new_v4().to_string())
        .replace("{project_id}", &Uuid::new_v4().to_string())
        .replace("{appointment_id}", &Uuid::new_v4().to_string())
        .replace("{account_id}", &Uuid::new_v4().to_string());
    let url = if path.starts_with("/v1/beneficiaries/{id}") {
        path.replace("{id}", &target.beneficiary.to_string())
    } else {
        url
    };
    let body = match path {
        "/v1/beneficiaries/{id}" if method == "patch" => {
            json!({"email": "attacker@evil.example", "city": "Ailleurs"})
        }
        "/v1/beneficiaries/{id}" => json!({"reason": "contrôle des droits"}),
        "/v1/beneficiaries/{id}/login-email" => json!({"email": "attacker@evil.example"}),
        "/v1/beneficiaries/{id}/retention-postponements" => {
            let until = (chrono::Utc::now() + chrono::Duration::days(100)).date_naive();
            json!({"until": until, "reason": "contrôle des droits"})
        }
        "/v1/notebooks/{id}" => json!({"right_rqth": true, "version": 1}),
        "/v1/notebooks/{id}/focuses" => json!({"theme": "emploi"}),
        "/v1/notebooks/{id}/focuses/{focus_id}/targets" => json!({"target": "Accéder à l’emploi"}),
        "/v1/notebooks/{id}/targets/{target_id}/actions" => json!({"action": "Travailler le CV"}),
        "/v1/notebooks/{id}/targets/{target_id}" | "/v1/notebooks/{id}/actions/{action_id}" => {
            json!({"status": "abandonned"})
        }
        "/v1/notebooks/{id}/situations" => json!({"situation_id": Uuid::new_v4()}),
        "/v1/notebooks/{id}/professional-projects" => json!({"rome_code": "M1607"}),
        "/v1/notebooks/{id}/professional-projects/{project_id}" => json!({"mobility_radius": 30}),
        "/v1/notebooks/{id}/appointments" => json!({"date": "2026-12-01T09:30:00Z"}),
        "/v1/notebooks/{id}/appointments/{appointment_id}" => json!({"status": "present"}),
        "/v1/notebooks/{id}/members" | "/v1/notebooks/{id}/referent" => {
            json!({"account_id": Uuid::new_v4()})
        }
        "/v1/notebooks/{id}/orientation-requests" => {
            json!({"requested_orientation_system_id": Uuid::new_v4(), "reason": "contrôle"})
        }
        "/v1/notebooks/{id}/orientation" => json!({"orientation_system_id": Uuid::new_v4()}),
        "/v1/notebooks" => {
            json!({"nir": target.nir, "firstname": "Pirate", "lastname": "Pirate", "date_of_birth": "1985-03-14", "email": "attacker@evil.example"})
        }
        "/v1/beneficiaries/batch" => {
            json!({"items": [{"source_id": "attack", "nir": target.nir, "email": "attacker@evil.example", "city": "Ailleurs"}]})
        }
        _ => json!({}),
    };
    let method = match method {
        "post" => Method::POST,
        "put" => Method::PUT,
        "patch" => Method::PATCH,
        _ => Method::DELETE,
    };
    (method, url, body)
}

async fn send(app: &TestApp, token: &str, method: Method, url: &str, body: &Value) -> (u16, Value) {
    let response = app
        .client
        .request(method, format!("{}{url}", app.address))
        .bearer_auth(token)
        .header("X-Purpose", "contrôle des droits")
        .header("If-Match", "\"b0\"")
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Whether an answer applied the write (a batch answers 200 and says per record).
fn applied(status: u16, body: &Value) -> bool {
    if !(200..300).contains(&status) {
        return false;
    }
    match body["items"].as_array() {
        Some(items) => items.iter().any(|item| {
            matches!(
                item["status"].as_str(),
                Some("created" | "updated" | "unchanged")
            )
        }),
        None => body["status"] != "pending_review",
    }
}

/// The answer without what differs between two calls anyway (request ids).
fn shape(status: u16, body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(object) = body.as_object_mut() {
        object.remove("request_id");
    }
    json!({"status": status, "body": body})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_write_reaches_a_person_outside_the_callers_reach() {
    let app = crate::support::spawn_app().await;
    let mut world = world(&app).await;
    let url = app.database.url.clone();
    let write = "beneficiaries:read beneficiaries:write notebooks:read notebooks:write nir:read";
    for (name, deployment, structure) in [
        ("client_a_writer", world.deployment_a, None),
        (
            "client_a_structure_s1_writer",
            world.deployment_a,
            Some(world.structure_s1),
        ),
        (
            "client_a_structure_s2_writer",
            world.deployment_a,
            Some(world.structure_s2),
        ),
        ("client_b_writer", world.deployment_b, None),
    ] {
        let token = crate::fixture::client_token(&app, &url, deployment, structure, write).await;
        world.tokens.push((name, token));
    }
    let (deployment_b, other) = (world.deployment_b, world.other_beneficiary);
    let mut conn = app.database.connect();
    #[derive(QueryableByName)]
    struct Ids {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        beneficiary: Uuid,
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        notebook: Uuid,
    }
    let other_notebook = diesel::sql_query(format!(
        "SELECT beneficiary_id AS beneficiary, id AS notebook FROM notebook WHERE beneficiary_id = '{other}'"
    ))
    .get_result::<Ids>(&mut conn)
    .unwrap()
    .notebook;
    let in_b = diesel::sql_query(format!(
        "WITH b AS (INSERT INTO beneficiary (deployment_id, firstname, lastname, date_of_birth, nir, email) \
         VALUES ('{deployment_b}', 'Bea', 'Ailleurs', '1970-01-01', '2700175999998', 'bea@example.org') RETURNING id) \
         INSERT INTO notebook (deployment_id, beneficiary_id) SELECT '{deployment_b}', id FROM b \
         RETURNING beneficiary_id AS beneficiary, id AS notebook"
    ))
    .get_result::<Ids>(&mut conn)
    .unwrap();
    let followed = Target {
        beneficiary: world.beneficiary,
        notebook: world.notebook,
        nir: world.nir.clone(),
    };
    let outside = Target {
        beneficiary: other,
        notebook: other_notebook,
        nir: "1850375123457".into(),
    };
    let elsewhere = Target {
        beneficiary: in_b.beneficiary,
        notebook: in_b.notebook,
        nir: "2700175999998".into(),
    };
    let mut cells = 0;
    for &(method, path) in PERSON_WRITES {
        for &(caller, reaches_followed, reaches_other) in CALLERS {
            let token = world.token(caller).to_owned();
            let mut answers = Vec::new();
            for (target, within) in [
                (&followed, reaches_followed),
                (&outside, reaches_other),
                (
                    &elsewhere,
                    matches!(caller, "admin_cdb" | "manager_b" | "client_b_writer"),
                ),
            ] {
                if within {
                    continue;
                }
                let before = fingerprint(&mut conn, target);
                let (verb, url, body) = request(method, path, target);
                let (status, answer) = send(&app, &token, verb, &url, &body).await;
                let after = fingerprint(&mut conn, target);
                let cell = format!(
                    "{} {path} as {caller} on {}",
                    method.to_uppercase(),
                    target.beneficiary
                );
                assert!(status < 500, "{cell}: {status} {answer}");
                assert!(
                    !applied(status, &answer),
                    "{cell} was applied: {status} {answer}"
                );
                assert_eq!(
                    before, after,
                    "{cell} changed the person ({status} {answer})"
                );
                answers.push(shape(status, &answer));
                cells += 1;
            }
            // Outside reach and in another deployment look the same: nothing is learnt.
            if let [first, rest @ ..] = answers.as_slice() {
                for other in rest {
                    let strip = |v: &Value| {
                        let mut v = v.clone();
                        // Batch items carry their position only.
                        if let Some(items) = v["body"]["items"].as_array_mut() {
                            for item in items {
                                item.as_object_mut().map(|o| o.remove("index"));
                            }
                        }
                        v
                    };
                    assert_eq!(
                        strip(first),
                        strip(other),
                        "{method} {path} as {caller}: the answers differ"
                    );
                }
            }
        }
    }
    assert!(cells > 500, "{cells} cells");
}
