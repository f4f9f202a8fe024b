//! The notebook written by the people who accompany the person: the diagnostic, appointments,
//! identity and contact edits through the pipeline, the follow-up group, the orientation
//! workflow end to end, and full-snapshot sync sessions.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixture::{World, client_token, world};
use crate::support::{TestApp, send, spawn_app};

#[derive(QueryableByName)]
struct Rows {
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    rows: Value,
}

/// The rows of a query, as JSON objects.
fn rows(app: &TestApp, sql: &str) -> Vec<Value> {
    let mut conn = app.database.connect();
    let query = format!("SELECT coalesce(jsonb_agg(to_jsonb(x)), '[]') AS rows FROM ({sql}) x");
    tokio::task::block_in_place(|| {
        diesel::sql_query(query)
            .get_result::<Rows>(&mut conn)
            .unwrap()
            .rows
            .as_array()
            .unwrap()
            .clone()
    })
}

fn account_of(app: &TestApp, email: &str) -> Uuid {
    let found = rows(
        app,
        &format!(
            "SELECT a.id FROM account a LEFT JOIN professional p ON p.id = a.professional_id \
             LEFT JOIN orientation_manager om ON om.id = a.orientation_manager_id \
             WHERE coalesce(p.email, om.email) = '{email}'"
        ),
    );
    found[0]["id"].as_str().unwrap().parse().unwrap()
}

async fn notebook_etag(app: &TestApp, token: &str, notebook: Uuid) -> String {
    let (status, body, etag) = send(
        app,
        Method::GET,
        token,
        &format!("/v1/notebooks/{notebook}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    etag.unwrap()
}

async fn events(app: &TestApp, token: &str, notebook: Uuid) -> Vec<Value> {
    let (status, body, _) = send(
        app,
        Method::GET,
        token,
        &format!("/v1/notebooks/{notebook}/events"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

fn emails_to(app: &TestApp, recipient: &str) -> Vec<Value> {
    rows(
        app,
        &format!(
            "SELECT subject, body FROM email_outbox WHERE recipient = '{recipient}' ORDER BY created_at"
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_write_the_diagnostic_and_appointments_with_their_timeline() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let pro = world.token("professional_member");
    let nb = world.notebook;

    // The diagnostic fields need the version read.
    let body =
        json!({"work_situation": "recherche_emploi", "right_rqth": true, "contract_type": "cer"});
    let (status, problem, _) = send(
        &app,
        Method::PATCH,
        pro,
        &format!("/v1/notebooks/{nb}"),
        body.clone(),
        None,
    )
    .await;
    assert_eq!(status, 428, "{problem}");
    let etag = notebook_etag(&app, pro, nb).await;
    let (status, written, new_etag) = send(
        &app,
        Method::PATCH,
        pro,
        &format!("/v1/notebooks/{nb}"),
        body.clone(),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 200, "{written}");
    let (status, problem, _) = send(
        &app,
        Method::PATCH,
        pro,
        &format!("/v1/notebooks/{nb}"),
        json!({"right_rqth": false}),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 412, "a stale version is refused: {problem}");
    assert_eq!(problem["code"], "precondition_failed");
    // Null clears; an unknown key is refused.
    let (status, _, _) = send(
        &app,
        Method::PATCH,
        pro,
        &format!("/v1/notebooks/{nb}"),
        json!({"contract_type": null}),
        new_etag.as_deref(),
    )
    .await;
    assert_eq!(status, 200);
    let etag = notebook_etag(&app, pro, nb).await;
    let (status, _, _) = send(
        &app,
        Method::PATCH,
        pro,
        &format!("/v1/notebooks/{nb}"),
        json!({"version": 1}),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 422);
    let (status, problem, _) = send(
        &app,
        Method::PATCH,
        pro,
        &format!("/v1/notebooks/{nb}"),
        json!({"work_situation": "astronaute"}),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 422, "a key outside the referential: {problem}");

    // Situations: added once, ended with history.
    let situation = rows(
        &app,
        "SELECT id FROM ref_situation ORDER BY description LIMIT 1",
    )[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/notebooks/{nb}/situations");
    let (status, _, _) = send(
        &app,
        Method::POST,
        pro,
        &path,
        json!({"situation_id": situation}),
        None,
    )
    .await;
    assert_eq!(status, 201);
    let (status, problem, _) = send(
        &app,
        Method::POST,
        pro,
        &path,
        json!({"situation_id": situation}),
        None,
    )
    .await;
    assert_eq!(status, 409, "{problem}");
    let (status, _, _) = send(
        &app,
        Method::POST,
        pro,
        &path,
        json!({"situation_id": Uuid::new_v4()}),
        None,
    )
    .await;
    assert_eq!(status, 422);
    let (status, _, _) = send(
        &app,
        Method::DELETE,
        pro,
        &format!("{path}/{situation}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = send(
        &app,
        Method::DELETE,
        pro,
        &format!("{path}/{situation}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 404, "already ended");
    let kept = rows(
        &app,
        &format!(
            "SELECT deleted_at, deleted_by_account_id FROM notebook_situation WHERE notebook_id = '{nb}'"
        ),
    );
    assert_eq!(kept.len(), 1);
    assert!(!kept[0]["deleted_by_account_id"].is_null());

    // Professional projects by ROME code, alone or after the label.
    let path = format!("/v1/notebooks/{nb}/professional-projects");
    let (status, project, _) = send(
        &app,
        Method::POST,
        pro,
        &path,
        json!({"rome_code": "Secrétariat (M1607)", "mobility_radius": 20, "contract_type": "cdi", "employment_type": "full_time"}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{project}");
    let project_id = project["id"].as_str().unwrap().to_owned();
    let (status, _, _) = send(
        &app,
        Method::POST,
        pro,
        &path,
        json!({"rome_code": "M1607"}),
        None,
    )
    .await;
    assert_eq!(status, 409, "one project per ROME code");
    let (status, _, _) = send(
        &app,
        Method::POST,
        pro,
        &path,
        json!({"rome_code": "Z9999"}),
        None,
    )
    .await;
    assert_eq!(status, 422);
    let etag = notebook_etag(&app, pro, nb).await;
    let (status, _, _) = send(
        &app,
        Method::PATCH,
        pro,
        &format!("{path}/{project_id}"),
        json!({"rome_code": "M1607", "mobility_radius": 30}),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 200);

    // Appointments with a member; cancelled ones are kept but not shown.
    let member = account_of(&app, "member@example.org");
    let path = format!("/v1/notebooks/{nb}/appointments");
    let (status, appointment, _) = send(
        &app,
        Method::POST,
        pro,
        &path,
        json!({"date": "2026-12-01T09:30:00Z"}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{appointment}");
    let appointment_id = appointment["id"].as_str().unwrap().to_owned();
    let outsider = account_of(&app, "outsider@example.org");
    let (status, _, _) = send(
        &app,
        Method::POST,
        pro,
        &path,
        json!({"date": "2026-12-01T09:30:00Z", "account_id": outsider}),
        None,
    )
    .await;
    assert_eq!(status, 422, "only with a member of the group");
    let etag = notebook_etag(&app, pro, nb).await;
    let (status, _, _) = send(
        &app,
        Method::PATCH,
        pro,
        &format!("{path}/{appointment_id}"),
        json!({"status": "present"}),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = send(
        &app,
        Method::PATCH,
        pro,
        &format!("{path}/{appointment_id}"),
        json!({"status": "maybe"}),
        Some(&notebook_etag(&app, pro, nb).await),
    )
    .await;
    assert_eq!(status, 422);
    let (status, document, _) = send(
        &app,
        Method::GET,
        pro,
        &format!("/v1/notebooks/{nb}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        document["appointments"][0]["status"], "present",
        "{document}"
    );
    assert_eq!(
        document["appointments"][0]["account_id"],
        member.to_string()
    );
    assert_eq!(
        document["socio_pro"]["projects"].as_array().unwrap().len(),
        1,
        "{document}"
    );
    let (status, _, _) = send(
        &app,
        Method::DELETE,
        pro,
        &format!("{path}/{appointment_id}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (_, document, _) = send(
        &app,
        Method::GET,
        pro,
        &format!("/v1/notebooks/{nb}"),
        Value::Null,
        None,
    )
    .await;
    assert!(
        document["appointments"].as_array().unwrap().is_empty(),
        "{document}"
    );
    let kept = rows(
        &app,
        &format!("SELECT deleted_at FROM notebook_appointment WHERE id = '{appointment_id}'"),
    );
    assert!(!kept[0]["deleted_at"].is_null(), "soft-deleted, not gone");

    // Every change is in the timeline, with before → after.
    let timeline = events(&app, pro, nb).await;
    for kind in [
        "notebook",
        "situation",
        "professional_project",
        "appointment",
    ] {
        assert!(
            timeline.iter().any(|e| e["event_type"] == kind),
            "{kind}: {timeline:?}"
        );
    }
    let moved = timeline
        .iter()
        .find(|e| e["event_type"] == "appointment" && e["payload"]["after"]["status"] == "present")
        .unwrap();
    assert_eq!(moved["payload"]["before"]["status"], "pending");
    assert_eq!(moved["author_account_id"], member.to_string());

    // Outsiders cannot write; the person reads but does not write the diagnostic.
    for (caller, expected) in [
        ("professional_non_member", 404),
        ("professional_other_deployment", 404),
        ("beneficiary_self", 403),
        ("client_a", 403),
    ] {
        let (status, _, _) = send(
            &app,
            Method::POST,
            world.token(caller),
            &format!("/v1/notebooks/{nb}/appointments"),
            json!({"date": "2026-12-01T09:30:00Z", "account_id": member}),
            None,
        )
        .await;
        assert_eq!(status, expected, "{caller}");
    }
}

async fn beneficiary_etag(app: &TestApp, token: &str, id: Uuid) -> String {
    let (status, body, etag) = send(
        app,
        Method::GET,
        token,
        &format!("/v1/beneficiaries/{id}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    etag.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_edit_identity_and_contact_through_the_pipeline() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let id = world.beneficiary;
    let path = format!("/v1/beneficiaries/{id}");
    let pro = world.token("professional_member");

    // RSA rights were set by the CAF/MSA flux: a person's edit does not override them.
    {
        let mut conn = app.database.connect();
        tokio::task::block_in_place(|| {
            diesel::sql_query(format!(
                "UPDATE beneficiary SET provenance = jsonb_build_object('sources', jsonb_build_array(\
                 jsonb_build_object('system', 'cafmsa', 'as_of', now() - interval '1 day', 'set_at', now())), \
                 'fields', jsonb_build_object('right_rsa', 0)) WHERE id = '{id}'"
            ))
            .execute(&mut conn)
            .unwrap();
            diesel::sql_query(format!("UPDATE beneficiary SET right_rsa = 'rsa_droit_ouvert_et_suspendu' WHERE id = '{id}'"))
                .execute(&mut conn)
                .unwrap();
        });
    }
    let (status, problem, _) = send(
        &app,
        Method::PATCH,
        pro,
        &path,
        json!({"mobile_number": "0601020304"}),
        None,
    )
    .await;
    assert_eq!(status, 428, "{problem}");
    let etag = beneficiary_etag(&app, pro, id).await;
    let (status, edited, new_etag) = send(
        &app,
        Method::PATCH,
        pro,
        &path,
        json!({"mobile_number": "0601020304", "right_rsa": "rsa_droit_ouvert_versable", "date_of_birth": "1985-03-04"}),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["status"], "updated");
    assert!(
        edited["fields"]
            .as_array()
            .unwrap()
            .contains(&json!("mobile_number")),
        "{edited}"
    );
    assert!(
        edited["fields"]
            .as_array()
            .unwrap()
            .contains(&json!("date_of_birth")),
        "a person's explicit pivot edit applies: {edited}"
    );
    assert_eq!(
        edited["kept"],
        json!(["right_rsa"]),
        "the CAF's right stays"
    );
    assert_ne!(new_etag.as_deref(), Some(etag.as_str()));
    let (status, _, _) = send(
        &app,
        Method::PATCH,
        pro,
        &path,
        json!({"city": "Lyon"}),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 412, "stale ETag");

    let (_, person, _) = send(
        &app,
        Method::GET,
        world.token("manager_a"),
        &format!("{path}?include=provenance"),
        Value::Null,
        None,
    )
    .await;
    // Kept in the canonical form every path gives it (E.164), as a file or a flux would.
    assert_eq!(person["mobile_number"], "+33601020304");
    assert_eq!(person["rights"]["rsa"], "rsa_droit_ouvert_et_suspendu");
    // Each account is a source of its own: `human:<role>:<account>`.
    assert!(
        person["provenance"]["mobile_number"]["source_system"]
            .as_str()
            .unwrap()
            .starts_with("human:professional:"),
        "{person}"
    );
    assert_eq!(person["provenance"]["right_rsa"]["source_system"], "cafmsa");

    // The person edits their own contact details, not their identity.
    let me = world.token("beneficiary_self");
    let etag = beneficiary_etag(&app, me, id).await;
    let (status, problem, _) = send(
        &app,
        Method::PATCH,
        me,
        &path,
        json!({"lastname": "Autre"}),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "lastname");
    let (status, edited, _) = send(
        &app,
        Method::PATCH,
        me,
        &path,
        json!({"email": "sophie@exemple.fr", "city": "Lyon"}),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    let (status, _, _) = send(
        &app,
        Method::PATCH,
        world.token("beneficiary_other"),
        &path,
        json!({"city": "Paris"}),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 404, "someone else's record");
    let (status, problem, _) = send(
        &app,
        Method::PATCH,
        world.token("manager_a"),
        &path,
        json!({"email": "not-an-email"}),
        Some(&beneficiary_etag(&app, world.token("manager_a"), id).await),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["code"], "invalid_email");

    // Identity edits are in the timeline, dated and authored; the NIR never appears there.
    let etag = beneficiary_etag(&app, world.token("manager_a"), id).await;
    let (status, edited, _) = send(
        &app,
        Method::PATCH,
        world.token("manager_a"),
        &path,
        json!({"nir": "2850375123456"}),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    let timeline = events(&app, pro, world.notebook).await;
    let identity: Vec<&Value> = timeline
        .iter()
        .filter(|e| e["event_type"] == "beneficiary")
        .collect();
    assert!(identity.len() >= 3, "{timeline:?}");
    assert!(
        identity
            .iter()
            .any(|e| e["payload"]["after"]["email"] == "sophie@exemple.fr")
    );
    assert!(
        !serde_json::to_string(&timeline)
            .unwrap()
            .contains("2850375123456")
    );
    let (_, feed, _) = send(
        &app,
        Method::GET,
        world.token("client_a"),
        "/v1/changes",
        Value::Null,
        None,
    )
    .await;
    assert!(
        feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "beneficiary.updated"
                && c["source_system"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("human:beneficiary:"))),
        "{feed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follow_up_group_invites_changes_referent_and_lets_members_leave() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let nb = world.notebook;
    let pro = world.token("professional_member");
    let member = account_of(&app, "member@example.org");
    let outsider = account_of(&app, "outsider@example.org");
    let members = format!("/v1/notebooks/{nb}/members");

    let (status, written, _) = send(
        &app,
        Method::POST,
        pro,
        &members,
        json!({"account_id": outsider}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{written}");
    let invitation = emails_to(&app, "outsider@example.org");
    assert_eq!(
        invitation[0]["subject"],
        "Invitation à rejoindre un carnet de bord"
    );
    assert!(
        invitation[0]["body"]
            .as_str()
            .unwrap()
            .contains("Sophie Tifour")
    );
    let (status, _, _) = send(
        &app,
        Method::POST,
        pro,
        &members,
        json!({"account_id": outsider}),
        None,
    )
    .await;
    assert_eq!(status, 409, "already a member");
    let (status, _, _) = send(
        &app,
        Method::POST,
        pro,
        &members,
        json!({"account_id": Uuid::new_v4()}),
        None,
    )
    .await;
    assert_eq!(status, 422, "not an account of the deployment");
    let pro_b = rows(
        &app,
        "SELECT a.id FROM account a JOIN professional p ON p.id = a.professional_id WHERE p.email = 'pro.b@example.org'",
    );
    let (status, _, _) = send(
        &app,
        Method::POST,
        pro,
        &members,
        json!({"account_id": pro_b[0]["id"]}),
        None,
    )
    .await;
    assert_eq!(status, 422, "another deployment's professional");

    // A member cannot make a colleague referent; the manager can, and the former referent stays.
    let referent = format!("/v1/notebooks/{nb}/referent");
    let (status, _, _) = send(
        &app,
        Method::PUT,
        pro,
        &referent,
        json!({"account_id": outsider}),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, written, _) = send(
        &app,
        Method::PUT,
        world.token("manager_a"),
        &referent,
        json!({"account_id": outsider}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{written}");
    let group = rows(
        &app,
        &format!(
            "SELECT account_id, member_type FROM notebook_member WHERE notebook_id = '{nb}' AND active ORDER BY member_type"
        ),
    );
    assert_eq!(
        group,
        vec![
            json!({"account_id": member, "member_type": "no_referent"}),
            json!({"account_id": outsider, "member_type": "referent"}),
        ]
    );
    assert!(
        emails_to(&app, "member@example.org")
            .iter()
            .any(|e| e["subject"] == "Changement de référent d’un bénéficiaire")
    );

    // A structure administrator manages only their structures' professionals.
    let (status, _, _) = send(
        &app,
        Method::DELETE,
        world.token("admin_structure_s2"),
        &format!("{members}/{member}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 403, "the member works for S1");
    // A member leaves; history stays.
    let (status, _, _) = send(
        &app,
        Method::DELETE,
        pro,
        &format!("{members}/{member}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = send(
        &app,
        Method::DELETE,
        pro,
        &format!("{members}/{member}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(
        status, 404,
        "no longer a member, so the notebook is out of reach"
    );
    let (status, _, _) = send(
        &app,
        Method::DELETE,
        world.token("admin_structure_s2"),
        &format!("{members}/{outsider}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 200, "the outsider works for S2");
    let history = rows(
        &app,
        &format!(
            "SELECT active, membership_ended_at FROM notebook_member WHERE notebook_id = '{nb}'"
        ),
    );
    assert!(history.len() >= 5, "{history:?}");
    assert!(history.iter().all(|m| m["active"] == false));
    let timeline = events(&app, world.token("manager_a"), nb).await;
    assert!(
        timeline
            .iter()
            .filter(|e| e["event_type"] == "member")
            .count()
            >= 4,
        "{timeline:?}"
    );
    let (status, _, _) = send(
        &app,
        Method::POST,
        world.token("beneficiary_self"),
        &members,
        json!({"account_id": outsider}),
        None,
    )
    .await;
    assert_eq!(status, 403);
}

fn orientation_systems(app: &TestApp, world: &World) -> (Uuid, Uuid) {
    let (social, pro) = (Uuid::new_v4(), Uuid::new_v4());
    let mut conn = app.database.connect();
    tokio::task::block_in_place(|| {
        diesel::sql_query(format!(
            "INSERT INTO orientation_system (id, deployment_id, name, orientation_type) VALUES \
             ('{social}', '{a}', 'Social', 'social'), ('{pro}', '{a}', 'Professionnel', 'pro')",
            a = world.deployment_a
        ))
        .execute(&mut conn)
        .unwrap();
    });
    (social, pro)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_orientation_workflow_end_to_end() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let nb = world.notebook;
    let (social, professional) = orientation_systems(&app, &world);
    let referent = world.token("professional_member");
    let om = world.token("orientation_manager_a");
    let member = account_of(&app, "member@example.org");
    let outsider = account_of(&app, "outsider@example.org");
    let requests = format!("/v1/notebooks/{nb}/orientation-requests");
    let ask = json!({"requested_orientation_system_id": social, "reason": "Besoin d'un accompagnement social"});

    // Only the referent asks, once at a time.
    let (status, _, _) = send(
        &app,
        Method::POST,
        world.token("manager_a"),
        &requests,
        ask.clone(),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, asked, _) = send(&app, Method::POST, referent, &requests, ask.clone(), None).await;
    assert_eq!(status, 201, "{asked}");
    let first = asked["id"].as_str().unwrap().to_owned();
    let (status, _, _) = send(&app, Method::POST, referent, &requests, ask.clone(), None).await;
    assert_eq!(status, 409, "one open request per person");

    // The orientation manager sees it and keeps the accompaniment.
    let (status, list, _) = send(
        &app,
        Method::GET,
        om,
        "/v1/orientation-requests",
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"][0]["id"], first.as_str());
    let (status, _, _) = send(
        &app,
        Method::GET,
        referent,
        "/v1/orientation-requests",
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, denied, _) = send(
        &app,
        Method::POST,
        om,
        &format!("/v1/orientation-requests/{first}/deny"),
        json!({"reason": "Accompagnement en cours"}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{denied}");
    let (status, _, _) = send(
        &app,
        Method::POST,
        om,
        &format!("/v1/orientation-requests/{first}/deny"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(status, 404, "no longer open");
    let mail = emails_to(&app, "member@example.org");
    assert!(mail.iter().any(|e| {
        e["subject"] == "Maintien de l’accompagnement"
            && e["body"]
                .as_str()
                .unwrap()
                .contains("Accompagnement en cours")
    }));

    // Asked again, then accepted with a new structure and referent.
    let (status, asked, _) = send(&app, Method::POST, referent, &requests, ask.clone(), None).await;
    assert_eq!(status, 201);
    let second = asked["id"].as_str().unwrap().to_owned();
    let decision = json!({
        "orientation_system_id": social, "structure_id": world.structure_s2,
        "orientation_request_id": first, "referent_account_id": outsider, "reason": "Accord"
    });
    let orient = format!("/v1/notebooks/{nb}/orientation");
    let (status, problem, _) = send(&app, Method::POST, om, &orient, decision.clone(), None).await;
    assert_eq!(status, 422, "a request that is not the open one: {problem}");
    let mut decision = decision;
    decision["orientation_request_id"] = json!(second);
    let (status, _, _) = send(
        &app,
        Method::POST,
        referent,
        &orient,
        decision.clone(),
        None,
    )
    .await;
    assert_eq!(status, 403, "a professional does not decide");
    let mut wrong = decision.clone();
    wrong["orientation_system_id"] = json!(Uuid::new_v4());
    let (status, _, _) = send(&app, Method::POST, om, &orient, wrong, None).await;
    assert_eq!(status, 422);
    let (status, decided, _) = send(&app, Method::POST, om, &orient, decision, None).await;
    assert_eq!(status, 201, "{decided}");

    let request = rows(
        &app,
        &format!(
            "SELECT status, decided_orientation_system_id FROM orientation_request WHERE id = '{second}'"
        ),
    );
    assert_eq!(
        request[0],
        json!({"status": "accepted", "decided_orientation_system_id": social})
    );
    let structures = rows(
        &app,
        &format!(
            "SELECT structure_id, status FROM beneficiary_structure WHERE beneficiary_id = '{}' ORDER BY status",
            world.beneficiary
        ),
    );
    assert_eq!(
        structures,
        vec![
            json!({"structure_id": world.structure_s2, "status": "current"}),
            json!({"structure_id": world.structure_s1, "status": "outdated"}),
        ]
    );
    let group = rows(
        &app,
        &format!(
            "SELECT account_id, member_type FROM notebook_member WHERE notebook_id = '{nb}' AND active ORDER BY member_type"
        ),
    );
    assert_eq!(
        group,
        vec![
            json!({"account_id": member, "member_type": "no_referent"}),
            json!({"account_id": outsider, "member_type": "referent"}),
        ],
        "the former referent stays as a member"
    );
    let history = rows(
        &app,
        &format!(
            "SELECT previous_referent_account_id, referent_account_id, previous_structure_id FROM orientation_decision WHERE notebook_id = '{nb}'"
        ),
    );
    assert_eq!(
        history[0]["previous_referent_account_id"],
        member.to_string()
    );
    assert_eq!(
        history[0]["previous_structure_id"],
        world.structure_s1.to_string()
    );
    for recipient in ["member@example.org", "outsider@example.org"] {
        assert!(
            emails_to(&app, recipient)
                .iter()
                .any(|e| e["subject"] == "Réorientation d’un bénéficiaire"),
            "{recipient}"
        );
    }
    let (_, document, _) = send(
        &app,
        Method::GET,
        om,
        &format!("/v1/notebooks/{nb}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(
        document["orientation"]["orientation_system_name"], "Social",
        "{document}"
    );
    let timeline = events(&app, om, nb).await;
    let oriented = timeline
        .iter()
        .find(|e| {
            e["event_type"] == "orientation" && e["payload"]["event_label"] == "(Ré)Orientation"
        })
        .unwrap();
    assert_eq!(oriented["payload"]["structure"], "S2");
    assert_eq!(oriented["payload"]["previousStructure"], "S1");

    // A direct orientation without a request works too; the new referent already is.
    let (status, _, _) = send(
        &app,
        Method::POST,
        world.token("manager_a"),
        &orient,
        json!({"orientation_system_id": professional, "structure_id": world.structure_s2, "referent_account_id": outsider}),
        None,
    )
    .await;
    assert_eq!(status, 201);
    let (status, _, _) = send(
        &app,
        Method::POST,
        world.token("manager_b"),
        &orient,
        json!({"orientation_system_id": professional, "structure_id": world.structure_s2}),
        None,
    )
    .await;
    assert_eq!(status, 404, "another deployment's manager");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_sync_session_marks_the_people_the_partner_no_longer_reports() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let url = app.database.url.clone();
    let partner = client_token(
        &app,
        &url,
        world.deployment_a,
        None,
        "beneficiaries:read beneficiaries:write notebooks:read",
    )
    .await;
    let person = |id: &str, first: &str| json!({"source_id": id, "firstname": first, "lastname": "Snapshot", "date_of_birth": "1990-01-01"});
    let batch = |records: Vec<Value>| json!({"items": records});
    let (status, body, _) = send(
        &app,
        Method::POST,
        &partner,
        "/v1/beneficiaries/batch",
        batch(vec![
            person("1", "Un"),
            person("2", "Deux"),
            person("3", "Trois"),
        ]),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let gone = body["items"][2]["beneficiary_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, session, _) = send(
        &app,
        Method::POST,
        &partner,
        "/v1/sync-sessions",
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 201, "{session}");
    let id = session["id"].as_str().unwrap().to_owned();
    let (status, problem, _) = send(
        &app,
        Method::POST,
        &partner,
        "/v1/sync-sessions",
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(problem["session_id"], id.as_str());
    let (status, _, _) = send(
        &app,
        Method::POST,
        &partner,
        "/v1/beneficiaries/batch",
        batch(vec![person("1", "Un"), person("2", "Deux")]),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, completed, _) = send(
        &app,
        Method::POST,
        &partner,
        &format!("/v1/sync-sessions/{id}/complete"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 200, "{completed}");
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["no_longer_reported"], 1);
    let (status, _, _) = send(
        &app,
        Method::POST,
        &partner,
        &format!("/v1/sync-sessions/{id}/complete"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 409, "already completed");
    let (_, feed, _) = send(
        &app,
        Method::GET,
        &partner,
        "/v1/changes?limit=1000",
        Value::Null,
        None,
    )
    .await;
    let marked: Vec<&Value> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "beneficiary.no_longer_reported")
        .collect();
    assert_eq!(marked.len(), 1, "{feed}");
    assert_eq!(marked[0]["beneficiary_id"], gone.as_str());

    // Another partner cannot see or end this session; people cannot open one.
    let (status, _, _) = send(
        &app,
        Method::GET,
        world.token("client_a"),
        &format!("/v1/sync-sessions/{id}"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 403, "client_a cannot write people");
    let (status, _, _) = send(
        &app,
        Method::POST,
        world.token("manager_a"),
        "/v1/sync-sessions",
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 403);
    // A new session can start once the previous one ended; abandoning marks nobody.
    let (status, session, _) = send(
        &app,
        Method::POST,
        &partner,
        "/v1/sync-sessions",
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 201);
    let (status, abandoned, _) = send(
        &app,
        Method::POST,
        &partner,
        &format!(
            "/v1/sync-sessions/{}/abandon",
            session["id"].as_str().unwrap()
        ),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(abandoned["status"], "abandoned");
    assert!(abandoned["no_longer_reported"].is_null());
}
