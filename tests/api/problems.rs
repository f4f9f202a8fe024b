//! Problem `type` URIs lead somewhere: every code of the contract has a page of the hub saying,
//! in French and English, what it means and what to do; an error's `type` is that page.

use serde_json::Value;

use crate::support::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_problem_type_uri_answers_a_page_in_french_and_english() {
    let app = spawn_app().await;
    let document = serde_json::to_value(cdb_hub::app::openapi()).unwrap();
    let codes = document["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    assert!(codes.len() >= 20, "{codes:?}");
    let index: Value = app
        .client
        .get(format!("{}/problems", app.address))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(index.as_array().unwrap().len(), codes.len());
    for code in &codes {
        let code = code.as_str().unwrap();
        let uri = format!("/problems/{code}");
        let page = app.get(&uri).await;
        assert_eq!(page.status(), 200, "{uri}");
        assert!(
            page.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = page.text().await.unwrap();
        for heading in ["En français", "Que faire", "In English", "What to do"] {
            assert!(html.contains(heading), "{uri}: {heading}");
        }
        let explained: Value = app
            .client
            .get(format!("{}{uri}", app.address))
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(explained["type"], uri.as_str());
        assert!(explained["fr"]["what_to_do"].as_str().unwrap().len() > 20);
        assert!(explained["en"]["meaning"].as_str().unwrap().len() > 20);
    }
    // A real error's `type` is such a page.
    let refused = app.get("/v1/me").await;
    assert_eq!(refused.status(), 401);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/unauthenticated");
    assert_eq!(app.get("/problems/unauthenticated").await.status(), 200);
    assert_eq!(app.get("/problems/no_such_code").await.status(), 404);
}
