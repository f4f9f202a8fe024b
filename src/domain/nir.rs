//! The NIR (numéro d'inscription au répertoire, social security number): 13 characters, plus
//! an optional 2-digit control key; Corsican départements write 2A / 2B.

use std::fmt;

use thiserror::Error;

/// Why a text is not a NIR.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NirError {
    /// Neither 13 nor 15 characters.
    #[error("le NIR doit comporter 13 ou 15 caractères (clé comprise), pas {0}")]
    Length(usize),
    /// A character that is not a digit (or A/B in the département).
    #[error("le NIR ne peut contenir que des chiffres (et 2A/2B pour la Corse)")]
    Character,
    /// The control key does not match.
    #[error("la clé du NIR ne correspond pas : {expected:02} attendu")]
    Key {
        /// The key computed from the 13 characters.
        expected: u8,
    },
}

/// A NIR, kept as its 13 significant characters (the key is derived, never stored).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nir(String);

impl Nir {
    /// Parses 13 characters, or 15 with a control key that must match; spaces are ignored.
    pub fn parse(text: &str) -> Result<Self, NirError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let length = compact.chars().count();
        if length != 13 && length != 15 {
            return Err(NirError::Length(length));
        }
        if !compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(NirError::Character);
        }
        let body = &compact[..13];
        let corsica = matches!(&body[5..7], "2A" | "2B");
        let valid = body
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || (corsica && i == 6 && (c == 'A' || c == 'B')));
        if !valid {
            return Err(NirError::Character);
        }
        let nir = Self(body.to_owned());
        if length == 15 {
            let key: u8 = compact[13..].parse().map_err(|_| NirError::Character)?;
            let expected = nir.key();
            if key != expected {
                return Err(NirError::Key { expected });
            }
        }
        Ok(nir)
    }

    /// The control key: 97 − (the 13 characters as a number, 2A → 19, 2B → 18) mod 97.
    pub fn key(&self) -> u8 {
        let numeric = self.0.replace("2A", "19").replace("2B", "18");
        let remainder = numeric
            .bytes()
            .fold(0u64, |acc, digit| (acc * 10 + u64::from(digit - b'0')) % 97);
        (97 - remainder) as u8
    }

    /// The 13 significant characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 15-character form with its key.
    pub fn with_key(&self) -> String {
        format!("{}{:02}", self.0, self.key())
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
    }

    #[test]
    fn a_wrong_key_is_rejected() {
        assert_eq!(
            Nir::parse("184127645108947"),
            Err(NirError::Key { expected: 46 })
        );
    }

    #[test]
    fn corsica_is_accepted_with_its_key_rule() {
        let corsican = Nir::parse("169022A417325").unwrap();
        let expected = (97 - 1_690_219_417_325u64 % 97) as u8;
        assert_eq!(corsican.key(), expected);
        assert_eq!(Nir::parse(&corsican.with_key()).unwrap(), corsican);
        assert_eq!(Nir::parse("169022C417325"), Err(NirError::Character));
        assert_eq!(Nir::parse("16902A3417325"), Err(NirError::Character));
    }

    #[test]
    fn a_wrong_length_is_reported_with_it() {
        assert_eq!(Nir::parse("123"), Err(NirError::Length(3)));
    }

    #[test]
    fn letters_outside_corsica_are_rejected() {
        assert_eq!(Nir::parse("1841276A51089"), Err(NirError::Character));
    }

    #[test]
    fn debug_output_hides_the_nir() {
        let text = format!("{:?}", Nir::parse("1841276451089").unwrap());
        assert!(!text.contains("184127645"), "{text}");
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_text_never_panics(text in "\\PC{0,20}") {
            let _ = Nir::parse(&text);
        }

        #[test]
        fn a_nir_round_trips_through_its_keyed_form(body in "[12][0-9]{12}") {
            let nir = Nir::parse(&body).unwrap();
            prop_assert_eq!(Nir::parse(&nir.with_key()).unwrap(), nir);
        }
    }
}
