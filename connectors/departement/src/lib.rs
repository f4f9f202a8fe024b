//! Mapping profiles for the départements' own exports (CSV/XLSX): the Carnet de bord
//! templates, IODAS-style beneficiary lists, the WebRSA « FRSA » export and the CNAF contact
//! file, turned into the hub's canonical records.
//!
//! A profile ([`Profile`]) is a TOML file under `profiles/`, embedded in the crate and
//! readable by a non-programmer: which header names fill which canonical field ([`Field`]),
//! which columns are required, which file names mean a stock or a delta. The hub reads a file
//! into a header and rows of strings; [`Profile::bind`] matches the header (whatever its case,
//! accents, spaces and `*`) and [`BoundProfile::read_row`] turns each row into records, or
//! into located French errors ([`CellError`]). A value that cannot be understood is an error
//! on its cell, never a silent blank. The crate never touches a database or a file.

#![warn(missing_docs)]

mod bind;
mod error;
mod field;
mod profile;
mod row;
mod values;

pub use bind::BoundProfile;
pub use error::{CellError, DuplicatedColumn, ErrorCode, HeaderError, UnknownColumn};
pub use field::Field;
pub use profile::{Column, FileMode, FileModeRule, Profile, ProfileError};
pub use row::RowContext;
