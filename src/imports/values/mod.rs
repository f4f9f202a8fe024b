//! Parsers from the text of one cell to a typed value, or to a [`CellError`] whose French
//! message names the value, so the agent knows what to fix.
//!
//! Every parser takes the raw cell text and the French noun phrase naming the value
//! ("La date de naissance"); they trim the text themselves. Empty cells never reach them:
//! whether a value may be missing is the column's business (see `kinds`).

mod boolean;
mod choices;
mod contact;
mod date;
mod identity;
mod phone;
mod rome;
mod text;

use std::fmt;

pub use boolean::boolean;
pub use choices::{
    ContractType, EducationLevel, EmploymentType, GeographicalArea, ProjectContractType, RsaRight,
    ValueSet, WorkSituation, choice, mobility_area,
};
pub use contact::{
    Email, PostalCode, Siret, Website, email, email_items, email_list, postal_code, siret, website,
};
pub use date::date;
pub use identity::{
    CafMatricule, Nir, NotebookId, caf_number, france_travail_id, identifier, nir, notebook_id,
};
pub use phone::{PhoneNumber, phone, phone_items, phone_list};
pub use rome::{RomeCode, rome, rome_items, rome_list};
pub use text::{name, text, text_items, text_list};

/// The valid items of a list cell, and the error naming its invalid ones (if any): a list
/// whose optional items may be left out, the others kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Items<T> {
    /// The valid items, in the cell's order, each once.
    pub values: Vec<T>,
    /// The error naming the invalid items.
    pub invalid: Option<CellError>,
}

impl<T> Items<T> {
    /// The items if all are valid, else the error.
    pub fn into_result(self) -> Result<Vec<T>, CellError> {
        match self.invalid {
            Some(error) => Err(error),
            None => Ok(self.values),
        }
    }
}

/// Longest text accepted in a cell (the original columns were `varchar(255)`).
pub const MAX_TEXT_CHARS: usize = 255;

/// Machine-readable reason a cell or a row was rejected (stable, serialised in snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A required value is empty.
    Required,
    /// Not a date in any accepted format.
    InvalidDateFormat,
    /// A well-formed date that is not in the calendar (31/02).
    NonexistentDate,
    /// A date before 1900 or after 2100.
    DateOutOfRange,
    /// Not a yes/no answer.
    InvalidBoolean,
    /// Neither a key nor a label of the value set.
    UnknownValue,
    /// Not a French (or international) phone number.
    InvalidPhone,
    /// A NIR of the wrong length.
    InvalidNirLength,
    /// A NIR with characters other than digits (and 2A/2B).
    InvalidNirCharacters,
    /// A NIR whose control key does not match.
    InvalidNirKey,
    /// Not a CAF/MSA allocataire number.
    InvalidCafNumber,
    /// No ROME code found.
    InvalidRome,
    /// Not an e-mail address.
    InvalidEmail,
    /// Not a French postal code.
    InvalidPostalCode,
    /// A name with parentheses (forbidden since the original service).
    NameWithParentheses,
    /// A name with digits or symbols.
    InvalidNameCharacters,
    /// Not a SIRET (14 digits with a valid Luhn key).
    InvalidSiret,
    /// Not a web address.
    InvalidUrl,
    /// Not a Carnet de bord identifier (UUID).
    InvalidNotebookId,
    /// Not a France Travail identifier (11 digits or letters).
    InvalidFranceTravailId,
    /// An identifier Excel turned into scientific notation (`1,2E+13`).
    ScientificNotation,
    /// More characters than the database keeps.
    TooLong,
    /// Several values where one is expected.
    SeveralValues,
    /// A spreadsheet error such as `#N/A` or `#REF!`.
    SpreadsheetError,
    /// A value in a column that has no header (often a value shifted by a stray separator).
    CellWithoutHeader,
}

impl ErrorCode {
    /// Every code, for documentation and tests.
    pub const ALL: [Self; 25] = [
        Self::Required,
        Self::InvalidDateFormat,
        Self::NonexistentDate,
        Self::DateOutOfRange,
        Self::InvalidBoolean,
        Self::UnknownValue,
        Self::InvalidPhone,
        Self::InvalidNirLength,
        Self::InvalidNirCharacters,
        Self::InvalidNirKey,
        Self::InvalidCafNumber,
        Self::InvalidRome,
        Self::InvalidEmail,
        Self::InvalidPostalCode,
        Self::NameWithParentheses,
        Self::InvalidNameCharacters,
        Self::InvalidSiret,
        Self::InvalidUrl,
        Self::InvalidNotebookId,
        Self::InvalidFranceTravailId,
        Self::ScientificNotation,
        Self::TooLong,
        Self::SeveralValues,
        Self::SpreadsheetError,
        Self::CellWithoutHeader,
    ];

    /// The snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::InvalidDateFormat => "invalid_date_format",
            Self::NonexistentDate => "nonexistent_date",
            Self::DateOutOfRange => "date_out_of_range",
            Self::InvalidBoolean => "invalid_boolean",
            Self::UnknownValue => "unknown_value",
            Self::InvalidPhone => "invalid_phone",
            Self::InvalidNirLength => "invalid_nir_length",
            Self::InvalidNirCharacters => "invalid_nir_characters",
            Self::InvalidNirKey => "invalid_nir_key",
            Self::InvalidCafNumber => "invalid_caf_number",
            Self::InvalidRome => "invalid_rome",
            Self::InvalidEmail => "invalid_email",
            Self::InvalidPostalCode => "invalid_postal_code",
            Self::NameWithParentheses => "name_with_parentheses",
            Self::InvalidNameCharacters => "invalid_name_characters",
            Self::InvalidSiret => "invalid_siret",
            Self::InvalidUrl => "invalid_url",
            Self::InvalidNotebookId => "invalid_notebook_id",
            Self::ScientificNotation => "scientific_notation",
            Self::TooLong => "too_long",
            Self::SeveralValues => "several_values",
            Self::SpreadsheetError => "spreadsheet_error",
            Self::CellWithoutHeader => "cell_without_header",
            Self::InvalidFranceTravailId => "invalid_france_travail_id",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why one cell could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{message}")]
pub struct CellError {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Message in French for a département agent, quoting the value.
    pub message: String,
}

impl CellError {
    /// Builds an error.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The error of an empty required value.
    pub fn required(label: &str) -> Self {
        Self::new(ErrorCode::Required, format!("{label} est obligatoire"))
    }
}

/// The error for a cell holding a spreadsheet error value (`#N/A`, `#VALEUR!`…), if it is one.
pub fn spreadsheet_error(raw: &str) -> Option<CellError> {
    const LITERALS: [&str; 15] = [
        "#N/A",
        "#REF!",
        "#VALUE!",
        "#VALEUR!",
        "#DIV/0!",
        "#NAME?",
        "#NOM?",
        "#NUM!",
        "#NOMBRE!",
        "#NULL!",
        "#NUL!",
        "#DATA!",
        "#SPILL!",
        "#CALC!",
        "#GETTING_DATA",
    ];
    let value = raw.trim();
    LITERALS
        .iter()
        .any(|literal| value.eq_ignore_ascii_case(literal))
        .then(|| {
            CellError::new(
                ErrorCode::SpreadsheetError,
                format!(
                    "La cellule contient l'erreur de calcul « {value} » : remplacez la formule \
                     par sa valeur"
                ),
            )
        })
}

/// Whether a text is a number in scientific notation, as Excel writes long numbers
/// (`1,2E+13`, `2.82025E+14`).
fn is_scientific(value: &str) -> bool {
    let value = value.trim();
    let Some((mantissa, exponent)) = value.split_once(['E', 'e']) else {
        return false;
    };
    // Excel writes `1,2E+13` or `1E+13`: a sign or a decimal separator. Without either,
    // digits around an E are an identifier (France Travail ids have a letter in 8th place).
    let signed = exponent.starts_with('+');
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let mut parts = mantissa.splitn(2, [',', '.']);
    let whole = parts.next().unwrap_or("");
    let separated = parts.clone().next().is_some();
    let fraction = parts.next().unwrap_or("0");
    (signed || separated)
        && !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && !exponent.is_empty()
        && exponent.bytes().all(|b| b.is_ascii_digit())
}

/// The error for an identifier that Excel turned into scientific notation.
fn scientific_error(label: &str, value: &str) -> CellError {
    CellError::new(
        ErrorCode::ScientificNotation,
        format!(
            "{label} « {value} » a été transformé par Excel en notation scientifique et ses \
             chiffres sont perdus : mettez la colonne au format Texte et saisissez-le à nouveau"
        ),
    )
}

/// Splits a list typed in one cell on commas, semicolons and line breaks; empty items dropped.
fn split_list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split([',', ';', '\n', '\r'])
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

/// Joins the items of a list error for a message: « a », « b ».
fn quote_all<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items
        .into_iter()
        .map(|item| format!("« {item} »"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_snake_case() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!(
                code.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_')
            );
        }
    }

    #[test]
    fn required_message() {
        let error = CellError::required("La date de naissance");
        assert_eq!(error.code, ErrorCode::Required);
        assert_eq!(error.message, "La date de naissance est obligatoire");
    }

    #[test]
    fn spreadsheet_errors_in_english_and_french() {
        for literal in ["#N/A", "#REF!", "#VALEUR!", "#nom?", " #DIV/0! "] {
            let error = spreadsheet_error(literal).unwrap();
            assert_eq!(error.code, ErrorCode::SpreadsheetError);
        }
        assert_eq!(
            spreadsheet_error("#N/A").unwrap().message,
            "La cellule contient l'erreur de calcul « #N/A » : remplacez la formule par sa valeur"
        );
        assert!(spreadsheet_error("#hashtag").is_none());
        assert!(spreadsheet_error("N/A").is_none());
    }

    #[test]
    fn scientific_notation_is_recognised() {
        for value in ["1,2E+13", "2.82025E+14", "1E+10", "3,5e7"] {
            assert!(is_scientific(value), "{value}");
        }
        for value in [
            "12345678901234",
            "E+13",
            "1,2E",
            "Eric",
            "1,2E+",
            "A1E+3",
            "0020944E934",
        ] {
            assert!(!is_scientific(value), "{value}");
        }
        assert_eq!(
            scientific_error("Le SIRET", "1,2E+13").code,
            ErrorCode::ScientificNotation
        );
    }

    #[test]
    fn lists_split_on_commas_semicolons_and_line_breaks() {
        let items: Vec<&str> = split_list(" a@b.fr, c@d.fr;e@f.fr\n g@h.fr ,, ").collect();
        assert_eq!(items, ["a@b.fr", "c@d.fr", "e@f.fr", "g@h.fr"]);
        assert_eq!(quote_all(["a", "b"]), "« a », « b »");
    }
}
