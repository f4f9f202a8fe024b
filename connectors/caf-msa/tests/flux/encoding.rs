//! windows-1252 decoding, declared encodings, and positions in bytes of the original file.

use cdb_caf_msa::{FluxError, FluxReader};

use crate::{flux_bytes, monthly, plain, read_all};

#[test]
fn accented_names_are_decoded_from_windows_1252() {
    let mut household = plain();
    household.persons[0].last_name = "CŒURDEROY".to_owned();
    household.persons[0].first_name = "HÉLÈNE".to_owned();
    household.addresses[0].city = "SAINT-ÉTIENNE".to_owned();
    let bytes = flux_bytes(&monthly(), vec![household]);
    // One byte per character in the file: Œ is 0x8C, É is 0xC9.
    assert!(bytes.windows(2).any(|w| w == b"C\x8C"));
    let (_, read) = read_all(&bytes);
    let person = &read[0].persons[0];
    assert_eq!(person.last_name, "CŒURDEROY");
    assert_eq!(person.first_names, ["HÉLÈNE"]);
    assert_eq!(
        read[0].current_address().unwrap().address.city.as_deref(),
        Some("SAINT-ÉTIENNE")
    );
}

#[test]
fn a_non_ascii_byte_next_to_the_declaration_is_decoded_right() {
    // quick-xml alone decodes its first 64 bytes as UTF-8 before seeing the declaration.
    let bytes = flux_bytes(&monthly(), vec![plain()]);
    let declaration_end = bytes.windows(2).position(|w| w == b"?>").unwrap() + 2;
    let mut early = bytes[..declaration_end].to_vec();
    early.extend_from_slice(b"<!-- \xC9t\xE9 -->");
    early.extend_from_slice(&bytes[declaration_end..]);
    let (reader, read) = read_all(&early);
    assert_eq!(reader.encoding(), "windows-1252");
    assert_eq!(read.len(), 1);
}

#[test]
fn positions_count_bytes_of_the_original_file() {
    let mut household = plain();
    household.persons[0].last_name = "ÉÉÉÉ".to_owned();
    let bytes = flux_bytes(&monthly(), vec![household.clone(), household]);
    let (_, read) = read_all(&bytes);
    let second = read[1].position;
    assert_eq!(&bytes[second.byte as usize..][..15], b"<InfosFoyerRSA>");
    assert_eq!(second.column, 2);
}

#[test]
fn utf8_files_are_read_too() {
    let bytes = flux_bytes(&monthly(), vec![plain()]);
    let text = String::from_utf8(bytes)
        .unwrap()
        .replace("windows-1252", "UTF-8")
        .replace("DUPONT", "DUPONTÉ");
    let (reader, read) = read_all(text.as_bytes());
    assert_eq!(reader.encoding(), "UTF-8");
    assert_eq!(read[0].persons[0].last_name, "DUPONTÉ");
}

#[test]
fn invalid_utf8_and_unknown_encodings_are_errors() {
    let bytes = flux_bytes(&monthly(), vec![plain()]);
    let text = String::from_utf8(bytes)
        .unwrap()
        .replace("windows-1252", "UTF-8");
    let mut broken = text.into_bytes();
    let at = broken.windows(6).position(|w| w == b"DUPONT").unwrap();
    broken[at] = 0xC9;
    let error = FluxReader::new(&broken[..])
        .and_then(|reader| reader.check())
        .unwrap_err();
    assert!(
        matches!(
            error,
            FluxError::Decoding {
                encoding: "UTF-8",
                ..
            }
        ),
        "{error}"
    );

    let unknown = b"<?xml version=\"1.0\" encoding=\"EBCDIC-FR\"?><Racine/>";
    assert!(matches!(
        FluxReader::new(&unknown[..]),
        Err(FluxError::UnsupportedEncoding { .. })
    ));
}
