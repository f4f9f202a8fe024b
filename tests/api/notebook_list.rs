//! From a person to their notebook: `notebook_id` in the beneficiary views, and the notebook
//! list with the filters a case-management tool needs, caller by caller.

use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use crate::fixture::world;
use crate::support::{TestApp, spawn_app};

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .header("X-Purpose", "suivi du parcours")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The notebooks of a list, by id.
fn notebooks(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

fn account_of(app: &TestApp, email: &str) -> Uuid {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    let mut conn = PgConnection::establish(&app.database.url).unwrap();
    diesel::sql_query(format!(
        "SELECT a.id FROM account a JOIN professional p ON p.id = a.professional_id WHERE p.email = '{email}'"
    ))
    .get_result::<Id>(&mut conn)
    .unwrap()
    .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_leads_to_their_notebook_and_the_notebook_list_obeys_reach_and_filters() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let notebook = world.notebook.to_string();
    // notebook_id in the beneficiary views: the list, one person, and the notebook itself.
    let (status, list) = get(
        &app,
        world.token("manager_a"),
        "/v1/beneficiaries?name=Tifour",
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"][0]["notebook_id"], notebook.as_str(), "{list}");
    let (_, one) = get(
        &app,
        world.token("manager_a"),
        &format!("/v1/beneficiaries/{}", world.beneficiary),
    )
    .await;
    assert_eq!(one["notebook_id"], notebook.as_str(), "{one}");
    let (_, document) = get(
        &app,
        world.token("manager_a"),
        &format!("/v1/notebooks/{notebook}"),
    )
    .await;
    assert_eq!(document["beneficiary"]["notebook_id"], notebook.as_str());

    // Reach: a professional lists their notebooks, a manager their deployment's, nobody
    // another deployment's.
    for (caller, sees) in [
        ("professional_member", true),
        ("professional_former_member", false),
        ("professional_non_member", false),
        ("professional_other_deployment", false),
        ("manager_a", true),
        ("manager_b", false),
        ("admin_cdb", true),
        ("client_a", true),
        ("client_a_structure_s1", true),
        ("client_a_structure_s2", false),
        ("client_b", false),
    ] {
        let (status, body) = get(&app, world.token(caller), "/v1/notebooks").await;
        assert_eq!(status, 200, "{caller}: {body}");
        assert_eq!(
            notebooks(&body).contains(&notebook),
            sees,
            "{caller}: {body}"
        );
    }
    let (status, _) = get(
        &app,
        world.token("client_a_without_scopes"),
        "/v1/notebooks",
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = get(&app, "nope", "/v1/notebooks").await;
    assert_eq!(status, 401);
    // A partner says why it reads.
    let response = app
        .client
        .get(format!("{}/v1/notebooks", app.address))
        .bearer_auth(world.token("client_a"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    // The filters.
    let member = tokio::task::block_in_place(|| account_of(&app, "member@example.org"));
    let outsider = tokio::task::block_in_place(|| account_of(&app, "outsider@example.org"));
    let manager = world.token("manager_a");
    for (query, sees) in [
        (format!("referent={member}"), true),
        (format!("referent={outsider}"), false),
        ("without_referent=true".to_owned(), false),
        (format!("structure={}", world.structure_s1), true),
        (format!("structure={}", world.structure_s2), false),
        ("q=tifour".to_owned(), true),
        ("q=sophie%20TIFOUR".to_owned(), true),
        ("q=autre".to_owned(), false),
        ("updated_since=2000-01-01T00:00:00Z".to_owned(), true),
        ("updated_since=2999-01-01T00:00:00Z".to_owned(), false),
    ] {
        let (status, body) = get(&app, manager, &format!("/v1/notebooks?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(
            notebooks(&body).contains(&notebook),
            sees,
            "{query}: {body}"
        );
    }
    let (_, with_referent) = get(&app, manager, &format!("/v1/notebooks?referent={member}")).await;
    assert_eq!(
        with_referent["items"][0]["referent_account_id"],
        member.to_string().as_str()
    );
    assert_eq!(
        with_referent["items"][0]["beneficiary_id"],
        world.beneficiary.to_string().as_str()
    );
    // Pages: one notebook a page, the cursor leads to the next, stable.
    let (_, first) = get(&app, manager, "/v1/notebooks?limit=1").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, second) = get(
        &app,
        manager,
        &format!("/v1/notebooks?limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
    // Bad filters are the caller's fault, said.
    for query in [
        "referent=nope",
        "updated_since=hier",
        "without_referent=peut-etre",
        "limit=0",
    ] {
        let (status, body) = get(&app, manager, &format!("/v1/notebooks?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["code"], "invalid_parameter", "{query}: {body}");
    }
    // Each person listed is journaled as read.
    let mut conn = app.database.connect();
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        count: i64,
    }
    let journaled = tokio::task::block_in_place(|| {
        diesel::sql_query(format!(
            "SELECT count(*) AS count FROM access_log WHERE beneficiary_id = '{}' AND resource = 'GET /v1/notebooks'",
            world.beneficiary
        ))
        .get_result::<Count>(&mut conn)
        .unwrap()
        .count
    });
    assert!(journaled > 5, "{journaled}");
}

fn sql(app: &TestApp, statements: &str) {
    let mut conn = PgConnection::establish(&app.database.url).unwrap();
    diesel::connection::SimpleConnection::batch_execute(&mut conn, statements).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filter_of_the_people_and_notebook_lists_finds_its_person_and_only_them() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let (a, person, notebook) = (world.deployment_a, world.beneficiary, world.notebook);
    let member = tokio::task::block_in_place(|| account_of(&app, "member@example.org"));
    tokio::task::block_in_place(|| {
        sql(
            &app,
            &format!(
                "UPDATE beneficiary SET date_of_birth = '1982-02-01', caf_number = '7700001', \
                 france_travail_id = '12345678901', external_id = 'SI-42', right_rsa = 'rsa_droit_ouvert_versable' \
                 WHERE id = '{person}'"
            ),
        );
        sql(
            &app,
            &format!(
                "INSERT INTO orientation_system (id, deployment_id, name, orientation_type) \
                 VALUES ('{s}', '{a}', 'Social', 'social'); \
                 INSERT INTO orientation_request (deployment_id, beneficiary_id, notebook_id, requestor_account_id, \
                 requested_orientation_system_id, status) VALUES ('{a}', '{person}', '{notebook}', '{member}', '{s}', 'pending')",
                s = Uuid::new_v4()
            ),
        );
    });
    let manager = world.token("manager_a");
    let ids = |body: &Value, key: &str| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item[key].as_str().unwrap().to_owned())
            .collect()
    };
    // The people list: each filter, as agents and partners type the keys.
    for (query, found) in [
        ("name=TIFOUR", true),
        ("name=sophie%20tifour", true),
        ("name=Autre", false),
        ("date_of_birth=1982-02-01", true),
        ("date_of_birth=1990-01-01", false),
        ("caf_number=7700001", true),
        ("caf_number=7700002", false),
        ("france_travail_id=12345678901", true),
        ("france_travail_id=10987654321", false),
        ("external_id=SI-42", true),
        ("external_id=SI-43", false),
        ("nir=1850375123456", true),
        ("nir=1850375123457", false),
    ] {
        let (status, body) = get(&app, manager, &format!("/v1/beneficiaries?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(
            ids(&body, "id").contains(&person.to_string()),
            found,
            "{query}: {body}"
        );
        if found {
            assert_eq!(
                body["items"].as_array().unwrap().len(),
                1,
                "{query}: only them"
            );
        }
    }
    // The NIR filter needs nir:read: a partner without it may not search by NIR.
    let narrow =
        crate::fixture::client_token(&app, &app.database.url, a, None, "beneficiaries:read").await;
    let (status, body) = get(&app, &narrow, "/v1/beneficiaries?nir=1850375123456").await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = get(&app, manager, "/v1/beneficiaries?date_of_birth=01/02/1982").await;
    assert_eq!(status, 400, "{body}");

    // The notebook list: orientation and RSA right.
    for (query, found) in [
        ("orientation=pending", true),
        ("orientation=none", false),
        ("rsa_right=rsa_droit_ouvert_versable", true),
        ("rsa_right=rsa_clos", false),
    ] {
        let (status, body) = get(&app, manager, &format!("/v1/notebooks?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(
            ids(&body, "id").contains(&notebook.to_string()),
            found,
            "{query}: {body}"
        );
    }
    for query in ["orientation=maybe", "rsa_right=DROP%20TABLE"] {
        let (status, body) = get(&app, manager, &format!("/v1/notebooks?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_professional_lists_the_appointments_of_their_notebooks_in_a_window_of_time() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let (a, notebook) = (world.deployment_a, world.notebook);
    let member = tokio::task::block_in_place(|| account_of(&app, "member@example.org"));
    let (monday, tuesday, next_month) = (
        "2030-03-04T09:00:00Z",
        "2030-03-05T14:30:00Z",
        "2030-04-02T10:00:00Z",
    );
    tokio::task::block_in_place(|| {
        sql(
            &app,
            &format!(
                "INSERT INTO notebook_appointment (deployment_id, notebook_id, account_id, date) VALUES \
                 ('{a}', '{notebook}', '{member}', '{monday}'), ('{a}', '{notebook}', '{member}', '{tuesday}'), \
                 ('{a}', '{notebook}', '{member}', '{next_month}'); \
                 INSERT INTO notebook_appointment (deployment_id, notebook_id, account_id, date, deleted_at) VALUES \
                 ('{a}', '{notebook}', '{member}', '2030-03-06T09:00:00Z', now())"
            ),
        );
    });
    let week = "/v1/appointments?from=2030-03-04T00:00:00Z&to=2030-03-11T00:00:00Z";
    let dates = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["date"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, body) = get(&app, world.token("professional_member"), week).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        dates(&body),
        ["2030-03-04T09:00:00Z", "2030-03-05T14:30:00Z"],
        "the week's live appointments, in time order: {body}"
    );
    assert_eq!(
        body["items"][0]["notebook_id"],
        notebook.to_string().as_str()
    );
    assert_eq!(
        body["items"][0]["beneficiary_id"],
        world.beneficiary.to_string().as_str()
    );
    for (caller, count) in [
        ("manager_a", 2),
        ("client_a", 2),
        ("professional_non_member", 0),
        ("professional_former_member", 0),
        ("manager_b", 0),
        ("client_b", 0),
    ] {
        let (status, body) = get(&app, world.token(caller), week).await;
        assert_eq!(status, 200, "{caller}: {body}");
        assert_eq!(
            body["items"].as_array().unwrap().len(),
            count,
            "{caller}: {body}"
        );
    }
    // One professional's, page by page.
    let (_, first) = get(
        &app,
        world.token("manager_a"),
        &format!("{week}&account={member}&limit=1"),
    )
    .await;
    assert_eq!(dates(&first), ["2030-03-04T09:00:00Z"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = get(
        &app,
        world.token("manager_a"),
        &format!("{week}&limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(dates(&second), ["2030-03-05T14:30:00Z"]);
    assert!(second["next_cursor"].is_null(), "{second}");
    let (_, nobody) = get(
        &app,
        world.token("manager_a"),
        &format!("{week}&account={}", Uuid::new_v4()),
    )
    .await;
    assert!(nobody["items"].as_array().unwrap().is_empty());
    // Bad windows and cursors are said.
    for query in [
        "from=2030-03-11T00:00:00Z&to=2030-03-04T00:00:00Z",
        "from=2030-01-01T00:00:00Z&to=2031-06-01T00:00:00Z",
        "from=lundi",
        "cursor=nope",
    ] {
        let (status, body) = get(
            &app,
            world.token("manager_a"),
            &format!("/v1/appointments?{query}"),
        )
        .await;
        assert_eq!(status, 400, "{query}: {body}");
    }
    let (status, _) = get(&app, world.token("client_a_without_scopes"), week).await;
    assert_eq!(status, 403);
}
