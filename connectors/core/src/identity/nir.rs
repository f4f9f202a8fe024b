//! The NIR (numéro d'inscription au répertoire, social security number).

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a text is not a NIR.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NirError {
    /// Neither 13 nor 15 characters once spaces are removed.
    #[error("a NIR has 13 or 15 characters (with its key), not {0}")]
    Length(usize),
    /// A character that is not a digit (or A/B in a Corsican département).
    #[error("a NIR holds only digits (and 2A/2B for Corsica)")]
    Character,
    /// The 2-digit control key does not match the 13 characters.
    #[error("the NIR control key does not match: {expected:02} expected")]
    Key {
        /// The key computed from the 13 characters.
        expected: u8,
    },
}

/// A NIR kept as its 13 significant characters; the key is derived, never stored.
///
/// Sources send 13 characters (CAF/MSA flux) or 15 with the key (France Travail, files);
/// both parse to the same value, so comparing NIRs compares their first 13 characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nir(String);

impl Nir {
    /// Parses 13 characters, or 15 whose last two are the matching key; spaces are ignored.
    pub fn parse(text: &str) -> Result<Self, NirError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let length = compact.chars().count();
        if length != 13 && length != 15 {
            return Err(NirError::Length(length));
        }
        if !compact.is_ascii() {
            return Err(NirError::Character);
        }
        let body = &compact[..13];
        // Corsica (2A, 2B) is the only place a letter may appear, as the département's 2nd char.
        let corsica = matches!(&body[5..7], "2A" | "2B");
        let valid = body
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || (corsica && i == 6));
        if !valid {
            return Err(NirError::Character);
        }
        let nir = Self(body.to_owned());
        if length == 15 {
            let key_text = &compact[13..];
            if !key_text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(NirError::Character);
            }
            let key: u8 = key_text.parse().map_err(|_| NirError::Character)?;
            let expected = nir.key();
            if key != expected {
                return Err(NirError::Key { expected });
            }
        }
        Ok(nir)
    }

    /// The control key: 97 − (the 13 characters as a number, 2A → 19, 2B → 18) mod 97.
    pub fn key(&self) -> u8 {
        let corsican = match &self.0[5..7] {
            "2A" => Some("19"),
            "2B" => Some("18"),
            _ => None,
        };
        let numeric = match corsican {
            Some(digits) => format!("{}{digits}{}", &self.0[..5], &self.0[7..]),
            None => self.0.clone(),
        };
        let remainder = numeric
            .bytes()
            .fold(0u64, |acc, digit| (acc * 10 + u64::from(digit - b'0')) % 97);
        (97 - remainder) as u8
    }

    /// The 13 significant characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 15-character form with its key (what France Travail APIs want).
    pub fn with_key(&self) -> String {
        format!("{}{:02}", self.0, self.key())
    }
}

impl TryFrom<String> for Nir {
    type Error = NirError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Nir> for String {
    fn from(nir: Nir) -> Self {
        nir.0
    }
}

/// Never print a NIR by accident (logs, debug output): only its last characters are shown.
impl fmt::Debug for Nir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nir(*********{})", &self.0[9..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_nir_with_its_key_is_accepted() {
        // 1 84 12 76 451 089, key 46 (INSEE's documented example).
        let nir = Nir::parse("184127645108946").unwrap();
        assert_eq!(nir.as_str(), "1841276451089");
        assert_eq!(nir.key(), 46);
        assert_eq!(nir.with_key(), "184127645108946");
    }

    #[test]
    fn thirteen_characters_and_spaces_are_accepted() {
        assert_eq!(
            Nir::parse(" 2 82 02 51 108 030 ").unwrap().as_str(),
            "2820251108030"
        );
    }

    #[test]
    fn a_wrong_key_is_rejected() {
        assert_eq!(
            Nir::parse("184127645108947"),
            Err(NirError::Key { expected: 46 })
        );
    }

    #[test]
    fn corsica_keys_replace_2a_by_19_and_2b_by_18() {
        let a = Nir::parse("169022A417325").unwrap();
        assert_eq!(a.key(), (97 - 1_690_219_417_325u64 % 97) as u8);
        let b = Nir::parse("169022b417325").unwrap();
        assert_eq!(b.as_str(), "169022B417325");
        assert_eq!(b.key(), (97 - 1_690_218_417_325u64 % 97) as u8);
        assert_eq!(Nir::parse(&a.with_key()).unwrap(), a);
        assert_eq!(Nir::parse("169022C417325"), Err(NirError::Character));
        assert_eq!(Nir::parse("16902A3417325"), Err(NirError::Character));
    }

    #[test]
    fn lengths_and_characters_are_checked() {
        assert_eq!(Nir::parse("123"), Err(NirError::Length(3)));
        assert_eq!(Nir::parse("1841276A51089"), Err(NirError::Character));
        assert_eq!(Nir::parse("18412764510894X"), Err(NirError::Character));
        assert_eq!(Nir::parse("1841276451089é"), Err(NirError::Length(14)));
        assert_eq!(Nir::parse("184127645108é6"), Err(NirError::Length(14)));
        assert_eq!(Nir::parse("18412764510é946"), Err(NirError::Character));
    }

    #[test]
    fn debug_output_hides_the_nir() {
        let text = format!("{:?}", Nir::parse("1841276451089").unwrap());
        assert!(!text.contains("184127645"), "{text}");
    }

    #[test]
    fn serde_round_trips_through_the_13_characters() {
        let nir = Nir::parse("184127645108946").unwrap();
        let json = serde_json::to_string(&nir).unwrap();
        assert_eq!(json, "\"1841276451089\"");
        assert_eq!(serde_json::from_str::<Nir>(&json).unwrap(), nir);
        assert!(serde_json::from_str::<Nir>("\"184127645108947\"").is_err());
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_text_never_panics(text in "\\PC{0,20}") {
            let _ = Nir::parse(&text);
        }

        #[test]
        fn the_key_matches_the_numeric_definition(body in "[12][0-9]{12}") {
            let nir = Nir::parse(&body).unwrap();
            let number: u64 = body.parse().unwrap();
            prop_assert_eq!(u64::from(nir.key()), 97 - number % 97);
            prop_assert_eq!(Nir::parse(&nir.with_key()).unwrap(), nir);
        }
    }
}
