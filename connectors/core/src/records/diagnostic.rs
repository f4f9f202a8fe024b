//! Social and professional diagnostic: needs and constraints (diagnostic socio-professionnel).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::slug_enum;

slug_enum! {
    /// What a diagnostic item describes.
    pub enum DiagnosticItemKind {
        /// A need for the job search (besoin).
        Need = "need",
        /// A personal constraint: mobility, housing, health… (contrainte, frein).
        Constraint = "constraint",
        /// A situation describing a constraint (situation).
        Situation = "situation",
        /// A goal set to lift a constraint (objectif).
        Goal = "goal",
    }
}

/// One item of a diagnostic, in the source's own code list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticItem {
    /// What the item describes.
    pub kind: DiagnosticItemKind,
    /// Code in the source's list (e.g. France Travail constraint `27`, logement).
    pub code: String,
    /// Human label from the source.
    pub label: String,
    /// Assessment as the source writes it (`OUI`, `BESOIN`, `POINT_FORT`, `EN_COURS`…).
    pub value: String,
    /// Code of the item this one details (a constraint's situations and goals).
    pub parent_code: Option<String>,
}

/// A diagnostic as a whole; a newer one replaces the previous one from the same source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// When the source last changed it.
    pub updated_on: Option<NaiveDate>,
    /// The items.
    pub items: Vec<DiagnosticItem>,
}
