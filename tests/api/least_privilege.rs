//! Least privilege on writes, written as the attacks they prevent: a caller changes only the
//! people within its reach, learns nothing of those beyond it, cannot date its data in the
//! future, shares no source ids with another caller, and never moves anyone's login address.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixture::{World, client_token, world};
use crate::support::{TestApp, spawn_app};

/// Sends a request as a partner would (with its purpose); answers the status and JSON body.
async fn call(app: &TestApp, method: Method, token: &str, path: &str, body: Value) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(token)
        .header("X-Purpose", "contrôle des droits");
    if !body.is_null() {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn batch(app: &TestApp, token: &str, items: Value) -> Vec<Value> {
    let (status, body) = call(
        app,
        Method::POST,
        token,
        "/v1/beneficiaries/batch",
        json!({"items": items}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

async fn sql<T: Send + 'static>(
    app: &TestApp,
    query: impl FnOnce(&mut PgConnection) -> T + Send + 'static,
) -> T {
    let url = app.database.url.clone();
    tokio::task::spawn_blocking(move || query(&mut PgConnection::establish(&url).unwrap()))
        .await
        .unwrap()
}

#[derive(QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

async fn email_of(app: &TestApp, person: Uuid) -> String {
    sql(app, move |conn| {
        diesel::sql_query(format!(
            "SELECT email AS value FROM beneficiary WHERE id = '{person}'"
        ))
        .get_result::<Text>(conn)
        .unwrap()
        .value
    })
    .await
}

/// A person of deployment B, with a NIR of their own.
async fn person_of_deployment_b(app: &TestApp, world: &World) -> String {
    let other = world.deployment_b;
    sql(app, move |conn| {
        diesel::sql_query(format!(
            "INSERT INTO beneficiary (deployment_id, firstname, lastname, date_of_birth, nir) VALUES ('{other}', 'Bea', 'Ailleurs', '1970-01-01', '2700175999998')"
        ))
        .execute(conn)
        .unwrap();
    })
    .await;
    "2700175999998".into()
}

/// A partner of deployment A that reads and writes people (narrowed to a structure if given).
async fn writer(app: &TestApp, world: &World, structure: Option<Uuid>) -> String {
    let url = app.database.url.clone();
    let scopes = "beneficiaries:read beneficiaries:write";
    client_token(app, &url, world.deployment_a, structure, scopes).await
}

/// What a batch item says, without its position and key.
fn answer(item: &Value) -> Value {
    let mut item = item.clone();
    let object = item.as_object_mut().unwrap();
    object.remove("index");
    object.remove("source_id");
    item
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_narrowed_to_a_structure_cannot_take_over_a_person_outside_it() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let attacker = writer(&app, &world, Some(world.structure_s2)).await;
    let followed = format!("/v1/beneficiaries/{}", world.beneficiary);
    let (status, _) = call(&app, Method::GET, &attacker, &followed, Value::Null).await;
    assert_eq!(status, 404, "the person is outside the client's reach");

    // First step of the takeover: the person's NIR, the attacker's address, a date in 2100.
    let items = batch(&app, &attacker, json!([
        {"source_id": "T-1", "nir": world.nir, "email": "attacker@evil.example", "as_of": "2100-01-01T00:00:00Z"},
    ]))
    .await;
    assert_eq!(items[0]["status"], "rejected", "{items:?}");
    assert_eq!(items[0]["errors"][0]["code"], "as_of_in_future");
    assert_eq!(
        email_of(&app, world.beneficiary).await,
        "sophie.tifour@example.org"
    );

    // Without the date: held for the managers, nobody named, nothing changed.
    let nir_b = person_of_deployment_b(&app, &world).await;
    let items = batch(&app, &attacker, json!([
        {"source_id": "T-2", "nir": world.nir, "email": "attacker@evil.example"},
        {"source_id": "T-3", "nir": nir_b, "email": "attacker@evil.example"},
        // Found by names and birth date: someone of the deployment outside the structure.
        {"source_id": "T-4", "firstname": "Jean", "lastname": "AUTRE", "date_of_birth": "1985-03-14", "email": "attacker@evil.example"},
    ]))
    .await;
    for item in &items {
        assert_eq!(item["status"], "pending_review", "{item}");
        assert!(
            item["beneficiary_id"].is_null() && item["possible_match_id"].is_null(),
            "{item}"
        );
    }
    assert_eq!(
        answer(&items[0]),
        answer(&items[1]),
        "the answer does not tell what matched"
    );
    assert_eq!(
        answer(&items[0]),
        answer(&items[2]),
        "the answer does not tell what matched"
    );
    assert_eq!(
        email_of(&app, world.beneficiary).await,
        "sophie.tifour@example.org"
    );
    assert_eq!(
        email_of(&app, world.other_beneficiary).await,
        "jean.autre@example.org"
    );

    // The same through POST /v1/notebooks: one answer whoever matched.
    let (status, inside) = call(
        &app,
        Method::POST,
        &attacker,
        "/v1/notebooks",
        json!({"nir": world.nir, "firstname": "S", "lastname": "T", "date_of_birth": "1985-03-14"}),
    )
    .await;
    assert_eq!(status, 202, "{inside}");
    let (status, elsewhere) = call(
        &app,
        Method::POST,
        &attacker,
        "/v1/notebooks",
        json!({"nir": nir_b, "firstname": "S", "lastname": "T", "date_of_birth": "1985-03-14"}),
    )
    .await;
    assert_eq!(status, 202, "{elsewhere}");
    assert_eq!(inside, elsewhere);
    assert_eq!(inside["status"], "pending_review");

    // The deployment's managers have the records to decide on.
    let (status, matches) = call(
        &app,
        Method::GET,
        world.token("manager_a"),
        "/v1/matches",
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{matches}");
    let reasons: Vec<&str> = matches["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["reason"].as_str())
        .collect();
    assert!(reasons.contains(&"outside_reach"), "{matches}");
    assert!(reasons.contains(&"other_deployment"), "{matches}");

    // What the client creates is within its reach, and it goes on updating it.
    let items = batch(&app, &attacker, json!([
        {"source_id": "NEW-1", "firstname": "Nouvelle", "lastname": "Personne", "date_of_birth": "2001-02-03"},
    ]))
    .await;
    assert_eq!(items[0]["status"], "created", "{items:?}");
    let created = items[0]["beneficiary_id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &app,
        Method::GET,
        &attacker,
        &format!("/v1/beneficiaries/{created}"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let items = batch(&app, &attacker, json!([
        {"source_id": "NEW-1", "firstname": "Nouvelle", "lastname": "Personne", "date_of_birth": "2001-02-03", "city": "Die"},
    ]))
    .await;
    assert_eq!(items[0]["status"], "updated", "{items:?}");
    assert_eq!(items[0]["beneficiary_id"], created.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_professional_changes_only_their_notebooks_and_shares_no_source_ids() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let member = world.token("professional_member");
    let outsider = world.token("professional_non_member");
    let items = batch(
        &app,
        outsider,
        json!([{"source_id": "P-1", "nir": world.nir, "city": "Ailleurs"}]),
    )
    .await;
    assert_eq!(items[0]["status"], "pending_review", "{items:?}");
    let items = batch(
        &app,
        member,
        json!([{"source_id": "P-1", "nir": world.nir, "city": "Die"}]),
    )
    .await;
    assert_eq!(items[0]["status"], "updated", "{items:?}");

    // Two professionals using the same record id speak of two people.
    let items = batch(&app, member, json!([{"source_id": "42", "firstname": "Alice", "lastname": "Un", "date_of_birth": "1990-01-01"}])).await;
    assert_eq!(items[0]["status"], "created", "{items:?}");
    let alice = items[0]["beneficiary_id"].clone();
    let items = batch(&app, outsider, json!([{"source_id": "42", "firstname": "Bob", "lastname": "Deux", "date_of_birth": "1991-01-01"}])).await;
    assert_eq!(items[0]["status"], "created", "{items:?}");
    assert_ne!(
        items[0]["beneficiary_id"], alice,
        "another professional's record id must not meet Alice"
    );
    // The creator follows whom they created.
    let (status, _) = call(
        &app,
        Method::GET,
        outsider,
        &format!(
            "/v1/beneficiaries/{}",
            items[0]["beneficiary_id"].as_str().unwrap()
        ),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_exchange_never_moves_a_login_address() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let partner = writer(&app, &world, None).await;
    // A partner of the whole deployment may change the contact e-mail…
    let items = batch(
        &app,
        &partner,
        json!([{"source_id": "E-1", "nir": world.nir, "email": "nouvelle@example.org"}]),
    )
    .await;
    assert_eq!(items[0]["status"], "updated", "{items:?}");
    assert_eq!(
        email_of(&app, world.beneficiary).await,
        "nouvelle@example.org"
    );
    // …but login links still go to the address of the person's account.
    for email in ["nouvelle@example.org", "sophie.tifour@example.org"] {
        let (status, _) = call(
            &app,
            Method::POST,
            "",
            "/v1/auth/login",
            json!({"email": email}),
        )
        .await;
        assert!(status < 300, "{status}");
    }
    async fn recipients(app: &TestApp) -> Vec<String> {
        sql(app, |conn| {
            diesel::sql_query("SELECT recipient AS value FROM email_outbox ORDER BY created_at")
                .load::<Text>(conn)
                .unwrap()
                .into_iter()
                .map(|row| row.value)
                .collect::<Vec<_>>()
        })
        .await
    }
    let sent = recipients(&app).await;
    assert!(
        !sent.contains(&"nouvelle@example.org".to_owned()),
        "{sent:?}"
    );
    assert!(
        sent.contains(&"sophie.tifour@example.org".to_owned()),
        "{sent:?}"
    );

    // Only the person or a manager, in a session, moves it; the old address is told.
    let path = format!("/v1/beneficiaries/{}/login-email", world.beneficiary);
    let body = json!({"email": "sophie@example.org"});
    for (caller, expected) in [
        ("client_a", 403),
        ("professional_member", 403),
        ("admin_structure_s1", 403),
        ("manager_b", 404),
        ("beneficiary_other", 404),
    ] {
        let (status, answer) =
            call(&app, Method::PUT, world.token(caller), &path, body.clone()).await;
        assert_eq!(status, expected, "{caller}: {answer}");
    }
    let (status, _) = call(&app, Method::PUT, &partner, &path, body.clone()).await;
    assert_eq!(status, 403, "a partner with beneficiaries:write");
    let (status, changed) = call(
        &app,
        Method::PUT,
        world.token("beneficiary_self"),
        &path,
        body.clone(),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["previous_address_notified"], true);
    let sent = recipients(&app).await;
    assert_eq!(
        sent.last().map(String::as_str),
        Some("sophie.tifour@example.org"),
        "the notice to the old address"
    );
    let (status, _) = call(
        &app,
        Method::POST,
        "",
        "/v1/auth/login",
        json!({"email": "sophie@example.org"}),
    )
    .await;
    assert!(status < 300);
    assert_eq!(
        recipients(&app).await.last().map(String::as_str),
        Some("sophie@example.org")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_instance_cannot_be_pointed_at_another_host_with_its_stored_secret() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let (status, created) = call(&app, Method::POST, manager, "/v1/connectors", json!({
        "kind": "france_travail", "name": "France Travail",
        "config": {"client_id": "PAR_cd93", "api_base_url": "http://127.0.0.1:9/", "auth_base_url": "http://127.0.0.1:9/"},
        "secrets": {"client_secret": "s3cret"},
    }))
    .await;
    assert_eq!(status, 201, "{created}");
    let path = format!("/v1/connectors/{}", created["id"].as_str().unwrap());
    for config in [
        json!({"client_id": "PAR_cd93", "api_base_url": "https://evil.example/", "auth_base_url": "http://127.0.0.1:9/"}),
        json!({"client_id": "PAR_cd93", "api_base_url": "http://127.0.0.1:9/", "auth_base_url": "https://evil.example/"}),
        json!({"client_id": "PAR_other", "api_base_url": "http://127.0.0.1:9/", "auth_base_url": "http://127.0.0.1:9/"}),
    ] {
        let (status, problem) = call(
            &app,
            Method::PATCH,
            manager,
            &path,
            json!({"config": config}),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(
            problem["errors"][0]["code"], "secrets_required",
            "{problem}"
        );
    }
    // With the secrets sent again, the change is the manager's own decision.
    let (status, _) = call(&app, Method::PATCH, manager, &path, json!({
        "config": {"client_id": "PAR_cd93", "api_base_url": "http://127.0.0.1:10/", "auth_base_url": "http://127.0.0.1:9/"},
        "secrets": {"client_secret": "s3cret"},
    }))
    .await;
    assert_eq!(status, 200);
    // A client narrowed to a structure never administers connectors.
    let url = app.database.url.clone();
    let narrowed = client_token(
        &app,
        &url,
        world.deployment_a,
        Some(world.structure_s1),
        "connectors:admin",
    )
    .await;
    for (method, target) in [
        (Method::GET, "/v1/connectors".to_owned()),
        (Method::GET, path.clone()),
        (Method::DELETE, path.clone()),
    ] {
        let (status, _) = call(&app, method, &narrowed, &target, Value::Null).await;
        assert_eq!(status, 403, "{target}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_bounded_per_operation_and_a_real_batch_fits() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let partner = writer(&app, &world, None).await;
    // 1,000 records as a département's system sends them: every field filled.
    let items: Vec<Value> = (0..1000)
        .map(|i| json!({
            "source_id": format!("SI-{i:06}"), "external_id": format!("IODAS-{i:08}"), "external_role": "DEM",
            "firstname": "Marie-Christine", "lastname": format!("Lefèvre-Dupont {i}"), "date_of_birth": "1982-07-14",
            "place_of_birth": "Saint-Étienne", "mobile_number": "06 12 34 56 78", "email": format!("marie.lefevre{i}@exemple-de-messagerie.fr"),
            "address1": "12 rue de la République, bâtiment B, escalier 3", "address2": "Résidence Les Tilleuls, appartement 42",
            "postal_code": "42000", "city": "Saint-Étienne", "caf_number": format!("{:07}", 1_000_000 + i), "caf_organisation": "CAF421",
            "household_role": "DEM", "right_rsa": "rsa_droit_ouvert_versable", "right_are": false, "right_ass": false, "right_bonus": true,
        }))
        .collect();
    let body = json!({"items": items});
    assert!(
        serde_json::to_vec(&body).unwrap().len() > 256 * 1024,
        "larger than the old limit"
    );
    let (status, answer) = call(
        &app,
        Method::POST,
        &partner,
        "/v1/beneficiaries/batch",
        body,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["items"].as_array().unwrap().len(), 1000);
    // Beyond its limit, a body is refused as a problem document.
    let huge = "x".repeat(9 * 1024 * 1024);
    let response = app
        .client
        .post(format!("{}/v1/beneficiaries/batch", app.address))
        .bearer_auth(&partner)
        .header("Content-Type", "application/json")
        .body(format!("{{\"items\": [\"{huge}\"]}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "payload_too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_idempotency_key_runs_its_request_once_even_sent_concurrently() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let partner = writer(&app, &world, None).await;
    let body = json!({"items": [{"source_id": "ONCE-1", "firstname": "Une", "lastname": "Seulefois", "date_of_birth": "1990-01-01"}]});
    let sends = (0..8).map(|_| {
        let request = app
            .client
            .post(format!("{}/v1/beneficiaries/batch", app.address))
            .bearer_auth(&partner)
            .header("Idempotency-Key", "concurrent-1")
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let replayed = response.headers().contains_key("idempotent-replayed");
            (status, replayed, response.json::<Value>().await.unwrap())
        }
    });
    let answers = futures_util::future::join_all(sends).await;
    let mut ran = 0;
    for (status, replayed, answer) in &answers {
        match status {
            200 if !replayed => ran += 1,
            200 => assert_eq!(
                answer["items"][0]["status"], "created",
                "a replay of the first answer"
            ),
            409 => assert_eq!(answer["code"], "idempotency_in_progress", "{answer}"),
            other => panic!("{other}: {answer}"),
        }
    }
    assert_eq!(ran, 1, "{answers:?}");
    let people = sql(&app, |conn| {
        diesel::sql_query("SELECT id::text AS value FROM beneficiary WHERE lastname = 'Seulefois'")
            .load::<Text>(conn)
            .unwrap()
            .len()
    })
    .await;
    assert_eq!(people, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbox_cannot_be_pointed_at_another_deployment_or_the_hubs_own_files() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let own = crate::support::inbox_of(world.deployment_a);
    let theirs = crate::support::inbox_of(world.deployment_b);
    let root = crate::support::connector_rules().inbox_root.unwrap();
    let escape = own.path().join("escape");
    std::os::unix::fs::symlink(theirs.path(), &escape).unwrap();
    for dir in [
        theirs.path().to_path_buf(),
        own.path()
            .join("..")
            .join("..")
            .join(world.deployment_b.to_string()),
        root.clone(),
        std::path::PathBuf::from("/etc"),
        std::env::temp_dir(),
        escape,
    ] {
        let (status, problem) = call(
            &app,
            Method::POST,
            manager,
            "/v1/connectors",
            json!({
                "kind": "caf_msa", "name": "CAF", "config": {"inbox_dir": dir},
            }),
        )
        .await;
        assert_eq!(status, 422, "{}: {problem}", dir.display());
        assert_eq!(
            problem["errors"][0]["field"], "config.inbox_dir",
            "{problem}"
        );
    }
    let (status, created) = call(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        json!({
            "kind": "caf_msa", "name": "CAF", "config": {"inbox_dir": own.path()},
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    // Moving it later is checked the same way.
    let path = format!("/v1/connectors/{}", created["id"].as_str().unwrap());
    let (status, _) = call(
        &app,
        Method::PATCH,
        manager,
        &path,
        json!({"config": {"inbox_dir": theirs.path()}}),
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_production_hub_france_travail_is_reached_at_its_real_hosts_only() {
    let database = tokio::task::spawn_blocking(crate::support::TestDatabase::new)
        .await
        .unwrap();
    // The operator's defaults: no inbox root, the real France Travail hosts only.
    let app = crate::support::spawn_app_configured(
        database,
        crate::support::test_auth_settings(),
        Default::default(),
        cdb_hub::sources::operator::ConnectorRules::default(),
    )
    .await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let create = |config: Value| json!({"kind": "france_travail", "name": "FT", "config": config, "secrets": {"client_secret": "s3cret"}});
    for (field, config) in [
        (
            "config.api_base_url",
            json!({"client_id": "PAR_cd93", "api_base_url": "https://evil.example/"}),
        ),
        (
            "config.auth_base_url",
            json!({"client_id": "PAR_cd93", "auth_base_url": "http://127.0.0.1:9/"}),
        ),
        (
            "config.api_base_url",
            json!({"client_id": "PAR_cd93", "api_base_url": "https://api.francetravail.io.evil.example/"}),
        ),
        (
            "config.inbox_dir",
            json!({"client_id": "PAR_cd93", "inbox_dir": "/srv/cdb-inbox"}),
        ),
    ] {
        let (status, problem) = call(
            &app,
            Method::POST,
            manager,
            "/v1/connectors",
            create(config.clone()),
        )
        .await;
        assert_eq!(status, 422, "{config}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let (status, created) = call(&app, Method::POST, manager, "/v1/connectors", create(json!({
        "client_id": "PAR_cd93", "api_base_url": "https://api.francetravail.io", "auth_base_url": "https://entreprise.francetravail.fr",
    })))
    .await;
    assert_eq!(status, 201, "{created}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_hides_sensitive_structures_from_partners_like_the_notebook_does() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let (nb, a, s1) = (world.notebook, world.deployment_a, world.structure_s1);
    let member = world.token("professional_member").to_owned();
    // An event naming the structure, and a plan step written by its professional.
    sql(&app, move |conn| {
        diesel::sql_query(format!(
            "INSERT INTO notebook_event (deployment_id, notebook_id, event_type, event_date, payload) VALUES \
             ('{a}', '{nb}', 'orientation', now(), '{{\"event_label\": \"Rattachement à la structure S1\", \"after\": {{\"structure_id\": \"{s1}\", \"structure\": \"S1\"}}}}')"
        ))
        .execute(conn)
        .unwrap();
        diesel::sql_query(format!("UPDATE structure SET sensitive = true WHERE id = '{s1}'"))
            .execute(conn)
            .unwrap();
    })
    .await;
    let (status, _) = call(
        &app,
        Method::POST,
        &member,
        &format!("/v1/notebooks/{nb}/focuses"),
        json!({"theme": "emploi"}),
    )
    .await;
    assert_eq!(status, 201);
    let path = format!("/v1/notebooks/{nb}/events");
    let (status, seen_by_manager) = call(
        &app,
        Method::GET,
        world.token("manager_a"),
        &path,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let text = seen_by_manager.to_string();
    assert!(
        text.contains(&s1.to_string()),
        "people of the deployment see it: {text}"
    );
    let (status, seen_by_partner) = call(
        &app,
        Method::GET,
        world.token("client_a"),
        &path,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let events = seen_by_partner["items"].as_array().unwrap();
    assert!(!events.is_empty(), "the other events stay");
    let text = seen_by_partner.to_string();
    assert!(
        !text.contains(&s1.to_string()) && !text.contains("structure S1"),
        "{text}"
    );
    assert!(
        events
            .iter()
            .all(|event| event["author_account_id"].is_null()),
        "{text}"
    );
}
