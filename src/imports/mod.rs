//! The pure file-reading layer of the imports: decode and split uploads (CSV, XLSX, XLS,
//! ODS), match columns by header, parse cells into typed rows or French errors, and write
//! the rejected lines back for the agent; then `records` turns a typed line into a person
//! record and `runner` runs an import kept in the database through the inbound pipeline.

pub mod apply;
pub mod corrections;
pub mod encoding;
pub mod errors_csv;
pub mod headers;
pub mod kinds;
pub mod records;
pub mod runner;
pub mod sniff;
pub mod table;
pub mod values;
