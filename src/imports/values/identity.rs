//! Identifiers of a person or a notebook: NIR, CAF/MSA allocataire number, the
//! département's own identifier, the Carnet de bord notebook id.

pub use cdb_connector::identity::{CafMatricule, CafMatriculeError, Nir, NirError};

use super::{CellError, ErrorCode, MAX_TEXT_CHARS, is_scientific, scientific_error};

/// Parses a NIR of 13 characters, or 15 with a control key that must match; spaces ignored.
pub fn nir(raw: &str, label: &str) -> Result<Nir, CellError> {
    let value = raw.trim();
    if is_scientific(value) {
        return Err(scientific_error(label, value));
    }
    Nir::parse(value).map_err(|error| match error {
        NirError::Length(length) => CellError::new(
            ErrorCode::InvalidNirLength,
            format!(
                "{label} « {value} » doit comporter 13 caractères, ou 15 avec la clé, et non {length}"
            ),
        ),
        NirError::Character => CellError::new(
            ErrorCode::InvalidNirCharacters,
            format!(
                "{label} « {value} » ne peut contenir que des chiffres (et 2A ou 2B pour une \
                 naissance en Corse)"
            ),
        ),
        NirError::Key { .. } => CellError::new(
            ErrorCode::InvalidNirKey,
            format!("{label} « {value} » n'est pas valide : sa clé de contrôle ne correspond pas"),
        ),
    })
}

/// Parses an allocataire number with the one parser of the key (`CafMatricule`, shared with
/// the CAF/MSA fluxes and the departmental profiles), so that a line of a file and a flux about
/// the same household meet; the refusal says why in French.
pub fn caf_number(raw: &str, label: &str) -> Result<CafMatricule, CellError> {
    let value = raw.trim();
    if is_scientific(value) {
        return Err(scientific_error(label, value));
    }
    CafMatricule::parse(value).map_err(|error| {
        let why = match error {
            CafMatriculeError::Empty => "il ne contient que des zéros ou des espaces".to_owned(),
            CafMatriculeError::Character => {
                "il ne doit contenir que des chiffres et des lettres".to_owned()
            }
            CafMatriculeError::Length(length) => format!(
                "il compte {length} caractères, {} au plus",
                CafMatricule::MAX_LENGTH
            ),
        };
        CellError::new(
            ErrorCode::InvalidCafNumber,
            format!("{label} « {value} » n'est pas valide : {why}"),
        )
    })
}

/// A notebook identifier (identifiant Carnet de bord), a UUID in lowercase hyphenated form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct NotebookId(String);

impl NotebookId {
    /// The hyphenated lowercase UUID.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses a UUID, with or without hyphens or braces.
pub fn notebook_id(raw: &str, label: &str) -> Result<NotebookId, CellError> {
    let value = raw.trim();
    let inner = value
        .strip_prefix('{')
        .and_then(|v| v.strip_suffix('}'))
        .unwrap_or(value);
    let hex: String = inner.chars().filter(|&c| c != '-').collect();
    let groups_ok = inner.len() == 32 || inner.split('-').map(str::len).eq([8usize, 4, 4, 4, 12]);
    if !groups_ok || hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CellError::new(
            ErrorCode::InvalidNotebookId,
            format!(
                "{label} « {value} » n'est pas valide : recopiez-le tel qu'il figure dans le \
                 fichier exporté"
            ),
        ));
    }
    let hex = hex.to_ascii_lowercase();
    Ok(NotebookId(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )))
}

/// Parses a free identifier (the département's own id, a France Travail id): kept as typed,
/// but refused if Excel turned it into scientific notation or it is too long.
pub fn identifier(raw: &str, label: &str) -> Result<String, CellError> {
    let value = raw.trim();
    if is_scientific(value) {
        return Err(scientific_error(label, value));
    }
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(CellError::new(
            ErrorCode::TooLong,
            format!("{label} « {value} » dépasse {MAX_TEXT_CHARS} caractères"),
        ));
    }
    Ok(value.to_owned())
}

/// Parses a France Travail identifier (11 digits or letters, spaces ignored), kept as written:
/// the pipeline's parser ([`cdb_connector::FranceTravailId`]) canonicalises it.
pub fn france_travail_id(raw: &str, label: &str) -> Result<String, CellError> {
    let value = raw.trim();
    if is_scientific(value) {
        return Err(scientific_error(label, value));
    }
    match cdb_connector::FranceTravailId::parse(value) {
        Ok(_) => Ok(value.to_owned()),
        Err(_) => Err(CellError::new(
            ErrorCode::InvalidFranceTravailId,
            format!("{label} « {value} » doit compter 11 chiffres ou lettres"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nir_with_or_without_key_keeps_13_characters() {
        // INSEE's documented example: 1 84 12 76 451 089, key 46.
        assert_eq!(
            nir("184127645108946", "Le NIR").unwrap().as_str(),
            "1841276451089"
        );
        assert_eq!(
            nir("1 84 12 76 451 089 46", "Le NIR").unwrap().as_str(),
            "1841276451089"
        );
        assert_eq!(
            nir("1841276451089", "Le NIR").unwrap().as_str(),
            "1841276451089"
        );
        // The re-import fixture's NIR.
        assert_eq!(
            nir("200000000000094", "Le NIR").unwrap().as_str(),
            "2000000000000"
        );
    }

    #[test]
    fn nir_of_corsica() {
        let body = "169022A417325";
        let key = 97 - 1_690_219_417_325u64 % 97;
        let with_key = format!("{body}{key:02}");
        assert_eq!(nir(&with_key, "Le NIR").unwrap().as_str(), body);
        assert_eq!(
            nir("169022b417325", "Le NIR").unwrap().as_str(),
            "169022B417325"
        );
        let key_b = 97 - 1_690_218_417_325u64 % 97;
        assert!(nir(&format!("169022B417325{key_b:02}"), "Le NIR").is_ok());
        assert_eq!(
            nir(&format!("169022B417325{key:02}"), "Le NIR")
                .unwrap_err()
                .code,
            ErrorCode::InvalidNirKey
        );
    }

    #[test]
    fn nir_errors() {
        let length = nir("12345", "Le NIR").unwrap_err();
        assert_eq!(length.code, ErrorCode::InvalidNirLength);
        assert_eq!(
            length.message,
            "Le NIR « 12345 » doit comporter 13 caractères, ou 15 avec la clé, et non 5"
        );
        for value in [
            "16902X417325",
            "169022C417325",
            "16902A3417325",
            "1841276451089AB",
        ] {
            let padded = if value.len() == 12 {
                format!("{value}0")
            } else {
                value.to_owned()
            };
            assert_eq!(
                nir(&padded, "Le NIR").unwrap_err().code,
                ErrorCode::InvalidNirCharacters,
                "{padded}"
            );
        }
        let key = nir("184127645108947", "Le NIR").unwrap_err();
        assert_eq!(key.code, ErrorCode::InvalidNirKey);
        assert_eq!(
            key.message,
            "Le NIR « 184127645108947 » n'est pas valide : sa clé de contrôle ne correspond pas"
        );
        assert_eq!(
            nir("1,84128E+14", "Le NIR").unwrap_err().code,
            ErrorCode::ScientificNotation
        );
        assert_eq!(
            nir("1841276451089é", "Le NIR").unwrap_err().code,
            ErrorCode::InvalidNirLength
        );
    }

    #[test]
    fn nir_debug_hides_the_number() {
        let value = nir("1841276451089", "Le NIR").unwrap();
        assert_eq!(format!("{value:?}"), "Nir(*********1089)");
    }

    #[test]
    fn a_refused_caf_number_says_why_in_french() {
        let message = |raw: &str| {
            caf_number(raw, "Le numéro allocataire")
                .unwrap_err()
                .message
        };
        assert_eq!(
            message("00000000"),
            "Le numéro allocataire « 00000000 » n'est pas valide : il ne contient que des zéros ou des espaces"
        );
        assert_eq!(
            message("12-34"),
            "Le numéro allocataire « 12-34 » n'est pas valide : il ne doit contenir que des chiffres et des lettres"
        );
        assert!(message("123456789012345678901").contains("21 caractères, 20 au plus"));
    }

    #[test]
    fn caf_numbers_follow_rdv_insertion() {
        let caf = |raw| caf_number(raw, "Le numéro allocataire").map(|n| n.as_str().to_owned());
        assert_eq!(caf("205599000000000"), Ok("2055990".into()));
        assert_eq!(caf(" 2055 990 "), Ok("2055990".into()));
        assert_eq!(caf("0002055990"), Ok("2055990".into()));
        assert_eq!(caf("0123456"), Ok("0123456".into()));
        assert_eq!(caf("000205599000000"), Ok("2055990".into()));
        assert_eq!(caf("CAF0027004992"), Ok("CAF0027004992".into()));
        assert_eq!(caf("ISQCJQO"), Ok("ISQCJQO".into()));
        // The one parser's rules: a short number is the 7-digit one, zero-padded; a 7-digit
        // number right-padded by the flux keeps its own leading zero.
        assert_eq!(caf("123"), Ok("0000123".into()));
        assert_eq!(caf("012345600000000"), Ok("0123456".into()));
        for value in ["12-34", "123456789012345678901", "n°123", "00000000"] {
            assert_eq!(
                caf_number(value, "Le numéro allocataire").unwrap_err().code,
                ErrorCode::InvalidCafNumber,
                "{value}"
            );
        }
        assert_eq!(
            caf_number("2,05599E+14", "Le numéro allocataire")
                .unwrap_err()
                .code,
            ErrorCode::ScientificNotation
        );
    }

    #[test]
    fn notebook_ids() {
        let id = |raw| notebook_id(raw, "L'identifiant").map(|n| n.as_str().to_owned());
        let canonical = "b7e43c7c-7c3e-464b-80de-f4926d4bb1e0";
        assert_eq!(id(canonical), Ok(canonical.into()));
        assert_eq!(
            id(" B7E43C7C-7C3E-464B-80DE-F4926D4BB1E0 "),
            Ok(canonical.into())
        );
        assert_eq!(id("b7e43c7c7c3e464b80def4926d4bb1e0"), Ok(canonical.into()));
        assert_eq!(
            id("{b7e43c7c-7c3e-464b-80de-f4926d4bb1e0}"),
            Ok(canonical.into())
        );
        for value in [
            "b7e43c7c-7c3e-464b-80de",
            "b7e43c7c-7c3e-464b-80de-f4926d4bb1eg",
            "Marc",
        ] {
            assert_eq!(
                notebook_id(value, "L'identifiant").unwrap_err().code,
                ErrorCode::InvalidNotebookId
            );
        }
    }

    #[test]
    fn identifiers() {
        assert_eq!(
            identifier(" IODAS822920 ", "L'identifiant"),
            Ok("IODAS822920".into())
        );
        assert_eq!(
            identifier("1,23457E+10", "L'identifiant").unwrap_err().code,
            ErrorCode::ScientificNotation
        );
        assert_eq!(
            identifier(&"x".repeat(256), "L'identifiant")
                .unwrap_err()
                .code,
            ErrorCode::TooLong
        );
    }
}
