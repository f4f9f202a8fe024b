//! A JSON answer with its status, built inside a transaction and sent after it; a problem
//! document keeps its media type.

use actix_web::{HttpResponse, http::StatusCode};

/// A response to send: status and JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// Body.
    pub body: serde_json::Value,
}

impl Answer {
    /// An answer.
    pub fn new(status: StatusCode, body: serde_json::Value) -> Self {
        Answer { status, body }
    }

    /// Runs `work` and takes its status and body as the answer.
    pub fn of<C, E, F>(conn: &mut C, work: F) -> Result<Self, E>
    where
        F: FnOnce(&mut C) -> Result<(StatusCode, serde_json::Value), E>,
    {
        let (status, body) = work(conn)?;
        Ok(Answer::new(status, body))
    }

    /// The HTTP response (problem documents keep their media type).
    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.body.get("code").is_some() && self.body.get("status").is_some() {
            response.content_type(super::problem::PROBLEM_JSON);
        }
        response.json(self.body)
    }
}
