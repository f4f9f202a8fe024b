//! Merge with per-field provenance: for each field a record brings, decide from the field's
//! current value and the source that set it whether the record's value wins. Pure rules.

use chrono::{DateTime, Utc};

use super::record::{PersonField, SourceKind};
pub use crate::domain::provenance::Provenance;

/// The rule of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Identity pivots (NIR, birth date): set once; a disagreement is a conflict for a person
    /// to resolve, never an overwrite.
    Pivot,
    /// Owned by one kind of source (RSA rights: CAF/MSA; job-seeker id: France Travail): other
    /// sources fill it only while the owner has not spoken.
    OwnedBy(SourceKind),
    /// Contact details: the most recent entry wins, and a person's own entry beats machines'
    /// entries of the same age or older.
    LatestHumanFirst,
    /// Everything else: the most recent data wins.
    Latest,
}

/// The rule of each field (every field named: a new one must be given its rule).
pub fn rule(field: PersonField) -> Rule {
    use PersonField as F;
    match field {
        F::Nir | F::DateOfBirth => Rule::Pivot,
        F::RightRsa
        | F::RightAre
        | F::RightAss
        | F::RightBonus
        | F::SubjectToRightAndDuty
        | F::RsaSuspensionReason
        | F::RsaClosureReason
        | F::RsaClosureDate
        | F::CafOrganisation
        | F::CafNumber
        | F::HouseholdRole
        | F::FamilySituation
        | F::IsHomeless => Rule::OwnedBy(SourceKind::CafMsa),
        F::FranceTravailId => Rule::OwnedBy(SourceKind::FranceTravail),
        F::Email | F::MobileNumber | F::Address1 | F::Address2 | F::PostalCode | F::City => {
            Rule::LatestHumanFirst
        }
        F::Firstname | F::Lastname | F::PlaceOfBirth | F::ExternalId | F::ExternalRole => {
            Rule::Latest
        }
    }
}

/// What to do with one incoming field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Write the incoming value (and its provenance).
    Apply,
    /// The incoming value equals the current one: nothing to write but the provenance.
    Same,
    /// The current value stays.
    Keep,
    /// An identity pivot disagrees: stop and ask a person.
    Conflict,
}

/// Decides for one field.
pub fn decide(
    field: PersonField,
    current: Option<&serde_json::Value>,
    current_provenance: Option<&Provenance>,
    incoming: &serde_json::Value,
    incoming_kind: SourceKind,
    incoming_as_of: DateTime<Utc>,
) -> Decision {
    let current = current.filter(|value| !value.is_null());
    if current == Some(incoming) {
        return Decision::Same;
    }
    let Some(_) = current else {
        return Decision::Apply;
    };
    let Some(provenance) = current_provenance else {
        // A value with no recorded source (created before provenance existed): newer data wins.
        return if rule(field) == Rule::Pivot {
            Decision::Conflict
        } else {
            Decision::Apply
        };
    };
    // Older data never overwrites newer data.
    if incoming_as_of < provenance.as_of {
        return Decision::Keep;
    }
    match rule(field) {
        Rule::Pivot => Decision::Conflict,
        Rule::OwnedBy(owner) if provenance.kind == owner && incoming_kind != owner => {
            Decision::Keep
        }
        Rule::LatestHumanFirst
            if provenance.kind == SourceKind::Human && incoming_kind != SourceKind::Human =>
        {
            Decision::Keep
        }
        _ => Decision::Apply,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0)
            .single()
            .unwrap()
    }

    fn by(kind: SourceKind, day: u32) -> Provenance {
        Provenance {
            kind,
            system: "x".into(),
            as_of: at(day),
        }
    }

    #[test]
    fn an_empty_field_takes_any_value() {
        assert_eq!(
            decide(
                PersonField::Email,
                None,
                None,
                &json!("a@b.fr"),
                SourceKind::Partner,
                at(1)
            ),
            Decision::Apply
        );
        assert_eq!(
            decide(
                PersonField::Nir,
                Some(&json!(null)),
                None,
                &json!("1850375123456"),
                SourceKind::Partner,
                at(1)
            ),
            Decision::Apply
        );
    }

    #[test]
    fn rsa_rights_belong_to_caf_msa() {
        let caf = by(SourceKind::CafMsa, 1);
        let current = json!("rsa_droit_ouvert_versable");
        let incoming = json!("rsa_clos");
        assert_eq!(
            decide(
                PersonField::RightRsa,
                Some(&current),
                Some(&caf),
                &incoming,
                SourceKind::Departement,
                at(5)
            ),
            Decision::Keep
        );
        assert_eq!(
            decide(
                PersonField::RightRsa,
                Some(&current),
                Some(&caf),
                &incoming,
                SourceKind::CafMsa,
                at(5)
            ),
            Decision::Apply
        );
        // Until CAF/MSA speaks, another source may fill it.
        let file = by(SourceKind::Departement, 1);
        assert_eq!(
            decide(
                PersonField::RightRsa,
                Some(&current),
                Some(&file),
                &incoming,
                SourceKind::Partner,
                at(5)
            ),
            Decision::Apply
        );
    }

    #[test]
    fn the_job_seeker_id_belongs_to_france_travail() {
        let ft = by(SourceKind::FranceTravail, 1);
        assert_eq!(
            decide(
                PersonField::FranceTravailId,
                Some(&json!("1")),
                Some(&ft),
                &json!("2"),
                SourceKind::Partner,
                at(9)
            ),
            Decision::Keep
        );
    }

    #[test]
    fn older_data_never_overwrites_newer_data_from_the_same_source() {
        let caf = by(SourceKind::CafMsa, 10);
        assert_eq!(
            decide(
                PersonField::RightRsa,
                Some(&json!("a")),
                Some(&caf),
                &json!("b"),
                SourceKind::CafMsa,
                at(9)
            ),
            Decision::Keep
        );
        let file = by(SourceKind::Departement, 10);
        assert_eq!(
            decide(
                PersonField::City,
                Some(&json!("Valence")),
                Some(&file),
                &json!("Die"),
                SourceKind::Departement,
                at(9)
            ),
            Decision::Keep
        );
    }

    #[test]
    fn pivots_are_never_overwritten_silently() {
        let file = by(SourceKind::Departement, 1);
        assert_eq!(
            decide(
                PersonField::DateOfBirth,
                Some(&json!("1980-01-01")),
                Some(&file),
                &json!("1981-01-01"),
                SourceKind::CafMsa,
                at(2)
            ),
            Decision::Conflict
        );
        assert_eq!(
            decide(
                PersonField::Nir,
                Some(&json!("1")),
                None,
                &json!("2"),
                SourceKind::CafMsa,
                at(2)
            ),
            Decision::Conflict
        );
        assert_eq!(
            decide(
                PersonField::Nir,
                Some(&json!("1")),
                Some(&file),
                &json!("1"),
                SourceKind::CafMsa,
                at(2)
            ),
            Decision::Same
        );
    }

    #[test]
    fn a_persons_own_contact_entry_beats_machines() {
        let typed = by(SourceKind::Human, 5);
        assert_eq!(
            decide(
                PersonField::Email,
                Some(&json!("me@x.fr")),
                Some(&typed),
                &json!("old@x.fr"),
                SourceKind::Departement,
                at(6)
            ),
            Decision::Keep
        );
        assert_eq!(
            decide(
                PersonField::Email,
                Some(&json!("me@x.fr")),
                Some(&typed),
                &json!("new@x.fr"),
                SourceKind::Human,
                at(6)
            ),
            Decision::Apply
        );
        let machine = by(SourceKind::Departement, 5);
        assert_eq!(
            decide(
                PersonField::Email,
                Some(&json!("a@x.fr")),
                Some(&machine),
                &json!("b@x.fr"),
                SourceKind::Partner,
                at(6)
            ),
            Decision::Apply
        );
    }
}
