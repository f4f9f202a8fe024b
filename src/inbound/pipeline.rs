//! The pipeline itself: match, merge with per-field provenance, write, and the change to record.
//! Runs inside the caller's transaction; the caller records the changes at its end.

use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use uuid::Uuid;

use super::matching::{self, MatchKey, MatchResult};
use super::merge::{self, Decision};
use super::record::{PersonField, PersonRecord};
use crate::domain::provenance::FieldSources;
pub use crate::domain::provenance::kind_of_system;
use crate::domain::reach::Reach;
use crate::store::changes::PendingChange;

/// What the pipeline did with a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// A new person and their notebook.
    Created {
        /// The person.
        beneficiary_id: Uuid,
        /// The notebook.
        notebook_id: Uuid,
    },
    /// Known person; these fields changed.
    Updated {
        /// The person.
        beneficiary_id: Uuid,
        /// The key that matched.
        matched_by: MatchKey,
        /// Fields written.
        fields: Vec<PersonField>,
        /// Fields the record brought whose current value stays (a more trusted or more recent
        /// source set it).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        kept: Vec<PersonField>,
        /// Each field written: its value before, the record's, and who had set the first.
        #[serde(skip)]
        changes: Vec<FieldChange>,
        /// Each field kept: the person's value, the record's, and who set the first.
        #[serde(skip)]
        kept_values: Vec<FieldChange>,
    },
    /// Known person; nothing new.
    Unchanged {
        /// The person.
        beneficiary_id: Uuid,
        /// The key that matched.
        matched_by: MatchKey,
        /// Fields the record brought whose current value stays.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        kept: Vec<PersonField>,
        /// Each field kept: the person's value, the record's, and who set the first.
        #[serde(skip)]
        kept_values: Vec<FieldChange>,
    },
    /// Kept aside for a person to decide.
    PossibleMatch {
        /// The possible match to resolve.
        possible_match_id: Uuid,
        /// `ambiguous` or `pivot_conflict`.
        reason: String,
    },
    /// Kept for the deployment's managers to decide: the record is about someone the writer
    /// may not change (outside its reach, or in another deployment). The answer is the same
    /// whoever matched, and names nobody.
    PendingReview,
    /// Refused.
    Rejected {
        /// Stable code.
        code: String,
        /// Explanation.
        message: String,
    },
}

/// A field a record touched on a known person, as it was and as the record brings it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The field.
    pub field: PersonField,
    /// The person's value before the record (null when unset).
    pub before: serde_json::Value,
    /// The record's value.
    pub after: serde_json::Value,
    /// The source system that had set the value before, if any.
    pub source: Option<String>,
}

/// Each field with the person's value, the record's and who set the person's.
fn field_changes(
    current: &serde_json::Value,
    provenance: &FieldSources,
    values: &[(PersonField, serde_json::Value)],
    fields: impl IntoIterator<Item = PersonField>,
) -> Vec<FieldChange> {
    fields
        .into_iter()
        .map(|field| FieldChange {
            before: current.get(field.column()).cloned().unwrap_or_default(),
            after: values
                .iter()
                .find(|(name, _)| *name == field)
                .map(|(_, value)| value.clone())
                .unwrap_or_default(),
            source: provenance
                .claim(field.column())
                .map(|claim| claim.system.clone()),
            field,
        })
        .collect()
}

/// How the caller wants a record handled.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// A person already decided who this record is about (possible match resolved).
    pub forced: Option<Forced>,
    /// A person edits this person's record on purpose: a pivot they change is applied, not
    /// held as a conflict (they see the current value; a machine does not).
    pub human_edit: bool,
    /// A person the record does not match is not created: the record is answered
    /// `unknown_person` (a CAF/MSA flux reports who is unknown rather than creating them).
    pub refuse_new: bool,
}

/// A decision taken by a person on a possible match.
#[derive(Debug, Clone, Copy)]
pub enum Forced {
    /// The record is about this person.
    SamePerson(Uuid),
    /// The record is about someone new.
    DifferentPerson,
}

/// The values a record brings, as the person's columns hold them.
pub fn present_values(record: &PersonRecord) -> Vec<(PersonField, serde_json::Value)> {
    record.fields.present()
}

/// What a record does to a known person's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecisions {
    /// The fields it writes, with their values.
    pub apply: Vec<(PersonField, serde_json::Value)>,
    /// The fields whose value it does not win.
    pub kept: Vec<PersonField>,
}

/// Decides each field a record brings against the person's row and who set each value;
/// `None` when a pivot disagrees and nobody decided it is the same person (a possible match).
pub fn decide_fields(
    record: &PersonRecord,
    current: &serde_json::Value,
    provenance: &FieldSources,
    options: Options,
) -> Option<FieldDecisions> {
    let decided_same_person = matches!(options.forced, Some(Forced::SamePerson(_)));
    let mut decisions = FieldDecisions {
        apply: Vec::new(),
        kept: Vec::new(),
    };
    for (field, value) in present_values(record) {
        let known = provenance.owner(field.column());
        match merge::decide(
            field,
            current.get(field.column()),
            known.as_ref(),
            &value,
            record.source.kind,
            record.source.as_of,
        ) {
            Decision::Apply => decisions.apply.push((field, value)),
            Decision::Same => {}
            Decision::Keep => decisions.kept.push(field),
            Decision::Conflict if options.human_edit => decisions.apply.push((field, value)),
            // A person decided this is the same person: the pivots already known stay.
            Decision::Conflict if decided_same_person => {}
            Decision::Conflict => return None,
        }
    }
    Some(decisions)
}

fn columns(fields: &[(PersonField, serde_json::Value)]) -> String {
    fields
        .iter()
        .map(|(field, _)| field.column())
        .collect::<Vec<_>>()
        .join(", ")
}

fn as_object(fields: &[(PersonField, serde_json::Value)]) -> serde_json::Value {
    serde_json::Value::Object(
        fields
            .iter()
            .map(|(field, value)| (field.column().to_owned(), value.clone()))
            .collect(),
    )
}

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Jsonb)]
    row: serde_json::Value,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// The outcome of a record that matches nobody when new people are refused.
pub fn unknown_person() -> Outcome {
    rejected(
        "unknown_person",
        "Nobody of the deployment matches this record; it was not created.",
    )
}

fn rejected(code: &str, message: impl Into<String>) -> Outcome {
    Outcome::Rejected {
        code: code.into(),
        message: message.into(),
    }
}

/// How far ahead of the hub's clock an as-of date may be (clock skew between systems): a
/// later one would make the record win every future correction, so it is refused.
pub const MAX_CLOCK_SKEW_MINUTES: i64 = 5;

/// The refusal of a record dated in the future, `None` when its date is acceptable.
pub fn future_as_of(record: &PersonRecord) -> Option<Outcome> {
    (record.source.as_of > Utc::now() + chrono::Duration::minutes(MAX_CLOCK_SKEW_MINUTES)).then(
        || {
            rejected(
                "as_of_in_future",
                format!(
                    "as_of {} is in the future: the data cannot be dated after it was sent.",
                    record.source.as_of.to_rfc3339()
                ),
            )
        },
    )
}

/// Runs one record through the pipeline for a writer whose reach is `reach`; answers what it
/// did and the change to record. A record about someone outside that reach is held for the
/// deployment's managers ([`Outcome::PendingReview`]), neither applied nor revealed.
pub fn ingest(
    conn: &mut PgConnection,
    record: &PersonRecord,
    creation_source: &str,
    reach: Reach,
    options: Options,
) -> QueryResult<(Outcome, Option<PendingChange>)> {
    if let Some(refused) = future_as_of(record) {
        return Ok((refused, None));
    }
    let found = match options.forced {
        Some(Forced::SamePerson(id)) => MatchResult::Matched {
            beneficiary_id: id,
            key: MatchKey::SourceRecord,
        },
        Some(Forced::DifferentPerson) => MatchResult::New,
        None => matching::find(conn, record)?,
    };
    let deployment = record.deployment_id;
    let outcome = match found {
        MatchResult::OtherDeployment { .. } => {
            return Ok((
                held_for_review(conn, record, "other_deployment", &[])?,
                None,
            ));
        }
        MatchResult::Matched { beneficiary_id, .. }
            if !crate::store::reach::contains_all(conn, reach, deployment, &[beneficiary_id])? =>
        {
            return Ok((
                held_for_review(conn, record, "outside_reach", &[beneficiary_id])?,
                None,
            ));
        }
        MatchResult::Ambiguous { candidates, .. }
            if !crate::store::reach::contains_all(conn, reach, deployment, &candidates)? =>
        {
            return Ok((
                held_for_review(conn, record, "outside_reach", &candidates)?,
                None,
            ));
        }
        MatchResult::Ambiguous { candidates, .. } => {
            return Ok((
                possible_match(conn, record, "ambiguous", &candidates)?,
                None,
            ));
        }
        MatchResult::New if options.refuse_new => return Ok((unknown_person(), None)),
        MatchResult::New => {
            let created = create(conn, record, creation_source)?;
            if let Outcome::Created {
                beneficiary_id,
                notebook_id,
            } = created.0
            {
                crate::store::reach::attach_created(conn, reach, beneficiary_id, notebook_id)?;
            }
            created
        }
        MatchResult::Matched {
            beneficiary_id,
            key,
        } => update(conn, record, beneficiary_id, key, options)?,
    };
    link_source(conn, record, &outcome)?;
    Ok(outcome)
}

/// Keeps a record the writer may not apply as a possible match for the deployment's managers,
/// and answers the writer without naming anyone.
fn held_for_review(
    conn: &mut PgConnection,
    record: &PersonRecord,
    reason: &str,
    candidates: &[Uuid],
) -> QueryResult<Outcome> {
    possible_match(conn, record, reason, candidates)?;
    Ok(Outcome::PendingReview)
}

fn possible_match(
    conn: &mut PgConnection,
    record: &PersonRecord,
    reason: &str,
    candidates: &[Uuid],
) -> QueryResult<Outcome> {
    let json = serde_json::to_value(record).unwrap_or_default();
    let id = crate::store::possible_matches::hold(
        conn,
        record.deployment_id,
        reason,
        &json,
        candidates,
    )?;
    Ok(Outcome::PossibleMatch {
        possible_match_id: id,
        reason: reason.into(),
    })
}

fn create(
    conn: &mut PgConnection,
    record: &PersonRecord,
    creation_source: &str,
) -> QueryResult<(Outcome, Option<PendingChange>)> {
    let fields = &record.fields;
    if fields.firstname.is_none() || fields.lastname.is_none() || fields.date_of_birth.is_none() {
        return Ok((
            rejected(
                "missing_identity",
                "A new person needs firstname, lastname and date_of_birth.",
            ),
            None,
        ));
    }
    let present = present_values(record);
    let names = columns(&present);
    let provenance = FieldSources::new(
        record.claim(Utc::now()),
        present.iter().map(|(field, _)| field.column().to_owned()),
    );
    let beneficiary: IdRow = diesel::sql_query(format!(
        "INSERT INTO beneficiary (deployment_id, provenance, {names}) SELECT $1, $3, {names} FROM jsonb_populate_record(NULL::beneficiary, $2) RETURNING id"
    ))
    .bind::<SqlUuid, _>(record.deployment_id)
    .bind::<Jsonb, _>(as_object(&present))
    .bind::<Jsonb, _>(provenance.to_json())
    .get_result(conn)?;
    let notebook: IdRow = diesel::sql_query(
        "INSERT INTO notebook (deployment_id, beneficiary_id) VALUES ($1, $2) RETURNING id",
    )
    .bind::<SqlUuid, _>(record.deployment_id)
    .bind::<SqlUuid, _>(beneficiary.id)
    .get_result(conn)?;
    diesel::sql_query(
        "INSERT INTO notebook_creation (deployment_id, notebook_id, source) VALUES ($1, $2, $3)",
    )
    .bind::<SqlUuid, _>(record.deployment_id)
    .bind::<SqlUuid, _>(notebook.id)
    .bind::<Text, _>(creation_source)
    .execute(conn)?;
    let written: Vec<String> = present
        .into_iter()
        .map(|(field, _)| field.column().to_owned())
        .collect();
    Ok((
        Outcome::Created {
            beneficiary_id: beneficiary.id,
            notebook_id: notebook.id,
        },
        Some(PendingChange {
            deployment_id: record.deployment_id,
            beneficiary_id: beneficiary.id,
            notebook_id: Some(notebook.id),
            kind: "beneficiary.created",
            fields: written,
            source_system: Some(record.source.system.clone()),
        }),
    ))
}

fn update(
    conn: &mut PgConnection,
    record: &PersonRecord,
    beneficiary: Uuid,
    key: MatchKey,
    options: Options,
) -> QueryResult<(Outcome, Option<PendingChange>)> {
    let decided_same_person = matches!(options.forced, Some(Forced::SamePerson(_)));
    let current: JsonRow =
        diesel::sql_query("SELECT to_jsonb(b) AS row FROM beneficiary b WHERE id = $1 FOR UPDATE")
            .bind::<SqlUuid, _>(beneficiary)
            .get_result(conn)?;
    // Namesakes: a person found only by names and birth date whose SI id is another one is
    // someone else for the département's system; never merged without a person deciding.
    if key == MatchKey::NamesAndBirthDate && !decided_same_person && !options.human_edit {
        let existing = current.row.get("external_id").and_then(|v| v.as_str());
        if let (Some(incoming), Some(existing)) = (record.fields.external_id.as_deref(), existing)
            && incoming != existing
        {
            return Ok((
                possible_match(conn, record, "pivot_conflict", &[beneficiary])?,
                None,
            ));
        }
    }
    let Some(known) = decide_known(record, beneficiary, key, &current.row, options) else {
        return Ok((
            possible_match(conn, record, "pivot_conflict", &[beneficiary])?,
            None,
        ));
    };
    let Some(write) = known.write else {
        return Ok((known.outcome, known.change));
    };
    diesel::sql_query(format!(
        "UPDATE beneficiary SET (provenance, {names}) = (SELECT $3, {names} FROM jsonb_populate_record(NULL::beneficiary, $2)) WHERE id = $1",
        names = columns(&write.values),
    ))
    .bind::<SqlUuid, _>(beneficiary)
    .bind::<Jsonb, _>(as_object(&write.values))
    .bind::<Jsonb, _>(&write.provenance)
    .execute(conn)?;
    let notebook: Option<Uuid> = crate::store::notebooks::id_of_beneficiary(conn, beneficiary)?;
    if let Some(notebook) = notebook {
        crate::store::timeline::record_event(conn, notebook, write.event.as_event(record))?;
    }
    let change = known.change.map(|change| PendingChange {
        notebook_id: notebook,
        ..change
    });
    Ok((known.outcome, change))
}

/// What a record does to a known person, decided from their row alone (no I/O): the same
/// decision whether the record goes alone or with its chunk.
#[derive(Debug, Clone)]
pub struct Known {
    /// What the record did.
    pub outcome: Outcome,
    /// The change to record (its notebook set by the writer).
    pub change: Option<PendingChange>,
    /// What to write; `None` when nothing changes.
    pub write: Option<PersonWrite>,
}

/// The writes of a record that changes a known person.
#[derive(Debug, Clone)]
pub struct PersonWrite {
    /// The person.
    pub beneficiary: Uuid,
    /// The fields written, with their values.
    pub values: Vec<(PersonField, serde_json::Value)>,
    /// The person's provenance after the write.
    pub provenance: serde_json::Value,
    /// The event of their notebook's timeline.
    pub event: TimelineChange,
}

/// A person's change as their notebook's timeline shows it.
#[derive(Debug, Clone)]
pub struct TimelineChange {
    /// `right` when only rights changed, else `beneficiary`.
    pub event_type: &'static str,
    /// Label, source, before → after.
    pub payload: serde_json::Value,
}

impl TimelineChange {
    /// The event, authored and dated as the record says.
    pub fn as_event<'a>(&'a self, record: &PersonRecord) -> crate::store::timeline::Event<'a> {
        crate::store::timeline::Event {
            author: crate::store::timeline::Author {
                account_id: record.source.author_account_id,
            },
            event_type: self.event_type,
            event_date: record.source.as_of,
            payload: &self.payload,
        }
    }
}

/// Decides what a record does to a known person from their row (`current`, with its
/// provenance); `None` when a pivot disagrees and nobody decided (a possible match).
pub fn decide_known(
    record: &PersonRecord,
    beneficiary: Uuid,
    key: MatchKey,
    current: &serde_json::Value,
    options: Options,
) -> Option<Known> {
    let mut provenance = FieldSources::from_json(current.get("provenance"));
    let FieldDecisions { apply, kept } = decide_fields(record, current, &provenance, options)?;
    let brought = present_values(record);
    let kept_values = field_changes(current, &provenance, &brought, kept.iter().copied());
    if apply.is_empty() {
        return Some(Known {
            outcome: Outcome::Unchanged {
                beneficiary_id: beneficiary,
                matched_by: key,
                kept,
                kept_values,
            },
            change: None,
            write: None,
        });
    }
    let changes = field_changes(
        current,
        &provenance,
        &apply,
        apply.iter().map(|(field, _)| *field),
    );
    provenance.set(
        record.claim(Utc::now()),
        apply.iter().map(|(field, _)| field.column().to_owned()),
    );
    let event = timeline_change(record, current, &apply);
    let written: Vec<PersonField> = apply.iter().map(|(field, _)| *field).collect();
    Some(Known {
        outcome: Outcome::Updated {
            beneficiary_id: beneficiary,
            matched_by: key,
            fields: written.clone(),
            kept,
            changes,
            kept_values,
        },
        change: Some(PendingChange {
            deployment_id: record.deployment_id,
            beneficiary_id: beneficiary,
            notebook_id: None,
            kind: "beneficiary.updated",
            fields: written
                .iter()
                .map(|field| field.column().to_owned())
                .collect(),
            source_system: Some(record.source.system.clone()),
        }),
        write: Some(PersonWrite {
            beneficiary,
            values: apply,
            provenance: provenance.to_json(),
            event,
        }),
    })
}

/// The person's change in their notebook's timeline: before → after per field (the NIR masked:
/// the timeline is read by people who may not see it), dated by the data's as-of date.
fn timeline_change(
    record: &PersonRecord,
    current: &serde_json::Value,
    apply: &[(PersonField, serde_json::Value)],
) -> TimelineChange {
    let before: serde_json::Map<String, serde_json::Value> = apply
        .iter()
        .map(|(field, _)| {
            let value = current.get(field.column()).cloned().unwrap_or_default();
            (field.column().to_owned(), field.shown(value))
        })
        .collect();
    let after: serde_json::Map<String, serde_json::Value> = apply
        .iter()
        .map(|(field, value)| (field.column().to_owned(), field.shown(value.clone())))
        .collect();
    let rights_only = apply.iter().all(|(field, _)| {
        matches!(
            field,
            PersonField::RightRsa
                | PersonField::RightAre
                | PersonField::RightAss
                | PersonField::RightBonus
                | PersonField::RsaSuspensionReason
                | PersonField::RsaClosureReason
                | PersonField::RsaClosureDate
                | PersonField::SubjectToRightAndDuty
        )
    });
    let (event_type, label) = if rights_only {
        ("right", "Droits")
    } else {
        ("beneficiary", "Informations personnelles")
    };
    TimelineChange {
        event_type,
        payload: serde_json::json!({
            "event_label": label,
            "source_system": record.source.system,
            "before": before,
            "after": after,
        }),
    }
}

/// Remembers which person a source's record is about, and when the source last reported it.
fn link_source(
    conn: &mut PgConnection,
    record: &PersonRecord,
    outcome: &(Outcome, Option<PendingChange>),
) -> QueryResult<()> {
    let beneficiary = match &outcome.0 {
        Outcome::Created { beneficiary_id, .. }
        | Outcome::Updated { beneficiary_id, .. }
        | Outcome::Unchanged { beneficiary_id, .. } => *beneficiary_id,
        _ => return Ok(()),
    };
    let Some(record_id) = &record.source.record_id else {
        return Ok(());
    };
    diesel::sql_query(
        "INSERT INTO beneficiary_source (deployment_id, beneficiary_id, source_system, source_record_id, last_as_of) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (deployment_id, source_system, source_record_id) DO UPDATE \
         SET beneficiary_id = EXCLUDED.beneficiary_id, last_as_of = greatest(beneficiary_source.last_as_of, EXCLUDED.last_as_of), \
         last_seen_at = now(), no_longer_reported_at = NULL",
    )
    .bind::<SqlUuid, _>(record.deployment_id)
    .bind::<SqlUuid, _>(beneficiary)
    .bind::<Text, _>(&record.source.system)
    .bind::<Text, _>(record_id)
    .bind::<Timestamptz, _>(record.source.as_of)
    .execute(conn)
    .map(|_| ())
}
