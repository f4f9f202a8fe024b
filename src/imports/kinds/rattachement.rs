//! The rattachement round trip: a structure's administrator exports its pending
//! beneficiaries (`beneficiaires_en_attente.csv`: `id; nom; prénom; date de naissance;
//! emails des professionnels`), fills in the last column and uploads the file again.

use chrono::NaiveDate;

use super::super::headers::ColumnSpec;
use super::super::values::{self, Email, NotebookId};
use super::{Cells, TemplateKind};

/// One beneficiary to give referents (rattachement).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RattachementRow {
    /// The notebook, as exported.
    pub notebook_id: NotebookId,
    /// Last name, as exported (informative only).
    pub lastname: Option<String>,
    /// First name, as exported (informative only).
    pub firstname: Option<String>,
    /// Birth date, as exported (informative only).
    pub date_of_birth: Option<NaiveDate>,
    /// The structure's professionals to make referents.
    pub professional_emails: Vec<Email>,
}

const NOTEBOOK_ID: ColumnSpec = ColumnSpec::new(
    "notebook_id",
    &["id", "Identifiant Carnet de bord", "Identifiant"],
    true,
    "L'identifiant Carnet de bord",
);
const LASTNAME: ColumnSpec = ColumnSpec::new("lastname", &["nom"], false, "Le nom");
const FIRSTNAME: ColumnSpec = ColumnSpec::new("firstname", &["prénom"], false, "Le prénom");
const DATE_OF_BIRTH: ColumnSpec = ColumnSpec::new(
    "date_of_birth",
    &["date de naissance"],
    false,
    "La date de naissance",
);
const PROFESSIONAL_EMAILS: ColumnSpec = ColumnSpec::new(
    "professional_emails",
    &[
        "emails des professionnels",
        "Accompagnateurs",
        "Courriels des professionnels",
    ],
    true,
    "L'accompagnateur",
);

const COLUMNS: &[ColumnSpec] = &[
    NOTEBOOK_ID,
    LASTNAME,
    FIRSTNAME,
    DATE_OF_BIRTH,
    PROFESSIONAL_EMAILS,
];

/// The rattachement import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rattachements;

impl TemplateKind for Rattachements {
    type Row = RattachementRow;

    fn columns(&self) -> &'static [ColumnSpec] {
        COLUMNS
    }

    fn parse(&self, c: &mut Cells<'_>) -> Option<RattachementRow> {
        let notebook_id = c.get(&NOTEBOOK_ID, values::notebook_id);
        // The names come from the database: any text is fine, they are not used.
        let lastname = c.get(&LASTNAME, values::text);
        let firstname = c.get(&FIRSTNAME, values::text);
        let date_of_birth = c.get(&DATE_OF_BIRTH, values::date);
        let professional_emails = c.list(&PROFESSIONAL_EMAILS, values::email_list);
        Some(RattachementRow {
            notebook_id: notebook_id?,
            lastname,
            firstname,
            date_of_birth,
            professional_emails: professional_emails?,
        })
    }
}
