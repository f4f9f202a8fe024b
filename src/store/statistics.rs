//! The planner's statistics of the people's tables, kept in step with a bulk load.
//!
//! A file of new people can make these tables grow from nothing to 110,000 rows in a minute,
//! well before autovacuum analyses them. Until then the planner believes they are tiny, and the
//! plans it caches for a connection (the foreign-key checks of every insert, the matching
//! probes) scan a whole deployment instead of probing an index: each chunk then costs more than
//! the one before. A load analyses the tables itself each time they have doubled, until the
//! planner has seen enough people: from then on it scales its estimates with the tables' size
//! on its own, and autovacuum takes over.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Double;

/// The tables a creation of people checks (foreign keys) and probes (matching).
const PEOPLE_TABLES: &str = "beneficiary, notebook, beneficiary_source";

/// Below this many new rows a table's statistics are not worth refreshing.
const SMALLEST_GROWTH: u64 = 1_000;

/// Once the planner has seen this many people, a load no longer analyses the tables.
const ENOUGH_PEOPLE: u64 = 10_000;

/// How much the people's tables grew since their statistics were last taken, during a load.
#[derive(Debug, Clone, Copy)]
pub struct PeopleGrowth {
    /// People the planner knew of at the last analysis (as it estimated them).
    known: u64,
    /// People created since.
    created: u64,
}

#[derive(QueryableByName)]
struct Estimate {
    #[diesel(sql_type = Double)]
    rows: f64,
}

impl PeopleGrowth {
    /// Starts following a load from the planner's current estimate of the people.
    pub fn start(conn: &mut PgConnection) -> QueryResult<Self> {
        let estimate: Estimate = diesel::sql_query(
            "SELECT greatest(reltuples, 0)::float8 AS rows FROM pg_class \
             WHERE oid = 'beneficiary'::regclass",
        )
        .get_result(conn)?;
        Ok(Self {
            // A float estimate of a row count: its integer part is what matters.
            known: estimate.rows as u64,
            created: 0,
        })
    }

    /// Counts people just created (committed, or written by a preview); analyses the tables when they have
    /// doubled since the last analysis, while the planner has seen few. Answers whether it did.
    pub fn created(&mut self, conn: &mut PgConnection, people: u64) -> QueryResult<bool> {
        self.created += people;
        if self.known >= ENOUGH_PEOPLE || self.created < SMALLEST_GROWTH.max(self.known) {
            return Ok(false);
        }
        // A preview analyses in its transaction the people only it sees, and keeps the lock
        // until its end: another load skips the tables meanwhile rather than wait for it.
        conn.transaction(|conn| {
            // A sample of 3,000 rows tells the planner these tables' size and keys well
            // enough to probe them; autovacuum takes the full statistics later.
            diesel::sql_query("SET LOCAL default_statistics_target = 10").execute(conn)?;
            diesel::sql_query(format!("ANALYZE (SKIP_LOCKED) {PEOPLE_TABLES}")).execute(conn)
        })?;
        self.known += self.created;
        self.created = 0;
        Ok(true)
    }
}
