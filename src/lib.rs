//! cdb-hub: the data-exchange hub of Carnet de bord.
//!
//! The library builds the whole application so that the tests start exactly what production
//! runs; `main.rs` only parses the command line.

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod imports;
pub mod inbound;
pub mod jobs;
pub mod notify;
pub mod outbound;
pub mod postgres;
pub mod schema;
pub mod sources;
pub mod store;
pub mod telemetry;
