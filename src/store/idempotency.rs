//! Idempotency keys of POSTs: a key is claimed before its request runs, then keeps the first
//! answer (or is freed when the request failed) for 24 hours.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Bytea, Integer, Jsonb, Nullable, Text};

/// How long a key keeps its answer.
pub const KEPT_HOURS: i32 = 24;

/// A kept answer.
#[derive(Debug, Clone, QueryableByName)]
pub struct StoredAnswer {
    /// Status of the first answer.
    #[diesel(sql_type = Integer)]
    pub status: i32,
    /// Headers of the first answer worth replaying (`Location`, `ETag`, `Content-Type`).
    #[diesel(sql_type = Jsonb)]
    pub headers: serde_json::Value,
    /// Its JSON body, when it carries no credential.
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub body: Option<serde_json::Value>,
    /// Its body sealed with the hub's secrets key, when it carries a credential.
    #[diesel(sql_type = Nullable<Bytea>)]
    pub sealed_body: Option<Vec<u8>>,
}

/// What claiming a key found.
#[derive(Debug)]
pub enum Claim {
    /// The key is this request's: run it.
    Taken,
    /// The same request answered already: replay this.
    Answered(StoredAnswer),
    /// The same request is running (claimed less than `lease_seconds` ago).
    Running,
    /// The same request was claimed by a process that stopped before it answered: whether it
    /// ran is unknown.
    Abandoned,
    /// The key was used for another request.
    Reused,
}

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = Text)]
    request_hash: String,
    #[diesel(sql_type = Nullable<Integer>)]
    status: Option<i32>,
    #[diesel(sql_type = Jsonb)]
    response_headers: serde_json::Value,
    #[diesel(sql_type = Nullable<Jsonb>)]
    response_body: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<Bytea>)]
    sealed_body: Option<Vec<u8>>,
    #[diesel(sql_type = Bool)]
    stale: bool,
}

/// Claims a caller's key for a request (a key older than [`KEPT_HOURS`] is free again), or
/// says what holds it.
pub fn claim(
    conn: &mut PgConnection,
    caller: &str,
    key: &str,
    request_hash: &str,
    lease_seconds: i32,
) -> QueryResult<Claim> {
    for _ in 0..2 {
        let taken = diesel::sql_query(
            "INSERT INTO idempotency_key (caller, key, request_hash) VALUES ($1, $2, $3) \
             ON CONFLICT (caller, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, \
                 status = NULL, response_body = NULL, sealed_body = NULL, \
                 response_headers = '{}', created_at = now() \
             WHERE idempotency_key.created_at < now() - make_interval(hours => $4)",
        )
        .bind::<Text, _>(caller)
        .bind::<Text, _>(key)
        .bind::<Text, _>(request_hash)
        .bind::<Integer, _>(KEPT_HOURS)
        .execute(conn)?;
        if taken == 1 {
            return Ok(Claim::Taken);
        }
        let held: Option<Held> = diesel::sql_query(
            "SELECT request_hash, status, response_headers, response_body, sealed_body, \
                    created_at < now() - make_interval(secs => $3) AS stale \
             FROM idempotency_key WHERE caller = $1 AND key = $2",
        )
        .bind::<Text, _>(caller)
        .bind::<Text, _>(key)
        .bind::<Integer, _>(lease_seconds)
        .get_result(conn)
        .optional()?;
        // Freed between the two statements: claim it again.
        let Some(held) = held else { continue };
        return Ok(if held.request_hash != request_hash {
            Claim::Reused
        } else {
            match held.status {
                Some(status) => Claim::Answered(StoredAnswer {
                    status,
                    headers: held.response_headers,
                    body: held.response_body,
                    sealed_body: held.sealed_body,
                }),
                None if held.stale => Claim::Abandoned,
                None => Claim::Running,
            }
        });
    }
    Ok(Claim::Running)
}

/// Keeps the answer of a claimed key.
pub fn keep(
    conn: &mut PgConnection,
    caller: &str,
    key: &str,
    answer: &StoredAnswer,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE idempotency_key SET status = $3, response_headers = $4, response_body = $5, \
             sealed_body = $6 \
         WHERE caller = $1 AND key = $2 AND status IS NULL",
    )
    .bind::<Text, _>(caller)
    .bind::<Text, _>(key)
    .bind::<Integer, _>(answer.status)
    .bind::<Jsonb, _>(&answer.headers)
    .bind::<Nullable<Jsonb>, _>(answer.body.as_ref())
    .bind::<Nullable<Bytea>, _>(answer.sealed_body.as_deref())
    .execute(conn)?;
    Ok(())
}

/// Frees a claimed key whose request failed, so that it can be sent again.
pub fn free(conn: &mut PgConnection, caller: &str, key: &str) -> QueryResult<()> {
    diesel::sql_query(
        "DELETE FROM idempotency_key WHERE caller = $1 AND key = $2 AND status IS NULL",
    )
    .bind::<Text, _>(caller)
    .bind::<Text, _>(key)
    .execute(conn)?;
    Ok(())
}

/// Deletes the keys past [`KEPT_HOURS`]; returns how many.
pub fn prune(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM idempotency_key WHERE created_at < now() - make_interval(hours => $1)",
    )
    .bind::<Integer, _>(KEPT_HOURS)
    .execute(conn)
}
