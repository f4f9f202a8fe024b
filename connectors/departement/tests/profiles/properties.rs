//! Arbitrary cells never panic, and every rejection is located on a real cell.

use cdb_departement::Profile;
use proptest::prelude::*;

use super::context;

/// Cells that look like what exports hold, and anything else.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        "[0-9 /.:+E,-]{0,20}",
        "[A-Za-zéÉèàçÀ() /'-]{0,20}",
        Just(String::new()),
        Just("#N/A".to_owned()),
        Just("1,84E+14".to_owned()),
    ]
}

proptest! {
    #[test]
    fn any_row_is_records_or_located_errors(
        profile in prop::sample::select(vec!["cdb", "iodas", "webrsa_frsa", "cnaf_contacts"]),
        cells in prop::collection::vec(cell(), 0..40),
        header_noise in prop::collection::vec(".*", 0..3),
    ) {
        let profile = Profile::named(profile).unwrap();
        let mut header: Vec<String> = profile
            .columns()
            .iter()
            .map(|column| column.name().to_owned())
            .collect();
        header.extend(header_noise);
        // A noisy header may be refused; it must never panic.
        let Ok(bound) = profile.bind(&header) else { return Ok(()) };
        match bound.read_row(7, &cells, &context("f.csv", Some("CAF261"))) {
            Ok(records) => {
                for record in &records {
                    prop_assert!(!record.subject.is_empty());
                    prop_assert!(!record.source.record_id.is_empty());
                }
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for error in errors {
                    prop_assert_eq!(error.line, 7);
                    prop_assert!(!error.message.is_empty());
                }
            }
        }
    }

    #[test]
    fn any_header_binds_or_says_why(header in prop::collection::vec(".*", 0..30)) {
        for profile in Profile::all() {
            if let Err(error) = profile.bind(&header) {
                prop_assert!(!error.to_string().is_empty());
            }
        }
    }
}
