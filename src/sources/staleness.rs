//! Stale connector instances: when an instance has not succeeded within its threshold, its
//! deployment's managers are e-mailed once (the `cdb_connector_stale` gauge says it too); once
//! it succeeds again, a later staleness is told again. Run by the hourly housekeeping.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::notify;
use crate::store::{connectors, directory, outbox};

/// E-mails the managers of each instance that went stale since the last check, in the
/// transaction that marks it told; answers how many instances were told about.
pub fn alert_managers(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    conn.transaction(|conn| {
        let stale = connectors::take_stale_unalerted(conn, now)?;
        for instance in &stale {
            let notice = notify::connector_stale(
                &instance.name,
                &instance.kind,
                instance.stale_after_hours,
                instance.last_success_at,
            );
            for manager in directory::manager_emails(conn, instance.deployment_id)? {
                outbox::queue(conn, &manager, &notice.subject, &notice.body)?;
            }
            tracing::warn!(instance = %instance.id, kind = %instance.kind, "connector stale: managers told");
        }
        Ok(stale.len())
    })
}
