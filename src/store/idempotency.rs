//! Idempotency keys of POSTs: the advisory lock taken for a key and the first answer kept for
//! replays.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Jsonb, Text};

/// A response kept for replays.
#[derive(Debug, Clone, QueryableByName)]
pub struct StoredAnswer {
    /// Hash of the request (path and body) that first used the key.
    #[diesel(sql_type = Text)]
    pub request_hash: String,
    /// Status of the first answer.
    #[diesel(sql_type = Integer)]
    pub status: i32,
    /// Body of the first answer.
    #[diesel(sql_type = Jsonb)]
    pub response_body: serde_json::Value,
}

/// Takes the transaction-scoped advisory lock of a caller's key; false when another
/// transaction holds it.
pub fn try_lock(conn: &mut PgConnection, caller: &str, key: &str) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Taken {
        #[diesel(sql_type = Bool)]
        taken: bool,
    }
    let taken: Taken = diesel::sql_query(
        "SELECT pg_try_advisory_xact_lock(hashtextextended('idempotency:' || $1 || ':' || $2, 0)) AS taken",
    )
    .bind::<Text, _>(caller)
    .bind::<Text, _>(key)
    .get_result(conn)?;
    Ok(taken.taken)
}

/// The answer kept for a caller's key, if any.
pub fn stored(
    conn: &mut PgConnection,
    caller: &str,
    key: &str,
) -> QueryResult<Option<StoredAnswer>> {
    diesel::sql_query(
        "SELECT request_hash, status, response_body FROM idempotency_key WHERE caller = $1 AND key = $2",
    )
    .bind::<Text, _>(caller)
    .bind::<Text, _>(key)
    .get_result(conn)
    .optional()
}

/// Keeps the answer to a caller's key (the first one stored wins).
pub fn keep(
    conn: &mut PgConnection,
    caller: &str,
    key: &str,
    request_hash: &str,
    status: i32,
    body: &serde_json::Value,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO idempotency_key (caller, key, request_hash, status, response_body) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (caller, key) DO NOTHING",
    )
    .bind::<Text, _>(caller)
    .bind::<Text, _>(key)
    .bind::<Text, _>(request_hash)
    .bind::<Integer, _>(status)
    .bind::<Jsonb, _>(body)
    .execute(conn)?;
    Ok(())
}
