//! Two successive monthly CAF/MSA fluxes for the same household, received out of order: they
//! are applied in the order of their creation, the right moves from open to closed, and the
//! provenance and the timeline are dated by each flux.

use cdb_caf_msa::generate::{SyntheticFlux, synthetic_households, write_flux};
use chrono::NaiveDate;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::connectors::upload;
use crate::fixture::world;
use crate::support::{send, spawn_app};

#[derive(QueryableByName)]
struct Event {
    #[diesel(sql_type = diesel::sql_types::Text)]
    day: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    payload: String,
}

fn flux(created_on: NaiveDate, household: &cdb_caf_msa::generate::SyntheticHousehold) -> Vec<u8> {
    let mut out = Vec::new();
    write_flux(
        &mut out,
        &SyntheticFlux::monthly(created_on),
        [household.clone()],
    )
    .unwrap();
    out
}

/// A CAF/MSA instance of the manager's deployment: its id.
async fn caf_instance(app: &crate::support::TestApp, manager: &str) -> String {
    let (status, created, _) = send(
        app,
        Method::POST,
        manager,
        "/v1/connectors",
        json!({"kind": "caf_msa", "name": "CAF mensuel"}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

/// Runs every connector run that is due, as the worker would.
async fn apply_due_runs(app: &crate::support::TestApp) {
    let pool = app.database.pool();
    for run in crate::support::due_runs(&pool) {
        crate::support::execute_run(&pool, run).await;
    }
}

/// A household whose RSA right is open (ETATDOSRSA 2), with no refusal, closure or suspension.
fn open_household(seed: u64) -> cdb_caf_msa::generate::SyntheticHousehold {
    let mut open = synthetic_households(1, seed).next().unwrap();
    open.state = "2".into();
    open.refusal = None;
    open.closure = None;
    open.earlier_closure = None;
    open.right_suspensions.clear();
    open.payment_suspensions.clear();
    open
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_monthly_fluxes_close_a_right_in_their_order_with_the_flux_dates() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let open = open_household(11);
    let applicant = open.persons[0].clone();
    let nir = applicant.nir.clone().expect("the applicant has a NIR");
    let mut closed = open.clone();
    closed.state = "5".into();
    // The person is known to the deployment.
    let person = Uuid::new_v4();
    let mut conn = app.database.connect();
    tokio::task::block_in_place(|| {
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            &format!(
                "INSERT INTO beneficiary (id, deployment_id, firstname, lastname, date_of_birth, nir) VALUES \
                 ('{person}', '{a}', '{}', '{}', '{}', '{}'); \
                 INSERT INTO notebook (deployment_id, beneficiary_id) VALUES ('{a}', '{person}')",
                applicant.first_name.replace('\'', "''"),
                applicant.last_name.replace('\'', "''"),
                applicant.birth_date,
                &nir[..13],
                a = world.deployment_a
            ),
        )
        .unwrap()
    });
    let instance = caf_instance(&app, manager).await;
    let march = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
    let april = NaiveDate::from_ymd_opt(2024, 4, 5).unwrap();
    // April's file arrives first.
    for body in [flux(april, &closed), flux(march, &open)] {
        let (status, file) = upload(&app, manager, &instance, body).await;
        assert_eq!(status, 202, "{file}");
    }
    apply_due_runs(&app).await;
    let (_, files, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}/files"),
        Value::Null,
        None,
    )
    .await;
    assert!(
        files["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "applied"),
        "{files}"
    );

    // Closed, by April's flux.
    let (_, shown, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/beneficiaries/{person}?include=provenance"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(shown["rights"]["rsa"], "rsa_clos", "{shown}");
    assert_eq!(shown["provenance"]["right_rsa"]["source_system"], "cafmsa");
    assert!(
        shown["provenance"]["right_rsa"]["as_of"]
            .as_str()
            .unwrap()
            .starts_with("2024-04-0"),
        "dated by the April flux: {shown}"
    );
    // The timeline has March's opening then April's closure, each dated by its flux.
    let events: Vec<Event> = tokio::task::block_in_place(|| {
        diesel::sql_query(format!(
            "SELECT to_char(e.event_date AT TIME ZONE 'Europe/Paris', 'YYYY-MM-DD') AS day, e.payload::text AS payload \
             FROM notebook_event e JOIN notebook n ON n.id = e.notebook_id \
             WHERE n.beneficiary_id = '{person}' AND e.payload::text LIKE '%rsa_%' ORDER BY e.event_date"
        ))
        .load(&mut conn)
        .unwrap()
    });
    let days: Vec<&str> = events.iter().map(|e| e.day.as_str()).collect();
    assert_eq!(
        days,
        ["2024-03-05", "2024-04-05"],
        "{:?}",
        events.iter().map(|e| &e.payload).collect::<Vec<_>>()
    );
    assert!(events[0].payload.contains("rsa_droit_ouvert_versable"));
    assert!(events[1].payload.contains("rsa_clos"));
}

/// One CAF/MSA matricule, one household: a template line that writes the number in the flux's
/// 15-digit form (`012345600000000`) and the flux itself meet the same person, because every
/// path reads the number with the one parser (`0123456`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_line_and_a_flux_with_one_matricule_meet_the_same_person() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let mut household = open_household(29);
    household.matricule = "012345600000000".into();
    household.persons.truncate(1);
    household.persons[0].role = "DEM".into();
    let applicant = household.persons[0].clone();
    // The département's file: no NIR, the number as the flux writes it.
    let file = format!(
        "Identifiant dans le SI*;Prénom*;Nom*;Date de naissance*;Numéro allocataire CAF/MSA\r\n\
         SI-1;{};{};{};012345600000000\r\n",
        applicant.first_name.trim(),
        applicant.last_name.trim(),
        applicant.birth_date.format("%d/%m/%Y"),
    );
    let (status, body, _) = crate::imports::upload(
        &app,
        manager,
        &[("kind", "beneficiaries"), ("mode", "commit")],
        file.as_bytes(),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let import: Uuid = body["id"].as_str().unwrap().parse().unwrap();
    crate::imports::run_job(&app, import, cdb_hub::imports::runner::RunLimit::default()).await;
    let (_, rows) = crate::imports::get(&app, manager, &format!("/v1/imports/{import}/rows")).await;
    assert_eq!(rows["items"][0]["status"], "create", "{rows}");
    let person = rows["items"][0]["beneficiary_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        crate::imports::count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM beneficiary WHERE id = '{person}' AND caf_number = '0123456'"
            )
        ),
        1,
        "the template stores the flux's number in its one form"
    );

    let instance = caf_instance(&app, manager).await;
    let march = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
    let (status, file) = upload(&app, manager, &instance, flux(march, &household)).await;
    assert_eq!(status, 202, "{file}");
    apply_due_runs(&app).await;
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
    assert_eq!(files["items"][0]["report"]["matched"], 1, "{files}");
    assert_eq!(files["items"][0]["report"]["unknown"], 0, "{files}");
    let (_, shown, _) = send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/beneficiaries/{person}?include=provenance"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(
        shown["rights"]["rsa"], "rsa_droit_ouvert_versable",
        "{shown}"
    );
    assert_eq!(shown["provenance"]["right_rsa"]["source_system"], "cafmsa");
    assert_eq!(
        crate::imports::count(
            &app,
            "SELECT count(*) AS count FROM beneficiary WHERE caf_number = '0123456'"
        ),
        1,
        "one household, one person"
    );
}
