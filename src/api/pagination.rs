//! Keyset pagination: `?limit=` and an opaque `?cursor=`, answered as
//! `{"items": [...], "next_cursor": "…" | null}`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::problem::ApiError;
use crate::domain::cursor::{self, InvalidCursor};

/// Default page size.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page size.
pub const MAX_LIMIT: i64 = 200;

/// Paging parameters of every list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Opaque cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl PageParams {
    /// The page size, validated.
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
            Some(limit) => Err(ApiError::invalid_parameter(format!(
                "limit must be between 1 and {MAX_LIMIT}, not {limit}."
            ))),
        }
    }

    /// The id to continue after, decoded from the cursor.
    pub fn after(&self) -> Result<Option<Uuid>, ApiError> {
        self.cursor
            .as_deref()
            .map(cursor::decode_after_id)
            .transpose()
            .map_err(invalid_cursor)
    }

    /// The instant and id to continue from, decoded from the cursor (lists in time order).
    pub fn after_instant(&self) -> Result<Option<(chrono::DateTime<chrono::Utc>, Uuid)>, ApiError> {
        self.cursor
            .as_deref()
            .map(cursor::decode_after_instant)
            .transpose()
            .map_err(invalid_cursor)
    }

    /// The sequence number to continue before, decoded from the cursor (journals).
    pub fn before_sequence(&self) -> Result<Option<i64>, ApiError> {
        self.cursor
            .as_deref()
            .map(cursor::decode_before_sequence)
            .transpose()
            .map_err(invalid_cursor)
    }
}

fn invalid_cursor(error: InvalidCursor) -> ApiError {
    ApiError::invalid_parameter(error.to_string())
}

/// The cursor continuing after an id.
pub fn cursor_after(id: Uuid) -> String {
    cursor::after_id(id)
}

/// The sequence number of a change-feed cursor.
pub fn decode_sequence(text: &str) -> Result<i64, ApiError> {
    cursor::decode_after_sequence(text).map_err(invalid_cursor)
}

/// The cursor continuing before a sequence number.
pub fn cursor_before_sequence(sequence: i64) -> String {
    cursor::before_sequence(sequence)
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListPage<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Cursor of the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> ListPage<T> {
    /// A page from up to `limit + 1` rows in time order (the extra one tells that a page
    /// follows), the next cursor continuing from the last row's instant and id.
    pub fn from_timed<R>(
        mut rows: Vec<R>,
        limit: i64,
        key: impl Fn(&R) -> (chrono::DateTime<chrono::Utc>, Uuid),
        view: impl FnMut(R) -> T,
    ) -> Self {
        let size = usize::try_from(limit).unwrap_or(0);
        let more = rows.len() > size;
        rows.truncate(size);
        let next_cursor = more
            .then(|| {
                rows.last().map(|row| {
                    let (at, id) = key(row);
                    cursor::after_instant(at, id)
                })
            })
            .flatten();
        ListPage {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        }
    }

    /// A page from store rows mapped to views.
    pub fn from_store<R>(page: crate::store::Page<R>, view: impl FnMut(R) -> T) -> Self {
        ListPage {
            items: page.items.into_iter().map(view).collect(),
            next_cursor: page.next_after.map(cursor_after),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let id = Uuid::new_v4();
        let params = PageParams {
            limit: None,
            cursor: Some(cursor_after(id)),
        };
        assert_eq!(params.after().unwrap(), Some(id));
        let bad = PageParams {
            limit: Some(0),
            cursor: Some("zz".into()),
        };
        assert!(bad.after().is_err());
        assert!(bad.limit().is_err());
    }
}
