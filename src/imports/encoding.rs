//! Text encoding of an uploaded CSV: detected once, decoded as a stream, and remembered so
//! that the errors file goes back to the agent in the encoding his software produced.
//!
//! Detection is the rule "a Unicode BOM wins, else valid UTF-8 → UTF-8, else Windows-1252",
//! not a statistical detector such as `chardetng`, because:
//! - French case-management software and Excel only produce UTF-8 ("CSV UTF-8") or the
//!   ANSI code page 1252 ("CSV (séparateur : point-virgule)"); ISO-8859-1 is Windows-1252
//!   for every printable character (WHATWG maps the label to it), and Excel's "Texte Unicode"
//!   is UTF-16 with a BOM;
//! - Windows-1252 text with accents is practically never valid UTF-8 (an "é" is the lone byte
//!   0xE9), so the UTF-8 test is decisive; the converse mistake needs mojibake such as "Ã©";
//! - a statistical guess on a short file full of names may pick a Central-European code page
//!   and silently corrupt names, whereas two outcomes are predictable and testable;
//! - it needs no dependency and validates the whole file in constant memory.

use std::borrow::Cow;
use std::io::{self, Read};

use encoding_rs::{Decoder, Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// Bytes read at a time while validating or decoding.
const CHUNK: usize = 64 * 1024;

/// The encoding a CSV file was written in (encodage du fichier).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    /// UTF-8, with or without the byte-order mark Excel writes for "CSV UTF-8".
    Utf8 {
        /// Whether the file started with a BOM.
        bom: bool,
    },
    /// Windows-1252 (also covers ISO-8859-1 files).
    Windows1252,
    /// UTF-16 little-endian with a BOM (Excel's "Texte Unicode").
    Utf16Le,
    /// UTF-16 big-endian with a BOM.
    Utf16Be,
}

impl TextEncoding {
    /// Detects the encoding of a whole file held in memory.
    pub fn detect(bytes: &[u8]) -> Self {
        if let Some(encoding) = Self::from_bom(bytes) {
            return encoding;
        }
        if std::str::from_utf8(bytes).is_ok() {
            Self::Utf8 { bom: false }
        } else {
            Self::Windows1252
        }
    }

    /// Detects the encoding of a stream, reading it to its end in constant memory.
    pub fn detect_reader<R: Read>(mut reader: R) -> io::Result<Self> {
        let mut buffer = vec![0u8; CHUNK];
        // Bytes of a UTF-8 sequence cut by the end of the previous chunk.
        let mut carried = 0usize;
        let mut first = true;
        loop {
            let read = read_full(&mut reader, &mut buffer[carried..])?;
            let filled = carried + read;
            if first {
                first = false;
                if let Some(encoding) = Self::from_bom(&buffer[..filled]) {
                    return Ok(encoding);
                }
            }
            let at_end = read == 0 || filled < buffer.len();
            match std::str::from_utf8(&buffer[..filled]) {
                Ok(_) => carried = 0,
                Err(error) => match error.error_len() {
                    Some(_) => return Ok(Self::Windows1252),
                    None if at_end => return Ok(Self::Windows1252),
                    None => {
                        let valid = error.valid_up_to();
                        buffer.copy_within(valid..filled, 0);
                        carried = filled - valid;
                    }
                },
            }
            if at_end {
                return Ok(Self::Utf8 { bom: false });
            }
        }
    }

    /// The encoding announced by a byte-order mark, if the bytes start with one.
    fn from_bom(bytes: &[u8]) -> Option<Self> {
        match Encoding::for_bom(bytes) {
            Some((encoding, _)) if encoding == UTF_8 => Some(Self::Utf8 { bom: true }),
            Some((encoding, _)) if encoding == UTF_16LE => Some(Self::Utf16Le),
            Some((encoding, _)) if encoding == UTF_16BE => Some(Self::Utf16Be),
            _ => None,
        }
    }

    /// The `encoding_rs` encoding used to decode.
    pub fn encoding(self) -> &'static Encoding {
        match self {
            Self::Utf8 { .. } => UTF_8,
            Self::Windows1252 => WINDOWS_1252,
            Self::Utf16Le => UTF_16LE,
            Self::Utf16Be => UTF_16BE,
        }
    }

    /// A short stable name, for logs and the API (`utf-8`, `windows-1252`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 { bom: true } => "utf-8-bom",
            Self::Utf8 { bom: false } => "utf-8",
            Self::Windows1252 => "windows-1252",
            Self::Utf16Le => "utf-16le",
            Self::Utf16Be => "utf-16be",
        }
    }

    /// Decodes a whole buffer, dropping a BOM; malformed sequences become U+FFFD.
    pub fn decode(self, bytes: &[u8]) -> Cow<'_, str> {
        self.encoding().decode_with_bom_removal(bytes).0
    }

    /// The bytes to write before the text when writing a file back.
    ///
    /// UTF-8 always gets a BOM, even if the upload had none: without it Excel opens UTF-8
    /// as Windows-1252 and the agent would read "Ã©" for every "é" of the messages.
    pub fn bom(self) -> &'static [u8] {
        match self {
            Self::Utf8 { .. } => b"\xEF\xBB\xBF",
            Self::Windows1252 => b"",
            Self::Utf16Le => b"\xFF\xFE",
            Self::Utf16Be => b"\xFE\xFF",
        }
    }

    /// Encodes text (without BOM); a character Windows-1252 lacks becomes `&#NNNN;`.
    pub fn encode(self, text: &str) -> Cow<'_, [u8]> {
        match self {
            Self::Utf8 { .. } => Cow::Borrowed(text.as_bytes()),
            Self::Windows1252 => WINDOWS_1252.encode(text).0,
            // encoding_rs only encodes to UTF-8 for UTF-16 targets, so this one is ours.
            Self::Utf16Le => Cow::Owned(text.encode_utf16().flat_map(u16::to_le_bytes).collect()),
            Self::Utf16Be => Cow::Owned(text.encode_utf16().flat_map(u16::to_be_bytes).collect()),
        }
    }

    /// Wraps a byte stream into a reader of UTF-8 text, BOM removed.
    pub fn decoding_reader<R: Read>(self, inner: R) -> DecodingReader<R> {
        DecodingReader {
            inner,
            decoder: Some(self.encoding().new_decoder_with_bom_removal()),
            input: vec![0; CHUNK],
            input_start: 0,
            input_end: 0,
            output: vec![0; CHUNK * 3 + 16],
            output_start: 0,
            output_end: 0,
        }
    }
}

/// Reads until the buffer is full or the stream ends; returns the count read.
fn read_full<R: Read>(reader: &mut R, buffer: &mut [u8]) -> io::Result<usize> {
    let mut total = 0;
    while total < buffer.len() {
        match reader.read(&mut buffer[total..]) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(total)
}

/// A `Read` adapter turning bytes in some encoding into UTF-8, chunk by chunk.
pub struct DecodingReader<R> {
    inner: R,
    /// `None` once the last input was decoded (an `encoding_rs` decoder panics if reused).
    decoder: Option<Decoder>,
    input: Vec<u8>,
    input_start: usize,
    input_end: usize,
    output: Vec<u8>,
    output_start: usize,
    output_end: usize,
}

impl<R: Read> DecodingReader<R> {
    /// Decodes the next chunk into the output buffer; false at the end of the stream.
    fn refill(&mut self) -> io::Result<bool> {
        let Some(decoder) = self.decoder.as_mut() else {
            return Ok(false);
        };
        if self.input_start == self.input_end {
            self.input_start = 0;
            self.input_end = read_full(&mut self.inner, &mut self.input)?;
        }
        let last = self.input_end == 0;
        let (_, read, written, _) = decoder.decode_to_utf8(
            &self.input[self.input_start..self.input_end],
            &mut self.output,
            last,
        );
        self.input_start += read;
        self.output_start = 0;
        self.output_end = written;
        if last {
            self.decoder = None;
        }
        Ok(written > 0 || !last)
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.output_start == self.output_end {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let count = buf.len().min(self.output_end - self.output_start);
        buf[..count].copy_from_slice(&self.output[self.output_start..self.output_start + count]);
        self.output_start += count;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_stream(encoding: TextEncoding, bytes: &[u8]) -> String {
        let mut text = String::new();
        encoding
            .decoding_reader(bytes)
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(
            TextEncoding::detect("Prénom;Nom".as_bytes()),
            TextEncoding::Utf8 { bom: false }
        );
        let with_bom = b"\xEF\xBB\xBFPr\xC3\xA9nom";
        assert_eq!(
            TextEncoding::detect(with_bom),
            TextEncoding::Utf8 { bom: true }
        );
        assert_eq!(
            decode_stream(TextEncoding::detect(with_bom), with_bom),
            "Prénom"
        );
    }

    #[test]
    fn windows_1252_is_detected_and_decoded() {
        let bytes = b"Pr\xE9nom;Nom\r\nG\xE9rard;L\x92H\xF4te \x80";
        let encoding = TextEncoding::detect(bytes);
        assert_eq!(encoding, TextEncoding::Windows1252);
        assert_eq!(
            decode_stream(encoding, bytes),
            "Prénom;Nom\r\nGérard;L’Hôte €"
        );
    }

    #[test]
    fn utf16_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend("Nom\té".encode_utf16().flat_map(u16::to_le_bytes));
        let encoding = TextEncoding::detect(&bytes);
        assert_eq!(encoding, TextEncoding::Utf16Le);
        assert_eq!(decode_stream(encoding, &bytes), "Nom\té");
        let mut be = vec![0xFE, 0xFF];
        be.extend("Nom".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(TextEncoding::detect(&be), TextEncoding::Utf16Be);
    }

    #[test]
    fn streaming_detection_sees_a_late_latin1_byte() {
        // The only non-ASCII byte is far beyond the first chunk.
        let mut bytes = vec![b'a'; CHUNK * 2 + 10];
        bytes.push(0xE9);
        assert_eq!(
            TextEncoding::detect_reader(&bytes[..]).unwrap(),
            TextEncoding::Windows1252
        );
    }

    #[test]
    fn streaming_detection_accepts_a_sequence_cut_by_a_chunk() {
        let mut bytes = vec![b'a'; CHUNK - 1];
        bytes.extend("é".as_bytes());
        bytes.extend(vec![b'b'; 100]);
        assert_eq!(
            TextEncoding::detect_reader(&bytes[..]).unwrap(),
            TextEncoding::Utf8 { bom: false }
        );
        // A file ending in the middle of a sequence is not UTF-8.
        assert_eq!(
            TextEncoding::detect_reader(&b"abc\xC3"[..]).unwrap(),
            TextEncoding::Windows1252
        );
        assert_eq!(
            TextEncoding::detect_reader(&b""[..]).unwrap(),
            TextEncoding::Utf8 { bom: false }
        );
    }

    #[test]
    fn long_streams_decode_across_chunks() {
        let line = "Gérard;Lefèvre;12/03/1980\r\n";
        let text = line.repeat(10_000);
        let bytes = WINDOWS_1252.encode(&text).0.into_owned();
        assert_eq!(decode_stream(TextEncoding::Windows1252, &bytes), text);
    }

    #[test]
    fn encoding_back() {
        let text = "« Erreurs » é’€";
        assert_eq!(
            &*TextEncoding::Windows1252.encode(text),
            b"\xAB Erreurs \xBB \xE9\x92\x80"
        );
        assert_eq!(
            TextEncoding::Utf16Le.decode(
                &[
                    TextEncoding::Utf16Le.bom(),
                    &TextEncoding::Utf16Le.encode(text)
                ]
                .concat()
            ),
            text
        );
        assert_eq!(
            TextEncoding::Utf16Be.decode(
                &[
                    TextEncoding::Utf16Be.bom(),
                    &TextEncoding::Utf16Be.encode(text)
                ]
                .concat()
            ),
            text
        );
        assert_eq!(TextEncoding::Utf8 { bom: false }.bom(), b"\xEF\xBB\xBF");
        assert_eq!(&*TextEncoding::Windows1252.encode("😀"), b"&#128512;");
    }
}
