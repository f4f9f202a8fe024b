//! Every import kind through the API with the original's template files: structures with
//! their administrators, professionals of a structure, orientation managers, re-orientations,
//! the rattachement round trip, and the notebook columns of a beneficiaries file. Each is
//! committed, then re-sent to check that nothing changes.

use serde_json::Value;
use uuid::Uuid;

use cdb_hub::imports::runner::RunLimit;

use crate::fixture::world;
use crate::imports::{count, get, run_job, upload};
use crate::support::TestApp;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/imports/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// Uploads with these fields, runs the job, answers the import and its lines.
async fn import(
    app: &TestApp,
    token: &str,
    fields: &[(&str, &str)],
    bytes: &[u8],
) -> (Value, Vec<Value>) {
    let (status, body, _) = upload(app, token, fields, bytes).await;
    assert_eq!(status, 202, "{body}");
    let id: Uuid = body["id"].as_str().unwrap().parse().unwrap();
    run_job(app, id, RunLimit::default()).await;
    let (status, body) = get(app, token, &format!("/v1/imports/{id}")).await;
    assert_eq!(status, 200);
    let (_, rows) = get(app, token, &format!("/v1/imports/{id}/rows?limit=100")).await;
    let lines = rows["items"].as_array().cloned().unwrap_or_default();
    (body, lines)
}

fn statuses(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|line| line["status"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn codes(line: &Value) -> Vec<String> {
    line["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn structures_template_creates_structures_with_their_administrators_and_a_resend_changes_nothing()
 {
    let app = crate::support::spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let fields = [
        ("kind", "structures"),
        ("mode", "commit"),
        ("send_account_email", "true"),
    ];
    let (done, lines) = import(&app, token, &fields, &fixture("import_structures.csv")).await;
    assert_eq!(done["status"], "committed", "{done}");
    assert_eq!(statuses(&lines), ["create", "error"], "{lines:?}");
    // Mission locale: a 4-digit postal code, Excel's « 1,2E+13 » SIRET, no administrator.
    let errors = codes(&lines[1]);
    assert!(errors.contains(&"required".to_owned()), "{errors:?}");
    let structure = lines[0]["record_id"].as_str().unwrap();
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM structure WHERE id = '{structure}' AND name = 'CCAS de Livry' AND postal_code = '93190' AND phone = '+33123456789'"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM admin_structure a JOIN admin_structure_structure s ON s.admin_structure_id = a.id \
             JOIN account c ON c.admin_structure_id = a.id AND c.role = 'admin_structure' AND c.confirmed \
             WHERE a.email = 'admin@livry-gargan.fr' AND s.structure_id = '{structure}' AND a.firstname = 'Paul'"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM email_outbox WHERE recipient = 'admin@livry-gargan.fr' AND subject = 'Création de compte sur Carnet de bord'"
        ),
        1
    );

    // The same file again: nothing changes, no second e-mail.
    let (_, again) = import(&app, token, &fields, &fixture("import_structures.csv")).await;
    assert_eq!(statuses(&again), ["unchanged", "error"], "{again:?}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM email_outbox WHERE recipient = 'admin@livry-gargan.fr'"
        ),
        1
    );

    // Other details: refused unless the import overwrites, then applied with before → after.
    let changed = "Nom;Code postal;Ville;Courriel responsable;Description\r\nCCAS de Livry;93190;Livry-Gargan;admin@livry-gargan.fr;Nouvelle description\r\n";
    let (_, refused) = import(
        &app,
        token,
        &[("kind", "structures"), ("mode", "commit")],
        changed.as_bytes(),
    )
    .await;
    assert_eq!(codes(&refused[0]), ["structure_exists"], "{refused:?}");
    let (_, overwritten) = import(
        &app,
        token,
        &[
            ("kind", "structures"),
            ("mode", "commit"),
            ("overwrite", "true"),
        ],
        changed.as_bytes(),
    )
    .await;
    assert_eq!(statuses(&overwritten), ["update"]);
    assert_eq!(
        overwritten[0]["changes"]["short_desc"]["before"],
        "Centre communal d'action sociale"
    );
    assert_eq!(
        overwritten[0]["changes"]["short_desc"]["after"],
        "Nouvelle description"
    );

    // A structure administrator does not import structures.
    let (status, _, _) = upload(
        &app,
        world.token("admin_structure_s1"),
        &fields,
        &fixture("import_structures.csv"),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn professionals_are_imported_into_one_structure_with_their_accounts_by_its_administrator() {
    let app = crate::support::spawn_app().await;
    let world = world(&app).await;
    let s1 = world.structure_s1.to_string();
    let fields = [
        ("kind", "professionals"),
        ("mode", "commit"),
        ("structure", s1.as_str()),
    ];
    // The structure is required; another structure's administrator is refused.
    let (status, body, _) = upload(
        &app,
        world.token("manager_a"),
        &[("kind", "professionals")],
        &fixture("import_professionnels.csv"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, _, _) = upload(
        &app,
        world.token("admin_structure_s2"),
        &fields,
        &fixture("import_professionnels.csv"),
    )
    .await;
    assert_eq!(status, 403);

    let token = world.token("admin_structure_s1");
    let (done, lines) = import(&app, token, &fields, &fixture("import_professionnels.csv")).await;
    assert_eq!(done["status"], "committed", "{done}");
    assert_eq!(statuses(&lines), ["create", "create"], "{lines:?}");
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM professional p JOIN account a ON a.professional_id = p.id \
             WHERE p.structure_id = '{s1}' AND p.email IN ('pierre.chevalier@livry-gargan.fr', 'sanka@groupe-ns.fr') \
             AND a.role = 'professional' AND a.confirmed"
            )
        ),
        2
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM email_outbox WHERE recipient = 'pierre.chevalier@livry-gargan.fr' AND body LIKE '%pour la structure « S1 »%'"
        ),
        1
    );
    let (_, again) = import(&app, token, &fields, &fixture("import_professionnels.csv")).await;
    assert_eq!(statuses(&again), ["unchanged", "unchanged"]);

    // The e2e file writes its headers in lowercase; a bad e-mail and a bad name are cell errors.
    let (_, e2e) = import(
        &app,
        token,
        &fields,
        &fixture("import_professionnels_e2e.csv"),
    )
    .await;
    assert_eq!(statuses(&e2e)[0], "create", "{e2e:?}");
    assert!(
        codes(&e2e[1]).contains(&"invalid_email".to_owned()),
        "{e2e:?}"
    );

    // A professional of another structure keeps their structure.
    let s2 = world.structure_s2.to_string();
    let other = "Courriel*;Prénom*;Nom*\r\noutsider@example.org;Otto;Sider\r\n";
    let (_, moved) = import(
        &app,
        world.token("manager_a"),
        &[
            ("kind", "professionals"),
            ("mode", "commit"),
            ("structure", s1.as_str()),
        ],
        other.as_bytes(),
    )
    .await;
    assert_eq!(
        codes(&moved[0]),
        ["professional_of_another_structure"],
        "{moved:?}"
    );
    let (_, same) = import(
        &app,
        world.token("manager_a"),
        &[
            ("kind", "professionals"),
            ("mode", "commit"),
            ("structure", s2.as_str()),
        ],
        other.as_bytes(),
    )
    .await;
    assert_eq!(statuses(&same), ["update"], "{same:?}");
}

#[tokio::test]
async fn orientation_managers_get_their_accounts_and_the_bad_lines_their_errors() {
    let app = crate::support::spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let fields = [("kind", "orientation_managers"), ("mode", "commit")];
    let (done, lines) = import(
        &app,
        token,
        &fields,
        &fixture("import_charges_orientation.csv"),
    )
    .await;
    assert_eq!(done["status"], "committed", "{done}");
    assert_eq!(
        statuses(&lines),
        ["create", "create", "error", "error"],
        "{lines:?}"
    );
    assert_eq!(codes(&lines[2]), ["required"]);
    assert_eq!(codes(&lines[3]), ["invalid_email"]);
    // First and last names where their headers say (the original swapped them).
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM orientation_manager o JOIN account a ON a.orientation_manager_id = o.id \
                     WHERE o.email = 'om1@cd93.fr' AND o.firstname = 'Olivia' AND o.lastname = 'Martin' \
                     AND o.phone_numbers = '+33601020304, +33102030405' AND a.role = 'orientation_manager'"
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM email_outbox WHERE recipient IN ('om1@cd93.fr', 'om2@cd93.fr')"
        ),
        2
    );
    let (_, again) = import(
        &app,
        token,
        &fields,
        &fixture("import_charges_orientation.csv"),
    )
    .await;
    assert_eq!(
        statuses(&again),
        ["unchanged", "unchanged", "error", "error"]
    );
    // The .xls template of the original reads the same.
    let (_, xls) = import(
        &app,
        token,
        &fields,
        &fixture("import_charges_orientation.xls"),
    )
    .await;
    assert!(statuses(&xls).iter().all(|s| s != "create"), "{xls:?}");
}

#[tokio::test]
async fn reorientations_change_the_referent_remove_members_and_attach_structures() {
    let app = crate::support::spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let s1 = world.structure_s1.to_string();
    let (_, pros) = import(
        &app,
        token,
        &[
            ("kind", "professionals"),
            ("mode", "commit"),
            ("structure", s1.as_str()),
        ],
        &fixture("import_professionnels.csv"),
    )
    .await;
    assert_eq!(statuses(&pros), ["create", "create"]);
    let file = "Prénom*;Nom*;Date de naissance*;Accompagnateurs à ajouter;Accompagnateurs à supprimer;Structures à rattacher\r\n\
                sophie;TIFOUR;14/03/1985;pierre.chevalier@livry-gargan.fr, sanka@groupe-ns.fr;member@example.org;S2\r\n\
                Charlie;Fondue;22/04/1997;;;S1\r\n\
                Sophie;Tifour;14/03/1985;nobody@example.org;;\r\n";
    let fields = [("kind", "reorientations"), ("mode", "commit")];
    let (done, lines) = import(&app, token, &fields, file.as_bytes()).await;
    assert_eq!(done["status"], "committed", "{done}");
    assert_eq!(statuses(&lines), ["update", "error", "error"], "{lines:?}");
    assert_eq!(codes(&lines[1]), ["beneficiary_not_found"]);
    assert_eq!(codes(&lines[2]), ["unknown_professional"]);
    assert_eq!(lines[2]["errors"][0]["column"], "Accompagnateurs à ajouter");
    let notebook = world.notebook;
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM notebook_member m JOIN account a ON a.id = m.account_id JOIN professional p ON p.id = a.professional_id \
             WHERE m.notebook_id = '{notebook}' AND m.active AND ((p.email = 'pierre.chevalier@livry-gargan.fr' AND m.member_type = 'referent') \
             OR (p.email = 'sanka@groupe-ns.fr' AND m.member_type = 'no_referent'))"
            )
        ),
        2
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM notebook_member m JOIN account a ON a.id = m.account_id JOIN professional p ON p.id = a.professional_id WHERE m.notebook_id = '{notebook}' AND m.active AND p.email = 'member@example.org'"
            )
        ),
        0
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM beneficiary_structure WHERE beneficiary_id = '{}' AND structure_id = '{}' AND status = 'current'",
                world.beneficiary, world.structure_s2
            )
        ),
        1
    );
    assert!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM notebook_event WHERE notebook_id = '{notebook}' AND event_type IN ('member', 'orientation')"
            )
        ) >= 4
    );
    // Sent again: the wishes already hold.
    let (_, again) = import(&app, token, &fields, file.as_bytes()).await;
    assert_eq!(
        statuses(&again),
        ["unchanged", "error", "error"],
        "{again:?}"
    );
}

#[tokio::test]
async fn the_rattachement_round_trip_exports_the_pending_people_and_takes_the_file_back_filled_in()
{
    let app = crate::support::spawn_app().await;
    let world = world(&app).await;
    let s2 = world.structure_s2;
    // Jean Autre is attached to S2 and followed by none of its professionals.
    let mut conn = app.database.connect();
    use diesel::RunQueryDsl;
    diesel::sql_query(format!(
        "INSERT INTO beneficiary_structure (deployment_id, beneficiary_id, structure_id) VALUES ('{}', '{}', '{s2}')",
        world.deployment_a, world.other_beneficiary
    ))
    .execute(&mut conn)
    .unwrap();
    let token = world.token("admin_structure_s2");
    let path = format!("/v1/structures/{s2}/pending-beneficiaries.csv");
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let exported = response.text().await.unwrap();
    let lines: Vec<&str> = exported.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "id;nom;prénom;date de naissance;emails des professionnels"
    );
    assert_eq!(lines.len(), 2, "{exported}");
    assert!(lines[1].ends_with(";Autre;Jean;1985-03-14;"), "{exported}");
    let other_admin = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(world.token("admin_structure_s1"))
        .send()
        .await
        .unwrap();
    assert_eq!(other_admin.status(), 403);

    // Filled in in Excel and sent back: one of S2's professionals, then one of S1's (refused).
    let filled = format!("{}\r\n{}outsider@example.org\r\n", lines[0], lines[1]);
    let s2_text = s2.to_string();
    let fields = [
        ("kind", "rattachements"),
        ("mode", "commit"),
        ("structure", s2_text.as_str()),
    ];
    let (done, result) = import(&app, token, &fields, filled.as_bytes()).await;
    assert_eq!(done["status"], "committed", "{done}");
    assert_eq!(statuses(&result), ["update"], "{result:?}");
    let after = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        after.trim_start_matches('\u{feff}').lines().count(),
        1,
        "{after}"
    );
    let (_, again) = import(&app, token, &fields, filled.as_bytes()).await;
    assert_eq!(statuses(&again), ["unchanged"]);
    let wrong = format!("{}\r\n{}member@example.org\r\n", lines[0], lines[1]);
    let (_, refused) = import(&app, token, &fields, wrong.as_bytes()).await;
    assert_eq!(codes(&refused[0]), ["unknown_professional"], "{refused:?}");
    // The original's own UI file (an id of another territory).
    let (_, ui) = import(&app, token, &fields, &fixture("import_rattachement_ui.csv")).await;
    assert_eq!(codes(&ui[0]), ["unknown_notebook"], "{ui:?}");
}

#[tokio::test]
async fn a_beneficiaries_file_writes_the_notebook_columns_and_a_resend_changes_nothing() {
    let app = crate::support::spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let file = "Identifiant dans le SI*;Prénom*;Nom*;Date de naissance*;Situation;RQTH;Zone de mobilité;Emploi recherché (code ROME);Niveau de formation;Structure;Accompagnateurs\r\n\
                NB-1;Léa;Notebook;02/02/1990;En recherche d'emploi;Oui;Entre 10 et 20 km;Styliste lingerie, corseterie (B1805), A1101;Bac ou équivalent;S1;member@example.org, outsider@example.org\r\n\
                NB-2;Léo;Notebook;03/03/1991;;;;;;Structure inconnue;\r\n";
    let fields = [("kind", "beneficiaries"), ("mode", "commit")];
    let (done, lines) = import(&app, token, &fields, file.as_bytes()).await;
    assert_eq!(done["status"], "committed", "{done}");
    // A structure the deployment does not have is left out with a warning: Léo keeps his
    // line, without a rattachement.
    assert_eq!(statuses(&lines), ["create", "create"], "{lines:?}");
    assert_eq!(warning_codes(&lines[1]), ["unknown_structure"]);
    assert_eq!(lines[1]["warnings"][0]["column"], "Structure");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM beneficiary b WHERE firstname = 'Léo' \
             AND NOT EXISTS (SELECT 1 FROM beneficiary_structure s WHERE s.beneficiary_id = b.id)"
        ),
        1
    );
    let person = lines[0]["beneficiary_id"].as_str().unwrap();
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM notebook WHERE beneficiary_id = '{person}' AND work_situation = 'recherche_emploi' \
             AND right_rqth AND education_level = 'NV4'"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM professional_project pp JOIN notebook n ON n.id = pp.notebook_id JOIN rome_code r ON r.id = pp.rome_code_id \
             WHERE n.beneficiary_id = '{person}' AND r.code IN ('B1805', 'A1101') AND pp.mobility_radius = 20"
            )
        ),
        2
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM beneficiary_structure WHERE beneficiary_id = '{person}' AND structure_id = '{}'",
                world.structure_s1
            )
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM notebook_member m JOIN notebook n ON n.id = m.notebook_id JOIN account a ON a.id = m.account_id \
             JOIN professional p ON p.id = a.professional_id WHERE n.beneficiary_id = '{person}' AND m.active \
             AND ((p.email = 'member@example.org' AND m.member_type = 'referent') OR (p.email = 'outsider@example.org' AND m.member_type = 'no_referent'))"
            )
        ),
        2
    );
    let (_, again) = import(&app, token, &fields, file.as_bytes()).await;
    assert_eq!(statuses(&again), ["unchanged", "unchanged"], "{again:?}");
    assert_eq!(
        warning_codes(&again[1]),
        ["unknown_structure"],
        "told again"
    );
    // A changed situation is an update with before → after.
    let changed = file.replace("En recherche d'emploi", "En formation");
    let (_, updated) = import(&app, token, &fields, changed.as_bytes()).await;
    assert_eq!(statuses(&updated)[0], "update", "{updated:?}");
    assert_eq!(
        updated[0]["changes"]["work_situation"]["before"],
        "recherche_emploi"
    );
}

#[tokio::test]
async fn an_iodas_list_imports_through_its_profile_and_a_couple_sharing_one_id_stays_two_people() {
    let app = crate::support::spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    let path = format!(
        "{}/connectors/departement/tests/fixtures/iodas.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let file = std::fs::read(&path).unwrap();
    let fields = [
        ("kind", "beneficiaries"),
        ("mode", "commit"),
        ("profile", "iodas"),
    ];
    let (done, lines) = import(&app, token, &fields, &file).await;
    assert_eq!(done["status"], "committed", "{done}");
    let status = statuses(&lines);
    // Karim and Sophie Benali share IODAS822920: two people, each with their role.
    assert_eq!(&status[..2], ["create", "create"], "{lines:?}");
    assert_ne!(lines[0]["beneficiary_id"], lines[1]["beneficiary_id"]);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM beneficiary WHERE lastname = 'Benali' AND external_id = 'IODAS822920'"
        ),
        2
    );
    assert!(
        count(
            &app,
            "SELECT count(*) AS count FROM field_provenance f JOIN beneficiary b ON b.id = f.beneficiary_id \
             WHERE b.firstname = 'Karim' AND f.source_system = 'departement:iodas'"
        ) > 0
    );
    // 29/02/1991 does not exist: an error on its cell, in French, with the file's header.
    let nadia = &lines[2];
    assert_eq!(nadia["status"], "error", "{lines:?}");
    assert_eq!(nadia["errors"][0]["column"], "Date de Naissance");
    assert!(
        nadia["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("29/02/1991"),
        "{nadia}"
    );
    let (_, again) = import(&app, token, &fields, &file).await;
    assert_eq!(
        statuses(&again)[..2],
        ["unchanged", "unchanged"],
        "{again:?}"
    );

    // An unknown profile, or a profile for another kind, is refused at the upload.
    let (status, body, _) = upload(
        &app,
        token,
        &[("kind", "beneficiaries"), ("profile", "solis")],
        &file,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, _, _) = upload(
        &app,
        token,
        &[("kind", "structures"), ("profile", "iodas")],
        &file,
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_departmental_instance_applies_the_webrsa_exports_of_its_inbox_as_imports() {
    use reqwest::Method;
    let app = crate::support::spawn_app().await;
    let world = world(&app).await;
    let manager = world.token("manager_a");
    let inbox = crate::support::inbox_of(world.deployment_a);
    let (status, refused, _) = crate::support::send(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        serde_json::json!({"kind": "departement", "name": "WebRSA", "config": {"profile": "solis"}}),
        None,
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    let (status, created, _) = crate::support::send(
        &app,
        Method::POST,
        manager,
        "/v1/connectors",
        serde_json::json!({"kind": "departement", "name": "WebRSA", "config": {"profile": "webrsa_frsa", "inbox_dir": inbox.path()}}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let instance = created["id"].as_str().unwrap().to_owned();
    let export = format!(
        "{}/connectors/departement/tests/fixtures/webrsa_frsa.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let dropped = inbox.path().join("BENEF_W_2024_03_05__06_12-ALL.csv");
    std::fs::copy(&export, &dropped).unwrap();
    let settled = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&dropped)
        .unwrap()
        .set_modified(settled)
        .unwrap();
    let pool = app.database.pool();
    let runs = crate::support::due_runs(&pool);
    assert_eq!(runs.len(), 1, "taken and a run queued");
    crate::support::execute_run(&pool, runs[0]).await;
    let (_, files, _) = crate::support::send(
        &app,
        Method::GET,
        manager,
        &format!("/v1/connectors/{instance}/files"),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(files["items"][0]["status"], "applied", "{files}");
    let import_id = files["items"][0]["report"]["import_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        files["items"][0]["report"]["counts"]["create"]
            .as_i64()
            .unwrap()
            >= 2,
        "{files}"
    );
    // The import is readable like any other, line by line.
    let (status, import) = get(&app, manager, &format!("/v1/imports/{import_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(import["profile"], "webrsa_frsa");
    assert_eq!(import["status"], "committed", "{import}");
    assert!(
        count(
            &app,
            "SELECT count(*) AS count FROM field_provenance WHERE source_system = 'departement:webrsa_frsa' AND field = 'right_rsa'"
        ) >= 1
    );
    let people = count(&app, "SELECT count(*) AS count FROM beneficiary");
    // The same export uploaded again is the same file: nothing more.
    let response = app
        .client
        .post(format!(
            "{}/v1/connectors/{instance}/files?name=again.csv",
            app.address
        ))
        .bearer_auth(manager)
        .body(std::fs::read(&export).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        count(&app, "SELECT count(*) AS count FROM beneficiary"),
        people
    );
}

#[tokio::test]
async fn lines_created_together_are_never_a_person_twice_nor_someone_already_known() {
    let app = crate::support::spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    // Lines 2 and 3 share a NIR, 4 and 5 are namesakes born the same day, 6 is Sophie Tifour
    // (known by NIR), 7 and 8 are new people of their own.
    let file = format!(
        "Identifiant dans le SI*;Prénom*;Nom*;Date de naissance*;NIR\r\n\
         D-1;Anne;Double;01/01/1980;2800175123456\r\n\
         D-2;Anne;Double;01/01/1980;2800175123456\r\n\
         N-1;Jean;Homonyme;02/02/1970;\r\n\
         N-2;JEAN;Homonyme;02/02/1970;\r\n\
         S-1;Sophie;Tifour;14/03/1985;{}\r\n\
         U-1;Une;Personne;03/03/1990;\r\n\
         U-2;Autre;Personne;04/04/1991;\r\n",
        world.nir
    );
    let fields = [("kind", "beneficiaries"), ("mode", "commit")];
    let (done, lines) = import(&app, token, &fields, file.as_bytes()).await;
    assert_eq!(done["status"], "committed", "{done}");
    let status = statuses(&lines);
    assert_eq!(status[0], "create");
    assert_ne!(status[1], "create", "{lines:?}");
    assert_eq!(status[2], "create");
    // Namesakes with another SI id: kept for a person to decide, never merged.
    assert_eq!(status[3], "possible_match", "{lines:?}");
    assert_ne!(status[4], "create", "{lines:?}");
    assert_eq!(lines[4]["beneficiary_id"], world.beneficiary.to_string());
    assert_eq!(&status[5..], ["create", "create"]);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM beneficiary WHERE lastname = 'Double'"
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM beneficiary WHERE lastname = 'Homonyme'"
        ),
        1
    );
    // Every created person has a notebook, its creation, provenance and a source link.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM beneficiary b JOIN notebook n ON n.beneficiary_id = b.id \
                     JOIN notebook_creation c ON c.notebook_id = n.id \
                     JOIN beneficiary_source s ON s.beneficiary_id = b.id AND s.source_record_id = 'si:U-1' \
                     JOIN field_provenance f ON f.beneficiary_id = b.id AND f.field = 'firstname' \
                     WHERE b.firstname = 'Une'"
        ),
        1
    );
    assert!(
        count(
            &app,
            "SELECT count(*) AS count FROM change WHERE kind = 'beneficiary.created'"
        ) >= 4
    );
}

#[tokio::test]
async fn the_original_templates_import_as_their_authors_intended_one_after_the_other() {
    let app = crate::support::spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    // The structures template makes « CCAS de Livry », the professionals one its professionals…
    let (_, structures) = import(
        &app,
        token,
        &[("kind", "structures"), ("mode", "commit")],
        &fixture("import_structures.csv"),
    )
    .await;
    assert_eq!(statuses(&structures)[0], "create");
    let ccas = structures[0]["record_id"].as_str().unwrap().to_owned();
    let (_, pros) = import(
        &app,
        token,
        &[
            ("kind", "professionals"),
            ("mode", "commit"),
            ("structure", ccas.as_str()),
        ],
        &fixture("import_professionnels.csv"),
    )
    .await;
    assert_eq!(statuses(&pros), ["create", "create"]);
    // … that the beneficiaries template names: its first line lands with its structure, its
    // referent, its situation, its job and its mobility; its last line's errors are all told.
    let (done, lines) = import(
        &app,
        token,
        &[("kind", "beneficiaries"), ("mode", "commit")],
        &fixture("import_beneficiaires.csv"),
    )
    .await;
    assert_eq!(done["status"], "committed", "{done}");
    assert_eq!(statuses(&lines), ["create", "create", "error"], "{lines:?}");
    let sophie = lines[0]["beneficiary_id"].as_str().unwrap();
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM notebook n \
             JOIN beneficiary_structure bs ON bs.beneficiary_id = n.beneficiary_id AND bs.structure_id = '{ccas}' \
             JOIN notebook_member m ON m.notebook_id = n.id AND m.active AND m.member_type = 'referent' \
             JOIN account a ON a.id = m.account_id JOIN professional p ON p.id = a.professional_id AND p.email = 'pierre.chevalier@livry-gargan.fr' \
             JOIN professional_project pp ON pp.notebook_id = n.id AND pp.mobility_radius = 30 \
             JOIN rome_code r ON r.id = pp.rome_code_id AND r.code = 'N1104' \
             WHERE n.beneficiary_id = '{sophie}' AND n.work_situation = 'recherche_emploi' AND n.education_level = 'NV5' AND n.right_rqth"
            )
        ),
        1
    );
    let errors = lines[2]["errors"].as_array().unwrap();
    assert!(
        errors.len() >= 5,
        "every wrong cell of the line: {errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("31/02/1990"))
    );
    // The same three files again change nothing.
    let (_, again) = import(
        &app,
        token,
        &[("kind", "beneficiaries"), ("mode", "commit")],
        &fixture("import_beneficiaires.csv"),
    )
    .await;
    assert_eq!(
        statuses(&again),
        ["unchanged", "unchanged", "error"],
        "{again:?}"
    );
}

#[tokio::test]
async fn a_line_with_notebook_columns_keeps_its_place_before_a_later_line_of_the_same_person() {
    let app = crate::support::spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    // Line 2 names a structure (applied the usual way), line 3 is the same person by NIR
    // without one: line 2 creates, line 3 finds that person.
    let file = "Identifiant dans le SI*;Prénom*;Nom*;Date de naissance*;NIR;Structure\r\n\
                O-1;Odile;Ordre;05/05/1975;2750575123456;S1\r\n\
                O-1;Odile;Ordre;05/05/1975;2750575123456;\r\n";
    let (done, lines) = import(
        &app,
        token,
        &[("kind", "beneficiaries"), ("mode", "commit")],
        file.as_bytes(),
    )
    .await;
    assert_eq!(done["status"], "committed", "{done}");
    let status = statuses(&lines);
    assert_eq!(status[0], "create", "{lines:?}");
    assert_ne!(status[1], "create", "{lines:?}");
    assert_eq!(lines[0]["beneficiary_id"], lines[1]["beneficiary_id"]);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS count FROM beneficiary WHERE lastname = 'Ordre'"
        ),
        1
    );
}

fn warning_codes(line: &Value) -> Vec<String> {
    line["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|warning| warning["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_originals_own_template_keeps_every_person_and_warns_about_what_it_left_out() {
    let app = crate::support::spawn_app().await;
    let world = world(&app).await;
    let token = world.token("manager_a");
    // The original's `static/fichiers/import_beneficiaires.csv`, as agents downloaded it: a
    // second phone number that is not one, a structure and a referent this deployment does
    // not have, a France Travail id of 7 characters, keys where labels are expected.
    let (done, lines) = import(
        &app,
        token,
        &[("kind", "beneficiaries"), ("mode", "commit")],
        &fixture("import_beneficiaires_original.csv"),
    )
    .await;
    assert_eq!(done["status"], "committed", "{done}");
    assert_eq!(done["counts"]["warning"], 3, "{done}");
    // Charlotte and Charlie are created; « charlie fondue » under another SI id, with
    // Charlie's CAF number and birth date, is Charlie (the CAF/MSA key matches before the SI
    // id): the line updates him.
    assert_eq!(
        statuses(&lines),
        ["create", "create", "update"],
        "{lines:?}"
    );
    let charlotte = &lines[0];
    let left_out = warning_codes(charlotte);
    for code in [
        "invalid_phone",
        "invalid_france_travail_id",
        "unknown_structure",
    ] {
        assert!(left_out.contains(&code.to_owned()), "{code}: {charlotte}");
    }
    let structure = charlotte["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "unknown_structure")
        .unwrap();
    assert_eq!(structure["column"], "Structure");
    assert_eq!(structure["value"], "CD 26");
    assert!(
        structure["message"]
            .as_str()
            .unwrap()
            .contains("importée sans"),
        "{structure}"
    );
    assert!(
        warning_codes(&lines[1]).contains(&"unknown_professional".to_owned()),
        "{}",
        lines[1]
    );
    // The valid first number was kept.
    let person = charlotte["beneficiary_id"].as_str().unwrap();
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS count FROM beneficiary WHERE id = '{person}' AND mobile_number = '+33601234567' AND france_travail_id IS NULL"
            )
        ),
        1
    );
    // The errors file lists the lines applied without some of their values, and why.
    let id = done["id"].as_str().unwrap();
    let response = app
        .client
        .get(format!("{}/v1/imports/{id}/errors.csv", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert!(
        rows[0].ends_with(";Erreurs;Avertissements;Ligne d'origine"),
        "{}",
        rows[0]
    );
    assert!(rows[1].starts_with("1234;Charlotte"), "{text}");
    assert!(
        rows[1].contains("Structure : La structure « CD 26 »"),
        "{text}"
    );
    // Uploaded again as it is, the errors file changes nobody (its two columns are ignored).
    let (again, lines) = import(
        &app,
        token,
        &[("kind", "beneficiaries"), ("mode", "commit")],
        text.as_bytes(),
    )
    .await;
    assert_eq!(again["status"], "committed", "{again}");
    assert_eq!(statuses(&lines)[0], "unchanged", "{lines:?}");
}
