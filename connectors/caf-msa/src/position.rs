//! Keeping track of where the parser is in the original file.

use std::io::{self, BufRead, Read};

use crate::error::Position;

/// A `BufRead` over decoded UTF-8 that counts lines and characters as the parser consumes.
///
/// quick-xml consumes exactly up to the end of each event, so the count before reading an
/// event is the position of its first character. For single-byte encodings the byte offset
/// in the original file is the number of characters; for UTF-8 it is the number of bytes.
///
/// It also bounds what one event may take: past `max_event` bytes since
/// [`Tracked::start_event`], it hands out no more, so that the parser, which buffers a
/// whole event (a text node, a tag with its attributes, a comment), never holds more than
/// that whatever the file.
pub(crate) struct Tracked<R> {
    inner: R,
    single_byte: bool,
    bom_len: u64,
    bytes: u64,
    chars: u64,
    lines: u64,
    line_start: u64,
    max_event: u64,
    event_bytes: u64,
    event_first: Option<u8>,
}

/// The marker of the I/O error [`Tracked`] answers past an event's bound.
#[derive(Debug)]
pub(crate) struct EventTooLong;

impl std::fmt::Display for EventTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a piece of text or markup longer than the reader allows")
    }
}

impl std::error::Error for EventTooLong {}

impl<R: BufRead> Tracked<R> {
    /// Tracks `inner`, the decoded output of a file in a single-byte encoding or UTF-8.
    /// `max_event` bounds the bytes of decoded UTF-8 one event may take.
    pub(crate) fn new(inner: R, single_byte: bool, bom_len: u64, max_event: u64) -> Self {
        Self {
            inner,
            single_byte,
            bom_len,
            bytes: 0,
            chars: 0,
            lines: 0,
            line_start: 0,
            max_event,
            event_bytes: 0,
            event_first: None,
        }
    }

    /// Starts counting the bytes of the next event; called before each event is read.
    pub(crate) fn start_event(&mut self) {
        self.event_bytes = 0;
        self.event_first = None;
    }

    /// True when the event being read has gone past `max_event` bytes.
    pub(crate) fn event_too_long(&self) -> bool {
        self.event_bytes > self.max_event
    }

    /// True when the event being read is markup (it starts with `<`), false for text.
    pub(crate) fn event_is_markup(&self) -> bool {
        self.event_first == Some(b'<')
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
        // One byte past the bound is handed out so that a text exactly at the bound can see
        // the `<` that ends it; the event is then over the bound only if it consumed it.
        let budget = self
            .max_event
            .saturating_add(1)
            .saturating_sub(self.event_bytes);
        if budget == 0 {
            return Err(io::Error::other(EventTooLong));
        }
        let available = self.inner.fill_buf()?;
        let handed = available
            .len()
            .min(usize::try_from(budget).unwrap_or(usize::MAX));
        Ok(&available[..handed])
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
                if self.event_first.is_none() {
                    self.event_first = consumed.first().copied();
                }
                self.bytes += consumed.len() as u64;
                self.event_bytes += consumed.len() as u64;
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
        let mut tracked = Tracked::new(text.as_bytes(), true, 0, u64::MAX - 1);
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
        let mut tracked = Tracked::new("é\n".as_bytes(), false, 3, u64::MAX - 1);
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

    #[test]
    fn an_event_gets_no_more_than_one_byte_past_its_bound() {
        let mut tracked = Tracked::new(&b"<abcdefgh"[..], true, 0, 4);
        tracked.start_event();
        assert_eq!(tracked.fill_buf().unwrap(), b"<abcd");
        tracked.consume(4);
        assert!(!tracked.event_too_long());
        assert!(tracked.event_is_markup());
        assert_eq!(tracked.fill_buf().unwrap(), b"d");
        tracked.consume(1);
        assert!(tracked.event_too_long());
        let refused = tracked.fill_buf().unwrap_err();
        assert!(refused.get_ref().is_some_and(|e| e.is::<EventTooLong>()));
        // The next event starts afresh, and text is told from markup.
        tracked.start_event();
        assert_eq!(tracked.fill_buf().unwrap(), b"efgh");
        tracked.consume(2);
        assert!(!tracked.event_is_markup());
        assert_eq!(tracked.position().byte, 7);
    }
}
