//! Sending: one signed POST per delivery, its outcome recorded (delivered, retried with
//! backoff, or dead after the retry window), and the synchronous test delivery (ping).

use crate::domain::states::DeliveryStatus;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    SIGNATURE_HEADER, TIMESTAMP_HEADER, WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER,
    WEBHOOK_TIMESTAMP_HEADER, Webhooks, retry_delay, signature, ssrf, standard_signature,
};
use crate::auth::secret_box::SecretBox;
use crate::postgres::DbPool;
use crate::store::webhooks as store;

/// What one POST to an endpoint gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The endpoint's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// Why it failed (no answer, refused address, non-2xx).
    pub error: Option<String>,
}

impl Attempt {
    /// Whether the endpoint took it (2xx).
    pub fn delivered(&self) -> bool {
        self.status_code
            .is_some_and(|code| (200..300).contains(&code))
    }
}

/// What the worker did with a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Received.
    Delivered,
    /// Failed; retried at this time.
    Retry(DateTime<Utc>),
    /// Failed past the retry window: a dead letter.
    Dead,
    /// Nothing to send (already delivered or dead, deleted, or disabled).
    Skipped,
}

/// Why a delivery could not be processed (its attempt is not counted).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Database failure.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// No database connection.
    #[error(transparent)]
    Pool(#[from] diesel::r2d2::PoolError),
    /// The blocking task failed.
    #[error("blocking task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// POSTs a body to an endpoint, signed with the secret at `timestamp`, after checking where it
/// goes (SSRF).
pub async fn post(
    webhooks: &Webhooks,
    url: &str,
    secret: &[u8],
    message_id: &str,
    body: &[u8],
    timestamp: i64,
) -> Attempt {
    let url = match ssrf::check_url(url, &webhooks.settings).await {
        Ok(url) => url,
        Err(error) => {
            return Attempt {
                status_code: None,
                error: Some(format!("refused: {error}")),
            };
        }
    };
    let request = webhooks
        .http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature(secret, timestamp, body))
        .header(WEBHOOK_ID_HEADER, message_id)
        .header(WEBHOOK_TIMESTAMP_HEADER, timestamp.to_string())
        .header(
            WEBHOOK_SIGNATURE_HEADER,
            standard_signature(secret, message_id, timestamp, body),
        )
        .body(body.to_vec());
    match request.send().await {
        Ok(response) => {
            let code = response.status().as_u16();
            let error = (!response.status().is_success()).then(|| format!("HTTP {code}"));
            Attempt {
                status_code: Some(code),
                error,
            }
        }
        Err(error) => Attempt {
            status_code: None,
            error: Some(error_chain(&error)),
        },
    }
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The next state after a failed attempt number `attempts` (1 for the first) at `now`: retried
/// after the backoff, or dead once the retry window is over.
pub fn after_failure(
    attempts: i32,
    window_started_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    (now - window_started_at < super::RETRY_WINDOW).then(|| now + retry_delay(attempts))
}

/// Sends one delivery at `now` (the clock is a parameter so that tests can move it) and
/// records the outcome.
#[tracing::instrument(skip(pool, webhooks, secrets))]
pub async fn deliver(
    pool: &DbPool,
    webhooks: &Webhooks,
    secrets: &SecretBox,
    delivery: Uuid,
    now: DateTime<Utc>,
) -> Result<DeliveryOutcome, DeliveryError> {
    let load_pool = pool.clone();
    let outgoing = tokio::task::spawn_blocking(move || -> Result<_, DeliveryError> {
        let mut conn = load_pool.get()?;
        Ok(store::outgoing(&mut conn, delivery)?)
    })
    .await??;
    let Some(outgoing) = outgoing else {
        return Ok(DeliveryOutcome::Skipped);
    };
    if !outgoing.enabled
        || !matches!(
            outgoing.status,
            DeliveryStatus::Pending | DeliveryStatus::Failed
        )
    {
        return Ok(DeliveryOutcome::Skipped);
    }
    let attempt = match secrets.open(outgoing.subscription_id, &outgoing.secret) {
        Ok(secret) => match serde_json::to_vec(&outgoing.body) {
            Ok(body) => {
                let message_id = format!("msg_{}", outgoing.id.simple());
                post(
                    webhooks,
                    &outgoing.url,
                    &secret,
                    &message_id,
                    &body,
                    now.timestamp(),
                )
                .await
            }
            Err(error) => Attempt {
                status_code: None,
                error: Some(format!("unserialisable body: {error}")),
            },
        },
        Err(error) => Attempt {
            status_code: None,
            error: Some(format!("the secret does not open: {error}")),
        },
    };
    let attempts = outgoing.attempts + 1;
    let outcome = if attempt.delivered() {
        DeliveryOutcome::Delivered
    } else {
        match after_failure(attempts, outgoing.window_started_at, now) {
            Some(next) => DeliveryOutcome::Retry(next),
            None => DeliveryOutcome::Dead,
        }
    };
    let record_pool = pool.clone();
    let code = attempt.status_code.map(i32::from);
    let error = attempt.error.clone().unwrap_or_default();
    tokio::task::spawn_blocking(move || -> Result<(), DeliveryError> {
        let mut conn = record_pool.get()?;
        match outcome {
            DeliveryOutcome::Delivered => {
                store::mark_delivered(&mut conn, delivery, code.unwrap_or(200), now)?
            }
            DeliveryOutcome::Retry(next) => {
                store::mark_failed(&mut conn, delivery, code, &error, Some(next))?
            }
            DeliveryOutcome::Dead => store::mark_failed(&mut conn, delivery, code, &error, None)?,
            DeliveryOutcome::Skipped => {}
        }
        Ok(())
    })
    .await??;
    match outcome {
        DeliveryOutcome::Delivered => crate::telemetry::metrics::webhook_delivery(true),
        DeliveryOutcome::Retry(_) | DeliveryOutcome::Dead => {
            crate::telemetry::metrics::webhook_delivery(false);
            tracing::info!(%delivery, attempts, error = %attempt.error.as_deref().unwrap_or(""), dead = matches!(outcome, DeliveryOutcome::Dead), "webhook delivery failed");
        }
        DeliveryOutcome::Skipped => {}
    }
    Ok(outcome)
}

/// The body of a test delivery.
pub fn ping_body(subscription: Uuid, now: DateTime<Utc>) -> serde_json::Value {
    serde_json::json!({
        "id": Uuid::now_v7(),
        "event": "ping",
        "subscription_id": subscription,
        "sent_at": now,
    })
}
