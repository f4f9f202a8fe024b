//! The timeline of a notebook and the last step of every notebook write: bump the version
//! (checking the one the caller read), record the event (who, what, when, before → after) and
//! the change-feed entry, in the writer's transaction.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
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
    #[diesel(sql_type = SqlUuid)]
    deployment_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    beneficiary_id: Uuid,
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
    let current: Version = diesel::sql_query(
        "SELECT version, deployment_id, beneficiary_id FROM notebook WHERE id = $1 FOR UPDATE",
    )
    .bind::<SqlUuid, _>(notebook)
    .get_result(conn)?;
    if let Some(expected) = expected
        && expected != current.version
    {
        return Err(WriteError::StaleVersion {
            expected,
            current: current.version,
        });
    }
    diesel::sql_query("UPDATE notebook SET version = version + 1 WHERE id = $1")
        .bind::<SqlUuid, _>(notebook)
        .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO notebook_event (deployment_id, notebook_id, event_type, event_date, author_account_id, payload) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind::<SqlUuid, _>(current.deployment_id)
    .bind::<SqlUuid, _>(notebook)
    .bind::<Text, _>(event_type)
    .bind::<Timestamptz, _>(event_date)
    .bind::<Nullable<SqlUuid>, _>(author.account_id)
    .bind::<Jsonb, _>(&payload)
    .execute(conn)?;
    changes::record(
        conn,
        &[PendingChange {
            deployment_id: current.deployment_id,
            beneficiary_id: current.beneficiary_id,
            notebook_id: Some(notebook),
            kind: "notebook.updated",
            fields: vec![format!("{event_type}s")],
            source_system: None,
        }],
    )?;
    Ok(current.version + 1)
}
