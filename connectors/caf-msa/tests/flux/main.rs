//! Integration tests of the flux reader: one binary, one module per concern.

mod encoding;
mod invalid;
mod limits;
mod robustness;
mod sample;
mod variants;

use cdb_caf_msa::generate::{SyntheticFlux, SyntheticHousehold, synthetic_households, write_flux};
use cdb_caf_msa::{FluxError, FluxReader, Household};
use chrono::NaiveDate;

/// A date, for brevity.
pub fn on(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

/// The flux header used by most tests: monthly, created on 5 March 2024.
pub fn monthly() -> SyntheticFlux {
    SyntheticFlux::monthly(on(2024, 3, 5))
}

/// `count` generated households (seed 7), to be adjusted by the test.
pub fn households(count: usize) -> Vec<SyntheticHousehold> {
    synthetic_households(count, 7).collect()
}

/// The bytes (windows-1252) of a flux with these households.
pub fn flux_bytes(flux: &SyntheticFlux, households: Vec<SyntheticHousehold>) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_flux(&mut bytes, flux, households).unwrap();
    bytes
}

/// Reads every household, failing the test on any error.
pub fn read_all(bytes: &[u8]) -> (FluxReader<&[u8]>, Vec<Household>) {
    let mut reader = FluxReader::new(bytes).unwrap();
    let households: Vec<Household> = reader.by_ref().collect::<Result<_, _>>().unwrap();
    (reader, households)
}

/// The first error met reading the whole file, header included.
pub fn first_error(bytes: &[u8]) -> Option<FluxError> {
    match FluxReader::new(bytes) {
        Err(error) => Some(error),
        Ok(reader) => reader.filter_map(Result::err).next(),
    }
}

/// A household with one known adult applicant, state 2, one address: the base of variants.
pub fn plain() -> SyntheticHousehold {
    use cdb_caf_msa::generate::{SyntheticAddress, SyntheticPerson};
    SyntheticHousehold {
        fund: "CAF".to_owned(),
        organisation_number: "261".to_owned(),
        matricule: "123456700000000".to_owned(),
        partner_kind: "CG ".to_owned(),
        partner_code: "026".to_owned(),
        application_date: on(2023, 6, 1),
        application_number: "01024041052".to_owned(),
        persons: vec![SyntheticPerson {
            title: Some("MME".to_owned()),
            last_name: "DUPONT".to_owned(),
            birth_name: "MARTIN".to_owned(),
            first_name: "ALICE".to_owned(),
            second_first_name: None,
            birth_place: "VALENCE".to_owned(),
            birth_date: on(1990, 5, 12),
            nir: Some("2900526362123".to_owned()),
            sex: "2".to_owned(),
            role: "DEM".to_owned(),
            file_holder: true,
            dependent: true,
            rights_and_duties: Some(true),
            entrant: Some(true),
            resources: true,
            activities: 1,
        }],
        family_status: "CEL".to_owned(),
        family_since: on(2015, 6, 1),
        addresses: vec![SyntheticAddress {
            rank: 1,
            moved_in_on: Some(on(2020, 1, 1)),
            country: "FRA".to_owned(),
            street_number: "3".to_owned(),
            street_type: "RUE".to_owned(),
            street_name: "DES ALPES".to_owned(),
            place: String::new(),
            insee_code: "26362".to_owned(),
            postal_code: "26000".to_owned(),
            city: "VALENCE".to_owned(),
            foreign_lines: Vec::new(),
        }],
        state: "2".to_owned(),
        refusal: None,
        right_suspensions: Vec::new(),
        payment_suspensions: Vec::new(),
        closure: None,
        earlier_closure: None,
        no_fixed_address: false,
        dependants: None,
    }
}

/// Reads one flux holding only `household` and returns it.
pub fn read_one(household: SyntheticHousehold) -> Household {
    let bytes = flux_bytes(&monthly(), vec![household]);
    let (_, mut households) = read_all(&bytes);
    assert_eq!(households.len(), 1);
    households.remove(0)
}
