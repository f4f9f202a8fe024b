//! Full-snapshot sync sessions: opened by a source, completed once it sent its whole stock; the
//! people that source reported before but not during the session are marked as no longer
//! reported, and the change feed says so.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::changes::{self, PendingChange};

/// A session.
#[derive(Debug, Clone, QueryableByName)]
pub struct SessionRow {
    /// The session.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its deployment.
    #[diesel(sql_type = SqlUuid)]
    pub deployment_id: Uuid,
    /// The source that sends its stock.
    #[diesel(sql_type = Text)]
    pub source_system: String,
    /// Where it stands.
    #[diesel(sql_type = Text)]
    pub status: crate::domain::states::SyncSessionStatus,
    /// When it was opened: records not seen since are no longer reported at completion.
    #[diesel(sql_type = Timestamptz)]
    pub started_at: DateTime<Utc>,
    /// When it was completed or abandoned.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub ended_at: Option<DateTime<Utc>>,
    /// How many people were marked as no longer reported at completion.
    #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
    pub no_longer_reported: Option<i32>,
}

const COLUMNS: &str =
    "id, deployment_id, source_system, status, started_at, ended_at, no_longer_reported";

/// Why a session could not be opened or ended.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A session of the same source is open.
    #[error("a session of this source is already open")]
    AlreadyOpen(Box<SessionRow>),
    /// The session is not open any more.
    #[error("the session is {0}")]
    NotOpen(String),
    /// No such session for this source.
    #[error("no such session")]
    NotFound,
    /// Database failure.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Opens a session for a source.
pub fn open(
    conn: &mut PgConnection,
    deployment: Uuid,
    source_system: &str,
) -> Result<SessionRow, SessionError> {
    conn.transaction(|conn| {
        let created: Option<SessionRow> = diesel::sql_query(format!(
            "INSERT INTO sync_session (deployment_id, source_system) VALUES ($1, $2) \
             ON CONFLICT (deployment_id, source_system) WHERE status = 'open' DO NOTHING RETURNING {COLUMNS}"
        ))
        .bind::<SqlUuid, _>(deployment)
        .bind::<Text, _>(source_system)
        .get_result(conn)
        .optional()?;
        match created {
            Some(session) => Ok(session),
            None => {
                let open: SessionRow = diesel::sql_query(format!(
                    "SELECT {COLUMNS} FROM sync_session WHERE deployment_id = $1 AND source_system = $2 AND status = 'open'"
                ))
                .bind::<SqlUuid, _>(deployment)
                .bind::<Text, _>(source_system)
                .get_result(conn)?;
                Err(SessionError::AlreadyOpen(Box::new(open)))
            }
        }
    })
}

/// A session of a source.
pub fn get(
    conn: &mut PgConnection,
    deployment: Uuid,
    source_system: &str,
    id: Uuid,
) -> QueryResult<Option<SessionRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM sync_session WHERE id = $1 AND deployment_id = $2 AND source_system = $3"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(deployment)
    .bind::<Text, _>(source_system)
    .get_result(conn)
    .optional()
}

#[derive(QueryableByName)]
struct Marked {
    #[diesel(sql_type = SqlUuid)]
    beneficiary_id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    notebook_id: Option<Uuid>,
}

/// Ends an open session: `complete` marks the people of the source not seen since it started
/// as no longer reported (one change each); otherwise it is abandoned and marks nobody.
pub fn end(
    conn: &mut PgConnection,
    deployment: Uuid,
    source_system: &str,
    id: Uuid,
    complete: bool,
) -> Result<SessionRow, SessionError> {
    conn.transaction(|conn| {
        let session: SessionRow = diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM sync_session WHERE id = $1 AND deployment_id = $2 AND source_system = $3 FOR UPDATE"
        ))
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(deployment)
        .bind::<Text, _>(source_system)
        .get_result(conn)
        .optional()?
        .ok_or(SessionError::NotFound)?;
        if session.status != crate::domain::states::SyncSessionStatus::Open {
            return Err(SessionError::NotOpen(session.status.to_string()));
        }
        let marked: Vec<Marked> = if complete {
            diesel::sql_query(
                "WITH m AS (UPDATE beneficiary_source SET no_longer_reported_at = now() \
                   WHERE deployment_id = $1 AND source_system = $2 AND last_seen_at < $3 AND no_longer_reported_at IS NULL \
                   RETURNING beneficiary_id) \
                 SELECT DISTINCT m.beneficiary_id, n.id AS notebook_id FROM m LEFT JOIN notebook n ON n.beneficiary_id = m.beneficiary_id",
            )
            .bind::<SqlUuid, _>(deployment)
            .bind::<Text, _>(source_system)
            .bind::<Timestamptz, _>(session.started_at)
            .load(conn)?
        } else {
            Vec::new()
        };
        let count = i32::try_from(marked.len()).unwrap_or(i32::MAX);
        let ended: SessionRow = diesel::sql_query(format!(
            "UPDATE sync_session SET status = $2, ended_at = now(), no_longer_reported = $3 WHERE id = $1 RETURNING {COLUMNS}"
        ))
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(if complete { "completed" } else { "abandoned" })
        .bind::<Nullable<diesel::sql_types::Integer>, _>(complete.then_some(count))
        .get_result(conn)?;
        let pending: Vec<PendingChange> = marked
            .into_iter()
            .map(|row| PendingChange {
                deployment_id: deployment,
                beneficiary_id: row.beneficiary_id,
                notebook_id: row.notebook_id,
                kind: "beneficiary.no_longer_reported",
                fields: Vec::new(),
                source_system: Some(source_system.to_owned()),
            })
            .collect();
        changes::record(conn, &pending)?;
        Ok(ended)
    })
}
