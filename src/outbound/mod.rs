//! Outbound webhooks: an API client subscribes an https endpoint to the change feed; each change
//! its client may see becomes a signed delivery, sent at least once, in order per person, retried
//! with exponential backoff for 72 hours, then parked as a dead letter until replayed.

pub mod delivery;
pub mod fan_out;
pub mod receiver_check;
pub mod ssrf;

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The change kinds a subscription may ask for (`*` means all of them).
pub const EVENT_TYPES: [&str; 6] = [
    "beneficiary.created",
    "beneficiary.updated",
    "beneficiary.merged",
    "beneficiary.purged",
    "beneficiary.no_longer_reported",
    "notebook.updated",
];

/// Every event type.
pub const ALL_EVENTS: &str = "*";

/// How long a delivery is retried before it becomes a dead letter.
pub const RETRY_WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(72);

/// Longest wait between two attempts.
pub const MAX_RETRY_DELAY: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Time allowed to an endpoint to answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Header holding the signing time (unix seconds).
pub const TIMESTAMP_HEADER: &str = "X-Cdb-Timestamp";

/// Header holding `sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">`.
pub const SIGNATURE_HEADER: &str = "X-Cdb-Signature";

/// Standard Webhooks: the message id (the delivery's, the same on every retry).
pub const WEBHOOK_ID_HEADER: &str = "webhook-id";

/// Standard Webhooks: the signing time (unix seconds).
pub const WEBHOOK_TIMESTAMP_HEADER: &str = "webhook-timestamp";

/// Standard Webhooks: `v1,` and the base64 HMAC-SHA256 of `"{id}.{timestamp}.{body}"`.
pub const WEBHOOK_SIGNATURE_HEADER: &str = "webhook-signature";

/// A new subscription's secret, as Standard Webhooks libraries take it: `whsec_` and 32 random
/// bytes in base64.
pub fn new_secret() -> String {
    use base64::Engine;
    let mut key = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut key);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// The HMAC key of a secret, as Standard Webhooks libraries derive it: the base64 after
/// `whsec_` (the URL-safe base64 of the secrets made before, or the text itself otherwise).
pub fn signing_key(secret: &[u8]) -> Vec<u8> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let encoded = secret.strip_prefix(b"whsec_").unwrap_or(secret);
    STANDARD
        .decode(encoded)
        .or_else(|_| URL_SAFE_NO_PAD.decode(encoded))
        .unwrap_or_else(|_| secret.to_vec())
}

/// The `webhook-signature` value: `v1,` and the base64 HMAC-SHA256 of
/// `"{id}.{timestamp}.{body}"` with the secret's key.
pub fn standard_signature(secret: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    use base64::Engine;
    // HMAC takes keys of any length: this cannot fail.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&signing_key(secret)) else {
        return String::new();
    };
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// Hub settings of outbound webhooks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Deliver to loopback and private addresses too (`CDB_WEBHOOKS_ALLOW_PRIVATE`).
    pub allow_private: bool,
    /// Accept http endpoints, not only https (`CDB_WEBHOOKS_ALLOW_HTTP`).
    pub allow_http: bool,
}

/// The settings and the HTTP client of deliveries, shared by the API (ping) and the workers.
#[derive(Debug, Clone)]
pub struct Webhooks {
    /// Settings.
    pub settings: WebhookSettings,
    /// Client: no redirect followed, no proxy, 10 s timeout, SSRF-guarded resolver.
    pub http: reqwest::Client,
}

impl Webhooks {
    /// Builds the client for these settings.
    pub fn new(settings: WebhookSettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("cdb-hub-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(ssrf::resolver(settings.allow_private))
            .build()?;
        Ok(Self { settings, http })
    }
}

/// Whether an event type list is valid: known types or `*`, at least one.
pub fn parse_event_types(types: &[String]) -> Result<Vec<String>, String> {
    let mut parsed: Vec<String> = Vec::new();
    for raw in types {
        let name = raw.trim();
        if name != ALL_EVENTS && !EVENT_TYPES.contains(&name) {
            return Err(format!(
                "{name:?} is not an event type ({} or *)",
                EVENT_TYPES.join(", ")
            ));
        }
        if !parsed.iter().any(|p| p == name) {
            parsed.push(name.to_owned());
        }
    }
    if parsed.is_empty() {
        return Err("event_types needs at least one event type (or *)".into());
    }
    Ok(parsed)
}

/// Whether a subscription's event types take a change kind.
pub fn wants(event_types: &[String], kind: &str) -> bool {
    event_types.iter().any(|t| t == ALL_EVENTS || t == kind)
}

/// The signature header value: `sha256=` and the hex HMAC-SHA256 of `"{timestamp}.{body}"`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Wait before the next attempt after `attempts` failed ones: 30 s × 2^(attempts − 1), at most
/// one hour.
pub fn retry_delay(attempts: i32) -> chrono::TimeDelta {
    let exponent = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    let delay = chrono::TimeDelta::seconds(30 * (1_i64 << exponent));
    delay.min(MAX_RETRY_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_an_hour() {
        let seconds: Vec<i64> = (1..=9).map(|n| retry_delay(n).num_seconds()).collect();
        assert_eq!(
            seconds,
            [30, 60, 120, 240, 480, 960, 1920, 3600, 3600],
            "30 s × 2^n, capped"
        );
        assert_eq!(retry_delay(500).num_seconds(), 3600);
    }

    #[test]
    fn the_signature_is_the_hmac_of_timestamp_dot_body() {
        // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            signature(b"whsec_test", 1_700_000_000, br#"{"a":1}"#),
            "sha256=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn event_types_are_known_or_star() {
        assert_eq!(
            parse_event_types(&["beneficiary.created".into(), "beneficiary.created".into()]),
            Ok(vec!["beneficiary.created".to_owned()])
        );
        assert!(parse_event_types(&["beneficiary.deleted".into()]).is_err());
        assert!(parse_event_types(&[]).is_err());
        assert!(wants(&["*".into()], "notebook.updated"));
        assert!(!wants(&["beneficiary.created".into()], "notebook.updated"));
    }
}
