//! Translating a household into the hub's canonical records, one set per person.

use std::collections::HashMap;

use cdb_connector::identity::{CafMsaKey, IdentityKeys, NameAndBirth};
use cdb_connector::records::{Identity, Record, RecordBody, RsaRights};
use cdb_connector::source::{SourceRef, SourceSystem};

use crate::header::FluxHeader;
use crate::household::{Household, Person};

impl Household {
    /// The canonical records of every person: identity, address, family situation (when
    /// known) and RSA rights, stamped with the file's creation time and `run_id`.
    pub fn records(&self, header: &FluxHeader, run_id: Option<&str>) -> Vec<Record> {
        let as_of = header.created_at_utc();
        let mut seen_roles: HashMap<&str, usize> = HashMap::new();
        let mut records = Vec::with_capacity(self.persons.len() * 4);
        for person in &self.persons {
            // A role repeats for children (and, in some files, for both adults): the n-th
            // person with a role gets `-n` so that every person has its own record id.
            let rank = seen_roles.entry(person.role_code.as_str()).or_default();
            *rank += 1;
            let role = if person.role_code.is_empty() {
                "?"
            } else {
                person.role_code.as_str()
            };
            let record_id = match *rank {
                1 => format!("{}-{role}", self.file_key),
                n => format!("{}-{role}-{n}", self.file_key),
            };
            let source = SourceRef {
                system: SourceSystem::CafMsa,
                record_id,
                as_of,
                run_id: run_id.map(str::to_owned),
            };
            let subject = self.identity_keys(person);
            for body in self.bodies(person) {
                records.push(Record {
                    source: source.clone(),
                    subject: subject.clone(),
                    body,
                });
            }
        }
        records
    }

    /// The identity keys of a person of this household: NIR, CAF/MSA key, names + birth.
    pub fn identity_keys(&self, person: &Person) -> IdentityKeys {
        let caf_msa = match (&self.organisation, &self.matricule) {
            (Some(organisation), Some(matricule)) => Some(CafMsaKey {
                organisation: organisation.clone(),
                matricule: matricule.clone(),
                role: person.role,
            }),
            _ => None,
        };
        let name_and_birth = match (person.first_names.first(), person.birth_date) {
            (Some(first_name), Some(birth_date)) if !person.last_name.is_empty() => {
                Some(NameAndBirth {
                    first_name: first_name.clone(),
                    last_name: person.last_name.clone(),
                    birth_date,
                })
            }
            _ => None,
        };
        IdentityKeys {
            nir: person.nir.clone(),
            caf_msa,
            france_travail_id: None,
            departement: None,
            name_and_birth,
        }
    }

    fn bodies(&self, person: &Person) -> Vec<RecordBody> {
        let mut bodies = Vec::with_capacity(4);
        bodies.push(RecordBody::Identity(Identity {
            title: person.title,
            last_name: person.last_name.clone(),
            birth_name: Some(person.birth_name.clone()).filter(|name| !name.is_empty()),
            first_names: person.first_names.clone(),
            birth_date: person.birth_date,
            birth_place: Some(person.birth_place.clone()).filter(|place| !place.is_empty()),
            sex: person.sex,
        }));
        let mut address = self
            .current_address()
            .map(|current| current.address.clone())
            .unwrap_or_default();
        address.no_fixed_address = Some(self.rights.no_fixed_address);
        bodies.push(RecordBody::Address(address));
        if let Some(family) = &self.family {
            bodies.push(RecordBody::FamilySituation(family.clone()));
        }
        bodies.push(RecordBody::RsaRights(RsaRights {
            state: self.rights.state,
            suspension: self.payment_suspension(),
            closure: self.closure(),
            subject_to_rights_and_duties: person.subject_to_rights_and_duties,
            entrant: person.entrant,
        }));
        bodies
    }
}
