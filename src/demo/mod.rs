//! The demo: two synthetic deployments ("CD 26 (démo)", "CD 93 (démo)") with their staff and
//! beneficiaries with complete notebooks, generated deterministically and loaded idempotently
//! (a second load with the same size writes nothing; a larger size adds the missing people).

mod ids;
mod people;
mod population;
mod referentials;
mod rows;
mod staff;
mod tables;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use uuid::Uuid;

use crate::postgres::DbPool;
use crate::schema;
use population::TERRITORIES;
use referentials::Referentials;
use tables::Tables;

/// Beneficiaries written per transaction: bounds memory whatever the requested size.
const CHUNK: u32 = 5_000;

/// Why the demo could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// No database connection.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// A query failed.
    #[error("demo data could not be written: {0}")]
    Query(#[from] diesel::result::Error),
    /// A row could not be serialised.
    #[error("demo rows could not be serialised: {0}")]
    Serialise(#[from] csv::Error),
}

/// What a load did.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// Demo deployments present after the load.
    pub deployments: usize,
    /// Deployments created by this load.
    pub deployments_created: usize,
    /// Beneficiaries created by this load.
    pub beneficiaries_created: u64,
    /// Beneficiaries present in the demo deployments after the load.
    pub beneficiaries_total: u64,
    /// Rows written, all tables together.
    pub rows_written: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl DemoSummary {
    /// The summary as printed by `cdb-hub demo`.
    pub fn as_json(&self) -> serde_json::Value {
        serde_json::json!({
            "deployments": self.deployments,
            "deployments_created": self.deployments_created,
            "beneficiaries_created": self.beneficiaries_created,
            "beneficiaries_total": self.beneficiaries_total,
            "rows_written": self.rows_written,
            "elapsed_ms": self.elapsed.as_millis() as u64,
        })
    }
}

/// Records the creation of demo people in the change feed, so that partners syncing from the
/// feed see them like any other person. Last statement of the chunk's transaction (it takes the
/// feed's counter).
fn announce(conn: &mut diesel::PgConnection, ids: &[Uuid]) -> Result<(), DemoError> {
    let count = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    diesel::sql_query(
        "WITH bump AS (UPDATE change_counter SET value = value + $2 RETURNING value) \
         INSERT INTO change (seq, deployment_id, beneficiary_id, notebook_id, kind, fields, source_system) \
         SELECT (SELECT value FROM bump) - $2 + row_number() OVER (ORDER BY b.id), b.deployment_id, b.id, n.id, \
                'beneficiary.created', '{}', 'demo' \
         FROM beneficiary b JOIN notebook n ON n.beneficiary_id = b.id WHERE b.id = ANY($1)",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(ids)
    .bind::<diesel::sql_types::BigInt, _>(count)
    .execute(conn)?;
    Ok(())
}

/// Loads the demo with `beneficiaries` people in all, split between the two deployments.
pub fn load(pool: &DbPool, beneficiaries: u32) -> Result<DemoSummary, DemoError> {
    let started = Instant::now();
    let mut conn = pool.get().map_err(|e| DemoError::Connect(e.to_string()))?;
    let referentials = Referentials::load(&mut conn)?;
    let mut summary = DemoSummary {
        deployments: TERRITORIES.len(),
        deployments_created: 0,
        beneficiaries_created: 0,
        beneficiaries_total: 0,
        rows_written: 0,
        elapsed: Duration::ZERO,
    };
    let first_share = beneficiaries / 2;
    for (position, territory) in TERRITORIES.iter().enumerate() {
        let wanted = if position == 0 {
            first_share
        } else {
            beneficiaries - first_share
        };
        let staff = staff::staff(territory);
        let created = conn.transaction::<_, DemoError, _>(|conn| {
            let exists: bool = diesel::select(diesel::dsl::exists(
                schema::deployment::table.filter(schema::deployment::id.eq(staff.deployment_id)),
            ))
            .get_result(conn)?;
            if exists {
                return Ok(0);
            }
            let mut tables = Tables::default();
            staff::write(territory, &staff, &mut tables)?;
            tables.copy_into(conn)
        })?;
        if created > 0 {
            summary.deployments_created += 1;
            summary.rows_written += created as u64;
        }
        let existing: HashSet<Uuid> = schema::beneficiary::table
            .filter(schema::beneficiary::deployment_id.eq(staff.deployment_id))
            .select(schema::beneficiary::id)
            .load::<Uuid>(&mut conn)?
            .into_iter()
            .collect();
        let missing: Vec<u32> = (0..wanted)
            .filter(|&index| !existing.contains(&people::beneficiary_id(territory, index)))
            .collect();
        for chunk in missing.chunks(CHUNK as usize) {
            let rows = conn.transaction::<_, DemoError, _>(|conn| {
                let mut tables = Tables::default();
                let mut ids = Vec::with_capacity(chunk.len());
                for &index in chunk {
                    people::write(territory, &staff, &referentials, index, &mut tables)?;
                    ids.push(people::beneficiary_id(territory, index));
                }
                let rows = tables.copy_into(conn)?;
                announce(conn, &ids)?;
                Ok(rows)
            })?;
            summary.rows_written += rows as u64;
            summary.beneficiaries_created += chunk.len() as u64;
            tracing::debug!(
                deployment = territory.label,
                written = summary.beneficiaries_created,
                "demo beneficiaries written"
            );
        }
        summary.beneficiaries_total += (existing.len() + missing.len()) as u64;
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}
