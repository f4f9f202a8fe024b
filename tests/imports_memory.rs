//! Memory stays flat while a large CSV is read row by row: a counting allocator measures the
//! peak heap while 600 000 lines (about 24 MB) are parsed into typed rows.
//!
//! Its own test binary, since a global allocator applies to the whole binary.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicUsize, Ordering};

use cdb_hub::imports::kinds::{self, Professionals};
use cdb_hub::imports::table::{ReadOptions, Table};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(now, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A CSV file that exists only as a pattern: a header, then the same line repeated.
struct SyntheticCsv {
    header: &'static [u8],
    line: &'static [u8],
    lines: u64,
    position: u64,
}

impl SyntheticCsv {
    fn len(&self) -> u64 {
        self.header.len() as u64 + self.line.len() as u64 * self.lines
    }

    fn byte_at(&self, position: u64) -> u8 {
        let header = self.header.len() as u64;
        if position < header {
            self.header[position as usize]
        } else {
            self.line[((position - header) % self.line.len() as u64) as usize]
        }
    }
}

impl Read for SyntheticCsv {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.len().saturating_sub(self.position);
        let count = (buf.len() as u64).min(available) as usize;
        for (offset, slot) in buf[..count].iter_mut().enumerate() {
            *slot = self.byte_at(self.position + offset as u64);
        }
        self.position += count as u64;
        Ok(count)
    }
}

impl Seek for SyntheticCsv {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.position = match to {
            SeekFrom::Start(position) => position,
            SeekFrom::End(delta) => self.len().saturating_add_signed(delta),
            SeekFrom::Current(delta) => self.position.saturating_add_signed(delta),
        };
        Ok(self.position)
    }
}

#[test]
fn a_24_mb_csv_is_parsed_in_flat_memory() {
    let source = SyntheticCsv {
        header: "\u{feff}Courriel*;Prénom*;Nom*;Téléphone;Fonction\r\n".as_bytes(),
        line: "jean.dupont@cd93.fr;Jean;Dupont;06 01 02 03 04;\"Référent; parcours \"\"RSA\"\"\
               \nà temps plein\"\r\nx@;Jean;Dupont (fils);;\r\n"
            .as_bytes(),
        lines: 200_000,
        position: 0,
    };
    let size = source.len();
    assert!(size > 15_000_000);
    let before = CURRENT.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);

    let table = Table::open(source, &ReadOptions::default()).unwrap();
    let (mut valid, mut failed, mut last_line) = (0u64, 0u64, 0u64);
    for row in kinds::read(Professionals, table).unwrap() {
        match row.unwrap() {
            Ok(numbered) => {
                valid += 1;
                last_line = numbered.line;
            }
            Err(failure) => {
                failed += 1;
                last_line = failure.line;
            }
        }
    }
    let peak = PEAK.load(Ordering::SeqCst) - before;
    println!("peak heap: {peak} bytes for {size} bytes of CSV");
    assert_eq!((valid, failed), (200_000, 200_000));
    // Each pattern is 3 physical lines; the last failing record starts on the last line.
    assert_eq!(last_line, 1 + 3 * 200_000);
    assert!(
        peak < 2 * 1024 * 1024,
        "peak heap {peak} bytes while reading {size} bytes"
    );
}
