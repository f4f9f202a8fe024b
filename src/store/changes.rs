//! The change feed: every committed change of a person gets the next sequence number, taken at
//! the very end of its transaction (see the migration), so that readers resuming after a
//! number never miss a change nor see one twice.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::privacy::PURGED;
use super::reach::BeneficiaryFilter;
use crate::domain::reach::TombstoneReach;
use crate::schema::{beneficiary, change, change_counter};

/// A change to record with the transaction that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    /// Deployment.
    pub deployment_id: Uuid,
    /// The person.
    pub beneficiary_id: Uuid,
    /// Their notebook.
    pub notebook_id: Option<Uuid>,
    /// `beneficiary.created`, `beneficiary.updated`…
    pub kind: &'static str,
    /// Fields changed.
    pub fields: Vec<String>,
    /// The source system of the change.
    pub source_system: Option<String>,
}

/// A committed change.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = change)]
pub struct ChangeRow {
    pub seq: i64,
    pub deployment_id: Uuid,
    pub beneficiary_id: Option<Uuid>,
    pub notebook_id: Option<Uuid>,
    pub kind: String,
    pub fields: Vec<Option<String>>,
    pub source_system: Option<String>,
    pub committed_at: DateTime<Utc>,
}

/// Records changes: must be the last statement of the transaction (it locks the counter
/// until commit).
pub fn record(conn: &mut PgConnection, changes: &[PendingChange]) -> QueryResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let count = i64::try_from(changes.len()).unwrap_or(i64::MAX);
    let last: i64 = diesel::update(change_counter::table)
        .set(change_counter::value.eq(change_counter::value + count))
        .returning(change_counter::value)
        .get_result(conn)?;
    let first = last - count + 1;
    let rows: Vec<_> = changes
        .iter()
        .enumerate()
        .map(|(offset, pending)| {
            (
                change::seq.eq(first + offset as i64),
                change::deployment_id.eq(pending.deployment_id),
                change::beneficiary_id.eq(Some(pending.beneficiary_id)),
                change::notebook_id.eq(pending.notebook_id),
                change::kind.eq(pending.kind),
                change::fields.eq(pending.fields.iter().cloned().map(Some).collect::<Vec<_>>()),
                change::source_system.eq(pending.source_system.clone()),
            )
        })
        .collect();
    diesel::insert_into(change::table)
        .values(rows)
        .execute(conn)
        .map(|_| ())
}

/// Changes after a sequence number, of the people within reach, in sequence order; with the
/// purge tombstones the caller sees (the purged person is no longer within anyone's reach).
pub fn after(
    conn: &mut PgConnection,
    reach: BeneficiaryFilter,
    tombstones: TombstoneReach,
    deployment: Option<Uuid>,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<ChangeRow>> {
    let visible = beneficiary::table
        .filter(reach)
        .select(beneficiary::id.nullable())
        .into_boxed();
    let mut query = change::table
        .filter(change::seq.gt(after))
        .select(ChangeRow::as_select())
        .into_boxed();
    query = match tombstones {
        TombstoneReach::Nothing => query.filter(change::beneficiary_id.eq_any(visible)),
        TombstoneReach::Everything => query.filter(
            change::beneficiary_id
                .eq_any(visible)
                .or(change::kind.eq(PURGED).nullable()),
        ),
        TombstoneReach::Deployment(purged_in) => query.filter(
            change::beneficiary_id.eq_any(visible).or(change::kind
                .eq(PURGED)
                .and(change::deployment_id.eq(purged_in))
                .nullable()),
        ),
    };
    if let Some(deployment) = deployment {
        query = query.filter(change::deployment_id.eq(deployment));
    }
    query.order(change::seq.asc()).limit(limit).load(conn)
}
