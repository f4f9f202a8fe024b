//! Pure domain types and rules, no I/O.
//!
//! The identity keys of a person (NIR, CAF/MSA matricule, France Travail id…) are shared with
//! the connectors, which cannot depend on the hub: they live in the connector core crate and
//! are re-exported here, so that one parser owns each key.

pub use cdb_connector::identity::{Nir, NirError};

pub mod cursor;
pub mod person;
pub mod provenance;
pub mod reach;
pub mod reports;
pub mod retention;
pub mod role;
pub mod scopes;
pub mod spreadsheet_cell;
pub mod states;
