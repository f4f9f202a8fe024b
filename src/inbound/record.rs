//! The person record every source is turned into before entering the pipeline (the
//! connectors' canonical records, [`cdb_connector::Record`], become these in `canonical.rs`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::Nir;
pub use crate::domain::provenance::SourceKind;

/// Where a record comes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Source {
    /// The kind of source.
    pub kind: SourceKind,
    /// The source system's name, e.g. `partner:cdb_abc`, `cafmsa`, `departement:iodas`.
    pub system: String,
    /// The record's id in that system, if it has one.
    pub record_id: Option<String>,
    /// As-of date of the data (not when it reached us).
    pub as_of: DateTime<Utc>,
    /// The person who typed it, for a human source (the timeline's author).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_account_id: Option<Uuid>,
}

/// The fields of a person the pipeline writes; `None` means "this source says nothing about
/// it" (never "clear it").
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PersonFields {
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub place_of_birth: Option<String>,
    pub nir: Option<String>,
    pub caf_organisation: Option<String>,
    pub caf_number: Option<String>,
    pub household_role: Option<String>,
    pub france_travail_id: Option<String>,
    pub external_id: Option<String>,
    pub external_role: Option<String>,
    pub email: Option<String>,
    pub mobile_number: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub right_rsa: Option<String>,
    pub right_are: Option<bool>,
    pub right_ass: Option<bool>,
    pub right_bonus: Option<bool>,
    pub is_homeless: Option<bool>,
    pub subject_to_right_and_duty: Option<bool>,
    pub rsa_suspension_reason: Option<String>,
    pub rsa_closure_reason: Option<String>,
    pub rsa_closure_date: Option<NaiveDate>,
    pub family_situation: Option<String>,
}

/// A person as one source sees them, for one deployment.
#[derive(Debug, Clone, Serialize)]
pub struct PersonRecord {
    /// The deployment the record is for.
    pub deployment_id: Uuid,
    /// Where it comes from.
    pub source: Source,
    /// What it says.
    pub fields: PersonFields,
}

impl PersonRecord {
    /// The NIR of the record, parsed.
    pub fn nir(&self) -> Option<Nir> {
        self.fields
            .nir
            .as_deref()
            .and_then(|nir| Nir::parse(nir).ok())
    }
}

/// A record as kept with a possible match, read back when a person decides.
#[derive(Debug, Clone, Deserialize)]
pub struct StoredRecord {
    /// Where it came from.
    pub source: Source,
    /// What it said.
    pub fields: PersonFields,
}

impl StoredRecord {
    /// The record again, for its deployment.
    pub fn into_record(self, deployment_id: Uuid) -> PersonRecord {
        PersonRecord {
            deployment_id,
            source: self.source,
            fields: self.fields,
        }
    }
}

impl PersonRecord {
    /// The claim this record makes on the fields it sets, written now.
    pub fn claim(&self, now: DateTime<Utc>) -> crate::domain::provenance::SourceClaim {
        crate::domain::provenance::SourceClaim {
            system: self.source.system.clone(),
            record_id: self.source.record_id.clone(),
            as_of: self.source.as_of,
            set_at: now,
        }
    }
}
