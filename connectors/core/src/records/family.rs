//! Family situation of a person's household.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::slug_enum;

slug_enum! {
    /// Marital status (situation de famille, SITFAM).
    pub enum MaritalStatus {
        /// Single (célibataire, `CEL`).
        Single = "single",
        /// Married (mariage, `MAR`).
        Married = "married",
        /// In a civil partnership (PACS, `PAC`).
        CivilPartnership = "civil_partnership",
        /// Living as a couple (vie maritale, `VIM`).
        Cohabiting = "cohabiting",
        /// Divorced (divorcé(e), `DIV`).
        Divorced = "divorced",
        /// Widowed (veuvage, `VEU`).
        Widowed = "widowed",
        /// Separated in fact (séparation de fait, `SEF`).
        Separated = "separated",
        /// Legally separated (séparation légale, `SEL`).
        LegallySeparated = "legally_separated",
        /// Alone after living as a couple or a PACS (isolement, `ISO`).
        AloneAfterCouple = "alone_after_couple",
        /// Resumed married life (reprise mariage, `RVM`).
        ResumedMarriage = "resumed_marriage",
        /// Resumed living as a couple (reprise vie maritale, `RVC`).
        ResumedCohabitation = "resumed_cohabitation",
        /// Resumed life together in a PACS (reprise vie commune sur PACS, `RPA`).
        ResumedCivilPartnership = "resumed_civil_partnership",
        /// Missing, declared absent by a court (disparu, jugement d'absence, `ABA`).
        DeclaredAbsent = "declared_absent",
    }
}

/// The household's family situation as the source knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilySituation {
    /// Marital status.
    pub status: MaritalStatus,
    /// Since when (date de début de la situation).
    pub since: Option<NaiveDate>,
    /// Number of dependent children and other dependants (enfants et autres à charge).
    pub dependants: Option<u16>,
}
