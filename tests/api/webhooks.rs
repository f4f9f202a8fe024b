//! Outbound webhooks against local endpoints (wiremock): subscriptions managed by their API
//! client, the secret shown once, SSRF refusals, signed deliveries, backoff then dead letters
//! and replay (the clock is a parameter of the tick and the worker), order per person, the
//! client's reach, ping. The tick and the worker are driven directly.

use chrono::{DateTime, Duration, Utc};
use diesel::RunQueryDsl;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use cdb_hub::jobs::webhooks::due_deliveries;
use cdb_hub::outbound::delivery::{DeliveryOutcome, deliver};
use cdb_hub::outbound::{WebhookSettings, Webhooks};
use cdb_hub::store::changes::{PendingChange, record};

use crate::fixture::{World, client_token, world};
use crate::support::{TestApp, send, spawn_app, spawn_app_with_webhooks, test_secrets};

const OPEN: WebhookSettings = WebhookSettings {
    allow_private: true,
    allow_http: true,
};

const SUBSCRIBER: &str = "webhooks:admin beneficiaries:read";

async fn open_app() -> (TestApp, World) {
    let app = spawn_app_with_webhooks(OPEN).await;
    let world = world(&app).await;
    (app, world)
}

async fn subscriber(app: &TestApp, world: &World, structure: Option<Uuid>) -> String {
    client_token(
        app,
        &app.database.url,
        world.deployment_a,
        structure,
        SUBSCRIBER,
    )
    .await
}

async fn endpoint(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

async fn subscribe(app: &TestApp, token: &str, url: &str, events: Value) -> Value {
    let (status, body, _) = send(
        app,
        Method::POST,
        token,
        "/v1/webhooks",
        json!({"url": url, "event_types": events}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

fn change(app: &TestApp, deployment: Uuid, beneficiary: Uuid, kind: &'static str) {
    let mut conn = app.database.connect();
    tokio::task::block_in_place(|| {
        record(
            &mut conn,
            &[PendingChange {
                deployment_id: deployment,
                beneficiary_id: beneficiary,
                notebook_id: None,
                kind,
                fields: vec!["lastname".into()],
                source_system: Some("test".into()),
            }],
        )
        .unwrap()
    });
}

/// One tick (fan-out and claim) then the worker on every claimed delivery, at `now`.
async fn tick(app: &TestApp, webhooks: &Webhooks, now: DateTime<Utc>) -> Vec<DeliveryOutcome> {
    let pool = app.database.pool();
    let claimed = {
        let pool = pool.clone();
        tokio::task::spawn_blocking(move || due_deliveries(&pool, now))
            .await
            .unwrap()
            .unwrap()
    };
    let mut outcomes = Vec::new();
    for id in claimed {
        outcomes.push(
            deliver(&pool, webhooks, &test_secrets(), id, now)
                .await
                .unwrap(),
        );
    }
    outcomes
}

fn hmac_hex(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The received bodies, each checked against its signature.
async fn received(server: &MockServer, secret: &str) -> Vec<Value> {
    let mut bodies = Vec::new();
    for request in server.received_requests().await.unwrap() {
        let timestamp = request.headers["x-cdb-timestamp"].to_str().unwrap();
        let signature = request.headers["x-cdb-signature"].to_str().unwrap();
        assert_eq!(
            signature,
            format!("sha256={}", hmac_hex(secret, timestamp, &request.body)),
            "the signature is the HMAC-SHA256 of timestamp.body"
        );
        assert!((Utc::now().timestamp() - timestamp.parse::<i64>().unwrap()).abs() < 4 * 24 * 3600);
        // Standard Webhooks, as its reference library signs (the tolerance of its `verify` is
        // checked by the ping test, whose clock is the real one).
        let id = request.headers["webhook-id"].to_str().unwrap();
        assert_eq!(
            request.headers["webhook-timestamp"].to_str().unwrap(),
            timestamp
        );
        let expected = standardwebhooks::Webhook::new(secret)
            .unwrap()
            .sign(id, timestamp.parse().unwrap(), &request.body)
            .unwrap();
        assert_eq!(
            request.headers["webhook-signature"].to_str().unwrap(),
            expected,
            "webhook-signature as Standard Webhooks libraries compute it"
        );
        bodies.push(serde_json::from_slice(&request.body).unwrap());
    }
    bodies
}

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let (status, body, _) = send(app, Method::GET, token, path, Value::Null, None).await;
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_is_its_clients_and_its_secret_is_shown_once() {
    let (app, world) = open_app().await;
    let hook = endpoint(200).await;
    let token = subscriber(&app, &world, None).await;
    let url = format!("{}/hook", hook.uri());
    let created = subscribe(&app, &token, &url, json!(["beneficiary.updated", "*"])).await;
    let secret = created["secret"].as_str().unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 30,
        "{created}"
    );
    let id = created["id"].as_str().unwrap();

    let (status, one) = get(&app, &token, &format!("/v1/webhooks/{id}")).await;
    assert_eq!(status, 200);
    assert!(one.get("secret").is_none(), "never shown again: {one}");
    assert!(!one.to_string().contains(secret));
    assert_eq!(
        one["counts"],
        json!({"pending": 0, "failed": 0, "delivered": 0, "dead": 0})
    );
    let (_, list) = get(&app, &token, "/v1/webhooks").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(secret));
    // The secret is sealed at rest.
    let mut conn = app.database.connect();
    let stored: Vec<u8> = tokio::task::block_in_place(|| {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct S {
            #[diesel(sql_type = diesel::sql_types::Bytea)]
            secret: Vec<u8>,
        }
        diesel::sql_query("SELECT secret FROM webhook_subscription")
            .get_result::<S>(&mut conn)
            .unwrap()
            .secret
    });
    assert!(!stored.windows(10).any(|w| w == &secret.as_bytes()[..10]));

    let (status, changed, _) = send(
        &app,
        Method::PATCH,
        &token,
        &format!("/v1/webhooks/{id}"),
        json!({"enabled": false, "event_types": ["notebook.updated"]}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["enabled"], false);
    assert_eq!(changed["event_types"], json!(["notebook.updated"]));

    // Only API clients holding webhooks:admin, and each sees only its own.
    let other = subscriber(&app, &world, None).await;
    assert_eq!(
        get(&app, &other, &format!("/v1/webhooks/{id}")).await.0,
        404
    );
    assert_eq!(
        get(&app, world.token("client_a"), "/v1/webhooks").await.0,
        403
    );
    assert_eq!(
        get(&app, world.token("manager_a"), "/v1/webhooks").await.0,
        403
    );
    let reader_only = client_token(
        &app,
        &app.database.url,
        world.deployment_a,
        None,
        "webhooks:admin",
    )
    .await;
    let (status, _, _) = send(
        &app,
        Method::POST,
        &reader_only,
        "/v1/webhooks",
        json!({"url": url, "event_types": ["*"]}),
        None,
    )
    .await;
    assert_eq!(
        status, 403,
        "deliveries carry the feed: beneficiaries:read is needed"
    );
    for (body, code) in [
        (
            json!({"url": url, "event_types": ["beneficiary.deleted"]}),
            "invalid_event_type",
        ),
        (json!({"url": url, "event_types": []}), "invalid_event_type"),
        (
            json!({"url": "not a url", "event_types": ["*"]}),
            "invalid_url",
        ),
    ] {
        let (status, problem, _) =
            send(&app, Method::POST, &token, "/v1/webhooks", body, None).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }

    let (status, _, _) = send(
        &app,
        Method::DELETE,
        &token,
        &format!("/v1/webhooks/{id}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        get(&app, &token, &format!("/v1/webhooks/{id}")).await.0,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_addresses_are_refused_at_creation_and_at_delivery() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = subscriber(&app, &world, None).await;
    for (url, code) in [
        ("http://example.org/hook", "https_required"),
        ("https://127.0.0.1/hook", "internal_address"),
        ("https://[::1]/hook", "internal_address"),
        ("https://10.0.0.8/hook", "internal_address"),
        (
            "https://169.254.169.254/latest/meta-data",
            "internal_address",
        ),
        ("https://localhost:8443/hook", "internal_address"),
    ] {
        let (status, problem, _) = send(
            &app,
            Method::POST,
            &token,
            "/v1/webhooks",
            json!({"url": url, "event_types": ["*"]}),
            None,
        )
        .await;
        assert_eq!(status, 422, "{url}: {problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{url}: {problem}");
    }

    // A subscription made while allowed, delivered by a hub that no longer allows it: the
    // attempt fails without any request.
    let (open, world) = open_app().await;
    let hook = endpoint(200).await;
    let token = subscriber(&open, &world, None).await;
    subscribe(&open, &token, &format!("{}/hook", hook.uri()), json!(["*"])).await;
    change(
        &open,
        world.deployment_a,
        world.beneficiary,
        "beneficiary.updated",
    );
    let strict = Webhooks::new(WebhookSettings {
        allow_private: false,
        allow_http: true,
    })
    .unwrap();
    let outcomes = tick(&open, &strict, Utc::now()).await;
    assert!(
        matches!(outcomes[..], [DeliveryOutcome::Retry(_)]),
        "{outcomes:?}"
    );
    assert!(hook.received_requests().await.unwrap().is_empty());
    let deliveries =
        cdb_hub::store::webhooks::deliveries(&mut open.database.connect(), subscription_id(&open))
            .unwrap();
    assert!(
        deliveries[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("refused"),
        "{:?}",
        deliveries[0].last_error
    );
}

fn subscription_id(app: &TestApp) -> Uuid {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    let mut conn = app.database.connect();
    tokio::task::block_in_place(|| {
        diesel::sql_query("SELECT id FROM webhook_subscription ORDER BY created_at LIMIT 1")
            .get_result::<Id>(&mut conn)
            .unwrap()
            .id
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_becomes_a_signed_delivery_with_its_feed_cursor() {
    let (app, world) = open_app().await;
    let hook = endpoint(200).await;
    let webhooks = Webhooks::new(OPEN).unwrap();
    // What happened before the subscription is not delivered.
    change(
        &app,
        world.deployment_a,
        world.beneficiary,
        "beneficiary.created",
    );
    let token = subscriber(&app, &world, None).await;
    let created = subscribe(&app, &token, &format!("{}/hook", hook.uri()), json!(["*"])).await;
    let secret = created["secret"].as_str().unwrap();
    let id = created["id"].as_str().unwrap();
    change(
        &app,
        world.deployment_a,
        world.beneficiary,
        "beneficiary.updated",
    );
    change(
        &app,
        world.deployment_a,
        world.other_beneficiary,
        "notebook.updated",
    );

    let outcomes = tick(&app, &webhooks, Utc::now()).await;
    assert_eq!(
        outcomes,
        [DeliveryOutcome::Delivered, DeliveryOutcome::Delivered]
    );
    let bodies = received(&hook, secret).await;
    assert_eq!(bodies.len(), 2);
    let feed = get(&app, world.token("client_a"), "/v1/changes").await.1;
    let items = feed["items"].as_array().unwrap();
    for body in &bodies {
        let item = items
            .iter()
            .find(|item| item["seq"] == body["change"]["seq"])
            .unwrap();
        assert_eq!(&body["change"], item, "the change as the feed shows it");
        assert_eq!(body["event"], item["kind"]);
        assert!(body["id"].is_string());
        let seq = item["seq"].as_i64().unwrap();
        // The cursor resumes the feed right after this change.
        let after = get(
            &app,
            world.token("client_a"),
            &format!("/v1/changes?after={}", body["cursor"].as_str().unwrap()),
        )
        .await
        .1;
        assert!(
            after["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["seq"].as_i64().unwrap() > seq)
        );
        // `cursor`, the one name of every list, is `after`'s new name.
        let resumed = get(
            &app,
            world.token("client_a"),
            &format!("/v1/changes?cursor={}", body["cursor"].as_str().unwrap()),
        )
        .await
        .1;
        assert_eq!(resumed["items"], after["items"]);
    }
    let mut counters: Vec<i64> = bodies
        .iter()
        .map(|b| b["events_since_start"].as_i64().unwrap())
        .collect();
    counters.sort();
    assert_eq!(counters, [1, 2]);
    assert!(bodies.iter().all(|b| b["event"] != "beneficiary.created"));

    // Nothing new: nothing sent again.
    assert!(tick(&app, &webhooks, Utc::now()).await.is_empty());
    let (_, one) = get(&app, &token, &format!("/v1/webhooks/{id}")).await;
    assert_eq!(one["counts"]["delivered"], 2);
    assert_eq!(one["events_since_start"], 2);

    // Ping: a signed test delivery, answered synchronously.
    let (status, ping, _) = send(
        &app,
        Method::POST,
        &token,
        &format!("/v1/webhooks/{id}/ping"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 200, "{ping}");
    assert_eq!(ping["delivered"], true);
    assert_eq!(ping["status_code"], 200);
    let bodies = received(&hook, secret).await;
    assert_eq!(bodies.last().unwrap()["event"], "ping");
    // A partner verifies it with the Standard Webhooks library, its clock tolerance included.
    let last = hook.received_requests().await.unwrap().pop().unwrap();
    let headers = last.headers.clone();
    let verifier = standardwebhooks::Webhook::new(secret).unwrap();
    assert!(verifier.verify(&last.body, &headers).is_ok());
    let mut tampered = last.body.clone();
    tampered.push(b' ');
    assert!(verifier.verify(&tampered, &headers).is_err());
    let down = endpoint(503).await;
    let (_, changed, _) = send(
        &app,
        Method::PATCH,
        &token,
        &format!("/v1/webhooks/{id}"),
        json!({"url": format!("{}/hook", down.uri())}),
        None,
    )
    .await;
    assert!(changed["url"].as_str().unwrap().starts_with(&down.uri()));
    let (_, ping, _) = send(
        &app,
        Method::POST,
        &token,
        &format!("/v1/webhooks/{id}/ping"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(ping["delivered"], false, "{ping}");
    assert_eq!(ping["status_code"], 503);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_endpoint_is_retried_with_backoff_for_72_hours_then_dead_then_replayed() {
    let (app, world) = open_app().await;
    let hook = endpoint(500).await;
    let webhooks = Webhooks::new(OPEN).unwrap();
    let token = subscriber(&app, &world, None).await;
    let created = subscribe(&app, &token, &format!("{}/hook", hook.uri()), json!(["*"])).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    change(
        &app,
        world.deployment_a,
        world.beneficiary,
        "beneficiary.updated",
    );

    let start = Utc::now();
    let outcomes = tick(&app, &webhooks, start).await;
    assert_eq!(
        outcomes,
        [DeliveryOutcome::Retry(start + Duration::seconds(30))]
    );
    assert!(
        tick(&app, &webhooks, start + Duration::seconds(29))
            .await
            .is_empty()
    );
    let second = start + Duration::seconds(31);
    assert_eq!(
        tick(&app, &webhooks, second).await,
        [DeliveryOutcome::Retry(second + Duration::seconds(60))]
    );
    let third = second + Duration::seconds(61);
    assert_eq!(
        tick(&app, &webhooks, third).await,
        [DeliveryOutcome::Retry(third + Duration::seconds(120))]
    );
    // Hours later the wait is capped at one hour.
    let mut now = third;
    let mut last = None;
    for _ in 0..8 {
        now += Duration::hours(2);
        last = tick(&app, &webhooks, now).await.pop();
    }
    assert_eq!(last, Some(DeliveryOutcome::Retry(now + Duration::hours(1))));
    let (_, one) = get(&app, &token, &format!("/v1/webhooks/{id}")).await;
    assert_eq!(one["counts"]["failed"], 1, "{one}");
    // Past 72 hours: a dead letter.
    let late = start + Duration::hours(72) + Duration::seconds(1);
    assert_eq!(tick(&app, &webhooks, late).await, [DeliveryOutcome::Dead]);
    assert!(
        tick(&app, &webhooks, late + Duration::days(1))
            .await
            .is_empty()
    );
    let (status, dead) = get(&app, &token, &format!("/v1/webhooks/{id}/dead-letters")).await;
    assert_eq!(status, 200, "{dead}");
    let items = dead["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["attempts"], 12);
    assert_eq!(items[0]["last_status_code"], 500);
    assert_eq!(items[0]["event"], "beneficiary.updated");
    assert_eq!(hook.received_requests().await.unwrap().len(), 12);

    // The receiver is back: a replay delivers the dead letter once.
    hook.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&hook)
        .await;
    let (status, replayed, _) = send(
        &app,
        Method::POST,
        &token,
        &format!("/v1/webhooks/{id}/replay"),
        json!({"delivery_ids": [items[0]["id"]]}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{replayed}");
    assert_eq!(replayed["requeued"], 1);
    assert_eq!(
        tick(&app, &webhooks, Utc::now()).await,
        [DeliveryOutcome::Delivered]
    );
    let bodies = received(&hook, &secret).await;
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["id"], items[0]["id"]);
    let (_, one) = get(&app, &token, &format!("/v1/webhooks/{id}")).await;
    assert_eq!(
        one["counts"],
        json!({"pending": 0, "failed": 0, "delivered": 1, "dead": 0})
    );
    let (_, dead) = get(&app, &token, &format!("/v1/webhooks/{id}/dead-letters")).await;
    assert!(dead["items"].as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_of_one_person_keep_their_order_while_others_go_on() {
    let (app, world) = open_app().await;
    let hook = MockServer::start().await;
    // The first delivery of the followed person fails once; everything else is received.
    Mock::given(method("POST"))
        .and(body_string_contains(world.beneficiary.to_string()))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&hook)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&hook)
        .await;
    let webhooks = Webhooks::new(OPEN).unwrap();
    let token = subscriber(&app, &world, None).await;
    let created = subscribe(&app, &token, &hook.uri(), json!(["*"])).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    change(
        &app,
        world.deployment_a,
        world.beneficiary,
        "beneficiary.updated",
    );
    change(
        &app,
        world.deployment_a,
        world.beneficiary,
        "notebook.updated",
    );
    change(
        &app,
        world.deployment_a,
        world.other_beneficiary,
        "beneficiary.updated",
    );
    change(
        &app,
        world.deployment_a,
        world.beneficiary,
        "beneficiary.updated",
    );

    let start = Utc::now();
    let mut outcomes = tick(&app, &webhooks, start).await;
    outcomes.sort_by_key(|o| matches!(o, DeliveryOutcome::Delivered));
    assert_eq!(
        outcomes,
        [
            DeliveryOutcome::Retry(start + Duration::seconds(30)),
            DeliveryOutcome::Delivered
        ],
        "only the oldest of each person is sent"
    );
    assert!(
        tick(&app, &webhooks, start + Duration::seconds(5))
            .await
            .is_empty()
    );
    // Back up: the person's deliveries follow, one after the other, in order.
    let mut now = start + Duration::seconds(31);
    for _ in 0..3 {
        assert_eq!(
            tick(&app, &webhooks, now).await,
            [DeliveryOutcome::Delivered]
        );
        now += Duration::seconds(1);
    }
    let bodies = received(&hook, &secret).await;
    let person: Vec<i64> = bodies
        .iter()
        .filter(|b| b["change"]["beneficiary_id"] == world.beneficiary.to_string())
        .map(|b| b["change"]["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(person.len(), 4, "the failed one, then the three in order");
    assert_eq!(person[0], person[1], "the first one again");
    assert!(person[1] < person[2] && person[2] < person[3], "{person:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_receives_only_what_its_client_may_see_and_asked_for() {
    let (app, world) = open_app().await;
    let hook = endpoint(200).await;
    let webhooks = Webhooks::new(OPEN).unwrap();
    let narrowed = subscriber(&app, &world, Some(world.structure_s1)).await;
    let created = subscribe(
        &app,
        &narrowed,
        &format!("{}/hook", hook.uri()),
        json!(["*"]),
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let picky_hook = endpoint(200).await;
    let picky = subscriber(&app, &world, None).await;
    subscribe(
        &app,
        &picky,
        &format!("{}/hook", picky_hook.uri()),
        json!(["notebook.updated"]),
    )
    .await;
    change(
        &app,
        world.deployment_a,
        world.beneficiary,
        "beneficiary.updated",
    );
    change(
        &app,
        world.deployment_a,
        world.other_beneficiary,
        "beneficiary.updated",
    );
    change(
        &app,
        world.deployment_b,
        Uuid::new_v4(),
        "beneficiary.created",
    );
    change(
        &app,
        world.deployment_a,
        world.other_beneficiary,
        "notebook.updated",
    );

    tick(&app, &webhooks, Utc::now()).await;
    let bodies = received(&hook, &secret).await;
    let people: Vec<&Value> = bodies
        .iter()
        .map(|b| &b["change"]["beneficiary_id"])
        .collect();
    assert_eq!(
        people,
        [&json!(world.beneficiary)],
        "the client narrowed to S1 sees only the person attached to S1"
    );
    // The same as its own change feed.
    let feed_token = client_token(
        &app,
        &app.database.url,
        world.deployment_a,
        Some(world.structure_s1),
        "beneficiaries:read",
    )
    .await;
    let feed = get(&app, &feed_token, "/v1/changes").await.1;
    let seqs: Vec<&Value> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["seq"])
        .collect();
    assert_eq!(seqs, [&bodies[0]["change"]["seq"]]);
    let picked = picky_hook.received_requests().await.unwrap();
    assert_eq!(picked.len(), 1, "only the event type asked for");
    let body: Value = serde_json::from_slice(&picked[0].body).unwrap();
    assert_eq!(body["event"], "notebook.updated");
    assert_eq!(body["events_since_start"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_rows_are_pruned_after_the_retention_and_the_count_stays() {
    let (app, world) = open_app().await;
    let hook = endpoint(200).await;
    let webhooks = Webhooks::new(OPEN).unwrap();
    let token = subscriber(&app, &world, None).await;
    let created = subscribe(&app, &token, &format!("{}/hook", hook.uri()), json!(["*"])).await;
    let id = created["id"].as_str().unwrap().to_owned();
    for kind in ["beneficiary.updated", "notebook.updated"] {
        change(&app, world.deployment_a, world.beneficiary, kind);
    }
    tick(&app, &webhooks, Utc::now()).await;
    let outcomes = tick(&app, &webhooks, Utc::now()).await;
    assert!(
        outcomes.iter().all(|o| *o == DeliveryOutcome::Delivered),
        "{outcomes:?}"
    );
    let before = get(&app, &token, &format!("/v1/webhooks/{id}")).await.1;
    assert_eq!(before["counts"]["delivered"], 2, "{before}");
    // One of them was delivered long ago.
    let mut conn = app.database.connect();
    tokio::task::block_in_place(|| {
        diesel::sql_query(format!(
            "UPDATE webhook_delivery SET delivered_at = now() - interval '30 days' WHERE id = \
             (SELECT id FROM webhook_delivery WHERE subscription_id = '{id}' ORDER BY created_at LIMIT 1)"
        ))
        .execute(&mut conn)
        .unwrap();
    });
    let pool = app.database.pool();
    let job = cdb_hub::jobs::housekeeping::PruneFinishedJobs {
        older_than_days: 14,
    };
    tokio::task::block_in_place(|| cdb_hub::jobs::housekeeping::prune(&pool, &job)).unwrap();
    let rows: i64 = tokio::task::block_in_place(|| {
        diesel::sql_query(format!(
            "SELECT count(*) AS n FROM webhook_delivery WHERE subscription_id = '{id}'"
        ))
        .get_result::<N>(&mut conn)
        .unwrap()
        .n
    });
    assert_eq!(
        rows, 1,
        "the old delivered row is gone, the recent one stays"
    );
    let after = get(&app, &token, &format!("/v1/webhooks/{id}")).await.1;
    assert_eq!(
        after["counts"]["delivered"], 2,
        "the count never goes back: {after}"
    );
}

#[derive(diesel::QueryableByName)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_stop_when_the_client_is_revoked_or_loses_the_scope() {
    let (app, world) = open_app().await;
    let hook = endpoint(503).await;
    let webhooks = Webhooks::new(OPEN).unwrap();
    let token = subscriber(&app, &world, None).await;
    let created = subscribe(&app, &token, &format!("{}/hook", hook.uri()), json!(["*"])).await;
    let subscription = created["id"].as_str().unwrap().to_owned();
    change(
        &app,
        world.deployment_a,
        world.beneficiary,
        "beneficiary.updated",
    );
    let outcomes = tick(&app, &webhooks, Utc::now()).await;
    assert_eq!(outcomes.len(), 1, "one attempt, refused by the endpoint");
    assert_eq!(hook.received_requests().await.unwrap().len(), 1);
    for (revoke, restore) in [
        (
            "UPDATE api_client SET scopes = array_remove(scopes, 'webhooks:admin')",
            "UPDATE api_client SET scopes = scopes || '{webhooks:admin}'",
        ),
        ("UPDATE api_client SET revoked_at = now()", ""),
    ] {
        let subscription = subscription.clone();
        let mut conn = app.database.connect();
        diesel::sql_query(format!(
            "{revoke} WHERE id = (SELECT api_client_id FROM webhook_subscription WHERE id = '{subscription}')"
        ))
        .execute(&mut conn)
        .unwrap();
        // Past every retry delay: nothing is claimed, nothing is sent.
        let outcomes = tick(&app, &webhooks, Utc::now() + Duration::hours(2)).await;
        assert!(outcomes.is_empty(), "{revoke}: {outcomes:?}");
        assert_eq!(hook.received_requests().await.unwrap().len(), 1, "{revoke}");
        if !restore.is_empty() {
            diesel::sql_query(format!(
                "{restore} WHERE id = (SELECT api_client_id FROM webhook_subscription WHERE id = '{subscription}')"
            ))
            .execute(&mut conn)
            .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_reaches_the_subscriber_as_a_tombstone_without_personal_data() {
    let (app, world) = open_app().await;
    let hook = endpoint(200).await;
    let token = subscriber(&app, &world, None).await;
    let url = format!("{}/hook", hook.uri());
    let created = subscribe(&app, &token, &url, json!(["beneficiary.purged"])).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let person = world.other_beneficiary;
    let response = app
        .client
        .delete(format!("{}/v1/beneficiaries/{person}", app.address))
        .bearer_auth(world.token("manager_a"))
        .header("X-Purpose", "droit à l'effacement")
        .query(&[("reason", "Demande d'effacement RGPD, ticket 77")])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let webhooks = Webhooks::new(OPEN).unwrap();
    tick(&app, &webhooks, Utc::now()).await;
    let bodies = received(&hook, &secret).await;
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let tombstone = &bodies[0];
    assert_eq!(tombstone["event"], "beneficiary.purged", "{tombstone}");
    assert_eq!(
        tombstone["change"]["beneficiary_id"],
        person.to_string().as_str(),
        "{tombstone}"
    );
    // A tombstone names the person by id only.
    let text = tombstone.to_string();
    for personal in ["Jean", "Autre", "jean.autre@example.org", "1850375123457"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    // It verifies with the Standard Webhooks library, as the partner's code would.
    let request = hook.received_requests().await.unwrap().pop().unwrap();
    assert!(
        standardwebhooks::Webhook::new(&secret)
            .unwrap()
            .verify(&request.body, &request.headers)
            .is_ok()
    );
}

/// A receiver answering 204 to what the Standard Webhooks library verifies, 400 otherwise.
struct Verifying(String);

impl wiremock::Respond for Verifying {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let verifier = standardwebhooks::Webhook::new(&self.0).unwrap();
        match verifier.verify(&request.body, &request.headers) {
            Ok(()) => ResponseTemplate::new(204),
            Err(_) => ResponseTemplate::new(400),
        }
    }
}

/// Runs `cdb-hub check-webhook-receiver` on a receiver; answers whether it passed and its report.
fn check_receiver(url: &str, secret: &str) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cdb-hub"))
        .args(["check-webhook-receiver", url, "--secret", secret])
        .env("CDB_LOG_LEVEL", "warn")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_check_passes_a_verifying_receiver_and_fails_a_trusting_one() {
    let secret = cdb_hub::outbound::new_secret();
    let careful = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(Verifying(secret.clone()))
        .mount(&careful)
        .await;
    let url = format!("{}/hook", careful.uri());
    let (passed, report) = tokio::task::spawn_blocking(move || check_receiver(&url, &secret))
        .await
        .unwrap();
    assert!(passed, "{report}");
    let verdicts: Vec<Value> = report
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let answers: Vec<(&str, &str)> = verdicts
        .iter()
        .map(|v| (v["probe"].as_str().unwrap(), v["answer"].as_str().unwrap()))
        .collect();
    assert_eq!(
        answers,
        [
            ("valid", "204"),
            ("replayed", "400"),
            ("tampered", "400"),
            ("stale", "400"),
            ("other_secret", "400")
        ]
    );
    assert_eq!(careful.received_requests().await.unwrap().len(), 5);
    // A receiver that checks nothing accepts all five: the check fails, naming them.
    let trusting = endpoint(204).await;
    let url = format!("{}/hook", trusting.uri());
    let (passed, report) =
        tokio::task::spawn_blocking(move || check_receiver(&url, &cdb_hub::outbound::new_secret()))
            .await
            .unwrap();
    assert!(!passed, "{report}");
    assert_eq!(report.matches("\"ok\":false").count(), 4, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retention_purge_reaches_the_subscriber_as_a_tombstone() {
    let (app, world) = open_app().await;
    let hook = endpoint(200).await;
    let token = subscriber(&app, &world, None).await;
    let url = format!("{}/hook", hook.uri());
    let created = subscribe(&app, &token, &url, json!(["beneficiary.purged"])).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    // The clock moves: the managers are told 30 days ahead, then the day comes.
    for days in [700, 730] {
        let url = app.database.url.clone();
        let as_of = Utc::now() + Duration::days(days);
        tokio::task::spawn_blocking(move || {
            let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&url).unwrap();
            cdb_hub::lifecycle::retention::sweep(&mut conn, as_of).unwrap()
        })
        .await
        .unwrap();
    }
    let webhooks = Webhooks::new(OPEN).unwrap();
    tick(&app, &webhooks, Utc::now()).await;
    let bodies = received(&hook, &secret).await;
    let mut purged: Vec<String> = bodies
        .iter()
        .map(|body| {
            assert_eq!(body["event"], "beneficiary.purged", "{body}");
            body["change"]["beneficiary_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    purged.sort();
    let mut expected = vec![
        world.beneficiary.to_string(),
        world.other_beneficiary.to_string(),
    ];
    expected.sort();
    assert_eq!(purged, expected, "both inactive people of the deployment");
}
