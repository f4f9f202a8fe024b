//! The public reader: a header, then one household at a time, then the trailer.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::collector::Collector;
use crate::error::{FluxError, FluxWarning, Position, SchemaProblem};
use crate::header::{FluxHeader, Trailer};
use crate::household::Household;
use crate::walker::{Walked, Walker};

/// A streaming reader of a CNAF/MSA *flux bénéficiaires*: an iterator over its households.
///
/// Memory does not grow with the file: one household is held at a time. A household is
/// handed out as soon as it is read and checked, so an error later in the file comes after
/// earlier households; to reject a file whole, read it through once ([`FluxReader::check`])
/// before applying it.
pub struct FluxReader<R: BufRead> {
    walker: Walker<R>,
    collector: Collector,
    header: FluxHeader,
    households: u64,
    warnings: Vec<FluxWarning>,
    done: bool,
}

/// What reading a whole file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FluxSummary {
    /// The header.
    pub header: FluxHeader,
    /// Households read.
    pub households: u64,
    /// Persons read.
    pub persons: u64,
    /// Households that had at least one warning.
    pub households_with_warnings: u64,
    /// The trailer.
    pub trailer: Option<Trailer>,
    /// File-level warnings.
    pub warnings: Vec<FluxWarning>,
}

impl FluxReader<BufReader<File>> {
    /// Opens a flux file and reads its header.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, FluxError> {
        let file = File::open(path)?;
        Self::new(BufReader::with_capacity(64 * 1024, file))
    }
}

impl<R: BufRead> FluxReader<R> {
    /// Starts reading a flux from any buffered input and reads its header.
    pub fn new(input: R) -> Result<Self, FluxError> {
        let mut walker = Walker::new(input)?;
        let mut collector = Collector::default();
        let walked = walker.walk(&mut collector)?;
        let header = match (walked, collector.header_ready.take()) {
            (Walked::Paused, Some(header)) => header,
            // The schema makes the header the first, mandatory block; a walk that ends or
            // pauses without it cannot happen, but is reported rather than trusted.
            _ => {
                return Err(FluxError::Schema {
                    position: Position::default(),
                    path: "Racine".to_owned(),
                    problem: SchemaProblem::MissingElement {
                        missing: "IdentificationFlux",
                    },
                });
            }
        };
        Ok(Self {
            walker,
            collector,
            header,
            households: 0,
            warnings: Vec::new(),
            done: false,
        })
    }

    /// The file's header: kind of flux, creation date and time, producing application.
    pub fn header(&self) -> &FluxHeader {
        &self.header
    }

    /// The file's encoding, as declared.
    pub fn encoding(&self) -> &'static str {
        self.walker.encoding().name()
    }

    /// Households read so far.
    pub fn households_read(&self) -> u64 {
        self.households
    }

    /// The trailer, once the iteration has ended.
    pub fn trailer(&self) -> Option<&Trailer> {
        self.collector.trailer_ready.as_ref()
    }

    /// File-level warnings, complete once the iteration has ended.
    pub fn warnings(&self) -> &[FluxWarning] {
        &self.warnings
    }

    /// Reads the rest of the file, checking everything, and sums it up.
    pub fn check(mut self) -> Result<FluxSummary, FluxError> {
        let mut persons = 0;
        let mut households_with_warnings = 0;
        for household in self.by_ref() {
            let household = household?;
            persons += household.persons.len() as u64;
            households_with_warnings += u64::from(!household.warnings.is_empty());
        }
        Ok(FluxSummary {
            header: self.header,
            households: self.households,
            persons,
            households_with_warnings,
            trailer: self.collector.trailer_ready,
            warnings: self.warnings,
        })
    }

    fn finish(&mut self) {
        if let Some(trailer) = &self.collector.trailer_ready
            && trailer.households != self.households
        {
            self.warnings.push(FluxWarning::TrailerCountMismatch {
                declared: trailer.households,
                read: self.households,
            });
        }
    }
}

impl<R: BufRead> Iterator for FluxReader<R> {
    type Item = Result<Household, FluxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.walker.walk(&mut self.collector) {
            Ok(Walked::Paused) => match self.collector.ready.take() {
                Some(household) => {
                    self.households += 1;
                    Some(Ok(household))
                }
                // Only households pause the walk once the header is read.
                None => self.next(),
            },
            Ok(Walked::Finished) => {
                self.done = true;
                self.finish();
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}

impl<R: BufRead> std::iter::FusedIterator for FluxReader<R> {}
