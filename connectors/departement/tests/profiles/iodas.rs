//! The IODAS-style beneficiary list: a couple sharing one SI id stays two people.

use cdb_connector::identity::HouseholdRole;
use cdb_connector::records::{RecordBody, Title};
use cdb_departement::Profile;
use chrono::NaiveDate;

use super::{body, context, kinds, located, read, subject};

#[test]
fn a_couple_under_one_iodas_id_stays_two_people_with_their_roles() {
    let read = read(
        "iodas",
        "iodas.csv",
        &context("liste_iodas.csv", Some("CAF261")),
    );
    assert!(read.unknown.is_empty(), "{:?}", read.unknown);
    let karim = read.records(2);
    let sophie = read.records(3);
    assert_eq!(kinds(karim), ["identity", "contact", "address"]);
    for (records, role) in [
        (karim, HouseholdRole::Applicant),
        (sophie, HouseholdRole::Partner),
    ] {
        assert!(records.iter().all(|r| r.source.record_id == "IODAS822920"));
        let keys = subject(records);
        let departement = keys.departement.as_ref().unwrap();
        assert_eq!(departement.id.as_str(), "IODAS822920");
        assert_eq!(departement.role, Some(role));
        let caf = keys.caf_msa.as_ref().unwrap();
        assert_eq!(caf.matricule.as_str(), "2055990");
        assert_eq!(caf.role, Some(role));
    }
    assert_ne!(subject(karim), subject(sophie));
    let RecordBody::Identity(identity) = body(sophie, "identity") else {
        unreachable!()
    };
    assert_eq!(identity.title, Some(Title::Mrs));
    assert_eq!(identity.last_name, "Benali");
    assert_eq!(identity.birth_date, NaiveDate::from_ymd_opt(1982, 11, 3));
    let RecordBody::Address(address) = body(sophie, "address") else {
        unreachable!()
    };
    assert!(address.lines.is_empty());
    assert_eq!(address.postal_code.as_ref().unwrap().as_str(), "26000");
    assert_eq!(address.city.as_deref(), Some("VALENCE"));
    let RecordBody::Contact(contact) = body(sophie, "contact") else {
        unreachable!()
    };
    assert_eq!(contact.phones[0].as_str(), "+33798765432");
    assert_eq!(contact.email, None);
}

#[test]
fn roles_before_a_bracket_and_several_phones() {
    let read = read("iodas", "iodas.csv", &context("liste_iodas.csv", None));
    let paul = read.records(5);
    let keys = subject(paul);
    assert_eq!(
        keys.departement.as_ref().unwrap().role,
        Some(HouseholdRole::Partner)
    );
    assert_eq!(keys.caf_msa, None);
    let RecordBody::Contact(contact) = body(paul, "contact") else {
        unreachable!()
    };
    let phones: Vec<&str> = contact.phones.iter().map(|p| p.as_str()).collect();
    assert_eq!(phones, ["+33611223344", "+33475001122"]);
    let RecordBody::Identity(identity) = body(paul, "identity") else {
        unreachable!()
    };
    assert_eq!(identity.title, Some(Title::Mr));
}

#[test]
fn every_bad_cell_of_a_row_is_reported() {
    let read = read("iodas", "iodas.csv", &context("liste_iodas.csv", None));
    let nadia: Vec<_> = read.errors(4).iter().map(located).collect();
    assert_eq!(
        nadia,
        [(
            "Date de Naissance",
            "29/02/1991",
            "nonexistent_date",
            "La date de naissance « 29/02/1991 » n'existe pas"
        )]
    );
    let yanis: Vec<_> = read.errors(6).iter().map(located).collect();
    assert_eq!(
        yanis,
        [
            (
                "Role",
                "Chef de famille",
                "unknown_role",
                "Le rôle dans le foyer « Chef de famille » n'est pas une valeur reconnue : \
                 demandeur ou conjoint (ou enfant, autre, responsable du dossier) attendu"
            ),
            (
                "Adresses Mails",
                "yanis.roux@example",
                "invalid_email",
                "L'adresse e-mail « yanis.roux@example » n'est pas une adresse e-mail valide"
            ),
            (
                "CP Ville",
                "VALENCE",
                "invalid_postal_code_city",
                "Le code postal et la commune « VALENCE » ne contient pas de code postal : \
                 « 26000 Valence » attendu"
            ),
        ]
    );
}

#[test]
fn the_xlsx_variant_binds_and_reports_what_it_does_not_know() {
    let header = [
        "N° Allocataire",
        "Civilité",
        "Nom bénéficiaire",
        "Prénom bénéficiaire",
        "Date de Naissance",
        "Adresse",
        "CP Ville",
        "Complément adresse",
        "Rôle",
        "ID IODAS",
        "PA",
        "NIR",
        "ID pôle Emploi",
        "Adresses Mails",
        "N° Téléphones",
        "Structure",
        "DECISION ORIENTATION",
        "Date d'orientation",
    ];
    let iodas = Profile::named("iodas").unwrap();
    let bound = iodas.bind(&header).unwrap();
    let unknown: Vec<&str> = bound
        .unknown_columns()
        .iter()
        .map(|u| u.header.as_str())
        .collect();
    assert_eq!(unknown, ["Date d'orientation"]);
    let row = [
        "0002055990",
        "Monsieur",
        "Benali",
        "Karim",
        "29266",
        "5 allée des Tilleuls",
        "26000 Valence",
        "Appartement 3",
        "dem",
        "IODAS822920",
        "",
        "180022636213480",
        "12345678901",
        "karim.benali@example.org",
        "0612345678",
        "",
        "",
        "12/01/2024",
    ];
    let records = bound
        .read_row(2, &row, &super::context("liste.xlsx", Some("CAF261")))
        .unwrap();
    let keys = subject(&records);
    assert_eq!(keys.caf_msa.as_ref().unwrap().matricule.as_str(), "2055990");
    assert_eq!(keys.nir.as_ref().unwrap().as_str(), "1800226362134");
    assert_eq!(
        keys.departement.as_ref().unwrap().role,
        Some(HouseholdRole::Applicant)
    );
    let RecordBody::Address(address) = body(&records, "address") else {
        unreachable!()
    };
    assert_eq!(address.lines, ["5 allée des Tilleuls", "Appartement 3"]);
}
