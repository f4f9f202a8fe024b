//! cdb-hub: the data-exchange hub of Carnet de bord.
//!
//! The library builds the whole application so that the tests start exactly what production
//! runs; `main.rs` only parses the command line.
//!
//! The modules stand on floors: each imports only from its own floor (without cycles between
//! folders) and the floors below. [`FLOORS`] is the table; a test reads every `crate::` path of
//! `src/` and fails on an upward one.

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod console;
pub mod demo;
pub mod domain;
pub mod imports;
pub mod inbound;
pub mod jobs;
pub mod lifecycle;
pub mod notify;
pub mod outbound;
pub mod postgres;
pub mod schema;
pub mod sources;
pub mod store;
pub mod telemetry;

/// The floors of the house, from the top (1) down: every top-level module of `src/` with its
/// floor. A module may use its own floor and those below (a larger number), never one above.
pub const FLOORS: &[(&str, u8)] = &[
    // 1 entry: commands, argument parsing, assembling the app.
    ("main", 1),
    ("cli", 1),
    ("app", 1),
    // 2 edges: HTTP handlers (parse → policy → call → view), job wiring.
    ("api", 2),
    ("jobs", 2),
    ("console", 2),
    // 3 workflows: multi-step work over the floors below.
    ("imports", 3),
    ("sources", 3),
    ("outbound", 3),
    ("notify", 3),
    ("lifecycle", 3),
    ("demo", 3),
    // 4 rules: who may do what, and what a record does to people.
    ("inbound", 4),
    ("auth", 4),
    // 5 store: queries per aggregate, the only SQL.
    ("store", 5),
    // 6 domain and plumbing: typed values and enums, settings, the database, logs and metrics.
    ("domain", 6),
    ("config", 6),
    ("postgres", 6),
    ("schema", 6),
    ("telemetry", 6),
];

#[cfg(test)]
mod floor_check;
