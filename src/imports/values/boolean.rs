//! Yes/no answers. The 2024 service turned any unexpected text into "no answer" without a
//! word; here anything not understood is an error the agent sees.

use super::{CellError, ErrorCode};
use cdb_connector::text::fold;

/// Parses Oui/Non, O/N, Vrai/Faux (what Excel shows for a boolean cell), true/false, 1/0.
pub fn boolean(raw: &str, label: &str) -> Result<bool, CellError> {
    match fold(raw).as_str() {
        "oui" | "o" | "vrai" | "true" | "1" => Ok(true),
        "non" | "n" | "faux" | "false" | "0" => Ok(false),
        _ => Err(CellError::new(
            ErrorCode::InvalidBoolean,
            format!(
                "{label} « {} » n'est pas une réponse comprise : écrivez Oui ou Non",
                raw.trim()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_and_no_in_every_accepted_spelling() {
        for yes in ["Oui", "OUI", " oui ", "O", "o", "VRAI", "true", "TRUE", "1"] {
            assert_eq!(boolean(yes, "Le droit ARE"), Ok(true), "{yes}");
        }
        for no in ["Non", "NON", "non", "N", "n", "FAUX", "false", "0"] {
            assert_eq!(boolean(no, "Le droit ARE"), Ok(false), "{no}");
        }
    }

    #[test]
    fn anything_else_is_an_error() {
        for value in ["peut-être", "2", "yes", "ouii", "-", "?", "x"] {
            let error = boolean(value, "Le droit ARE").unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidBoolean, "{value}");
        }
        assert_eq!(
            boolean("En cours", "La RQTH").unwrap_err().message,
            "La RQTH « En cours » n'est pas une réponse comprise : écrivez Oui ou Non"
        );
    }
}
