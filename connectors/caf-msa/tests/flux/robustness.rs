//! Whatever the bytes, the reader answers with households or an error, never a panic.

use proptest::prelude::*;

use cdb_caf_msa::{FluxError, FluxReader, Limit, SchemaProblem};

use crate::{first_error, flux_bytes, households, monthly};

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

/// Element names the schema knows, at various depths, and some it does not.
const NAMES: [&str; 12] = [
    "Racine",
    "IdentificationFlux",
    "APPLIEME",
    "InfosFoyerRSA",
    "IdentificationRSA",
    "Personne",
    "Identification",
    "NIR",
    "TransmissionFlux",
    "a",
    "x:y",
    "Racine ",
];

/// A random element tree, serialised: names from [`NAMES`], attributes, text, references,
/// CDATA and comments, nested up to 40 deep, with a close tag now and then wrong.
fn tree() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "[a-zA-Z0-9 \t\n]{0,20}",
        Just("&amp;".to_owned()),
        Just("&#233;".to_owned()),
        Just("&#xD800;".to_owned()),
        Just("&lol;".to_owned()),
        Just("<![CDATA[<x>]]>".to_owned()),
        Just("<!-- c -->".to_owned()),
        Just("<?pi x?>".to_owned()),
        prop::sample::select(NAMES.to_vec()).prop_map(|n| format!("<{n}/>")),
    ];
    leaf.prop_recursive(40, 400, 6, |inner| {
        (
            prop::sample::select(NAMES.to_vec()),
            prop::collection::vec((0..20usize, "[a-z]{0,8}"), 0..20),
            prop::collection::vec(inner, 0..6),
            any::<bool>(),
            prop::sample::select(NAMES.to_vec()),
        )
            .prop_map(|(name, attributes, children, closes_right, other)| {
                let attributes: String = attributes
                    .iter()
                    .map(|(n, value)| format!(" xmlns:a{n}=\"{value}\""))
                    .collect();
                let close = if closes_right { name } else { other };
                format!("<{name}{attributes}>{}</{close}>", children.concat())
            })
    })
}

/// Fragments that have broken XML readers, spliced into valid files.
const FRAGMENTS: [&str; 16] = [
    "<!DOCTYPE Racine [<!ENTITY a \"&b;&b;\"><!ENTITY b \"x\">]>",
    "&a;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<?xml version=\"1.0\"?>",
    "&#0;",
    "&#x110000;",
    "\u{FEFF}",
    "<Racine>",
    "</Racine>",
    " xmlns:a=\"\"",
    "<InfosFoyerRSA>",
    "\u{0}",
    "\u{80}",
];

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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn random_nesting_never_panics(declared in any::<bool>(), body in tree()) {
        let mut bytes = if declared {
            b"<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n".to_vec()
        } else {
            Vec::new()
        };
        bytes.extend_from_slice(body.as_bytes());
        read_through(&bytes);
    }

    #[test]
    fn deep_nesting_of_any_names_is_an_error_found_early(
        names in prop::collection::vec(prop::sample::select(NAMES.to_vec()), 1..20),
        depth in 1..20_000usize,
    ) {
        let mut bytes = b"<?xml version=\"1.0\"?>".to_vec();
        for level in 0..depth {
            bytes.extend_from_slice(format!("<{}>", names[level % names.len()]).as_bytes());
        }
        // Never closed: the file cannot be valid. The schema nests 7 deep, so the walk stops
        // within the first few elements, whatever the depth that follows.
        let position = match first_error(&bytes) {
            Some(
                FluxError::Schema { position, .. }
                | FluxError::Syntax { position, .. }
                | FluxError::Limit { position, .. },
            ) => position,
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        };
        prop_assert!(position.byte < 300, "stopped at {}", position);
    }

    #[test]
    fn fragments_spliced_into_a_valid_file_never_panic(
        splices in prop::collection::vec(
            (any::<prop::sample::Index>(), prop::sample::select(FRAGMENTS.to_vec())),
            1..6,
        ),
    ) {
        let mut bytes = valid_file();
        for (at, fragment) in splices {
            let at = at.index(bytes.len() + 1);
            bytes.splice(at..at, fragment.bytes());
        }
        read_through(&bytes);
    }
}

proptest! {
    // Each case builds a file of up to 130 KB: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_value_is_refused_by_its_length_up_to_64_kib_and_by_the_limit_beyond(
        length in prop_oneof![0..8usize, 65_500..65_600usize, 65_536..130_000usize],
        blank in any::<bool>(),
    ) {
        let filler = if blank { " " } else { "é" };
        let text = filler.repeat(length / filler.len());
        let mut bytes = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Racine>\n".to_vec();
        if blank {
            // Blanks between elements: allowed, whatever their length under the bound.
            bytes.extend_from_slice(text.as_bytes());
            bytes.extend_from_slice(b"<IdentificationFlux><APPLIEME>CRI</APPLIEME>");
        } else {
            let value = format!("<IdentificationFlux><APPLIEME>{text}</APPLIEME>");
            bytes.extend_from_slice(value.as_bytes());
        }
        let error = first_error(&bytes);
        // Blanks between elements are one text with the line break after `<Racine>`.
        let over = text.len() + usize::from(blank) > 64 * 1024;
        match error {
            Some(FluxError::Limit { limit: Limit::Text { max_bytes }, .. }) => {
                prop_assert_eq!(max_bytes, 64 * 1024);
                prop_assert!(over, "{} bytes refused", text.len());
            }
            Some(FluxError::Schema { problem: SchemaProblem::InvalidValue { .. }, .. }) => {
                prop_assert!(!over && !blank && text.chars().count() > 3);
            }
            // Blanks and short values read on until the file ends too early.
            Some(FluxError::Schema { problem: SchemaProblem::UnexpectedEnd, .. }) => {
                prop_assert!(!over && (blank || text.chars().count() <= 3));
            }
            other => prop_assert!(false, "{:?}", other),
        }
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
