//! Opaque list cursors: where a page continues (after an id, after or before a sequence number).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

/// A cursor that no list of ours returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cursor is not a cursor returned by this list; start again without it.")]
pub struct InvalidCursor;

fn decode(cursor: &str) -> Option<String> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
}

/// The cursor continuing after an id.
pub fn after_id(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("id:{id}"))
}

/// The id a cursor continues after.
pub fn decode_after_id(cursor: &str) -> Result<Uuid, InvalidCursor> {
    decode(cursor)
        .and_then(|text| {
            text.strip_prefix("id:")
                .and_then(|id| Uuid::parse_str(id).ok())
        })
        .ok_or(InvalidCursor)
}

/// The cursor continuing after a sequence number (change feed).
pub fn after_sequence(sequence: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("after:{sequence}"))
}

/// The sequence number a change-feed cursor continues after.
pub fn decode_after_sequence(cursor: &str) -> Result<i64, InvalidCursor> {
    decode(cursor)
        .and_then(|text| text.strip_prefix("after:").and_then(|n| n.parse().ok()))
        .filter(|n: &i64| *n >= 0)
        .ok_or(InvalidCursor)
}

/// The cursor continuing before a sequence number (journals, newest first).
pub fn before_sequence(sequence: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("seq:{sequence}"))
}

/// The sequence number a journal cursor continues before.
pub fn decode_before_sequence(cursor: &str) -> Result<i64, InvalidCursor> {
    decode(cursor)
        .and_then(|text| text.strip_prefix("seq:").and_then(|n| n.parse().ok()))
        .ok_or(InvalidCursor)
}

/// The cursor continuing after an instant and an id (lists in time order).
pub fn after_instant(at: chrono::DateTime<chrono::Utc>, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("at:{}|{id}", at.to_rfc3339()))
}

/// The instant and id a time-ordered cursor continues after.
pub fn decode_after_instant(
    cursor: &str,
) -> Result<(chrono::DateTime<chrono::Utc>, Uuid), InvalidCursor> {
    decode(cursor)
        .and_then(|text| {
            let (at, id) = text.strip_prefix("at:")?.split_once('|')?;
            Some((
                chrono::DateTime::parse_from_rfc3339(at)
                    .ok()?
                    .with_timezone(&chrono::Utc),
                Uuid::parse_str(id).ok()?,
            ))
        })
        .ok_or(InvalidCursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cursor_decodes_to_what_it_encodes_and_no_other_kind() {
        let id = Uuid::new_v4();
        assert_eq!(decode_after_id(&after_id(id)), Ok(id));
        assert_eq!(decode_after_sequence(&after_sequence(42)), Ok(42));
        assert_eq!(decode_before_sequence(&before_sequence(7)), Ok(7));
        assert_eq!(decode_after_id(&after_sequence(42)), Err(InvalidCursor));
        assert_eq!(
            decode_after_sequence(&after_sequence(-1)),
            Err(InvalidCursor)
        );
        assert_eq!(decode_after_sequence("not base64 !"), Err(InvalidCursor));
    }

    #[test]
    fn an_instant_cursor_reads_back_and_a_foreign_one_does_not() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-07T09:30:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let id = Uuid::new_v4();
        assert_eq!(decode_after_instant(&after_instant(at, id)), Ok((at, id)));
        assert_eq!(decode_after_instant(&after_id(id)), Err(InvalidCursor));
        assert_eq!(decode_after_instant("!!"), Err(InvalidCursor));
    }
}
