//! Whatever the bytes, the parser answers without panicking, and hashes what it keeps.

use cdb_france_travail::extract::{RowHash, parse_actions, parse_principal};
use proptest::prelude::*;

/// Cells drawn from what breaks CSV readers: separators, quotes, line ends, null markers,
/// dates, flags and non-UTF-8 bytes.
fn cell() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"NULL".to_vec()),
        Just(b"_".to_vec()),
        Just(b"O".to_vec()),
        Just(b"2024-02-29 00:00:00.0".to_vec()),
        Just(b"\"a;b\"".to_vec()),
        Just(b"\"unterminated".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(vec![0xE9, 0xFF]),
        proptest::collection::vec(any::<u8>(), 0..12),
    ]
}

/// A header both kinds of extract accept, with typed columns to trip over.
const HEADER: &[u8] =
    b"identifiant_unique_de;nom;prenom;date_naissance;lblaction;dif_sante;referent_mail;adresse_ligne6\n";

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_principal(&bytes);
        let _ = parse_actions(&bytes);
    }

    #[test]
    fn rows_built_from_hostile_cells_never_panic(
        rows in proptest::collection::vec(proptest::collection::vec(cell(), 0..14), 0..8)
    ) {
        let mut file = HEADER.to_vec();
        for row in rows {
            file.extend(row.join(&b';'));
            file.push(b'\n');
        }
        let principal = parse_principal(&file)
            .map(|f| f.rows.into_iter().map(|r| (r.raw, r.hash)).collect::<Vec<_>>())
            .unwrap_or_default();
        let actions = parse_actions(&file)
            .map(|f| f.rows.into_iter().map(|r| (r.raw, r.hash)).collect::<Vec<_>>())
            .unwrap_or_default();
        for (raw, hash) in principal.into_iter().chain(actions) {
            prop_assert_eq!(hash, RowHash::of(raw.as_bytes()));
        }
    }
}
