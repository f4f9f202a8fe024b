//! Fan-out: the changes after a subscription's cursor that its API client may see (the same
//! filter as `GET /v1/changes`) and of its event types become deliveries, and the cursor moves,
//! in one transaction per batch.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::auth::policy;
use crate::domain::cursor::after_sequence as cursor_after_sequence;
use crate::store::changes::{self, ChangeRow};
use crate::store::reach;
use crate::store::webhooks::{self as store, NewDelivery};

/// Changes read per subscription and transaction.
pub const BATCH: i64 = 500;

/// The body of a delivery: the change as `GET /v1/changes` shows it, its feed cursor and the
/// subscription's running count.
pub fn body(delivery: Uuid, change: &ChangeRow, events_since_start: i64) -> serde_json::Value {
    serde_json::json!({
        "id": delivery,
        "event": change.kind,
        "cursor": cursor_after_sequence(change.seq),
        "events_since_start": events_since_start,
        "change": {
            "seq": change.seq,
            "kind": change.kind,
            "beneficiary_id": change.beneficiary_id,
            "notebook_id": change.notebook_id,
            "fields": change.fields.iter().flatten().collect::<Vec<_>>(),
            "source_system": change.source_system,
            "committed_at": change.committed_at,
        },
    })
}

/// Fans one batch of one subscription out; answers the deliveries created and whether the
/// batch was full (more may follow).
pub fn fan_out_batch(
    conn: &mut PgConnection,
    subscription: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<(usize, bool)> {
    conn.transaction(|conn| {
        let Some(target) = store::lock_for_fan_out(conn, subscription)? else {
            return Ok((0, false));
        };
        // A client that may no longer read people receives nothing; its cursor waits.
        if !target.may_read {
            return Ok((0, false));
        }
        let reach = policy::client_beneficiaries(target.deployment_id, target.structure_id);
        let rows = changes::after(
            conn,
            reach::beneficiaries(reach),
            policy::purge_tombstones(reach),
            Some(target.deployment_id),
            target.cursor,
            BATCH,
        )?;
        let Some(last) = rows.last().map(|row| row.seq) else {
            return Ok((0, false));
        };
        let mut count = target.events_since_start;
        let mut created = 0;
        for row in rows
            .iter()
            .filter(|row| super::wants(&target.event_types, &row.kind))
        {
            let id = Uuid::now_v7();
            let new = NewDelivery {
                id,
                change_seq: row.seq,
                beneficiary_id: row.beneficiary_id,
                body: body(id, row, count + 1),
            };
            if store::add_delivery(conn, target.id, &new, now)? {
                count += 1;
                created += 1;
            }
        }
        store::advance(conn, target.id, last, count)?;
        Ok((created, rows.len() as i64 == BATCH))
    })
}

/// Fans every enabled subscription out until it has caught up with the feed; answers the
/// deliveries created.
pub fn fan_out_all(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    let mut total = 0;
    for subscription in store::enabled_subscriptions(conn)? {
        loop {
            let (created, more) = fan_out_batch(conn, subscription, now)?;
            total += created;
            if !more {
                break;
            }
        }
    }
    Ok(total)
}
