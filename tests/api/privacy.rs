//! Personal data rights: the export of everything held about a person, who may export and
//! purge, and the purge itself (every row gone, the proof without personal data, the journal
//! kept, a tombstone in the change feed).

use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixture::{World, world};
use crate::support::{TestApp, spawn_app};

const REASON: &str = "Demande d'effacement RGPD, ticket 4521";

fn exec(conn: &mut PgConnection, sql: &str) {
    diesel::sql_query(sql)
        .execute(conn)
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .unwrap_or_else(|e| panic!("{e}: {sql}"))
        .count
}

#[derive(QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    text: String,
}

async fn on_db<T: Send + 'static>(
    app: &TestApp,
    work: impl FnOnce(&mut PgConnection) -> T + Send + 'static,
) -> T {
    let url = app.database.url.clone();
    tokio::task::spawn_blocking(move || work(&mut PgConnection::establish(&url).unwrap()))
        .await
        .unwrap()
}

/// Gives the followed person data in every table: a plan written through the API (with its
/// timeline and changes), and by SQL provenance, a source link, a deleted appointment, a raw
/// CAF payload, a possible match, an orientation request and decision, e-mails sent and unsent.
async fn seed(app: &TestApp, world: &World) {
    let pro = world.token("professional_member");
    let nb = world.notebook;
    let focus: Value = app
        .client
        .post(format!("{}/v1/notebooks/{nb}/focuses", app.address))
        .bearer_auth(pro)
        .json(&json!({"theme": "emploi"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let focus = focus["id"].as_str().unwrap().to_owned();
    let target: Value = app
        .client
        .post(format!(
            "{}/v1/notebooks/{nb}/focuses/{focus}/targets",
            app.address
        ))
        .bearer_auth(pro)
        .json(&json!({"target": "Accéder à l’emploi"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let target = target["id"].as_str().unwrap().to_owned();
    let action = app
        .client
        .post(format!(
            "{}/v1/notebooks/{nb}/targets/{target}/actions",
            app.address
        ))
        .bearer_auth(pro)
        .json(&json!({"action": "Travailler le CV"}))
        .send()
        .await
        .unwrap();
    assert_eq!(action.status(), 201);
    let (a, person, nir) = (world.deployment_a, world.beneficiary, world.nir.clone());
    let system = Uuid::new_v4();
    on_db(app, move |conn| {
        let provenance = r#"{"sources": [{"system": "cafmsa", "record_id": "CAF261-1234567",
            "as_of": "2026-11-01T00:00:00Z", "set_at": "2026-11-02T00:00:00Z"}],
            "fields": {"firstname": 0, "nir": 0}}"#;
        exec(conn, &format!(
            "UPDATE beneficiary SET provenance = '{provenance}' WHERE id = '{person}'"
        ));
        exec(conn, &format!(
            "INSERT INTO beneficiary_source (deployment_id, beneficiary_id, source_system, source_record_id, last_as_of) \
             VALUES ('{a}', '{person}', 'partner:si', 'SI-42', now())"
        ));
        exec(conn, &format!(
            "INSERT INTO notebook_appointment (deployment_id, notebook_id, account_id, date, deleted_at) \
             SELECT '{a}', '{nb}', account_id, now(), now() FROM notebook_member WHERE notebook_id = '{nb}' AND active"
        ));
        exec(conn, &format!(
            "INSERT INTO external_data (deployment_id, source, source_record_id, beneficiary_id, data, content_hash, version) \
             VALUES ('{a}', 'cafmsa', 'CAF261-1234567', '{person}', '{{\"NIR\": \"{nir}\", \"nom\": \"TIFOUR\"}}', repeat('a', 64), 1)"
        ));
        exec(conn, &format!(
            "INSERT INTO possible_match (deployment_id, reason, record, candidate_ids) \
             VALUES ('{a}', 'pivot_conflict', '{{\"lastname\": \"Tifour\"}}', ARRAY['{person}'::uuid])"
        ));
        exec(conn, &format!(
            "INSERT INTO orientation_system (id, deployment_id, name, orientation_type) \
             VALUES ('{system}', '{a}', 'Social', 'social')"
        ));
        exec(conn, &format!(
            "INSERT INTO orientation_request (deployment_id, beneficiary_id, notebook_id, requestor_account_id, requested_orientation_system_id) \
             SELECT '{a}', '{person}', '{nb}', account_id, '{system}' FROM notebook_member WHERE notebook_id = '{nb}' AND active"
        ));
        exec(conn, &format!(
            "INSERT INTO orientation_decision (deployment_id, notebook_id, orientation_system_id) VALUES ('{a}', '{nb}', '{system}')"
        ));
        exec(conn, &format!(
            "INSERT INTO notebook_creation (deployment_id, notebook_id, source) VALUES ('{a}', '{nb}', 'hub_api')"
        ));
        exec(conn, &format!("INSERT INTO email_outbox (recipient, subject, body, sent_at) VALUES \
             ('sophie.tifour@example.org', 'Votre lien de connexion', 'secret link', NULL), \
             ('sophie.tifour@example.org', 'Bienvenue', 'hello', now()), \
             ('member@example.org', 'Invitation', 'Sophie Tifour : http://app/carnet/{nb}', now()), \
             ('jean.autre@example.org', 'Votre lien de connexion', 'other link', NULL)"));
    })
    .await;
}

async fn export(app: &TestApp, token: &str, person: Uuid) -> reqwest::Response {
    app.client
        .get(format!("{}/v1/beneficiaries/{person}/export", app.address))
        .bearer_auth(token)
        .header("X-Purpose", "droit d'accès")
        .send()
        .await
        .unwrap()
}

async fn purge(app: &TestApp, token: &str, person: Uuid, reason: Option<&str>) -> (u16, Value) {
    let mut request = app
        .client
        .delete(format!("{}/v1/beneficiaries/{person}", app.address))
        .bearer_auth(token)
        .header("X-Purpose", "droit à l'effacement");
    if let Some(reason) = reason {
        request = request.query(&[("reason", reason)]);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get_status(app: &TestApp, token: &str, path: &str) -> u16 {
    app.client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .header("X-Purpose", "suivi RSA")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_holds_the_persons_data_provenance_and_journal() {
    let app = spawn_app().await;
    let world = world(&app).await;
    seed(&app, &world).await;
    let person = world.beneficiary;
    // A partner's read, to be found in the journal of the export.
    let read = get_status(
        &app,
        world.token("client_a"),
        &format!("/v1/beneficiaries/{person}"),
    )
    .await;
    assert_eq!(read, 200);
    let response = export(&app, world.token("manager_a"), person).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"beneficiary-{person}.json\"")
    );
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["beneficiary"]["firstname"], "Sophie");
    assert_eq!(document["beneficiary"]["nir"], world.nir.as_str());
    assert_eq!(document["notebook"]["id"], world.notebook.to_string());
    let rows = |table: &str| document[table].as_array().cloned().unwrap_or_default();
    for (table, expected) in [
        ("field_provenance", 2),
        ("beneficiary_source", 1),
        ("beneficiary_structure", 1),
        ("notebook_member", 2),
        ("notebook_focus", 1),
        ("notebook_target", 1),
        ("notebook_action", 1),
        ("notebook_appointment", 1),
        ("notebook_event", 3),
        ("notebook_creation", 1),
        ("orientation_request", 1),
        ("orientation_decision", 1),
        ("external_data", 1),
        ("possible_match", 1),
        ("account", 1),
        ("email_outbox", 2),
    ] {
        assert_eq!(rows(table).len(), expected, "{table}: {document}");
    }
    assert_eq!(document["notebook_situation"], json!([]));
    assert_eq!(document["professional_project"], json!([]));
    assert!(
        rows("field_provenance")
            .iter()
            .any(|p| p["field"] == "firstname" && p["source_system"] == "cafmsa")
    );
    assert!(
        rows("notebook_appointment")[0]["deleted_at"].is_string(),
        "soft-deleted appointments are exported"
    );
    assert!(rows("email_outbox").iter().all(|e| e.get("body").is_none()));
    assert!(
        rows("email_outbox")
            .iter()
            .all(|e| e["recipient"] == "sophie.tifour@example.org")
    );
    let journal = rows("access_log");
    assert!(
        journal.iter().any(|e| e["purpose"] == "suivi RSA"
            && e["actor_kind"] == "api_client"
            && e["resource"] == "GET /v1/beneficiaries/{id}"),
        "{journal:?}"
    );
    assert!(
        journal
            .iter()
            .any(|e| e["resource"] == "GET /v1/beneficiaries/{id}/export"
                && e["purpose"] == "droit d'accès"
                && e["action"] == "read"),
        "the export is journaled: {journal:?}"
    );
    // The person exports their own data.
    let own = export(&app, world.token("beneficiary_self"), person).await;
    assert_eq!(own.status(), 200);
    let own: Value = own.json().await.unwrap();
    assert_eq!(own["beneficiary"]["id"], person.to_string());
    assert_eq!(own["beneficiary"]["nir"], world.nir.as_str());
    assert!(!own.to_string().contains("Jean"), "no one else's data");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_nir_read_the_export_holds_no_nir() {
    let app = spawn_app().await;
    let world = world(&app).await;
    seed(&app, &world).await;
    let created: Value = app
        .client
        .post(format!("{}/v1/me/tokens", app.address))
        .bearer_auth(world.token("manager_a"))
        .json(&json!({"name": "outil RGPD", "scopes": ["beneficiaries:read", "notebooks:read"], "expires_in_days": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    let response = export(&app, &token, world.beneficiary).await;
    assert_eq!(response.status(), 200);
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["beneficiary"]["firstname"], "Sophie");
    assert!(document["beneficiary"].get("nir").is_none());
    assert!(!document.to_string().contains(&world.nir), "{document}");
    assert_eq!(document["field_provenance"].as_array().unwrap().len(), 1);
    assert_eq!(document["external_data"][0]["data"]["nom"], "TIFOUR");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_export_and_who_may_purge() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let person = world.beneficiary;
    for (caller, expected) in [
        ("admin_cdb", 200),
        ("manager_a", 200),
        ("beneficiary_self", 200),
        ("manager_b", 404),
        ("orientation_manager_a", 403),
        ("admin_structure_s1", 403),
        ("admin_structure_s2", 404),
        ("professional_member", 403),
        ("professional_non_member", 404),
        ("professional_other_deployment", 404),
        ("beneficiary_other", 404),
        ("client_a", 403),
        ("client_a_structure_s2", 404),
        ("client_b", 404),
    ] {
        let status = export(&app, world.token(caller), person).await.status();
        assert_eq!(status, expected, "export by {caller}");
    }
    let pat: Value = app
        .client
        .post(format!("{}/v1/me/tokens", app.address))
        .bearer_auth(world.token("manager_a"))
        .json(&json!({"name": "outil", "scopes": ["beneficiaries:read", "beneficiaries:write"], "expires_in_days": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pat = pat["token"].as_str().unwrap().to_owned();
    let mut purgers: Vec<(&str, &str, u16)> = [
        ("beneficiary_self", 403),
        ("professional_member", 403),
        ("orientation_manager_a", 403),
        ("admin_structure_s1", 403),
        // Without beneficiaries:write (a structure administrator, these partners),
        // refused before the person is even looked up.
        ("client_a", 403),
        // Someone else's record is out of a beneficiary's reach.
        ("beneficiary_other", 404),
        ("manager_b", 404),
        ("professional_non_member", 404),
    ]
    .into_iter()
    .map(|(caller, status)| (caller, world.token(caller), status))
    .collect();
    purgers.push(("manager_a's personal access token", &pat, 403));
    for (caller, token, expected) in purgers {
        let (status, body) = purge(&app, token, person, Some(REASON)).await;
        assert_eq!(status, expected, "purge by {caller}: {body}");
    }
    let manager = world.token("manager_a");
    for reason in [None, Some(""), Some("   ")] {
        let (status, body) = purge(&app, manager, person, reason).await;
        assert_eq!(status, 400, "{reason:?}: {body}");
        assert_eq!(body["code"], "invalid_parameter");
    }
    let (status, _) = purge(&app, manager, person, Some(&"x".repeat(501))).await;
    assert_eq!(status, 400);
    // Nothing happened, and the refusals are in the journal.
    assert_eq!(
        get_status(&app, manager, &format!("/v1/beneficiaries/{person}")).await,
        200
    );
    let denied = on_db(&app, move |conn| {
        count(
            conn,
            &format!(
                "SELECT count(*) AS count FROM access_log WHERE beneficiary_id = '{person}' \
                 AND action = 'delete' AND outcome = 'denied'"
            ),
        )
    })
    .await;
    assert_eq!(
        denied, 7,
        "every refused purge that reached the person is journaled"
    );
    // The national administrator purges anyone.
    let (status, body) = purge(
        &app,
        world.token("admin_cdb"),
        world.other_beneficiary,
        Some(REASON),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_removes_every_row_keeps_the_journal_and_leaves_a_proof_and_a_tombstone() {
    let app = spawn_app().await;
    let world = world(&app).await;
    seed(&app, &world).await;
    let person = world.beneficiary;
    let nb = world.notebook;
    let read = get_status(
        &app,
        world.token("client_a"),
        &format!("/v1/beneficiaries/{person}"),
    )
    .await;
    assert_eq!(read, 200);
    let accounts = on_db(&app, move |conn| {
        diesel::sql_query(format!(
            "SELECT id::text AS text FROM account WHERE beneficiary_id = '{person}'"
        ))
        .load::<Text>(conn)
        .unwrap()
        .into_iter()
        .map(|row| row.text)
        .collect::<Vec<_>>()
    })
    .await;
    assert_eq!(accounts.len(), 1);
    let account = accounts[0].clone();
    let journal_before = on_db(&app, move |conn| {
        count(
            conn,
            &format!("SELECT count(*) AS count FROM access_log WHERE beneficiary_id = '{person}'"),
        )
    })
    .await;
    assert!(journal_before > 0);

    let (status, proof) = purge(&app, world.token("manager_a"), person, Some(REASON)).await;
    assert_eq!(status, 200, "{proof}");
    assert!(proof["id"].is_string());
    assert!(proof["purged_at"].is_string());
    assert_eq!(proof["beneficiary_id"], person.to_string());
    assert_eq!(proof["reason"], REASON);
    let deleted = &proof["deleted_rows"];
    for (table, expected) in [
        ("beneficiary", 1),
        ("notebook", 1),
        ("notebook_member", 2),
        ("notebook_focus", 1),
        ("notebook_target", 1),
        ("notebook_action", 1),
        ("notebook_appointment", 1),
        ("notebook_event", 3),
        ("notebook_creation", 1),
        ("orientation_request", 1),
        ("orientation_decision", 1),
        ("beneficiary_source", 1),
        ("beneficiary_structure", 1),
        ("external_data", 1),
        ("possible_match", 1),
        ("account", 1),
        ("account_token", 1),
        ("login_key", 0),
        ("email_outbox", 3),
    ] {
        assert_eq!(deleted[table], expected, "{table}: {proof}");
    }

    // Every row about the person is gone; the other person and the journal are untouched.
    let other = world.other_beneficiary;
    let nir = world.nir.clone();
    let (remaining, kept) = on_db(&app, move |conn| {
        let remaining: Vec<(String, i64)> = [
            format!("SELECT count(*) AS count FROM beneficiary WHERE id = '{person}' OR nir = '{nir}'"),
            format!("SELECT count(*) AS count FROM notebook WHERE id = '{nb}'"),
            format!("SELECT count(*) AS count FROM notebook_member WHERE notebook_id = '{nb}'"),
            format!("SELECT count(*) AS count FROM notebook_focus WHERE notebook_id = '{nb}'"),
            format!("SELECT count(*) AS count FROM notebook_target WHERE notebook_id = '{nb}'"),
            format!("SELECT count(*) AS count FROM notebook_action WHERE notebook_id = '{nb}'"),
            format!("SELECT count(*) AS count FROM notebook_appointment WHERE notebook_id = '{nb}'"),
            format!("SELECT count(*) AS count FROM notebook_event WHERE notebook_id = '{nb}'"),
            format!("SELECT count(*) AS count FROM notebook_creation WHERE notebook_id = '{nb}'"),
            format!("SELECT count(*) AS count FROM orientation_decision WHERE notebook_id = '{nb}'"),
            format!("SELECT count(*) AS count FROM orientation_request WHERE beneficiary_id = '{person}'"),
            format!("SELECT count(*) AS count FROM beneficiary_source WHERE beneficiary_id = '{person}'"),
            format!("SELECT count(*) AS count FROM beneficiary_structure WHERE beneficiary_id = '{person}'"),
            format!("SELECT count(*) AS count FROM external_data WHERE beneficiary_id = '{person}' OR data::text LIKE '%{nir}%'"),
            format!("SELECT count(*) AS count FROM possible_match WHERE '{person}' = ANY (candidate_ids) OR record::text LIKE '%Tifour%'"),
            format!("SELECT count(*) AS count FROM account WHERE id = '{account}' OR beneficiary_id = '{person}'"),
            format!("SELECT count(*) AS count FROM account_token WHERE account_id = '{account}'"),
            format!("SELECT count(*) AS count FROM login_key WHERE account_id = '{account}'"),
            format!("SELECT count(*) AS count FROM email_outbox WHERE recipient = 'sophie.tifour@example.org' OR body LIKE '%{nb}%'"),
        ]
        .into_iter()
        .map(|sql| {
            let n = count(conn, &sql);
            (sql, n)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
        let kept = [
            format!("SELECT count(*) AS count FROM beneficiary WHERE id = '{other}'"),
            format!("SELECT count(*) AS count FROM notebook WHERE beneficiary_id = '{other}'"),
            format!("SELECT count(*) AS count FROM account WHERE beneficiary_id = '{other}'"),
            "SELECT count(*) AS count FROM email_outbox WHERE recipient = 'jean.autre@example.org'".to_owned(),
            format!("SELECT count(*) AS count FROM access_log WHERE beneficiary_id = '{person}' AND action = 'delete' AND outcome = 'allowed'"),
        ]
        .map(|sql| count(conn, &sql));
        (remaining, kept)
    })
    .await;
    assert!(remaining.is_empty(), "rows left: {remaining:?}");
    assert_eq!(
        kept,
        [1, 1, 1, 1, 1],
        "the others' data and the purge's journal entry"
    );
    let journal_after = on_db(&app, move |conn| {
        count(
            conn,
            &format!("SELECT count(*) AS count FROM access_log WHERE beneficiary_id = '{person}'"),
        )
    })
    .await;
    assert_eq!(journal_after, journal_before + 1, "the journal is kept");

    // The proof holds no personal data.
    let proofs = on_db(&app, move |conn| {
        diesel::sql_query(format!(
            "SELECT to_jsonb(p)::text AS text FROM purge_proof p WHERE beneficiary_id = '{person}'"
        ))
        .load::<Text>(conn)
        .unwrap()
        .into_iter()
        .map(|row| row.text)
        .collect::<Vec<_>>()
    })
    .await;
    assert_eq!(proofs.len(), 1);
    for personal in [
        "Sophie",
        "Tifour",
        "TIFOUR",
        &world.nir,
        "sophie.tifour",
        "1985-03-14",
    ] {
        assert!(!proofs[0].contains(personal), "{personal} in {}", proofs[0]);
    }

    // Partners of the deployment see the tombstone, even narrowed to a structure; others do not.
    for (caller, sees) in [
        ("client_a", true),
        ("client_a_structure_s1", true),
        ("client_a_structure_s2", true),
        ("admin_cdb", true),
        ("professional_non_member", true),
        ("client_b", false),
        ("manager_b", false),
        ("beneficiary_other", false),
    ] {
        let feed: Value = app
            .client
            .get(format!("{}/v1/changes?limit=1000", app.address))
            .bearer_auth(world.token(caller))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = feed["items"].as_array().unwrap();
        let tombstones: Vec<_> = items
            .iter()
            .filter(|c| c["kind"] == "beneficiary.purged")
            .collect();
        if sees {
            assert_eq!(tombstones.len(), 1, "{caller}: {feed}");
            assert_eq!(tombstones[0]["beneficiary_id"], person.to_string());
            assert_eq!(tombstones[0]["notebook_id"], nb.to_string());
            assert_eq!(tombstones[0]["fields"], json!([]));
            assert!(
                items.last().unwrap()["kind"] == "beneficiary.purged",
                "the tombstone is the last change: {feed}"
            );
            assert!(
                items.iter().all(|c| c["kind"] == "beneficiary.purged"
                    || c["beneficiary_id"] != person.to_string()),
                "the person's earlier changes are no longer shown: {feed}"
            );
        } else {
            assert!(tombstones.is_empty(), "{caller}: {feed}");
        }
    }

    // The person is gone for everyone, their session too; a second purge finds nobody.
    let manager = world.token("manager_a");
    assert_eq!(
        get_status(&app, manager, &format!("/v1/beneficiaries/{person}")).await,
        404
    );
    assert_eq!(
        get_status(&app, manager, &format!("/v1/notebooks/{nb}")).await,
        404
    );
    assert_eq!(export(&app, manager, person).await.status(), 404);
    assert_eq!(
        get_status(&app, world.token("beneficiary_self"), "/v1/me").await,
        401
    );
    let (status, body) = purge(&app, manager, person, Some(REASON)).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_that_would_break_someone_elses_notebook_deletes_nothing() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let (a, person, other) = (
        world.deployment_a,
        world.beneficiary,
        world.other_beneficiary,
    );
    // The person's account met someone else (an appointment in the other person's notebook).
    on_db(&app, move |conn| {
        exec(
            conn,
            &format!(
                "INSERT INTO notebook_appointment (deployment_id, notebook_id, account_id, date) \
                 SELECT '{a}', n.id, acc.id, now() FROM notebook n, account acc \
                 WHERE n.beneficiary_id = '{other}' AND acc.beneficiary_id = '{person}'"
            ),
        );
    })
    .await;
    let (status, body) = purge(&app, world.token("manager_a"), person, Some(REASON)).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "conflict");
    let left = on_db(&app, move |conn| {
        [
            format!("SELECT count(*) AS count FROM beneficiary WHERE id = '{person}'"),
            format!("SELECT count(*) AS count FROM notebook WHERE beneficiary_id = '{person}'"),
            format!("SELECT count(*) AS count FROM account WHERE beneficiary_id = '{person}'"),
            format!("SELECT count(*) AS count FROM beneficiary_structure WHERE beneficiary_id = '{person}'"),
            format!("SELECT count(*) AS count FROM purge_proof WHERE beneficiary_id = '{person}'"),
            "SELECT count(*) AS count FROM change WHERE kind = 'beneficiary.purged'".to_owned(),
        ]
        .map(|sql| count(conn, &sql))
    })
    .await;
    assert_eq!(left, [1, 1, 1, 1, 0, 0], "the transaction rolled back");
    assert_eq!(
        get_status(&app, world.token("beneficiary_self"), "/v1/me").await,
        200
    );
}

/// Tables that may keep a purged person's id, and why: the proof itself, the change feed's
/// tombstone and its webhook deliveries (partners must learn to delete their copy; ids and field
/// names only), and the access journal (who read or wrote the person, kept for
/// accountability; ids only). None of them may hold a personal value.
const KEEP_IDS_ONLY: &[&str] = &["purge_proof", "change", "webhook_delivery", "access_log"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purged_person_is_found_in_no_table_of_the_catalog() {
    let app = spawn_app().await;
    let world = world(&app).await;
    seed(&app, &world).await;
    let person = world.beneficiary;
    // The person also went through a file import, an idempotent partner batch and a login.
    let csv = format!(
        "Identifiant dans le SI*;Prénom*;Nom*;Date de naissance*;Téléphone;Email;Code postal;Ville\r\n\
         SI-{person};Sophie;Tifour;14/03/1985;06 11 22 33 44;sophie.tifour@example.org;75001;Paris\r\n"
    );
    let manager = world.token("manager_a");
    let (status, body, _) = crate::imports::upload(
        &app,
        manager,
        &[("kind", "beneficiaries"), ("mode", "commit")],
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let import: Uuid = body["id"].as_str().unwrap().parse().unwrap();
    crate::imports::run_job(&app, import, Default::default()).await;
    let url = app.database.url.clone();
    let partner = crate::fixture::client_token(
        &app,
        &url,
        world.deployment_a,
        None,
        "beneficiaries:read beneficiaries:write",
    )
    .await;
    let response = app
        .client
        .post(format!("{}/v1/beneficiaries/batch", app.address))
        .bearer_auth(&partner)
        .header("Idempotency-Key", "purge-scan-1")
        .json(&json!({"items": [{"source_id": "P-1", "nir": world.nir, "firstname": "Sophie", "lastname": "Tifour", "city": "Lyon"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["items"][0]["status"], "updated", "{answer}");
    let (status, _) = purge(&app, manager, person, Some(REASON)).await;
    assert_eq!(status, 200);

    // Every base table of the database, from the catalog: a table added later is scanned too.
    let nb = world.notebook;
    let nir = world.nir.clone();
    let leftovers = on_db(&app, move |conn| {
        #[derive(QueryableByName)]
        struct Table {
            #[diesel(sql_type = diesel::sql_types::Text)]
            name: String,
        }
        let tables: Vec<Table> = diesel::sql_query(
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name \
             FROM information_schema.tables WHERE table_type = 'BASE TABLE' \
             AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
        )
        .load(conn)
        .unwrap();
        assert!(tables.len() > 40, "the catalog lists the tables");
        let ids = [person.to_string(), nb.to_string()];
        let personal = [nir.clone(), "Tifour".into(), "TIFOUR".into(), "sophie.tifour".into()];
        let mut leftovers = Vec::new();
        for table in tables {
            let bare = table.name.rsplit('.').next().unwrap_or_default().to_owned();
            let needles: Vec<&String> = if KEEP_IDS_ONLY.contains(&bare.as_str()) {
                personal.iter().collect()
            } else {
                ids.iter().chain(personal.iter()).collect()
            };
            for needle in needles {
                let found = count(
                    conn,
                    &format!(
                        "SELECT count(*) AS count FROM {} t WHERE to_jsonb(t)::text LIKE '%{needle}%'",
                        table.name
                    ),
                );
                if found > 0 {
                    leftovers.push(format!("{}: {found} row(s) with {needle}", table.name));
                }
            }
        }
        leftovers
    })
    .await;
    assert!(leftovers.is_empty(), "the purge left: {leftovers:#?}");
}
