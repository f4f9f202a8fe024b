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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_monthly_fluxes_close_a_right_in_their_order_with_the_flux_dates() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let mut open = synthetic_households(1, 11).next().unwrap();
    open.state = "2".into();
    open.refusal = None;
    open.closure = None;
    open.earlier_closure = None;
    open.right_suspensions.clear();
    open.payment_suspensions.clear();
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
    let (status, created, _) = send(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        json!({"kind": "caf_msa", "name": "CAF mensuel"}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let instance = created["id"].as_str().unwrap().to_owned();
    let march = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
    let april = NaiveDate::from_ymd_opt(2024, 4, 5).unwrap();
    // April's file arrives first.
    for body in [flux(april, &closed), flux(march, &open)] {
        let (status, file) = upload(&app, manager, &instance, body).await;
        assert_eq!(status, 202, "{file}");
    }
    let pool = app.database.pool();
    let runs = crate::support::due_runs(&pool);
    for run in runs {
        crate::support::execute_run(&pool, run).await;
    }
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
        files
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
