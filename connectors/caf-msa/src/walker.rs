//! Walking the XML events of a flux along the schema tables, one event at a time.
//!
//! The walker checks every element against its parent's sequence (order, bounds), every
//! simple value against its type, and hands the tagged values and blocks to a [`Sink`].
//! It keeps only the open elements and the current value: memory does not grow with the
//! file. [`Limits`] bound those too, whatever the file holds: a flux can be uploaded by
//! anyone with the right, and without them one 300 MB text node would be held whole.

use std::io::{self, BufRead};
use std::sync::Arc;

use encoding_rs::{Encoding, UTF_8};
use quick_xml::Reader;
use quick_xml::encoding::DecodingReader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};

use crate::encoding::{self, Rewound};
use crate::error::{FluxError, Limit, Position, SchemaProblem, excerpt};
use crate::position::Tracked;
use crate::schema::{Content, Element, Field, Group, ROOT, ValueType};
use crate::values::{self, Value, is_xml_space};

/// Bounds on what one piece of a file may take, far above anything a real flux holds: its
/// longest value has 200 characters (`LIBANO`), its deepest element is 7 levels down, its
/// root carries two attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Bytes of decoded UTF-8 in one event (a text node, a tag with its attributes, a
    /// comment, a declaration) and in one value put together from several.
    pub(crate) text: usize,
    /// Elements open at once.
    pub(crate) depth: usize,
    /// Attributes on one element.
    pub(crate) attributes: usize,
}

/// The limits of every read.
pub(crate) const LIMITS: Limits = Limits {
    text: 64 * 1024,
    depth: 64,
    attributes: 16,
};

/// Receives what the walker reads.
pub(crate) trait Sink {
    /// A tagged block starts at `at`.
    fn enter(&mut self, group: Group, at: Position);
    /// A tagged value was read and satisfies its type.
    fn value(&mut self, field: Field, value: Value<'_>);
    /// A tagged block ended and is complete; `true` pauses the walk here.
    fn leave(&mut self, group: Group) -> bool;
}

/// Why a walk returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walked {
    /// The sink asked to pause; walking again resumes.
    Paused,
    /// The document ended and was valid.
    Finished,
}

/// An open block and where its sequence stands.
struct Frame {
    element: &'static Element,
    children: &'static [Element],
    /// Index in `children` of the declaration the last child matched.
    child: usize,
    /// How many times that declaration matched so far.
    count: u32,
    /// This block's rank among its siblings of the same name, from 1.
    occurrence: u32,
}

/// An open simple-value element.
struct OpenValue {
    element: &'static Element,
    value_type: ValueType,
    field: Option<Field>,
    at: Position,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Prolog,
    Inside,
    Epilog,
}

type Source<R> = Tracked<DecodingReader<Rewound<R>>>;

/// A schema-checking pull walker over one flux file.
pub(crate) struct Walker<R: BufRead> {
    xml: Reader<Source<R>>,
    encoding: &'static Encoding,
    buf: Vec<u8>,
    text: String,
    frames: Vec<Frame>,
    open_value: Option<OpenValue>,
    stage: Stage,
    started: bool,
    limits: Limits,
}

impl<R: BufRead> Walker<R> {
    /// Prepares to walk `input`, choosing its decoder from the XML declaration.
    pub(crate) fn new(input: R) -> Result<Self, FluxError> {
        Self::with_limits(input, LIMITS)
    }

    /// [`Walker::new`] with other limits (tests reach them with small inputs).
    pub(crate) fn with_limits(input: R, limits: Limits) -> Result<Self, FluxError> {
        let decoded = encoding::decode(input)?;
        let single_byte = decoded.encoding != UTF_8;
        let max_event = u64::try_from(limits.text).unwrap_or(u64::MAX - 1);
        let tracked = Tracked::new(decoded.reader, single_byte, decoded.bom_len, max_event);
        let mut xml = Reader::from_reader(tracked);
        let config = xml.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.expand_empty_elements = false;
        Ok(Self {
            xml,
            encoding: decoded.encoding,
            buf: Vec::with_capacity(256),
            text: String::with_capacity(64),
            frames: Vec::with_capacity(12),
            open_value: None,
            stage: Stage::Prolog,
            started: false,
            limits,
        })
    }

    /// The file's encoding.
    pub(crate) fn encoding(&self) -> &'static Encoding {
        self.encoding
    }

    /// Reads events until the sink pauses, the document ends, or the file breaks a rule.
    pub(crate) fn walk(&mut self, sink: &mut impl Sink) -> Result<Walked, FluxError> {
        loop {
            // The event borrows the buffer while `self` is needed mutably: lend it out.
            let mut buf = std::mem::take(&mut self.buf);
            buf.clear();
            let step = self.step(&mut buf, sink);
            self.buf = buf;
            if let Some(walked) = step? {
                return Ok(walked);
            }
        }
    }

    fn step(
        &mut self,
        buf: &mut Vec<u8>,
        sink: &mut impl Sink,
    ) -> Result<Option<Walked>, FluxError> {
        let at = self.xml.get_ref().position();
        self.xml.get_mut().start_event();
        let event = match self.xml.read_event_into(buf) {
            Ok(_) if self.xml.get_ref().event_too_long() => return Err(self.event_too_long(at)),
            Ok(event) => event,
            Err(_) if self.xml.get_ref().event_too_long() => return Err(self.event_too_long(at)),
            Err(error) => return Err(self.xml_error(error, at)),
        };
        let first = !self.started;
        self.started = true;
        match event {
            Event::Start(start) => self.open(&start, at, sink).map(|()| None),
            Event::Empty(start) => {
                self.open(&start, at, sink)?;
                self.close(at, sink)
            }
            Event::End(_) => self.close(at, sink),
            Event::Text(text) => {
                if self.open_value.is_some() {
                    self.text.push_str(&text.xml10_content());
                    self.check_value_length().map(|()| None)
                } else {
                    self.outside_value(&text, at).map(|()| None)
                }
            }
            Event::CData(data) => {
                if self.open_value.is_some() {
                    self.text.push_str(&data.xml10_content());
                    self.check_value_length().map(|()| None)
                } else {
                    self.outside_value(&data.xml10_content(), at).map(|()| None)
                }
            }
            Event::GeneralRef(reference) => self.reference(&reference, at).map(|()| None),
            Event::Decl(declaration) => {
                if !first {
                    return Err(syntax(at, "an XML declaration after the start of the file"));
                }
                // The decoder was chosen from these very bytes; a disagreement would mean
                // part of the file was decoded wrongly, so it is an error, never a switch.
                match declaration.encoder() {
                    Some(declared) if declared != self.encoding => Err(syntax(
                        at,
                        &format!(
                            "the declaration says {} but the file was decoded as {}",
                            declared.name(),
                            self.encoding.name()
                        ),
                    )),
                    _ => Ok(None),
                }
            }
            Event::DocType(_) => Err(syntax(at, "DOCTYPE declarations are not allowed")),
            Event::Comment(_) | Event::PI(_) => Ok(None),
            Event::Eof => match self.stage {
                Stage::Prolog => Err(self.schema_error(at, None, SchemaProblem::NoRoot)),
                Stage::Inside => {
                    let open = self.open_value.as_ref().map(|v| v.element.name);
                    Err(self.schema_error(at, open, SchemaProblem::UnexpectedEnd))
                }
                Stage::Epilog => Ok(Some(Walked::Finished)),
            },
        }
    }

    fn open(
        &mut self,
        start: &BytesStart<'_>,
        at: Position,
        sink: &mut impl Sink,
    ) -> Result<(), FluxError> {
        let name = start.name().into_inner();
        // The schema's own depth stays far below; this guards the frames against a table
        // that would one day nest without end.
        if self.frames.len() >= self.limits.depth {
            return Err(FluxError::Limit {
                position: at,
                limit: Limit::Depth {
                    max: self.limits.depth,
                },
            });
        }
        let (element, occurrence) = match self.stage {
            Stage::Epilog => return Err(syntax(at, "an element after the root element")),
            Stage::Prolog if name == ROOT.name => {
                self.stage = Stage::Inside;
                (&ROOT, 1)
            }
            Stage::Prolog => {
                let problem = SchemaProblem::WrongRoot {
                    found: name.to_owned(),
                };
                return Err(self.schema_error(at, None, problem));
            }
            Stage::Inside => {
                if let Some(open) = &self.open_value {
                    let problem = SchemaProblem::ElementInValue {
                        element: open.element.name,
                        found: name.to_owned(),
                    };
                    return Err(self.schema_error(at, Some(open.element.name), problem));
                }
                let accepted = match self.frames.last_mut() {
                    Some(frame) => accept(frame, name),
                    None => return Err(syntax(at, "an element outside the root element")),
                };
                match accepted {
                    Ok(found) => found,
                    Err(problem) => return Err(self.schema_error(at, None, problem)),
                }
            }
        };
        self.check_attributes(start, at)?;
        match element.content {
            Content::Value(value_type, field) => {
                self.text.clear();
                self.open_value = Some(OpenValue {
                    element,
                    value_type,
                    field,
                    at,
                });
            }
            Content::Children(children, group) => {
                self.frames.push(Frame {
                    element,
                    children,
                    child: 0,
                    count: 0,
                    occurrence,
                });
                if let Some(group) = group {
                    sink.enter(group, at);
                }
            }
        }
        Ok(())
    }

    fn close(&mut self, at: Position, sink: &mut impl Sink) -> Result<Option<Walked>, FluxError> {
        if let Some(open) = self.open_value.take() {
            return match values::check(open.value_type, &self.text) {
                Some(value) => {
                    if let Some(field) = open.field {
                        sink.value(field, value);
                    }
                    Ok(None)
                }
                None => {
                    let problem = SchemaProblem::InvalidValue {
                        element: open.element.name,
                        value: shown_value(open.element.name, &self.text),
                        expected: values::describe(open.value_type),
                    };
                    Err(self.schema_error(open.at, Some(open.element.name), problem))
                }
            };
        }
        if let Some(frame) = self.frames.last()
            && let Some(missing) = first_missing(frame)
        {
            let problem = SchemaProblem::MissingElement { missing };
            return Err(self.schema_error(at, None, problem));
        }
        let Some(frame) = self.frames.pop() else {
            return Err(syntax(at, "a closing tag without an opening one"));
        };
        if self.frames.is_empty() {
            self.stage = Stage::Epilog;
        }
        match frame.element.content {
            Content::Children(_, Some(group)) if sink.leave(group) => Ok(Some(Walked::Paused)),
            _ => Ok(None),
        }
    }

    /// Text, CDATA or a reference where no value is open: only whitespace is allowed.
    fn outside_value(&self, text: &str, at: Position) -> Result<(), FluxError> {
        // Indentation between tags is most of the events: test bytes, not characters.
        if text
            .bytes()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            return Ok(());
        }
        match self.stage {
            Stage::Inside => {
                let problem = SchemaProblem::Text {
                    text: excerpt(values::trim(text), 40),
                };
                Err(self.schema_error(at, None, problem))
            }
            Stage::Prolog | Stage::Epilog => Err(syntax(at, "text outside the root element")),
        }
    }

    fn reference(&mut self, reference: &BytesRef<'_>, at: Position) -> Result<(), FluxError> {
        if self.open_value.is_none() {
            return self.outside_value(&format!("&{};", &**reference), at);
        }
        if reference.is_char_ref() {
            match reference.resolve_char_ref() {
                Ok(Some(c)) => self.text.push(c),
                _ => {
                    return Err(syntax(
                        at,
                        &format!("invalid character reference &{};", &**reference),
                    ));
                }
            }
        } else {
            // Only the five predefined entities exist here: a DOCTYPE, the only place where
            // others could be declared, is refused, so nothing is ever expanded.
            match resolve_predefined_entity(reference) {
                Some(resolved) => self.text.push_str(resolved),
                None => return Err(syntax(at, &format!("unknown entity &{};", &**reference))),
            }
        }
        self.check_value_length()
    }

    /// Each event is bounded, but a value is put together from several (text, references,
    /// CDATA): its total is bounded too.
    fn check_value_length(&self) -> Result<(), FluxError> {
        match &self.open_value {
            Some(open) if self.text.len() > self.limits.text => Err(FluxError::Limit {
                position: open.at,
                limit: Limit::Text {
                    max_bytes: self.limits.text,
                },
            }),
            _ => Ok(()),
        }
    }

    /// The error for an event that went past [`Limits::text`].
    fn event_too_long(&self, at: Position) -> FluxError {
        let max_bytes = self.limits.text;
        let limit = if self.xml.get_ref().event_is_markup() {
            Limit::Markup { max_bytes }
        } else {
            Limit::Text { max_bytes }
        };
        FluxError::Limit {
            position: at,
            limit,
        }
    }

    fn check_attributes(&self, start: &BytesStart<'_>, at: Position) -> Result<(), FluxError> {
        if start.attributes_raw().chars().all(is_xml_space) {
            return Ok(());
        }
        for (count, attribute) in start.attributes().enumerate() {
            // Checking an attribute against those before it costs their number: bound it.
            if count >= self.limits.attributes {
                return Err(FluxError::Limit {
                    position: at,
                    limit: Limit::Attributes {
                        max: self.limits.attributes,
                    },
                });
            }
            let attribute = attribute.map_err(|e| syntax(at, &e.to_string()))?;
            let key = attribute.key.into_inner();
            // Namespace declarations and xsi:noNamespaceSchemaLocation are always allowed.
            if key == "xmlns" || key.starts_with("xmlns:") || key.starts_with("xsi:") {
                continue;
            }
            let problem = SchemaProblem::UnexpectedAttribute {
                element: start.name().into_inner().to_owned(),
                attribute: key.to_owned(),
            };
            return Err(self.schema_error(at, None, problem));
        }
        Ok(())
    }

    /// The path of the open elements, plus `leaf` when a simple value is concerned.
    fn path(&self, leaf: Option<&str>) -> String {
        let mut path = String::with_capacity(96);
        for frame in &self.frames {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(frame.element.name);
            if frame.element.max > 1 {
                path.push_str(&format!("[{}]", frame.occurrence));
            }
        }
        if let Some(leaf) = leaf {
            path.push('/');
            path.push_str(leaf);
        }
        path
    }

    fn schema_error(&self, at: Position, leaf: Option<&str>, problem: SchemaProblem) -> FluxError {
        FluxError::Schema {
            position: at,
            path: self.path(leaf),
            problem,
        }
    }

    fn xml_error(&self, error: quick_xml::Error, at: Position) -> FluxError {
        match error {
            quick_xml::Error::Io(shared) => FluxError::Io(
                Arc::try_unwrap(shared)
                    .unwrap_or_else(|shared| io::Error::new(shared.kind(), shared.to_string())),
            ),
            quick_xml::Error::Encoding(_) => FluxError::Decoding {
                position: at,
                encoding: self.encoding.name(),
            },
            other => syntax(at, &other.to_string()),
        }
    }
}

/// Elements holding personal data, whose values error messages (and so logs) never show.
const PERSONAL: [&str; 9] = [
    "NIR",
    "NOM",
    "NOMNAI",
    "PRENOM",
    "PRENOM2",
    "PRENOM3",
    "NOMCOMNAI",
    "DTNAI",
    "MATRICULE",
];

/// A value as an error message may show it: personal values only by their length.
fn shown_value(element: &str, value: &str) -> String {
    if PERSONAL.contains(&element) {
        format!("({} characters)", value.chars().count())
    } else {
        excerpt(value, 40)
    }
}

fn syntax(position: Position, message: &str) -> FluxError {
    FluxError::Syntax {
        position,
        message: message.to_owned(),
    }
}

/// Matches `name` against the next declarations of the frame's sequence.
fn accept(frame: &mut Frame, name: &str) -> Result<(&'static Element, u32), SchemaProblem> {
    let children: &'static [Element] = frame.children;
    let (mut child, mut count) = (frame.child, frame.count);
    while let Some(element) = children.get(child) {
        if element.name == name {
            if count < element.max {
                frame.child = child;
                frame.count = count + 1;
                return Ok((element, count + 1));
            }
            break;
        }
        if count < element.min {
            break;
        }
        child += 1;
        count = 0;
    }
    Err(SchemaProblem::UnexpectedElement {
        found: name.to_owned(),
        expected: expected(frame),
    })
}

/// What the sequence allows next: elements up to the first mandatory one, or the end.
fn expected(frame: &Frame) -> String {
    let mut names = Vec::new();
    let (mut child, mut count) = (frame.child, frame.count);
    while let Some(element) = frame.children.get(child) {
        if count < element.max {
            names.push(format!("<{}>", element.name));
        }
        if count < element.min {
            return names.join(" or ");
        }
        child += 1;
        count = 0;
    }
    names.push(format!("the end of <{}>", frame.element.name));
    names.join(" or ")
}

/// The first mandatory declaration not matched often enough when the block ends.
fn first_missing(frame: &Frame) -> Option<&'static str> {
    let children: &'static [Element] = frame.children;
    let (mut child, mut count) = (frame.child, frame.count);
    while let Some(element) = children.get(child) {
        if count < element.min {
            return Some(element.name);
        }
        child += 1;
        count = 0;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "<IdentificationFlux><APPLIEME>CRI</APPLIEME>\
        <NUMVERSIONAPPLIEME>6200</NUMVERSIONAPPLIEME><TYPEFLUX>M</TYPEFLUX><NATFLUX>D</NATFLUX>\
        <DTCREAFLUX>2024-03-05</DTCREAFLUX><HEUCREAFLUX>01:18:36.0000</HEUCREAFLUX>\
        <DTREF>2024-03-04</DTREF></IdentificationFlux>";
    const TRAILER: &str = "<TransmissionFlux><NBTOTDOSRSATRANSM>0</NBTOTDOSRSATRANSM>\
        <NBTOTDOSRSATRANSMANO>0</NBTOTDOSRSATRANSMANO></TransmissionFlux>";

    /// Records what the walker hands out, and pauses after the header.
    #[derive(Default)]
    struct Recorder {
        steps: Vec<String>,
    }

    impl Sink for Recorder {
        fn enter(&mut self, group: Group, at: Position) {
            self.steps
                .push(format!("enter {group:?} at {}:{}", at.line, at.column));
        }

        fn value(&mut self, field: Field, value: Value<'_>) {
            self.steps.push(format!("{field:?}={value:?}"));
        }

        fn leave(&mut self, group: Group) -> bool {
            self.steps.push(format!("leave {group:?}"));
            group == Group::Header
        }
    }

    fn document(header: &str) -> String {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Racine>{header}{TRAILER}</Racine>")
    }

    fn walk(text: &str) -> Result<Vec<String>, FluxError> {
        let mut walker = Walker::new(text.as_bytes())?;
        let mut recorder = Recorder::default();
        assert_eq!(walker.walk(&mut recorder)?, Walked::Paused);
        assert_eq!(walker.walk(&mut recorder)?, Walked::Finished);
        Ok(recorder.steps)
    }

    #[test]
    fn the_sink_gets_tagged_blocks_and_values_and_can_pause() {
        let steps = walk(&document(HEADER)).unwrap();
        assert_eq!(steps[0], "enter Header at 2:9");
        assert_eq!(steps[1], "Application=Text(\"CRI\")");
        assert!(steps.contains(&"CreatedOn=Date(2024-03-05)".to_owned()));
        assert!(steps.contains(&"CreatedTime=Time(01:18:36)".to_owned()));
        assert_eq!(steps.last().unwrap(), "leave Trailer");
    }

    #[test]
    fn references_and_cdata_are_part_of_values() {
        let header = HEADER
            .replace(">CRI<", ">C&amp;R<")
            .replace(">6200<", "><![CDATA[62]]>&#48;<!-- a comment -->0<");
        let steps = walk(&document(&header)).unwrap();
        assert_eq!(steps[1], "Application=Text(\"C&R\")");
        assert_eq!(steps[2], "ApplicationVersion=Text(\"6200\")");
    }

    #[test]
    fn comments_and_processing_instructions_are_ignored() {
        let header = HEADER.replace("<TYPEFLUX>", "<!-- note --><?pi x?><TYPEFLUX>");
        let text = document(&header).replace("<Racine>", "<!-- before --><Racine>");
        assert!(walk(&text).is_ok());
    }

    #[test]
    fn what_xml_allows_but_a_flux_must_not_hold_is_refused() {
        let doctype = document(HEADER).replace("<Racine>", "<!DOCTYPE Racine><Racine>");
        assert!(matches!(walk(&doctype), Err(FluxError::Syntax { .. })));
        let entity = document(&HEADER.replace(">CRI<", ">&cri;<"));
        assert!(
            matches!(walk(&entity), Err(FluxError::Syntax { ref message, .. }) if message.contains("&cri;"))
        );
        for after in ["<Racine/>", "text"] {
            let text = format!("{}{after}", document(HEADER));
            assert!(
                matches!(walk(&text), Err(FluxError::Syntax { .. })),
                "{after}"
            );
        }
    }

    #[test]
    fn the_expected_elements_run_up_to_the_first_mandatory_one() {
        let frame = Frame {
            element: &ROOT,
            children: match ROOT.content {
                Content::Children(children, _) => children,
                Content::Value(..) => &[],
            },
            child: 1,
            count: 3,
            occurrence: 1,
        };
        assert_eq!(expected(&frame), "<InfosFoyerRSA> or <TransmissionFlux>");
        assert_eq!(first_missing(&frame), Some("TransmissionFlux"));
        let done = Frame {
            child: 2,
            count: 1,
            ..frame
        };
        assert_eq!(expected(&done), "the end of <Racine>");
        assert_eq!(first_missing(&done), None);
    }

    /// Walks the whole text with these limits: the walker as the walk left it, and the
    /// error that stopped it.
    fn walk_with(text: &str, limits: Limits) -> (Walker<&[u8]>, Option<FluxError>) {
        let mut walker = Walker::with_limits(text.as_bytes(), limits).unwrap();
        let mut recorder = Recorder::default();
        loop {
            match walker.walk(&mut recorder) {
                Ok(Walked::Paused) => continue,
                Ok(Walked::Finished) => return (walker, None),
                Err(error) => return (walker, Some(error)),
            }
        }
    }

    fn passes(text: &str, limits: Limits) -> bool {
        walk_with(text, limits).1.is_none()
    }

    /// The limit a walk stopped on and the line it names; `None` when it did not stop.
    fn limit_of(text: &str, limits: Limits) -> Option<(Limit, u64)> {
        match walk_with(text, limits).1 {
            Some(FluxError::Limit { limit, position }) => Some((limit, position.line)),
            Some(other) => panic!("not a limit: {other}"),
            None => None,
        }
    }

    /// The deepest element under `element`, counting it.
    fn depth(element: &Element) -> usize {
        match element.content {
            Content::Value(..) => 1,
            Content::Children(children, _) => 1 + children.iter().map(depth).max().unwrap_or(0),
        }
    }

    /// The longest value the schema allows, in characters.
    fn longest(element: &Element) -> usize {
        match element.content {
            Content::Value(ValueType::Text(max), _) => usize::from(max),
            Content::Value(..) => 32,
            Content::Children(children, _) => children.iter().map(longest).max().unwrap_or(0),
        }
    }

    #[test]
    fn the_schema_stays_far_within_the_limits() {
        assert_eq!(depth(&ROOT), 7);
        assert!(depth(&ROOT) * 4 < LIMITS.depth);
        // Three bytes of UTF-8 a character at most (windows-1252 decodes to the BMP).
        assert_eq!(longest(&ROOT), 200);
        assert!(longest(&ROOT) * 3 * 100 < LIMITS.text);
        assert!(walk(&document(HEADER)).is_ok());
    }

    #[test]
    fn a_text_or_a_tag_exactly_at_the_bound_passes_and_one_byte_more_does_not() {
        let limits = Limits {
            text: 200,
            ..LIMITS
        };
        let spaces = |n: usize| {
            document(HEADER).replace(
                "<TransmissionFlux>",
                &format!("{}<TransmissionFlux>", " ".repeat(n)),
            )
        };
        assert!(passes(&spaces(200), limits));
        assert_eq!(
            limit_of(&spaces(201), limits),
            Some((Limit::Text { max_bytes: 200 }, 2))
        );
        // `<Racine xmlns:a="…">` is 19 bytes and its value.
        let tag = |n: usize| {
            document(HEADER).replace(
                "<Racine>",
                &format!("<Racine xmlns:a=\"{}\">", "a".repeat(n - 19)),
            )
        };
        assert!(passes(&tag(200), limits));
        assert_eq!(
            limit_of(&tag(201), limits),
            Some((Limit::Markup { max_bytes: 200 }, 2))
        );
        let comment =
            document(HEADER).replace("<Racine>", &format!("<Racine><!--{}-->", "-".repeat(300)));
        assert_eq!(
            limit_of(&comment, limits),
            Some((Limit::Markup { max_bytes: 200 }, 2))
        );
    }

    #[test]
    fn a_value_made_of_many_small_pieces_is_bounded_as_a_whole() {
        let limits = Limits { text: 64, ..LIMITS };
        let pieces = "ab&amp;<![CDATA[cd]]>&#65;".repeat(20);
        let header = HEADER.replace(">CRI<", &format!(">{pieces}<"));
        let text = document(&header);
        assert_eq!(
            limit_of(&text, limits),
            Some((Limit::Text { max_bytes: 64 }, 2))
        );
        // Under the bound it is the schema that refuses it.
        assert!(matches!(
            walk_with(&text, LIMITS).1,
            Some(FluxError::Schema {
                problem: SchemaProblem::InvalidValue { .. },
                ..
            })
        ));
    }

    #[test]
    fn depth_and_attributes_are_bounded() {
        let shallow = Limits { depth: 2, ..LIMITS };
        assert_eq!(
            limit_of(&document(HEADER), shallow),
            Some((Limit::Depth { max: 2 }, 2))
        );
        let attributes = |n: usize| {
            let list: String = (0..n).map(|i| format!(" xmlns:a{i}=\"\"")).collect();
            document(HEADER).replace("<Racine>", &format!("<Racine{list}>"))
        };
        assert!(passes(&attributes(16), LIMITS));
        assert_eq!(
            limit_of(&attributes(17), LIMITS),
            Some((Limit::Attributes { max: 16 }, 2))
        );
    }

    #[test]
    fn an_internal_subset_is_neither_expanded_nor_held_whole() {
        let laughs = "<!DOCTYPE Racine [<!ENTITY lol \"lol\">\
            <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\
            <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>";
        let text = document(&HEADER.replace(">CRI<", ">&lol3;<"))
            .replace("<Racine>", &format!("{laughs}<Racine>"));
        assert!(matches!(
            walk_with(&text, LIMITS).1,
            Some(FluxError::Syntax { ref message, .. }) if message.contains("DOCTYPE")
        ));
        let huge = format!("<!DOCTYPE Racine [<!ENTITY a \"{}\">]>", "a".repeat(1000));
        let text = document(HEADER).replace("<Racine>", &format!("{huge}<Racine>"));
        let limits = Limits {
            text: 200,
            ..LIMITS
        };
        assert_eq!(
            limit_of(&text, limits),
            Some((Limit::Markup { max_bytes: 200 }, 2))
        );
    }

    mod bounded {
        use proptest::prelude::*;

        use super::*;

        /// Pieces of XML, good and bad, that random documents are made of.
        fn piece() -> impl Strategy<Value = String> {
            let name = prop::sample::select(vec![
                "Racine",
                "IdentificationFlux",
                "APPLIEME",
                "InfosFoyerRSA",
                "Personne",
                "a",
                "x:y",
            ]);
            prop_oneof![
                name.clone().prop_map(|n| format!("<{n}>")),
                name.clone().prop_map(|n| format!("</{n}>")),
                name.clone().prop_map(|n| format!("<{n}/>")),
                (name, 0..40usize)
                    .prop_map(|(n, k)| format!("<{n} xmlns:a=\"{}\">", "v".repeat(k))),
                "[a-z &<>;#\\]\\[!-]{0,80}",
                (0..120usize).prop_map(|k| " ".repeat(k)),
                Just("&amp;".to_owned()),
                Just("&lol;".to_owned()),
                Just("<![CDATA[x]]>".to_owned()),
                Just("<!-- c -->".to_owned()),
                Just("<!DOCTYPE Racine [<!ENTITY lol \"lol\">]>".to_owned()),
                Just(HEADER.to_owned()),
            ]
        }

        proptest! {
            // Whatever the document, the walker's buffers stay within the limits: the
            // event buffer within one event, the value within one event past its bound.
            #[test]
            fn buffers_stay_bounded_whatever_the_document(
                pieces in prop::collection::vec(piece(), 0..200),
                text in 16..128usize,
                depth in 1..10usize,
                attributes in 0..3usize,
            ) {
                let limits = Limits { text, depth, attributes };
                let document = format!("<?xml version=\"1.0\"?>{}", pieces.concat());
                let (walker, _) = walk_with(&document, limits);
                prop_assert!(walker.buf.len() <= text + 1, "event of {} bytes", walker.buf.len());
                let value = walker.text.len();
                prop_assert!(value <= 2 * text + 1, "value of {} bytes", value);
                prop_assert!(walker.frames.len() <= depth);
            }
        }
    }
}
