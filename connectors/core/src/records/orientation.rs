//! Orientation of a person towards a kind of follow-up (orientation, parcours).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::slug_enum;

slug_enum! {
    /// Kind of follow-up, with the carnet-de-bord `orientation_type` ids.
    pub enum OrientationKind {
        /// Towards employment (France Travail `PED`).
        Professional = "pro",
        /// Socio-professional (France Travail `PSO`).
        SocioProfessional = "sociopro",
        /// Social (France Travail `PSP`).
        Social = "social",
    }
}

slug_enum! {
    /// Where an orientation stands.
    pub enum OrientationStatus {
        /// Proposed, not decided yet.
        Proposed = "proposed",
        /// Decided and in force.
        Decided = "decided",
        /// Refused by the deciding body.
        Refused = "refused",
        /// Ended (the person left the parcours).
        Ended = "ended",
    }
}

/// A structure as a source names it (referent organisation, agency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StructureRef {
    /// The source's code for it (SAFIR, SIRET, Aurore…).
    pub code: Option<String>,
    /// Its name.
    pub name: Option<String>,
}

/// An orientation decision or proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Orientation {
    /// Kind of follow-up, when the source's value maps to one.
    pub kind: Option<OrientationKind>,
    /// Where it stands.
    pub status: OrientationStatus,
    /// Structure in charge of the follow-up.
    pub structure: Option<StructureRef>,
    /// Date of the decision.
    pub decided_on: Option<NaiveDate>,
    /// Start of the parcours.
    pub started_on: Option<NaiveDate>,
    /// End of the parcours.
    pub ended_on: Option<NaiveDate>,
    /// Origin as the source writes it (e.g. `INSCRIPTION_AUTO_CAF`).
    pub origin: Option<String>,
}
