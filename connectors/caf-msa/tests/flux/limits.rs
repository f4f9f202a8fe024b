//! Hostile files: a giant text node or attribute, deep nesting, many attributes, entity
//! tricks. Each is made on demand by a generator, hundreds of megabytes that never exist
//! whole, and must be refused with a typed error after reading and allocating a few hundred
//! kilobytes at most.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{self, BufReader, Read};
use std::rc::Rc;

use cdb_caf_msa::{FluxError, FluxReader, Limit, SchemaProblem};

use crate::{flux_bytes, households, monthly};

/// Counts the bytes each thread holds, so that a test can see its peak while the other
/// tests of the binary run on their own threads.
struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grew(bytes: usize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get().saturating_add(bytes);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn shrank(bytes: usize) {
    // Memory allocated on another thread may be freed on this one: saturate, never wrap.
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(bytes)));
}

// SAFETY: every call is forwarded to the system allocator unchanged; the bookkeeping only
// touches thread-local counters that neither allocate nor panic.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller's guarantees on `layout` are passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size);
        shrank(layout.size());
        // SAFETY: as for `dealloc`, and `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most this thread held at once while `run` ran, beyond what it held before.
fn peak_during<T>(run: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(before));
    let result = run();
    (result, PEAK.with(Cell::get) - before)
}

/// Bytes made as they are read: `head`, then `body` `times` over, then `tail`. Counts what
/// it has handed out.
struct Hostile {
    head: Vec<u8>,
    body: Vec<u8>,
    times: u64,
    tail: Vec<u8>,
    at: u64,
    handed: Rc<Cell<u64>>,
}

impl Hostile {
    fn new(head: &[u8], body: &str, times: u64, tail: &str) -> (Self, Rc<Cell<u64>>) {
        let handed = Rc::new(Cell::new(0));
        let hostile = Self {
            head: head.to_vec(),
            body: body.as_bytes().to_vec(),
            times,
            tail: tail.as_bytes().to_vec(),
            at: 0,
            handed: Rc::clone(&handed),
        };
        (hostile, handed)
    }

    fn len(&self) -> u64 {
        self.head.len() as u64 + self.body.len() as u64 * self.times + self.tail.len() as u64
    }
}

impl Read for Hostile {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let head = self.head.len() as u64;
        let body = self.body.len() as u64 * self.times;
        // The part being read and where in it; a part is copied up to its end at most.
        let (part, offset) = if self.at < head {
            (&self.head, self.at)
        } else if self.at < head + body {
            (&self.body, (self.at - head) % self.body.len() as u64)
        } else if self.at < self.len() {
            (&self.tail, self.at - head - body)
        } else {
            return Ok(0);
        };
        let rest = &part[usize::try_from(offset).unwrap()..];
        let n = rest.len().min(out.len());
        out[..n].copy_from_slice(&rest[..n]);
        self.at += n as u64;
        self.handed.set(self.handed.get() + n as u64);
        Ok(n)
    }
}

/// What reading a whole generated file answered: its first error, the bytes read from the
/// generator and the most memory held at once.
struct Outcome {
    error: Option<FluxError>,
    read: u64,
    total: u64,
    peak: usize,
}

fn read_hostile(head: impl AsRef<[u8]>, body: &str, times: u64, tail: &str) -> Outcome {
    let (hostile, handed) = Hostile::new(head.as_ref(), body, times, tail);
    let total = hostile.len();
    let (error, peak) =
        peak_during(
            || match FluxReader::new(BufReader::with_capacity(64 * 1024, hostile)) {
                Err(error) => Some(error),
                Ok(reader) => reader.filter_map(Result::err).next(),
            },
        );
    Outcome {
        error,
        read: handed.get(),
        total,
        peak,
    }
}

/// Less than a megabyte read and half of one held (the reader's buffers: 64 KiB of input,
/// one event of at most 64 KiB, the value): the file was refused without its hostile part.
fn assert_cheap(outcome: &Outcome) {
    assert!(
        outcome.read < 1024 * 1024,
        "{} bytes read of {}",
        outcome.read,
        outcome.total
    );
    assert!(outcome.peak < 512 * 1024, "{} bytes held", outcome.peak);
}

const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n";
const MB: u64 = 1024 * 1024;
const TEXT_LIMIT: Limit = Limit::Text {
    max_bytes: 64 * 1024,
};
const MARKUP_LIMIT: Limit = Limit::Markup {
    max_bytes: 64 * 1024,
};

/// The limit the outcome stopped on, and the line it names.
fn limit(outcome: &Outcome) -> (Limit, u64) {
    match &outcome.error {
        Some(FluxError::Limit { limit, position }) => (*limit, position.line),
        other => panic!("no limit error: {other:?}"),
    }
}

#[test]
fn the_generator_and_the_counts_read_a_valid_file_through() {
    let valid = flux_bytes(&monthly(), households(3));
    let outcome = read_hostile(&valid, "", 0, "");
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    assert_eq!(outcome.read, outcome.total);
}

#[test]
fn three_hundred_megabytes_in_one_value_stop_at_64_kib() {
    let head = format!("{DECLARATION}<Racine>\n<IdentificationFlux>\n<APPLIEME>");
    let outcome = read_hostile(&head, "a", 300 * MB, "</APPLIEME>");
    assert_eq!(limit(&outcome), (TEXT_LIMIT, 4));
    assert_eq!(
        outcome.error.as_ref().unwrap().to_string(),
        "Le fichier contient un texte de plus de 64 Kio à la ligne 4 : \
         ce n'est pas un flux CAF/MSA valide."
    );
    assert_cheap(&outcome);
}

#[test]
fn two_hundred_megabytes_of_blanks_between_elements_stop_at_64_kib() {
    let head = format!("{DECLARATION}<Racine>\n");
    let outcome = read_hostile(&head, "  \t\r\n", 40 * MB, "<IdentificationFlux>");
    assert_eq!(limit(&outcome).0, TEXT_LIMIT);
    assert_cheap(&outcome);
}

#[test]
fn a_value_of_ten_million_references_stops_at_64_kib() {
    let head = format!("{DECLARATION}<Racine><IdentificationFlux><APPLIEME>");
    let outcome = read_hostile(&head, "&amp;&#65;", 10_000_000, "</APPLIEME>");
    assert_eq!(limit(&outcome), (TEXT_LIMIT, 2));
    assert_cheap(&outcome);
}

#[test]
fn an_attribute_of_a_hundred_megabytes_stops_at_64_kib() {
    let head = format!("{DECLARATION}<Racine xmlns:xsi=\"");
    let outcome = read_hostile(&head, "a", 100 * MB, "\">");
    assert_eq!(limit(&outcome), (MARKUP_LIMIT, 2));
    assert!(
        outcome
            .error
            .as_ref()
            .unwrap()
            .to_string()
            .starts_with("Le fichier contient une balise")
    );
    assert_cheap(&outcome);
}

#[test]
fn a_million_attributes_stop_at_the_tag_bound_and_seventeen_at_the_count() {
    let head = format!("{DECLARATION}<Racine");
    let outcome = read_hostile(&head, " xmlns:a=\"\"", 1_000_000, ">");
    assert_eq!(limit(&outcome), (MARKUP_LIMIT, 2));
    assert_cheap(&outcome);

    let list: String = (0..17).map(|i| format!(" xmlns:a{i}=\"\"")).collect();
    let outcome = read_hostile(format!("{DECLARATION}<Racine{list}>"), "", 0, "</Racine>");
    assert_eq!(limit(&outcome), (Limit::Attributes { max: 16 }, 2));
}

#[test]
fn a_hundred_thousand_nested_elements_stop_at_the_first_the_schema_refuses() {
    // The walker follows the schema, which nests 7 deep: the second level already fails.
    for element in ["<Racine>", "<a>", "<InfosFoyerRSA>"] {
        let head = format!("{DECLARATION}<Racine>\n");
        let outcome = read_hostile(&head, element, 100_000, "");
        assert!(
            matches!(
                outcome.error,
                Some(FluxError::Schema {
                    problem: SchemaProblem::UnexpectedElement { .. },
                    ..
                })
            ),
            "{element}: {:?}",
            outcome.error
        );
        assert_cheap(&outcome);
    }
    let outcome = read_hostile(DECLARATION, "<a>", 100_000, "");
    assert!(matches!(
        outcome.error,
        Some(FluxError::Schema {
            problem: SchemaProblem::WrongRoot { .. },
            ..
        })
    ));
    assert_cheap(&outcome);
}

#[test]
fn a_billion_laughs_is_refused_unexpanded() {
    let mut entities = String::from("<!ENTITY lol0 \"lol\">");
    for level in 1..10 {
        let previous = format!("&lol{};", level - 1);
        entities.push_str(&format!("<!ENTITY lol{level} \"{}\">", previous.repeat(10)));
    }
    let head = format!(
        "{DECLARATION}<!DOCTYPE Racine [{entities}]>\n<Racine><IdentificationFlux>\
         <APPLIEME>&lol9;</APPLIEME>"
    );
    let outcome = read_hostile(&head, "", 0, "</IdentificationFlux></Racine>");
    let refused = match &outcome.error {
        Some(FluxError::Syntax { message, .. }) => message.contains("DOCTYPE"),
        _ => false,
    };
    assert!(refused, "{:?}", outcome.error);
    assert_cheap(&outcome);
}

#[test]
fn a_doctype_or_comment_of_three_hundred_megabytes_stops_at_64_kib() {
    let head = format!("{DECLARATION}<!DOCTYPE Racine [<!ENTITY a \"");
    let outcome = read_hostile(&head, "a", 300 * MB, "\">]><Racine/>");
    assert_eq!(limit(&outcome), (MARKUP_LIMIT, 2));
    assert_cheap(&outcome);

    let head = format!("{DECLARATION}<Racine>\n<!--");
    let outcome = read_hostile(&head, "-", 300 * MB, "-->");
    assert_eq!(limit(&outcome), (MARKUP_LIMIT, 3));
    assert_cheap(&outcome);
}
