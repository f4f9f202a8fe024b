//! Request ids: taken from a well-formed incoming `X-Request-Id` or generated, echoed on the
//! response, written in every log line of the request and in problem documents.

use std::future::Future;

use uuid::Uuid;

/// Header carrying the request id.
pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

std::thread_local! {
    /// The request id while a request's blocking work (database) runs on a pool thread.
    static BLOCKING_REQUEST_ID: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs blocking work with the request id of the request it serves available to [`current`].
pub fn with_blocking<T>(id: Option<String>, work: impl FnOnce() -> T) -> T {
    BLOCKING_REQUEST_ID.with(|cell| *cell.borrow_mut() = id);
    let result = work();
    BLOCKING_REQUEST_ID.with(|cell| *cell.borrow_mut() = None);
    result
}

/// The incoming id if it is short printable ASCII, else a new UUID v7.
pub fn from_header(value: Option<&str>) -> String {
    match value {
        Some(id)
            if !id.is_empty()
                && id.len() <= 128
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) =>
        {
            id.to_owned()
        }
        _ => Uuid::now_v7().to_string(),
    }
}

/// Runs a future with the request id available to [`current`].
pub async fn scope<F: Future>(id: String, future: F) -> F::Output {
    REQUEST_ID.scope(id, future).await
}

/// The id of the request being served, if any (in its async task or its blocking work).
pub fn current() -> Option<String> {
    REQUEST_ID
        .try_with(Clone::clone)
        .ok()
        .or_else(|| BLOCKING_REQUEST_ID.with(|cell| cell.borrow().clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_formed_incoming_id_is_kept() {
        assert_eq!(from_header(Some("abc-123")), "abc-123");
    }

    #[test]
    fn an_unsafe_incoming_id_is_replaced() {
        let id = from_header(Some("bad\nid"));
        assert!(Uuid::parse_str(&id).is_ok());
        let long = "a".repeat(200);
        assert_ne!(from_header(Some(&long)), long);
    }
}
