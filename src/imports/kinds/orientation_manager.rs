//! Orientation managers (`import_charges_orientation.csv` / `.xls` / `.xlsx`). The original
//! swapped first and last names; here each goes where its header says.

use super::super::headers::ColumnSpec;
use super::super::values::{self, Email, PhoneNumber};
use super::{Cells, TemplateKind};

/// One orientation manager (chargé d'orientation) to create.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrientationManagerRow {
    /// E-mail, the account key.
    pub email: Email,
    /// First name.
    pub firstname: Option<String>,
    /// Last name.
    pub lastname: Option<String>,
    /// Phone numbers.
    pub phone_numbers: Vec<PhoneNumber>,
}

const EMAIL: ColumnSpec = ColumnSpec::new(
    "email",
    &["Courriel", "Email", "E-mail"],
    true,
    "Le courriel",
);
const FIRSTNAME: ColumnSpec = ColumnSpec::new("firstname", &["Prénom"], false, "Le prénom");
const LASTNAME: ColumnSpec = ColumnSpec::new("lastname", &["Nom"], false, "Le nom");
const PHONES: ColumnSpec = ColumnSpec::new(
    "phone_numbers",
    &["Téléphones", "Téléphone"],
    false,
    "Le téléphone",
);

const COLUMNS: &[ColumnSpec] = &[EMAIL, FIRSTNAME, LASTNAME, PHONES];

/// The orientation managers import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrientationManagers;

impl TemplateKind for OrientationManagers {
    type Row = OrientationManagerRow;

    fn columns(&self) -> &'static [ColumnSpec] {
        COLUMNS
    }

    fn parse(&self, c: &mut Cells<'_>) -> Option<OrientationManagerRow> {
        let email = c.get(&EMAIL, values::email);
        let firstname = c.get(&FIRSTNAME, values::name);
        let lastname = c.get(&LASTNAME, values::name);
        let phone_numbers = c.list(&PHONES, values::phone_list);
        Some(OrientationManagerRow {
            email: email?,
            firstname,
            lastname,
            phone_numbers: phone_numbers?,
        })
    }
}
