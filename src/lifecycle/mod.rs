//! The data lifecycle: what the hub keeps, for how long, and what it deletes when the time is up.

pub mod retention;
