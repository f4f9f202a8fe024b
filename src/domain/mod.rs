//! Pure domain types and rules: no I/O, nothing of ours imported.

pub mod nir;
