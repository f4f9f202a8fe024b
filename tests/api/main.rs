//! Integration tests: the real application over HTTP against a real PostgreSQL.
//! One binary (one cluster per test process); each test has its own database.

mod authorization;
mod browser;
mod caf_months;
mod chunk_path;
mod connector_resume;
mod connectors;
mod console;
mod contract;
mod crash;
mod demo;
mod directory_writes;
mod embedded;
mod fixture;
mod health;
mod idempotency;
mod import_kinds;
mod imports;
mod journey;
mod least_privilege;
mod lists;
mod login;
mod mail;
mod migrations;
mod notebook_list;
mod oauth;
mod plan;
mod privacy;
mod problems;
mod rate_limit;
mod secrecy;
mod statistics;
mod support;
mod sync;
mod webhooks;
mod write_matrix;
