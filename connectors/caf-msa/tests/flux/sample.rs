//! The real sample file (synthetic people, real structure) in fixtures/caf-msa.

use cdb_caf_msa::{FluxKind, FluxReader, FluxWarning, Position};
use cdb_connector::identity::{Fund, HouseholdRole};
use cdb_connector::records::{
    ClosureReason, MaritalStatus, RecordBody, RsaState, Sex, SuspensionReason, Title,
};
use cdb_connector::source::SourceSystem;
use chrono::{TimeZone, Utc};

use crate::on;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/caf-msa/RSABEM.xml"
);

#[test]
fn the_header_says_what_file_this_is() {
    let reader = FluxReader::open(SAMPLE).unwrap();
    let header = reader.header();
    assert_eq!(reader.encoding(), "windows-1252");
    assert_eq!(header.application, "CRI");
    assert_eq!(header.application_version, "6200");
    assert_eq!(header.kind, FluxKind::Monthly);
    assert_eq!(header.nature, "D");
    assert_eq!(header.created_on, on(2022, 3, 5));
    assert_eq!(header.reference_date, on(2022, 2, 28));
    assert_eq!(header.issuer(), Some(Fund::Caf));
    assert_eq!(header.created_at().to_string(), "2022-03-05 01:18:36");
    // 01:18:36 in Paris in March (winter time) is 00:18:36 UTC.
    assert_eq!(
        header.created_at_utc(),
        Utc.with_ymd_and_hms(2022, 3, 5, 0, 18, 36).unwrap()
    );
}

#[test]
fn both_households_are_read_with_their_rights() {
    let mut reader = FluxReader::open(SAMPLE).unwrap();
    let households: Vec<_> = reader.by_ref().map(Result::unwrap).collect();
    assert_eq!(households.len(), 2);

    let closed = &households[0];
    assert_eq!(closed.number, 1);
    assert_eq!(
        closed.position,
        Position {
            line: 13,
            column: 2,
            byte: 451
        }
    );
    assert_eq!(closed.file_key, "CAF521-205599000000000");
    assert_eq!(closed.organisation.as_ref().unwrap().to_string(), "CAF521");
    assert_eq!(closed.matricule.as_ref().unwrap().as_str(), "2055990");
    assert_eq!(closed.partner.kind, "CG");
    assert_eq!(closed.partner.code, "052");
    assert_eq!(closed.application.number, "01024041052");
    assert_eq!(closed.rights.state, Some(RsaState::Closed));
    let closure = closed.closure().unwrap();
    assert_eq!(closure.reason, Some(ClosureReason::PresidentDecision));
    assert_eq!(closure.date, on(2021, 11, 30));
    assert_eq!(
        closed.family.as_ref().unwrap().status,
        MaritalStatus::Single
    );
    assert!(closed.warnings.is_empty(), "{:?}", closed.warnings);

    let sophie = &closed.persons[0];
    assert_eq!(sophie.title, Some(Title::Mrs));
    assert_eq!(sophie.last_name, "TIFOUR");
    assert_eq!(sophie.first_names, ["SOPHIE"]);
    assert_eq!(sophie.birth_date, Some(on(1982, 2, 1)));
    assert_eq!(sophie.nir.as_ref().unwrap().as_str(), "2820251108030");
    assert_eq!(sophie.sex, Some(Sex::Female));
    assert_eq!(sophie.role, Some(HouseholdRole::Partner));
    assert_eq!(sophie.subject_to_rights_and_duties, Some(true));
    assert_eq!(sophie.entrant, None);
    assert_eq!(closed.persons[1].subject_to_rights_and_duties, Some(false));

    let suspended = &households[1];
    assert_eq!(suspended.position.line, 287);
    assert_eq!(suspended.rights.state, Some(RsaState::OpenPaymentSuspended));
    let suspension = suspended.payment_suspension().unwrap();
    assert_eq!(
        suspension.reason,
        Some(SuspensionReason::ResourcesStatementMissing)
    );
    assert_eq!(suspension.source_code, "06");
    assert_eq!(suspension.since, on(2021, 11, 1));
}

#[test]
fn the_trailer_miscount_is_a_warning() {
    let mut reader = FluxReader::open(SAMPLE).unwrap();
    assert_eq!(reader.by_ref().count(), 2);
    assert_eq!(reader.trailer().unwrap().households, 1);
    assert_eq!(
        reader.warnings(),
        [FluxWarning::TrailerCountMismatch {
            declared: 1,
            read: 2
        }]
    );
    let summary = FluxReader::open(SAMPLE).unwrap().check().unwrap();
    assert_eq!((summary.households, summary.persons), (2, 3));
    assert_eq!(summary.warnings.len(), 1);
}

#[test]
fn each_person_gets_identity_address_family_and_rights_records() {
    let mut reader = FluxReader::open(SAMPLE).unwrap();
    let header = reader.header().clone();
    let household = reader.next().unwrap().unwrap();
    let records = household.records(&header, Some("upload-7"));
    let kinds: Vec<_> = records.iter().map(|r| r.body.kind()).collect();
    assert_eq!(
        kinds,
        [
            "identity",
            "address",
            "family_situation",
            "rsa_rights",
            "identity",
            "address",
            "family_situation",
            "rsa_rights",
        ]
    );
    // Both adults are CJT in this sample: the second gets its own record id.
    assert_eq!(records[0].source.record_id, "CAF521-205599000000000-CJT");
    assert_eq!(records[4].source.record_id, "CAF521-205599000000000-CJT-2");
    let first = &records[0];
    assert_eq!(first.source.system, SourceSystem::CafMsa);
    assert_eq!(first.source.as_of, header.created_at_utc());
    assert_eq!(first.source.run_id.as_deref(), Some("upload-7"));
    let keys = &first.subject;
    assert_eq!(keys.nir.as_ref().unwrap().as_str(), "2820251108030");
    let caf = keys.caf_msa.as_ref().unwrap();
    assert_eq!(caf.organisation.to_string(), "CAF521");
    assert_eq!(caf.matricule.as_str(), "2055990");
    assert_eq!(caf.role, Some(HouseholdRole::Partner));
    let names = keys.name_and_birth.as_ref().unwrap();
    assert_eq!(
        (names.first_name.as_str(), names.last_name.as_str()),
        ("SOPHIE", "TIFOUR")
    );
    match &records[1].body {
        RecordBody::Address(address) => {
            assert_eq!(address.lines, ["25 RUE HENRI BARBUSSE"]);
            assert_eq!(address.postal_code.as_ref().unwrap().as_str(), "92300");
            assert_eq!(address.city.as_deref(), Some("LEVALLOIS PERRET"));
            assert_eq!(address.no_fixed_address, Some(false));
        }
        other => panic!("an address expected, not {other:?}"),
    }
    match &records[7].body {
        RecordBody::RsaRights(rights) => {
            assert_eq!(rights.state, Some(RsaState::Closed));
            assert_eq!(rights.subject_to_rights_and_duties, Some(false));
            assert_eq!(rights.closure.as_ref().unwrap().source_code, "PCG");
        }
        other => panic!("RSA rights expected, not {other:?}"),
    }
}
