//! Pushing orientations and appointments: payloads, France Travail's appointment id,
//! recreation on ID_NON_RECONNU, and at most once per idempotency key.

use std::sync::Arc;

use cdb_connector::records::{
    Appointment, AppointmentMode, AppointmentStatus, Orientation, OrientationKind,
    OrientationStatus, RecordBody, StructureRef,
};
use cdb_connector::{
    ConnectorError, IdentityKeys, OutboundAction, OutboundOperation, PushOutcome, ResourceRef,
};
use chrono::{TimeZone, Utc};
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::*;

fn operation(
    kind: &str,
    version: u64,
    remote_id: Option<&str>,
    action: OutboundAction,
) -> OutboundOperation {
    OutboundOperation {
        resource: ResourceRef {
            kind: kind.to_owned(),
            id: "0190a1b2-rdv".to_owned(),
            version,
        },
        subject: keys_by_nir(),
        remote_id: remote_id.map(str::to_owned),
        action,
    }
}

fn appointment(status: AppointmentStatus) -> OutboundAction {
    OutboundAction::Upsert(RecordBody::Appointment(Appointment {
        remote_id: None,
        starts_at: Utc.with_ymd_and_hms(2024, 5, 2, 7, 0, 0).unwrap(),
        duration_minutes: Some(30),
        status,
        mode: Some(AppointmentMode::InPerson),
        purpose: Some("RSA orientation".to_owned()),
        location: Some("8 rue de la Gare 26150 Die".to_owned()),
        structure: Some(StructureRef {
            code: Some("26045".to_owned()),
            name: Some("CD de DIE".to_owned()),
        }),
    }))
}

async fn ft_with_appointments() -> Ft {
    let ft = Ft::start(1500).await;
    ft.mount_person().await;
    Mock::given(method("POST"))
        .and(path(APPOINTMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "FT-RDV-1"})))
        .mount(&ft.server)
        .await;
    ft
}

#[tokio::test]
async fn an_appointment_is_created_once_with_france_travail_s_payload() {
    let ft = ft_with_appointments().await;
    let connector = Ft::connector(ft.config());
    let op = operation(
        "appointment",
        1,
        None,
        appointment(AppointmentStatus::Planned),
    );
    let first = connector.push(&op).await.unwrap();
    assert_eq!(
        first,
        PushOutcome::Applied {
            remote_id: Some("FT-RDV-1".to_owned())
        }
    );
    let again = connector.push(&op).await.unwrap();
    assert_eq!(
        again,
        PushOutcome::AlreadyApplied {
            remote_id: Some("FT-RDV-1".to_owned())
        }
    );
    let posts = ft.requests_to(APPOINTMENTS).await;
    assert_eq!(posts.len(), 1, "the same key is applied once");
    let body: serde_json::Value = posts[0].body_json().unwrap();
    assert_eq!(
        body,
        json!({
            "id": null,
            "adresse": "8 rue de la Gare 26150 Die",
            "date": "2024-05-02T09:00:00+02:00",
            "duree": 30,
            "initiateur": "PARTENAIRE",
            "libelleAdresse": "CD de DIE",
            "modaliteContact": "PHYSIQUE",
            "motif": "ORI",
            "organisme": {
                "code": "CD",
                "emailContact": "insertion@departement08.fr",
                "idStructure": "26045",
                "libelleStructure": "CD de DIE"
            },
            "statut": "PRIS",
            "theme": "RSA orientation",
            "typeReception": "IND"
        })
    );
    assert_eq!(posts[0].headers["ft-jeton-usager"], JETON);
    let token = String::from_utf8(ft.requests_to(TOKEN_PATH).await[0].body.clone()).unwrap();
    assert!(
        token.contains("gererRDV") && token.contains("rechercheusager"),
        "{token}"
    );
}

#[tokio::test]
async fn a_new_version_updates_keeping_the_id_and_an_older_one_is_dropped() {
    let ft = ft_with_appointments().await;
    Mock::given(method("PUT"))
        .and(path(APPOINTMENTS))
        .and(body_partial_json(
            json!({"id": "FT-RDV-1", "statut": "EFFECTUE"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "FT-RDV-1"})))
        .mount(&ft.server)
        .await;
    let connector = Ft::connector(ft.config());
    let v2 = operation(
        "appointment",
        2,
        Some("FT-RDV-1"),
        appointment(AppointmentStatus::Attended),
    );
    assert_eq!(
        connector.push(&v2).await.unwrap(),
        PushOutcome::Applied {
            remote_id: Some("FT-RDV-1".to_owned())
        }
    );
    let v1 = operation(
        "appointment",
        1,
        None,
        appointment(AppointmentStatus::Planned),
    );
    assert_eq!(
        connector.push(&v1).await.unwrap(),
        PushOutcome::AlreadyApplied {
            remote_id: Some("FT-RDV-1".to_owned())
        }
    );
    assert_eq!(ft.requests_to(APPOINTMENTS).await.len(), 1);
}

#[tokio::test]
async fn an_id_france_travail_no_longer_knows_is_recreated() {
    let ft = Ft::start(1500).await;
    ft.mount_person().await;
    Mock::given(method("PUT"))
        .and(path(APPOINTMENTS))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "codeErreur": "ID_NON_RECONNU", "message": "Identifiant de rendez-vous non reconnu"
        })))
        .mount(&ft.server)
        .await;
    Mock::given(method("POST"))
        .and(path(APPOINTMENTS))
        .and(body_partial_json(json!({"id": null, "statut": "PRIS"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "FT-RDV-2"})))
        .mount(&ft.server)
        .await;
    let connector = Ft::connector(ft.config());
    let op = operation(
        "appointment",
        3,
        Some("FT-RDV-OLD"),
        appointment(AppointmentStatus::Planned),
    );
    assert_eq!(
        connector.push(&op).await.unwrap(),
        PushOutcome::Applied {
            remote_id: Some("FT-RDV-2".to_owned())
        }
    );
    let methods: Vec<String> = ft
        .requests_to(APPOINTMENTS)
        .await
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(methods, ["PUT", "POST"]);
}

#[tokio::test]
async fn a_cancellation_deletes_by_france_travail_s_id() {
    let ft = Ft::start(1500).await;
    ft.mount_person().await;
    Mock::given(method("DELETE"))
        .and(path(format!("{APPOINTMENTS}/FT-RDV-1")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&ft.server)
        .await;
    let connector = Ft::connector(ft.config());
    let delete = operation("appointment", 4, Some("FT-RDV-1"), OutboundAction::Delete);
    assert_eq!(
        connector.push(&delete).await.unwrap(),
        PushOutcome::Applied {
            remote_id: Some("FT-RDV-1".to_owned())
        }
    );
    // Never sent: nothing to cancel, and France Travail is not even asked.
    let ft_quiet = Ft::start(1500).await;
    let connector = Ft::connector(ft_quiet.config());
    let never_sent = operation("appointment", 1, None, OutboundAction::Delete);
    assert_eq!(
        connector.push(&never_sent).await.unwrap(),
        PushOutcome::AlreadyApplied { remote_id: None }
    );
    assert!(
        ft_quiet
            .server
            .received_requests()
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn concurrent_pushes_of_one_operation_create_one_appointment() {
    let ft = ft_with_appointments().await;
    let connector = Arc::new(Ft::connector(ft.config()));
    let op = operation(
        "appointment",
        1,
        None,
        appointment(AppointmentStatus::Planned),
    );
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let connector = connector.clone();
        let op = op.clone();
        tasks.push(tokio::spawn(async move { connector.push(&op).await }));
    }
    let mut applied = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            PushOutcome::Applied { .. } => applied += 1,
            PushOutcome::AlreadyApplied { remote_id } => {
                assert_eq!(remote_id.as_deref(), Some("FT-RDV-1"))
            }
        }
    }
    assert_eq!(applied, 1);
    assert_eq!(ft.requests_to(APPOINTMENTS).await.len(), 1);
}

#[tokio::test]
async fn a_creation_is_never_resent_by_the_connector() {
    let ft = Ft::start(1500).await;
    ft.mount_person().await;
    Mock::given(method("POST"))
        .and(path(APPOINTMENTS))
        .respond_with(ResponseTemplate::new(502))
        .mount(&ft.server)
        .await;
    let mut config = ft.config();
    config.transient_retries = 3;
    let connector = Ft::connector(config);
    let op = operation(
        "appointment",
        1,
        None,
        appointment(AppointmentStatus::Planned),
    );
    let error = connector.push(&op).await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert_eq!(ft.requests_to(APPOINTMENTS).await.len(), 1);
}

#[tokio::test]
async fn an_orientation_decision_is_sent_once() {
    let ft = Ft::start(1500).await;
    ft.mount_person().await;
    Mock::given(method("POST"))
        .and(path(ORIENTATION_SEND))
        .respond_with(ResponseTemplate::new(201))
        .mount(&ft.server)
        .await;
    let connector = Ft::connector(ft.config());
    let decision = OutboundAction::Upsert(RecordBody::Orientation(Orientation {
        kind: Some(OrientationKind::SocioProfessional),
        status: OrientationStatus::Decided,
        structure: None,
        decided_on: None,
        started_on: None,
        ended_on: None,
        origin: Some("INSCRIPTION_AUTO_CAF".to_owned()),
    }));
    let op = operation("orientation", 1, None, decision);
    assert_eq!(
        connector.push(&op).await.unwrap(),
        PushOutcome::Applied { remote_id: None }
    );
    assert_eq!(
        connector.push(&op).await.unwrap(),
        PushOutcome::AlreadyApplied { remote_id: None }
    );
    let sent = ft.requests_to(ORIENTATION_SEND).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].body_json::<serde_json::Value>().unwrap(),
        json!({"origine": "INSCRIPTION_AUTO_CAF", "parcours": "PSO", "organisme": "CD"})
    );
    assert_eq!(sent[0].headers["ft-jeton-usager"], JETON);
}

#[tokio::test]
async fn operations_france_travail_cannot_take_are_refused_before_any_call() {
    let ft = Ft::start(1500).await;
    let connector = Ft::connector(ft.config());
    let withdraw = operation("orientation", 1, None, OutboundAction::Delete);
    assert!(matches!(
        connector.push(&withdraw).await,
        Err(ConnectorError::Invalid(_))
    ));
    let unknown = operation("contract", 1, None, OutboundAction::Delete);
    assert!(matches!(
        connector.push(&unknown).await,
        Err(ConnectorError::Invalid(_))
    ));
    let mut no_scope = ft.config();
    no_scope.scopes.appointments = None;
    let error = Ft::connector(no_scope)
        .push(&operation(
            "appointment",
            1,
            None,
            appointment(AppointmentStatus::Planned),
        ))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "fatal");
    let mut nobody = operation(
        "appointment",
        1,
        None,
        appointment(AppointmentStatus::Planned),
    );
    nobody.subject = IdentityKeys::default();
    assert!(matches!(
        connector.push(&nobody).await,
        Err(ConnectorError::Invalid(_))
    ));
    assert!(ft.server.received_requests().await.unwrap().is_empty());
}
