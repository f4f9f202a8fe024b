//! The last event received of each resource of a system sending events, so that an older
//! event arriving late changes nothing.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

#[derive(QueryableByName)]
struct Newer {
    #[diesel(sql_type = Bool)]
    newer: bool,
}

/// Records an event of a resource dated `at`; `false` when a newer one was already received
/// (the event is then to be dropped).
pub fn record_if_newer(
    conn: &mut PgConnection,
    instance: Uuid,
    resource: &str,
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    let row: Newer = diesel::sql_query(
        "WITH up AS (INSERT INTO inbound_event_state (instance_id, model, resource_id, last_event_at) \
           VALUES ($1, 'User', $2, $3) ON CONFLICT (instance_id, model, resource_id) DO UPDATE \
           SET last_event_at = EXCLUDED.last_event_at, received_at = now() \
           WHERE inbound_event_state.last_event_at <= EXCLUDED.last_event_at RETURNING 1) \
         SELECT EXISTS (SELECT 1 FROM up) AS newer",
    )
    .bind::<SqlUuid, _>(instance)
    .bind::<Text, _>(resource)
    .bind::<Timestamptz, _>(at)
    .get_result(conn)?;
    Ok(row.newer)
}
