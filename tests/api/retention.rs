//! The data lifecycle's retention, with the clock moved by the sweep's `as_of`: a person inactive
//! past the deployment's retention is announced to the managers a month ahead, then purged on
//! the day (their journal with them, the proof and a tombstone remaining); a postponed person
//! and a person active again are kept; files and raw payloads past their retention are deleted,
//! large objects included, their imports' counts remaining.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use cdb_hub::lifecycle::retention::{SweepReport, sweep};

use crate::fixture::world;
use crate::imports::{count, file, get, import};
use crate::support::{TestApp, spawn_app};

fn exec(conn: &mut PgConnection, sql: &str) {
    diesel::sql_query(sql)
        .execute(conn)
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
}

/// Runs the nightly sweep as if it were `days` days from now.
async fn sweep_in(app: &TestApp, days: i64) -> SweepReport {
    let url = app.database.url.clone();
    let as_of: DateTime<Utc> = Utc::now() + Duration::days(days);
    tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        sweep(&mut conn, as_of).unwrap()
    })
    .await
    .unwrap()
}

fn day_in(days: i64) -> String {
    (Utc::now() + Duration::days(days))
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

async fn due(app: &TestApp, token: &str, before_days: i64) -> (u16, Value) {
    get(
        app,
        token,
        &format!("/v1/retention/due?before={}", day_in(before_days)),
    )
    .await
}

#[derive(QueryableByName)]
struct Mail {
    #[diesel(sql_type = diesel::sql_types::Text)]
    recipient: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    body: String,
}

fn retention_mails(app: &TestApp) -> Vec<Mail> {
    let mut conn = PgConnection::establish(&app.database.url).unwrap();
    diesel::sql_query(
        "SELECT recipient, body FROM email_outbox WHERE subject LIKE 'Personnes dont les données%' ORDER BY recipient",
    )
    .load(&mut conn)
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inactive_person_is_announced_a_month_ahead_then_purged_and_the_postponed_and_active_are_kept()
 {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let (sophie, jean) = (world.beneficiary, world.other_beneficiary);
    let a = world.deployment_a;

    // A third person, whose plan changes in 715 days (an activity the clock will reach).
    let paul = Uuid::new_v4();
    let paul_notebook = Uuid::new_v4();
    {
        let mut conn = PgConnection::establish(&app.database.url).unwrap();
        exec(
            &mut conn,
            &format!(
                "INSERT INTO beneficiary (id, deployment_id, firstname, lastname, date_of_birth) VALUES ('{paul}', '{a}', 'Paul', 'Actif', '1990-01-02')"
            ),
        );
        exec(
            &mut conn,
            &format!(
                "INSERT INTO notebook (id, deployment_id, beneficiary_id) VALUES ('{paul_notebook}', '{a}', '{paul}')"
            ),
        );
    }

    // Sophie's journal has an entry; a partner's read.
    let (status, _) = get(&app, manager, &format!("/v1/beneficiaries/{sophie}")).await;
    assert_eq!(status, 200);
    assert!(
        count(
            &app,
            &format!("SELECT count(*) AS count FROM access_log WHERE beneficiary_id = '{sophie}'")
        ) > 0
    );

    // Jean is postponed, with a reason.
    let response = app
        .client
        .post(format!(
            "{}/v1/beneficiaries/{jean}/retention-postponements",
            app.address
        ))
        .bearer_auth(manager)
        .json(&json!({"until": day_in(1000), "reason": "Accompagnement en cours, reprise prévue"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let postponed: Value = response.json().await.unwrap();
    assert_eq!(postponed["until"], day_in(1000));

    // Nobody is due within a month of today.
    let (status, list) = due(&app, manager, 30).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"], json!([]));

    // 700 days on: Sophie and Paul are due within the month and announced to the managers of
    // their deployment only; Jean is not (postponed).
    let report = sweep_in(&app, 700).await;
    assert!(report.ran);
    let of_a = report
        .deployments
        .iter()
        .find(|d| d.deployment_id == a)
        .unwrap();
    assert_eq!((of_a.noticed, of_a.purged), (2, 0), "{report:?}");
    let mails = retention_mails(&app);
    assert_eq!(mails.len(), 1, "one e-mail, to manager A");
    assert_eq!(mails[0].recipient, "manager.a@example.org");
    assert!(mails[0].body.contains("2 personne(s)"), "{}", mails[0].body);
    assert!(
        mails[0].body.contains(&format!(
            "le {} : 2 personne(s)",
            (Utc::now() + Duration::days(730)).format("%d/%m/%Y")
        )),
        "{}",
        mails[0].body
    );
    // The e-mail names nobody: the list is read in the hub.
    for name in [
        "Sophie", "TIFOUR", "Tifour", "Paul", "Actif", "ACTIF", "1985",
    ] {
        assert!(!mails[0].body.contains(name), "{name}: {}", mails[0].body);
    }
    // The same night again announces nobody twice.
    let again = sweep_in(&app, 700).await;
    assert_eq!(
        again.deployments.iter().map(|d| d.noticed).sum::<usize>(),
        0
    );
    assert_eq!(retention_mails(&app).len(), 1);

    // The list says who is due and when; with a later day, the postponed person and the reason.
    let (_, list) = due(&app, manager, 731).await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["beneficiary_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{list}");
    assert!(ids.contains(&sophie.to_string().as_str()));
    let sophie_due = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["beneficiary_id"] == sophie.to_string())
        .unwrap();
    assert_eq!(sophie_due["due_on"], day_in(730), "{sophie_due}");
    assert_eq!(sophie_due["purge_on"], day_in(730));
    assert!(sophie_due["noticed_at"].is_string());
    let (_, later) = due(&app, manager, 1001).await;
    let jean_due = later["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["beneficiary_id"] == jean.to_string())
        .unwrap_or_else(|| panic!("{later}"));
    assert_eq!(jean_due["postponed_until"], day_in(1000));
    assert_eq!(
        jean_due["postponement_reason"],
        "Accompagnement en cours, reprise prévue"
    );
    assert_eq!(jean_due["purge_on"], Value::Null, "not announced yet");

    // Paul's plan changes on day 715: he is active again.
    {
        let mut conn = PgConnection::establish(&app.database.url).unwrap();
        exec(
            &mut conn,
            &format!(
                "INSERT INTO notebook_focus (deployment_id, notebook_id, theme, created_at, updated_at) \
             VALUES ('{a}', '{paul_notebook}', 'emploi', now() + interval '715 days', now() + interval '715 days')"
            ),
        );
    }

    // The day before: nobody purged; Paul's notice is withdrawn.
    let report = sweep_in(&app, 729).await;
    let of_a = report
        .deployments
        .iter()
        .find(|d| d.deployment_id == a)
        .unwrap();
    assert_eq!((of_a.purged, of_a.withdrawn), (0, 1), "{report:?}");

    // On the day: Sophie is purged, with her journal; the proof remains, without an account.
    let report = sweep_in(&app, 730).await;
    let of_a = report
        .deployments
        .iter()
        .find(|d| d.deployment_id == a)
        .unwrap();
    assert_eq!(of_a.purged, 1, "{report:?}");
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) AS count FROM beneficiary WHERE id = '{sophie}'")
        ),
        0
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) AS count FROM access_log WHERE beneficiary_id = '{sophie}'")
        ),
        0
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM purge_proof WHERE beneficiary_id = '{sophie}' AND purged_by = 'retention' \
         AND purged_by_account_id IS NULL AND reason LIKE 'Durée de conservation échue%' AND (deleted_rows->>'access_log')::int > 0"
            )
        ),
        1
    );
    // Jean and Paul remain.
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) AS count FROM beneficiary WHERE id IN ('{jean}', '{paul}')")
        ),
        2
    );
    // The tombstone is in the change feed for the deployment's partners.
    let (status, feed) = get(&app, world.token("client_a"), "/v1/changes?limit=200").await;
    assert_eq!(status, 200, "{feed}");
    assert!(
        feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|change| change["kind"] == "beneficiary.purged"
                && change["beneficiary_id"] == sophie.to_string()),
        "{feed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_sets_retention_and_who_sees_who_is_due() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let (a, b) = (world.deployment_a, world.deployment_b);
    let settings = json!({"person_inactivity_days": 1095, "file_days": 30});
    let put = |token: &str, deployment: Uuid, body: Value| {
        app.client
            .put(format!(
                "{}/v1/deployments/{deployment}/retention",
                app.address
            ))
            .bearer_auth(token.to_owned())
            .json(&body)
            .send()
    };
    for (caller, deployment, expected) in [
        ("manager_a", a, 200),
        ("manager_a", b, 404),
        ("manager_b", a, 404),
        ("admin_cdb", b, 200),
        ("orientation_manager_a", a, 403),
        ("admin_structure_s1", a, 403),
        ("professional_member", a, 403),
        ("beneficiary_self", a, 403),
        ("client_a", a, 403),
    ] {
        let response = put(world.token(caller), deployment, settings.clone())
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            expected,
            "{caller} on {deployment}"
        );
        let (status, _) = get(
            &app,
            world.token(caller),
            &format!("/v1/deployments/{deployment}/retention"),
        )
        .await;
        assert_eq!(status, expected, "read by {caller}");
    }
    let (_, read) = get(
        &app,
        world.token("manager_a"),
        &format!("/v1/deployments/{a}/retention"),
    )
    .await;
    assert_eq!(read["person_inactivity_days"], 1095);
    assert_eq!(read["file_days"], 30);
    assert_eq!(read["notice_days"], 30);
    let unknown = Uuid::new_v4();
    let (status, _) = get(
        &app,
        world.token("admin_cdb"),
        &format!("/v1/deployments/{unknown}/retention"),
    )
    .await;
    assert_eq!(status, 404);
    // Out of bounds: a specific 422.
    let response = put(
        world.token("manager_a"),
        a,
        json!({"person_inactivity_days": 30, "file_days": 30}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("person_inactivity_days"),
        "{problem}"
    );

    // The due list: a manager their own deployment; an administrator names it.
    for (caller, path, expected) in [
        ("manager_a", "/v1/retention/due".to_owned(), 200),
        (
            "manager_a",
            format!("/v1/retention/due?deployment={b}"),
            404,
        ),
        ("admin_cdb", "/v1/retention/due".to_owned(), 400),
        (
            "admin_cdb",
            format!("/v1/retention/due?deployment={b}"),
            200,
        ),
        ("professional_member", "/v1/retention/due".to_owned(), 403),
        ("client_a", "/v1/retention/due".to_owned(), 403),
    ] {
        let (status, body) = get(&app, world.token(caller), &path).await;
        assert_eq!(status, expected, "{caller} {path}: {body}");
    }

    // Postponing: the deployment's manager; others are refused or do not see the person.
    let person = world.beneficiary;
    let body = json!({"until": day_in(400), "reason": "Suivi en cours"});
    for (caller, expected) in [
        ("manager_b", 404),
        ("professional_member", 403),
        ("client_a", 403),
        ("manager_a", 201),
    ] {
        let response = app
            .client
            .post(format!(
                "{}/v1/beneficiaries/{person}/retention-postponements",
                app.address
            ))
            .bearer_auth(world.token(caller))
            .header("X-Purpose", "conservation")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), expected, "{caller}");
    }
    for bad in [
        json!({"until": day_in(0), "reason": "x"}),
        json!({"until": day_in(2000), "reason": "x"}),
        json!({"until": day_in(10), "reason": "  "}),
    ] {
        let response = app
            .client
            .post(format!(
                "{}/v1/beneficiaries/{person}/retention-postponements",
                app.address
            ))
            .bearer_auth(world.token("manager_a"))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_past_their_retention_are_deleted_with_their_large_objects_and_their_counts_remain() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let imported = import(&app, token, "commit", file(20, &[3], "Valence").as_bytes()).await;
    assert_eq!(imported["status"], "committed", "{imported}");
    let id = imported["id"].as_str().unwrap().to_owned();
    let objects =
        |app: &TestApp| count(app, "SELECT count(*) AS count FROM pg_largeobject_metadata");
    assert!(objects(&app) >= 1);
    let people = count(&app, "SELECT count(*) AS count FROM beneficiary");
    let (status, _) = get(&app, token, &format!("/v1/imports/{id}/errors.csv")).await;
    assert_eq!(status, 200);

    // A CAF/MSA flux kept in a large object, a France Travail extract's rows, and a person's
    // raw payload in two versions, all received today.
    let a = world.deployment_a;
    let person = world.beneficiary;
    {
        let mut conn = PgConnection::establish(&app.database.url).unwrap();
        let instance = Uuid::new_v4();
        exec(
            &mut conn,
            &format!(
                "INSERT INTO connector_instance (id, deployment_id, kind, name) VALUES ('{instance}', '{a}', 'caf_msa', 'CAF 26')"
            ),
        );
        exec(
            &mut conn,
            &format!(
                "INSERT INTO connector_file (instance_id, deployment_id, file_name, content_oid, sha256, size_bytes, status, applied_at, report) \
             VALUES ('{instance}', '{a}', 'flux.xml', lo_from_bytea(0, 'NIR 1850375123456'), repeat('b', 64), 17, 'applied', now(), \
             '{{\"households\": 1, \"unknown_people\": [{{\"nom\": \"TIFOUR\"}}]}}')"
            ),
        );
        exec(
            &mut conn,
            &format!(
                "INSERT INTO connector_row (instance_id, hash, file_id, line, raw, beneficiary_id) \
             SELECT '{instance}', sha256('row'), id, 2, 'TIFOUR;Sophie;1850375123456', '{person}' FROM connector_file WHERE instance_id = '{instance}'"
            ),
        );
        exec(
            &mut conn,
            &format!(
                "INSERT INTO external_data (deployment_id, source, source_record_id, beneficiary_id, data, content_hash, version) VALUES \
             ('{a}', 'cafmsa', 'CAF-1', '{person}', '{{\"v\": 1}}', repeat('1', 64), 1), \
             ('{a}', 'cafmsa', 'CAF-1', '{person}', '{{\"v\": 2}}', repeat('2', 64), 2)"
            ),
        );
    }
    let before = objects(&app);

    // 89 days on: kept.
    let report = sweep_in(&app, 89).await;
    assert_eq!(
        report
            .deployments
            .iter()
            .map(|d| d.files.imports)
            .sum::<usize>(),
        0
    );
    // 91 days on: the file is gone, large object included; the counts and outcomes stay.
    let report = sweep_in(&app, 91).await;
    let of_a = report
        .deployments
        .iter()
        .find(|d| d.deployment_id == a)
        .unwrap();
    assert_eq!(
        (
            of_a.files.imports,
            of_a.files.connector_files,
            of_a.files.extract_rows,
            of_a.files.payload_versions
        ),
        (1, 1, 1, 1),
        "{report:?}"
    );
    assert_eq!(
        objects(&app),
        before - 2,
        "the import's and the flux's large objects"
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM connector_file WHERE deployment_id = '{a}' AND content IS NULL \
         AND content_oid IS NULL AND content_expired_at IS NOT NULL AND report = '{{\"households\": 1}}'"
            )
        ),
        1,
        "the flux's content and its list of unknown people are gone, its counts stay"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM connector_row WHERE raw IS NULL AND hash = sha256('row')"
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM external_data WHERE beneficiary_id = '{person}' AND version = 2"
            )
        ),
        1,
        "the current payload is the person's, kept with them"
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM external_data WHERE beneficiary_id = '{person}'"
            )
        ),
        1
    );
    let (status, after) = get(&app, token, &format!("/v1/imports/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(after["counts"], imported["counts"]);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM import_row WHERE import_id = '{id}' AND (cells IS NOT NULL OR changes IS NOT NULL)"
            )
        ),
        0
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM import_row WHERE import_id = '{id}' AND status = 'error' AND errors::text NOT LIKE '%\"value\": \"\"%'"
            )
        ),
        0,
        "no value of the file is left in the errors"
    );
    let response = app
        .client
        .get(format!("{}/v1/imports/{id}/errors.csv", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 410);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "gone");
    // The people the file created are not files: they stay.
    assert_eq!(
        count(&app, "SELECT count(*) AS count FROM beneficiary"),
        people
    );
}

/// Runs `cdb-hub retention sweep` as an operator would; answers what it printed.
fn cli_sweep(url: &str, as_of: &str) -> Value {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cdb-hub"))
        .env("DATABASE_URL", url)
        .env("CDB_LOG_LEVEL", "warn")
        .args(["retention", "sweep", "--as-of", as_of])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_sweeps_once_at_a_time_across_processes_and_never_ahead_of_time() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let url = app.database.url.clone();
    // Deployment A's two people were created 720 days ago and did nothing since.
    {
        let mut conn = PgConnection::establish(&url).unwrap();
        exec(
            &mut conn,
            &format!(
                "UPDATE beneficiary SET created_at = now() - interval '720 days' WHERE deployment_id = '{}'",
                world.deployment_a
            ),
        );
        exec(
            &mut conn,
            &format!(
                "UPDATE notebook SET created_at = now() - interval '720 days' WHERE deployment_id = '{}'",
                world.deployment_a
            ),
        );
    }
    // A future day is refused: it would purge people before theirs.
    let future = (Utc::now() + Duration::days(30)).to_rfc3339();
    let u = url.clone();
    let refused = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_cdb-hub"))
            .env("DATABASE_URL", &u)
            .env("CDB_LOG_LEVEL", "warn")
            .args(["retention", "sweep", "--as-of", &future])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("future day"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let now = Utc::now().to_rfc3339();
    // Another process holds the sweep's lock: this one does nothing.
    let mut holder = PgConnection::establish(&url).unwrap();
    exec(
        &mut holder,
        "SELECT pg_advisory_lock(x'006364625f726574'::bigint)",
    );
    let (u, at) = (url.clone(), now.clone());
    let skipped = tokio::task::spawn_blocking(move || cli_sweep(&u, &at))
        .await
        .unwrap();
    assert_eq!(skipped["ran"], false, "{skipped}");
    assert!(retention_mails(&app).is_empty());
    exec(&mut holder, "SELECT pg_advisory_unlock_all()");
    // Released: the sweep runs and announces the two inactive people of deployment A.
    let (u, at) = (url.clone(), now.clone());
    let ran = tokio::task::spawn_blocking(move || cli_sweep(&u, &at))
        .await
        .unwrap();
    assert_eq!(ran["ran"], true, "{ran}");
    let of_a = ran["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["deployment_id"] == world.deployment_a.to_string())
        .unwrap();
    assert_eq!(of_a["noticed"], 2, "{ran}");
    assert_eq!(retention_mails(&app).len(), 1);
}
