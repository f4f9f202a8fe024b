//! File imports through the API: upload, preview, commit, errors file round trip, re-upload,
//! encodings, who may import, and a commit stopped after a checkpoint then resumed.

use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use cdb_hub::imports::runner::{self, RunLimit, RunState};

use crate::fixture::{client_token, world};
use crate::support::{TestApp, spawn_app};

const HEADER: &str = "Identifiant dans le SI*;Prénom*;Nom*;Date de naissance*;Téléphone;Email;Code postal;Ville;Numéro allocataire CAF/MSA";

/// A name made of letters only, one per number.
fn letters(n: usize) -> String {
    format!("{n:05}")
        .bytes()
        .map(|d| char::from(b'a' + (d - b'0')))
        .collect()
}

/// A beneficiaries file of `count` lines; the lines in `bad` have a date that does not exist.
pub(crate) fn file(count: usize, bad: &[usize], city: &str) -> String {
    let mut text = format!("{HEADER}\r\n");
    for i in 0..count {
        let date = if bad.contains(&i) {
            "31/02/1990".to_owned()
        } else {
            format!("{:02}/{:02}/19{}", 1 + i % 28, 1 + i % 12, 50 + i % 40)
        };
        text.push_str(&format!(
            "IMP-{i:05};Zoé{};Martin{};{date};06 12 34 {:02} {:02};p{i}@example.org;26000;{city};{:07}\r\n",
            letters(i),
            letters(i),
            i % 100,
            (i / 100) % 100,
            1_000_000 + i
        ));
    }
    text
}

/// A multipart body built by hand (the test client has no multipart feature).
pub(crate) fn multipart(
    fields: &[(&str, &str)],
    file_name: &str,
    bytes: &[u8],
) -> (String, Vec<u8>) {
    let boundary = format!("----cdb{}", Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    fields: &[(&str, &str)],
    bytes: &[u8],
) -> (u16, Value, Option<String>) {
    let (content_type, body) = multipart(fields, "beneficiaires.csv", bytes);
    let response = app
        .client
        .post(format!("{}/v1/imports", app.address))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        location,
    )
}

pub(crate) async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Runs the import's job in this process (what the worker does), to its end or limit.
pub(crate) async fn run_job(app: &TestApp, id: Uuid, limit: RunLimit) -> RunState {
    let url = app.database.url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        let files = cdb_hub::postgres::diesel_pool(&url, 2).unwrap();
        runner::run(&mut conn, &files, id, limit, "http://app.test", &mut |_| {}).unwrap()
    })
    .await
    .unwrap()
}

/// Uploads, runs the job to its end, answers the import as read back.
pub(crate) async fn import(app: &TestApp, token: &str, mode: &str, bytes: &[u8]) -> Value {
    let (status, body, location) = upload(
        app,
        token,
        &[("kind", "beneficiaries"), ("mode", mode)],
        bytes,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let id: Uuid = body["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        location.as_deref(),
        Some(format!("/v1/imports/{id}").as_str())
    );
    run_job(app, id, RunLimit::default()).await;
    let (status, body) = get(app, token, &format!("/v1/imports/{id}")).await;
    assert_eq!(status, 200);
    body
}

/// Uploads a beneficiaries file in `mode` and runs its job to its first checkpoint only (a
/// worker stopped there): the import's id.
async fn upload_and_pause(app: &TestApp, token: &str, mode: &str, bytes: &[u8]) -> Uuid {
    let (status, body, _) = upload(
        app,
        token,
        &[("kind", "beneficiaries"), ("mode", mode)],
        bytes,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let id: Uuid = body["id"].as_str().unwrap().parse().unwrap();
    let limit = RunLimit {
        max_chunks: Some(1),
        ..RunLimit::default()
    };
    assert_eq!(run_job(app, id, limit).await, RunState::Paused);
    id
}

/// Commits a previewed import through the API and runs it to its end: the import read back.
async fn commit_previewed(app: &TestApp, token: &str, id: Uuid) -> Value {
    let response = app
        .client
        .post(format!("{}/v1/imports/{id}/commit", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    run_job(app, id, RunLimit::default()).await;
    let (_, committed) = get(app, token, &format!("/v1/imports/{id}")).await;
    assert_eq!(committed["status"], "committed", "{committed}");
    committed
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

pub(crate) fn count(app: &TestApp, sql: &str) -> i64 {
    let mut conn = PgConnection::establish(&app.database.url).unwrap();
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .unwrap()
        .count
}

#[tokio::test]
async fn preview_writes_nothing_then_commit_creates_and_a_change_shows_before_and_after() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let people = count(&app, "SELECT count(*) AS count FROM beneficiary");
    let preview = import(&app, token, "preview", file(3, &[], "Valence").as_bytes()).await;
    assert_eq!(preview["status"], "previewed", "{preview}");
    let (_, lines) = get(
        &app,
        token,
        &format!("/v1/imports/{}/rows", preview["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(preview["counts"]["create"], 3, "{lines}");
    // Nobody was created: no line points to a person.
    assert!(
        lines["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|line| line["status"] == "create" && line["beneficiary_id"].is_null()),
        "{lines}"
    );
    assert_eq!(preview["file"]["encoding"], "utf-8");
    assert_eq!(preview["file"]["delimiter"], ";");
    assert_eq!(
        count(&app, "SELECT count(*) AS count FROM beneficiary"),
        people
    );
    let id = preview["id"].as_str().unwrap();
    let committed = commit_previewed(&app, token, id.parse().unwrap()).await;
    assert_eq!(committed["counts"]["create"], 3);
    assert_eq!(committed["progress"]["rows_done"], 3);
    assert_eq!(
        count(&app, "SELECT count(*) AS count FROM beneficiary"),
        people + 3
    );
    // Committing twice is refused.
    let again = app
        .client
        .post(format!("{}/v1/imports/{id}/commit", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);

    // The same people moved: a preview shows the city before → after and who set it.
    let moved = import(&app, token, "preview", file(3, &[], "Die").as_bytes()).await;
    assert_eq!(moved["counts"]["update"], 3, "{moved}");
    let moved_id = moved["id"].as_str().unwrap();
    let (status, rows) = get(
        &app,
        token,
        &format!("/v1/imports/{moved_id}/rows?status=update&limit=2"),
    )
    .await;
    assert_eq!(status, 200);
    let first = &rows["items"][0];
    assert_eq!(first["line"], 2);
    assert_eq!(first["changes"]["city"]["before"], "Valence", "{first}");
    assert_eq!(first["changes"]["city"]["after"], "Die");
    assert_eq!(first["changes"]["city"]["source"], "departement:import");
    assert_eq!(rows["next_after_line"], 3);
    let (_, rest) = get(
        &app,
        token,
        &format!("/v1/imports/{moved_id}/rows?status=update&after_line=3"),
    )
    .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_after_line"].is_null());
    // The one vocabulary of every list: `cursor` and `next_cursor` lead to the same page.
    let cursor = rows["next_cursor"].as_str().unwrap();
    let (_, same) = get(
        &app,
        token,
        &format!("/v1/imports/{moved_id}/rows?status=update&cursor={cursor}"),
    )
    .await;
    assert_eq!(same["items"], rest["items"]);
    assert!(same["next_cursor"].is_null());
    let (status, both) = get(
        &app,
        token,
        &format!("/v1/imports/{moved_id}/rows?cursor={cursor}&after_line=3"),
    )
    .await;
    assert_eq!(status, 400, "{both}");
}

#[tokio::test]
async fn three_bad_lines_out_of_a_thousand_the_errors_file_corrected_completes_and_a_reupload_changes_nothing()
 {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let original = file(1000, &[10, 500, 999], "Valence");
    let first = import(&app, token, "commit", original.as_bytes()).await;
    assert_eq!(first["status"], "committed", "{first}");
    assert_eq!(first["counts"]["read"], 1000);
    assert_eq!(first["counts"]["create"], 997);
    assert_eq!(first["counts"]["error"], 3);
    let id = first["id"].as_str().unwrap();

    let (_, errors) = get(&app, token, &format!("/v1/imports/{id}/rows?status=error")).await;
    let error = &errors["items"][0];
    assert_eq!(error["line"], 12);
    assert_eq!(error["errors"][0]["column"], "Date de naissance*");
    assert_eq!(error["errors"][0]["value"], "31/02/1990");
    assert_eq!(error["errors"][0]["code"], "nonexistent_date");
    assert!(
        error["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("31/02/1990"),
        "{error}"
    );

    let response = app
        .client
        .get(format!("{}/v1/imports/{id}/errors.csv", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let errors_csv = response.text().await.unwrap();
    let lines: Vec<&str> = errors_csv.lines().collect();
    assert_eq!(lines.len(), 4, "{errors_csv}");
    assert!(
        lines[0].ends_with(";Erreurs;Avertissements;Ligne d'origine"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("IMP-00010;"), "{}", lines[1]);
    assert!(lines[1].contains("Date de naissance*"), "{}", lines[1]);

    // The agent fixes the dates in Excel and uploads the errors file as it is.
    let corrected = errors_csv.replace("31/02/1990", "28/02/1990");
    let second = import(&app, token, "commit", corrected.as_bytes()).await;
    assert_eq!(second["status"], "committed", "{second}");
    assert_eq!(second["counts"]["create"], 3, "{second}");
    assert_eq!(second["counts"]["error"], 0);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM beneficiary WHERE external_id LIKE 'IMP-%'"
        ),
        1000
    );

    // The same file again: nothing changes.
    let again = import(&app, token, "preview", original.as_bytes()).await;
    assert_eq!(again["counts"]["unchanged"], 997, "{again}");
    assert_eq!(again["counts"]["error"], 3);
    assert_eq!(again["counts"]["create"], 0);
    assert_eq!(again["counts"]["update"], 0);
}

#[tokio::test]
async fn a_windows_1252_file_keeps_its_accents() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let text =
        format!("{HEADER};RQTH\r\nW-1;Zoé;Hélène-Maëlle;03/04/1981;;;26000;Saint-Étienne;;Oui\r\n");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(std::str::from_utf8(&bytes).is_err());
    let done = import(&app, token, "commit", &bytes).await;
    assert_eq!(done["status"], "committed", "{done}");
    assert_eq!(done["file"]["encoding"], "windows-1252");
    assert_eq!(done["counts"]["create"], 1);
    // The notebook column is written too.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM notebook n JOIN beneficiary b ON b.id = n.beneficiary_id WHERE b.firstname = 'Zoé' AND n.right_rqth"
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM beneficiary WHERE firstname = 'Zoé' AND lastname = 'Hélène-Maëlle' AND city = 'Saint-Étienne'"
        ),
        1
    );
}

#[tokio::test]
async fn a_missing_required_column_fails_the_import_with_its_reason_and_keeps_the_file() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let done = import(&app, token, "commit", "Prénom;Nom\r\nA;B\r\n".as_bytes()).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert!(
        done["failure"]["reason"]
            .as_str()
            .unwrap()
            .contains("Date de naissance"),
        "{done}"
    );
    assert_eq!(done["file"]["size"], 18);
}

#[tokio::test]
async fn who_may_import() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let csv = file(1, &[], "Valence");
    let fields = [("kind", "beneficiaries"), ("mode", "preview")];
    for caller in [
        "professional_member",
        "admin_structure_s1",
        "orientation_manager_a",
        "beneficiary_self",
        "client_a",
    ] {
        let (status, body, _) = upload(&app, world.token(caller), &fields, csv.as_bytes()).await;
        assert_eq!(status, 403, "{caller}: {body}");
    }
    let (status, _, _) = upload(&app, "nope", &fields, csv.as_bytes()).await;
    assert_eq!(status, 401);
    // A national administrator names the deployment.
    let (status, body, _) = upload(&app, world.token("admin_cdb"), &fields, csv.as_bytes()).await;
    assert_eq!(status, 422, "{body}");
    let a = world.deployment_a.to_string();
    let (status, _, _) = upload(
        &app,
        world.token("admin_cdb"),
        &[("kind", "beneficiaries"), ("deployment", &a)],
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, 202);
    // A partner with imports:write, into its deployment only; it sees its own imports.
    let partner = client_token(
        &app,
        &app.database.url,
        world.deployment_a,
        None,
        "imports:write",
    )
    .await;
    let (status, body, location) = upload(&app, &partner, &fields, csv.as_bytes()).await;
    assert_eq!(status, 202, "{body}");
    let location = location.unwrap();
    assert_eq!(get(&app, &partner, &location).await.0, 200);
    assert_eq!(get(&app, world.token("manager_a"), &location).await.0, 200);
    assert_eq!(get(&app, world.token("manager_b"), &location).await.0, 404);
    assert_eq!(get(&app, world.token("client_b"), &location).await.0, 403);
    let b = world.deployment_b.to_string();
    let (status, _, _) = upload(
        &app,
        &partner,
        &[("kind", "beneficiaries"), ("deployment", &b)],
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, 403);
    // An unknown kind is refused before anything is kept.
    let (status, body, _) = upload(
        &app,
        world.token("manager_a"),
        &[("kind", "contracts")],
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["code"], "validation_failed");
    // Over 50 MiB: 413 as a problem document.
    let huge = vec![b'a'; 50 * 1024 * 1024 + 1];
    let (status, body, _) = upload(&app, world.token("manager_a"), &fields, &huge).await;
    assert_eq!(status, 413);
    assert_eq!(body["code"], "payload_too_large");
}

#[tokio::test]
async fn a_commit_stopped_after_a_checkpoint_resumes_without_losing_or_repeating_a_line() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let csv = file(1200, &[], "Valence");
    // The worker stops after its first checkpoint (as if killed during the second chunk,
    // whose transaction is then rolled back).
    let id = upload_and_pause(&app, token, "commit", csv.as_bytes()).await;
    let (_, paused) = get(&app, token, &format!("/v1/imports/{id}")).await;
    assert_eq!(paused["status"], "committing");
    assert_eq!(paused["progress"]["rows_done"], 500);
    assert_eq!(paused["progress"]["rows_total"], 1200);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM beneficiary WHERE external_id LIKE 'IMP-%'"
        ),
        500
    );
    // Restarted: it resumes at the checkpoint.
    let state = run_job(&app, id, RunLimit::default()).await;
    assert_eq!(
        state,
        RunState::Finished(cdb_hub::domain::states::ImportStatus::Committed)
    );
    let (_, done) = get(&app, token, &format!("/v1/imports/{id}")).await;
    assert_eq!(done["counts"]["create"], 1200, "{done}");
    assert_eq!(done["counts"]["read"], 1200);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM beneficiary WHERE external_id LIKE 'IMP-%'"
        ),
        1200
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) AS count FROM import_row WHERE import_id = '{id}'")
        ),
        1200
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(DISTINCT external_id) AS count FROM beneficiary WHERE external_id LIKE 'IMP-%'"
        ),
        1200
    );
    // The change feed has one creation per person.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM change WHERE kind = 'beneficiary.created' AND source_system = 'departement:import'"
        ),
        1200
    );
    // Running a finished import again does nothing.
    assert_eq!(
        run_job(&app, id, RunLimit::default()).await,
        RunState::Finished(cdb_hub::domain::states::ImportStatus::Committed)
    );
}

#[tokio::test]
async fn the_apalis_worker_runs_an_upload_on_its_own() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let jobs_pool = apalis_postgres::PgPool::connect(&app.database.url)
        .await
        .unwrap();
    let monitor = cdb_hub::jobs::imports::register_on(
        apalis::prelude::Monitor::new(),
        app.database.pool(),
        &jobs_pool,
        "test",
        "http://app.test",
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let workers = tokio::spawn(monitor.run_with_signal(async move {
        let _ = stopped.await;
        Ok(())
    }));
    let (status, body, location) = upload(
        &app,
        token,
        &[("kind", "beneficiaries"), ("mode", "commit")],
        file(20, &[3], "Valence").as_bytes(),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let location = location.unwrap();
    let started = std::time::Instant::now();
    let done = loop {
        let (_, import) = get(&app, token, &location).await;
        if import["status"] == "committed" || import["status"] == "failed" {
            break import;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "not processed: {import}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let _ = stop.send(());
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), workers).await;
    assert_eq!(done["status"], "committed", "{done}");
    assert_eq!(done["counts"]["create"], 19);
    assert_eq!(done["counts"]["error"], 1);
}

#[tokio::test]
async fn an_excel_workbook_imports_from_its_first_sheet() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    // Any column order, 2022 header names.
    for (column, header) in [
        "Nom*",
        "Prénom*",
        "Date de naissance*",
        "Identifiant SI",
        "Courriel",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, column as u16, *header).unwrap();
    }
    sheet.write_string(1, 0, "Nguyễn").unwrap();
    sheet.write_string(1, 1, "Élodie").unwrap();
    // A date Excel keeps as a serial number (14/03/1985).
    sheet.write_number(1, 2, 31_120.0).unwrap();
    sheet.write_string(1, 3, "X-1").unwrap();
    sheet.write_string(1, 4, "elodie@example.org").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let done = import(&app, token, "commit", &bytes).await;
    assert_eq!(done["status"], "committed", "{done}");
    assert_eq!(done["file"]["format"], "xlsx");
    assert_eq!(done["counts"]["create"], 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM beneficiary WHERE lastname = 'Nguyễn' AND date_of_birth = '1985-03-14' AND external_id = 'X-1'"
        ),
        1
    );
}

#[tokio::test]
async fn the_command_line_imports_a_file_and_prints_its_summary() {
    let app = spawn_app().await;
    // The deployment "CD A" of the fixture.
    world(&app).await;
    let path = std::env::temp_dir().join(format!("cdb-import-{}.csv", Uuid::new_v4().simple()));
    std::fs::write(&path, file(30, &[7], "Valence")).unwrap();
    let (url, file_path) = (app.database.url.clone(), path.clone());
    let (preview, said) =
        tokio::task::spawn_blocking(move || cli_import(&url, &file_path, &["--preview"]))
            .await
            .unwrap();
    assert_eq!(preview["import"]["status"], "previewed", "{preview}");
    assert_eq!(preview["import"]["counts"]["create"], 29);
    assert!(said.contains("29 à créer"), "{said}");
    let (url, file_path) = (app.database.url.clone(), path.clone());
    let (commit, _) = tokio::task::spawn_blocking(move || cli_import(&url, &file_path, &[]))
        .await
        .unwrap();
    assert_eq!(commit["import"]["status"], "committed", "{commit}");
    assert_eq!(commit["import"]["counts"]["create"], 29);
    assert_eq!(commit["import"]["counts"]["error"], 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM beneficiary WHERE external_id LIKE 'IMP-%'"
        ),
        29
    );
    let _ = std::fs::remove_file(path);
}

/// Runs `cdb-hub import` on a file, as an operator would; answers the summary and what it said.
fn cli_import(url: &str, path: &std::path::Path, extra: &[&str]) -> (Value, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cdb-hub"))
        .env("DATABASE_URL", url)
        .env("CDB_LOG_LEVEL", "warn")
        .args(["import", "--deployment", "CD A"])
        .args(extra)
        .arg(path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{said}");
    (serde_json::from_slice(&output.stdout).unwrap(), said)
}

#[tokio::test]
async fn a_line_that_would_change_nothing_sees_what_an_earlier_line_changed_of_the_same_person() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let header = "Identifiant dans le SI*;Prénom*;Nom*;Date de naissance*;NIR;Ville";
    let first = format!("{header}\r\nA1;Zoé;Lefèvre;02/01/1980;280012600100116;Valence\r\n");
    let created = import(&app, token, "commit", first.as_bytes()).await;
    assert_eq!(created["counts"]["create"], 1, "{created}");
    // Line 2 is the same person under another SI id (found by the NIR), married since; line 3
    // is the first record again, without the NIR: alone, it would change nothing of her as she
    // was before the file.
    let second = format!(
        "{header}\r\nB9;Zoé;Martin;02/01/1980;280012600100116;Die\r\nA1;Zoé;Lefèvre;02/01/1980;;Valence\r\n"
    );
    let changed = import(&app, token, "commit", second.as_bytes()).await;
    assert_eq!(changed["counts"]["update"], 2, "{changed}");
    let id = changed["id"].as_str().unwrap();
    let (_, rows) = get(&app, token, &format!("/v1/imports/{id}/rows")).await;
    let third = &rows["items"][1];
    assert_eq!(third["line"], 3, "{rows}");
    assert_eq!(third["status"], "update", "{rows}");
    assert_eq!(third["changes"]["lastname"]["before"], "Martin", "{third}");
    assert_eq!(third["changes"]["lastname"]["after"], "Lefèvre");
    // The same file again: line 2 then line 3 change her back and forth, as in file order.
    let again = import(&app, token, "commit", second.as_bytes()).await;
    assert_eq!(again["counts"]["update"], 2, "{again}");
}

/// Lines of a file far apart (chunks apart) about the same person, or about namesakes: the
/// preview sees what the earlier chunks would have done, and counts as the commit does; and a
/// preview stopped in the middle starts again from the top.
#[tokio::test]
async fn the_preview_sees_the_whole_file_and_counts_what_the_commit_does() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let mut text = file(1_100, &[], "Valence");
    // Line 1,102: the person of line 4 (IMP-00002), moved to Die; line 1,103: a namesake of
    // line 6 (same names and birth date, another SI id, no CAF number): a possible match.
    text.push_str(&format!(
        "IMP-00002;Zoé{};Martin{};03/03/1952;06 12 34 02 00;p2@example.org;26150;Die;{:07}\r\n",
        letters(2),
        letters(2),
        1_000_002
    ));
    text.push_str(&format!(
        "AUTRE-4;Zoé{};Martin{};05/05/1954;;;;;\r\n",
        letters(4),
        letters(4)
    ));
    let people = count(&app, "SELECT count(*) AS count FROM beneficiary");
    let matches = count(&app, "SELECT count(*) AS count FROM possible_match");
    // A preview stopped after its first chunk, then run again: it starts from the top.
    let id = upload_and_pause(&app, token, "preview", text.as_bytes()).await;
    run_job(&app, id, RunLimit::default()).await;
    let (_, preview) = get(&app, token, &format!("/v1/imports/{id}")).await;
    assert_eq!(preview["status"], "previewed", "{preview}");
    let expected = serde_json::json!({
        "read": 1_102, "create": 1_100, "update": 1, "unchanged": 0,
        "possible_match": 1, "error": 0, "warning": 0
    });
    assert_eq!(preview["counts"], expected, "{preview}");
    let (_, rows) = get(&app, token, &format!("/v1/imports/{id}/rows?status=update")).await;
    let moved = &rows["items"][0];
    assert_eq!(moved["line"], 1_102, "{rows}");
    assert_eq!(moved["changes"]["city"]["before"], "Valence", "{moved}");
    assert_eq!(moved["changes"]["city"]["after"], "Die", "{moved}");
    // Nothing of the preview stayed.
    assert_eq!(
        count(&app, "SELECT count(*) AS count FROM beneficiary"),
        people
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS count FROM possible_match"),
        matches
    );
    let (_, all) = get(&app, token, &format!("/v1/imports/{id}/rows?limit=1")).await;
    assert_eq!(all["items"][0]["line"], 2, "{all}");
    // The commit counts the same.
    let committed = commit_previewed(&app, token, id).await;
    assert_eq!(committed["counts"], expected, "{committed}");
    assert_eq!(
        count(&app, "SELECT count(*) AS count FROM beneficiary"),
        people + 1_100
    );
}

/// Posts a corrections file into an import.
pub(crate) async fn send_corrections(
    app: &TestApp,
    token: &str,
    id: Uuid,
    bytes: &[u8],
) -> (u16, Value) {
    let (content_type, body) = multipart(&[], "beneficiaires-erreurs.csv", bytes);
    let response = app
        .client
        .post(format!("{}/v1/imports/{id}/corrections", app.address))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_corrected_errors_file_sent_into_the_same_import_makes_every_line_valid_before_the_commit()
 {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let original = file(1000, &[10, 500, 999], "Valence");
    let preview = import(&app, token, "preview", original.as_bytes()).await;
    assert_eq!(preview["status"], "previewed", "{preview}");
    assert_eq!(preview["counts"]["create"], 997);
    assert_eq!(preview["counts"]["error"], 3);
    let id: Uuid = preview["id"].as_str().unwrap().parse().unwrap();

    let response = app
        .client
        .get(format!("{}/v1/imports/{id}/errors.csv", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let errors_csv = response.text().await.unwrap();
    let lines: Vec<&str> = errors_csv.lines().collect();
    assert!(
        lines[0].ends_with(";Erreurs;Avertissements;Ligne d'origine"),
        "{}",
        lines[0]
    );
    assert!(lines[1].ends_with(";12"), "{}", lines[1]);

    // A file that names a line which was not in error is refused whole, line by line.
    let wrong = errors_csv.replacen(";12\r\n", ";13\r\n", 1);
    let (status, refused) = send_corrections(&app, token, id, wrong.as_bytes()).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["errors"][0]["code"], "line_not_to_correct");
    assert_eq!(refused["errors"][0]["line"], 2);
    assert_eq!(refused["errors"][0]["value"], "13");
    // Another deployment's manager does not learn the import exists.
    let (status, _) =
        send_corrections(&app, world.token("manager_b"), id, errors_csv.as_bytes()).await;
    assert_eq!(status, 404);
    // A professional does not import.
    let (status, _) = send_corrections(
        &app,
        world.token("professional_member"),
        id,
        errors_csv.as_bytes(),
    )
    .await;
    assert_eq!(status, 403);

    // The agent fixes the dates and sends the file back into the same import.
    let corrected = errors_csv.replace("31/02/1990", "28/02/1990");
    let (status, body) = send_corrections(&app, token, id, corrected.as_bytes()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "received");
    run_job(&app, id, RunLimit::default()).await;
    let (_, again) = get(&app, token, &format!("/v1/imports/{id}")).await;
    assert_eq!(again["status"], "previewed", "{again}");
    assert_eq!(again["counts"]["read"], 1000);
    assert_eq!(again["counts"]["create"], 1000, "{again}");
    assert_eq!(again["counts"]["error"], 0);
    let (_, line) = get(
        &app,
        token,
        &format!("/v1/imports/{id}/rows?after_line=11&limit=1"),
    )
    .await;
    assert_eq!(line["items"][0]["line"], 12);
    assert_eq!(line["items"][0]["status"], "create");
    // Nothing was written by the previews.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM beneficiary WHERE external_id LIKE 'IMP-%'"
        ),
        0
    );

    let (status, body, _) = {
        let response = app
            .client
            .post(format!("{}/v1/imports/{id}/commit", app.address))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().await.unwrap(),
            (),
        )
    };
    assert_eq!(status, 202, "{body}");
    run_job(&app, id, RunLimit::default()).await;
    let (_, done) = get(&app, token, &format!("/v1/imports/{id}")).await;
    assert_eq!(done["status"], "committed", "{done}");
    assert_eq!(done["counts"]["create"], 1000);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM beneficiary WHERE external_id LIKE 'IMP-%'"
        ),
        1000
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM beneficiary WHERE external_id = 'IMP-00010' AND date_of_birth = '1990-02-28'"
        ),
        1
    );
    // A committed import takes no more corrections.
    let (status, body) = send_corrections(&app, token, id, corrected.as_bytes()).await;
    assert_eq!(status, 409, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_of_imports_shows_what_each_caller_follows_filtered_and_paged() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let (manager_a, manager_b) = (world.token("manager_a"), world.token("manager_b"));
    let committed = import(
        &app,
        manager_a,
        "commit",
        file(5, &[], "Valence").as_bytes(),
    )
    .await;
    let previewed = import(&app, manager_a, "preview", file(5, &[], "Die").as_bytes()).await;
    let in_b = import(
        &app,
        manager_b,
        "commit",
        file(3, &[], "Bobigny").as_bytes(),
    )
    .await;
    let ids = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|item| item["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let id = |import: &Value| import["id"].as_str().unwrap().to_owned();
    let (status, list) = get(&app, manager_a, "/v1/imports").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        ids(&list),
        [id(&previewed), id(&committed)],
        "newest first, A's only"
    );
    let (_, list) = get(&app, manager_b, "/v1/imports").await;
    assert_eq!(ids(&list), [id(&in_b)]);
    let (_, list) = get(&app, world.token("admin_cdb"), "/v1/imports").await;
    assert_eq!(ids(&list).len(), 3);
    for caller in ["professional_member", "beneficiary_self", "client_a"] {
        let (status, body) = get(&app, world.token(caller), "/v1/imports").await;
        assert_eq!(status, 403, "{caller}: {body}");
    }
    // Filters.
    let (_, list) = get(&app, manager_a, "/v1/imports?status=committed").await;
    assert_eq!(ids(&list), [id(&committed)]);
    let (_, list) = get(&app, manager_a, "/v1/imports?kind=structures").await;
    assert!(ids(&list).is_empty());
    let (_, list) = get(
        &app,
        manager_a,
        "/v1/imports?kind=beneficiaries&status=previewed",
    )
    .await;
    assert_eq!(ids(&list), [id(&previewed)]);
    let later = (chrono::Utc::now() + chrono::Duration::minutes(5)).to_rfc3339();
    let (_, list) = get(
        &app,
        manager_a,
        &format!("/v1/imports?since={}", later.replace('+', "%2B")),
    )
    .await;
    assert!(ids(&list).is_empty(), "{list}");
    let (status, problem) = get(&app, manager_a, "/v1/imports?status=done").await;
    assert_eq!(status, 400);
    assert!(
        problem["detail"].as_str().unwrap().contains("status"),
        "{problem}"
    );
    // Pages.
    let (_, first) = get(&app, manager_a, "/v1/imports?limit=1").await;
    assert_eq!(ids(&first), [id(&previewed)]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = get(
        &app,
        manager_a,
        &format!("/v1/imports?limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(ids(&second), [id(&committed)]);
    assert_eq!(second["next_cursor"], Value::Null);
}
