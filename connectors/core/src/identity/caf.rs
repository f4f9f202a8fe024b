//! CAF/MSA identifiers: the paying organisation and the household's matricule.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::HouseholdRole;

/// Which family-benefits fund pays the RSA (FONORG).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Fund {
    /// Caisse d'allocations familiales (general scheme).
    #[serde(rename = "CAF")]
    Caf,
    /// Mutualité sociale agricole (farming scheme).
    #[serde(rename = "MSA")]
    Msa,
}

impl Fund {
    /// Parses `CAF` or `MSA` (case and padding ignored).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "CAF" => Some(Self::Caf),
            "MSA" => Some(Self::Msa),
            _ => None,
        }
    }

    /// The 3-letter code (`CAF` or `MSA`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Caf => "CAF",
            Self::Msa => "MSA",
        }
    }
}

/// Why a text is not a CAF/MSA organisation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CafOrganisationError {
    /// The fund is neither CAF nor MSA.
    #[error("unknown fund {0:?}: CAF or MSA expected")]
    Fund(String),
    /// The organisation number is not 1 to 3 digits.
    #[error("invalid organisation number {0:?}: 3 digits expected")]
    Number(String),
}

/// A paying organisation (organisme): fund + 3-digit number, written `CAF261`.
///
/// A matricule is only unique within its organisation, so both travel together.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CafOrganisation {
    fund: Fund,
    number: String,
}

impl CafOrganisation {
    /// Builds an organisation from FONORG and NUMORG; a shorter number is zero-padded.
    pub fn new(fund: &str, number: &str) -> Result<Self, CafOrganisationError> {
        let fund = Fund::parse(fund).ok_or_else(|| CafOrganisationError::Fund(fund.to_owned()))?;
        let digits = number.trim();
        if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CafOrganisationError::Number(number.to_owned()));
        }
        Ok(Self {
            fund,
            number: format!("{digits:0>3}"),
        })
    }

    /// Parses the joined form (`CAF261`, `msa 026`).
    pub fn parse(text: &str) -> Result<Self, CafOrganisationError> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        match (compact.get(..3), compact.get(3..)) {
            (Some(fund), Some(number)) => Self::new(fund, number),
            _ => Err(CafOrganisationError::Fund(text.to_owned())),
        }
    }

    /// The fund (CAF or MSA).
    pub fn fund(&self) -> Fund {
        self.fund
    }

    /// The 3-digit organisation number (NUMORG).
    pub fn number(&self) -> &str {
        &self.number
    }
}

impl fmt::Display for CafOrganisation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.fund.code(), self.number)
    }
}

impl fmt::Debug for CafOrganisation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CafOrganisation({self})")
    }
}

impl TryFrom<String> for CafOrganisation {
    type Error = CafOrganisationError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<CafOrganisation> for String {
    fn from(organisation: CafOrganisation) -> Self {
        organisation.to_string()
    }
}

/// Why a text is not a CAF/MSA matricule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CafMatriculeError {
    /// Nothing but spaces and zeros.
    #[error("the matricule is empty")]
    Empty,
    /// A character other than a letter or a digit.
    #[error("a matricule holds only letters and digits")]
    Character,
    /// Longer than any known form.
    #[error("a matricule has at most {max} characters, not {0}", max = CafMatricule::MAX_LENGTH)]
    Length(usize),
}

/// A household's CAF/MSA file number (matricule, numéro allocataire), normalised.
///
/// The flux writes a 7-digit number right-padded with zeros to 15 (`205599000000000`),
/// partner files write it left-padded or bare. Normalised as rdv-insertion does so they all
/// compare equal: spaces removed; when longer than 7 characters and everything after the
/// 7th is zeros, the first 7 are kept, otherwise leading zeros are stripped and the rule
/// retried; a shorter all-digit result is left-padded with zeros to 7.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CafMatricule(String);

impl CafMatricule {
    /// The longest accepted form once spaces are removed (the flux uses 15).
    pub const MAX_LENGTH: usize = 20;
    /// The length of a bare CAF number.
    const SIGNIFICANT: usize = 7;

    /// Parses and normalises a matricule in any of the forms sources write.
    pub fn parse(text: &str) -> Result<Self, CafMatriculeError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if !compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(CafMatriculeError::Character);
        }
        if compact.len() > Self::MAX_LENGTH {
            return Err(CafMatriculeError::Length(compact.len()));
        }
        if compact.bytes().all(|b| b == b'0') {
            return Err(CafMatriculeError::Empty);
        }
        let mut normalised = Self::normalise(&compact).to_owned();
        if normalised.len() < Self::SIGNIFICANT && normalised.bytes().all(|b| b.is_ascii_digit()) {
            normalised = format!("{normalised:0>7}");
        }
        Ok(Self(normalised))
    }

    fn normalise(text: &str) -> &str {
        if text.len() <= Self::SIGNIFICANT {
            return text;
        }
        if text[Self::SIGNIFICANT..].bytes().all(|b| b == b'0') {
            return &text[..Self::SIGNIFICANT];
        }
        let stripped = text.trim_start_matches('0');
        if stripped.len() == text.len() {
            text
        } else {
            Self::normalise(stripped)
        }
    }

    /// The normalised matricule.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CafMatricule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CafMatricule {
    type Error = CafMatriculeError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<CafMatricule> for String {
    fn from(matricule: CafMatricule) -> Self {
        matricule.0
    }
}

/// The CAF/MSA identity key of a person: organisation, household matricule and role.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CafMsaKey {
    /// The paying organisation (organisme).
    pub organisation: CafOrganisation,
    /// The household's file number (matricule).
    pub matricule: CafMatricule,
    /// The person's role in the household (ROLEPERS), when known.
    pub role: Option<HouseholdRole>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_flux_form_keeps_the_first_seven_digits() {
        assert_eq!(
            CafMatricule::parse("205599000000000").unwrap().as_str(),
            "2055990"
        );
        assert_eq!(
            CafMatricule::parse("012345600000000").unwrap().as_str(),
            "0123456"
        );
    }

    #[test]
    fn left_padded_and_bare_forms_compare_equal() {
        let flux = CafMatricule::parse("208956400000000").unwrap();
        assert_eq!(CafMatricule::parse("000000002089564").unwrap(), flux);
        assert_eq!(CafMatricule::parse(" 2089564 ").unwrap(), flux);
        assert_eq!(
            CafMatricule::parse("123").unwrap(),
            CafMatricule::parse("0000123").unwrap()
        );
    }

    #[test]
    fn other_forms_are_kept() {
        assert_eq!(
            CafMatricule::parse("CAF0027004992").unwrap().as_str(),
            "CAF0027004992"
        );
        assert_eq!(CafMatricule::parse("isqcjqo").unwrap().as_str(), "ISQCJQO");
        assert_eq!(
            CafMatricule::parse("123456789012345").unwrap().as_str(),
            "123456789012345"
        );
    }

    #[test]
    fn empty_and_foreign_characters_are_rejected() {
        assert_eq!(CafMatricule::parse("  "), Err(CafMatriculeError::Empty));
        assert_eq!(
            CafMatricule::parse("000000000000000"),
            Err(CafMatriculeError::Empty)
        );
        assert_eq!(
            CafMatricule::parse("12-34"),
            Err(CafMatriculeError::Character)
        );
        assert_eq!(
            CafMatricule::parse(&"1".repeat(21)),
            Err(CafMatriculeError::Length(21))
        );
    }

    #[test]
    fn organisations_are_fund_plus_three_digits() {
        let caf = CafOrganisation::new("CAF", "261").unwrap();
        assert_eq!(caf.to_string(), "CAF261");
        assert_eq!(CafOrganisation::parse("caf 261").unwrap(), caf);
        assert_eq!(
            CafOrganisation::new("MSA ", "26").unwrap().to_string(),
            "MSA026"
        );
        assert!(matches!(
            CafOrganisation::new("CPAM", "261"),
            Err(CafOrganisationError::Fund(_))
        ));
        assert!(matches!(
            CafOrganisation::new("CAF", "2A1"),
            Err(CafOrganisationError::Number(_))
        ));
        assert!(CafOrganisation::parse("CA").is_err());
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent(text in "[0-9A-Z ]{0,22}") {
            if let Ok(matricule) = CafMatricule::parse(&text) {
                prop_assert_eq!(CafMatricule::parse(matricule.as_str()).unwrap(), matricule);
            }
        }

        #[test]
        fn a_padded_flux_number_equals_its_bare_number(number in "[1-9][0-9]{6}") {
            let flux = format!("{number}00000000");
            prop_assert_eq!(
                CafMatricule::parse(&flux).unwrap(),
                CafMatricule::parse(&number).unwrap()
            );
        }
    }
}
