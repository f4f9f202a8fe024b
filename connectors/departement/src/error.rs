//! What can be wrong with a file: its header line ([`HeaderError`]) or one cell of a row
//! ([`CellError`]), with stable codes and French messages an agent can act on.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Machine-readable reason a cell was rejected, serialised as a stable snake_case string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A required value is empty.
    Required,
    /// Not a date in any accepted form.
    InvalidDateFormat,
    /// A well-formed date that is not in the calendar (31/02).
    NonexistentDate,
    /// A date before 1900 or after 2100.
    DateOutOfRange,
    /// Not a phone number.
    InvalidPhone,
    /// Not an e-mail address.
    InvalidEmail,
    /// A NIR of the wrong length.
    InvalidNirLength,
    /// A NIR with characters other than digits (and 2A/2B).
    InvalidNirCharacters,
    /// A NIR whose control key does not match.
    InvalidNirKey,
    /// Not a CAF/MSA matricule (numéro allocataire).
    InvalidCafNumber,
    /// Not a CAF/MSA organisation (`CAF261`, `MSA026`).
    InvalidCafOrganisation,
    /// Not a France Travail identifier.
    InvalidFranceTravailId,
    /// Not a usable identifier of the département's SI.
    InvalidDepartementId,
    /// Not a form of address (civilité).
    UnknownTitle,
    /// Not a sex.
    UnknownSex,
    /// Not a household role.
    UnknownRole,
    /// Not a yes/no answer.
    InvalidBoolean,
    /// Not a state of the RSA right.
    UnknownRsaState,
    /// Not a French postal code.
    InvalidPostalCode,
    /// A « CP Ville » cell without a postal code.
    InvalidPostalCodeCity,
    /// Text with control characters.
    InvalidText,
    /// More characters than the hub keeps.
    TooLong,
    /// An identifier the spreadsheet turned into scientific notation (`1,84E+14`).
    ScientificNotation,
    /// A spreadsheet error such as `#N/A` or `#REF!`.
    SpreadsheetError,
    /// A value in a column without a header (often a row shifted by a stray separator).
    CellWithoutHeader,
    /// The row gives no key the hub can recognise a person by.
    NoIdentityKey,
}

impl ErrorCode {
    /// Every code, for documentation and tests.
    pub const ALL: [Self; 26] = [
        Self::Required,
        Self::InvalidDateFormat,
        Self::NonexistentDate,
        Self::DateOutOfRange,
        Self::InvalidPhone,
        Self::InvalidEmail,
        Self::InvalidNirLength,
        Self::InvalidNirCharacters,
        Self::InvalidNirKey,
        Self::InvalidCafNumber,
        Self::InvalidCafOrganisation,
        Self::InvalidFranceTravailId,
        Self::InvalidDepartementId,
        Self::UnknownTitle,
        Self::UnknownSex,
        Self::UnknownRole,
        Self::InvalidBoolean,
        Self::UnknownRsaState,
        Self::InvalidPostalCode,
        Self::InvalidPostalCodeCity,
        Self::InvalidText,
        Self::TooLong,
        Self::ScientificNotation,
        Self::SpreadsheetError,
        Self::CellWithoutHeader,
        Self::NoIdentityKey,
    ];

    /// The stable snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::InvalidDateFormat => "invalid_date_format",
            Self::NonexistentDate => "nonexistent_date",
            Self::DateOutOfRange => "date_out_of_range",
            Self::InvalidPhone => "invalid_phone",
            Self::InvalidEmail => "invalid_email",
            Self::InvalidNirLength => "invalid_nir_length",
            Self::InvalidNirCharacters => "invalid_nir_characters",
            Self::InvalidNirKey => "invalid_nir_key",
            Self::InvalidCafNumber => "invalid_caf_number",
            Self::InvalidCafOrganisation => "invalid_caf_organisation",
            Self::InvalidFranceTravailId => "invalid_france_travail_id",
            Self::InvalidDepartementId => "invalid_departement_id",
            Self::UnknownTitle => "unknown_title",
            Self::UnknownSex => "unknown_sex",
            Self::UnknownRole => "unknown_role",
            Self::InvalidBoolean => "invalid_boolean",
            Self::UnknownRsaState => "unknown_rsa_state",
            Self::InvalidPostalCode => "invalid_postal_code",
            Self::InvalidPostalCodeCity => "invalid_postal_code_city",
            Self::InvalidText => "invalid_text",
            Self::TooLong => "too_long",
            Self::ScientificNotation => "scientific_notation",
            Self::SpreadsheetError => "spreadsheet_error",
            Self::CellWithoutHeader => "cell_without_header",
            Self::NoIdentityKey => "no_identity_key",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a value cannot be read, before it is placed in a file (line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    /// The stable code.
    pub code: ErrorCode,
    /// The French message, naming the value.
    pub message: String,
}

impl Invalid {
    /// A rejection with its code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// One cell that cannot be understood, located in the file as the agent sees it.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("ligne {line}, colonne « {column} » : {message}")]
pub struct CellError {
    /// The line in the file, as the caller numbers it (the header is usually line 1).
    pub line: u64,
    /// The column's header as written in the file.
    pub column: String,
    /// The cell's text as read.
    pub value: String,
    /// The stable code.
    pub code: ErrorCode,
    /// What is wrong, in French, naming the value (« La date de naissance « 31/02/1990 »
    /// n'existe pas »).
    pub message: String,
}

/// A header cell that matched no column of the profile; its values are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownColumn {
    /// The 0-based position of the column in the header.
    pub position: usize,
    /// The header as written.
    pub header: String,
}

/// Several header cells naming the same column of the profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicatedColumn {
    /// The column as the profile names it first.
    pub expected: String,
    /// The headers found for it, as written.
    pub headers: Vec<String>,
}

/// A header line the profile cannot read: reported, whole, before any row is read.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub struct HeaderError {
    /// The profile that was asked to read the file.
    pub profile: String,
    /// Required columns not found, as the profile names them first.
    pub missing: Vec<String>,
    /// Columns found more than once.
    pub duplicated: Vec<DuplicatedColumn>,
    /// Columns not recognised, listed to help spot a misspelt header.
    pub unknown: Vec<UnknownColumn>,
}

impl HeaderError {
    /// A stable snake_case code for the API.
    pub fn code(&self) -> &'static str {
        if self.missing.is_empty() {
            "duplicated_columns"
        } else {
            "missing_columns"
        }
    }
}

/// `« a », « b »`: the names quoted as the messages quote them.
pub(crate) fn quote_all<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|name| format!("« {name} »"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sentences = Vec::new();
        if !self.missing.is_empty() {
            let plural = if self.missing.len() > 1 { "s" } else { "" };
            sentences.push(format!(
                "Colonne{plural} obligatoire{plural} absente{plural} de la première ligne du \
                 fichier pour le profil « {} » : {}.",
                self.profile,
                quote_all(self.missing.iter().map(String::as_str))
            ));
        }
        for duplicate in &self.duplicated {
            sentences.push(format!(
                "La colonne « {} » apparaît plusieurs fois : {}.",
                duplicate.expected,
                quote_all(duplicate.headers.iter().map(String::as_str))
            ));
        }
        if !self.unknown.is_empty() {
            sentences.push(format!(
                "Colonnes non reconnues : {}.",
                quote_all(self.unknown.iter().map(|u| u.header.as_str()))
            ));
        }
        f.write_str(&sentences.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_match_serde() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code}");
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::from(code.as_str())
            );
        }
    }

    #[test]
    fn header_errors_speak_french() {
        let error = HeaderError {
            profile: "iodas".to_owned(),
            missing: vec!["ID Iodas".to_owned(), "Nom bénéficiaire".to_owned()],
            duplicated: vec![],
            unknown: vec![UnknownColumn {
                position: 3,
                header: "Nom benef".to_owned(),
            }],
        };
        assert_eq!(error.code(), "missing_columns");
        assert_eq!(
            error.to_string(),
            "Colonnes obligatoires absentes de la première ligne du fichier pour le profil \
             « iodas » : « ID Iodas », « Nom bénéficiaire ». Colonnes non reconnues : \
             « Nom benef »."
        );
    }
}
