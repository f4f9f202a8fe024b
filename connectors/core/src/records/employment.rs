//! Registration as a job seeker (inscription à France Travail).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::slug_enum;

slug_enum! {
    /// Where the person stands on the job seekers' list.
    pub enum RegistrationStatus {
        /// Registered (inscrit).
        Registered = "registered",
        /// Not registered.
        NotRegistered = "not_registered",
        /// Registration ended at the person's request or by a change of situation (cessation).
        Ceased = "ceased",
        /// Struck off the list (radiation).
        StruckOff = "struck_off",
    }
}

/// Registration as a job seeker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSeekerRegistration {
    /// Status on the list.
    pub status: RegistrationStatus,
    /// Start of the current or last registration (date d'inscription).
    pub registered_on: Option<NaiveDate>,
    /// Registration category code (catégorie d'inscription, `1`…`5`).
    pub category: Option<String>,
    /// End of the registration (cessation or radiation).
    pub ended_on: Option<NaiveDate>,
    /// Reason code of the end, as the source writes it.
    pub end_reason: Option<String>,
    /// Agency in charge (code SAFIR), when given.
    pub agency_code: Option<String>,
}
