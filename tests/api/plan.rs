//! Writing the action plan: members write, others cannot; versions and If-Match; the timeline.

use serde_json::{Value, json};

use crate::fixture::world;
use crate::support::{TestApp, send, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_write_the_plan_with_versions_and_the_timeline_records_it() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let pro = world.token("professional_member");
    let nb = world.notebook;
    let post = reqwest::Method::POST;
    let (status, focus, _) = send(
        &app,
        post.clone(),
        pro,
        &format!("/v1/notebooks/{nb}/focuses"),
        json!({"theme": "emploi"}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{focus}");
    let focus_id = focus["id"].as_str().unwrap().to_owned();
    let (status, target, _) = send(
        &app,
        post.clone(),
        pro,
        &format!("/v1/notebooks/{nb}/focuses/{focus_id}/targets"),
        json!({"target": "Accéder à l’emploi", "linked_to": "cer"}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{target}");
    let target_id = target["id"].as_str().unwrap().to_owned();
    let (status, action, etag) = send(
        &app,
        post.clone(),
        pro,
        &format!("/v1/notebooks/{nb}/targets/{target_id}/actions"),
        json!({"action": "Travailler le CV \"moderne\""}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{action}");
    let action_id = action["id"].as_str().unwrap().to_owned();
    let etag = etag.unwrap();
    // The read gives the same version as the last write.
    let read = app
        .client
        .get(format!("{}/v1/notebooks/{nb}", app.address))
        .bearer_auth(pro)
        .send()
        .await
        .unwrap();
    assert_eq!(read.headers()["etag"].to_str().unwrap(), etag);
    let document: Value = read.json().await.unwrap();
    assert_eq!(
        document["focuses"][0]["targets"][0]["actions"][0]["action"],
        "Travailler le CV \"moderne\""
    );
    // Updates need the version read: missing 428, stale 412, current 200.
    let patch = reqwest::Method::PATCH;
    let path = format!("/v1/notebooks/{nb}/actions/{action_id}");
    let (status, _, _) = send(
        &app,
        patch.clone(),
        pro,
        &path,
        json!({"status": "done"}),
        None,
    )
    .await;
    assert_eq!(status, 428);
    let (status, stale, _) = send(
        &app,
        patch.clone(),
        pro,
        &path,
        json!({"status": "done"}),
        Some("\"v1\""),
    )
    .await;
    assert_eq!(status, 412, "{stale}");
    assert_eq!(stale["current_etag"], etag.as_str());
    let (status, _, new_etag) = send(
        &app,
        patch.clone(),
        pro,
        &path,
        json!({"status": "done"}),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 200);
    assert_ne!(new_etag.unwrap(), etag);
    let (status, _, _) = send(
        &app,
        patch.clone(),
        pro,
        &path,
        json!({"status": "finished-ish"}),
        Some(&document_etag(&app, pro, nb).await),
    )
    .await;
    assert_eq!(status, 422, "unknown statuses are refused");
    // The timeline: who, what, when, before → after.
    let events: Value = app
        .client
        .get(format!("{}/v1/notebooks/{nb}/events", app.address))
        .bearer_auth(pro)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(events["next_cursor"].is_null(), "{events}");
    let events = events["items"].as_array().unwrap();
    assert_eq!(events.len(), 4, "{events:?}");
    let change = events
        .iter()
        .find(|e| e["payload"]["before"]["status"] == "in_progress")
        .unwrap();
    assert_eq!(change["event_type"], "action");
    assert_eq!(change["payload"]["after"]["status"], "done");
    assert!(change["author_account_id"].is_string());
    // Paged newest first: three, then the fourth, and nothing after.
    let page = |query: String| {
        let request = app
            .client
            .get(format!("{}/v1/notebooks/{nb}/events?{query}", app.address))
            .bearer_auth(pro);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let first = page("limit=3".into()).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 3, "{first}");
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = page(format!("limit=3&cursor={cursor}")).await;
    assert!(rest["next_cursor"].is_null(), "{rest}");
    let mut paged: Vec<Value> = first["items"].as_array().unwrap().clone();
    paged.extend(rest["items"].as_array().unwrap().iter().cloned());
    assert_eq!(&paged, events, "the pages are the list, in order");
    let feed: Value = app
        .client
        .get(format!("{}/v1/changes", app.address))
        .bearer_auth(world.token("client_a"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "notebook.updated" && c["notebook_id"] == nb.to_string()),
        "{feed}"
    );
}

async fn document_etag(app: &TestApp, token: &str, nb: uuid::Uuid) -> String {
    let read = app
        .client
        .get(format!("{}/v1/notebooks/{nb}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    read.headers()["etag"].to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_active_members_and_writing_partners_write_the_plan() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let path = format!("/v1/notebooks/{}/focuses", world.notebook);
    for (caller, expected) in [
        ("professional_member", 201),
        ("professional_former_member", 404),
        ("professional_non_member", 404),
        ("professional_other_deployment", 404),
        ("manager_a", 403),
        ("beneficiary_self", 403),
        ("client_a", 403),
    ] {
        let (status, body, _) = send(
            &app,
            reqwest::Method::POST,
            world.token(caller),
            &path,
            json!({"theme": "logement"}),
            None,
        )
        .await;
        assert_eq!(status, expected, "{caller}: {body}");
    }
    let (status, body, _) = send(
        &app,
        reqwest::Method::POST,
        world.token("professional_member"),
        &path,
        json!({"theme": "astrologie"}),
        None,
    )
    .await;
    assert_eq!(status, 422, "{body}");
}
