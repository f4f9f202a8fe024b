//! The Carnet de bord beneficiary template (2024 header; the 2022 one binds too).

use cdb_connector::identity::HouseholdRole;
use cdb_connector::records::{RecordBody, RsaState};
use cdb_connector::source::SourceSystem;
use cdb_departement::{FileMode, Profile};
use chrono::NaiveDate;

use super::{body, context, kinds, located, read, subject, uploaded_at};

#[test]
fn the_2024_template_gives_identity_contact_address_and_rights() {
    let read = read(
        "cdb",
        "cdb.csv",
        &context("import_beneficiaires.csv", Some("CAF261")),
    );
    assert!(read.unknown.is_empty(), "{:?}", read.unknown);
    let camille = read.records(2);
    assert_eq!(
        kinds(camille),
        ["identity", "contact", "address", "rsa_rights"]
    );
    let first = &camille[0];
    assert_eq!(
        first.source.system,
        SourceSystem::Departement {
            profile: "cdb".to_owned()
        }
    );
    assert_eq!(first.source.record_id, "SI-2024-0001");
    assert_eq!(first.source.as_of, uploaded_at());
    assert_eq!(
        first.source.run_id.as_deref(),
        Some("import_beneficiaires.csv")
    );
    let keys = subject(camille);
    assert_eq!(keys.nir.as_ref().unwrap().as_str(), "1850726362134");
    let departement = keys.departement.as_ref().unwrap();
    assert_eq!(departement.id.as_str(), "SI-2024-0001");
    assert_eq!(departement.role, None);
    let caf = keys.caf_msa.as_ref().unwrap();
    assert_eq!(caf.organisation.to_string(), "CAF261");
    assert_eq!(caf.matricule.as_str(), "1234567");
    assert_eq!(
        keys.france_travail_id.as_ref().unwrap().as_str(),
        "12345678901"
    );
    let names = keys.name_and_birth.as_ref().unwrap();
    assert_eq!(
        (
            names.first_name.as_str(),
            names.last_name.as_str(),
            names.birth_date
        ),
        (
            "Camille",
            "Rousseau",
            NaiveDate::from_ymd_opt(1985, 7, 12).unwrap()
        )
    );
    let RecordBody::Identity(identity) = body(camille, "identity") else {
        unreachable!()
    };
    assert_eq!(identity.first_names, ["Camille"]);
    assert_eq!(identity.birth_place.as_deref(), Some("Valence"));
    let RecordBody::Contact(contact) = body(camille, "contact") else {
        unreachable!()
    };
    let phones: Vec<&str> = contact.phones.iter().map(|p| p.as_str()).collect();
    assert_eq!(phones, ["+33612345678", "+33475112233"]);
    assert_eq!(
        contact.email.as_ref().unwrap().as_str(),
        "camille.rousseau@example.org"
    );
    let RecordBody::Address(address) = body(camille, "address") else {
        unreachable!()
    };
    assert_eq!(address.lines, ["12 rue des Alpes", "Bâtiment B"]);
    assert_eq!(address.postal_code.as_ref().unwrap().as_str(), "26000");
    assert_eq!(address.city.as_deref(), Some("Valence"));
    let RecordBody::RsaRights(rights) = body(camille, "rsa_rights") else {
        unreachable!()
    };
    assert_eq!(rights.state, Some(RsaState::OpenPayable));
    assert_eq!(rights.subject_to_rights_and_duties, None);
}

#[test]
fn iso_dates_slugs_missing_zeros_serials_and_quoted_cells() {
    let read = read("cdb", "cdb.csv", &context("import.csv", None));
    let lea = read.records(3);
    let keys = subject(lea);
    assert_eq!(keys.caf_msa, None);
    assert_eq!(
        keys.name_and_birth.as_ref().unwrap().birth_date,
        NaiveDate::from_ymd_opt(1987, 9, 26).unwrap()
    );
    let RecordBody::Contact(contact) = body(lea, "contact") else {
        unreachable!()
    };
    assert_eq!(contact.phones[0].as_str(), "+33698943255");
    let RecordBody::RsaRights(rights) = body(lea, "rsa_rights") else {
        unreachable!()
    };
    assert_eq!(rights.state, Some(RsaState::OpenSuspended));
    // A blank row gives nothing, and is no error.
    assert!(read.records(4).is_empty());
    let role_free = subject(lea).departement.as_ref().unwrap().role;
    assert_eq!(role_free, None::<HouseholdRole>);
    let theo = read.records(7);
    assert_eq!(
        subject(theo).name_and_birth.as_ref().unwrap().birth_date,
        NaiveDate::from_ymd_opt(1981, 2, 14).unwrap(),
        "an Excel serial"
    );
    let RecordBody::Address(address) = body(theo, "address") else {
        unreachable!()
    };
    assert_eq!(address.lines, ["4 place de l'Église; 2e étage"]);
    assert_eq!(address.postal_code.as_ref().unwrap().as_str(), "01000");
    let RecordBody::RsaRights(rights) = body(theo, "rsa_rights") else {
        unreachable!()
    };
    assert_eq!(
        rights.state,
        Some(RsaState::OpenPayable),
        "an ETATDOSRSA code"
    );
}

#[test]
fn a_bad_date_and_a_bad_nir_are_located_french_errors() {
    let read = read("cdb", "cdb.csv", &context("import.csv", None));
    let errors: Vec<_> = read.errors(5).iter().map(located).collect();
    assert_eq!(
        errors,
        [(
            "Date de naissance*",
            "31/02/1990",
            "nonexistent_date",
            "La date de naissance « 31/02/1990 » n'existe pas"
        )]
    );
    assert_eq!(read.errors(5)[0].line, 5);
    let errors: Vec<_> = read.errors(6).iter().map(located).collect();
    assert_eq!(
        errors,
        [(
            "NIR",
            "281022636205540",
            "invalid_nir_key",
            "Le NIR « 281022636205540 » n'est pas valide : sa clé de contrôle ne correspond pas \
             à ses 13 premiers caractères"
        )]
    );
}

#[test]
fn the_2022_template_binds_with_its_own_headers() {
    let header = "Identifiant dans le SI;Prénom*;Nom*;Date de naissance*;Lieu de naissance*;\
                  Téléphone;Courriel;Adresse;Adresse (complément);Code postal;Ville;Situation;\
                  Numéro allocaire CAF/MSA;Identifiant Pôle emploi;Droits RSA;Droits ARE;\
                  Droits ASS;Prime d'activité;AAH;Zone de mobilité;\
                  Emplois recherchés (texte + code ROME);Niveau de formation;Structure;\
                  Accompagnateurs";
    let header: Vec<&str> = header.split(';').collect();
    let cdb = Profile::named("cdb").unwrap();
    let bound = cdb.bind(&header).unwrap();
    assert!(bound.unknown_columns().is_empty());
    assert_eq!(bound.found_columns().count(), 14);
    assert_eq!(cdb.file_mode("import_beneficiaires.csv"), FileMode::Delta);
    let error = cdb.bind(&["Prénom", "Nom", "Téléphone"]).unwrap_err();
    assert_eq!(
        error.missing,
        ["Identifiant dans le SI", "Date de naissance"]
    );
}
