//! Re-orientations (`import_reorientation.csv`): for a beneficiary found by name and birth
//! date, the referents to add or remove and the structures to attach.

use chrono::NaiveDate;

use super::super::headers::ColumnSpec;
use super::super::values::{self, Email};
use super::{Cells, TemplateKind};

/// One re-orientation (réorientation).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReorientationRow {
    /// First name of the beneficiary.
    pub firstname: String,
    /// Last name of the beneficiary.
    pub lastname: String,
    /// Birth date of the beneficiary.
    pub date_of_birth: NaiveDate,
    /// Professionals to add as referents (accompagnateurs à ajouter).
    pub advisors_to_add: Vec<Email>,
    /// Professionals to remove (accompagnateurs à supprimer).
    pub advisors_to_remove: Vec<Email>,
    /// Structures to attach (structures à rattacher).
    pub structures: Vec<String>,
}

const FIRSTNAME: ColumnSpec = ColumnSpec::new("firstname", &["Prénom"], true, "Le prénom");
const LASTNAME: ColumnSpec = ColumnSpec::new("lastname", &["Nom"], true, "Le nom");
const DATE_OF_BIRTH: ColumnSpec = ColumnSpec::new(
    "date_of_birth",
    &["Date de naissance"],
    true,
    "La date de naissance",
);
const ADD: ColumnSpec = ColumnSpec::new(
    "advisors_to_add",
    &["Accompagnateurs à ajouter", "Accompagnateur à ajouter"],
    false,
    "L'accompagnateur à ajouter",
);
const REMOVE: ColumnSpec = ColumnSpec::new(
    "advisors_to_remove",
    &[
        "Accompagnateurs à supprimer",
        "Accompagnateurs à enlever",
        "Accompagnateur à supprimer",
        "Accompagnateur à enlever",
    ],
    false,
    "L'accompagnateur à supprimer",
);
const STRUCTURES: ColumnSpec = ColumnSpec::new(
    "structures",
    &["Structures à rattacher", "Structure à rattacher"],
    false,
    "La structure à rattacher",
);

const COLUMNS: &[ColumnSpec] = &[FIRSTNAME, LASTNAME, DATE_OF_BIRTH, ADD, REMOVE, STRUCTURES];

/// The re-orientations import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reorientations;

impl TemplateKind for Reorientations {
    type Row = ReorientationRow;

    fn columns(&self) -> &'static [ColumnSpec] {
        COLUMNS
    }

    fn parse(&self, c: &mut Cells<'_>) -> Option<ReorientationRow> {
        let firstname = c.get(&FIRSTNAME, values::name);
        let lastname = c.get(&LASTNAME, values::name);
        let date_of_birth = c.get(&DATE_OF_BIRTH, values::date);
        let advisors_to_add = c.list(&ADD, values::email_list);
        let advisors_to_remove = c.list(&REMOVE, values::email_list);
        let structures = c.list(&STRUCTURES, values::text_list);
        Some(ReorientationRow {
            firstname: firstname?,
            lastname: lastname?,
            date_of_birth: date_of_birth?,
            advisors_to_add: advisors_to_add?,
            advisors_to_remove: advisors_to_remove?,
            structures: structures?,
        })
    }
}
