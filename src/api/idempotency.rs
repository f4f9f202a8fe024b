//! `Idempotency-Key` on POSTs: a replay with the same key and body answers the first response;
//! the same key with another body is refused (422). The key is taken in the same transaction as
//! the work: a concurrent duplicate answers 409 `idempotency_in_progress`, and the work and its
//! kept answer commit together (a crash never runs a request twice).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode};

use super::problem::{ApiError, ErrorCode};
use crate::auth::caller::{Caller, Principal};
use crate::auth::secrets::sha256_hex;
use crate::store::{self, Connection, idempotency::StoredAnswer};

/// Header carrying the key.
pub const HEADER: &str = "idempotency-key";

/// The key of a request and what identifies its content.
#[derive(Debug, Clone)]
pub struct Idempotency {
    caller: String,
    key: String,
    request_hash: String,
}

/// A response to send: status, JSON body, and whether it is a replay.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// Body.
    pub body: serde_json::Value,
    /// Whether it replays a stored answer.
    pub replayed: bool,
}

impl Answer {
    /// A fresh answer.
    pub fn new(status: StatusCode, body: serde_json::Value) -> Self {
        Answer {
            status,
            body,
            replayed: false,
        }
    }

    /// The HTTP response (problem documents keep their media type).
    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.replayed {
            response.insert_header(("Idempotent-Replayed", "true"));
        }
        if self.body.get("code").is_some() && self.body.get("status").is_some() {
            response.content_type(super::problem::PROBLEM_JSON);
        }
        response.json(self.body)
    }
}

impl From<StoredAnswer> for Answer {
    fn from(stored: StoredAnswer) -> Self {
        Answer {
            status: StatusCode::from_u16(u16::try_from(stored.status).unwrap_or(500))
                .unwrap_or(StatusCode::OK),
            body: stored.response_body,
            replayed: true,
        }
    }
}

impl Idempotency {
    /// The key sent with a request, if any (validated).
    pub fn from_request(
        request: &HttpRequest,
        caller: &Caller,
        body: &[u8],
    ) -> Result<Option<Self>, ApiError> {
        let Some(value) = request.headers().get(HEADER) else {
            return Ok(None);
        };
        let key = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|key| !key.is_empty() && key.len() <= 255)
            .ok_or_else(|| {
                ApiError::invalid_parameter(
                    "Idempotency-Key must be 1 to 255 visible ASCII characters.",
                )
            })?;
        let caller = match &caller.principal {
            Principal::Client(client) => format!("client:{}", client.api_client_id),
            Principal::Account(account) => format!("account:{}", account.account_id),
        };
        let mut content = request.path().as_bytes().to_vec();
        content.push(0);
        content.extend_from_slice(body);
        Ok(Some(Idempotency {
            caller,
            key: key.to_owned(),
            request_hash: sha256_hex(&String::from_utf8_lossy(&content)),
        }))
    }

    /// Answers a POST at most once per key: a replay answers the stored response, a key reused
    /// with another body is refused, and a first request runs `work` and keeps its answer.
    pub fn answer<F>(
        idempotency: Option<&Self>,
        conn: &mut Connection,
        work: F,
    ) -> Result<Answer, ApiError>
    where
        F: FnOnce(&mut Connection) -> Result<(StatusCode, serde_json::Value), ApiError>,
    {
        let Some(idempotency) = idempotency else {
            let (status, body) = work(conn)?;
            return Ok(Answer::new(status, body));
        };
        store::transaction(conn, |conn| {
            idempotency.take(conn)?;
            if let Some(replay) = idempotency.replay(conn)? {
                return Ok(Answer::from(replay));
            }
            let (status, body) = work(conn)?;
            idempotency.store(conn, status, &body)?;
            Ok(Answer::new(status, body))
        })
    }

    /// Takes the key for this transaction; a request holding it already answers 409.
    fn take(&self, conn: &mut Connection) -> Result<(), ApiError> {
        if store::idempotency::try_lock(conn, &self.caller, &self.key)? {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::IdempotencyInProgress,
                "A request with this Idempotency-Key is still running: retry once it has answered.",
            ))
        }
    }

    /// The first response to this key, or a refusal if the key was used for another request.
    pub fn replay(&self, conn: &mut Connection) -> Result<Option<StoredAnswer>, ApiError> {
        match store::idempotency::stored(conn, &self.caller, &self.key)? {
            None => Ok(None),
            Some(stored) if stored.request_hash == self.request_hash => Ok(Some(stored)),
            Some(_) => Err(ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "This Idempotency-Key was already used with another request; use a new key for a new request.",
            )),
        }
    }

    /// Keeps the response for replays (the first one stored wins).
    pub fn store(
        &self,
        conn: &mut Connection,
        status: StatusCode,
        body: &serde_json::Value,
    ) -> Result<(), ApiError> {
        store::idempotency::keep(
            conn,
            &self.caller,
            &self.key,
            &self.request_hash,
            i32::from(status.as_u16()),
            body,
        )?;
        Ok(())
    }
}
