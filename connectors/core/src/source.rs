//! Where a record comes from: the provenance every canonical record carries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A system that records come from or operations go to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceSystem {
    /// The CAF/MSA flux (CNAF Cristal, MSA Agora).
    CafMsa,
    /// France Travail APIs and extract files.
    FranceTravail,
    /// A département's SI, read through one of its mapping profiles.
    Departement {
        /// Name of the mapping profile that read the export (e.g. `iodas`, `cdb-template`).
        profile: String,
    },
    /// A partner calling the hub's API with its own client credentials.
    PartnerApi {
        /// The API client's identifier.
        client_id: String,
    },
    /// The hub itself (entries by its users, computed fields).
    Hub,
}

/// The provenance of a record: system, id there, as-of time of the data, and run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourceRef {
    /// The system the record comes from.
    pub system: SourceSystem,
    /// The record's id in that system (a file key, a row id, an API id).
    pub record_id: String,
    /// When the source's data was true: file creation time, API response time…
    pub as_of: DateTime<Utc>,
    /// The run, upload or file that carried the record, when there is one.
    pub run_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systems_serialise_with_a_kind_tag() {
        let departement = SourceSystem::Departement {
            profile: "iodas".to_owned(),
        };
        assert_eq!(
            serde_json::to_string(&departement).unwrap(),
            r#"{"kind":"departement","profile":"iodas"}"#
        );
        assert_eq!(
            serde_json::to_string(&SourceSystem::CafMsa).unwrap(),
            r#"{"kind":"caf_msa"}"#
        );
    }
}
