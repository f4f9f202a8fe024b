//! The partner sync contract and the inbound pipeline behind it: notebook creation idempotent on
//! the NIR, Idempotency-Key, batches, matching, merge rules, possible matches and the change
//! feed under concurrent writers.

use chrono::{TimeZone, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use cdb_hub::inbound::pipeline::Outcome;
use cdb_hub::inbound::record::{PersonFields, PersonRecord, Source, SourceKind};

use crate::fixture::{World, world};
use crate::support::{TestApp, spawn_app};

async fn post(
    app: &TestApp,
    token: &str,
    path: &str,
    body: &Value,
    key: Option<&str>,
) -> (u16, Value, bool) {
    let mut request = app
        .client
        .post(format!("{}{path}", app.address))
        .bearer_auth(token)
        .json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("idempotent-replayed");
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        replayed,
    )
}

async fn writer(app: &TestApp, world: &World) -> String {
    let url = app.database.url.clone();
    let deployment = world.deployment_a;
    let issued = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        let scopes = cdb_hub::domain::scopes::Scopes::parse(
            "beneficiaries:read beneficiaries:write notebooks:read",
        )
        .unwrap();
        cdb_hub::auth::clients::create(&mut conn, deployment, None, "SI rdv", scopes, None).unwrap()
    })
    .await
    .unwrap();
    let response: Value = app
        .client
        .post(format!("{}/oauth/token", app.address))
        .basic_auth(&issued.client.client_id, Some(&issued.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_the_same_notebook_twice_answers_201_then_409_with_the_same_id() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = writer(&app, &world).await;
    let person = json!({"nir": "2900175123456", "firstname": "Jay", "lastname": "Randévoui", "date_of_birth": "1990-01-01", "email": "jay@example.org"});
    let (status, created, _) = post(&app, &token, "/v1/notebooks", &person, None).await;
    assert_eq!(status, 201, "{created}");
    let (status, again, _) = post(&app, &token, "/v1/notebooks", &person, None).await;
    assert_eq!(status, 409);
    assert_eq!(again["notebook_id"], created["notebook_id"]);
    assert_eq!(again["code"], "conflict");
    // The NIR with its key is the same person.
    let keyed = json!({"nir": format!("2900175123456{:02}", cdb_hub::domain::Nir::parse("2900175123456").unwrap().key()), "firstname": "Jay", "lastname": "Randévoui", "date_of_birth": "1990-01-01"});
    let (status, _, _) = post(&app, &token, "/v1/notebooks", &keyed, None).await;
    assert_eq!(status, 409);
    let (status, body, _) = post(&app, &token, "/v1/notebooks", &json!({"nir": "1850375123456", "firstname": "A", "lastname": "B", "date_of_birth": "1985-03-14"}), None).await;
    assert_eq!(status, 409, "{body}"); // same deployment: the fixture's person
    let other = world.deployment_b;
    let url = app.database.url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        diesel::sql_query(format!("INSERT INTO beneficiary (deployment_id, firstname, lastname, date_of_birth, nir) VALUES ('{other}', 'X', 'Y', '1970-01-01', '1700175999999')")).execute(&mut conn).unwrap();
    })
    .await
    .unwrap();
    // A NIR of another deployment is held for the managers and named nowhere: the partner
    // cannot learn that another département knows this person.
    let (status, body, _) = post(&app, &token, "/v1/notebooks", &json!({"nir": "1700175999999", "firstname": "X", "lastname": "Y", "date_of_birth": "1970-01-01"}), None).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "pending_review");
    let (status, body, _) = post(
        &app,
        &token,
        "/v1/notebooks",
        &json!({"firstname": "No", "lastname": "Nir", "date_of_birth": "1970-01-01"}),
        None,
    )
    .await;
    assert_eq!(status, 422, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_post_returns_the_first_answer_and_a_reused_key_is_refused() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = writer(&app, &world).await;
    let person = json!({"nir": "1880275111111", "firstname": "Léa", "lastname": "Martin", "date_of_birth": "1988-02-02"});
    let (first_status, first, replayed) =
        post(&app, &token, "/v1/notebooks", &person, Some("req-1")).await;
    assert_eq!((first_status, replayed), (201, false));
    let (status, again, replayed) =
        post(&app, &token, "/v1/notebooks", &person, Some("req-1")).await;
    assert_eq!(
        (status, replayed),
        (201, true),
        "the replay answers the first response, not a 409"
    );
    assert_eq!(again, first);
    let other = json!({"nir": "1880275222222", "firstname": "Léo", "lastname": "Martin", "date_of_birth": "1988-02-02"});
    let (status, body, _) = post(&app, &token, "/v1/notebooks", &other, Some("req-1")).await;
    assert_eq!(status, 422);
    assert_eq!(body["code"], "idempotency_key_reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_applies_valid_records_and_reports_invalid_ones_by_index() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = writer(&app, &world).await;
    let items: Vec<Value> = (0..5)
        .map(|i| json!({"source_id": format!("SI-{i}"), "firstname": format!("Prénom{i}"), "lastname": "Lot", "date_of_birth": "1991-05-05", "external_id": format!("IODAS{i}")}))
        .chain([json!({"source_id": "SI-bad", "firstname": "Bad", "lastname": "Date", "date_of_birth": "31/02/1990"})])
        .collect();
    let (status, body, _) = post(
        &app,
        &token,
        "/v1/beneficiaries/batch",
        &json!({"items": items}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let results = body["items"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    assert!(
        results[..5].iter().all(|r| r["status"] == "created"),
        "{body}"
    );
    assert_eq!(results[5]["index"], 5);
    assert_eq!(results[5]["status"], "rejected");
    assert_eq!(results[5]["errors"][0]["field"], "date_of_birth");
    // The same batch again changes nothing.
    let (_, body, _) = post(
        &app,
        &token,
        "/v1/beneficiaries/batch",
        &json!({"items": items}),
        None,
    )
    .await;
    assert!(
        body["items"].as_array().unwrap()[..5]
            .iter()
            .all(|r| r["status"] == "unchanged"),
        "{body}"
    );
    // A newer record of the same source id updates the person.
    let update = json!({"items": [{"source_id": "SI-0", "as_of": Utc::now().to_rfc3339(), "city": "Valence"}]});
    let (_, body, _) = post(&app, &token, "/v1/beneficiaries/batch", &update, None).await;
    assert_eq!(body["items"][0]["status"], "updated", "{body}");
    assert_eq!(body["items"][0]["fields"], json!(["city"]));
    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({"source_id": i.to_string()}))
        .collect();
    let (status, _, _) = post(
        &app,
        &token,
        "/v1/beneficiaries/batch",
        &json!({"items": too_many}),
        None,
    )
    .await;
    assert_eq!(status, 422);
}

async fn read_feed(
    app: &TestApp,
    token: &str,
    mut cursor: Option<String>,
) -> (Vec<i64>, Option<String>) {
    let mut seqs = Vec::new();
    loop {
        let url = match &cursor {
            Some(cursor) => format!("{}/v1/changes?limit=7&after={cursor}", app.address),
            None => format!("{}/v1/changes?limit=7", app.address),
        };
        let page: Value = app
            .client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = page["items"].as_array().unwrap();
        seqs.extend(items.iter().map(|i| i["seq"].as_i64().unwrap()));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if items.is_empty() {
            return (seqs, cursor);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_change_feed_misses_nothing_and_repeats_nothing_under_concurrent_writers() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = writer(&app, &world).await;
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, address, token) = (app.client.clone(), app.address.clone(), token.clone());
        writers.push(tokio::spawn(async move {
            for round in 0..5 {
                let items: Vec<Value> = (0..3)
                    .map(|i| json!({"source_id": format!("W{w}-{round}-{i}"), "firstname": format!("P{w}{round}{i}"), "lastname": "Flux", "date_of_birth": "1980-01-01"}))
                    .collect();
                client.post(format!("{address}/v1/beneficiaries/batch")).bearer_auth(&token).json(&json!({"items": items})).send().await.unwrap();
            }
        }));
    }
    // A reader polls while they write, resuming from its cursor each time.
    let mut seen = Vec::new();
    let mut cursor = None;
    while writers.iter().any(|w| !w.is_finished()) {
        let (seqs, next) = read_feed(&app, &token, cursor.clone()).await;
        seen.extend(seqs);
        cursor = next;
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let (rest, _) = read_feed(&app, &token, cursor).await;
    seen.extend(rest);
    assert_eq!(seen.len(), 60, "4 writers × 5 batches × 3 creations");
    assert!(
        seen.windows(2).all(|pair| pair[0] < pair[1]),
        "strictly increasing, no duplicate"
    );
    let (everything, _) = read_feed(&app, &token, None).await;
    assert_eq!(
        everything, seen,
        "resuming page by page saw exactly what a full read sees"
    );
    // Another deployment's client sees none of it.
    let other: Value = app
        .client
        .get(format!("{}/v1/changes", app.address))
        .bearer_auth(world.token("client_b"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other["items"].as_array().unwrap().len(), 0);
}

fn record(
    deployment: uuid::Uuid,
    kind: SourceKind,
    system: &str,
    id: &str,
    day: u32,
    fields: PersonFields,
) -> PersonRecord {
    PersonRecord {
        deployment_id: deployment,
        source: Source {
            kind,
            system: system.into(),
            record_id: Some(id.into()),
            as_of: Utc
                .with_ymd_and_hms(2026, 1, day, 0, 0, 0)
                .single()
                .unwrap(),
            author_account_id: None,
        },
        fields,
    }
}

fn person(first: &str, last: &str) -> PersonFields {
    PersonFields {
        firstname: Some(first.into()),
        lastname: Some(last.into()),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1975, 6, 15),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matching_and_merge_rules_through_the_pipeline() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let a = world.deployment_a;
    let url = app.database.url.clone();
    let url2 = url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        let mut run = |records: Vec<PersonRecord>| cdb_hub::inbound::ingest_all(&mut conn, &records, "import", cdb_hub::domain::reach::Reach::Everything).unwrap();
        // An IODAS couple shares one SI id: two people, told apart by their role.
        let mut dem = person("Marc", "Couple");
        dem.external_id = Some("IODAS77".into());
        dem.external_role = Some("DEM".into());
        let mut cjt = person("Anne", "Couple");
        cjt.external_id = Some("IODAS77".into());
        cjt.external_role = Some("CJT".into());
        let out = run(vec![record(a, SourceKind::Departement, "departement:iodas", "77-DEM", 1, dem.clone()), record(a, SourceKind::Departement, "departement:iodas", "77-CJT", 1, cjt)]);
        assert!(matches!(out[0], Outcome::Created { .. }) && matches!(out[1], Outcome::Created { .. }), "{out:?}");
        // CAF/MSA sets the RSA right; a later file cannot overwrite it, CAF/MSA can.
        let mut caf = dem.clone();
        caf.right_rsa = Some("rsa_droit_ouvert_versable".into());
        caf.nir = cdb_hub::domain::Nir::parse("1750675000001").ok();
        let out = run(vec![record(a, SourceKind::CafMsa, "cafmsa", "CAF-1", 2, caf.clone())]);
        assert!(matches!(&out[0], Outcome::Updated { .. }), "CAF/MSA's record matched the couple's applicant by names and birth date: {out:?}");
        let mut from_file = dem.clone();
        from_file.right_rsa = Some("rsa_clos".into());
        let out = run(vec![record(a, SourceKind::Departement, "departement:iodas", "77-DEM", 5, from_file)]);
        assert!(matches!(&out[0], Outcome::Unchanged { .. }), "{out:?}");
        let mut closing = caf.clone();
        closing.right_rsa = Some("rsa_clos".into());
        let out = run(vec![record(a, SourceKind::CafMsa, "cafmsa", "CAF-1", 6, closing.clone())]);
        assert!(matches!(&out[0], Outcome::Updated { fields, .. } if fields == &vec![cdb_hub::domain::person::PersonField::RightRsa]), "{out:?}");
        // Older data from the same source never overwrites newer data.
        let out = run(vec![record(a, SourceKind::CafMsa, "cafmsa", "CAF-1", 3, caf.clone())]);
        assert!(matches!(&out[0], Outcome::Unchanged { .. }), "{out:?}");
        // A pivot that disagrees becomes a possible match, not an overwrite.
        let mut wrong_birth = closing.clone();
        wrong_birth.date_of_birth = chrono::NaiveDate::from_ymd_opt(1976, 6, 15);
        let out = run(vec![record(a, SourceKind::CafMsa, "cafmsa", "CAF-1", 7, wrong_birth)]);
        assert!(matches!(&out[0], Outcome::PossibleMatch { reason, .. } if reason == "pivot_conflict"), "{out:?}");
        // Names and birth date matching two people: a possible match, never a merge.
        // (Two homonyms born the same day, known from before; the pipeline itself would have
        // matched the second to the first.)
        let mut setup = PgConnection::establish(&url2).unwrap();
        diesel::sql_query(format!(
            "INSERT INTO beneficiary (deployment_id, firstname, lastname, date_of_birth) VALUES \
             ('{a}', 'Jean', 'Homonyme', '1975-06-15'), ('{a}', 'JEAN', 'Homonyme', '1975-06-15')"
        ))
        .execute(&mut setup)
        .unwrap();
        let twin = person("Jéan", "homonyme");
        let out = run(vec![record(a, SourceKind::Partner, "partner:z", "H3", 1, twin)]);
        assert!(matches!(&out[0], Outcome::PossibleMatch { reason, .. } if reason == "ambiguous"), "{out:?}");
        // Each key matches on its own: France Travail id.
        let mut registered = person("Zoé", "Inscrite");
        registered.france_travail_id = cdb_connector::FranceTravailId::parse("12345678901").ok();
        run(vec![record(a, SourceKind::FranceTravail, "france_travail", "FT-1", 1, registered)]);
        let by_ft = PersonFields { france_travail_id: cdb_connector::FranceTravailId::parse("12345678901").ok(), city: Some("Crest".into()), ..Default::default() };
        let out = run(vec![record(a, SourceKind::Partner, "partner:q", "Q1", 2, by_ft)]);
        assert!(matches!(&out[0], Outcome::Updated { matched_by, .. } if *matched_by == cdb_hub::inbound::matching::MatchKey::FranceTravail), "{out:?}");
    })
    .await
    .unwrap();
    let open: i64 = tokio::task::spawn_blocking({
        let url = app.database.url.clone();
        move || {
            #[derive(QueryableByName)]
            struct Count {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                count: i64,
            }
            let mut conn = PgConnection::establish(&url).unwrap();
            diesel::sql_query("SELECT count(*) AS count FROM possible_match WHERE status = 'open'")
                .get_result::<Count>(&mut conn)
                .unwrap()
                .count
        }
    })
    .await
    .unwrap();
    assert_eq!(open, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_resolves_possible_matches_and_provenance_shows_each_fields_source() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = writer(&app, &world).await;
    let a = world.deployment_a;
    let url = app.database.url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        diesel::sql_query(format!(
            "INSERT INTO beneficiary (deployment_id, firstname, lastname, date_of_birth) VALUES \
             ('{a}', 'Nina', 'Double', '1999-09-09'), ('{a}', 'Nina', 'Double', '1999-09-09')"
        ))
        .execute(&mut conn)
        .unwrap();
    })
    .await
    .unwrap();
    let batch = json!({"items": [{"source_id": "N-1", "firstname": "Nina", "lastname": "Double", "date_of_birth": "1999-09-09", "city": "Die"}]});
    let (_, body, _) = post(&app, &token, "/v1/beneficiaries/batch", &batch, None).await;
    assert_eq!(body["items"][0]["status"], "possible_match", "{body}");
    let held = body["items"][0]["possible_match_id"].clone();
    assert!(held.is_string(), "{body}");
    // Sent again (a retry, next month's file), the same record finds its open possible match
    // rather than opening another.
    let (_, again, _) = post(&app, &token, "/v1/beneficiaries/batch", &batch, None).await;
    assert_eq!(again["items"][0]["status"], "possible_match", "{again}");
    assert_eq!(again["items"][0]["possible_match_id"], held, "{again}");
    let manager = world.token("manager_a");
    let listed: Value = app
        .client
        .get(format!("{}/v1/matches", app.address))
        .bearer_auth(manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        1,
        "held once: {listed}"
    );
    let item = &listed["items"][0];
    assert_eq!(item["reason"], "ambiguous");
    assert_eq!(item["candidate_ids"].as_array().unwrap().len(), 2);
    let chosen = item["candidate_ids"][0].as_str().unwrap().to_owned();
    let id = item["id"].as_str().unwrap().to_owned();
    // Only managers decide.
    let refused = app
        .client
        .get(format!("{}/v1/matches", app.address))
        .bearer_auth(world.token("professional_member"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let (status, decided, _) = post(
        &app,
        manager,
        &format!("/v1/matches/{id}/resolve"),
        &json!({"decision": "same_person", "beneficiary_id": chosen}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["outcome"]["status"], "updated");
    let after: Value = app
        .client
        .get(format!("{}/v1/matches", app.address))
        .bearer_auth(manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after["items"].as_array().unwrap().len(), 0);
    // The record now lands on the chosen person; provenance says who set the city, as of when.
    let person: Value = app
        .client
        .get(format!(
            "{}/v1/beneficiaries/{chosen}?include=provenance",
            app.address
        ))
        .bearer_auth(manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(person["city"], "Die");
    assert!(
        person["provenance"]["city"]["source_system"]
            .as_str()
            .unwrap()
            .starts_with("partner:"),
        "{person}"
    );
    assert!(person["provenance"]["city"]["as_of"].is_string());
    // The same partner record again is now matched by its source id, without any new question.
    let (_, body, _) = post(&app, &token, "/v1/beneficiaries/batch", &batch, None).await;
    assert_eq!(body["items"][0]["status"], "unchanged", "{body}");
    assert_eq!(body["items"][0]["beneficiary_id"], chosen.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caf_number_in_any_form_meets_the_same_household() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = writer(&app, &world).await;
    // The flux's form (right-padded to 15) with spaces, then the bare 7-digit number.
    let first = json!({"items": [{"source_id": "CAF-A", "firstname": "Ana", "lastname": "Foyer", "date_of_birth": "1980-01-01", "caf_number": " 012 3456 00000000"}]});
    let (_, body, _) = post(&app, &token, "/v1/beneficiaries/batch", &first, None).await;
    assert_eq!(body["items"][0]["status"], "created", "{body}");
    let person = body["items"][0]["beneficiary_id"].clone();
    let second =
        json!({"items": [{"source_id": "OTHER-SYSTEM-1", "caf_number": "0123456", "city": "Die"}]});
    let (_, body, _) = post(&app, &token, "/v1/beneficiaries/batch", &second, None).await;
    assert_eq!(body["items"][0]["status"], "updated", "{body}");
    assert_eq!(
        body["items"][0]["beneficiary_id"], person,
        "one household, one person"
    );
    let (_, body, _) = post(
        &app,
        &token,
        "/v1/beneficiaries/batch",
        &json!({"items": [{"source_id": "X", "caf_number": "12-34"}]}),
        None,
    )
    .await;
    assert_eq!(
        body["items"][0]["errors"][0]["code"], "invalid_caf_number",
        "{body}"
    );
}
