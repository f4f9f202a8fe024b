//! Normalisers: from the text of one cell to a typed value, or to a French message naming
//! the value so that the agent knows what to fix.
//!
//! Each takes the cell's text and the French noun phrase naming the value (« La date de
//! naissance ») and trims the text itself. Empty cells never reach them: whether a value may
//! be missing is the profile's business.

mod address;
mod choice;
mod date;
mod identity;
mod phone;

pub(crate) use address::{postal_code, postal_code_city};
pub(crate) use choice::{boolean, role, rsa_state, sex, title};
pub(crate) use date::{date, timestamp};
pub(crate) use identity::{
    caf_matricule, caf_organisation, departement_id, emails, france_travail_id, nir,
    scientific_notation,
};
pub(crate) use phone::phones;

use crate::error::{ErrorCode, Invalid};

/// Longest text kept from a cell (the hub's columns were `varchar(255)`).
pub(crate) const MAX_TEXT_CHARS: usize = 255;

/// The error values spreadsheets write in place of a value (English and French Excel).
const SPREADSHEET_ERRORS: [&str; 14] = [
    "#N/A",
    "#N/D",
    "#REF!",
    "#VALUE!",
    "#VALEUR!",
    "#NAME?",
    "#NOM?",
    "#DIV/0!",
    "#NUM!",
    "#NULL!",
    "#NUL!",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
];

/// Free text: trimmed, inner runs of white space made one space, no control characters.
pub(crate) fn text(raw: &str, label: &str) -> Result<String, Invalid> {
    let value = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.chars().any(char::is_control) {
        return Err(Invalid::new(
            ErrorCode::InvalidText,
            format!("{label} contient des caractères de contrôle"),
        ));
    }
    let length = value.chars().count();
    if length > MAX_TEXT_CHARS {
        return Err(Invalid::new(
            ErrorCode::TooLong,
            format!("{label} a {length} caractères : {MAX_TEXT_CHARS} au plus sont gardés"),
        ));
    }
    Ok(value)
}

/// The error a spreadsheet wrote instead of a value (`#N/A`, `#REF!`…), if the cell holds one.
pub(crate) fn spreadsheet_error(raw: &str, label: &str) -> Option<Invalid> {
    let value = raw.trim();
    SPREADSHEET_ERRORS
        .iter()
        .any(|error| value.eq_ignore_ascii_case(error))
        .then(|| {
            Invalid::new(
                ErrorCode::SpreadsheetError,
                format!(
                    "{label} « {value} » est une erreur du tableur, pas une valeur : corrigez la \
                     formule ou recopiez la valeur"
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_checked() {
        assert_eq!(
            text("  Jean   Pierre ", "Le prénom"),
            Ok("Jean Pierre".to_owned())
        );
        assert_eq!(
            text("a\u{7}b", "Le prénom").unwrap_err().code,
            ErrorCode::InvalidText
        );
        assert_eq!(
            text(&"a".repeat(256), "Le nom").unwrap_err().message,
            "Le nom a 256 caractères : 255 au plus sont gardés"
        );
    }

    #[test]
    fn spreadsheet_errors_are_spotted() {
        assert_eq!(
            spreadsheet_error(" #n/a ", "Le NIR").map(|e| e.code),
            Some(ErrorCode::SpreadsheetError)
        );
        assert!(spreadsheet_error("N/A", "Le NIR").is_none());
    }
}
