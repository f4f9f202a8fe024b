//! The France Travail identifier of a job seeker (numéro France Travail, ex-identifiant PE).

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a text is not a France Travail identifier.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FranceTravailIdError {
    /// Not 11 characters once spaces are removed.
    #[error("a France Travail identifier has 11 characters, not {0}")]
    Length(usize),
    /// A character other than a digit or a letter.
    #[error("a France Travail identifier holds only digits and letters")]
    Character,
}

/// A France Travail identifier: 11 characters, digits (and, in older ids, capital letters).
///
/// Never to be confused with the perishable *jeton usager* of the v2 APIs, which is not an
/// identity and is never stored, nor with the 8-character IDASSEDIC of old CAF flux.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FranceTravailId(String);

impl FranceTravailId {
    /// Parses 11 digits or capital letters; spaces are ignored, letters upper-cased.
    pub fn parse(text: &str) -> Result<Self, FranceTravailIdError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let length = compact.chars().count();
        if length != 11 {
            return Err(FranceTravailIdError::Length(length));
        }
        if !compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(FranceTravailIdError::Character);
        }
        Ok(Self(compact))
    }

    /// The 11 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for FranceTravailId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FranceTravailId({})", self.0)
    }
}

impl fmt::Display for FranceTravailId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for FranceTravailId {
    type Error = FranceTravailIdError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<FranceTravailId> for String {
    fn from(id: FranceTravailId) -> Self {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eleven_characters_are_accepted() {
        assert_eq!(
            FranceTravailId::parse(" 1234567890a ").unwrap().as_str(),
            "1234567890A"
        );
        assert_eq!(
            FranceTravailId::parse("12345678900").unwrap().to_string(),
            "12345678900"
        );
    }

    #[test]
    fn other_lengths_and_characters_are_rejected() {
        assert_eq!(
            FranceTravailId::parse("1253359X"),
            Err(FranceTravailIdError::Length(8))
        );
        assert_eq!(
            FranceTravailId::parse("1234567890-"),
            Err(FranceTravailIdError::Character)
        );
        assert_eq!(
            FranceTravailId::parse("1234567890é"),
            Err(FranceTravailIdError::Character)
        );
    }
}
