//! Professionals of one structure (`import_professionnels.csv`), imported by its
//! administrator; the e2e file writes the headers in lowercase.

use super::super::headers::ColumnSpec;
use super::super::values::{self, Email, PhoneNumber};
use super::{Cells, TemplateKind};

/// One professional (professionnel) to invite into the structure.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProfessionalRow {
    /// E-mail, the account key.
    pub email: Email,
    /// First name.
    pub firstname: String,
    /// Last name.
    pub lastname: String,
    /// Mobile phone number.
    pub mobile_number: Option<PhoneNumber>,
    /// Job title (fonction).
    pub position: Option<String>,
}

const EMAIL: ColumnSpec = ColumnSpec::new(
    "email",
    &["Courriel", "Email", "E-mail"],
    true,
    "Le courriel",
);
const FIRSTNAME: ColumnSpec = ColumnSpec::new("firstname", &["Prénom"], true, "Le prénom");
const LASTNAME: ColumnSpec = ColumnSpec::new("lastname", &["Nom"], true, "Le nom");
const MOBILE_NUMBER: ColumnSpec = ColumnSpec::new(
    "mobile_number",
    &["Téléphone", "Téléphone portable"],
    false,
    "Le téléphone",
);
const POSITION: ColumnSpec = ColumnSpec::new("position", &["Fonction"], false, "La fonction");

const COLUMNS: &[ColumnSpec] = &[EMAIL, FIRSTNAME, LASTNAME, MOBILE_NUMBER, POSITION];

/// The professionals import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Professionals;

impl TemplateKind for Professionals {
    type Row = ProfessionalRow;

    fn columns(&self) -> &'static [ColumnSpec] {
        COLUMNS
    }

    fn parse(&self, c: &mut Cells<'_>) -> Option<ProfessionalRow> {
        let email = c.get(&EMAIL, values::email);
        let firstname = c.get(&FIRSTNAME, values::name);
        let lastname = c.get(&LASTNAME, values::name);
        let mobile_number = c.get(&MOBILE_NUMBER, values::phone);
        let position = c.get(&POSITION, values::text);
        Some(ProfessionalRow {
            email: email?,
            firstname: firstname?,
            lastname: lastname?,
            mobile_number,
            position,
        })
    }
}
