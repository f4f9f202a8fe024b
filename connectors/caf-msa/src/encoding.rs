//! Choosing the decoder from the XML declaration before anything is decoded.
//!
//! quick-xml's `DecodingReader` decodes its first bytes as UTF-8 before the declaration
//! event reaches us, which fails (or silently mis-decodes) on windows-1252 text. So the
//! declaration is read here from the raw bytes and the encoding set before the first read.

use std::io::{self, BufRead, Chain, Cursor, Read};

use encoding_rs::{Encoding, UTF_8};
use quick_xml::encoding::DecodingReader;

use crate::error::FluxError;

/// Bytes read ahead to find the declaration; a declaration is far shorter.
const PREFIX_MAX: usize = 1024;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The raw input with the bytes read ahead put back in front.
pub(crate) type Rewound<R> = Chain<Cursor<Vec<u8>>, R>;

/// A decoding reader ready to be parsed, and what was chosen for it.
pub(crate) struct Decoded<R> {
    /// UTF-8 output of the file.
    pub reader: DecodingReader<Rewound<R>>,
    /// The file's encoding.
    pub encoding: &'static Encoding,
    /// Length of a byte-order mark skipped at the start.
    pub bom_len: u64,
}

/// Reads the declaration's encoding and returns a reader decoding the whole input with it.
pub(crate) fn decode<R: BufRead>(mut input: R) -> Result<Decoded<R>, FluxError> {
    let prefix = read_prefix(&mut input)?;
    let (encoding, bom_len) = choose(&prefix)?;
    let mut reader = DecodingReader::new(Cursor::new(prefix).chain(input));
    // Before the first read, as quick-xml requires (it panics once its prefix is drained).
    reader.set_encoding(encoding);
    Ok(Decoded {
        reader,
        encoding,
        bom_len,
    })
}

fn read_prefix<R: BufRead>(input: &mut R) -> Result<Vec<u8>, FluxError> {
    let mut prefix = Vec::with_capacity(256);
    while prefix.len() < PREFIX_MAX && !prefix.contains(&b'>') {
        let available = match input.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if available.is_empty() {
            break;
        }
        let take = available.len().min(PREFIX_MAX - prefix.len());
        prefix.extend_from_slice(&available[..take]);
        input.consume(take);
    }
    Ok(prefix)
}

fn choose(prefix: &[u8]) -> Result<(&'static Encoding, u64), FluxError> {
    if prefix.starts_with(UTF8_BOM) {
        return Ok((UTF_8, UTF8_BOM.len() as u64));
    }
    if prefix.starts_with(b"\xFE\xFF") || prefix.starts_with(b"\xFF\xFE") {
        return Err(FluxError::UnsupportedEncoding {
            label: "UTF-16".to_owned(),
        });
    }
    let Some(label) = declared_label(prefix) else {
        return Ok((UTF_8, 0));
    };
    let unsupported = || FluxError::UnsupportedEncoding {
        label: String::from_utf8_lossy(label).into_owned(),
    };
    let encoding = Encoding::for_label(label).ok_or_else(unsupported)?;
    // Positions are computed from decoded characters, exact only for these encodings.
    if encoding == UTF_8 || (encoding.is_single_byte() && encoding.is_ascii_compatible()) {
        Ok((encoding, 0))
    } else {
        Err(unsupported())
    }
}

/// The `encoding` pseudo-attribute of a leading `<?xml …?>` declaration.
fn declared_label(prefix: &[u8]) -> Option<&[u8]> {
    let declaration = prefix.strip_prefix(b"<?xml")?;
    if !declaration.first().is_some_and(u8::is_ascii_whitespace) {
        return None;
    }
    let end = declaration
        .windows(2)
        .position(|w| w == b"?>")
        .unwrap_or(declaration.len());
    let declaration = &declaration[..end];
    let at = declaration.windows(8).position(|w| w == b"encoding")?;
    let rest = trim_start(&declaration[at + 8..]);
    let rest = trim_start(rest.strip_prefix(b"=")?);
    let quote = *rest.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value = &rest[1..];
    let close = value.iter().position(|&b| b == quote)?;
    Some(&value[..close])
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use encoding_rs::WINDOWS_1252;

    use super::*;

    fn decoded_text(bytes: &[u8]) -> Result<String, FluxError> {
        let mut decoded = decode(bytes)?;
        let mut text = String::new();
        decoded.reader.read_to_string(&mut text)?;
        Ok(text)
    }

    #[test]
    fn windows_1252_is_decoded_from_the_first_byte() {
        // A non-ASCII byte inside the first 64 bytes: the case quick-xml alone gets wrong.
        let bytes = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>\xC9\xE9</a>";
        assert_eq!(
            decoded_text(bytes).unwrap(),
            "<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>Éé</a>"
        );
        assert_eq!(decode(&bytes[..]).unwrap().encoding, WINDOWS_1252);
    }

    #[test]
    fn labels_are_read_with_either_quote_and_spaces() {
        assert_eq!(
            declared_label(b"<?xml version='1.0' encoding = 'ISO-8859-1' ?>"),
            Some(&b"ISO-8859-1"[..])
        );
        assert_eq!(declared_label(b"<?xml version=\"1.0\"?><encoding>"), None);
        assert_eq!(declared_label(b"<?xml-stylesheet encoding=\"x\"?>"), None);
        assert_eq!(declared_label(b"<Racine/>"), None);
    }

    #[test]
    fn no_declaration_means_utf8_and_a_bom_is_skipped() {
        assert_eq!(decoded_text("<a>é</a>".as_bytes()).unwrap(), "<a>é</a>");
        let with_bom = [UTF8_BOM, "<a>é</a>".as_bytes()].concat();
        let decoded = decode(&with_bom[..]).unwrap();
        assert_eq!(decoded.bom_len, 3);
        assert_eq!(decoded_text(&with_bom).unwrap(), "<a>é</a>");
    }

    #[test]
    fn unknown_and_multibyte_encodings_are_refused() {
        for bytes in [
            &b"<?xml version=\"1.0\" encoding=\"klingon\"?><a/>"[..],
            &b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a/>"[..],
            &b"\xFF\xFE<\x00"[..],
        ] {
            assert!(matches!(
                decode(bytes),
                Err(FluxError::UnsupportedEncoding { .. })
            ));
        }
    }
}
