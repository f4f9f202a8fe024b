//! CSV rows read as a stream: decode, normalise line ends, parse RFC 4180 records.
//!
//! csv-core is driven directly rather than through `csv::Reader` because the line numbers
//! must be those where records *start*: csv counts a record's terminator and the blank lines
//! after it inconsistently (LF is consumed with the record, CRLF's LF with the next one), so
//! lines are counted here on the bytes the parser consumes.

use std::io::{self, BufRead, BufReader, Read};

use csv_core::{ReadRecordResult, Terminator};

use super::super::encoding::DecodingReader;
use super::{CsvDialect, Row, TableError};

/// Size of the line-end normaliser's buffer.
const BUFFER: usize = 16 * 1024;

/// Largest record accepted, in bytes of text: beyond, a quote was surely left open and the
/// rest of the file would be swallowed into one cell.
const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Most cells accepted in one record.
const MAX_RECORD_CELLS: usize = 10_000;

/// Rows of a CSV stream, blank ones skipped.
pub(super) struct CsvRows<R> {
    input: BufReader<LoneCrToLf<DecodingReader<R>>>,
    parser: csv_core::Reader,
    /// The physical line of the next byte to parse.
    line: u64,
    text: Vec<u8>,
    ends: Vec<usize>,
    done: bool,
}

impl<R: Read> CsvRows<R> {
    /// Starts reading a stream positioned at its first byte.
    pub(super) fn new(inner: R, dialect: CsvDialect) -> Self {
        let text = LoneCrToLf::new(dialect.encoding.decoding_reader(inner));
        let parser = csv_core::ReaderBuilder::new()
            .delimiter(dialect.delimiter.byte())
            .terminator(Terminator::CRLF)
            .quoting(true)
            .double_quote(true)
            .build();
        Self {
            input: BufReader::with_capacity(BUFFER, text),
            parser,
            line: 1,
            text: vec![0; 4096],
            ends: vec![0; 64],
            done: false,
        }
    }

    /// The next record and the line it starts on, blank or not; `None` at the end.
    fn next_record(&mut self) -> Result<Option<(u64, Vec<String>)>, TableError> {
        let (mut text_len, mut ends_len) = (0, 0);
        let mut start: Option<u64> = None;
        loop {
            let input = self.input.fill_buf()?;
            let (result, read, written, ended) = self.parser.read_record(
                input,
                &mut self.text[text_len..],
                &mut self.ends[ends_len..],
            );
            for &byte in &input[..read] {
                // csv-core skips line ends before a record: it starts on the first other byte.
                if start.is_none() && byte != b'\n' && byte != b'\r' {
                    start = Some(self.line);
                }
                if byte == b'\n' {
                    self.line += 1;
                }
            }
            self.input.consume(read);
            text_len += written;
            ends_len += ended;
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {
                    if self.text.len() >= MAX_RECORD_BYTES || self.ends.len() >= MAX_RECORD_CELLS {
                        return Err(TableError::RecordTooLong {
                            line: start.unwrap_or(self.line),
                        });
                    }
                    if matches!(result, ReadRecordResult::OutputFull) {
                        let grown = self.text.len() * 2;
                        self.text.resize(grown, 0);
                    } else {
                        let grown = self.ends.len() * 2;
                        self.ends.resize(grown, 0);
                    }
                }
                ReadRecordResult::Record => {
                    let mut cells = Vec::with_capacity(ends_len);
                    let mut from = 0;
                    for &end in &self.ends[..ends_len] {
                        cells.push(String::from_utf8_lossy(&self.text[from..end]).into_owned());
                        from = end;
                    }
                    return Ok(Some((start.unwrap_or(self.line), cells)));
                }
                ReadRecordResult::End => return Ok(None),
            }
        }
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Result<Row, TableError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match self.next_record() {
                // The decoder produced UTF-8 and csv-core splits on ASCII bytes, so the lossy
                // conversion above never replaces anything; it only avoids a panic path.
                Ok(Some((line, cells))) => {
                    if let Some(row) = Row::new(line, cells) {
                        return Some(Ok(row));
                    }
                }
                Ok(None) => self.done = true,
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            }
        }
        None
    }
}

/// Turns a lone CR into LF, so that "CSV (Macintosh)" files, whose lines end in CR only, get
/// line numbers (csv counts LF) — a CR inside a quoted cell becomes a LF, which Excel shows
/// the same way.
pub(super) struct LoneCrToLf<R> {
    inner: R,
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    /// A CR ending the previous chunk, whose successor is not known yet.
    held_cr: bool,
    eof: bool,
}

impl<R: Read> LoneCrToLf<R> {
    /// Wraps a stream.
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            buffer: vec![0; BUFFER],
            start: 0,
            end: 0,
            held_cr: false,
            eof: false,
        }
    }

    /// Reads the next chunk into the buffer, holding back a final CR.
    fn fill(&mut self) -> io::Result<()> {
        let mut offset = 0;
        if self.held_cr {
            self.buffer[0] = b'\r';
            offset = 1;
            self.held_cr = false;
        }
        let read = loop {
            match self.inner.read(&mut self.buffer[offset..]) {
                Ok(read) => break read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        };
        if read == 0 {
            self.eof = true;
        }
        let mut end = offset + read;
        if !self.eof && self.buffer[end - 1] == b'\r' {
            self.held_cr = true;
            end -= 1;
        }
        // A CR can only end the chunk at the end of the stream (it is held otherwise).
        for i in 0..end {
            if self.buffer[i] == b'\r' && (i + 1 == end || self.buffer[i + 1] != b'\n') {
                self.buffer[i] = b'\n';
            }
        }
        self.start = 0;
        self.end = end;
        Ok(())
    }
}

impl<R: Read> Read for LoneCrToLf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        while self.start == self.end {
            if self.eof && !self.held_cr {
                return Ok(0);
            }
            self.fill()?;
        }
        let count = out.len().min(self.end - self.start);
        out[..count].copy_from_slice(&self.buffer[self.start..self.start + count]);
        self.start += count;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds one byte per read, to exercise every chunk boundary.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), out.first_mut()) {
                (Some((&byte, rest)), Some(slot)) => {
                    *slot = byte;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    fn normalise(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        LoneCrToLf::new(Trickle(input))
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn lone_cr_becomes_lf_but_crlf_stays() {
        assert_eq!(normalise(b"a\rb\r\nc\r"), b"a\nb\r\nc\n");
        assert_eq!(normalise(b"\r\r\n\r"), b"\n\r\n\n");
        assert_eq!(normalise(b""), b"");
    }

    #[test]
    fn whole_chunks_too() {
        let mut out = Vec::new();
        LoneCrToLf::new(&b"x\ry\r\n"[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"x\ny\r\n");
    }
}
