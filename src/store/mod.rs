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
pub mod imports;
pub mod large_objects;
pub mod members;
pub mod notebooks;
pub mod orientation;
pub mod outbox;
pub mod people;
pub mod plan;
pub mod privacy;
pub mod reach;
pub mod statistics;
pub mod sync_sessions;
pub mod timeline;
pub mod webhooks;

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
