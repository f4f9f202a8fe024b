//! One pagination vocabulary on every list of the contract: `limit` and `cursor` in,
//! `{"items": [...], "next_cursor": …}` out; the former names (`after`, `after_line`) are
//! accepted and marked deprecated.

use reqwest::Method;
use serde_json::{Value, json};

use crate::fixture::world;
use crate::support::{send, spawn_app};

/// Lists that are not pages, and why.
const NOT_PAGED: &[(&str, &str)] = &[
    (
        "/v1/jobs/summary",
        "one count per queue and state: a handful of rows, bounded by the queues",
    ),
    (
        "/problems",
        "the fixed list of the problem codes, documentation rather than data",
    ),
    (
        "/changelog",
        "the API's versions: documentation rather than data",
    ),
];

#[test]
fn every_list_of_the_contract_is_a_page_taking_limit_and_cursor() {
    let document = serde_json::to_value(cdb_hub::app::openapi()).unwrap();
    let schemas = &document["components"]["schemas"];
    let mut wrong = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        let Some(get) = item.get("get") else { continue };
        if NOT_PAGED.iter().any(|(p, _)| p == path) {
            continue;
        }
        let schema = &get["responses"]["200"]["content"]["application/json"]["schema"];
        let resolved = match schema["$ref"].as_str() {
            Some(reference) => &schemas[reference.trim_start_matches("#/components/schemas/")],
            None => schema,
        };
        if resolved["type"] == "array" {
            wrong.push(format!("{path}: a bare array"));
            continue;
        }
        if resolved["properties"]["items"]["type"] != "array" {
            continue;
        }
        let parameters: Vec<&str> = get["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query" && p["deprecated"] != true)
            .filter_map(|p| p["name"].as_str())
            .collect();
        if !parameters.contains(&"limit") || !parameters.contains(&"cursor") {
            wrong.push(format!("{path}: parameters {parameters:?}"));
        }
        if resolved["properties"]["next_cursor"].is_null() {
            wrong.push(format!("{path}: no next_cursor"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // The former names are declared, deprecated.
    for (path, name) in [
        ("/v1/changes", "after"),
        ("/v1/imports/{id}/rows", "after_line"),
    ] {
        let parameter = document["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_default();
        assert_eq!(parameter["deprecated"], true, "{path} {name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectors_and_personal_tokens_come_in_pages() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    for name in ["CAF 1", "CAF 2", "CAF 3"] {
        let (status, body, _) = send(
            &app,
            Method::POST,
            manager,
            "/v1/connectors",
            json!({"kind": "caf_msa", "name": name}),
            None,
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let (status, body, _) = send(
            &app,
            Method::POST,
            manager,
            "/v1/me/tokens",
            json!({"name": name, "scopes": ["beneficiaries:read"], "expires_in_days": 30}),
            None,
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    for (path, expected) in [
        ("/v1/connectors", ["CAF 1", "CAF 2", "CAF 3"]),
        ("/v1/me/tokens", ["CAF 3", "CAF 2", "CAF 1"]),
    ] {
        let (status, first, _) = send(
            &app,
            Method::GET,
            manager,
            &format!("{path}?limit=2"),
            Value::Null,
            None,
        )
        .await;
        assert_eq!(status, 200, "{first}");
        let cursor = first["next_cursor"].as_str().unwrap();
        let (_, rest, _) = send(
            &app,
            Method::GET,
            manager,
            &format!("{path}?limit=2&cursor={cursor}"),
            Value::Null,
            None,
        )
        .await;
        assert!(rest["next_cursor"].is_null(), "{rest}");
        let names: Vec<&str> = first["items"]
            .as_array()
            .unwrap()
            .iter()
            .chain(rest["items"].as_array().unwrap())
            .map(|item| item["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, expected, "{path}");
        let (status, _, _) = send(
            &app,
            Method::GET,
            manager,
            &format!("{path}?cursor=not-a-cursor"),
            Value::Null,
            None,
        )
        .await;
        assert_eq!(status, 400, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_are_listed_by_queue_and_state_for_the_national_administrators() {
    let app = spawn_app().await;
    let world = world(&app).await;
    {
        let mut conn = app.database.connect();
        tokio::task::block_in_place(|| {
            for key in ["night-1", "night-2"] {
                cdb_hub::store::jobs::enqueue(&mut conn, "cdb.retention", "{}", 3, key).unwrap();
            }
            diesel::RunQueryDsl::execute(
                diesel::sql_query(
                    "UPDATE apalis.jobs SET status = 'Failed', last_result = '{\"Err\": \"boom\"}', attempts = 3 \
                     WHERE idempotency_key = 'night-1'",
                ),
                &mut conn,
            )
            .unwrap();
        });
    }
    let admin = world.token("admin_cdb");
    let get = |token: &str, path: &str| {
        let (app, token, path) = (&app, token.to_owned(), path.to_owned());
        async move {
            let (status, body, _) = send(app, Method::GET, &token, &path, Value::Null, None).await;
            (status, body)
        }
    };
    let (status, summary) = get(admin, "/v1/jobs/summary").await;
    assert_eq!(status, 200, "{summary}");
    let counts = summary["counts"].as_array().unwrap();
    for state in ["failed", "pending"] {
        assert!(
            counts.contains(&json!({"queue": "cdb.retention", "state": state, "count": 1})),
            "{summary}"
        );
    }
    let (_, failed) = get(admin, "/v1/jobs?queue=cdb.retention&state=failed").await;
    let items = failed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{failed}");
    assert!(
        items[0]["last_result"].as_str().unwrap().contains("boom"),
        "{failed}"
    );
    assert_eq!(items[0]["attempts"], 3);
    let (_, first) = get(admin, "/v1/jobs?queue=cdb.retention&limit=1").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let (_, second) = get(
        admin,
        &format!("/v1/jobs?queue=cdb.retention&limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1, "{second}");
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
    let (status, _) = get(admin, "/v1/jobs?state=stuck").await;
    assert_eq!(status, 400);
    for caller in ["manager_a", "professional_member", "client_a"] {
        for path in ["/v1/jobs", "/v1/jobs/summary"] {
            let (status, _) = get(world.token(caller), path).await;
            assert_eq!(status, 403, "{caller} {path}");
        }
    }
}
