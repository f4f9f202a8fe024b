//! Connector instances against a local France Travail (wiremock, the reference payloads):
//! secrets sealed and never shown, runs queued by hand or by the schedule, executed through the
//! inbound pipeline with a history record by record, unchanged on a second run.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{body_json, body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fixture::world;
use crate::support::{TestApp, captured_logs, send, spawn_app};

pub(crate) const SECRET: &str = "sup3r-s3cr3t-client-secret";
pub(crate) const CLIENT_ID: &str = "PAR_cdbhub_0123456789";
const JETON: &str = "a_long_token";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/fixtures/france-travail/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn reference(endpoint_prefix: &str, answer: &str) -> Value {
    let all = fixture("partenaire_api_responses.json");
    let (_, endpoint) = all
        .as_object()
        .unwrap()
        .iter()
        .find(|(key, _)| key.starts_with(endpoint_prefix))
        .unwrap();
    endpoint[answer].clone()
}

/// A France Travail that knows the reference person (NIR 1041174010081, born 1998-07-11).
pub(crate) async fn france_travail() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/connexion/oauth2/access_token"))
        .and(query_param("realm", "/agent"))
        .and(body_string_contains(format!("client_id={CLIENT_ID}")))
        .and(body_string_contains(format!("client_secret={SECRET}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "scope": "api_rechercher-usagerv2", "expires_in": 1499,
            "token_type": "Bearer", "access_token": "token-1"
        })))
        .mount(&server)
        .await;
    let search = "POST /partenaire/rechercher-usager/v2/usagers/par-datenaissance-et-nir";
    Mock::given(method("POST"))
        .and(path(
            "/partenaire/rechercher-usager/v2/usagers/par-datenaissance-et-nir",
        ))
        .and(body_json(reference(search, "request")))
        .respond_with(ResponseTemplate::new(200).set_body_json(reference(search, "200_certified")))
        .mount(&server)
        .await;
    let reads = [
        (
            "/partenaire/informations-administratives/v1/usager",
            reference("GET /partenaire/informations-administratives", "200"),
        ),
        (
            "/partenaire/orientationusager/v1/lectureOrientation",
            reference("GET /partenaire/orientationusager", "200"),
        ),
    ];
    for (route, body) in reads {
        Mock::given(method("GET"))
            .and(path(route))
            .and(header("ft-jeton-usager", JETON))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    server
}

fn exec(app: &TestApp, sql: &str) {
    let mut conn = app.database.connect();
    tokio::task::block_in_place(|| conn.batch_execute(sql).unwrap());
}

async fn run_now(app: &TestApp, token: &str, instance: &str) -> String {
    let (status, run, _) = send(
        app,
        Method::POST,
        token,
        &format!("/v1/connectors/{instance}/runs"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 202, "{run}");
    let id = run["id"].as_str().unwrap().to_owned();
    crate::support::execute_run(&app.database.pool(), id.parse().unwrap()).await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_france_travail_instance_runs_through_the_pipeline_and_keeps_its_secret() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let ft = france_travail().await;
    let john = Uuid::new_v4();
    exec(
        &app,
        &format!(
            "INSERT INTO beneficiary (id, deployment_id, firstname, lastname, date_of_birth, nir) VALUES \
             ('{john}', '{}', 'John', 'Doe', '1998-07-11', '1041174010081'); \
             INSERT INTO notebook (deployment_id, beneficiary_id) VALUES ('{}', '{john}')",
            world.deployment_a, world.deployment_a
        ),
    );
    let manager = world.token("manager_a");
    let body = json!({
        "kind": "france_travail", "name": "France Travail 93",
        "config": {"client_id": CLIENT_ID, "auth_base_url": ft.uri(), "api_base_url": ft.uri(), "calls_per_second": 50},
        "secrets": {"client_secret": SECRET},
    });
    for (caller, expected) in [
        ("professional_member", 403),
        ("orientation_manager_a", 403),
        ("client_a", 403),
    ] {
        let (status, _, _) = send(
            &app,
            Method::POST,
            world.token(caller),
            "/v1/connectors",
            body.clone(),
            None,
        )
        .await;
        assert_eq!(status, expected, "{caller}");
    }
    let (status, problem, _) = send(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        json!({"kind": "france_travail", "name": "x", "config": {"client_id": CLIENT_ID}}),
        None,
    )
    .await;
    assert_eq!(status, 422, "the secret is required: {problem}");
    let (status, created, _) = send(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        body.clone(),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["has_secrets"], true);
    assert!(!created.to_string().contains(SECRET), "never returned");
    let (status, _, _) = send(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        body.clone(),
        None,
    )
    .await;
    assert_eq!(status, 409, "one name per deployment");
    let instance = created["id"].as_str().unwrap().to_owned();
    let (status, _, _) = send(
        &app,
        Method::GET,
        world.token("manager_b"),
        &format!("/v1/connectors/{instance}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 404, "another deployment's manager");

    // The first run identifies John and writes what France Travail says.
    let first = run_now(&app, manager, &instance).await;
    let (_, run, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}/runs/{first}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert!(run["counts"]["updated"].as_u64().unwrap() >= 1, "{run}");
    let (_, items, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}/runs/{first}/items?limit=200"),
        Value::Null,
        None,
    )
    .await;
    let johns: Vec<&Value> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["beneficiary_id"] == john.to_string())
        .collect();
    assert_eq!(johns.len(), 1, "{items}");
    assert_eq!(johns[0]["outcome"], "updated", "{items}");
    let (_, person, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/beneficiaries/{john}?include=provenance"),
        Value::Null,
        None,
    )
    .await;
    let sources: Vec<&str> = person["provenance"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p["source_system"].as_str().unwrap())
        .collect();
    assert!(sources.contains(&"france_travail"), "{person}");

    // A second run over the same upstream data changes nothing.
    let second = run_now(&app, manager, &instance).await;
    let (_, run, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}/runs/{second}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(run["status"], "succeeded");
    assert_eq!(run["counts"]["updated"], 0, "{run}");
    assert!(run["counts"]["unchanged"].as_u64().unwrap() >= 1, "{run}");
    let (_, history, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}/runs"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(history["items"].as_array().unwrap().len(), 2);
    assert_eq!(history["items"][0]["id"], second.as_str(), "newest first");
    let (_, shown, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}"),
        Value::Null,
        None,
    )
    .await;
    assert!(!shown["last_success_at"].is_null());
    assert_eq!(shown["stale"], false);

    // A professional's refresh before an appointment: the same lookup, for one person, now.
    let notebook = {
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            id: Uuid,
        }
        let mut conn = app.database.connect();
        tokio::task::block_in_place(|| {
            diesel::sql_query(format!(
                "SELECT id FROM notebook WHERE beneficiary_id = '{john}'"
            ))
            .get_result::<Id>(&mut conn)
            .unwrap()
            .id
        })
    };
    let (status, refreshed, _) = send(
        &app,
        Method::POST,
        manager,
        &format!("/v1/notebooks/{notebook}/refresh"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["status"], "unchanged", "{refreshed}");
    let (status, _, _) = send(
        &app,
        Method::POST,
        world.token("manager_b"),
        &format!("/v1/notebooks/{notebook}/refresh"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 404, "another deployment");
    let (status, problem, _) = send(
        &app,
        Method::POST,
        manager,
        &format!("/v1/notebooks/{}/refresh", world.notebook),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 200, "{problem}");
    assert_eq!(
        problem["status"], "not_found",
        "France Travail does not know Sophie's NIR"
    );

    // The secret is sealed in the database and never logged.
    let sealed = {
        #[derive(QueryableByName)]
        struct Sealed {
            #[diesel(sql_type = diesel::sql_types::Bytea)]
            secrets: Vec<u8>,
        }
        let mut conn = app.database.connect();
        tokio::task::block_in_place(|| {
            diesel::sql_query(format!(
                "SELECT secrets FROM connector_instance WHERE id = '{instance}'"
            ))
            .get_result::<Sealed>(&mut conn)
            .unwrap()
            .secrets
        })
    };
    assert!(!sealed.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
    assert!(!captured_logs().contains(SECRET));
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("cdb_connector_runs_total"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_are_one_at_a_time_follow_the_schedule_and_fail_with_a_reason() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let (status, created, _) = send(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        json!({
            "kind": "france_travail", "name": "FT unreachable",
            "config": {"client_id": CLIENT_ID, "auth_base_url": "http://127.0.0.1:9", "api_base_url": "http://127.0.0.1:9"},
            "secrets": {"client_secret": SECRET}, "schedule": "not a cron"
        }),
        None,
    )
    .await;
    assert_eq!(status, 422, "an unreadable schedule: {created}");
    let (status, created, _) = send(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        json!({
            "kind": "france_travail", "name": "FT unreachable",
            "config": {"client_id": CLIENT_ID, "auth_base_url": "http://127.0.0.1:9", "api_base_url": "http://127.0.0.1:9"},
            "secrets": {"client_secret": SECRET}, "schedule": "* * * * * *"
        }),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let instance = created["id"].as_str().unwrap().to_owned();
    let pool = app.database.pool();
    // The first second of the schedule after the creation.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let due = crate::support::due_runs(&pool);
    assert_eq!(
        due.len(),
        1,
        "the schedule queued a run and hands it to the queue"
    );
    let (status, problem, _) = send(
        &app,
        Method::POST,
        manager,
        &format!("/v1/connectors/{instance}/runs"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 409, "one run at a time: {problem}");
    assert_eq!(problem["run_id"], due[0].to_string());
    let again = crate::support::due_runs(&pool);
    assert!(again.is_empty(), "handed over once");
    crate::support::execute_run(&pool, due[0]).await;
    let (_, run, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}/runs/{}", due[0]),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(run["trigger"], "schedule");
    // The sandbox's Sophie has a NIR: France Travail cannot be reached, so her item is an error
    // or the run fails with the reason; either way it is recorded, and nothing is left running.
    assert!(
        run["status"] == "succeeded" || run["status"] == "failed",
        "{run}"
    );
    assert!(run["finished_at"].is_string());

    // Disabled, it does not run.
    let (status, _, _) = send(
        &app,
        Method::PATCH,
        manager,
        &format!("/v1/connectors/{instance}"),
        json!({"enabled": false, "schedule": null}),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = send(
        &app,
        Method::POST,
        manager,
        &format!("/v1/connectors/{instance}/runs"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 409);
    let (status, _, _) = send(
        &app,
        Method::DELETE,
        manager,
        &format!("/v1/connectors/{instance}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 404);
}

fn flux() -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/caf-msa/RSABEM.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    instance: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let response = app
        .client
        .post(format!(
            "{}/v1/connectors/{instance}/files?name=RSABEM.xml",
            app.address
        ))
        .bearer_auth(token)
        .header("Content-Type", "application/xml")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caf_msa_flux_is_applied_once_reported_and_its_unknown_people_listed() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    // Sophie Tifour of the sample flux is known to the deployment; the others are not.
    let sophie = Uuid::new_v4();
    exec(
        &app,
        &format!(
            "INSERT INTO beneficiary (id, deployment_id, firstname, lastname, date_of_birth, nir) VALUES \
             ('{sophie}', '{a}', 'Sophie', 'Tifour', '1982-02-01', '2820251108030'); \
             INSERT INTO notebook (deployment_id, beneficiary_id) VALUES ('{a}', '{sophie}')",
            a = world.deployment_a
        ),
    );
    let (status, created, _) = send(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        json!({"kind": "caf_msa", "name": "CAF 93"}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let instance = created["id"].as_str().unwrap().to_owned();

    let (status, problem) = upload(
        &app,
        manager,
        &instance,
        b"<html>not a flux</html>".to_vec(),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem["file_id"].is_string(), "kept, rejected: {problem}");

    let (status, file) = upload(&app, manager, &instance, flux()).await;
    assert_eq!(status, 202, "{file}");
    assert_eq!(file["status"], "received");
    let file_id = file["id"].as_str().unwrap().to_owned();
    let (status, again) = upload(&app, manager, &instance, flux()).await;
    assert_eq!(status, 200, "the same file again is the same file: {again}");
    assert_eq!(again["id"], file_id.as_str());

    let pool = app.database.pool();
    let runs = crate::support::due_runs(&pool);
    assert_eq!(runs.len(), 1, "the upload queued a run");
    crate::support::execute_run(&pool, runs[0]).await;

    let (_, applied, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}/files/{file_id}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(applied["status"], "applied", "{applied}");
    let report = &applied["report"];
    assert_eq!(report["households"], 2, "{report}");
    assert_eq!(report["persons"], 3, "{report}");
    assert_eq!(report["matched"], 1, "{report}");
    assert_eq!(report["updated"], 1, "{report}");
    // The sample's first household gives two people the same role (CJT): Noël Keller then
    // matches Sophie by organisation + matricule + role but not by NIR — kept for a manager,
    // never merged. Eta Bullock is unknown and listed.
    assert_eq!(report["possible_matches"], 1, "{report}");
    assert_eq!(report["unknown"], 1, "{report}");
    assert_eq!(report["unknown_people"].as_array().unwrap().len(), 1);
    assert!(
        report["warnings"][0].as_str().unwrap().contains("trailer"),
        "{report}"
    );
    assert_eq!(
        report["created"], 0,
        "unknown people are listed, not created"
    );

    // The rights the flux gives are Sophie's now, from the CAF, dated by the flux.
    let (_, person, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/beneficiaries/{sophie}?include=provenance"),
        Value::Null,
        None,
    )
    .await;
    assert!(person["rights"]["rsa"].is_string(), "{person}");
    assert_eq!(person["provenance"]["right_rsa"]["source_system"], "cafmsa");
    let mail = {
        #[derive(QueryableByName)]
        struct Subject {
            #[diesel(sql_type = diesel::sql_types::Text)]
            subject: String,
        }
        let mut conn = app.database.connect();
        tokio::task::block_in_place(|| {
            diesel::sql_query(
                "SELECT subject FROM email_outbox WHERE recipient = 'manager.a@example.org'",
            )
            .load::<Subject>(&mut conn)
            .unwrap()
        })
    };
    assert!(
        mail.iter().any(|m| m
            .subject
            .starts_with("Récapitulatif suite à l'import du fichier CAF/MSA du ")),
        "the managers get the report"
    );

    // Nothing left to apply: no new run; the history has the run, record by record.
    let runs = crate::support::due_runs(&pool);
    assert!(runs.is_empty());
    let (_, files, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}/files"),
        Value::Null,
        None,
    )
    .await;
    let statuses: Vec<&str> = files["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 2);
    assert!(statuses.contains(&"rejected") && statuses.contains(&"applied"));
    let (status, problem, _) = send(&app, Method::POST, manager, "/v1/connectors", json!({"kind": "france_travail", "name": "FT", "config": {"client_id": "x"}, "secrets": {"client_secret": "y"}}), None).await;
    assert_eq!(status, 201, "{problem}");
    let (status, _) = upload(&app, manager, problem["id"].as_str().unwrap(), flux()).await;
    assert_eq!(status, 422, "a CAF flux is not a France Travail extract");
}

fn extract(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/france-travail/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn france_travail_extracts_apply_only_new_or_changed_rows() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let (status, created, _) = send(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        json!({"kind": "france_travail", "name": "FT 08", "config": {"client_id": CLIENT_ID},
               "secrets": {"client_secret": SECRET}}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let instance = created["id"].as_str().unwrap().to_owned();
    let pool = app.database.pool();
    let mut reports = Vec::new();
    for name in ["principal.csv", "principal_next_week.csv"] {
        let (status, file) = upload(&app, manager, &instance, extract(name)).await;
        assert_eq!(status, 202, "{file}");
        let runs = crate::support::due_runs(&pool);
        assert_eq!(runs.len(), 1);
        crate::support::execute_run(&pool, runs[0]).await;
        let (_, run, _) = send(
            &app,
            Method::GET,
            manager,
            &format!("/v1/connectors/{instance}/runs/{}", runs[0]),
            Value::Null,
            None,
        )
        .await;
        assert_eq!(
            run["status"], "succeeded",
            "a file run does not call the APIs: {run}"
        );
        let (_, applied, _) = send(
            &app,
            Method::GET,
            manager,
            &format!(
                "/v1/connectors/{instance}/files/{}",
                file["id"].as_str().unwrap()
            ),
            Value::Null,
            None,
        )
        .await;
        assert_eq!(applied["status"], "applied", "{applied}");
        reports.push(applied["report"].clone());
    }
    assert_eq!(reports[0]["rows"], 4, "{}", reports[0]);
    assert_eq!(reports[0]["applied"], 4, "{}", reports[0]);
    assert_eq!(
        reports[1]["applied"], 2,
        "only the changed and the new row: {}",
        reports[1]
    );
    assert_eq!(reports[1]["already_seen"], 3, "{}", reports[1]);
    // Each applied row is kept with the person it matched, versioned by its key.
    let kept = {
        #[derive(QueryableByName)]
        struct Kept {
            #[diesel(sql_type = diesel::sql_types::Text)]
            versions: String,
        }
        let mut conn = app.database.connect();
        tokio::task::block_in_place(|| {
            diesel::sql_query(
                "SELECT coalesce(string_agg(version::text, ',' ORDER BY version), '') AS versions \
                 FROM external_data WHERE source = 'pe' AND beneficiary_id IS NOT NULL \
                 AND data->>'identifiant_unique_de' IS NOT NULL",
            )
            .get_result::<Kept>(&mut conn)
            .unwrap()
            .versions
        })
    };
    assert_eq!(
        kept, "1,1,1,1,1,2",
        "four rows, a new one, and the changed one's version 2"
    );
    let (status, problem) = upload(&app, manager, &instance, b"not;an;extract".to_vec()).await;
    assert_eq!(status, 422, "{problem}");

    // The actions extract: each action joins the plan of the person its principal row matched,
    // under the focus of its theme; a label without a theme is reported.
    let actions = apply_upload(&app, manager, &instance, extract("actions.csv")).await;
    assert_eq!(actions["status"], "applied", "{actions}");
    let report = &actions["report"];
    assert_eq!(report["rows"], 5, "{report}");
    assert_eq!(report["updated"], 3, "three actions added: {report}");
    assert_eq!(
        report["rejected"], 2,
        "labels without a theme in the categorisation: {report}"
    );
    assert_eq!(plan_actions(&app), 3);
    // Next week: a changed row of a known action (its training label) and a new action.
    let text = String::from_utf8(extract("actions.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[1] = lines[1].replacen(";NULL;08105", ";ACCELER'EMPLOI 2;08105", 1);
    assert!(lines[1].contains("EMPLOI 2"));
    lines.push("e1881749-1334-47b9-8a34-74922528d4ea;P05;ACCELER'EMPLOI;NULL;2024-06-01 00:00:00.0;NULL;NULL;NULL;NULL;NULL;08105".into());
    let next = apply_upload(
        &app,
        manager,
        &instance,
        (lines.join("\n") + "\n").into_bytes(),
    )
    .await;
    let report = &next["report"];
    assert_eq!(report["already_seen"], 4, "{report}");
    assert_eq!(
        report["unchanged"], 1,
        "the changed row is the same action: {report}"
    );
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(plan_actions(&app), 4);
}

/// How many actions the plans hold.
fn plan_actions(app: &TestApp) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.database.connect();
    tokio::task::block_in_place(|| {
        diesel::sql_query("SELECT count(*) AS n FROM notebook_action")
            .get_result::<Count>(&mut conn)
            .unwrap()
            .n
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbox_directory_is_taken_once_its_files_are_complete() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let inbox = crate::support::inbox_of(world.deployment_a);
    let (status, problem, _) = send(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        json!({"kind": "caf_msa", "name": "CAF inbox", "config": {"inbox_dir": "relative/dir"}}),
        None,
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    let (status, created, _) = send(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        json!({"kind": "caf_msa", "name": "CAF inbox", "config": {"inbox_dir": inbox.path()}}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let instance = created["id"].as_str().unwrap().to_owned();
    let dropped = inbox.path().join("RSABEM_20261101.xml");
    std::fs::write(&dropped, flux()).unwrap();
    let pool = app.database.pool();
    // Just written: it may still be growing, so it waits.
    let runs = crate::support::due_runs(&pool);
    assert!(runs.is_empty());
    assert!(dropped.exists());
    let settled = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&dropped)
        .unwrap()
        .set_modified(settled)
        .unwrap();
    let runs = crate::support::due_runs(&pool);
    assert_eq!(runs.len(), 1, "taken and a run queued");
    assert!(!dropped.exists(), "moved aside once taken");
    assert_eq!(
        std::fs::read_dir(inbox.path().join(".cdb-received"))
            .unwrap()
            .count(),
        1
    );
    crate::support::execute_run(&pool, runs[0]).await;
    let (_, files, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}/files"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(files["items"][0]["status"], "applied", "{files}");
    assert_eq!(files["items"][0]["file_name"], "RSABEM_20261101.xml");
}

fn signed(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    ring::hmac::sign(&key, body)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn push_event(
    app: &TestApp,
    instance: &str,
    body: &Value,
    signature: Option<String>,
) -> (u16, Value) {
    let raw = serde_json::to_vec(body).unwrap();
    let mut request = app
        .client
        .post(format!("{}/v1/connectors/{instance}/events", app.address))
        .header("Content-Type", "application/json")
        .body(raw);
    if let Some(signature) = signature {
        request = request.header("X-RDVI-SIGNATURE", signature);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_events_of_a_departmental_system_go_through_the_pipeline_in_order() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let secret = "rdvi-webhook-secret";
    let (status, created, _) = send(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        json!({"kind": "departement", "name": "rdv-insertion", "secrets": {"webhook_secret": secret}}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let instance = created["id"].as_str().unwrap().to_owned();
    let event = |timestamp: &str, email: &str| {
        json!({
            "data": {"id": 4242, "first_name": "Amina", "last_name": "Benali", "birth_date": "1990-05-17",
                     "email": email, "phone_number": "0612345678", "affiliation_number": "7654321",
                     "role": "demandeur", "department_internal_id": "IODAS-77"},
            "meta": {"model": "User", "event": "updated", "timestamp": timestamp}
        })
    };
    let first = event("2026-11-20 10:00:00 +0100", "amina@example.org");
    let raw = serde_json::to_vec(&first).unwrap();
    let (status, _) = push_event(&app, &instance, &first, None).await;
    assert_eq!(status, 401, "unsigned");
    let (status, _) = push_event(&app, &instance, &first, Some(signed("wrong", &raw))).await;
    assert_eq!(status, 401, "signed with another secret");
    let (status, outcome) = push_event(&app, &instance, &first, Some(signed(secret, &raw))).await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome, json!({"status": "applied", "result": "created"}));

    let newer = event("2026-11-21 10:00:00 +0100", "amina.b@example.org");
    let raw = serde_json::to_vec(&newer).unwrap();
    let (_, outcome) = push_event(&app, &instance, &newer, Some(signed(secret, &raw))).await;
    assert_eq!(outcome["result"], "updated", "{outcome}");
    // The first event arrives again, late: it is older than the last one seen.
    let raw = serde_json::to_vec(&first).unwrap();
    let (_, outcome) = push_event(&app, &instance, &first, Some(signed(secret, &raw))).await;
    assert_eq!(outcome["status"], "dropped_older", "{outcome}");
    let rdv = json!({"data": {"id": 1}, "meta": {"model": "Rdv", "event": "created", "timestamp": "2026-11-21 11:00:00 +0100"}});
    let raw = serde_json::to_vec(&rdv).unwrap();
    let (_, outcome) = push_event(&app, &instance, &rdv, Some(signed(secret, &raw))).await;
    assert_eq!(outcome["status"], "ignored");

    let (_, people, _) = send(
        &app,
        Method::GET,
        manager,
        "/v1/beneficiaries?limit=200",
        Value::Null,
        None,
    )
    .await;
    let amina = people["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["lastname"] == "Benali")
        .unwrap()
        .clone();
    assert_eq!(
        amina["email"], "amina.b@example.org",
        "the newest event wins"
    );
    assert_eq!(amina["caf_number"], "7654321");
    assert_eq!(amina["external_id"], "IODAS-77");
    let (status, _) = push_event(
        &app,
        &Uuid::new_v4().to_string(),
        &first,
        Some(signed(secret, &raw)),
    )
    .await;
    assert_eq!(status, 404);
}

/// A file of the France Travail crate's S/MIME fixtures (test keys and encrypted extracts).
fn smime(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/connectors/france-travail/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Creates a France Travail instance with these secrets; answers its id.
async fn france_travail_instance(app: &TestApp, token: &str, name: &str, secrets: Value) -> String {
    let (status, created, _) = send(
        app,
        Method::POST,
        token,
        "/v1/connectors",
        json!({"kind": "france_travail", "name": name, "config": {"client_id": CLIENT_ID},
               "secrets": secrets}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert!(!created.to_string().contains("PRIVATE KEY"), "{created}");
    created["id"].as_str().unwrap().to_owned()
}

/// Uploads a file to the instance, runs what it queued, and answers the file as shown.
async fn apply_upload(app: &TestApp, token: &str, instance: &str, body: Vec<u8>) -> Value {
    let (status, file) = upload(app, token, instance, body).await;
    assert_eq!(status, 202, "{file}");
    let pool = app.database.pool();
    let runs = crate::support::due_runs(&pool);
    assert_eq!(runs.len(), 1);
    crate::support::execute_run(&pool, runs[0]).await;
    let (_, shown, _) = send(
        app,
        Method::GET,
        token,
        &format!(
            "/v1/connectors/{instance}/files/{}",
            file["id"].as_str().unwrap()
        ),
        Value::Null,
        None,
    )
    .await;
    shown
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_extracts_are_opened_with_the_instance_key_or_rejected_with_the_reason() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let pem = String::from_utf8(smime("test_key_pkcs8.pem")).unwrap();
    let (status, problem, _) = send(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        json!({"kind": "france_travail", "name": "FT", "config": {"client_id": CLIENT_ID},
               "secrets": {"client_secret": SECRET, "extract_private_key": "not a key"}}),
        None,
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem.to_string().contains("extract_private_key"),
        "{problem}"
    );

    let keyed = france_travail_instance(
        &app,
        manager,
        "FT chiffré",
        json!({"client_secret": SECRET, "extract_private_key": pem}),
    )
    .await;
    let applied = apply_upload(&app, manager, &keyed, smime("principal.aes256.p7m")).await;
    assert_eq!(applied["status"], "applied", "{applied}");
    assert_eq!(applied["report"]["rows"], 4, "{applied}");
    assert_eq!(applied["report"]["applied"], 4, "{applied}");
    let actions = apply_upload(&app, manager, &keyed, smime("actions.aes256.p7m")).await;
    assert_eq!(actions["status"], "applied", "{actions}");
    assert_eq!(actions["report"]["updated"], 3, "{actions}");

    let keyless = france_travail_instance(
        &app,
        manager,
        "FT sans clé",
        json!({"client_secret": SECRET}),
    )
    .await;
    let rejected = apply_upload(&app, manager, &keyless, smime("principal.aes128.p7m")).await;
    assert_eq!(rejected["status"], "rejected", "{rejected}");
    let reason = rejected["error"].as_str().unwrap();
    assert!(reason.contains("aucune clé privée"), "{reason}");
    assert_eq!(rejected["report"]["rejected"], reason);

    let other = france_travail_instance(
        &app,
        manager,
        "FT autre clé",
        json!({"client_secret": SECRET,
               "extract_private_key": String::from_utf8(smime("other_key.pem")).unwrap()}),
    )
    .await;
    let rejected = apply_upload(&app, manager, &other, smime("principal.aes256.p7m")).await;
    assert_eq!(rejected["status"], "rejected", "{rejected}");
    assert!(
        rejected["error"]
            .as_str()
            .unwrap()
            .contains("mauvaise clé ou fichier altéré"),
        "one answer for a wrong key and an altered file (no oracle): {rejected}"
    );
    // The key is sealed and never logged.
    let key_line = pem.lines().nth(1).unwrap();
    assert!(!captured_logs().contains(key_line));
}

/// John (known to the reference France Travail) in deployment A with a notebook, and a France
/// Travail instance named `name` pointed at `ft`; answers John and the instance.
async fn john_and_instance(
    app: &TestApp,
    world: &crate::fixture::World,
    ft: &MockServer,
    name: &str,
) -> (Uuid, String) {
    let john = Uuid::new_v4();
    exec(
        app,
        &format!(
            "INSERT INTO beneficiary (id, deployment_id, firstname, lastname, date_of_birth, nir) VALUES \
             ('{john}', '{a}', 'John', 'Doe', '1998-07-11', '1041174010081'); \
             INSERT INTO notebook (deployment_id, beneficiary_id) VALUES ('{a}', '{john}')",
            a = world.deployment_a
        ),
    );
    let (status, created, _) = send(
        app,
        Method::POST,
        world.token("manager_a"),
        "/v1/connectors",
        json!({"kind": "france_travail", "name": name,
               "config": {"client_id": CLIENT_ID, "auth_base_url": ft.uri(), "api_base_url": ft.uri(), "calls_per_second": 20},
               "secrets": {"client_secret": SECRET}}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    (john, created["id"].as_str().unwrap().to_owned())
}

/// `(source, source_record_id, version)` of the raw payloads kept about a person.
fn raw_versions(app: &TestApp, person: Uuid) -> Vec<(String, String, i32)> {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::Text)]
        source: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        source_record_id: String,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        version: i32,
    }
    let mut conn = app.database.connect();
    tokio::task::block_in_place(|| {
        diesel::sql_query(format!(
            "SELECT source, source_record_id, version FROM external_data \
             WHERE beneficiary_id = '{person}' ORDER BY source, source_record_id, version"
        ))
        .load::<Version>(&mut conn)
        .unwrap()
    })
    .into_iter()
    .map(|v| (v.source, v.source_record_id, v.version))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_answers_are_kept_once_per_content_and_versioned_when_they_change() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let ft = france_travail().await;
    let (john, instance) = john_and_instance(&app, &world, &ft, "FT raw").await;
    let manager = world.token("manager_a");

    run_now(&app, manager, &instance).await;
    let first = raw_versions(&app, john);
    assert_eq!(
        first.len(),
        2,
        "administrative and orientation answers: {first:?}"
    );
    assert!(
        first
            .iter()
            .all(|(source, _, version)| source == "peio" && *version == 1)
    );
    assert!(
        first
            .iter()
            .any(|(_, id, _)| id.ends_with("/informations-administratives")),
        "{first:?}"
    );
    run_now(&app, manager, &instance).await;
    assert_eq!(
        raw_versions(&app, john),
        first,
        "the same answers write nothing"
    );

    // France Travail now has another address for John: its answer is a new version.
    let mut changed = reference("GET /partenaire/informations-administratives", "200");
    changed["adresses"][0]["numeroTypeLibelleVoie"] = json!("3 Rue Nouvelle");
    Mock::given(method("GET"))
        .and(path("/partenaire/informations-administratives/v1/usager"))
        .respond_with(ResponseTemplate::new(200).set_body_json(changed))
        .with_priority(1)
        .mount(&ft)
        .await;
    run_now(&app, manager, &instance).await;
    let third = raw_versions(&app, john);
    assert_eq!(third.len(), 3, "{third:?}");
    let administrative: Vec<i32> = third
        .iter()
        .filter(|(_, id, _)| id.ends_with("/informations-administratives"))
        .map(|(_, _, version)| *version)
        .collect();
    assert_eq!(administrative, [1, 2]);

    // The person's export shows them (the purge deletes them: see the privacy tests).
    let document = {
        let mut conn = app.database.connect();
        tokio::task::block_in_place(|| cdb_hub::store::privacy::export(&mut conn, john).unwrap())
    };
    assert_eq!(document["external_data"].as_array().unwrap().len(), 3);
}

/// The instants at which the stormy France Travail answered, and with which status.
type Answered = std::sync::Arc<std::sync::Mutex<Vec<(std::time::Instant, u16)>>>;

/// Partner APIs that answer `storm` (429 with `Retry-After: 1`, or 503) from their first
/// request for `window`, then the reference answers (France Travail knows John only); each
/// request is logged with its instant and status.
struct Stormy {
    storm: u16,
    window: std::time::Duration,
    started: std::sync::Mutex<Option<std::time::Instant>>,
    answered: Answered,
}

impl wiremock::Respond for Stormy {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let now = std::time::Instant::now();
        let started = *self.started.lock().unwrap().get_or_insert(now);
        let stormy = now.duration_since(started) < self.window;
        let (status, answer) = if stormy {
            let answer = ResponseTemplate::new(self.storm);
            let answer = match self.storm {
                429 => answer.insert_header("Retry-After", "1"),
                _ => answer,
            };
            (self.storm, answer)
        } else {
            (200, reference_answer(request))
        };
        self.answered.lock().unwrap().push((now, status));
        answer
    }
}

/// The reference answer to a partner API request.
fn reference_answer(request: &wiremock::Request) -> ResponseTemplate {
    let path = request.url.path();
    let json = |body: Value| ResponseTemplate::new(200).set_body_json(body);
    if path.ends_with("/par-datenaissance-et-nir") {
        let search = "POST /partenaire/rechercher-usager/v2/usagers/par-datenaissance-et-nir";
        let john = String::from_utf8_lossy(&request.body).contains("1041174010081");
        json(reference(
            search,
            if john {
                "200_certified"
            } else {
                "200_not_found"
            },
        ))
    } else if path.ends_with("/informations-administratives/v1/usager") {
        json(reference(
            "GET /partenaire/informations-administratives",
            "200",
        ))
    } else if path.ends_with("/lectureOrientation") {
        json(reference("GET /partenaire/orientationusager", "200"))
    } else {
        ResponseTemplate::new(404)
    }
}

/// Runs a France Travail instance through a storm; answers the run, its items and what the
/// partner APIs answered when.
async fn run_through_storm(
    storm: u16,
    window_ms: u64,
) -> (Value, Value, Vec<(std::time::Instant, u16)>) {
    let app = spawn_app().await;
    let world = world(&app).await;
    let ft = france_travail().await;
    let answered = Answered::default();
    Mock::given(wiremock::matchers::path_regex("^/partenaire/"))
        .respond_with(Stormy {
            storm,
            window: std::time::Duration::from_millis(window_ms),
            started: std::sync::Mutex::new(None),
            answered: answered.clone(),
        })
        .with_priority(1)
        .mount(&ft)
        .await;
    let (_, instance) = john_and_instance(&app, &world, &ft, "FT storm").await;
    let manager = world.token("manager_a");
    let id = run_now(&app, manager, &instance).await;
    let (_, run, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}/runs/{id}"),
        Value::Null,
        None,
    )
    .await;
    let (_, items, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}/runs/{id}/items?limit=200"),
        Value::Null,
        None,
    )
    .await;
    let answered = answered.lock().unwrap().clone();
    (run, items, answered)
}

/// The pauses between each `status` answer and the next request.
fn pauses_after(answered: &[(std::time::Instant, u16)], status: u16) -> Vec<std::time::Duration> {
    answered
        .windows(2)
        .filter(|pair| pair[0].1 == status)
        .map(|pair| pair[1].0.duration_since(pair[0].0))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_under_429s_slows_down_sends_nothing_before_retry_after_and_completes() {
    let (run, items, answered) = run_through_storm(429, 3000).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["counts"]["errors"], 0, "{run}");
    assert!(
        run["counts"]["updated"].as_u64().unwrap() >= 1,
        "John applied: {run}"
    );
    assert!(
        items["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["outcome"] != "error"),
        "{items}"
    );
    let pauses = pauses_after(&answered, 429);
    assert!(pauses.len() >= 2, "the storm was answered: {answered:?}");
    for pause in &pauses {
        assert!(
            *pause >= std::time::Duration::from_secs(1),
            "a request {pause:?} after a 429 with Retry-After: 1"
        );
    }
    assert!(answered.iter().any(|(_, status)| *status == 200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_through_a_5xx_storm_retries_with_backoff_and_completes() {
    let (run, items, answered) = run_through_storm(503, 1200).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["counts"]["errors"], 0, "{run} {items}");
    assert!(
        run["counts"]["updated"].as_u64().unwrap() >= 1,
        "John applied: {run}"
    );
    let pauses = pauses_after(&answered, 503);
    assert!(pauses.len() >= 2, "the storm was answered: {answered:?}");
    for pause in &pauses {
        assert!(
            *pause >= std::time::Duration::from_millis(500),
            "a retry {pause:?} after a 503, within the backoff"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_instance_is_told_to_the_managers_once_and_shown_by_the_gauge() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let (status, created, _) = send(
        &app,
        Method::POST,
        world.token("manager_a"),
        "/v1/connectors",
        json!({"kind": "caf_msa", "name": "CAF de la Drôme", "stale_after_hours": 48}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let instance = created["id"].as_str().unwrap().to_owned();
    // Created three days ago, never succeeded.
    exec(
        &app,
        &format!(
            "UPDATE connector_instance SET created_at = now() - interval '72 hours' WHERE id = '{instance}'"
        ),
    );
    let check = |app: &TestApp, at: chrono::DateTime<chrono::Utc>| {
        let mut conn = app.database.connect();
        tokio::task::block_in_place(|| {
            cdb_hub::sources::staleness::alert_managers(&mut conn, at).unwrap()
        })
    };
    let alerts = |app: &TestApp| -> Vec<String> {
        #[derive(QueryableByName)]
        struct Mail {
            #[diesel(sql_type = diesel::sql_types::Text)]
            recipient: String,
        }
        let mut conn = app.database.connect();
        tokio::task::block_in_place(|| {
            diesel::sql_query("SELECT recipient FROM email_outbox WHERE subject LIKE 'Connecteur « CAF de la Drôme »%' ORDER BY created_at")
                .load::<Mail>(&mut conn)
                .unwrap()
                .into_iter()
                .map(|mail| mail.recipient)
                .collect()
        })
    };
    let now = chrono::Utc::now();
    assert_eq!(check(&app, now), 1);
    assert_eq!(
        alerts(&app),
        ["manager.a@example.org"],
        "deployment A's manager only"
    );
    assert_eq!(
        check(&app, now + chrono::Duration::hours(1)),
        0,
        "told once"
    );
    assert_eq!(alerts(&app).len(), 1);
    // The gauge says it too.
    let pool = app.database.pool();
    tokio::task::block_in_place(|| cdb_hub::jobs::refresh_job_metrics(&pool).unwrap());
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("cdb_connector_stale")
                && line.contains(&instance)
                && line.ends_with(" 1")),
        "{metrics}"
    );
    // It succeeds again, then goes stale again: told again.
    exec(
        &app,
        &format!("UPDATE connector_instance SET last_success_at = now() WHERE id = '{instance}'"),
    );
    assert_eq!(check(&app, now + chrono::Duration::hours(2)), 0);
    assert_eq!(check(&app, now + chrono::Duration::hours(60)), 1);
    assert_eq!(alerts(&app).len(), 2);
}
