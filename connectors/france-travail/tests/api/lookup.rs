//! Looking a person up: identification, reads, and their canonical records.

use cdb_connector::records::{
    DiagnosticItemKind, OrientationKind, OrientationStatus, RecordBody, RegistrationStatus, Title,
};
use cdb_connector::{ConnectorError, SourceSystem};
use cdb_france_travail::{FocusTheme, TargetStatus};
use chrono::{NaiveDate, Utc};
use wiremock::ResponseTemplate;

use crate::support::*;

#[tokio::test]
async fn a_lookup_by_nir_gives_every_record_under_the_france_travail_number() {
    let ft = Ft::start(1500).await;
    ft.mount_person().await;
    let connector = Ft::connector(ft.config());
    let before = Utc::now();
    let records = connector.lookup(&keys_by_nir()).await.unwrap();
    let kinds: Vec<&str> = records.iter().map(|r| r.body.kind()).collect();
    assert_eq!(
        kinds,
        [
            "identity",
            "contact",
            "address",
            "job_seeker_registration",
            "diagnostic",
            "orientation"
        ]
    );
    for record in &records {
        assert_eq!(record.source.system, SourceSystem::FranceTravail);
        assert!(record.source.record_id.starts_with("12345678900"));
        assert!(record.source.as_of >= before && record.source.as_of <= Utc::now());
        let subject = &record.subject;
        assert_eq!(
            subject.france_travail_id.as_ref().unwrap().as_str(),
            "12345678900"
        );
        assert_eq!(subject.nir.as_ref().unwrap().as_str(), "1041174010081");
        let names = subject.name_and_birth.as_ref().unwrap();
        assert_eq!(
            (names.first_name.as_str(), names.last_name.as_str()),
            ("JOHN", "DOE")
        );
        assert_eq!(
            names.birth_date,
            NaiveDate::from_ymd_opt(1998, 7, 11).unwrap()
        );
    }
    let RecordBody::Identity(identity) = &records[0].body else {
        panic!()
    };
    assert_eq!(identity.title, Some(Title::Mr));
    assert_eq!(identity.first_names, ["JOHN"]);
    let RecordBody::Contact(contact) = &records[1].body else {
        panic!()
    };
    assert_eq!(contact.phones[0].as_str(), "+33972723949");
    assert_eq!(
        contact.email.as_ref().unwrap().as_str(),
        "john.doe@francetravail.fr"
    );
    let RecordBody::Address(address) = &records[2].body else {
        panic!()
    };
    assert_eq!(
        address.lines,
        [
            "Escalier C",
            "Résidence Les Tilleuls",
            "93 Rue Marietton",
            "BP 14"
        ]
    );
    assert_eq!(address.postal_code.as_ref().unwrap().as_str(), "69009");
    assert_eq!(address.city_insee_code.as_deref(), Some("69389"));
    let RecordBody::JobSeekerRegistration(registration) = &records[3].body else {
        panic!()
    };
    assert_eq!(registration.status, RegistrationStatus::Registered);
    assert_eq!(registration.category.as_deref(), Some("1"));
    assert_eq!(
        registration.registered_on,
        NaiveDate::from_ymd_opt(2025, 6, 28)
    );
    assert_eq!(registration.end_reason, None);
    let RecordBody::Orientation(orientation) = &records[5].body else {
        panic!()
    };
    assert_eq!(
        records[5].source.record_id,
        "12345678900/orientation/2024-10-28-PED"
    );
    assert_eq!(orientation.kind, Some(OrientationKind::Professional));
    assert_eq!(orientation.status, OrientationStatus::Decided);
    assert_eq!(
        orientation.origin.as_deref(),
        Some("INSCRIPTION_CONSEILLER_CD")
    );
    let structure = orientation.structure.as_ref().unwrap();
    assert_eq!(structure.code.as_deref(), Some("69000"));
    assert_eq!(orientation.started_on, NaiveDate::from_ymd_opt(2024, 8, 1));
}

#[tokio::test]
async fn the_diagnostic_maps_to_needs_constraints_situations_goals_and_focuses() {
    let ft = Ft::start(1500).await;
    ft.mount_person().await;
    let connector = Ft::connector(ft.config());
    let dossier = connector.read_dossier(&keys_by_nir()).await.unwrap();
    let diagnostic = dossier.diagnostic.as_ref().unwrap();
    let items: Vec<(DiagnosticItemKind, &str, &str, Option<&str>)> = diagnostic
        .items
        .iter()
        .map(|i| {
            (
                i.kind,
                i.code.as_str(),
                i.value.as_str(),
                i.parent_code.as_deref(),
            )
        })
        .collect();
    use DiagnosticItemKind::*;
    assert_eq!(
        items,
        [
            (Need, "3", "BESOIN", Some("D1102")),
            (Need, "4", "POINT_FORT", Some("D1102")),
            (Need, "8", "BESOIN", Some("D1102")),
            (Need, "19", "POINT_FORT", None),
            (Constraint, "23", "OUI", None),
            (Situation, "7", "OUI", Some("23")),
            (Goal, "25", "EN_COURS", Some("23")),
            (Goal, "26", "EN_COURS", Some("23")),
            (Constraint, "26", "OUI", None),
            (Situation, "23", "OUI", Some("26")),
        ]
    );
    assert_eq!(diagnostic.updated_on, NaiveDate::from_ymd_opt(2022, 12, 14));
    assert_eq!(dossier.projects.len(), 1);
    assert_eq!(dossier.projects[0].rome_code.as_deref(), Some("D1102"));
    assert!(dossier.projects[0].priority);
    let focuses = dossier.focuses();
    assert_eq!(
        focuses.iter().map(|f| f.theme).collect::<Vec<_>>(),
        [FocusTheme::Mobilite, FocusTheme::MaitriseLangue]
    );
    assert_eq!(
        focuses[0].situations,
        ["Dépendant des transports en commun"]
    );
    assert_eq!(focuses[0].targets.len(), 2);
    assert!(
        focuses[0]
            .targets
            .iter()
            .all(|t| t.status == TargetStatus::InProgress)
    );
    assert_eq!(focuses[1].situations, ["Difficultés en calcul"]);
}

#[tokio::test]
async fn the_v1_dossier_shape_reads_the_same() {
    let ft = Ft::start(1500).await;
    ft.mount_read(
        DIAGNOSTIC,
        ResponseTemplate::new(200)
            .set_body_json(fixture("diagnostic_argumente_dossier_individu.json")),
    )
    .await;
    ft.mount_person().await;
    let connector = Ft::connector(ft.config());
    let dossier = connector.read_dossier(&keys_by_nir()).await.unwrap();
    let diagnostic = dossier.diagnostic.unwrap();
    // The v1 jobs carry no ROME code: needs hang on the job's name.
    assert_eq!(
        diagnostic.items[0].parent_code.as_deref(),
        Some("Boulanger")
    );
    assert_eq!(diagnostic.items.len(), 10);
    assert_eq!(dossier.projects.len(), 1);
    assert_eq!(dossier.projects[0].label.as_deref(), Some("Boulanger"));
}

#[tokio::test]
async fn a_lookup_by_number_and_the_jeton_stays_inside() {
    let ft = Ft::start(1500).await;
    ft.mount_person().await;
    let connector = Ft::connector(ft.config());
    let records = connector.lookup(&keys_by_number()).await.unwrap();
    assert_eq!(records.len(), 6);
    let json = serde_json::to_string(&records).unwrap();
    assert!(!json.contains(JETON), "the jeton leaked into records");
    let dossier = connector.read_dossier(&keys_by_number()).await.unwrap();
    assert!(!format!("{dossier:?}").contains(JETON));
    // Every read carried the jeton and the agent headers; the search carried neither jeton
    // nor anything but the reference request.
    for route in [ADMINISTRATIVE, CONTRACT, DIAGNOSTIC, ORIENTATION_READ] {
        let requests = ft.requests_to(route).await;
        assert_eq!(requests.len(), 2, "{route}");
        for request in requests {
            assert_eq!(request.headers["ft-jeton-usager"], JETON);
            assert_eq!(request.headers["pa-identifiant-agent"], "BATCH");
            assert!(
                request.headers["authorization"]
                    .to_str()
                    .unwrap()
                    .starts_with("Bearer token-")
            );
        }
    }
    let reads = ft.requests_to(ORIENTATION_READ).await;
    assert_eq!(reads[0].url.query(), Some("etatOrientation=OUVERT"));
    for search in ft.requests_to(SEARCH_BY_NUMBER).await {
        assert!(search.headers.get("ft-jeton-usager").is_none());
    }
}

#[tokio::test]
async fn apis_without_a_scope_are_not_called_and_204_means_nothing() {
    let ft = Ft::start(1500).await;
    ft.mount_read(ORIENTATION_READ, ResponseTemplate::new(204))
        .await;
    ft.mount_person().await;
    let mut config = ft.config();
    config.scopes.registration = None;
    config.scopes.diagnostic = None;
    let connector = Ft::connector(config);
    let records = connector.lookup(&keys_by_nir()).await.unwrap();
    let kinds: Vec<&str> = records.iter().map(|r| r.body.kind()).collect();
    assert_eq!(kinds, ["identity", "contact", "address"]);
    assert!(ft.requests_to(CONTRACT).await.is_empty());
    assert!(ft.requests_to(DIAGNOSTIC).await.is_empty());
    let token = &ft.requests_to(TOKEN_PATH).await[0];
    let body = String::from_utf8(token.body.clone()).unwrap();
    assert!(body.contains("informationsadministrativesusager"), "{body}");
    assert!(!body.contains("contratusager"), "{body}");
}

#[tokio::test]
async fn keys_france_travail_cannot_search_by_are_invalid() {
    let ft = Ft::start(1500).await;
    let connector = Ft::connector(ft.config());
    let mut keys = keys_by_nir();
    keys.name_and_birth = None;
    let error = connector.lookup(&keys).await.unwrap_err();
    assert!(matches!(error, ConnectorError::Invalid(_)), "{error}");
    assert_eq!(ft.server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn the_dossier_hands_back_each_answer_as_received_and_never_the_jeton() {
    let ft = Ft::start(1500).await;
    ft.mount_person().await;
    let connector = Ft::connector(ft.config());
    let dossier = connector.read_dossier(&keys_by_nir()).await.unwrap();
    let apis: Vec<&str> = dossier.raw.iter().map(|p| p.api).collect();
    assert!(apis.contains(&"informations-administratives"), "{apis:?}");
    assert!(apis.contains(&"diagnostic-argumente"), "{apis:?}");
    let administrative = dossier
        .raw
        .iter()
        .find(|p| p.api == "informations-administratives")
        .unwrap();
    assert!(administrative.body.is_object());
    assert_eq!(
        dossier.raw_record_id(administrative),
        format!("{}/informations-administratives", dossier.record_id)
    );
    for payload in &dossier.raw {
        assert!(
            !payload.body.to_string().contains("jetonUsager"),
            "{}",
            payload.api
        );
    }
}
