//! Generated files covering what real files vary in.

use cdb_caf_msa::generate::{SyntheticAddress, SyntheticFlux, SyntheticPerson};
use cdb_caf_msa::{FluxReader, FluxWarning, HouseholdWarning};
use cdb_connector::identity::HouseholdRole;
use cdb_connector::records::{
    ClosureReason, MaritalStatus, RecordBody, RsaRights, RsaState, SuspensionReason, Title,
};

use crate::{flux_bytes, households, monthly, on, plain, read_all, read_one};

/// The RSA rights record of the household's first person.
fn rights_of(household: &cdb_caf_msa::Household) -> RsaRights {
    let records = household.records(&header(), None);
    records
        .into_iter()
        .find_map(|r| match r.body {
            RecordBody::RsaRights(rights) => Some(rights),
            _ => None,
        })
        .unwrap()
}

/// The header of the flux `read_one` writes.
fn header() -> cdb_caf_msa::FluxHeader {
    let bytes = flux_bytes(&monthly(), vec![]);
    FluxReader::new(&bytes[..]).unwrap().header().clone()
}

#[test]
fn every_etatdosrsa_value_maps_to_its_state() {
    let expected = [
        ("0", Some(RsaState::ApplicationPending)),
        ("1", Some(RsaState::Refused)),
        ("2", Some(RsaState::OpenPayable)),
        ("3", Some(RsaState::OpenSuspended)),
        ("4", Some(RsaState::OpenPaymentSuspended)),
        ("5", Some(RsaState::Closed)),
        ("6", Some(RsaState::ClosedEarlier)),
        ("Z", None),
        ("", None),
    ];
    let all: Vec<_> = expected
        .iter()
        .map(|(code, _)| {
            let mut household = plain();
            household.state = (*code).to_owned();
            household
        })
        .collect();
    let (_, read) = read_all(&flux_bytes(&monthly(), all));
    for ((code, state), household) in expected.iter().zip(&read) {
        assert_eq!(household.rights.state, *state, "ETATDOSRSA {code:?}");
        assert_eq!(household.rights.state_code, *code);
        assert_eq!(rights_of(household).state, *state);
        let undefined = household.warnings.contains(&HouseholdWarning::RsaState {
            code: (*code).to_owned(),
        });
        assert_eq!(undefined, state.is_none(), "ETATDOSRSA {code:?}");
    }
}

#[test]
fn suspensions_closures_and_refusals_are_read_with_their_dates() {
    let mut suspended = plain();
    suspended.state = "4".to_owned();
    suspended.payment_suspensions = vec![
        ("70".to_owned(), on(2024, 1, 1)),
        ("CG".to_owned(), on(2024, 2, 1)),
    ];
    let household = read_one(suspended);
    let rights = rights_of(&household);
    let suspension = rights.suspension.unwrap();
    // The latest suspension is the one in force; CG has no slug but keeps its code.
    assert_eq!(
        (suspension.reason, suspension.source_code.as_str()),
        (None, "CG")
    );
    assert_eq!(suspension.since, on(2024, 2, 1));
    assert_eq!(household.rights.payment_suspensions.len(), 2);
    assert_eq!(
        household.warnings,
        [HouseholdWarning::SuspensionReason {
            code: "CG".to_owned()
        }]
    );

    let mut right_suspended = plain();
    right_suspended.state = "3".to_owned();
    right_suspended.right_suspensions = vec![("DB".to_owned(), on(2024, 1, 15))];
    let household = read_one(right_suspended);
    assert_eq!(household.rights.right_suspensions[0].code, "DB");
    assert_eq!(rights_of(&household).suspension, None);

    let mut closed_earlier = plain();
    closed_earlier.state = "6".to_owned();
    closed_earlier.earlier_closure = Some(("ECH".to_owned(), on(2023, 12, 31)));
    let closure = rights_of(&read_one(closed_earlier)).closure.unwrap();
    assert_eq!(closure.reason, Some(ClosureReason::Expiry));
    assert_eq!(closure.date, on(2023, 12, 31));

    let mut refused = plain();
    refused.state = "1".to_owned();
    refused.refusal = Some(("DSD".to_owned(), on(2023, 7, 1)));
    let household = read_one(refused);
    assert_eq!(household.rights.refusal.as_ref().unwrap().code, "DSD");
    assert_eq!(household.rights.state, Some(RsaState::Refused));
}

#[test]
fn padded_codes_and_zero_padded_numbers_are_trimmed() {
    let mut household = plain();
    household.partner_kind = "CG  ".to_owned();
    household.organisation_number = "26 ".to_owned();
    household.matricule = "  000000001234567 ".to_owned();
    household.persons[0].title = Some("MR ".to_owned());
    household.persons[0].role = "DEM".to_owned();
    household.dependants = Some(2);
    household.addresses[0].postal_code = "01000".to_owned();
    let read = read_one(household);
    assert_eq!(read.partner.kind, "CG");
    assert_eq!(read.organisation.as_ref().unwrap().to_string(), "CAF026");
    assert_eq!(read.matricule.as_ref().unwrap().as_str(), "1234567");
    assert_eq!(read.persons[0].title, Some(Title::Mr));
    assert_eq!(read.rights.dependants, Some(2));
    assert_eq!(read.family.as_ref().unwrap().dependants, Some(2));
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
}

#[test]
fn the_current_address_is_rank_one_wherever_it_stands() {
    let mut household = plain();
    let current = household.addresses[0].clone();
    household.addresses = vec![
        SyntheticAddress {
            rank: 3,
            street_number: "99".to_owned(),
            postal_code: "1000".to_owned(),
            ..current.clone()
        },
        SyntheticAddress {
            rank: 1,
            place: "BÂTIMENT B".to_owned(),
            postal_code: "1000".to_owned(),
            city: "BOURG-EN-BRESSE".to_owned(),
            ..current.clone()
        },
        SyntheticAddress {
            rank: 2,
            foreign_lines: vec!["12 CALLE MAYOR".to_owned(), "28013 MADRID".to_owned()],
            country: "ESP".to_owned(),
            ..current
        },
    ];
    let read = read_one(household);
    assert_eq!(read.addresses.len(), 3);
    let address = &read.current_address().unwrap().address;
    assert_eq!(address.lines, ["BÂTIMENT B", "3 RUE DES ALPES"]);
    // CODEPOS is an integer in the schema: its leading zero comes back.
    assert_eq!(address.postal_code.as_ref().unwrap().as_str(), "01000");
    assert_eq!(address.city.as_deref(), Some("BOURG-EN-BRESSE"));
    let abroad = &read.addresses[2].address;
    assert_eq!(abroad.lines, ["12 CALLE MAYOR", "28013 MADRID"]);
    assert_eq!(
        (abroad.postal_code.as_ref(), abroad.country.as_deref()),
        (None, Some("ESP"))
    );
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);

    let mut without_current = plain();
    without_current.addresses[0].rank = 2;
    let read = read_one(without_current);
    assert_eq!(read.current_address().unwrap().rank, 2);
    assert_eq!(
        read.warnings,
        [HouseholdWarning::NoCurrentAddress { used: 2 }]
    );
}

#[test]
fn missing_optional_blocks_leave_fields_empty() {
    let mut household = plain();
    let person = &mut household.persons[0];
    person.title = None;
    person.nir = None;
    person.rights_and_duties = None;
    person.entrant = None;
    person.resources = false;
    person.activities = 0;
    household.addresses[0].moved_in_on = None;
    household.addresses[0].street_number = String::new();
    household.dependants = None;
    let read = read_one(household);
    let person = &read.persons[0];
    assert_eq!((person.title, &person.nir), (None, &None));
    assert_eq!(person.subject_to_rights_and_duties, None);
    assert_eq!(read.addresses[0].moved_in_on, None);
    assert_eq!(
        read.current_address().unwrap().address.lines,
        ["RUE DES ALPES"]
    );
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    let rights = rights_of(&read);
    assert_eq!(
        rights,
        RsaRights {
            state: Some(RsaState::OpenPayable),
            suspension: None,
            closure: None,
            subject_to_rights_and_duties: None,
            entrant: None,
        }
    );
    // Without a NIR the person is still reachable by CAF key and by names.
    let keys = read.identity_keys(person);
    assert!(keys.nir.is_none());
    assert_eq!(keys.caf_msa.unwrap().role, Some(HouseholdRole::Applicant));
    assert_eq!(keys.name_and_birth.unwrap().birth_date, on(1990, 5, 12));
}

#[test]
fn couples_and_children_get_one_record_set_each() {
    let mut household = plain();
    let applicant = household.persons[0].clone();
    household.persons.push(SyntheticPerson {
        role: "CJT".to_owned(),
        first_name: "BRUNO".to_owned(),
        sex: "1".to_owned(),
        nir: Some("1880526362045".to_owned()),
        entrant: None,
        ..applicant.clone()
    });
    for (name, nir) in [("LÉA", "2150126362001"), ("THÉO", "1170326362002")] {
        household.persons.push(SyntheticPerson {
            role: "ENF".to_owned(),
            first_name: name.to_owned(),
            nir: Some(nir.to_owned()),
            rights_and_duties: None,
            entrant: None,
            resources: false,
            ..applicant.clone()
        });
    }
    household.family_status = "MAR".to_owned();
    household.dependants = Some(2);
    let read = read_one(household);
    let roles: Vec<_> = read.persons.iter().map(|p| p.role).collect();
    use HouseholdRole::{Applicant, Child, Partner};
    assert_eq!(
        roles,
        [Some(Applicant), Some(Partner), Some(Child), Some(Child)]
    );
    assert_eq!(read.family.as_ref().unwrap().status, MaritalStatus::Married);
    let records = read.records(&header(), None);
    assert_eq!(records.len(), 16);
    let mut ids: Vec<_> = records
        .iter()
        .map(|r| r.source.record_id.as_str())
        .collect();
    ids.dedup();
    assert_eq!(
        ids,
        [
            "CAF261-123456700000000-DEM",
            "CAF261-123456700000000-CJT",
            "CAF261-123456700000000-ENF",
            "CAF261-123456700000000-ENF-2",
        ]
    );
    assert_eq!(read.persons[2].first_names, ["LÉA"]);
}

#[test]
fn domain_oddities_are_household_warnings_not_errors() {
    let mut household = plain();
    household.fund = "CPA".to_owned();
    household.family_status = "QQQ".to_owned();
    household.state = "5".to_owned();
    household.closure = Some(("ZZZ".to_owned(), on(2024, 1, 31)));
    let person = &mut household.persons[0];
    person.nir = Some("184127645108947".to_owned());
    person.role = "ZZZ".to_owned();
    person.sex = "3".to_owned();
    let read = read_one(household);
    let warnings: Vec<String> = read.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "person 1: NIR not usable: the NIR control key does not match: 46 expected",
            "person 1: unknown sex code \"3\"",
            "person 1: unknown role \"ZZZ\"",
            "organisation \"CPA\" \"261\" not usable: unknown fund \"CPA\": CAF or MSA expected",
            "unknown family situation \"QQQ\"",
            "closure reason \"ZZZ\" has no slug in rsa_closure_reason",
        ]
    );
    // Records are still produced, keyed by what is usable (names and birth date).
    let records = read.records(&header(), None);
    assert_eq!(records.len(), 3);
    let keys = &records[0].subject;
    assert!(keys.nir.is_none() && keys.caf_msa.is_none() && keys.name_and_birth.is_some());
    let closure = rights_of(&read).closure.unwrap();
    assert_eq!(
        (closure.reason, closure.source_code.as_str()),
        (None, "ZZZ")
    );
}

#[test]
fn a_trailer_that_miscounts_is_a_warning_and_a_right_count_is_not() {
    let mut flux = monthly();
    flux.declared_households = Some(5);
    let bytes = flux_bytes(&flux, households(3));
    let (reader, read) = read_all(&bytes);
    assert_eq!(read.len(), 3);
    assert_eq!(
        reader.warnings(),
        [FluxWarning::TrailerCountMismatch {
            declared: 5,
            read: 3
        }]
    );
    let bytes = flux_bytes(&monthly(), households(3));
    let (reader, _) = read_all(&bytes);
    assert!(reader.warnings().is_empty());
    assert_eq!(reader.trailer().unwrap().households, 3);
}

#[test]
fn an_empty_flux_is_valid() {
    let bytes = flux_bytes(&monthly(), vec![]);
    let (reader, read) = read_all(&bytes);
    assert!(read.is_empty());
    assert_eq!(reader.trailer().unwrap().households, 0);
}

#[test]
fn a_right_reopened_in_a_later_file_is_seen_in_creation_order() {
    let mut suspended = plain();
    suspended.state = "4".to_owned();
    suspended.payment_suspensions = vec![("06".to_owned(), on(2024, 1, 1))];
    let mut reopened = plain();
    reopened.state = "2".to_owned();
    let february = flux_bytes(&SyntheticFlux::monthly(on(2024, 2, 5)), vec![suspended]);
    let march = flux_bytes(&SyntheticFlux::monthly(on(2024, 3, 5)), vec![reopened]);

    // Files may arrive in any order: they are applied in creation order.
    let mut files: Vec<_> = [&march, &february]
        .into_iter()
        .map(|bytes| FluxReader::new(&bytes[..]).unwrap())
        .collect();
    files.sort_by_key(|reader| reader.header().created_at());
    let mut history = Vec::new();
    for mut reader in files {
        let header = reader.header().clone();
        for household in reader.by_ref() {
            for record in household.unwrap().records(&header, None) {
                if let RecordBody::RsaRights(rights) = record.body {
                    history.push((record.source.as_of, record.subject, rights));
                }
            }
        }
    }
    assert_eq!(history.len(), 2);
    let (before, after) = (&history[0], &history[1]);
    assert!(before.0 < after.0);
    // Same person by every key: the inbound pipeline will match both to one notebook.
    assert_eq!(before.1, after.1);
    assert_eq!(before.2.state, Some(RsaState::OpenPaymentSuspended));
    assert_eq!(
        before.2.suspension.as_ref().unwrap().reason,
        Some(SuspensionReason::ResourcesStatementMissing)
    );
    assert_eq!(after.2.state, Some(RsaState::OpenPayable));
    assert_eq!(after.2.suspension, None);
}

#[test]
fn generated_files_read_back_whole() {
    let generated = households(300);
    let persons: usize = generated.iter().map(|h| h.persons.len()).sum();
    let closed = generated.iter().filter(|h| h.state == "5").count();
    let bytes = flux_bytes(&monthly(), generated);
    let summary = FluxReader::new(&bytes[..]).unwrap().check().unwrap();
    assert_eq!(summary.households, 300);
    assert_eq!(summary.persons, persons as u64);
    assert!(summary.warnings.is_empty());
    let (_, read) = read_all(&bytes);
    assert_eq!(
        read.iter()
            .filter(|h| h.rights.state == Some(RsaState::Closed))
            .count(),
        closed
    );
    assert!(
        read.iter().any(|h| h.persons.len() > 2),
        "some households have children"
    );
}
