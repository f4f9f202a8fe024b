//! Civil identity of a person.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::slug_enum;

slug_enum! {
    /// Sex as registered (sexe), which the NIR's first digit also encodes.
    pub enum Sex {
        /// Man (code 1).
        Male = "male",
        /// Woman (code 2).
        Female = "female",
    }
}

slug_enum! {
    /// Form of address (civilité, QUAL).
    pub enum Title {
        /// Monsieur.
        Mr = "mr",
        /// Madame (and the obsolete Mademoiselle).
        Mrs = "mrs",
    }
}

/// Civil identity: names, birth and sex (the identity keys are the record's subject).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Form of address (civilité).
    pub title: Option<Title>,
    /// Name in use (nom d'usage).
    pub last_name: String,
    /// Birth name (nom de naissance), when the source gives it.
    pub birth_name: Option<String>,
    /// First names in civil order; the first one is the usual one (prénoms).
    pub first_names: Vec<String>,
    /// Birth date (date de naissance).
    pub birth_date: Option<NaiveDate>,
    /// Birth place as written by the source (commune de naissance).
    pub birth_place: Option<String>,
    /// Sex.
    pub sex: Option<Sex>,
}
