//! Streaming reader of the CNAF/MSA *flux bénéficiaires* (RSA), schema `vrsb0801.xsd`.
//!
//! The flux is a windows-1252 XML file: a header (`IdentificationFlux`), one
//! `InfosFoyerRSA` per household, a trailer (`TransmissionFlux`). [`FluxReader`] reads it
//! from any `BufRead`, one household at a time, checks it against the schema as it goes
//! (element order, mandatory elements, value types and lengths) and reports where a file
//! breaks it. Each [`Household`] translates into the hub's canonical records
//! ([`Household::records`]): identity keys (NIR, organisation + matricule + role), identity,
//! current address, family situation and RSA rights.
//!
//! ```no_run
//! use cdb_caf_msa::FluxReader;
//!
//! let mut reader = FluxReader::open("RSABEM.xml")?;
//! let header = reader.header().clone();
//! for household in reader.by_ref() {
//!     let household = household?;
//!     for record in household.records(&header, Some("upload-42")) {
//!         // hand the record to the inbound pipeline
//!         # let _ = record;
//!     }
//! }
//! for warning in reader.warnings() {
//!     eprintln!("{warning}");
//! }
//! # Ok::<(), cdb_caf_msa::FluxError>(())
//! ```

#![warn(missing_docs)]

pub mod codes;
mod collector;
mod encoding;
mod error;
#[cfg(feature = "generate")]
pub mod generate;
mod header;
mod household;
mod position;
mod reader;
mod records;
mod schema;
mod values;
mod walker;

pub use error::{FluxError, FluxWarning, HouseholdWarning, Limit, Position, SchemaProblem};
pub use header::{FluxHeader, FluxKind, Trailer};
pub use household::{
    CafAddress, CodedDate, Household, HouseholdRights, Partner, Person, RsaApplication,
};
pub use reader::{FluxReader, FluxSummary};
