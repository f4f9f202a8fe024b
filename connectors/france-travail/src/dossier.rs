//! A person's France Travail dossier as read through the partner APIs, and its canonical
//! records.

use cdb_connector::records::{
    Address, Contact, Diagnostic, Identity, JobSeekerRegistration, Orientation, Record, RecordBody,
};
use cdb_connector::{IdentityKeys, SourceRef, SourceSystem};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::follow_up::Project;
use crate::themes::{self, Focus};

/// One orientation with the key that tells it apart among the person's orientations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrientationEntry {
    /// Creation date and parcours (`2024-10-28-PED`): FT gives orientations no id.
    pub key: String,
    /// The orientation.
    pub orientation: Orientation,
}

/// One answer of a partner API about the person, as received: what the hub keeps versioned
/// (the original's `external_data`). The identification answer, which holds the jeton, is
/// never one.
#[derive(Debug, Clone, PartialEq)]
pub struct RawPayload {
    /// The API that answered (`informations-administratives`, `diagnostic-argumente`…).
    pub api: &'static str,
    /// The answer's JSON.
    pub body: serde_json::Value,
}

/// What France Travail knows of one person (the jeton used to read it is not kept).
#[derive(Debug, Clone, PartialEq)]
pub struct JobSeekerDossier {
    /// The identity keys France Travail gave or confirmed: the subject of every record.
    pub keys: IdentityKeys,
    /// The record id of the dossier's records: the France Travail number when known.
    pub record_id: String,
    /// When the answers were received.
    pub as_of: DateTime<Utc>,
    /// Civil identity (informations administratives).
    pub identity: Option<Identity>,
    /// Phones and email (informations administratives).
    pub contact: Option<Contact>,
    /// Postal address (informations administratives).
    pub address: Option<Address>,
    /// Registration as a job seeker (contrat usager).
    pub registration: Option<JobSeekerRegistration>,
    /// Needs and constraints (diagnostic argumenté).
    pub diagnostic: Option<Diagnostic>,
    /// Job projects under way (diagnostic argumenté); no canonical record kind yet.
    pub projects: Vec<Project>,
    /// Open orientations (lectureOrientation).
    pub orientations: Vec<OrientationEntry>,
    /// The answers as received, one per API that answered.
    pub raw: Vec<RawPayload>,
}

impl JobSeekerDossier {
    /// The record id for a person known by these keys: the France Travail number, else a
    /// digest of the NIR (a NIR is personal data and does not belong in provenance ids).
    pub(crate) fn record_id_for(keys: &IdentityKeys) -> String {
        if let Some(id) = &keys.france_travail_id {
            return id.as_str().to_owned();
        }
        let seed = keys.nir.as_ref().map(|n| n.as_str()).unwrap_or_default();
        let digest = Sha256::digest(seed.as_bytes());
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!("nir-sha256:{hex}")
    }

    /// The source record id under which a raw answer is versioned: the dossier's record id
    /// and the API (`12345678900/informations-administratives`).
    pub fn raw_record_id(&self, payload: &RawPayload) -> String {
        format!("{}/{}", self.record_id, payload.api)
    }

    /// The focuses the diagnostic's constraints open, with carnet-de-bord's themes.
    pub fn focuses(&self) -> Vec<Focus> {
        self.diagnostic
            .as_ref()
            .map(themes::focuses)
            .unwrap_or_default()
    }

    /// The canonical records: identity, contact, address, registration, diagnostic, and one
    /// record per orientation.
    pub fn records(&self, run_id: Option<&str>) -> Vec<Record> {
        let source = |record_id: String| SourceRef {
            system: SourceSystem::FranceTravail,
            record_id,
            as_of: self.as_of,
            run_id: run_id.map(str::to_owned),
        };
        let record = |record_id: String, body: RecordBody| Record {
            source: source(record_id),
            subject: self.keys.clone(),
            body,
        };
        let mut records = Vec::new();
        let bodies = [
            self.identity.clone().map(RecordBody::Identity),
            self.contact.clone().map(RecordBody::Contact),
            self.address.clone().map(RecordBody::Address),
            self.registration
                .clone()
                .map(RecordBody::JobSeekerRegistration),
            self.diagnostic.clone().map(RecordBody::Diagnostic),
        ];
        for body in bodies.into_iter().flatten() {
            records.push(record(self.record_id.clone(), body));
        }
        for entry in &self.orientations {
            records.push(record(
                format!("{}/orientation/{}", self.record_id, entry.key),
                RecordBody::Orientation(entry.orientation.clone()),
            ));
        }
        records
    }
}

#[cfg(test)]
mod tests {
    use cdb_connector::{FranceTravailId, Nir};

    use super::*;

    #[test]
    fn record_ids_never_show_a_nir() {
        let by_number = IdentityKeys {
            france_travail_id: Some(FranceTravailId::parse("12345678900").unwrap()),
            nir: Some(Nir::parse("1041174010081").unwrap()),
            ..IdentityKeys::default()
        };
        assert_eq!(JobSeekerDossier::record_id_for(&by_number), "12345678900");
        let by_nir = IdentityKeys {
            france_travail_id: None,
            ..by_number
        };
        let id = JobSeekerDossier::record_id_for(&by_nir);
        assert!(id.starts_with("nir-sha256:"), "{id}");
        assert!(!id.contains("1041174"), "{id}");
        assert_eq!(id, JobSeekerDossier::record_id_for(&by_nir));
    }
}
