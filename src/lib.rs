//! cdb-hub: the data-exchange hub of Carnet de bord.
//!
//! The library builds the whole application so that the tests start exactly what production
//! runs; `main.rs` only parses the command line.

pub mod admin;
pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod connectors;
pub mod demo;
pub mod domain;
pub mod import_cli;
pub mod imports;
pub mod inbound;
pub mod jobs;
pub mod metrics;
pub mod notices;
pub mod postgres;
pub mod run;
pub mod schema;
pub mod store;
pub mod telemetry;
pub mod webhooks;
