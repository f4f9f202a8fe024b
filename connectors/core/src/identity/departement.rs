//! The identifier a département's own information system gives a person.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::HouseholdRole;

/// Why a text is not a département SI identifier.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DepartementPersonIdError {
    /// Blank.
    #[error("the département identifier is empty")]
    Empty,
    /// Longer than any SI writes.
    #[error("a département identifier has at most {max} characters, not {0}", max = DepartementPersonId::MAX_LENGTH)]
    Length(usize),
    /// A control character.
    #[error("a département identifier cannot hold control characters")]
    Character,
}

/// A person's id in a département SI (IODAS, Solis, WebRSA…), e.g. `IODAS822920`.
///
/// Free text in the SI: only trimmed, never otherwise rewritten.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DepartementPersonId(String);

impl DepartementPersonId {
    /// The longest accepted identifier, in characters.
    pub const MAX_LENGTH: usize = 64;

    /// Parses a trimmed, non-empty identifier without control characters.
    pub fn parse(text: &str) -> Result<Self, DepartementPersonIdError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(DepartementPersonIdError::Empty);
        }
        let length = trimmed.chars().count();
        if length > Self::MAX_LENGTH {
            return Err(DepartementPersonIdError::Length(length));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(DepartementPersonIdError::Character);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DepartementPersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for DepartementPersonId {
    type Error = DepartementPersonIdError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<DepartementPersonId> for String {
    fn from(id: DepartementPersonId) -> Self {
        id.0
    }
}

/// The département SI key of a person: the id, and the role when the SI gives a couple one id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DepartementKey {
    /// The SI's identifier.
    pub id: DepartementPersonId,
    /// The role that tells the persons sharing `id` apart (IODAS: one id per couple).
    pub role: Option<HouseholdRole>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_trimmed_only() {
        assert_eq!(
            DepartementPersonId::parse("  IODAS822920 ")
                .unwrap()
                .as_str(),
            "IODAS822920"
        );
        assert_eq!(
            DepartementPersonId::parse(" "),
            Err(DepartementPersonIdError::Empty)
        );
        assert_eq!(
            DepartementPersonId::parse("a\u{0}b"),
            Err(DepartementPersonIdError::Character)
        );
        assert_eq!(
            DepartementPersonId::parse(&"x".repeat(65)),
            Err(DepartementPersonIdError::Length(65))
        );
    }
}
