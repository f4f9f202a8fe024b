//! The WebRSA FRSA beneficiary export: extraction date, address lines, rights and duties.

use cdb_connector::identity::HouseholdRole;
use cdb_connector::records::{RecordBody, RsaState, Sex};
use cdb_departement::{FileMode, Profile};
use chrono::{TimeZone, Utc};

use super::{body, context, kinds, located, read, subject};

const FILE: &str = "BENEF_W_2024_03_05__06_12-ALL.csv";

#[test]
fn a_household_of_three_with_the_extraction_date_as_of() {
    let read = read(
        "webrsa_frsa",
        "webrsa_frsa.csv",
        &context(FILE, Some("CAF930")),
    );
    assert!(read.unknown.is_empty(), "{:?}", read.unknown);
    let alice = read.records(2);
    assert_eq!(
        kinds(alice),
        ["identity", "contact", "address", "rsa_rights"]
    );
    let extracted = Utc.with_ymd_and_hms(2024, 3, 5, 5, 12, 44).unwrap();
    assert!(
        alice
            .iter()
            .all(|r| r.source.as_of == extracted && r.source.record_id == "81234")
    );
    let RecordBody::Identity(identity) = body(alice, "identity") else {
        unreachable!()
    };
    assert_eq!(identity.last_name, "DUPONT");
    assert_eq!(identity.birth_name.as_deref(), Some("MARTIN"));
    assert_eq!(identity.first_names, ["ALICE MARIE"]);
    assert_eq!(identity.sex, Some(Sex::Female));
    let RecordBody::Address(address) = body(alice, "address") else {
        unreachable!()
    };
    assert_eq!(
        address.lines,
        [
            "APPARTEMENT 12",
            "RESIDENCE LES TILLEULS",
            "3 RUE DES ALPES"
        ]
    );
    assert_eq!(address.country.as_deref(), Some("FRA"));
    let RecordBody::Contact(contact) = body(alice, "contact") else {
        unreachable!()
    };
    let phones: Vec<&str> = contact.phones.iter().map(|p| p.as_str()).collect();
    assert_eq!(phones, ["+33612345678", "+33475123456"], "the mobile first");
    let RecordBody::RsaRights(rights) = body(alice, "rsa_rights") else {
        unreachable!()
    };
    assert_eq!(rights.state, Some(RsaState::OpenPayable));
    assert_eq!(rights.subject_to_rights_and_duties, Some(true));

    let roles: Vec<_> = [2, 3, 4]
        .into_iter()
        .map(|line| {
            let keys = subject(read.records(line));
            assert_eq!(keys.caf_msa.as_ref().unwrap().matricule.as_str(), "2055990");
            keys.departement.as_ref().unwrap().role
        })
        .collect();
    assert_eq!(
        roles,
        [
            Some(HouseholdRole::Applicant),
            Some(HouseholdRole::Partner),
            Some(HouseholdRole::Child)
        ]
    );
    let RecordBody::RsaRights(child) = body(read.records(4), "rsa_rights") else {
        unreachable!()
    };
    assert_eq!(child.subject_to_rights_and_duties, Some(false));
}

#[test]
fn an_undefined_state_and_a_locality_only_address() {
    let read = read("webrsa_frsa", "webrsa_frsa.csv", &context(FILE, None));
    let nguyen = read.records(5);
    let RecordBody::RsaRights(rights) = body(nguyen, "rsa_rights") else {
        unreachable!()
    };
    assert_eq!(rights.state, None);
    assert_eq!(rights.subject_to_rights_and_duties, None);
    let RecordBody::Address(address) = body(nguyen, "address") else {
        unreachable!()
    };
    assert_eq!(address.lines, ["LIEU-DIT LES VIGNES"]);
    assert_eq!(address.postal_code.as_ref().unwrap().as_str(), "93200");
    assert_eq!(address.city.as_deref(), Some("SAINT-DENIS"));
    assert!(!kinds(nguyen).contains(&"contact"));
}

#[test]
fn every_bad_cell_of_a_row_is_reported() {
    let read = read("webrsa_frsa", "webrsa_frsa.csv", &context(FILE, None));
    let errors: Vec<_> = read.errors(6).iter().map(located).collect();
    let codes: Vec<_> = errors
        .iter()
        .map(|(column, _, code, _)| (*column, *code))
        .collect();
    assert_eq!(
        codes,
        [
            ("i_date_nai", "nonexistent_date"),
            ("c_mobile", "invalid_phone"),
            ("etat_dossier", "unknown_rsa_state"),
        ]
    );
    assert_eq!(
        errors[1].3,
        "Le téléphone « 07 00 00 » n'est pas un numéro de téléphone valide"
    );
}

#[test]
fn the_file_name_tells_stock_from_delta() {
    let webrsa = Profile::named("webrsa_frsa").unwrap();
    assert_eq!(webrsa.file_mode(FILE), FileMode::Stock);
    assert_eq!(
        webrsa.file_mode("BENEF_W_2024_03_05__06_12-1JOUR.csv"),
        FileMode::Delta
    );
    assert_eq!(
        webrsa.file_mode("BENEF_W_2024_03_05__06_12-31JOUR.csv"),
        FileMode::Delta
    );
}
