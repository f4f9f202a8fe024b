//! The access journal: one append-only row per access to a person's data.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::access_log;

/// An access to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = access_log)]
pub struct NewAccess {
    pub deployment_id: Option<Uuid>,
    pub beneficiary_id: Uuid,
    pub actor_kind: String,
    pub account_id: Option<Uuid>,
    pub api_client_id: Option<Uuid>,
    pub actor_role: String,
    pub on_behalf_structure_id: Option<Uuid>,
    pub on_behalf_professional_id: Option<Uuid>,
    pub action: String,
    pub resource: String,
    pub outcome: String,
    pub purpose: Option<String>,
    pub request_id: Option<String>,
}

/// A recorded access.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = access_log)]
pub struct AccessRow {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub beneficiary_id: Uuid,
    pub actor_kind: String,
    pub account_id: Option<Uuid>,
    pub api_client_id: Option<Uuid>,
    pub actor_role: String,
    pub on_behalf_structure_id: Option<Uuid>,
    pub on_behalf_professional_id: Option<Uuid>,
    pub action: String,
    pub resource: String,
    pub outcome: String,
    pub purpose: Option<String>,
    pub request_id: Option<String>,
}

/// Appends accesses.
pub fn record(conn: &mut PgConnection, accesses: &[NewAccess]) -> QueryResult<()> {
    if accesses.is_empty() {
        return Ok(());
    }
    diesel::insert_into(access_log::table)
        .values(accesses)
        .execute(conn)
        .map(|_| ())
}

/// One page of a person's journal, newest first (keyset on the journal's sequence).
pub fn for_beneficiary(
    conn: &mut PgConnection,
    beneficiary_id: Uuid,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<(Vec<AccessRow>, Option<i64>)> {
    let mut query = access_log::table
        .filter(access_log::beneficiary_id.eq(beneficiary_id))
        .select(AccessRow::as_select())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(access_log::id.lt(before));
    }
    let mut rows: Vec<AccessRow> = query
        .order(access_log::id.desc())
        .limit(limit + 1)
        .load(conn)?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        rows.last().map(|row| row.id)
    } else {
        None
    };
    Ok((rows, next))
}
