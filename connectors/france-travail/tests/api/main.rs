//! The France Travail connector against a local mock of France Travail speaking the
//! reference payloads.

mod auth;
mod codes;
mod lookup;
mod push;
mod quota;
mod resilience;
mod secrets;
mod support;
