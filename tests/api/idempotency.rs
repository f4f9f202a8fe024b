//! `Idempotency-Key` on every POST of the contract that creates or acts: each is sent once for
//! real, then again with the same key (a multipart form with a new boundary, as a client
//! drawing its own would). The replay answers the first answer, marked `Idempotent-Replayed`,
//! and writes nothing: every table of the database (the access journal aside) is unchanged.
//! The refusals of a key (reused, in progress, abandoned by a stopped process) and its expiry
//! are tested on one operation; a POST of the contract missing here fails the test.

use std::collections::BTreeSet;

use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixture::{World, client_token, world};
use crate::support::{TestApp, spawn_app_with_webhooks};

/// The POSTs replayed below, by path of the contract.
const REPLAYED: &[&str] = &[
    "/v1/me/tokens",
    "/v1/clients",
    "/v1/clients/{id}/rotate",
    "/v1/clients/{id}/revoke",
    "/v1/structures",
    "/v1/professionals",
    "/v1/notebooks",
    "/v1/notebooks/{id}/focuses",
    "/v1/notebooks/{id}/focuses/{focus_id}/targets",
    "/v1/notebooks/{id}/targets/{target_id}/actions",
    "/v1/notebooks/{id}/situations",
    "/v1/notebooks/{id}/professional-projects",
    "/v1/notebooks/{id}/appointments",
    "/v1/notebooks/{id}/members",
    "/v1/notebooks/{id}/orientation-requests",
    "/v1/orientation-requests/{id}/deny",
    "/v1/notebooks/{id}/orientation",
    "/v1/beneficiaries/batch",
    "/v1/sync-sessions",
    "/v1/sync-sessions/{id}/complete",
    "/v1/sync-sessions/{id}/abandon",
    "/v1/connectors",
    "/v1/connectors/{id}/runs",
    "/v1/connectors/{id}/files",
    "/v1/notebooks/{id}/refresh",
    "/v1/matches/{id}/resolve",
    "/v1/beneficiaries/{id}/retention-postponements",
    "/v1/imports",
    "/v1/imports/{id}/commit",
    "/v1/imports/{id}/corrections",
    "/v1/webhooks",
    "/v1/webhooks/{id}/ping",
    "/v1/webhooks/{id}/replay",
];

/// POSTs that take no key, and why.
const WITHOUT_KEY: &[(&str, &str)] = &[
    (
        "/oauth/token",
        "OAuth2's token endpoint (RFC 6749): a form, answered with a fresh token",
    ),
    (
        "/v1/auth/login",
        "no caller yet: asking twice sends the link twice",
    ),
    (
        "/v1/auth/session",
        "no caller yet: a login key opens one session once",
    ),
    (
        "/v1/connectors/{id}/events",
        "signed by the département's system; an event received again (or older) changes nothing",
    ),
];

#[test]
fn every_post_of_the_contract_takes_a_key_and_is_replayed_here() {
    let document = serde_json::to_value(cdb_hub::app::openapi()).unwrap();
    let mut missing = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        let Some(post) = item.get("post") else {
            continue;
        };
        let declared = post["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header");
        if WITHOUT_KEY.iter().any(|(p, _)| p == path) {
            assert!(!declared, "{path} declares a key it does not take");
            continue;
        }
        assert!(declared, "{path} does not declare Idempotency-Key");
        assert!(
            post["responses"]["409"].is_object() && post["responses"]["422"].is_object(),
            "{path}: the refusals of a key"
        );
        if !REPLAYED.contains(&path.as_str()) {
            missing.insert(path.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "POSTs without a replay case: {missing:?}"
    );
}

/// A request body.
#[derive(Clone)]
enum Body {
    Json(Value),
    /// Form fields and a file (a new boundary at each send).
    Form(Vec<(String, String)>, String, Vec<u8>),
    /// Raw bytes of a media type.
    Raw(&'static str, Vec<u8>),
}

/// Everything the database holds, table by table (the access journal records the attempts
/// themselves).
fn digest(app: &TestApp) -> Vec<(String, String)> {
    #[derive(QueryableByName)]
    struct Table {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct Digest {
        #[diesel(sql_type = diesel::sql_types::Text)]
        digest: String,
    }
    let mut conn = app.database.connect();
    tokio::task::block_in_place(|| {
        let tables: Vec<Table> = diesel::sql_query(
            "SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables \
             WHERE table_schema IN ('public', 'apalis') AND table_type = 'BASE TABLE' \
             AND table_name NOT IN ('access_log', '__diesel_schema_migrations') ORDER BY 1",
        )
        .load(&mut conn)
        .unwrap();
        tables
            .into_iter()
            .map(|table| {
                let digest: Digest = diesel::sql_query(format!(
                    "SELECT md5(coalesce(string_agg(to_jsonb(x)::text, ',' ORDER BY to_jsonb(x)::text), '')) AS digest FROM {} x",
                    table.name
                ))
                .get_result(&mut conn)
                .unwrap();
                (table.name, digest.digest)
            })
            .collect()
    })
}

struct Sent {
    status: u16,
    body: Value,
    replayed: bool,
    location: Option<String>,
    etag: Option<String>,
}

/// The headers the contract declares for an answer to a POST on a concrete path.
fn declared(path: &str, status: u16) -> BTreeSet<String> {
    let document = serde_json::to_value(cdb_hub::app::openapi()).unwrap();
    let path = path.split('?').next().unwrap();
    let segments: Vec<&str> = path.split('/').collect();
    let (_, item) = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            item.get("post").is_some()
                && parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t.starts_with('{') || t == s)
        })
        .unwrap_or_else(|| panic!("{path} is not in the contract"));
    item["post"]["responses"][status.to_string()]["headers"]
        .as_object()
        .map(|headers| headers.keys().map(|k| k.to_ascii_lowercase()).collect())
        .unwrap_or_default()
}

async fn send(app: &TestApp, token: &str, path: &str, body: &Body, key: &str) -> Sent {
    let request = app
        .client
        .post(format!("{}{path}", app.address))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .header("X-Purpose", "contrôle des droits");
    let request = match body {
        Body::Json(value) => request.json(value),
        Body::Form(fields, name, bytes) => {
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let (content_type, bytes) = crate::imports::multipart(&fields, name, bytes);
            request.header("Content-Type", content_type).body(bytes)
        }
        Body::Raw(media_type, bytes) => request
            .header("Content-Type", *media_type)
            .body(bytes.clone()),
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (location, etag) = (header("location"), header("etag"));
    let body = response.json().await.unwrap_or(Value::Null);
    Sent {
        status,
        body,
        replayed,
        location,
        etag,
    }
}

/// Sends a POST, then its replay: the replay answers the first answer and writes nothing.
/// Answers the first answer's body.
async fn twice(app: &TestApp, token: &str, path: &str, body: Body) -> Value {
    let key = format!("key-{}", Uuid::new_v4());
    let first = send(app, token, path, &body, &key).await;
    assert!(
        (200..300).contains(&first.status),
        "{path}: {} {}",
        first.status,
        first.body
    );
    assert!(!first.replayed, "{path}: the first answer is no replay");
    // The contract declares the headers the answer carries, and only those.
    let headers = declared(path, first.status);
    assert_eq!(
        (first.location.is_some(), first.etag.is_some()),
        (headers.contains("location"), headers.contains("etag")),
        "{path} {}: Location and ETag as declared ({headers:?})",
        first.status
    );
    assert!(
        headers.contains("x-request-id") && headers.contains("ratelimit"),
        "{path}"
    );
    let before = digest(app);
    let again = send(app, token, path, &body, &key).await;
    assert_eq!(
        (
            again.status,
            &again.body,
            again.replayed,
            &again.location,
            &again.etag
        ),
        (
            first.status,
            &first.body,
            true,
            &first.location,
            &first.etag
        ),
        "{path}: the replay answers the first answer"
    );
    let after = digest(app);
    let changed: Vec<&String> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(b, _)| &b.0)
        .collect();
    assert!(
        changed.is_empty(),
        "{path}: the replay wrote into {changed:?}"
    );
    first.body
}

fn id(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {value}"))
        .to_owned()
}

fn exec(app: &TestApp, sql: &str) {
    use diesel::connection::SimpleConnection;
    let mut conn = app.database.connect();
    tokio::task::block_in_place(|| conn.batch_execute(sql).unwrap());
}

fn one(app: &TestApp, sql: &str) -> String {
    #[derive(QueryableByName)]
    struct Text {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let mut conn = app.database.connect();
    tokio::task::block_in_place(|| {
        diesel::sql_query(sql)
            .get_result::<Text>(&mut conn)
            .unwrap()
            .value
    })
}

async fn partner(app: &TestApp, world: &World, scopes: &str) -> String {
    client_token(app, &app.database.url, world.deployment_a, None, scopes).await
}

const OPEN: cdb_hub::outbound::WebhookSettings = cdb_hub::outbound::WebhookSettings {
    allow_private: true,
    allow_http: true,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_post_answers_its_replay_with_the_first_answer_and_runs_once() {
    let app = spawn_app_with_webhooks(OPEN).await;
    let world = world(&app).await;
    let nb = world.notebook;
    let manager = world.token("manager_a");
    let pro = world.token("professional_member");
    let om = world.token("orientation_manager_a");

    // People's own credentials and partner clients: kept sealed, replayed whole.
    let token = twice(
        &app,
        pro,
        "/v1/me/tokens",
        Body::Json(
            json!({"name": "Logiciel métier", "scopes": ["notebooks:read"], "expires_in_days": 30}),
        ),
    )
    .await;
    assert!(token["token"].is_string(), "{token}");
    let stored = one(
        &app,
        "SELECT coalesce(response_body::text, '') || encode(coalesce(sealed_body, ''), 'escape') AS value \
         FROM idempotency_key WHERE caller LIKE 'account:%' AND status = 201 LIMIT 1",
    );
    assert!(
        !stored.contains(token["token"].as_str().unwrap()),
        "a credential is never kept in clear"
    );
    let client = twice(
        &app,
        manager,
        "/v1/clients",
        Body::Json(json!({"name": "Logiciel du CD", "scopes": ["beneficiaries:read"]})),
    )
    .await;
    let client_id = id(&client);
    twice(
        &app,
        manager,
        &format!("/v1/clients/{client_id}/rotate"),
        Body::Json(Value::Null),
    )
    .await;
    twice(
        &app,
        manager,
        &format!("/v1/clients/{client_id}/revoke"),
        Body::Json(Value::Null),
    )
    .await;

    // The directory.
    let structure = twice(
        &app,
        manager,
        "/v1/structures",
        Body::Json(json!({"name": "Maison de l'emploi"})),
    )
    .await;
    twice(
        &app,
        manager,
        "/v1/professionals",
        Body::Json(json!({"structure_id": id(&structure), "email": "rejoue@example.org", "firstname": "Rémi", "lastname": "Joué"})),
    )
    .await;

    // The notebook and its plan, written by its referent.
    let focus = twice(
        &app,
        pro,
        &format!("/v1/notebooks/{nb}/focuses"),
        Body::Json(json!({"theme": "emploi"})),
    )
    .await;
    let target = twice(
        &app,
        pro,
        &format!("/v1/notebooks/{nb}/focuses/{}/targets", id(&focus)),
        Body::Json(json!({"target": "Accéder à l’emploi"})),
    )
    .await;
    twice(
        &app,
        pro,
        &format!("/v1/notebooks/{nb}/targets/{}/actions", id(&target)),
        Body::Json(json!({"action": "Travailler le CV"})),
    )
    .await;
    let situation = one(&app, "SELECT id::text AS value FROM ref_situation LIMIT 1");
    twice(
        &app,
        pro,
        &format!("/v1/notebooks/{nb}/situations"),
        Body::Json(json!({"situation_id": situation})),
    )
    .await;
    twice(
        &app,
        pro,
        &format!("/v1/notebooks/{nb}/professional-projects"),
        Body::Json(json!({"rome_code": "M1607"})),
    )
    .await;
    twice(
        &app,
        pro,
        &format!("/v1/notebooks/{nb}/appointments"),
        Body::Json(json!({"date": "2026-12-01T09:30:00Z"})),
    )
    .await;
    let outsider = one(
        &app,
        "SELECT a.id::text AS value FROM account a JOIN professional p ON p.id = a.professional_id \
         WHERE p.email = 'outsider@example.org'",
    );
    twice(
        &app,
        pro,
        &format!("/v1/notebooks/{nb}/members"),
        Body::Json(json!({"account_id": outsider})),
    )
    .await;

    // The orientation workflow.
    let (social, a) = (Uuid::new_v4(), world.deployment_a);
    exec(
        &app,
        &format!(
            "INSERT INTO orientation_system (id, deployment_id, name, orientation_type) VALUES ('{social}', '{a}', 'Social', 'social')"
        ),
    );
    let ask = Body::Json(
        json!({"requested_orientation_system_id": social, "reason": "Besoin d'un accompagnement social"}),
    );
    let requests = format!("/v1/notebooks/{nb}/orientation-requests");
    let first = twice(&app, pro, &requests, ask.clone()).await;
    twice(
        &app,
        om,
        &format!("/v1/orientation-requests/{}/deny", id(&first)),
        Body::Json(json!({"reason": "Accompagnement en cours"})),
    )
    .await;
    let second = twice(&app, pro, &requests, ask).await;
    twice(
        &app,
        om,
        &format!("/v1/notebooks/{nb}/orientation"),
        Body::Json(json!({
            "orientation_system_id": social, "structure_id": world.structure_s2,
            "orientation_request_id": id(&second), "referent_account_id": outsider, "reason": "Accord"
        })),
    )
    .await;

    // A partner's records, sync sessions and the possible match it opens.
    let writer = partner(&app, &world, "beneficiaries:read beneficiaries:write").await;
    twice(
        &app,
        &writer,
        "/v1/notebooks",
        Body::Json(json!({"nir": "1880275111111", "firstname": "Léa", "lastname": "Martin", "date_of_birth": "1988-02-02"})),
    )
    .await;
    exec(
        &app,
        &format!(
            "INSERT INTO beneficiary (deployment_id, firstname, lastname, date_of_birth) VALUES \
             ('{a}', 'Nina', 'Double', '1999-09-09'), ('{a}', 'Nina', 'Double', '1999-09-09')"
        ),
    );
    let batch = twice(
        &app,
        &writer,
        "/v1/beneficiaries/batch",
        Body::Json(json!({"items": [
            {"source_id": "N-1", "firstname": "Nina", "lastname": "Double", "date_of_birth": "1999-09-09", "city": "Die"},
            {"source_id": "R-1", "firstname": "Rose", "lastname": "Neuve", "date_of_birth": "1990-01-01"}
        ]})),
    )
    .await;
    assert_eq!(batch["items"][0]["status"], "possible_match", "{batch}");
    let held = batch["items"][0]["possible_match_id"].as_str().unwrap();
    let chosen = one(
        &app,
        &format!("SELECT candidate_ids[1]::text AS value FROM possible_match WHERE id = '{held}'"),
    );
    twice(
        &app,
        manager,
        &format!("/v1/matches/{held}/resolve"),
        Body::Json(json!({"decision": "same_person", "beneficiary_id": chosen})),
    )
    .await;
    // Retention: a person kept past their due date, with a reason.
    let until = (chrono::Utc::now() + chrono::Duration::days(400)).date_naive();
    twice(
        &app,
        manager,
        &format!(
            "/v1/beneficiaries/{}/retention-postponements",
            world.other_beneficiary
        ),
        Body::Json(json!({"until": until, "reason": "Accompagnement en cours"})),
    )
    .await;
    for end in ["complete", "abandon"] {
        let session = twice(&app, &writer, "/v1/sync-sessions", Body::Json(json!({}))).await;
        twice(
            &app,
            &writer,
            &format!("/v1/sync-sessions/{}/{end}", id(&session)),
            Body::Json(Value::Null),
        )
        .await;
    }

    // Connectors: a CAF/MSA flux received, a France Travail run and a notebook's refresh.
    let caf = twice(
        &app,
        manager,
        "/v1/connectors",
        Body::Json(json!({"kind": "caf_msa", "name": "CAF 93"})),
    )
    .await;
    let flux = std::fs::read(format!(
        "{}/fixtures/caf-msa/RSABEM.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    twice(
        &app,
        manager,
        &format!("/v1/connectors/{}/files?name=RSABEM.xml", id(&caf)),
        Body::Raw("application/xml", flux),
    )
    .await;
    let ft = crate::connectors::france_travail().await;
    let france_travail = twice(
        &app,
        manager,
        "/v1/connectors",
        Body::Json(json!({
            "kind": "france_travail", "name": "France Travail 93",
            "config": {"client_id": crate::connectors::CLIENT_ID, "auth_base_url": ft.uri(), "api_base_url": ft.uri()},
            "secrets": {"client_secret": crate::connectors::SECRET},
        })),
    )
    .await;
    twice(
        &app,
        manager,
        &format!("/v1/connectors/{}/runs", id(&france_travail)),
        Body::Json(Value::Null),
    )
    .await;
    twice(
        &app,
        manager,
        &format!("/v1/notebooks/{nb}/refresh"),
        Body::Json(Value::Null),
    )
    .await;

    // A file: previewed with an error, corrected into the same import, committed.
    let original = crate::imports::file(3, &[1], "Valence");
    let form = |mode: &str| {
        Body::Form(
            vec![
                ("kind".into(), "beneficiaries".into()),
                ("mode".into(), mode.into()),
            ],
            "beneficiaires.csv".into(),
            original.clone().into_bytes(),
        )
    };
    twice(&app, manager, "/v1/imports", form("commit")).await;
    let preview = crate::imports::import(&app, manager, "preview", original.as_bytes()).await;
    let import = id(&preview);
    let errors = app
        .client
        .get(format!("{}/v1/imports/{import}/errors.csv", app.address))
        .bearer_auth(manager)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .replace("31/02/1990", "01/02/1990");
    twice(
        &app,
        manager,
        &format!("/v1/imports/{import}/corrections"),
        Body::Form(
            Vec::new(),
            "beneficiaires-erreurs.csv".into(),
            errors.into_bytes(),
        ),
    )
    .await;
    crate::imports::run_job(
        &app,
        import.parse().unwrap(),
        cdb_hub::imports::runner::RunLimit::default(),
    )
    .await;
    twice(
        &app,
        manager,
        &format!("/v1/imports/{import}/commit"),
        Body::Json(Value::Null),
    )
    .await;

    // Webhooks.
    let subscriber = partner(&app, &world, "webhooks:admin beneficiaries:read").await;
    let receiver = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(204))
        .mount(&receiver)
        .await;
    let hook = twice(
        &app,
        &subscriber,
        "/v1/webhooks",
        Body::Json(json!({"url": format!("{}/hook", receiver.uri()), "event_types": ["beneficiary.updated"]})),
    )
    .await;
    assert!(hook["secret"].as_str().unwrap().starts_with("whsec_"));
    twice(
        &app,
        &subscriber,
        &format!("/v1/webhooks/{}/ping", id(&hook)),
        Body::Json(Value::Null),
    )
    .await;
    twice(
        &app,
        &subscriber,
        &format!("/v1/webhooks/{}/replay", id(&hook)),
        Body::Json(json!({"delivery_ids": [Uuid::new_v4()]})),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_refused_for_another_request_while_running_or_abandoned_and_expires() {
    let app = spawn_app_with_webhooks(OPEN).await;
    let world = world(&app).await;
    let pro = world.token("professional_member");
    let path = format!("/v1/notebooks/{}/focuses", world.notebook);
    let body = Body::Json(json!({"theme": "emploi"}));

    // Another body, or another path, under a used key.
    let first = send(&app, pro, &path, &body, "k-1").await;
    assert_eq!(first.status, 201, "{}", first.body);
    let other = send(
        &app,
        pro,
        &path,
        &Body::Json(json!({"theme": "logement"})),
        "k-1",
    )
    .await;
    assert_eq!(other.status, 422);
    assert_eq!(other.body["code"], "idempotency_key_reused");
    // Keys are per caller: another member's same key is theirs.
    exec(
        &app,
        &format!(
            "UPDATE notebook_member SET active = true WHERE notebook_id = '{}'",
            world.notebook
        ),
    );
    let theirs = send(
        &app,
        world.token("professional_former_member"),
        &path,
        &body,
        "k-1",
    )
    .await;
    assert_eq!(
        (theirs.status, theirs.replayed),
        (201, false),
        "{}",
        theirs.body
    );

    // An answer other than a success frees the key: fixed, the same key runs.
    let wrong = format!("/v1/notebooks/{}/focuses", Uuid::new_v4());
    let refused = send(&app, pro, &wrong, &body, "k-2").await;
    assert_eq!(refused.status, 404);
    assert_eq!(
        one(
            &app,
            "SELECT count(*)::text AS value FROM idempotency_key WHERE key = 'k-2'"
        ),
        "0"
    );

    // Claimed and not answered: running, then, past the lease, abandoned by a stopped process.
    let held = send(
        &app,
        pro,
        &path,
        &Body::Json(json!({"theme": "mobilite"})),
        "k-3",
    )
    .await;
    assert_eq!(held.status, 201);
    exec(
        &app,
        "UPDATE idempotency_key SET status = NULL, response_body = NULL WHERE key = 'k-3'",
    );
    let running = send(
        &app,
        pro,
        &path,
        &Body::Json(json!({"theme": "mobilite"})),
        "k-3",
    )
    .await;
    assert_eq!(running.status, 409);
    assert_eq!(running.body["code"], "idempotency_in_progress");
    exec(
        &app,
        "UPDATE idempotency_key SET created_at = now() - interval '16 minutes' WHERE key = 'k-3'",
    );
    let abandoned = send(
        &app,
        pro,
        &path,
        &Body::Json(json!({"theme": "mobilite"})),
        "k-3",
    )
    .await;
    assert_eq!(abandoned.status, 409);
    assert_eq!(abandoned.body["code"], "idempotency_outcome_unknown");
    assert!(
        abandoned.body["type"]
            .as_str()
            .unwrap()
            .ends_with("/idempotency_outcome_unknown")
    );

    // After 24 hours a key is free again, and the housekeeping deletes it.
    exec(
        &app,
        "UPDATE idempotency_key SET created_at = now() - interval '25 hours' WHERE key = 'k-1'",
    );
    let later = send(
        &app,
        pro,
        &path,
        &Body::Json(json!({"theme": "logement"})),
        "k-1",
    )
    .await;
    assert_eq!(
        (later.status, later.replayed),
        (201, false),
        "{}",
        later.body
    );
    exec(
        &app,
        "UPDATE idempotency_key SET created_at = now() - interval '25 hours' WHERE key = 'k-1'",
    );
    let pool = app.database.pool();
    tokio::task::block_in_place(|| {
        cdb_hub::jobs::housekeeping::prune(
            &pool,
            &cdb_hub::jobs::housekeeping::PruneFinishedJobs { older_than_days: 7 },
        )
        .unwrap()
    });
    assert_eq!(
        one(
            &app,
            "SELECT count(*)::text AS value FROM idempotency_key WHERE key = 'k-1'"
        ),
        "0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_sent_while_the_first_runs_waits_for_nothing_and_runs_nothing() {
    // Eight sends of one large import at once: one runs, the others are told it runs or get
    // its answer; the file is kept once.
    let app = spawn_app_with_webhooks(OPEN).await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let csv = crate::imports::file(20_000, &[], "Valence");
    assert!(csv.len() > 1024 * 1024, "spooled to a file");
    let body = Body::Form(
        vec![
            ("kind".into(), "beneficiaries".into()),
            ("mode".into(), "preview".into()),
        ],
        "beneficiaires.csv".into(),
        csv.into_bytes(),
    );
    let sends = (0..8).map(|_| send(&app, manager, "/v1/imports", &body, "upload-1"));
    let answers = futures_util::future::join_all(sends).await;
    let mut ran = 0;
    for answer in &answers {
        match (answer.status, answer.replayed) {
            (202, false) => ran += 1,
            (202, true) => {}
            (409, _) => assert_eq!(answer.body["code"], "idempotency_in_progress"),
            (status, _) => panic!("{status}: {}", answer.body),
        }
    }
    assert_eq!(ran, 1);
    assert_eq!(one(&app, "SELECT count(*)::text AS value FROM import"), "1");
}
