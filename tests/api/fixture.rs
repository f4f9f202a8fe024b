//! A small world for access-control tests: two deployments, structures, people of every role,
//! one notebook with an active, a former and a non-member professional, and API clients.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use cdb_hub::auth::{clients, secrets};
use cdb_hub::domain::scopes::Scopes;
use cdb_hub::store;

use crate::support::TestApp;

/// Ids and credentials of the world.
pub struct World {
    pub deployment_a: Uuid,
    pub deployment_b: Uuid,
    pub structure_s1: Uuid,
    pub structure_s2: Uuid,
    /// The followed person, in deployment A, attached to S1.
    pub beneficiary: Uuid,
    pub nir: String,
    pub notebook: Uuid,
    /// Another person of deployment A.
    pub other_beneficiary: Uuid,
    /// Bearer tokens by caller name.
    pub tokens: Vec<(&'static str, String)>,
}

impl World {
    /// The token of a caller.
    pub fn token(&self, caller: &str) -> &str {
        self.tokens
            .iter()
            .find(|(name, _)| *name == caller)
            .map(|(_, token)| token.as_str())
            .unwrap_or_else(|| panic!("no caller {caller}"))
    }
}

fn exec(conn: &mut PgConnection, sql: &str) {
    diesel::sql_query(sql)
        .execute(conn)
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
}

fn session(conn: &mut PgConnection, account: Uuid) -> String {
    let token = format!("cdbt_{}", secrets::random_token(32));
    store::accounts::create_token(
        conn,
        account,
        "session",
        None,
        &secrets::sha256_hex(&token),
        None,
        Utc::now() + Duration::hours(1),
    )
    .unwrap();
    token
}

/// A person's account with its profile; answers the account id.
fn person(
    conn: &mut PgConnection,
    role: &str,
    deployment: Option<Uuid>,
    structure: Option<Uuid>,
    email: &str,
) -> Uuid {
    let profile = Uuid::new_v4();
    let account = Uuid::new_v4();
    let dep = deployment
        .map(|d| format!("'{d}'"))
        .unwrap_or("NULL".into());
    match role {
        "admin_cdb" => exec(
            conn,
            &format!(
                "INSERT INTO admin_cdb (id, email, firstname, lastname) VALUES ('{profile}', '{email}', 'Ada', 'Admin')"
            ),
        ),
        "manager" => exec(
            conn,
            &format!(
                "INSERT INTO manager (id, deployment_id, email) VALUES ('{profile}', {dep}, '{email}')"
            ),
        ),
        "orientation_manager" => exec(
            conn,
            &format!(
                "INSERT INTO orientation_manager (id, deployment_id, email) VALUES ('{profile}', {dep}, '{email}')"
            ),
        ),
        "admin_structure" => {
            exec(
                conn,
                &format!(
                    "INSERT INTO admin_structure (id, deployment_id, email) VALUES ('{profile}', {dep}, '{email}')"
                ),
            );
            exec(
                conn,
                &format!(
                    "INSERT INTO admin_structure_structure (deployment_id, admin_structure_id, structure_id) VALUES ({dep}, '{profile}', '{}')",
                    structure.unwrap()
                ),
            );
        }
        "professional" => exec(
            conn,
            &format!(
                "INSERT INTO professional (id, deployment_id, structure_id, email, firstname, lastname) VALUES ('{profile}', {dep}, '{}', '{email}', 'Paul', 'Pro')",
                structure.unwrap()
            ),
        ),
        _ => unreachable!(),
    }
    exec(
        conn,
        &format!(
            "INSERT INTO account (id, role, deployment_id, {role}_id, confirmed) VALUES ('{account}', '{role}', {dep}, '{profile}', true)"
        ),
    );
    account
}

fn beneficiary(
    conn: &mut PgConnection,
    deployment: Uuid,
    firstname: &str,
    lastname: &str,
    nir: &str,
    email: &str,
) -> (Uuid, Uuid) {
    let id = Uuid::new_v4();
    let notebook = Uuid::new_v4();
    exec(
        conn,
        &format!(
            "INSERT INTO beneficiary (id, deployment_id, firstname, lastname, date_of_birth, nir, email, caf_number, external_id) \
         VALUES ('{id}', '{deployment}', '{firstname}', '{lastname}', '1985-03-14', '{nir}', '{email}', '1234567', 'SI-{id}')"
        ),
    );
    exec(
        conn,
        &format!(
            "INSERT INTO notebook (id, deployment_id, beneficiary_id) VALUES ('{notebook}', '{deployment}', '{id}')"
        ),
    );
    (id, notebook)
}

/// A client of a deployment (narrowed to a structure when given) and its access token.
pub async fn client_token(
    app: &TestApp,
    conn_url: &str,
    deployment: Uuid,
    structure: Option<Uuid>,
    scopes: &str,
) -> String {
    let url = conn_url.to_owned();
    let scopes = Scopes::parse(scopes).unwrap();
    let issued = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        clients::create(
            &mut conn,
            deployment,
            structure,
            "test partner",
            scopes,
            None,
        )
        .unwrap()
    })
    .await
    .unwrap();
    let response = app
        .client
        .post(format!("{}/oauth/token", app.address))
        .basic_auth(&issued.client.client_id, Some(&issued.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// Builds the world in the app's database.
pub async fn world(app: &TestApp) -> World {
    let url = app.database.url.clone();
    let mut world = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        exec(&mut conn, &format!("INSERT INTO deployment (id, label) VALUES ('{a}', 'CD A'), ('{b}', 'CD B')"));
        let (s1, s2, sb) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        exec(&mut conn, &format!(
            "INSERT INTO structure (id, deployment_id, name) VALUES ('{s1}', '{a}', 'S1'), ('{s2}', '{a}', 'S2'), ('{sb}', '{b}', 'SB')"
        ));
        let nir = "1850375123456".to_owned();
        let (followed, notebook) = beneficiary(&mut conn, a, "Sophie", "Tifour", &nir, "sophie.tifour@example.org");
        let (other, _) = beneficiary(&mut conn, a, "Jean", "Autre", "1850375123457", "jean.autre@example.org");
        exec(&mut conn, &format!("INSERT INTO beneficiary_structure (deployment_id, beneficiary_id, structure_id) VALUES ('{a}', '{followed}', '{s1}')"));
        let pro_member = person(&mut conn, "professional", Some(a), Some(s1), "member@example.org");
        let pro_former = person(&mut conn, "professional", Some(a), Some(s2), "former@example.org");
        let pro_nonmember = person(&mut conn, "professional", Some(a), Some(s2), "outsider@example.org");
        let pro_b = person(&mut conn, "professional", Some(b), Some(sb), "pro.b@example.org");
        exec(&mut conn, &format!(
            "INSERT INTO notebook_member (deployment_id, notebook_id, account_id, member_type, active) VALUES \
             ('{a}', '{notebook}', '{pro_member}', 'referent', true), ('{a}', '{notebook}', '{pro_former}', 'no_referent', false)"
        ));
        let mut tokens = Vec::new();
        let admin = person(&mut conn, "admin_cdb", None, None, "admin@example.org");
        tokens.push(("admin_cdb", session(&mut conn, admin)));
        for (name, role, deployment, structure, email) in [
            ("manager_a", "manager", a, None, "manager.a@example.org"),
            ("manager_b", "manager", b, None, "manager.b@example.org"),
            ("orientation_manager_a", "orientation_manager", a, None, "om.a@example.org"),
            ("admin_structure_s1", "admin_structure", a, Some(s1), "as1@example.org"),
            ("admin_structure_s2", "admin_structure", a, Some(s2), "as2@example.org"),
        ] {
            let account = person(&mut conn, role, Some(deployment), structure, email);
            tokens.push((name, session(&mut conn, account)));
        }
        tokens.push(("professional_member", session(&mut conn, pro_member)));
        tokens.push(("professional_former_member", session(&mut conn, pro_former)));
        tokens.push(("professional_non_member", session(&mut conn, pro_nonmember)));
        tokens.push(("professional_other_deployment", session(&mut conn, pro_b)));
        for (name, id) in [("beneficiary_self", followed), ("beneficiary_other", other)] {
            let account = Uuid::new_v4();
            exec(&mut conn, &format!("INSERT INTO account (id, role, deployment_id, beneficiary_id, confirmed, login_email) SELECT '{account}', 'beneficiary', '{a}', id, true, email FROM beneficiary WHERE id = '{id}'"));
            tokens.push((name, session(&mut conn, account)));
        }
        World {
            deployment_a: a,
            deployment_b: b,
            structure_s1: s1,
            structure_s2: s2,
            beneficiary: followed,
            nir,
            notebook,
            other_beneficiary: other,
            tokens,
        }
    })
    .await
    .unwrap();
    let url = app.database.url.clone();
    let read = "beneficiaries:read notebooks:read";
    let all_read = "beneficiaries:read notebooks:read nir:read";
    let a = world.deployment_a;
    world
        .tokens
        .push(("client_a", client_token(app, &url, a, None, all_read).await));
    world.tokens.push((
        "client_a_without_scopes",
        client_token(app, &url, a, None, "").await,
    ));
    world.tokens.push((
        "client_a_structure_s1",
        client_token(app, &url, a, Some(world.structure_s1), read).await,
    ));
    world.tokens.push((
        "client_a_structure_s2",
        client_token(app, &url, a, Some(world.structure_s2), read).await,
    ));
    world.tokens.push((
        "client_b",
        client_token(app, &url, world.deployment_b, None, all_read).await,
    ));
    world
}
