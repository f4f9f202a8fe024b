//! The bridge from the connectors' canonical records ([`cdb_connector::Record`]) to the
//! pipeline's [`PersonRecord`]s: pure, no database.
//!
//! Records are grouped by (source system, source record id, subject) and each group combines
//! into one person record:
//!
//! * the subject's identity keys give `nir` (13 characters), `caf_organisation`,
//!   `caf_number`, `household_role`, `france_travail_id`, `external_id` and `external_role`;
//!   its names and birth date give `firstname`, `lastname` and `date_of_birth` when no
//!   Identity body of the group says otherwise;
//! * the bodies are applied oldest `as_of` first (input order among equals), so that on a
//!   field two bodies disagree on, the most recent one wins; a body's absent value never
//!   erases another body's value;
//! * Diagnostic, Orientation and Appointment bodies have no beneficiary column and bring no
//!   field; a group made only of them yields no person record at all (it would only create a
//!   stray source link, or be rejected for want of an identity);
//! * JobSeekerRegistration brings no field of its own (no column holds the status, category
//!   or dates): only the subject's France Travail id, like any other body.
//!
//! Values that would break a `beneficiary` CHECK constraint (or that Postgres cannot store,
//! such as a NUL character) are dropped one by one, so that one bad value never costs the
//! whole record; the typed connector values already satisfy them, the checks here are the
//! last guard for free text (names, address lines, city).

use std::collections::HashMap;

use cdb_connector::identity::IdentityKeys;
use cdb_connector::records::{
    Address, Contact, FamilySituation, Identity, PhoneNumber, Record, RecordBody, RsaRights,
};
use cdb_connector::source::SourceSystem;
use uuid::Uuid;

use super::record::{PersonFields, PersonRecord, Source, SourceKind};

/// Turns connector records into one person record per (system, record id, subject) group.
///
/// Groups come out in the order of their first record. When several subjects share one
/// (system, record id) — an IODAS couple under one SI row — each gets the record id suffixed
/// with its household role (`…-DEM`, `…-CJT`) so that the pipeline's source link never
/// sends one person's data to the other; a subject whose role does not tell it apart gets no
/// record id (it is then matched on its identity keys only). A departmental row with a role
/// always carries it in its record id, whether or not the other member is in the batch.
pub fn person_records(deployment_id: Uuid, records: &[Record]) -> Vec<PersonRecord> {
    let groups: Vec<Vec<&Record>> = group(records)
        .into_iter()
        .filter(|group| group.iter().any(|record| has_person_fields(&record.body)))
        .collect();
    let mut sharing: HashMap<(&SourceSystem, &str), Vec<usize>> = HashMap::new();
    for (index, group) in groups.iter().enumerate() {
        if let Some(first) = group.first() {
            sharing
                .entry((&first.source.system, first.source.record_id.as_str()))
                .or_default()
                .push(index);
        }
    }
    groups
        .iter()
        .filter_map(|group| {
            let first = group.first()?;
            let key = (&first.source.system, first.source.record_id.as_str());
            let record_id = match sharing.get(&key) {
                Some(indexes) if indexes.len() > 1 => {
                    shared_record_id(first, indexes.iter().filter_map(|&i| groups.get(i)))
                }
                _ => Some(own_record_id(first)),
            };
            combine(deployment_id, group, record_id)
        })
        .collect()
}

/// The provenance kind of a connector's source system.
pub fn source_kind(system: &SourceSystem) -> SourceKind {
    match system {
        SourceSystem::CafMsa => SourceKind::CafMsa,
        SourceSystem::FranceTravail => SourceKind::FranceTravail,
        SourceSystem::Departement { .. } => SourceKind::Departement,
        SourceSystem::PartnerApi { .. } | SourceSystem::Hub => SourceKind::Partner,
    }
}

/// The system name the hub records in provenance for a connector's source system.
///
/// `cafmsa`, `france_travail`, `departement:<profile>`, `partner:<client id>` (as the sync
/// API writes it) and `hub`; [`super::pipeline::kind_of_system`] reads each back as
/// [`source_kind`] says.
pub fn system_name(system: &SourceSystem) -> String {
    match system {
        SourceSystem::CafMsa => "cafmsa".to_owned(),
        SourceSystem::FranceTravail => "france_travail".to_owned(),
        SourceSystem::Departement { profile } => format!("departement:{profile}"),
        SourceSystem::PartnerApi { client_id } => format!("partner:{client_id}"),
        SourceSystem::Hub => "hub".to_owned(),
    }
}

/// The records grouped by (system, record id, subject), in the order of each group's first.
fn group(records: &[Record]) -> Vec<Vec<&Record>> {
    let mut index: HashMap<(&SourceSystem, &str, &IdentityKeys), usize> = HashMap::new();
    let mut groups: Vec<Vec<&Record>> = Vec::new();
    for record in records {
        let key = (
            &record.source.system,
            record.source.record_id.as_str(),
            &record.subject,
        );
        let slot = *index.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        if let Some(group) = groups.get_mut(slot) {
            group.push(record);
        }
    }
    groups
}

/// Whether a body has a beneficiary column to fill (or stands for the person at the source).
fn has_person_fields(body: &RecordBody) -> bool {
    match body {
        RecordBody::Identity(_)
        | RecordBody::Contact(_)
        | RecordBody::Address(_)
        | RecordBody::FamilySituation(_)
        | RecordBody::RsaRights(_)
        | RecordBody::JobSeekerRegistration(_) => true,
        RecordBody::Diagnostic(_) | RecordBody::Orientation(_) | RecordBody::Appointment(_) => {
            false
        }
    }
}

/// The household role that tells apart persons sharing an id (the SI's first, then CAF's).
fn role_code(subject: &IdentityKeys) -> Option<&'static str> {
    subject
        .departement
        .as_ref()
        .and_then(|key| key.role)
        .or_else(|| subject.caf_msa.as_ref().and_then(|key| key.role))
        .map(|role| role.code())
}

/// The record id of a group whose (system, record id) other subjects share.
fn shared_record_id<'a>(
    first: &Record,
    sharing: impl Iterator<Item = &'a Vec<&'a Record>>,
) -> Option<String> {
    let role = role_code(&first.subject)?;
    let holders = sharing
        .filter_map(|group| group.first())
        .filter(|other| role_code(&other.subject) == Some(role))
        .count();
    (holders == 1).then(|| format!("{}-{role}", first.source.record_id))
}

/// The record id of a group alone under its id in this batch. A departmental system's row
/// with a household role is always suffixed with it: the couple sharing one SI id may come in
/// separate files or lines, and must never share one source link.
fn own_record_id(first: &Record) -> String {
    match (&first.source.system, role_code(&first.subject)) {
        (SourceSystem::Departement { .. }, Some(role)) => {
            format!("{}-{role}", first.source.record_id)
        }
        _ => first.source.record_id.clone(),
    }
}

/// One group as one person record (none for an empty group, which `group` never makes).
fn combine(
    deployment_id: Uuid,
    group: &[&Record],
    record_id: Option<String>,
) -> Option<PersonRecord> {
    let mut ordered: Vec<&Record> = group.to_vec();
    // Stable: records of the same as-of keep their input order.
    ordered.sort_by_key(|record| record.source.as_of);
    let first = *ordered.first()?;
    let last = *ordered.last()?;
    let mut fields = PersonFields::default();
    // The subject is the same for the whole group (it is part of the group's key).
    apply_subject(&first.subject, &mut fields);
    for record in &ordered {
        apply_body(&record.body, &mut fields);
    }
    Some(PersonRecord {
        deployment_id,
        source: Source {
            kind: source_kind(&first.source.system),
            system: system_name(&first.source.system),
            record_id,
            as_of: last.source.as_of,
            author_account_id: None,
        },
        fields,
    })
}

/// Writes `value` into `field` when there is one (an absent value erases nothing).
fn set<T>(field: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *field = value;
    }
}

/// Trimmed text, or nothing when blank or holding a NUL (which Postgres text refuses).
fn text(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    (!trimmed.is_empty() && !trimmed.contains('\0')).then(|| trimmed.to_owned())
}

/// `caf_organisation ~ '^(CAF|MSA)([0-9]{3})?$'`.
fn is_caf_organisation_column(value: &str) -> bool {
    let number = value
        .strip_prefix("CAF")
        .or_else(|| value.strip_prefix("MSA"));
    number.is_some_and(|n| n.is_empty() || (n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit())))
}

/// `value` when `valid` says the column accepts it.
fn checked(value: Option<String>, valid: fn(&str) -> bool) -> Option<String> {
    value.filter(|v| valid(v))
}

/// The identity keys of the subject, and its names and birth date as a fallback identity.
fn apply_subject(subject: &IdentityKeys, fields: &mut PersonFields) {
    fields.nir = subject.nir.clone();
    if let Some(caf) = &subject.caf_msa {
        fields.caf_organisation = checked(
            Some(caf.organisation.to_string()),
            is_caf_organisation_column,
        );
        fields.caf_number = Some(caf.matricule.clone());
        fields.household_role = caf.role;
    }
    fields.france_travail_id = subject.france_travail_id.clone();
    if let Some(departement) = &subject.departement {
        fields.external_id = text(departement.id.as_str());
        // external_role needs external_id (beneficiary_external_role_needs_id).
        if fields.external_id.is_some() {
            fields.external_role = departement.role.map(|role| role.code().to_owned());
        }
    }
    if let Some(names) = &subject.name_and_birth {
        fields.firstname = text(&names.first_name);
        fields.lastname = text(&names.last_name);
        fields.date_of_birth = Some(names.birth_date);
    }
}

/// What one body says, over what the fields already hold.
fn apply_body(body: &RecordBody, fields: &mut PersonFields) {
    match body {
        RecordBody::Identity(identity) => apply_identity(identity, fields),
        RecordBody::Contact(contact) => apply_contact(contact, fields),
        RecordBody::Address(address) => apply_address(address, fields),
        RecordBody::FamilySituation(situation) => apply_family(situation, fields),
        RecordBody::RsaRights(rights) => apply_rights(rights, fields),
        // No column for the registration's status, category, dates or agency: the France
        // Travail id comes from the subject.
        RecordBody::JobSeekerRegistration(_) => {}
        // No beneficiary column: these go to the notebook by other ways.
        RecordBody::Diagnostic(_) | RecordBody::Orientation(_) | RecordBody::Appointment(_) => {}
    }
}

fn apply_identity(identity: &Identity, fields: &mut PersonFields) {
    set(&mut fields.lastname, text(&identity.last_name));
    let first_names: Vec<String> = identity
        .first_names
        .iter()
        .filter_map(|name| text(name))
        .collect();
    if !first_names.is_empty() {
        fields.firstname = Some(first_names.join(" "));
    }
    set(&mut fields.date_of_birth, identity.birth_date);
    set(
        &mut fields.place_of_birth,
        identity.birth_place.as_deref().and_then(text),
    );
}

/// The first phone (already in E.164: `cdb_connector` reads every phone so).
fn mobile_number(phones: &[PhoneNumber]) -> Option<String> {
    phones.first().map(|phone| phone.as_str().to_owned())
}

fn apply_contact(contact: &Contact, fields: &mut PersonFields) {
    set(&mut fields.mobile_number, mobile_number(&contact.phones));
    set(&mut fields.email, contact.email.clone());
}

/// Lines: the first is `address1`, the others joined with `, ` are `address2`.
fn apply_address(address: &Address, fields: &mut PersonFields) {
    let lines: Vec<String> = address.lines.iter().filter_map(|line| text(line)).collect();
    if let Some((first, rest)) = lines.split_first() {
        fields.address1 = Some(first.clone());
        if !rest.is_empty() {
            fields.address2 = Some(rest.join(", "));
        }
    }
    set(
        &mut fields.postal_code,
        address
            .postal_code
            .as_ref()
            .and_then(|code| text(code.as_str())),
    );
    set(&mut fields.city, address.city.as_deref().and_then(text));
    set(&mut fields.is_homeless, address.no_fixed_address);
}

fn apply_family(situation: &FamilySituation, fields: &mut PersonFields) {
    fields.family_situation = Some(situation.status.slug().to_owned());
}

/// State, suspension and closure as the referentials' keys (equal to the connector's slugs);
/// a reason the connector could not map (`None`) is left out, its dates kept.
fn apply_rights(rights: &RsaRights, fields: &mut PersonFields) {
    set(
        &mut fields.right_rsa,
        rights.state.map(|state| state.slug().to_owned()),
    );
    if let Some(suspension) = &rights.suspension {
        set(
            &mut fields.rsa_suspension_reason,
            suspension.reason.map(|reason| reason.slug().to_owned()),
        );
    }
    if let Some(closure) = &rights.closure {
        set(
            &mut fields.rsa_closure_reason,
            closure.reason.map(|reason| reason.slug().to_owned()),
        );
        fields.rsa_closure_date = Some(closure.date);
    }
    set(
        &mut fields.subject_to_right_and_duty,
        rights.subject_to_rights_and_duties,
    );
}

#[cfg(test)]
mod tests {
    use cdb_connector::identity::{
        CafMatricule, CafMsaKey, CafOrganisation, DepartementKey, DepartementPersonId,
        FranceTravailId, HouseholdRole, NameAndBirth, Nir,
    };
    use cdb_connector::records::{
        Appointment, AppointmentStatus, ClosureReason, Diagnostic, Email, JobSeekerRegistration,
        MaritalStatus, Orientation, OrientationStatus, PostalCode, RegistrationStatus, RsaClosure,
        RsaState, RsaSuspension, SuspensionReason,
    };
    use cdb_connector::source::SourceRef;
    use chrono::{DateTime, NaiveDate, TimeZone, Utc};
    use proptest::prelude::*;

    use super::*;
    use crate::inbound::pipeline::kind_of_system;

    const REFERENTIALS: &str =
        include_str!("../../migrations/2026-11-24-000002_referentials/up.sql");

    fn deployment() -> Uuid {
        Uuid::from_u128(0x0c0ffee)
    }

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0)
            .single()
            .unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn record(
        system: SourceSystem,
        record_id: &str,
        day: u32,
        subject: &IdentityKeys,
        body: RecordBody,
    ) -> Record {
        Record {
            source: SourceRef {
                system,
                record_id: record_id.to_owned(),
                as_of: at(day),
                run_id: Some("run-1".to_owned()),
            },
            subject: subject.clone(),
            body,
        }
    }

    fn caf(record_id: &str, day: u32, subject: &IdentityKeys, body: RecordBody) -> Record {
        record(SourceSystem::CafMsa, record_id, day, subject, body)
    }

    fn nir_subject(nir: &str) -> IdentityKeys {
        IdentityKeys {
            nir: Some(Nir::parse(nir).unwrap()),
            ..IdentityKeys::default()
        }
    }

    fn identity(last: &str, firsts: &[&str]) -> Identity {
        Identity {
            title: None,
            last_name: last.to_owned(),
            birth_name: Some("Birth".to_owned()),
            first_names: firsts.iter().map(|s| (*s).to_owned()).collect(),
            birth_date: Some(date(1982, 2, 14)),
            birth_place: Some(" Valence ".to_owned()),
            sex: None,
        }
    }

    fn contact(phones: &[&str], email: Option<&str>) -> Contact {
        Contact {
            phones: phones
                .iter()
                // As the connectors do: a number that does not read is left out at the edge.
                .filter_map(|p| PhoneNumber::parse(p).ok())
                .collect(),
            email: email.map(|e| Email::parse(e).unwrap()),
        }
    }

    fn address(lines: &[&str]) -> Address {
        Address {
            lines: lines.iter().map(|s| (*s).to_owned()).collect(),
            postal_code: Some(PostalCode::parse("26000").unwrap()),
            city: Some("Valence".to_owned()),
            city_insee_code: Some("26362".to_owned()),
            country: Some("FRA".to_owned()),
            no_fixed_address: Some(false),
        }
    }

    fn rights() -> RsaRights {
        RsaRights {
            state: Some(RsaState::OpenSuspended),
            suspension: Some(RsaSuspension {
                reason: Some(SuspensionReason::AwaitingPresidentDecision),
                source_code: "44".to_owned(),
                since: date(2026, 1, 1),
            }),
            closure: None,
            subject_to_rights_and_duties: Some(true),
            entrant: Some(true),
        }
    }

    fn only(records: &[Record]) -> PersonRecord {
        let mut out = person_records(deployment(), records);
        assert_eq!(out.len(), 1, "{out:?}");
        out.remove(0)
    }

    #[test]
    fn subject_keys_fill_the_identifier_columns() {
        let subject = IdentityKeys {
            nir: Some(Nir::parse("184127645108946").unwrap()),
            caf_msa: Some(CafMsaKey {
                organisation: CafOrganisation::parse("CAF261").unwrap(),
                matricule: CafMatricule::parse("205599000000000").unwrap(),
                role: Some(HouseholdRole::Partner),
            }),
            france_travail_id: Some(FranceTravailId::parse("1234567890a").unwrap()),
            departement: Some(DepartementKey {
                id: DepartementPersonId::parse("IODAS822920").unwrap(),
                role: Some(HouseholdRole::Applicant),
            }),
            name_and_birth: None,
        };
        let person = only(&[caf(
            "f-CJT",
            1,
            &subject,
            RecordBody::FamilySituation(FamilySituation {
                status: MaritalStatus::Married,
                since: None,
                dependants: Some(2),
            }),
        )]);
        let fields = &person.fields;
        assert_eq!(
            fields.nir.as_ref().map(|v| v.as_str()),
            Some("1841276451089")
        );
        assert_eq!(fields.caf_organisation.as_deref(), Some("CAF261"));
        assert_eq!(
            fields.caf_number.as_ref().map(|v| v.as_str()),
            Some("2055990")
        );
        assert_eq!(fields.household_role.map(|r| r.code()), Some("CJT"));
        assert_eq!(
            fields.france_travail_id.as_ref().map(|v| v.as_str()),
            Some("1234567890A")
        );
        assert_eq!(fields.external_id.as_deref(), Some("IODAS822920"));
        assert_eq!(fields.external_role.as_deref(), Some("DEM"));
        assert_eq!(fields.family_situation.as_deref(), Some("married"));
        assert_eq!(person.nir(), fields.nir);
    }

    #[test]
    fn identity_gives_names_birth_and_place() {
        let subject = nir_subject("2820251108030");
        let person = only(&[caf(
            "f-DEM",
            1,
            &subject,
            RecordBody::Identity(identity(" Dupont ", &["Marie", " ", "Claire"])),
        )]);
        let f = &person.fields;
        assert_eq!(f.lastname.as_deref(), Some("Dupont"));
        assert_eq!(f.firstname.as_deref(), Some("Marie Claire"));
        assert_eq!(f.date_of_birth, Some(date(1982, 2, 14)));
        assert_eq!(f.place_of_birth.as_deref(), Some("Valence"));
    }

    #[test]
    fn blank_names_are_dropped_not_sent() {
        let subject = nir_subject("2820251108030");
        let person = only(&[caf(
            "f-DEM",
            1,
            &subject,
            RecordBody::Identity(identity("  ", &["", "Ma\0rie"])),
        )]);
        assert_eq!(person.fields.lastname, None);
        assert_eq!(person.fields.firstname, None);
        assert_eq!(person.fields.date_of_birth, Some(date(1982, 2, 14)));
    }

    #[test]
    fn names_and_birth_of_the_subject_stand_in_for_a_missing_identity() {
        let subject = IdentityKeys {
            name_and_birth: Some(NameAndBirth {
                first_name: "Marie".to_owned(),
                last_name: "Dupont".to_owned(),
                birth_date: date(1982, 2, 14),
            }),
            ..IdentityKeys::default()
        };
        let registration = RecordBody::JobSeekerRegistration(JobSeekerRegistration {
            status: RegistrationStatus::Registered,
            registered_on: Some(date(2025, 1, 1)),
            category: Some("1".to_owned()),
            ended_on: None,
            end_reason: None,
            agency_code: Some("26001".to_owned()),
        });
        let alone = only(&[record(
            SourceSystem::FranceTravail,
            "uuid-1",
            1,
            &subject,
            registration.clone(),
        )]);
        assert_eq!(alone.fields.firstname.as_deref(), Some("Marie"));
        assert_eq!(alone.fields.lastname.as_deref(), Some("Dupont"));
        // The Identity body of the group says more, and wins.
        let both = only(&[
            record(
                SourceSystem::FranceTravail,
                "uuid-1",
                1,
                &subject,
                registration,
            ),
            record(
                SourceSystem::FranceTravail,
                "uuid-1",
                1,
                &subject,
                RecordBody::Identity(identity("Dupont", &["Marie", "Claire"])),
            ),
        ]);
        assert_eq!(both.fields.firstname.as_deref(), Some("Marie Claire"));
    }

    #[test]
    fn contact_gives_the_first_usable_phone_in_e164_and_the_email() {
        let subject = nir_subject("2820251108030");
        let person = only(&[caf(
            "f-DEM",
            1,
            &subject,
            RecordBody::Contact(contact(
                &["12 34 56", "06.01.23.45.67", "07 12 34 56 78"],
                Some(" jean@ex.fr "),
            )),
        )]);
        assert_eq!(person.fields.mobile_number.as_deref(), Some("+33601234567"));
        assert_eq!(
            person.fields.email.as_ref().map(|v| v.as_str()),
            Some("jean@ex.fr")
        );
        let overseas = only(&[caf(
            "f-DEM",
            1,
            &subject,
            RecordBody::Contact(contact(&["0692 12 34 56"], None)),
        )]);
        assert_eq!(
            overseas.fields.mobile_number.as_deref(),
            Some("+262692123456")
        );
        assert_eq!(overseas.fields.email, None);
        let unusable = only(&[caf(
            "f-DEM",
            1,
            &subject,
            RecordBody::Contact(contact(&["123456"], None)),
        )]);
        assert_eq!(unusable.fields.mobile_number, None);
    }

    #[test]
    fn address_lines_postal_code_city_and_homelessness() {
        let subject = nir_subject("2820251108030");
        let three = only(&[caf(
            "f-DEM",
            1,
            &subject,
            RecordBody::Address(address(&[
                "Résidence Les Lilas",
                " ",
                "12 rue Haute",
                "BP 4",
            ])),
        )]);
        let f = &three.fields;
        assert_eq!(f.address1.as_deref(), Some("Résidence Les Lilas"));
        assert_eq!(f.address2.as_deref(), Some("12 rue Haute, BP 4"));
        assert_eq!(f.postal_code.as_deref(), Some("26000"));
        assert_eq!(f.city.as_deref(), Some("Valence"));
        assert_eq!(f.is_homeless, Some(false));
        let homeless = only(&[caf(
            "f-DEM",
            1,
            &subject,
            RecordBody::Address(Address {
                no_fixed_address: Some(true),
                ..Address::default()
            }),
        )]);
        let f = &homeless.fields;
        assert_eq!((f.address1.as_ref(), f.address2.as_ref()), (None, None));
        assert_eq!(f.is_homeless, Some(true));
        let one = only(&[caf(
            "f-DEM",
            1,
            &subject,
            RecordBody::Address(address(&["12 rue Haute"])),
        )]);
        assert_eq!(one.fields.address1.as_deref(), Some("12 rue Haute"));
        assert_eq!(one.fields.address2, None);
    }

    #[test]
    fn family_situation_is_its_slug() {
        let subject = nir_subject("2820251108030");
        for status in MaritalStatus::ALL {
            let person = only(&[caf(
                "f-DEM",
                1,
                &subject,
                RecordBody::FamilySituation(FamilySituation {
                    status: *status,
                    since: Some(date(2020, 1, 1)),
                    dependants: None,
                }),
            )]);
            assert_eq!(
                person.fields.family_situation.as_deref(),
                Some(status.slug())
            );
        }
    }

    #[test]
    fn rsa_rights_give_state_reasons_and_duties() {
        let subject = nir_subject("2820251108030");
        let suspended = only(&[caf("f-DEM", 1, &subject, RecordBody::RsaRights(rights()))]);
        let f = &suspended.fields;
        assert_eq!(f.right_rsa.as_deref(), Some("rsa_droit_ouvert_et_suspendu"));
        assert_eq!(
            f.rsa_suspension_reason.as_deref(),
            Some("caf_attente_decision_PCG")
        );
        assert_eq!(f.subject_to_right_and_duty, Some(true));
        assert_eq!(
            (f.rsa_closure_reason.as_ref(), f.rsa_closure_date),
            (None, None)
        );
        assert_eq!(
            (f.right_are, f.right_ass, f.right_bonus),
            (None, None, None)
        );

        let closed = RsaRights {
            state: Some(RsaState::Closed),
            suspension: Some(RsaSuspension {
                reason: None,
                source_code: "ZZ".to_owned(),
                since: date(2025, 1, 1),
            }),
            closure: Some(RsaClosure {
                reason: Some(ClosureReason::PresidentDecision),
                source_code: "PCG".to_owned(),
                date: date(2025, 11, 30),
            }),
            subject_to_rights_and_duties: None,
            entrant: None,
        };
        let closed = only(&[caf("f-DEM", 1, &subject, RecordBody::RsaRights(closed))]);
        let f = &closed.fields;
        assert_eq!(f.right_rsa.as_deref(), Some("rsa_clos"));
        assert_eq!(
            f.rsa_suspension_reason, None,
            "an unmapped reason is left out"
        );
        assert_eq!(f.rsa_closure_reason.as_deref(), Some("caf_decision_pcg"));
        assert_eq!(f.rsa_closure_date, Some(date(2025, 11, 30)));
        assert_eq!(f.subject_to_right_and_duty, None);

        let unknown_closure = RsaRights {
            state: None,
            suspension: None,
            closure: Some(RsaClosure {
                reason: None,
                source_code: "??".to_owned(),
                date: date(2025, 10, 1),
            }),
            subject_to_rights_and_duties: Some(false),
            entrant: None,
        };
        let person = only(&[caf(
            "f-DEM",
            1,
            &subject,
            RecordBody::RsaRights(unknown_closure),
        )]);
        assert_eq!(person.fields.right_rsa, None);
        assert_eq!(person.fields.rsa_closure_reason, None);
        assert_eq!(person.fields.rsa_closure_date, Some(date(2025, 10, 1)));
        assert_eq!(person.fields.subject_to_right_and_duty, Some(false));
    }

    #[test]
    fn every_rights_slug_is_a_key_of_its_referential() {
        for state in RsaState::ALL {
            assert!(
                REFERENTIALS.contains(&format!("('{}',", state.slug())),
                "{state}"
            );
        }
        for reason in SuspensionReason::ALL {
            assert!(
                REFERENTIALS.contains(&format!("('{}',", reason.slug())),
                "{reason}"
            );
        }
        for reason in ClosureReason::ALL {
            assert!(
                REFERENTIALS.contains(&format!("('{}',", reason.slug())),
                "{reason}"
            );
        }
    }

    #[test]
    fn a_registration_brings_only_the_france_travail_id() {
        let subject = IdentityKeys {
            france_travail_id: Some(FranceTravailId::parse("12345678900").unwrap()),
            ..IdentityKeys::default()
        };
        let person = only(&[record(
            SourceSystem::FranceTravail,
            "12345678900",
            1,
            &subject,
            RecordBody::JobSeekerRegistration(JobSeekerRegistration {
                status: RegistrationStatus::StruckOff,
                registered_on: Some(date(2024, 1, 1)),
                category: Some("1".to_owned()),
                ended_on: Some(date(2025, 1, 1)),
                end_reason: Some("R1".to_owned()),
                agency_code: Some("26001".to_owned()),
            }),
        )]);
        assert_eq!(
            person.fields,
            PersonFields {
                france_travail_id: cdb_connector::FranceTravailId::parse("12345678900").ok(),
                ..PersonFields::default()
            }
        );
        assert_eq!(person.source.kind, SourceKind::FranceTravail);
        assert_eq!(person.source.system, "france_travail");
    }

    fn diagnostic() -> RecordBody {
        RecordBody::Diagnostic(Diagnostic {
            updated_on: None,
            items: Vec::new(),
        })
    }

    fn orientation() -> RecordBody {
        RecordBody::Orientation(Orientation {
            kind: None,
            status: OrientationStatus::Decided,
            structure: None,
            decided_on: None,
            started_on: None,
            ended_on: None,
            origin: None,
        })
    }

    fn appointment() -> RecordBody {
        RecordBody::Appointment(Appointment {
            remote_id: Some("a1".to_owned()),
            starts_at: at(2),
            duration_minutes: Some(30),
            status: AppointmentStatus::Planned,
            mode: None,
            purpose: None,
            location: None,
            structure: None,
        })
    }

    #[test]
    fn diagnostics_orientations_and_appointments_bring_no_field() {
        let subject = IdentityKeys {
            france_travail_id: Some(FranceTravailId::parse("12345678900").unwrap()),
            ..IdentityKeys::default()
        };
        let ft = |id: &str, day, body| record(SourceSystem::FranceTravail, id, day, &subject, body);
        let person = only(&[
            ft("12345678900", 1, diagnostic()),
            ft(
                "12345678900",
                1,
                RecordBody::Identity(identity("Dupont", &["Marie"])),
            ),
            ft("12345678900", 3, appointment()),
            ft("12345678900/orientation/2024-10-28-PED", 1, orientation()),
        ]);
        let alone = only(&[ft(
            "12345678900",
            1,
            RecordBody::Identity(identity("Dupont", &["Marie"])),
        )]);
        assert_eq!(person.fields, alone.fields);
        // The appointment's as-of still counts: it is the latest data of the group.
        assert_eq!(person.source.as_of, at(3));
        // Groups of such bodies only make no person record.
        assert!(
            person_records(
                deployment(),
                &[
                    ft("12345678900", 1, diagnostic()),
                    ft("12345678900/orientation/x", 1, orientation()),
                    ft("12345678900", 1, appointment()),
                ]
            )
            .is_empty()
        );
    }

    #[test]
    fn records_of_one_person_and_source_fold_into_one() {
        let subject = nir_subject("2820251108030");
        let person = only(&[
            caf(
                "f-DEM",
                5,
                &subject,
                RecordBody::Contact(contact(&["0601234567"], Some("new@ex.fr"))),
            ),
            caf(
                "f-DEM",
                2,
                &subject,
                RecordBody::Identity(identity("Dupont", &["Marie"])),
            ),
            // Older, listed later: it does not override the newer contact.
            caf(
                "f-DEM",
                3,
                &subject,
                RecordBody::Contact(contact(&["0712345678"], Some("old@ex.fr"))),
            ),
            caf(
                "f-DEM",
                4,
                &subject,
                RecordBody::Contact(contact(&[], None)),
            ),
            caf("f-DEM", 1, &subject, RecordBody::RsaRights(rights())),
        ]);
        assert_eq!(person.deployment_id, deployment());
        assert_eq!(person.source.kind, SourceKind::CafMsa);
        assert_eq!(person.source.system, "cafmsa");
        assert_eq!(person.source.record_id.as_deref(), Some("f-DEM"));
        assert_eq!(person.source.as_of, at(5), "the latest as-of of the group");
        assert_eq!(person.source.author_account_id, None);
        let f = &person.fields;
        assert_eq!(f.email.as_ref().map(|v| v.as_str()), Some("new@ex.fr"));
        assert_eq!(f.mobile_number.as_deref(), Some("+33601234567"));
        assert_eq!(f.lastname.as_deref(), Some("Dupont"));
        assert_eq!(f.right_rsa.as_deref(), Some("rsa_droit_ouvert_et_suspendu"));
        assert_eq!(f.nir.as_ref().map(|v| v.as_str()), Some("2820251108030"));
    }

    #[test]
    fn two_people_stay_two_in_the_order_first_seen() {
        let marie = nir_subject("2820251108030");
        let jean = nir_subject("1841276451089");
        let out = person_records(
            deployment(),
            &[
                caf(
                    "f-CJT",
                    1,
                    &jean,
                    RecordBody::Identity(identity("Durand", &["Jean"])),
                ),
                caf(
                    "f-DEM",
                    1,
                    &marie,
                    RecordBody::Identity(identity("Dupont", &["Marie"])),
                ),
                caf("f-CJT", 1, &jean, RecordBody::RsaRights(rights())),
            ],
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].fields.firstname.as_deref(), Some("Jean"));
        assert_eq!(
            out[0].fields.right_rsa.as_deref(),
            Some("rsa_droit_ouvert_et_suspendu")
        );
        assert_eq!(out[1].fields.firstname.as_deref(), Some("Marie"));
        assert_eq!(out[1].fields.right_rsa, None);
        // The same record id in two systems is two sources.
        let two_systems = person_records(
            deployment(),
            &[
                caf(
                    "x",
                    1,
                    &marie,
                    RecordBody::Identity(identity("Dupont", &["Marie"])),
                ),
                record(
                    SourceSystem::FranceTravail,
                    "x",
                    1,
                    &marie,
                    RecordBody::Identity(identity("Dupont", &["Marie"])),
                ),
            ],
        );
        assert_eq!(two_systems.len(), 2);
    }

    fn iodas(id: &str, role: Option<HouseholdRole>) -> IdentityKeys {
        IdentityKeys {
            departement: Some(DepartementKey {
                id: DepartementPersonId::parse(id).unwrap(),
                role,
            }),
            ..IdentityKeys::default()
        }
    }

    #[test]
    fn a_couple_sharing_one_si_id_stays_two_people() {
        let system = || SourceSystem::Departement {
            profile: "iodas".to_owned(),
        };
        let dem = iodas("IODAS822920", Some(HouseholdRole::Applicant));
        let cjt = iodas("IODAS822920", Some(HouseholdRole::Partner));
        let out = person_records(
            deployment(),
            &[
                record(
                    system(),
                    "row-7",
                    1,
                    &dem,
                    RecordBody::Identity(identity("Martin", &["Paul"])),
                ),
                record(
                    system(),
                    "row-7",
                    1,
                    &cjt,
                    RecordBody::Identity(identity("Martin", &["Léa"])),
                ),
                record(
                    system(),
                    "row-7",
                    2,
                    &dem,
                    RecordBody::Contact(contact(&["0601234567"], None)),
                ),
            ],
        );
        assert_eq!(out.len(), 2);
        let (paul, lea) = (&out[0], &out[1]);
        assert_eq!(paul.fields.firstname.as_deref(), Some("Paul"));
        assert_eq!(paul.fields.external_id.as_deref(), Some("IODAS822920"));
        assert_eq!(paul.fields.external_role.as_deref(), Some("DEM"));
        assert_eq!(paul.fields.mobile_number.as_deref(), Some("+33601234567"));
        assert_eq!(lea.fields.firstname.as_deref(), Some("Léa"));
        assert_eq!(lea.fields.external_role.as_deref(), Some("CJT"));
        assert_eq!(lea.fields.mobile_number, None);
        // One source link each, never the same one.
        assert_eq!(paul.source.record_id.as_deref(), Some("row-7-DEM"));
        assert_eq!(lea.source.record_id.as_deref(), Some("row-7-CJT"));
        assert_eq!(paul.source.kind, SourceKind::Departement);
        assert_eq!(paul.source.system, "departement:iodas");
        // Rows of their own carry their role too: the other member of the couple may come
        // in another file.
        let own_rows = person_records(
            deployment(),
            &[
                record(
                    system(),
                    "row-7",
                    1,
                    &dem,
                    RecordBody::Identity(identity("Martin", &["Paul"])),
                ),
                record(
                    system(),
                    "row-8",
                    1,
                    &cjt,
                    RecordBody::Identity(identity("Martin", &["Léa"])),
                ),
            ],
        );
        let ids: Vec<_> = own_rows
            .iter()
            .map(|p| p.source.record_id.as_deref())
            .collect();
        assert_eq!(ids, [Some("row-7-DEM"), Some("row-8-CJT")]);
        // Subjects the role does not tell apart get no record id rather than a shared one.
        let twins = person_records(
            deployment(),
            &[
                record(
                    system(),
                    "row-9",
                    1,
                    &iodas("A1", None),
                    RecordBody::Identity(identity("X", &["A"])),
                ),
                record(
                    system(),
                    "row-9",
                    1,
                    &iodas("A2", None),
                    RecordBody::Identity(identity("X", &["B"])),
                ),
            ],
        );
        assert_eq!(twins.len(), 2);
        assert!(twins.iter().all(|p| p.source.record_id.is_none()));
    }

    #[test]
    fn systems_map_to_kinds_and_the_names_provenance_reads_back() {
        let cases = [
            (SourceSystem::CafMsa, SourceKind::CafMsa, "cafmsa"),
            (
                SourceSystem::FranceTravail,
                SourceKind::FranceTravail,
                "france_travail",
            ),
            (
                SourceSystem::Departement {
                    profile: "cdb-template".to_owned(),
                },
                SourceKind::Departement,
                "departement:cdb-template",
            ),
            (
                SourceSystem::PartnerApi {
                    client_id: "cdb_abc".to_owned(),
                },
                SourceKind::Partner,
                "partner:cdb_abc",
            ),
            (SourceSystem::Hub, SourceKind::Partner, "hub"),
        ];
        for (system, kind, name) in cases {
            assert_eq!(source_kind(&system), kind, "{system:?}");
            assert_eq!(system_name(&system), name);
            assert_eq!(kind_of_system(name), kind, "{name}");
        }
    }

    #[test]
    fn column_checks_follow_the_constraints() {
        assert!(is_caf_organisation_column("CAF261"));
        assert!(is_caf_organisation_column("MSA"));
        assert!(!is_caf_organisation_column("CAF26"));
        assert!(!is_caf_organisation_column("CA"));
        assert!(!is_caf_organisation_column("caf261"));
    }

    proptest! {
        #[test]
        fn free_text_never_breaks_a_column(
            last in "\\PC{0,12}|[ \t\0]{0,3}",
            firsts in proptest::collection::vec("\\PC{0,8}|[ \0]{0,2}", 0..3),
            lines in proptest::collection::vec("\\PC{0,12}|[ \0]{0,2}", 0..4),
            city in "\\PC{0,12}|[ \0]{0,2}",
        ) {
            let subject = nir_subject("2820251108030");
            let mut id = identity(&last, &[]);
            id.first_names = firsts;
            let records = [
                caf("f", 1, &subject, RecordBody::Identity(id)),
                caf("f", 1, &subject, RecordBody::Address(Address {
                    lines,
                    city: Some(city),
                    ..Address::default()
                })),
            ];
            let person = only(&records);
            let f = &person.fields;
            for value in [&f.firstname, &f.lastname, &f.address1, &f.address2, &f.city, &f.place_of_birth]
                .into_iter()
                .flatten()
            {
                prop_assert!(!value.trim().is_empty());
                prop_assert!(!value.contains('\0'));
            }
        }
    }
}
