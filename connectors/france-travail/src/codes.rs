//! France Travail's return codes (codeRetour, codeErreur) and HTTP statuses, translated into
//! what the job runner should do ([`ConnectorError`]).

use std::time::{Duration, SystemTime};

use cdb_connector::ConnectorError;
use chrono::DateTime;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;

/// The wait assumed when a 429 carries no usable `Retry-After` (what les-emplois assumes).
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The longest wait honoured from a `Retry-After`, so a wrong date cannot park a job for days.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// A return code of the rechercher-usager APIs (codeRetour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnCode {
    /// `S001`: the person was found (approchant trouvé).
    Found,
    /// `S002`: nobody matches (aucun approchant trouvé).
    NoMatch,
    /// `S003`: several people match (plusieurs usagers trouvés).
    SeveralMatches,
    /// `R001`: access refused (accès non autorisé, HTTP 403); retrying changes nothing.
    Unauthorised,
    /// `R997`: the request did not validate (erreur de validation, HTTP 400).
    Validation,
    /// `R998`: a service behind the API failed (HTTP 500); also answered for a person with no
    /// address in FT's SI, which no retry fixes.
    ServiceError,
    /// `R999`: the service is unavailable, retry later (HTTP 503).
    Unavailable,
}

impl ReturnCode {
    /// Parses a codeRetour; unknown codes give `None`.
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim() {
            "S001" => Some(Self::Found),
            "S002" => Some(Self::NoMatch),
            "S003" => Some(Self::SeveralMatches),
            "R001" => Some(Self::Unauthorised),
            "R997" => Some(Self::Validation),
            "R998" => Some(Self::ServiceError),
            "R999" => Some(Self::Unavailable),
            _ => None,
        }
    }

    /// The code as France Travail writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Found => "S001",
            Self::NoMatch => "S002",
            Self::SeveralMatches => "S003",
            Self::Unauthorised => "R001",
            Self::Validation => "R997",
            Self::ServiceError => "R998",
            Self::Unavailable => "R999",
        }
    }

    /// What a caller should make of this code when it is not a success.
    pub fn to_error(self, message: &str) -> Option<ConnectorError> {
        let text = format!("{}: {}", self.as_str(), message);
        match self {
            Self::Found => None,
            Self::NoMatch => Some(ConnectorError::NotFound),
            Self::SeveralMatches => Some(ConnectorError::Ambiguous { candidates: None }),
            Self::Unauthorised => Some(ConnectorError::Forbidden(text)),
            Self::Validation | Self::ServiceError => Some(ConnectorError::Invalid(text)),
            Self::Unavailable => Some(ConnectorError::Transient {
                message: text,
                source: None,
            }),
        }
    }
}

/// The error body shapes France Travail uses: rechercher-usager's `codeRetour` and the
/// other APIs' `{"codeErreur","codeHttp","message"}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    code_retour: Option<String>,
    code_erreur: Option<String>,
    message: Option<String>,
}

/// A failed call: what to do about it, and France Travail's own code when it gave one.
#[derive(Debug)]
pub(crate) struct Failure {
    /// The translated error.
    pub error: ConnectorError,
    /// `codeRetour` or `codeErreur`, e.g. `ID_NON_RECONNU`.
    pub remote_code: Option<String>,
}

/// Translates a non-success answer. 401 is handled before (refresh and retry) and lands here
/// only when the refreshed token is refused too. `redact` lists what the call sent that an
/// echoing server must not get into our messages (the jeton, the access token).
pub(crate) fn failure(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
    redact: &[&str],
) -> Failure {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let remote_code = parsed
        .code_retour
        .clone()
        .or_else(|| parsed.code_erreur.clone())
        .filter(|code| !code.is_empty() && code != "null");
    let mut message = parsed.message.clone().unwrap_or_default();
    for secret in redact.iter().filter(|s| !s.is_empty()) {
        message = message.replace(secret, "[…]");
    }
    let message = sanitise(&message);
    let error = error_for(status, headers, &parsed, &message, now);
    Failure { error, remote_code }
}

fn error_for(
    status: StatusCode,
    headers: &HeaderMap,
    body: &ErrorBody,
    message: &str,
    now: SystemTime,
) -> ConnectorError {
    // A 429 means "slow down" whatever the body says.
    if status == StatusCode::TOO_MANY_REQUESTS {
        return ConnectorError::RateLimited {
            retry_after: retry_after(headers, now).unwrap_or(DEFAULT_RETRY_AFTER),
        };
    }
    if let Some(code) = body.code_retour.as_deref().and_then(ReturnCode::parse)
        && let Some(error) = code.to_error(message)
    {
        return error;
    }
    let described = match &body.code_erreur {
        Some(code) => format!("HTTP {} {code}: {message}", status.as_u16()),
        None => format!("HTTP {}: {message}", status.as_u16()),
    };
    match status {
        StatusCode::UNAUTHORIZED => {
            ConnectorError::Forbidden(format!("token refused after a refresh ({described})"))
        }
        StatusCode::FORBIDDEN => ConnectorError::Forbidden(described),
        StatusCode::NOT_FOUND | StatusCode::GONE => ConnectorError::NotFound,
        StatusCode::REQUEST_TIMEOUT => ConnectorError::Transient {
            message: described,
            source: None,
        },
        s if s.is_server_error() => ConnectorError::Transient {
            message: described,
            source: None,
        },
        // Redirects are not followed: France Travail answers 302 when the agent headers are
        // missing, which is our misconfiguration.
        s if s.is_redirection() => ConnectorError::Fatal {
            message: format!("{described} (missing agent headers or wrong base URL)"),
            source: None,
        },
        _ => ConnectorError::Invalid(described),
    }
}

/// Reads `Retry-After` as seconds or as an HTTP date, capped to an hour.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let date = DateTime::parse_from_rfc2822(text).ok()?;
            SystemTime::from(date)
                .duration_since(now)
                .unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// Keeps a remote message short and free of long digit runs (a NIR or an id echoed back
/// must not reach logs and job reports).
pub(crate) fn sanitise(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(200));
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 8 {
            out.push_str("[…]");
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in message.chars().take(200) {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(if c.is_control() { ' ' } else { c });
        }
    }
    flush(&mut digits, &mut out);
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn fail(status: u16, body: &str) -> Failure {
        failure(
            StatusCode::from_u16(status).unwrap(),
            &HeaderMap::new(),
            body.as_bytes(),
            SystemTime::now(),
            &["a_long_token"],
        )
    }

    #[test]
    fn every_return_code_has_its_error() {
        let not_found = fail(
            200,
            r#"{"codeRetour":"S002","message":"Aucun approchant trouvé"}"#,
        );
        assert!(matches!(not_found.error, ConnectorError::NotFound));
        assert_eq!(not_found.remote_code.as_deref(), Some("S002"));
        assert!(matches!(
            fail(200, r#"{"codeRetour":"S003"}"#).error,
            ConnectorError::Ambiguous { candidates: None }
        ));
        let r001 = fail(
            403,
            r#"{"codeRetour":"R001","message":"Accès non autorisé"}"#,
        );
        assert!(matches!(&r001.error, ConnectorError::Forbidden(m) if m.starts_with("R001")));
        assert!(!r001.error.is_retryable());
        assert!(matches!(
            fail(400, r#"{"codeRetour":"R997"}"#).error,
            ConnectorError::Invalid(_)
        ));
        let r998 = fail(500, r#"{"codeRetour":"R998"}"#).error;
        assert!(matches!(r998, ConnectorError::Invalid(_)), "{r998}");
        let r999 = fail(503, r#"{"codeRetour":"R999"}"#).error;
        assert!(r999.is_retryable());
    }

    #[test]
    fn statuses_without_a_code_follow_http() {
        assert!(fail(502, "<html>Bad gateway</html>").error.is_retryable());
        assert!(matches!(fail(404, "").error, ConnectorError::NotFound));
        assert!(matches!(fail(302, "").error, ConnectorError::Fatal { .. }));
        assert!(matches!(fail(401, "").error, ConnectorError::Forbidden(_)));
        let other = fail(
            500,
            r#"{"codeErreur":"JCS0011G","codeHttp":500,"message":"Erreur"}"#,
        );
        assert!(other.error.is_retryable());
        assert_eq!(other.remote_code.as_deref(), Some("JCS0011G"));
        let echo = fail(
            500,
            r#"{"codeErreur":"X","message":"jeton a_long_token refusé"}"#,
        );
        assert!(
            !echo.error.to_string().contains("a_long_token"),
            "{}",
            echo.error
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:50:07 GMT"),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(30)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("999999"));
        assert_eq!(retry_after(&headers, now), Some(MAX_RETRY_AFTER));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), None);
        let limited = failure(
            StatusCode::TOO_MANY_REQUESTS,
            &HeaderMap::new(),
            b"",
            now,
            &[],
        );
        assert_eq!(limited.error.retry_after(), Some(DEFAULT_RETRY_AFTER));
    }

    #[test]
    fn remote_messages_lose_long_numbers() {
        assert_eq!(
            sanitise("NIR 1041174010081 inconnu, code 42"),
            "NIR […] inconnu, code 42"
        );
        assert_eq!(sanitise(&"x".repeat(500)).len(), 200);
    }
}
