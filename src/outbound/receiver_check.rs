//! `cdb-hub check-webhook-receiver`: sends a partner's webhook receiver signed sample events —
//! one valid, and four it must refuse (a captured delivery re-sent with a new timestamp, a body
//! changed after signing, a delivery signed ten minutes ago, one signed with another secret) —
//! and reports whether it accepted exactly the valid one.

use serde::Serialize;

/// How old a stale delivery is (the Standard Webhooks tolerance is five minutes).
const STALE_SECONDS: i64 = 10 * 60;

/// One sample delivery and what a receiver must do with it.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Its name in the report.
    pub name: &'static str,
    /// Whether a correct receiver accepts it (answers 2xx).
    pub must_accept: bool,
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: i64,
    /// `webhook-signature`.
    pub signature: String,
    /// The body.
    pub body: Vec<u8>,
}

/// What the receiver did with a probe.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The probe.
    pub probe: &'static str,
    /// Whether it should have been accepted.
    pub must_accept: bool,
    /// The receiver's HTTP status, or why there was none.
    pub answer: String,
    /// Whether the receiver did the right thing.
    pub ok: bool,
}

fn sample(id: &str, now: i64) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "event": "beneficiary.updated",
        "change": {
            "seq": 1,
            "kind": "beneficiary.updated",
            "beneficiary_id": "00000000-0000-4000-8000-000000000001",
            "notebook_id": null,
            "fields": ["phone_number"],
            "source_system": "check-webhook-receiver",
            "committed_at": chrono::DateTime::from_timestamp(now, 0).map(|t| t.to_rfc3339()),
        },
        "cursor": "c2VxOjE",
        "sample": true,
    }))
    .unwrap_or_default()
}

/// The probes for a receiver holding `secret`, at `now` (Unix seconds).
pub fn probes(secret: &str, now: i64) -> Vec<Probe> {
    let key = secret.as_bytes();
    let signed = |name, must_accept, id: String, timestamp: i64, body: Vec<u8>| Probe {
        name,
        must_accept,
        signature: super::standard_signature(key, &id, timestamp, &body),
        id,
        timestamp,
        body,
    };
    let fresh = |label: &str| format!("msg_check_{label}_{}", uuid::Uuid::new_v4().simple());
    let valid_id = fresh("valid");
    let valid = signed("valid", true, valid_id.clone(), now, sample(&valid_id, now));
    // A delivery captured earlier, re-sent with today's timestamp and its old signature.
    let captured_id = fresh("replayed");
    let captured = signed(
        "replayed",
        false,
        captured_id.clone(),
        now - STALE_SECONDS,
        sample(&captured_id, now - STALE_SECONDS),
    );
    let replayed = Probe {
        timestamp: now,
        ..captured
    };
    let tampered_id = fresh("tampered");
    let mut tampered = signed(
        "tampered",
        false,
        tampered_id.clone(),
        now,
        sample(&tampered_id, now),
    );
    tampered.body = String::from_utf8_lossy(&tampered.body)
        .replace("phone_number", "nir")
        .into_bytes();
    let stale_id = fresh("stale");
    let stale = signed(
        "stale",
        false,
        stale_id.clone(),
        now - STALE_SECONDS,
        sample(&stale_id, now - STALE_SECONDS),
    );
    let foreign_id = fresh("other_secret");
    let other_secret = Probe {
        signature: super::standard_signature(
            super::new_secret().as_bytes(),
            &foreign_id,
            now,
            &sample(&foreign_id, now),
        ),
        ..signed(
            "other_secret",
            false,
            foreign_id.clone(),
            now,
            sample(&foreign_id, now),
        )
    };
    vec![valid, replayed, tampered, stale, other_secret]
}

/// Sends each probe to `url` and says what the receiver did.
pub async fn check(client: &reqwest::Client, url: &str, secret: &str) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    for probe in probes(secret, chrono::Utc::now().timestamp()) {
        let sent = client
            .post(url)
            .header("content-type", "application/json")
            .header(super::WEBHOOK_ID_HEADER, &probe.id)
            .header(super::WEBHOOK_TIMESTAMP_HEADER, probe.timestamp.to_string())
            .header(super::WEBHOOK_SIGNATURE_HEADER, &probe.signature)
            .body(probe.body.clone())
            .send()
            .await;
        let (answer, accepted) = match sent {
            Ok(response) => (
                response.status().as_u16().to_string(),
                Some(response.status().is_success()),
            ),
            Err(error) => (format!("no answer: {error}"), None),
        };
        verdicts.push(Verdict {
            probe: probe.name,
            must_accept: probe.must_accept,
            answer,
            ok: accepted == Some(probe.must_accept),
        });
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a correct receiver does: Standard Webhooks verification with its tolerance.
    fn verifies(secret: &str, probe: &Probe, now: i64) -> bool {
        let expected = super::super::standard_signature(
            secret.as_bytes(),
            &probe.id,
            probe.timestamp,
            &probe.body,
        );
        (now - probe.timestamp).abs() <= 5 * 60 && expected == probe.signature
    }

    #[test]
    fn only_the_valid_probe_verifies() {
        let secret = super::super::new_secret();
        let now = 1_800_000_000;
        let verdicts: Vec<(&str, bool)> = probes(&secret, now)
            .iter()
            .map(|probe| (probe.name, verifies(&secret, probe, now)))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("valid", true),
                ("replayed", false),
                ("tampered", false),
                ("stale", false),
                ("other_secret", false)
            ]
        );
    }
}
