//! The timeline of a notebook and the last step of every notebook write: bump the version
//! (checking the one the caller read), record the event (who, what, when, before → after) and
//! the change-feed entry, in the writer's transaction.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::changes::{self, PendingChange};

/// Who writes, for the timeline.
#[derive(Debug, Clone, Copy)]
pub struct Author {
    /// The account, when a person writes.
    pub account_id: Option<Uuid>,
}

/// Why a notebook write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The notebook changed since the version the caller read.
    #[error("the notebook is at version {current}, not {expected}")]
    StaleVersion {
        /// Version the caller read.
        expected: i64,
        /// Version now.
        current: i64,
    },
    /// The focus, target or action is not in this notebook.
    #[error("no such item in this notebook")]
    NotFound,
    /// The caller's place in the notebook does not allow this write.
    #[error("{0}")]
    Forbidden(String),
    /// The write contradicts the notebook's current state (e.g. already there).
    #[error("{0}")]
    Conflict(String),
    /// A value the referentials refuse (theme, status, contract link).
    #[error("{0}")]
    Invalid(String),
    /// Database failure.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    version: i64,
}

pub fn invalid_or(error: diesel::result::Error) -> WriteError {
    match &error {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation
            | diesel::result::DatabaseErrorKind::CheckViolation,
            info,
        ) => WriteError::Invalid(format!(
            "a value is not in the referential ({})",
            info.constraint_name().unwrap_or("constraint")
        )),
        _ => WriteError::Database(error),
    }
}

/// The notebook's version, checking the one the caller read when given: the answer of a
/// write that changes nothing.
pub fn check(
    conn: &mut PgConnection,
    notebook: Uuid,
    expected: Option<i64>,
) -> Result<i64, WriteError> {
    let current: Version =
        diesel::sql_query("SELECT version FROM notebook WHERE id = $1 FOR UPDATE")
            .bind::<SqlUuid, _>(notebook)
            .get_result(conn)?;
    match expected {
        Some(expected) if expected != current.version => Err(WriteError::StaleVersion {
            expected,
            current: current.version,
        }),
        _ => Ok(current.version),
    }
}

/// Bumps the notebook's version, checking the one the caller read when given; records the
/// timeline event and the change. Last step of every notebook write.
pub fn commit(
    conn: &mut PgConnection,
    notebook: Uuid,
    expected: Option<i64>,
    author: Author,
    event_type: &str,
    event_date: DateTime<Utc>,
    payload: serde_json::Value,
) -> Result<i64, WriteError> {
    let current = check(conn, notebook, expected)?;
    let change = stage(conn, notebook, author, event_type, event_date, &payload)?;
    changes::record(conn, &[change])?;
    Ok(current + 1)
}

/// Records a timeline event and bumps the notebook's version, answering the change-feed
/// entry for the caller to record with others (file imports record a chunk's at its end).
pub fn stage(
    conn: &mut PgConnection,
    notebook: Uuid,
    author: Author,
    event_type: &str,
    event_date: DateTime<Utc>,
    payload: &serde_json::Value,
) -> QueryResult<PendingChange> {
    let (deployment_id, beneficiary_id) = record_event(
        conn,
        notebook,
        Event {
            author,
            event_type,
            event_date,
            payload,
        },
    )?;
    Ok(PendingChange {
        deployment_id,
        beneficiary_id,
        notebook_id: Some(notebook),
        kind: "notebook.updated",
        fields: vec![changed_part(event_type).to_owned()],
        source_system: None,
    })
}

/// One timeline event.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    /// Who.
    pub author: Author,
    /// Key of `notebook_event_type`.
    pub event_type: &'a str,
    /// When it happened (the data's as-of date for a source).
    pub event_date: DateTime<Utc>,
    /// What: label, before → after.
    pub payload: &'a serde_json::Value,
}

#[derive(QueryableByName)]
struct Owner {
    #[diesel(sql_type = SqlUuid)]
    deployment_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    beneficiary_id: Uuid,
}

/// Records a timeline event and bumps the notebook's version (without a change-feed entry:
/// for writers that record their own, like the inbound pipeline). Answers the notebook's
/// deployment and beneficiary.
pub fn record_event(
    conn: &mut PgConnection,
    notebook: Uuid,
    event: Event<'_>,
) -> QueryResult<(Uuid, Uuid)> {
    let owner: Owner = diesel::sql_query(
        "WITH n AS (UPDATE notebook SET version = version + 1 WHERE id = $1 RETURNING deployment_id, beneficiary_id),          e AS (INSERT INTO notebook_event (deployment_id, notebook_id, event_type, event_date, author_account_id, payload)                SELECT deployment_id, $1, $2, $3, $4, $5 FROM n)          SELECT deployment_id, beneficiary_id FROM n",
    )
    .bind::<SqlUuid, _>(notebook)
    .bind::<Text, _>(event.event_type)
    .bind::<Timestamptz, _>(event.event_date)
    .bind::<Nullable<SqlUuid>, _>(event.author.account_id)
    .bind::<Jsonb, _>(event.payload)
    .get_result(conn)?;
    Ok((owner.deployment_id, owner.beneficiary_id))
}

/// Records events in several notebooks at once (a chunk of a file): one statement, each
/// notebook's version bumped once per event as [`record_event`] does.
pub fn record_events(conn: &mut PgConnection, events: &[(Uuid, Event<'_>)]) -> QueryResult<()> {
    insert_events(conn, events).map(|_| ())
}

/// Stages events in several notebooks at once, as [`stage`] does one: their change-feed
/// entries, in the events' order.
pub fn stage_all(
    conn: &mut PgConnection,
    events: &[(Uuid, Event<'_>)],
) -> QueryResult<Vec<PendingChange>> {
    let owners = insert_events(conn, events)?;
    events
        .iter()
        .map(|(notebook, event)| {
            let owner = owners
                .get(notebook)
                .ok_or(diesel::result::Error::NotFound)?;
            Ok(PendingChange {
                deployment_id: owner.deployment_id,
                beneficiary_id: owner.beneficiary_id,
                notebook_id: Some(*notebook),
                kind: "notebook.updated",
                fields: vec![changed_part(event.event_type).to_owned()],
                source_system: None,
            })
        })
        .collect()
}

/// Stages each notebook's planned events (type and payload), in order, dated now a
/// microsecond apart so that a notebook's events keep their order as if written one by one;
/// answers each notebook's change-feed entries.
pub fn stage_planned(
    conn: &mut PgConnection,
    planned: &[(Uuid, &[(&'static str, serde_json::Value)])],
    author: Author,
) -> QueryResult<Vec<Vec<PendingChange>>> {
    let now = Utc::now();
    let events: Vec<(Uuid, Event<'_>)> = planned
        .iter()
        .flat_map(|(notebook, events)| {
            events
                .iter()
                .enumerate()
                .map(move |(i, (event_type, payload))| {
                    let offset = i64::try_from(i).unwrap_or(0);
                    (
                        *notebook,
                        Event {
                            author,
                            event_type,
                            event_date: now + chrono::Duration::microseconds(offset),
                            payload,
                        },
                    )
                })
        })
        .collect();
    let mut staged = stage_all(conn, &events)?;
    Ok(planned
        .iter()
        .map(|(_, events)| staged.drain(..events.len()).collect())
        .collect())
}

#[derive(QueryableByName)]
struct NotebookOwner {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    deployment_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    beneficiary_id: Uuid,
}

/// Inserts the events and bumps their notebooks' versions; answers each notebook's owner.
fn insert_events(
    conn: &mut PgConnection,
    events: &[(Uuid, Event<'_>)],
) -> QueryResult<std::collections::HashMap<Uuid, Owner>> {
    if events.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let notebooks: Vec<Uuid> = events.iter().map(|(notebook, _)| *notebook).collect();
    let types: Vec<&str> = events.iter().map(|(_, e)| e.event_type).collect();
    let dates: Vec<DateTime<Utc>> = events.iter().map(|(_, e)| e.event_date).collect();
    let authors: Vec<Option<Uuid>> = events.iter().map(|(_, e)| e.author.account_id).collect();
    let payloads: Vec<&serde_json::Value> = events.iter().map(|(_, e)| e.payload).collect();
    let owners: Vec<NotebookOwner> = diesel::sql_query(
        "WITH t AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::uuid[], $5::jsonb[]) \
             WITH ORDINALITY AS t(notebook_id, event_type, event_date, author, payload, position)), \
         n AS (UPDATE notebook SET version = version + c.events \
             FROM (SELECT notebook_id, count(*) AS events FROM t GROUP BY notebook_id) AS c \
             WHERE notebook.id = c.notebook_id AND notebook.id = ANY ($1) \
             RETURNING notebook.id, notebook.deployment_id, notebook.beneficiary_id), \
         e AS (INSERT INTO notebook_event (deployment_id, notebook_id, event_type, event_date, author_account_id, payload) \
             SELECT n.deployment_id, t.notebook_id, t.event_type, t.event_date, t.author, t.payload \
             FROM t JOIN n ON n.id = t.notebook_id ORDER BY t.position) \
         SELECT id, deployment_id, beneficiary_id FROM n",
    )
    .bind::<Array<SqlUuid>, _>(&notebooks)
    .bind::<Array<Text>, _>(&types)
    .bind::<Array<Timestamptz>, _>(&dates)
    .bind::<Array<Nullable<SqlUuid>>, _>(&authors)
    .bind::<Array<Jsonb>, _>(&payloads)
    .load(conn)?;
    Ok(owners
        .into_iter()
        .map(|owner| {
            (
                owner.id,
                Owner {
                    deployment_id: owner.deployment_id,
                    beneficiary_id: owner.beneficiary_id,
                },
            )
        })
        .collect())
}

/// The part of the notebook an event type changes, as named in the change feed.
fn changed_part(event_type: &str) -> &str {
    match event_type {
        "focus" => "focuses",
        "target" => "targets",
        "action" => "actions",
        "appointment" => "appointments",
        "situation" => "situations",
        "professional_project" => "professional_projects",
        "member" => "members",
        "orientation" => "orientation",
        "notebook" => "diagnostic",
        other => other,
    }
}
