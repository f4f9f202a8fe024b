//! A France Travail run stopped by a crash after a committed page resumes at its checkpoint:
//! the people before it are not asked again, the others are, once.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::connectors::{CLIENT_ID, SECRET, france_travail};
use crate::fixture::world;
use crate::support::{send, spawn_app};

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stopped_after_a_page_resumes_at_its_checkpoint() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let ft = france_travail().await;
    let a = world.deployment_a;
    let mut conn = app.database.connect();
    for i in 0..4 {
        let id = Uuid::new_v4();
        tokio::task::block_in_place(|| {
            conn.batch_execute(&format!(
                "INSERT INTO beneficiary (id, deployment_id, firstname, lastname, date_of_birth, nir) VALUES \
                 ('{id}', '{a}', 'Reprise', 'Personne{i}', '1980-01-0{}', '18001751234{i:02}'); \
                 INSERT INTO notebook (deployment_id, beneficiary_id) VALUES ('{a}', '{id}')",
                i + 1
            ))
            .unwrap();
        });
    }
    let people: Vec<Id> = tokio::task::block_in_place(|| {
        diesel::sql_query(format!(
            "SELECT id FROM beneficiary WHERE deployment_id = '{a}' AND (nir IS NOT NULL OR france_travail_id IS NOT NULL) ORDER BY id"
        ))
        .load(&mut conn)
        .unwrap()
    });
    assert!(people.len() >= 6);
    let manager = world.token("manager_a");
    let (status, created, _) = send(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        json!({"kind": "france_travail", "name": "FT reprise",
               "config": {"client_id": CLIENT_ID, "auth_base_url": ft.uri(), "api_base_url": ft.uri(), "calls_per_second": 50},
               "secrets": {"client_secret": SECRET}}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let instance = created["id"].as_str().unwrap().to_owned();
    let (status, run, _) = send(
        &app,
        Method::POST,
        manager,
        &format!("/v1/connectors/{instance}/runs"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 202, "{run}");
    let run: Uuid = run["id"].as_str().unwrap().parse().unwrap();
    // A worker committed the page up to the third person, then died: the run is left running
    // with its checkpoint.
    let checkpoint = people[2].id;
    tokio::task::block_in_place(|| {
        diesel::sql_query(format!(
            "UPDATE connector_run SET status = 'running', started_at = now(), checkpoint = '{checkpoint}', \
             counts = '{{\"read\": 3}}'::jsonb WHERE id = '{run}'"
        ))
        .execute(&mut conn)
        .unwrap();
    });
    crate::support::execute_run(&app.database.pool(), run).await;
    let searches = ft
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|request| request.url.path().contains("rechercher-usager"))
        .count();
    assert_eq!(
        searches,
        people.len() - 3,
        "only the people after the checkpoint, once each"
    );
    let (_, items, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}/runs/{run}/items?limit=100"),
        Value::Null,
        None,
    )
    .await;
    let items = items["items"].as_array().unwrap();
    assert_eq!(items.len(), people.len() - 3, "{items:?}");
    for done in &people[..3] {
        assert!(
            items
                .iter()
                .all(|item| item["beneficiary_id"] != done.id.to_string())
        );
    }
    let (_, finished, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}/runs/{run}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(finished["status"], "succeeded", "{finished}");
}
