//! What France Travail says about a person's follow-up that canonical records have no kind
//! for yet: job projects and the referent adviser.

use cdb_connector::records::{Email, StructureRef, Title};
use serde::{Deserialize, Serialize};

/// A job project (projet professionnel, métier recherché).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// ROME code of the job (`F1204`), when given.
    pub rome_code: Option<String>,
    /// Label of the job or of its ROME appellation (`Boulanger`).
    pub label: Option<String>,
    /// Marked as the priority project (estPrioritaire).
    pub priority: bool,
}

/// The person's referent adviser at France Travail (référent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referent {
    /// Civility.
    pub title: Option<Title>,
    /// Last name.
    pub last_name: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Email, the key carnet-de-bord matches professionals on.
    pub email: Option<Email>,
    /// The agency following the person (structure de suivi, code SAFIR).
    pub structure: Option<StructureRef>,
}
