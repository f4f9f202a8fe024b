//! Keeping track of where the parser is in the original file.

use std::io::{self, BufRead, Read};

use crate::error::Position;

/// A `BufRead` over decoded UTF-8 that counts lines and characters as the parser consumes.
///
/// quick-xml consumes exactly up to the end of each event, so the count before reading an
/// event is the position of its first character. For single-byte encodings the byte offset
/// in the original file is the number of characters; for UTF-8 it is the number of bytes.
pub(crate) struct Tracked<R> {
    inner: R,
    single_byte: bool,
    bom_len: u64,
    bytes: u64,
    chars: u64,
    lines: u64,
    line_start: u64,
}

impl<R: BufRead> Tracked<R> {
    /// Tracks `inner`, the decoded output of a file in a single-byte encoding or UTF-8.
    pub(crate) fn new(inner: R, single_byte: bool, bom_len: u64) -> Self {
        Self {
            inner,
            single_byte,
            bom_len,
            bytes: 0,
            chars: 0,
            lines: 0,
            line_start: 0,
        }
    }

    /// The position of the next character to be consumed.
    pub(crate) fn position(&self) -> Position {
        let offset = if self.single_byte {
            self.chars
        } else {
            self.bytes
        };
        Position {
            line: self.lines + 1,
            column: self.chars - self.line_start + 1,
            byte: self.bom_len + offset,
        }
    }
}

impl<R: BufRead> BufRead for Tracked<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if amount > 0 {
            // The bytes being consumed are still buffered: getting them again reads nothing.
            if let Ok(buffered) = self.inner.fill_buf() {
                let consumed = &buffered[..amount.min(buffered.len())];
                // One pass over short slices (a tag, an indentation) beats vectorised
                // counting, whose set-up costs more than the few bytes it saves on.
                let (mut chars, mut lines, mut line_start) =
                    (self.chars, self.lines, self.line_start);
                for &byte in consumed {
                    // Every byte but UTF-8 continuation bytes (10xxxxxx) starts a character.
                    chars += u64::from((byte as i8) >= -0x40);
                    if byte == b'\n' {
                        lines += 1;
                        line_start = chars;
                    }
                }
                self.bytes += consumed.len() as u64;
                (self.chars, self.lines, self.line_start) = (chars, lines, line_start);
            }
        }
        self.inner.consume(amount);
    }
}

impl<R: BufRead> Read for Tracked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_columns_and_bytes_follow_the_consumed_text() {
        let text = "ab\ncé\nxyz";
        let mut tracked = Tracked::new(text.as_bytes(), true, 0);
        assert_eq!(
            tracked.position(),
            Position {
                line: 1,
                column: 1,
                byte: 0
            }
        );
        tracked.consume(4); // "ab\nc"
        assert_eq!(
            tracked.position(),
            Position {
                line: 2,
                column: 2,
                byte: 4
            }
        );
        tracked.consume(3); // "é\n" (é is 2 bytes of UTF-8, 1 byte of windows-1252)
        assert_eq!(
            tracked.position(),
            Position {
                line: 3,
                column: 1,
                byte: 6
            }
        );
        let mut rest = String::new();
        tracked.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "xyz");
        assert_eq!(
            tracked.position(),
            Position {
                line: 3,
                column: 4,
                byte: 9
            }
        );
    }

    #[test]
    fn utf8_offsets_count_bytes_after_the_bom() {
        let mut tracked = Tracked::new("é\n".as_bytes(), false, 3);
        tracked.consume(3);
        assert_eq!(
            tracked.position(),
            Position {
                line: 2,
                column: 1,
                byte: 6
            }
        );
    }
}
