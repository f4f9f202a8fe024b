//! Possible matches: records kept aside until a manager says which person they are about.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

/// A possible match as stored.
#[derive(Debug, Clone, QueryableByName)]
pub struct MatchRow {
    /// The possible match.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its deployment.
    #[diesel(sql_type = SqlUuid)]
    pub deployment_id: Uuid,
    /// `ambiguous` or `pivot_conflict`.
    #[diesel(sql_type = Text)]
    pub reason: String,
    /// The record as received.
    #[diesel(sql_type = Jsonb)]
    pub record: serde_json::Value,
    /// The people it may be about.
    #[diesel(sql_type = Array<SqlUuid>)]
    pub candidate_ids: Vec<Uuid>,
    /// `open`, `same_person` or `different_person`.
    #[diesel(sql_type = Text)]
    pub status: String,
    /// When it was kept.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// Holds a record for a person to decide, once: the same source's record sent again (the same
/// source record id, or the same fields when it has none) finds its open possible match, which
/// takes the newer version of the record and its candidates. Answers the possible match.
pub fn hold(
    conn: &mut PgConnection,
    deployment: Uuid,
    reason: &str,
    record: &serde_json::Value,
    candidates: &[Uuid],
) -> QueryResult<Uuid> {
    let open: Option<Held> = diesel::sql_query(
        "SELECT id FROM possible_match WHERE deployment_id = $1 AND status = 'open' \
         AND record #>> '{source,system}' = $2 #>> '{source,system}' \
         AND md5(coalesce(record #>> '{source,record_id}', record ->> 'fields')) \
           = md5(coalesce($2 #>> '{source,record_id}', $2 ->> 'fields')) \
         ORDER BY created_at LIMIT 1 FOR UPDATE",
    )
    .bind::<SqlUuid, _>(deployment)
    .bind::<Jsonb, _>(record)
    .get_result(conn)
    .optional()?;
    match open {
        Some(held) => {
            diesel::sql_query(
                "UPDATE possible_match SET record = $2, reason = $3, candidate_ids = $4 \
                 WHERE id = $1 AND (record #>> '{source,as_of}')::timestamptz < ($2 #>> '{source,as_of}')::timestamptz",
            )
            .bind::<SqlUuid, _>(held.id)
            .bind::<Jsonb, _>(record)
            .bind::<Text, _>(reason)
            .bind::<Array<SqlUuid>, _>(candidates)
            .execute(conn)?;
            Ok(held.id)
        }
        None => diesel::sql_query(
            "INSERT INTO possible_match (deployment_id, reason, record, candidate_ids) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind::<SqlUuid, _>(deployment)
        .bind::<Text, _>(reason)
        .bind::<Jsonb, _>(record)
        .bind::<Array<SqlUuid>, _>(candidates)
        .get_result::<Held>(conn)
        .map(|held| held.id),
    }
}

const COLUMNS: &str = "id, deployment_id, reason, record, candidate_ids, status, created_at";

/// The open possible matches of a deployment after `after`, by id (`limit` rows at most).
pub fn open(
    conn: &mut PgConnection,
    deployment: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<MatchRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM possible_match \
         WHERE deployment_id = $1 AND status = 'open' AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3"
    ))
    .bind::<SqlUuid, _>(deployment)
    .bind::<Nullable<SqlUuid>, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// An open possible match of a deployment, locked for the rest of the transaction.
pub fn lock_open(
    conn: &mut PgConnection,
    id: Uuid,
    deployment: Uuid,
) -> QueryResult<Option<MatchRow>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM possible_match \
         WHERE id = $1 AND deployment_id = $2 AND status = 'open' FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(deployment)
    .get_result(conn)
    .optional()
}

/// Keeps a manager's decision on a possible match and the person it resolved to.
pub fn decide(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    decided_by_account_id: Option<Uuid>,
    resolved_beneficiary_id: Option<Uuid>,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE possible_match SET status = $2, decided_by_account_id = $3, decided_at = now(), resolved_beneficiary_id = $4 WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(status)
    .bind::<Nullable<SqlUuid>, _>(decided_by_account_id)
    .bind::<Nullable<SqlUuid>, _>(resolved_beneficiary_id)
    .execute(conn)?;
    Ok(())
}
