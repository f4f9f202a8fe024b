//! What can go wrong when talking to an outside system, typed by what the caller should do.

use std::time::Duration;

use thiserror::Error;

/// The underlying cause of a failure, kept for the whole cause chain in logs.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A connector failure; the variant tells the job runner whether and when to retry.
#[derive(Debug, Error)]
pub enum ConnectorError {
    /// The remote system failed in a way that may pass (timeout, 5xx, connection reset).
    #[error("temporary failure of the remote system: {message}")]
    Transient {
        /// What failed.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// The remote system asked us to slow down (HTTP 429).
    #[error("rate limited by the remote system, retry in {} s", retry_after.as_secs())]
    RateLimited {
        /// How long to wait before the next call (`Retry-After`).
        retry_after: Duration,
    },
    /// Nothing matches the request in the remote system.
    #[error("not found in the remote system")]
    NotFound,
    /// Several records match and the remote system cannot tell which one is meant.
    #[error("{} match in the remote system", candidates_text(*candidates))]
    Ambiguous {
        /// How many candidates, when the remote system says.
        candidates: Option<usize>,
    },
    /// The remote system refuses us access (credentials, scope, habilitation).
    #[error("forbidden by the remote system: {0}")]
    Forbidden(String),
    /// What we sent, or what we received, breaks the contract; retrying changes nothing.
    #[error("invalid data: {0}")]
    Invalid(String),
    /// A failure no retry will fix (misconfiguration, unsupported operation, bug).
    #[error("fatal failure: {message}")]
    Fatal {
        /// What failed.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<BoxError>,
    },
}

fn candidates_text(candidates: Option<usize>) -> String {
    match candidates {
        Some(n) => format!("{n} candidates"),
        None => "several candidates".to_owned(),
    }
}

impl ConnectorError {
    /// A transient failure with its cause.
    pub fn transient(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Transient {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// A fatal failure with its cause.
    pub fn fatal(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Fatal {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// The fatal failure of calling an operation the connector does not offer.
    pub fn unsupported(operation: &str) -> Self {
        Self::Fatal {
            message: format!("this connector does not support {operation}"),
            source: None,
        }
    }

    /// True when the same call may succeed later (transient or rate-limited).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Transient { .. } | Self::RateLimited { .. })
    }

    /// The delay the remote system asked for, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// A stable snake_case code for logs, metrics and job reports.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Transient { .. } => "transient",
            Self::RateLimited { .. } => "rate_limited",
            Self::NotFound => "not_found",
            Self::Ambiguous { .. } => "ambiguous",
            Self::Forbidden(_) => "forbidden",
            Self::Invalid(_) => "invalid",
            Self::Fatal { .. } => "fatal",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn only_transient_and_rate_limited_are_retried() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out");
        let transient = ConnectorError::transient("GET /usagers", io);
        assert!(transient.is_retryable());
        assert_eq!(transient.code(), "transient");
        assert_eq!(
            transient.source().map(ToString::to_string).as_deref(),
            Some("timed out")
        );
        let limited = ConnectorError::RateLimited {
            retry_after: Duration::from_secs(60),
        };
        assert!(limited.is_retryable());
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(60)));
        assert_eq!(
            limited.to_string(),
            "rate limited by the remote system, retry in 60 s"
        );
        for permanent in [
            ConnectorError::NotFound,
            ConnectorError::Ambiguous { candidates: None },
            ConnectorError::Forbidden("R001".to_owned()),
            ConnectorError::Invalid("R997".to_owned()),
            ConnectorError::unsupported("push"),
        ] {
            assert!(!permanent.is_retryable(), "{permanent}");
            assert_eq!(permanent.retry_after(), None);
        }
    }

    #[test]
    fn ambiguity_says_how_many_when_known() {
        assert_eq!(
            ConnectorError::Ambiguous {
                candidates: Some(2)
            }
            .to_string(),
            "2 candidates match in the remote system"
        );
        assert_eq!(
            ConnectorError::Ambiguous { candidates: None }.to_string(),
            "several candidates match in the remote system"
        );
    }
}
