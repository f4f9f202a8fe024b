//! The agents' console over HTTP (the browser tests drive the same pages in Chromium): signing
//! in by the console's magic link, the session cookie, CSRF refusals, and every page against
//! the same policy and reach as the API, caller by caller.

use diesel::prelude::*;
use reqwest::header::{HeaderMap, SET_COOKIE};
use uuid::Uuid;

use crate::fixture::world;
use crate::imports::{run_job, upload};
use crate::support::{TestApp, spawn_app};
use cdb_hub::imports::runner::RunLimit;

/// A console answer: status, body and headers.
pub(crate) struct Page {
    pub status: u16,
    pub body: String,
    pub headers: HeaderMap,
}

impl Page {
    /// The CSRF token of the page's first form.
    pub fn csrf(&self) -> String {
        self.body
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no CSRF token in {}", self.body))
            .to_owned()
    }

    /// Where a redirection leads.
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    /// The value of a cookie the answer sets, and the whole header.
    pub fn cookie(&self, name: &str) -> Option<(String, String)> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|header| header.starts_with(&format!("{name}=")))
            .map(|header| {
                let value = header[name.len() + 1..]
                    .split(';')
                    .next()
                    .unwrap()
                    .to_owned();
                (value, header)
            })
    }
}

async fn answer(response: reqwest::Response) -> Page {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    Page {
        status,
        headers,
        body: response.text().await.unwrap_or_default(),
    }
}

/// GET a console page with these cookies (`name=value; …`).
pub(crate) async fn get(app: &TestApp, cookies: &str, path: &str) -> Page {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if !cookies.is_empty() {
        request = request.header("Cookie", cookies);
    }
    answer(request.send().await.unwrap()).await
}

/// POST a urlencoded console form with these cookies and extra headers.
pub(crate) async fn post(
    app: &TestApp,
    cookies: &str,
    path: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Page {
    let mut request = app
        .client
        .post(format!("{}{path}", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap());
    if !cookies.is_empty() {
        request = request.header("Cookie", cookies);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    answer(request.send().await.unwrap()).await
}

/// The session cookie of a world caller (their session token).
fn session(token: &str) -> String {
    format!("cdb_console={token}")
}

/// The console sign-in keys e-mailed to an address, newest first.
fn console_keys(app: &TestApp, email: &str) -> Vec<String> {
    let mut conn = PgConnection::establish(&app.database.url).unwrap();
    cdb_hub::store::outbox::to_recipient(&mut conn, email, 10)
        .unwrap()
        .into_iter()
        .filter_map(|mail| {
            mail.body
                .split("/console/connexion/")
                .nth(1)
                .map(|rest| rest.split_whitespace().next().unwrap_or("").to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_link_signs_the_agent_in_with_a_session_cookie_and_signing_out_revokes_it() {
    let app = spawn_app().await;
    let _world = world(&app).await;
    // Without a session, any page leads to the sign-in form, and back after.
    let first = get(&app, "", "/console/imports").await;
    assert_eq!(first.status, 303);
    assert_eq!(
        first.location(),
        "/console/connexion?suite=%2Fconsole%2Fimports"
    );
    let form = get(&app, "", "/console/connexion").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Connexion à la console"));
    let (form_secret, form_cookie) = form.cookie("cdb_console_form").expect("a form cookie");
    assert!(form_cookie.contains("HttpOnly"), "{form_cookie}");
    assert!(form_cookie.contains("SameSite=Strict"), "{form_cookie}");
    let form_cookies = format!("cdb_console_form={form_secret}");
    // The form's token is bound to the form cookie.
    let refused = post(
        &app,
        "",
        "/console/connexion",
        &[("email", "manager.a@example.org"), ("csrf", &form.csrf())],
        &[],
    )
    .await;
    assert_eq!(refused.status, 403);
    let bad_address = post(
        &app,
        &form_cookies,
        "/console/connexion",
        &[("email", "manager.a@"), ("csrf", &form.csrf())],
        &[],
    )
    .await;
    assert_eq!(bad_address.status, 422);
    assert!(bad_address.body.contains("adresse électronique valide"));
    let sent = post(
        &app,
        &form_cookies,
        "/console/connexion",
        &[("email", "Manager.A@example.org"), ("csrf", &form.csrf())],
        &[],
    )
    .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("Vérifiez votre messagerie"));
    let unknown = post(
        &app,
        &form_cookies,
        "/console/connexion",
        &[("email", "nobody@example.org"), ("csrf", &form.csrf())],
        &[],
    )
    .await;
    assert_eq!(unknown.status, 200);
    assert_eq!(
        unknown.body, sent.body,
        "the answer must not tell whether the e-mail exists"
    );
    let keys = tokio::task::block_in_place(|| console_keys(&app, "manager.a@example.org"));
    assert_eq!(keys.len(), 1, "one e-mail with the console's link");

    // Opening the link shows a button; a mail scanner's GET does not spend the key.
    let path = format!("/console/connexion/{}", keys[0]);
    assert_eq!(get(&app, "", &path).await.status, 200);
    let confirm = get(&app, &form_cookies, &path).await;
    assert!(confirm.body.contains("Se connecter"));
    let opened = post(
        &app,
        &form_cookies,
        &path,
        &[("csrf", &confirm.csrf())],
        &[],
    )
    .await;
    assert_eq!(opened.status, 303, "{}", opened.body);
    assert_eq!(opened.location(), "/console");
    let (token, cookie) = opened.cookie("cdb_console").expect("the session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/console"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http here: {cookie}");
    let cookies = session(&token);
    let home = get(&app, &cookies, "/console").await;
    assert_eq!(home.location(), "/console/imports");
    let imports = get(&app, &cookies, "/console/imports").await;
    assert_eq!(imports.status, 200, "{}", imports.body);
    assert!(imports.body.contains("Gestionnaire du déploiement"));
    // The page keeps every request on the hub's origin and is never framed nor cached.
    let policy = imports.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(imports.headers["cache-control"], "no-store");
    // The key is spent.
    let again = post(
        &app,
        &form_cookies,
        &path,
        &[("csrf", &confirm.csrf())],
        &[],
    )
    .await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("déjà utilisé"));
    // The API never reads the cookie.
    let api = app
        .client
        .get(format!("{}/v1/me", app.address))
        .header("Cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);

    // Signing out needs the session's token, then revokes the session.
    let without = post(&app, &cookies, "/console/deconnexion", &[], &[]).await;
    assert_eq!(without.status, 403);
    let out = post(
        &app,
        &cookies,
        "/console/deconnexion",
        &[("csrf", &imports.csrf())],
        &[],
    )
    .await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location(), "/console/connexion");
    let (_, removal) = out.cookie("cdb_console").expect("the cookie removed");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    let after = get(&app, &cookies, "/console/imports").await;
    assert_eq!(after.status, 303, "a revoked session signs in again");
    let me = app
        .client
        .get(format!("{}/v1/me", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        401,
        "the session token is revoked for the API too"
    );
}

/// A previewed beneficiaries import of manager A, as the API makes it.
async fn previewed_import(app: &TestApp, token: &str) -> Uuid {
    let csv = "Identifiant dans le SI*;Prénom*;Nom*;Date de naissance*\r\nC-1;Léa;Console;01/02/1990\r\nC-2;Paul;Console;31/02/1990\r\n";
    let (status, body, _) = upload(
        app,
        token,
        &[("kind", "beneficiaries"), ("mode", "preview")],
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let id: Uuid = body["id"].as_str().unwrap().parse().unwrap();
    run_job(app, id, RunLimit::default()).await;
    id
}

fn import_status(app: &TestApp, id: Uuid) -> String {
    #[derive(QueryableByName)]
    struct Status {
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
    }
    let mut conn = PgConnection::establish(&app.database.url).unwrap();
    diesel::sql_query(format!("SELECT status FROM import WHERE id = '{id}'"))
        .get_result::<Status>(&mut conn)
        .unwrap()
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_cross_site_post_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let id = previewed_import(&app, world.token("manager_a")).await;
    let cookies = session(world.token("manager_a"));
    let page = get(&app, &cookies, &format!("/console/imports/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Valider l&#x27;import") || page.body.contains("Valider l'import"));
    let csrf = page.csrf();
    let path = format!("/console/imports/{id}/validation");
    let other_session = get(&app, &session(world.token("admin_cdb")), "/console/imports").await;
    for (case, form, headers) in [
        (
            "another site's page, with the right token",
            vec![("csrf", csrf.as_str())],
            vec![("Origin", "https://evil.example")],
        ),
        (
            "the browser says cross-site",
            vec![("csrf", csrf.as_str())],
            vec![("Sec-Fetch-Site", "cross-site")],
        ),
        ("no token", vec![], vec![]),
        ("a made-up token", vec![("csrf", "0000")], vec![]),
        (
            "another session's token",
            vec![("csrf", &other_session.csrf())],
            vec![],
        ),
    ] {
        let forged = post(&app, &cookies, &path, &form, &headers).await;
        assert_eq!(forged.status, 403, "{case}: {}", forged.body);
        assert!(forged.body.contains("Formulaire refusé"), "{case}");
        assert_eq!(
            tokio::task::block_in_place(|| import_status(&app, id)),
            "previewed",
            "{case}"
        );
    }
    let same_origin = app.address.clone();
    let committed = post(
        &app,
        &cookies,
        &path,
        &[("csrf", &csrf)],
        &[("Origin", &same_origin), ("Sec-Fetch-Site", "same-origin")],
    )
    .await;
    assert_eq!(committed.status, 303, "{}", committed.body);
    assert_eq!(
        tokio::task::block_in_place(|| import_status(&app, id)),
        "committing"
    );
}

/// The imports a page lists, by file name.
fn lists(page: &Page, file_name: &str) -> bool {
    page.body.contains(&format!(">{file_name}</a>"))
}

async fn upload_named(
    app: &TestApp,
    token: &str,
    fields: &[(&str, &str)],
    name: &str,
    bytes: &[u8],
) -> Uuid {
    let (content_type, body) = crate::imports::multipart(fields, name, bytes);
    let response = app
        .client
        .post(format!("{}/v1/imports", app.address))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let body: serde_json::Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_page_shows_each_caller_what_the_api_shows_them() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let people_file =
        "Identifiant dans le SI*;Prénom*;Nom*;Date de naissance*\r\nM-1;Ana;Matrice;01/02/1990\r\n";
    let pros = "Courriel*;Prénom*;Nom*\r\npro@example.org;Pro;Fessionnel\r\n";
    let (s1, s2) = (
        world.structure_s1.to_string(),
        world.structure_s2.to_string(),
    );
    let people_import = upload_named(
        &app,
        world.token("manager_a"),
        &[("kind", "beneficiaries")],
        "beneficiaires-a.csv",
        people_file.as_bytes(),
    )
    .await;
    let s1_import = upload_named(
        &app,
        world.token("admin_structure_s1"),
        &[("kind", "professionals"), ("structure", &s1)],
        "professionnels-s1.csv",
        pros.as_bytes(),
    )
    .await;
    let s2_import = upload_named(
        &app,
        world.token("admin_structure_s2"),
        &[("kind", "professionals"), ("structure", &s2)],
        "professionnels-s2.csv",
        pros.as_bytes(),
    )
    .await;
    for id in [people_import, s1_import, s2_import] {
        run_job(&app, id, RunLimit::default()).await;
    }
    let files = [
        "beneficiaires-a.csv",
        "professionnels-s1.csv",
        "professionnels-s2.csv",
    ];
    // The imports list: whose imports each caller follows (the API's reach).
    for (caller, seen) in [
        ("admin_cdb", [true, true, true]),
        ("manager_a", [true, true, true]),
        ("manager_b", [false, false, false]),
        ("admin_structure_s1", [false, true, false]),
        ("admin_structure_s2", [false, false, true]),
    ] {
        let page = get(&app, &session(world.token(caller)), "/console/imports").await;
        assert_eq!(page.status, 200, "{caller}: {}", page.body);
        for (file, expected) in files.iter().zip(seen) {
            assert_eq!(lists(&page, file), expected, "{caller} and {file}");
        }
    }
    for caller in [
        "professional_member",
        "orientation_manager_a",
        "beneficiary_self",
    ] {
        let page = get(&app, &session(world.token(caller)), "/console/imports").await;
        assert_eq!(page.status, 403, "{caller}");
        assert!(!lists(&page, files[0]), "{caller}");
    }
    // An import's page, its progress, its errors file and its corrections: 404 outside reach.
    for path in [
        format!("/console/imports/{people_import}"),
        format!("/console/imports/{people_import}/progression"),
        format!("/console/imports/{people_import}/erreurs.csv"),
    ] {
        for (caller, status) in [
            ("manager_a", 200),
            ("admin_cdb", 200),
            ("manager_b", 404),
            ("admin_structure_s1", 404),
            ("professional_member", 403),
            ("beneficiary_self", 403),
        ] {
            let page = get(&app, &session(world.token(caller)), &path).await;
            assert_eq!(page.status, status, "{caller} on {path}");
            if status != 200 {
                assert!(!page.body.contains("Matrice"), "{caller} on {path}");
            }
        }
    }
    let s2_page = format!("/console/imports/{s2_import}");
    assert_eq!(
        get(&app, &session(world.token("admin_structure_s1")), &s2_page)
            .await
            .status,
        404
    );
    assert_eq!(
        get(&app, &session(world.token("admin_structure_s2")), &s2_page)
            .await
            .status,
        200
    );
    // Committing another deployment's import: not found, and nothing changes.
    let outsider = session(world.token("manager_b"));
    let outsider_page = get(&app, &outsider, "/console/imports").await;
    let refused = post(
        &app,
        &outsider,
        &format!("/console/imports/{people_import}/validation"),
        &[("csrf", &outsider_page.csrf())],
        &[],
    )
    .await;
    assert_eq!(refused.status, 404);
    assert_eq!(
        tokio::task::block_in_place(|| import_status(&app, people_import)),
        "previewed"
    );

    // The people: a professional sees the people of their notebooks, a manager their
    // deployment's, nobody another deployment's.
    for (caller, tifour, autre) in [
        ("manager_a", true, true),
        ("admin_cdb", true, true),
        ("professional_member", true, false),
        ("professional_non_member", false, false),
        ("professional_other_deployment", false, false),
        ("manager_b", false, false),
    ] {
        let page = get(&app, &session(world.token(caller)), "/console/personnes").await;
        assert_eq!(page.status, 200, "{caller}: {}", page.body);
        assert_eq!(page.body.contains("TIFOUR"), tifour, "{caller}");
        assert_eq!(page.body.contains("AUTRE"), autre, "{caller}");
    }
    // A professional lands on their people; an API client's token is no console session.
    let home = get(
        &app,
        &session(world.token("professional_member")),
        "/console",
    )
    .await;
    assert_eq!(home.location(), "/console/personnes");
    for client in ["client_a", "client_b"] {
        let page = get(&app, &session(world.token(client)), "/console/personnes").await;
        assert_eq!(page.status, 303, "{client}");
    }
    // Without a session, every page leads to the sign-in form; an unknown page is a 404 page.
    for path in [
        "/console".to_owned(),
        "/console/imports".to_owned(),
        "/console/imports/nouveau".to_owned(),
        "/console/personnes".to_owned(),
        format!("/console/imports/{people_import}"),
        format!("/console/imports/{people_import}/erreurs.csv"),
    ] {
        let page = get(&app, "", &path).await;
        assert_eq!(page.status, 303, "{path}");
        assert!(page.location().starts_with("/console/connexion"), "{path}");
    }
    let missing = get(
        &app,
        &session(world.token("manager_a")),
        "/console/nulle-part",
    )
    .await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Page introuvable"));
}

/// Two namesakes of deployment A, and a committed import line that may be either: an open
/// possible match. Answers its id.
pub(crate) async fn a_possible_match(app: &TestApp, manager_token: &str, deployment: Uuid) -> Uuid {
    let url = app.database.url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        diesel::sql_query(format!(
            "INSERT INTO beneficiary (deployment_id, firstname, lastname, date_of_birth, city) VALUES \
             ('{deployment}', 'Nina', 'Double', '1999-09-09', 'Die'), ('{deployment}', 'Nina', 'Double', '1999-09-09', 'Crest')"
        ))
        .execute(&mut conn)
        .unwrap();
    })
    .await
    .unwrap();
    let csv = "Identifiant dans le SI*;Prénom*;Nom*;Date de naissance*;Ville\r\nN-1;Nina;Double;09/09/1999;Valence\r\n";
    let (status, body, _) = upload(
        app,
        manager_token,
        &[("kind", "beneficiaries"), ("mode", "commit")],
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let id: Uuid = body["id"].as_str().unwrap().parse().unwrap();
    run_job(app, id, RunLimit::default()).await;
    let url = app.database.url.clone();
    tokio::task::spawn_blocking(move || {
        #[derive(QueryableByName)]
        struct Held {
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            id: Uuid,
        }
        let mut conn = PgConnection::establish(&url).unwrap();
        diesel::sql_query("SELECT id FROM possible_match WHERE status = 'open'")
            .get_result::<Held>(&mut conn)
            .expect("one open possible match")
            .id
    })
    .await
    .unwrap()
}

fn count(app: &TestApp, sql: &str) -> i64 {
    crate::imports::count(app, sql)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_decides_a_possible_match_side_by_side_and_only_managers_see_them() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let held = a_possible_match(&app, world.token("manager_a"), world.deployment_a).await;
    let manager = session(world.token("manager_a"));
    let list = get(&app, &manager, "/console/rapprochements").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("Nina DOUBLE"), "{}", list.body);
    for (caller, status) in [
        ("manager_b", 200),
        ("admin_cdb", 403),
        ("professional_member", 403),
        ("admin_structure_s1", 403),
    ] {
        let page = get(
            &app,
            &session(world.token(caller)),
            "/console/rapprochements",
        )
        .await;
        assert_eq!(page.status, status, "{caller}");
        assert!(!page.body.contains("Nina DOUBLE"), "{caller}");
        let one = get(
            &app,
            &session(world.token(caller)),
            &format!("/console/rapprochements/{held}"),
        )
        .await;
        assert!(
            one.status == 404 || one.status == 403,
            "{caller}: {}",
            one.status
        );
    }
    let page = get(&app, &manager, &format!("/console/rapprochements/{held}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Fiche reçue"));
    assert!(
        page.body.contains("Valence") && page.body.contains("Crest") && page.body.contains("Die")
    );
    assert!(
        page.body.contains("diffère"),
        "the differing city is marked"
    );
    let candidate = page
        .body
        .split("name=\"decision\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let decided = post(
        &app,
        &manager,
        &format!("/console/rapprochements/{held}"),
        &[("csrf", &page.csrf()), ("decision", &candidate)],
        &[],
    )
    .await;
    assert_eq!(decided.status, 303, "{}", decided.body);
    assert_eq!(decided.location(), "/console/rapprochements?fait=1");
    assert_eq!(
        tokio::task::block_in_place(|| count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM possible_match WHERE id = '{held}' AND status = 'same_person' AND resolved_beneficiary_id = '{candidate}'"
            )
        )),
        1
    );
    let again = post(
        &app,
        &manager,
        &format!("/console/rapprochements/{held}"),
        &[("csrf", &page.csrf()), ("decision", "different_person")],
        &[],
    )
    .await;
    assert_eq!(again.status, 404, "a decided match is not decided twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persons_page_shows_their_fields_sources_notebook_and_journal_to_those_who_may_read_them()
{
    let app = spawn_app().await;
    let world = world(&app).await;
    let path = format!("/console/personnes/{}", world.beneficiary);
    let before = count(
        &app,
        &format!(
            "SELECT count(*) AS count FROM access_log WHERE beneficiary_id = '{}' AND resource = 'GET /console/personnes/{{id}}'",
            world.beneficiary
        ),
    );
    for (caller, status, journal) in [
        ("manager_a", 200, true),
        ("admin_cdb", 200, true),
        ("professional_member", 200, false),
        ("professional_non_member", 404, false),
        ("professional_other_deployment", 404, false),
        ("manager_b", 404, false),
    ] {
        let page = get(&app, &session(world.token(caller)), &path).await;
        assert_eq!(page.status, status, "{caller}: {}", page.body);
        assert_eq!(
            page.body.contains("Tifour") || page.body.contains("TIFOUR"),
            status == 200,
            "{caller}"
        );
        if status == 200 {
            assert!(page.body.contains("Identité et droits"), "{caller}");
            assert!(page.body.contains("Carnet"), "{caller}");
            assert!(page.body.contains("Groupe de suivi"), "{caller}");
        }
        assert_eq!(
            page.body.contains("Journal d&#x27;accès") || page.body.contains("Journal d'accès"),
            journal,
            "{caller}"
        );
    }
    let after = count(
        &app,
        &format!(
            "SELECT count(*) AS count FROM access_log WHERE beneficiary_id = '{}' AND resource = 'GET /console/personnes/{{id}}'",
            world.beneficiary
        ),
    );
    assert!(
        after - before >= 3 + 3,
        "allowed reads and refusals are journaled: {before} → {after}"
    );
}

/// A multipart body whose fields come in this order (the CSRF token before the file, as the
/// console's form sends them, or not).
fn ordered_multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = format!("----cdb{}", Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        let disposition = match file_name {
            Some(file_name) => format!("form-data; name=\"{name}\"; filename=\"{file_name}\""),
            None => format!("form-data; name=\"{name}\""),
        };
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_multipart(
    app: &TestApp,
    cookies: &str,
    path: &str,
    parts: &[(&str, Option<&str>, &[u8])],
) -> Page {
    let (content_type, body) = ordered_multipart(parts);
    answer(
        app.client
            .post(format!("{}{path}", app.address))
            .header("Cookie", cookies)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A CAF/MSA instance of deployment A, created through the API.
pub(crate) async fn a_caf_instance(app: &TestApp, manager_token: &str) -> Uuid {
    let response = app
        .client
        .post(format!("{}/v1/connectors", app.address))
        .bearer_auth(manager_token)
        .json(&serde_json::json!({"kind": "caf_msa", "name": "CAF 93"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectors_take_a_flux_and_a_run_from_the_console_for_their_administrators_only() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let instance = a_caf_instance(&app, world.token("manager_a")).await;
    for (caller, status, listed) in [
        ("manager_a", 200, true),
        ("admin_cdb", 200, true),
        ("manager_b", 200, false),
        ("professional_member", 403, false),
        ("admin_structure_s1", 403, false),
    ] {
        let page = get(&app, &session(world.token(caller)), "/console/connecteurs").await;
        assert_eq!(page.status, status, "{caller}");
        assert_eq!(page.body.contains("CAF 93"), listed, "{caller}");
    }
    let path = format!("/console/connecteurs/{instance}");
    assert_eq!(
        get(&app, &session(world.token("manager_b")), &path)
            .await
            .status,
        404
    );
    let manager = session(world.token("manager_a"));
    let page = get(&app, &manager, &path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.csrf();
    let flux = std::fs::read(format!(
        "{}/fixtures/caf-msa/RSABEM.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let files = || {
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM connector_file WHERE instance_id = '{instance}'"
            ),
        )
    };
    // A forged upload (no token before the file) is refused before the file is read.
    let upload_path = format!("{path}/fichiers");
    let forged = post_multipart(
        &app,
        &manager,
        &upload_path,
        &[("file", Some("RSABEM.xml"), &flux)],
    )
    .await;
    assert_eq!(forged.status, 403);
    assert_eq!(tokio::task::block_in_place(files), 0);
    let other = get(
        &app,
        &session(world.token("manager_b")),
        "/console/connecteurs",
    )
    .await;
    let wrong = post_multipart(
        &app,
        &manager,
        &upload_path,
        &[
            ("csrf", None, other.csrf().as_bytes()),
            ("file", Some("RSABEM.xml"), &flux),
        ],
    )
    .await;
    assert_eq!(wrong.status, 403);
    assert_eq!(tokio::task::block_in_place(files), 0);
    let sent = post_multipart(
        &app,
        &manager,
        &upload_path,
        &[
            ("csrf", None, csrf.as_bytes()),
            ("file", Some("RSABEM.xml"), &flux),
        ],
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(sent.location(), format!("{path}?avis=envoye"));
    let again = post_multipart(
        &app,
        &manager,
        &upload_path,
        &[
            ("csrf", None, csrf.as_bytes()),
            ("file", Some("RSABEM.xml"), &flux),
        ],
    )
    .await;
    assert_eq!(again.location(), format!("{path}?avis=deja-recu"));
    assert_eq!(tokio::task::block_in_place(files), 1);
    // The worker applies it; the file's page shows its report.
    let pool = app.database.pool();
    let runs = crate::support::due_runs(&pool);
    assert_eq!(runs.len(), 1);
    crate::support::execute_run(&pool, runs[0]).await;
    let page = get(&app, &manager, &path).await;
    assert!(page.body.contains("Appliqué"), "{}", page.body);
    let file_link = page
        .body
        .split(&format!("href=\"{path}/fichiers/"))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let file_page = get(&app, &manager, &format!("{path}/fichiers/{file_link}")).await;
    assert_eq!(file_page.status, 200);
    assert!(file_page.body.contains("Foyers"), "{}", file_page.body);
    assert!(
        file_page
            .body
            .contains("Personnes inconnues du déploiement")
    );
    assert_eq!(
        get(
            &app,
            &session(world.token("manager_b")),
            &format!("{path}/fichiers/{file_link}")
        )
        .await
        .status,
        404
    );
    // A run started by hand, then its page.
    let started = post(
        &app,
        &manager,
        &format!("{path}/executions"),
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(started.status, 303, "{}", started.body);
    assert!(
        started
            .location()
            .starts_with(&format!("{path}/executions/"))
    );
    let run_page = get(&app, &manager, started.location()).await;
    assert_eq!(run_page.status, 200);
    assert!(run_page.body.contains("En attente"), "{}", run_page.body);
    let twice = post(
        &app,
        &manager,
        &format!("{path}/executions"),
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(twice.location(), format!("{path}?avis=deja-en-cours"));
    let refused = post(
        &app,
        &session(world.token("manager_b")),
        &format!("{path}/executions"),
        &[("csrf", &other.csrf())],
        &[],
    )
    .await;
    assert_eq!(refused.status, 404);
}
