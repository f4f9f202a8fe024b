//! The person record every source is turned into before entering the pipeline (the
//! connectors' canonical records, [`cdb_connector::Record`], become these in `canonical.rs`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::Nir;
use crate::domain::person::StoredFields;
pub use crate::domain::person::{PersonField, PersonFields};
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
        self.fields.nir.clone()
    }
}

/// A record as kept with a possible match, read back when a person decides.
#[derive(Debug, Clone, Deserialize)]
pub struct StoredRecord {
    /// Where it came from.
    pub source: Source,
    /// What it said (each key read again by its parser).
    pub fields: StoredFields,
}

impl StoredRecord {
    /// The record again, for its deployment.
    pub fn into_record(self, deployment_id: Uuid) -> PersonRecord {
        PersonRecord {
            deployment_id,
            source: self.source,
            fields: self.fields.into_fields(),
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
