//! The `actions` extract: the actions France Travail prescribed to job seekers (trainings,
//! workshops, services), linked to `principal` rows by `identifiant_unique_de`.

use chrono::NaiveDate;

use super::cells::Cells;
use super::{ActionCategories, ExtractKind, RowProblem};
use crate::themes::FocusTheme;

/// The label whose `date_realisation_action` is not its event date (carnet-de-bord's rule).
const TRAINING_IN_FIELD: &str = "UNE FORMATION DANS LE DOMAINE SUIVANT";

/// One row of the `actions` extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRow {
    /// `identifiant_unique_de`: the person's key in the `principal` extract.
    pub person_key: String,
    /// `codeaction`.
    pub code: Option<String>,
    /// `lblaction`: the label, the key of the categorisation.
    pub label: String,
    /// `objectif_formation`.
    pub training_goal: Option<String>,
    /// `date_prescription`.
    pub prescribed_on: Option<NaiveDate>,
    /// `date_realisation_action`.
    pub carried_out_on: Option<NaiveDate>,
    /// `date_prev_debut`: planned start.
    pub planned_start_on: Option<NaiveDate>,
    /// `date_debut`.
    pub started_on: Option<NaiveDate>,
    /// `date_fin`.
    pub ended_on: Option<NaiveDate>,
    /// `formation`: the training's label.
    pub training: Option<String>,
    /// `adr.dc_commune_id`: where it takes place.
    pub commune_id: Option<String>,
}

impl ExtractKind for ActionRow {
    const REQUIRED: &'static [&'static str] = &["identifiant_unique_de", "lblaction"];

    fn read(cells: &Cells<'_>) -> Result<Self, RowProblem> {
        Ok(Self {
            person_key: cells.required("identifiant_unique_de")?,
            code: cells.text("codeaction")?,
            label: cells.required("lblaction")?,
            training_goal: cells.text("objectif_formation")?,
            prescribed_on: cells.date("date_prescription")?,
            carried_out_on: cells.date("date_realisation_action")?,
            planned_start_on: cells.date("date_prev_debut")?,
            started_on: cells.date("date_debut")?,
            ended_on: cells.date("date_fin")?,
            training: cells.text("formation")?,
            commune_id: cells.text("adr.dc_commune_id")?,
        })
    }
}

impl ActionRow {
    /// The date of the action's event, by carnet-de-bord's rule: when it was carried out
    /// (if it has ended, and is not a "training in the following field"), else when it
    /// ended, else when it was prescribed.
    pub fn event_date(&self) -> Option<NaiveDate> {
        let field_training = self.label.trim().eq_ignore_ascii_case(TRAINING_IN_FIELD);
        match (self.carried_out_on, self.ended_on) {
            (Some(carried_out), Some(_)) if !field_training => Some(carried_out),
            (_, Some(ended)) => Some(ended),
            _ => self.prescribed_on,
        }
    }

    /// The focus theme of the action.
    pub fn theme(&self, categories: &ActionCategories) -> Option<FocusTheme> {
        categories.theme(&self.label)
    }
}
