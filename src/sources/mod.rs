//! Connector instances in the hub: their kinds and settings, their secrets sealed at rest, and
//! the runner that feeds what a connector reads through the one inbound pipeline. The
//! connectors themselves live in their own crates (`connectors/`) and never touch the database.

pub mod caf_files;
pub mod departement_files;
pub mod extract_actions;
pub mod extract_files;
pub mod inbox;
pub mod kinds;
pub mod operator;
pub mod runner;
pub mod staleness;
