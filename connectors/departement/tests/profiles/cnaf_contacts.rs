//! The CNAF contact file: matricule, role and NIR → the dossier's phones and e-mail.

use cdb_connector::identity::HouseholdRole;
use cdb_connector::records::RecordBody;
use cdb_departement::Profile;

use super::{body, context, kinds, located, read, subject};

#[test]
fn each_person_of_the_dossier_gets_its_phones_and_email() {
    let read = read(
        "cnaf_contacts",
        "cnaf_contacts.csv",
        &context("contacts.csv", Some("CAF261")),
    );
    assert!(read.unknown.is_empty(), "{:?}", read.unknown);
    let applicant = read.records(2);
    assert_eq!(kinds(applicant), ["contact"]);
    assert!(applicant.iter().all(|r| r.source.record_id == "2055990"));
    let keys = subject(applicant);
    assert_eq!(keys.nir.as_ref().unwrap().as_str(), "1780413055123");
    let caf = keys.caf_msa.as_ref().unwrap();
    assert_eq!(caf.organisation.to_string(), "CAF261");
    assert_eq!(caf.role, Some(HouseholdRole::Applicant));
    assert_eq!(
        keys.name_and_birth, None,
        "the file holder's names are not the person's"
    );
    let RecordBody::Contact(contact) = body(applicant, "contact") else {
        unreachable!()
    };
    let phones: Vec<&str> = contact.phones.iter().map(|p| p.as_str()).collect();
    assert_eq!(phones, ["+33698943255", "+33475112233"]);
    assert_eq!(
        contact.email.as_ref().unwrap().as_str(),
        "thierry.moreau@example.org"
    );
    let partner = subject(read.records(3));
    assert_eq!(
        partner.caf_msa.as_ref().unwrap().role,
        Some(HouseholdRole::Partner)
    );
    let RecordBody::Contact(claire) = body(read.records(4), "contact") else {
        unreachable!()
    };
    assert!(claire.phones.is_empty());
    assert_eq!(
        subject(read.records(4))
            .caf_msa
            .as_ref()
            .unwrap()
            .matricule
            .as_str(),
        "3012345"
    );
}

#[test]
fn a_bad_nir_and_a_matricule_without_its_organisation_are_errors() {
    let read = read(
        "cnaf_contacts",
        "cnaf_contacts.csv",
        &context("contacts.csv", None),
    );
    let bad_nir: Vec<_> = read.errors(5).iter().map(located).collect();
    assert_eq!(bad_nir[0].0, "NIR");
    assert_eq!(bad_nir[0].2, "invalid_nir_key");
    // With a NIR the row needs no organisation; without one it cannot name anybody.
    assert!(subject(read.records(2)).caf_msa.is_none());
    let orphan: Vec<_> = read.errors(4).iter().map(located).collect();
    assert_eq!(
        orphan,
        [(
            "MATRICULE",
            "3012345",
            "no_identity_key",
            "Le numéro allocataire CAF/MSA « 3012345 » ne suffit pas à reconnaître la personne \
             sans son organisme CAF/MSA : renseignez le NIR, ou l'organisme dans le paramétrage \
             du connecteur"
        )]
    );
}

#[test]
fn the_contact_columns_must_be_there_even_when_empty() {
    let error = Profile::named("cnaf_contacts")
        .unwrap()
        .bind(&["MATRICULE", "NIR", "NUMERO TELEPHONE DOSSIER"])
        .unwrap_err();
    assert_eq!(
        error.missing,
        ["NUMERO TELEPHONE 2 DOSSIER", "ADRESSE ELECTRONIQUE DOSSIER"]
    );
}
