//! Postal address of a person, and whether they have none.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a text is not a French postal code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("not a French postal code (5 digits): {0:?}")]
pub struct PostalCodeError(pub String);

/// A French postal code: 5 digits, leading zero kept (`01000`, not `1000`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PostalCode(String);

impl PostalCode {
    /// Parses exactly 5 digits (surrounding spaces ignored).
    pub fn parse(text: &str) -> Result<Self, PostalCodeError> {
        let trimmed = text.trim();
        if trimmed.len() == 5 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(PostalCodeError(text.to_owned()))
        }
    }

    /// Parses a postal code some sources store as a number, restoring its leading zeros
    /// (`1000` → `01000`).
    pub fn from_number_text(text: &str) -> Result<Self, PostalCodeError> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.len() > 5 || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PostalCodeError(text.to_owned()));
        }
        Self::parse(&format!("{trimmed:0>5}"))
    }

    /// The 5 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PostalCode {
    type Error = PostalCodeError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<PostalCode> for String {
    fn from(code: PostalCode) -> Self {
        code.0
    }
}

/// A postal address (adresse) and the no-fixed-address flag (sans domicile fixe).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Lines above the postal code and city, top to bottom, blank lines left out.
    pub lines: Vec<String>,
    /// Postal code (code postal), for addresses in France.
    pub postal_code: Option<PostalCode>,
    /// City (commune, localité).
    pub city: Option<String>,
    /// INSEE code of the commune, when the source gives it.
    pub city_insee_code: Option<String>,
    /// Country code as the source writes it (e.g. `FRA`).
    pub country: Option<String>,
    /// The person has no fixed address (sans domicile fixe), when the source says.
    pub no_fixed_address: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postal_codes_keep_their_leading_zero() {
        assert_eq!(PostalCode::parse("01000").unwrap().as_str(), "01000");
        assert_eq!(
            PostalCode::from_number_text("1000").unwrap().as_str(),
            "01000"
        );
        assert!(PostalCode::parse("1000").is_err());
        assert!(PostalCode::from_number_text("").is_err());
        assert!(PostalCode::from_number_text("123456").is_err());
        assert!(PostalCode::parse("2A000").is_err());
    }
}
