//! Running store queries from handlers: on the blocking pool, never holding a connection
//! across an await.

use actix_web::web;

use super::problem::{ApiError, ErrorCode};
use crate::postgres::DbPool;
use crate::store::Connection;

/// Runs `work` with a pooled connection on the blocking pool.
pub async fn with_conn<T, F>(pool: &DbPool, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut Connection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let request_id = super::request_id::current();
    web::block(move || {
        super::request_id::with_blocking(request_id, || {
            let mut conn = pool.get().map_err(|error| {
                tracing::warn!(%error, "no database connection");
                ApiError::new(
                    ErrorCode::DatabaseUnavailable,
                    "The database cannot be reached.",
                )
            })?;
            work(&mut conn)
        })
    })
    .await?
}
