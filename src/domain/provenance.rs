//! Who set each field of a person: kept with the person's row (column `provenance`), as the
//! source records that set at least one field and, for each field, which of them set it.
//!
//! One record usually sets many fields at once: a file's line sets fifteen. Keeping the record
//! once and a small index per field makes the provenance of a new person a few hundred bytes
//! of its own row, where a row per field made files of new people write 1.3 million rows for
//! 110,000 people.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Kinds of sources, which the merge rules rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// CAF/MSA (the RSA paying bodies): authoritative for rights.
    CafMsa,
    /// France Travail: authoritative for the job-seeker registration.
    FranceTravail,
    /// A département's information system (files, connector).
    Departement,
    /// A partner information system through the API.
    Partner,
    /// A person typing in Carnet de bord (professional, manager, the beneficiary).
    Human,
}

/// Who set a field, and as of when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// Kind of the source that set it.
    pub kind: SourceKind,
    /// Its system name.
    pub system: String,
    /// As-of date of the data.
    pub as_of: DateTime<Utc>,
}

/// The kind of a source from its recorded system name.
pub fn kind_of_system(system: &str) -> SourceKind {
    match system.split(':').next().unwrap_or_default() {
        "cafmsa" => SourceKind::CafMsa,
        "france_travail" => SourceKind::FranceTravail,
        "departement" => SourceKind::Departement,
        "human" => SourceKind::Human,
        _ => SourceKind::Partner,
    }
}

/// A source's record that set fields of a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceClaim {
    /// The source system's name.
    pub system: String,
    /// The record's id in that system, when it has one.
    pub record_id: Option<String>,
    /// The as-of date of the record's data.
    pub as_of: DateTime<Utc>,
    /// When the hub wrote the fields.
    pub set_at: DateTime<Utc>,
}

/// The provenance of a person's fields, as stored in their row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSources {
    /// The claims that set at least one field.
    #[serde(default)]
    sources: Vec<SourceClaim>,
    /// Each field that has a source, with the position of its claim in `sources`.
    #[serde(default)]
    fields: BTreeMap<String, usize>,
}

impl FieldSources {
    /// The provenance of a person whose fields were all set by one claim.
    pub fn new(claim: SourceClaim, fields: impl IntoIterator<Item = String>) -> Self {
        let mut sources = Self::default();
        sources.set(claim, fields);
        sources
    }

    /// Reads the stored column (a missing or unreadable one has no source for any field).
    pub fn from_json(value: Option<&serde_json::Value>) -> Self {
        value
            .and_then(|value| serde_json::from_value(value.clone()).ok())
            .unwrap_or_default()
    }

    /// The column's value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Records that the claim set these fields; claims that no longer set any are dropped.
    pub fn set(&mut self, claim: SourceClaim, fields: impl IntoIterator<Item = String>) {
        let position = match self.sources.iter().position(|known| *known == claim) {
            Some(position) => position,
            None => {
                self.sources.push(claim);
                self.sources.len() - 1
            }
        };
        for field in fields {
            self.fields.insert(field, position);
        }
        self.drop_unused();
    }

    fn drop_unused(&mut self) {
        let used: Vec<bool> = (0..self.sources.len())
            .map(|i| self.fields.values().any(|&position| position == i))
            .collect();
        if used.iter().all(|used| *used) {
            return;
        }
        let mut renumbered = Vec::with_capacity(used.len());
        let mut next = 0;
        for used in &used {
            renumbered.push(next);
            if *used {
                next += 1;
            }
        }
        let mut index = 0;
        self.sources.retain(|_| {
            let keep = used[index];
            index += 1;
            keep
        });
        for position in self.fields.values_mut() {
            *position = renumbered[*position];
        }
    }

    /// The claim that set a field, if any.
    pub fn claim(&self, field: &str) -> Option<&SourceClaim> {
        self.fields
            .get(field)
            .and_then(|&position| self.sources.get(position))
    }

    /// Who set a field, for the merge rules.
    pub fn owner(&self, field: &str) -> Option<Provenance> {
        self.claim(field).map(|claim| Provenance {
            kind: kind_of_system(&claim.system),
            system: claim.system.clone(),
            as_of: claim.as_of,
        })
    }

    /// Every field that has a source with its claim, by field name.
    pub fn each(&self) -> impl Iterator<Item = (&str, &SourceClaim)> {
        self.fields.iter().filter_map(|(field, &position)| {
            self.sources
                .get(position)
                .map(|claim| (field.as_str(), claim))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn claim(system: &str, day: u32) -> SourceClaim {
        let date = Utc.with_ymd_and_hms(2026, 11, day, 0, 0, 0).unwrap();
        SourceClaim {
            system: system.into(),
            record_id: Some(format!("{system}-1")),
            as_of: date,
            set_at: date,
        }
    }

    fn names(fields: &[&str]) -> Vec<String> {
        fields.iter().map(|field| (*field).to_owned()).collect()
    }

    #[test]
    fn one_record_is_kept_once_for_all_its_fields() {
        let sources = FieldSources::new(claim("import", 1), names(&["firstname", "city"]));
        assert_eq!(sources.sources.len(), 1);
        assert_eq!(sources.claim("city"), Some(&claim("import", 1)));
        assert_eq!(sources.claim("nir"), None);
        let json = sources.to_json();
        assert_eq!(json["fields"]["firstname"], 0);
        assert_eq!(FieldSources::from_json(Some(&json)), sources);
    }

    #[test]
    fn a_claim_that_no_longer_sets_any_field_is_dropped_and_the_others_renumbered() {
        let mut sources = FieldSources::new(claim("import", 1), names(&["city"]));
        sources.set(claim("cafmsa:26", 2), names(&["right_rsa"]));
        sources.set(claim("france_travail", 3), names(&["email"]));
        sources.set(claim("human", 4), names(&["city"]));
        assert_eq!(sources.sources.len(), 3);
        assert_eq!(sources.claim("right_rsa"), Some(&claim("cafmsa:26", 2)));
        assert_eq!(sources.claim("email"), Some(&claim("france_travail", 3)));
        assert_eq!(sources.claim("city"), Some(&claim("human", 4)));
        let owner = sources.owner("right_rsa").unwrap();
        assert_eq!(owner.system, "cafmsa:26");
        assert_eq!(
            sources.each().map(|(field, _)| field).collect::<Vec<_>>(),
            ["city", "email", "right_rsa"]
        );
    }

    #[test]
    fn the_same_claim_again_is_not_repeated() {
        let mut sources = FieldSources::new(claim("import", 1), names(&["city"]));
        sources.set(claim("import", 1), names(&["email"]));
        assert_eq!(sources.sources.len(), 1);
    }

    #[test]
    fn an_empty_or_unreadable_column_has_no_sources() {
        assert_eq!(
            FieldSources::from_json(Some(&serde_json::json!({}))),
            FieldSources::default()
        );
        assert_eq!(
            FieldSources::from_json(Some(&serde_json::json!("x"))),
            FieldSources::default()
        );
        assert_eq!(FieldSources::from_json(None), FieldSources::default());
    }
}
