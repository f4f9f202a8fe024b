//! The SHA-256 of a raw row: the row's identity across weekly files.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use thiserror::Error;

/// The SHA-256 of a row's raw bytes, line terminator excluded.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowHash([u8; 32]);

impl RowHash {
    /// The hash of these raw bytes.
    pub fn of(raw: &[u8]) -> Self {
        Self(Sha256::digest(raw).into())
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for RowHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for RowHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RowHash({self})")
    }
}

/// A text that is not 64 hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a row hash is 64 hexadecimal digits")]
pub struct RowHashError;

impl FromStr for RowHash {
    type Err = RowHashError;

    /// Reads the hex form a previous run stored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.len() != 64 || !text.is_ascii() {
            return Err(RowHashError);
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| RowHashError)?;
        }
        Ok(Self(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip_through_hex() {
        let hash = RowHash::of(b"abc");
        let text = hash.to_string();
        assert_eq!(
            text,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(text.parse::<RowHash>(), Ok(hash));
        assert_eq!("xyz".parse::<RowHash>(), Err(RowHashError));
        assert_eq!("é".repeat(32).parse::<RowHash>(), Err(RowHashError));
    }
}
