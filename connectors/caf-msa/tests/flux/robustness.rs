//! Whatever the bytes, the reader answers with households or an error, never a panic.

use proptest::prelude::*;

use cdb_caf_msa::FluxReader;

use crate::{flux_bytes, households, monthly};

/// Reads everything the bytes give; true when an error came up.
fn read_through(bytes: &[u8]) -> bool {
    match FluxReader::new(bytes) {
        Err(_) => true,
        Ok(reader) => {
            let mut failed = false;
            for household in reader {
                if household.is_err() {
                    failed = true;
                }
            }
            failed
        }
    }
}

fn valid_file() -> Vec<u8> {
    flux_bytes(&monthly(), households(4))
}

proptest! {
    // 512 cases unless PROPTEST_CASES asks for more (a longer hunt before a release).
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        read_through(&bytes);
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_start_never_panic(
        declared in prop::sample::select(vec!["windows-1252", "UTF-8", "ISO-8859-15"]),
        tail in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut bytes = format!("<?xml version=\"1.0\" encoding=\"{declared}\"?>\n<Racine>").into_bytes();
        bytes.extend_from_slice(&tail);
        read_through(&bytes);
    }

    #[test]
    fn every_truncation_of_a_valid_file_is_an_error(cut in any::<prop::sample::Index>()) {
        let bytes = valid_file();
        let end = bytes.windows(9).rposition(|w| w == b"</Racine>").unwrap() + 9;
        let cut = cut.index(end);
        prop_assert!(read_through(&bytes[..cut]), "a file cut at byte {} was accepted", cut);
    }

    #[test]
    fn altered_bytes_of_a_valid_file_never_panic(
        changes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = valid_file();
        for (at, byte) in changes {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        read_through(&bytes);
    }
}

#[test]
fn the_whole_valid_file_is_accepted_and_trailing_whitespace_too() {
    let mut bytes = valid_file();
    assert!(!read_through(&bytes));
    bytes.extend_from_slice(b"\n\n  ");
    assert!(!read_through(&bytes));
    bytes.extend_from_slice(b"<Racine/>");
    assert!(read_through(&bytes));
}
