//! Database queries, one module per aggregate. No HTTP types here.

pub mod access_log;
pub mod accounts;
pub mod appointments;
pub mod changes;
pub mod clients;
pub mod connector_files;
pub mod connector_runs;
pub mod connectors;
pub mod diagnostic;
pub mod directory;
pub mod directory_writes;
pub mod external_data;
pub mod idempotency;
pub mod imports;
pub mod inbound_events;
pub mod jobs;
pub mod large_objects;
pub mod members;
pub mod notebooks;
pub mod orientation;
pub mod outbox;
pub mod people;
pub mod plan;
pub mod possible_matches;
pub mod privacy;
pub mod reach;
pub mod retention;
pub mod statistics;
pub mod sync_sessions;
pub mod timeline;
pub mod webhooks;

/// The database connection every store function runs on.
pub type Connection = diesel::PgConnection;

/// The error of a query.
pub use diesel::result::Error as QueryError;

/// The error of taking a connection from the pool.
pub use diesel::r2d2::PoolError;

/// A rule of the schema that refused a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// A unique key already holds the value.
    Unique,
    /// A `CHECK` constraint refused the value.
    Check,
    /// A foreign key points nowhere.
    ForeignKey,
}

/// The rule a query broke and the constraint's name, when a schema rule refused it.
pub fn violation(error: &QueryError) -> Option<(Violation, Option<&str>)> {
    use diesel::result::DatabaseErrorKind;
    let QueryError::DatabaseError(kind, info) = error else {
        return None;
    };
    let violation = match kind {
        DatabaseErrorKind::UniqueViolation => Violation::Unique,
        DatabaseErrorKind::CheckViolation => Violation::Check,
        DatabaseErrorKind::ForeignKeyViolation => Violation::ForeignKey,
        _ => return None,
    };
    Some((violation, info.constraint_name()))
}

/// Runs `work` in one transaction (a savepoint when one is open): committed when it returns
/// `Ok`, rolled back otherwise.
pub fn transaction<T, E, F>(conn: &mut Connection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut Connection) -> Result<T, E>,
    E: From<QueryError>,
{
    diesel::Connection::transaction(conn, work)
}

/// A `count(*) AS n` row of a raw query.
#[derive(diesel::QueryableByName)]
pub struct Count {
    /// The count.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub n: i64,
}

/// A keyset page: the rows and the id to continue after, if more rows exist.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// The last id of this page when another page follows.
    pub next_after: Option<uuid::Uuid>,
}

impl<T> Page<T> {
    /// Cuts a result fetched with `limit + 1` rows into a page.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, id: impl Fn(&T) -> uuid::Uuid) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let next_after = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(&id)
        } else {
            None
        };
        Page {
            items: rows,
            next_after,
        }
    }
}
