//! The weekly extract files: valid, malformed and re-sent files, and arbitrary bytes.

mod actions;
mod principal;
mod resent;
mod robustness;
mod smime;

/// A fixture file of fixtures/france-travail, as bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../fixtures/france-travail/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
