//! Inbound webhooks: a departmental or partner system pushes JSON events to its connector
//! instance, signed as rdv-insertion signs them (`X-RDVI-SIGNATURE`: hex HMAC-SHA256 of the raw
//! body with the instance's `webhook_secret`). A bad signature is refused; an event older than
//! the last one seen for the same resource is dropped; a `User` event goes through the inbound
//! pipeline as the system's record of that person.

use actix_web::{HttpRequest, post, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::db::with_conn;
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::inbound::pipeline::{Options, Outcome};
use crate::inbound::record::{PersonFields, PersonRecord, Source, SourceKind};
use crate::store::connector_runs;

/// Largest event accepted.
const MAX_EVENT_BYTES: usize = 256 * 1024;

/// What happened to an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOutcome {
    /// `applied` (with the pipeline's `result`), `dropped_older` or `ignored` (a model the hub
    /// does not take).
    pub status: String,
    /// The pipeline's answer for applied events: created, updated, unchanged, possible_match,
    /// rejected.
    pub result: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Event {
    data: serde_json::Value,
    meta: Meta,
}

#[derive(Debug, Deserialize)]
struct Meta {
    model: String,
    event: String,
    timestamp: String,
}

/// The fields of rdv-insertion's user blueprint the hub takes.
#[derive(Debug, Deserialize)]
struct User {
    id: serde_json::Value,
    first_name: Option<String>,
    last_name: Option<String>,
    birth_date: Option<String>,
    email: Option<String>,
    phone_number: Option<String>,
    address: Option<String>,
    affiliation_number: Option<String>,
    role: Option<String>,
    nir: Option<String>,
    france_travail_id: Option<String>,
    department_internal_id: Option<String>,
}

fn event_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S %z")
        .or_else(|_| DateTime::parse_from_rfc3339(text.trim()))
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

fn text(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && !v.contains('\0'))
}

/// The person of an rdv-insertion event, each key by `cdb_connector`'s one parser: a value it
/// cannot read is left out, except a NIR, which identifies the person: the event is refused
/// (`None`).
fn person_fields(user: User) -> Option<PersonFields> {
    let nir = match text(user.nir) {
        Some(raw) => Some(cdb_connector::identity::Nir::parse(&raw).ok()?),
        None => None,
    };
    let household_role = text(user.role)
        .and_then(|role| cdb_connector::HouseholdRole::parse(&role).ok())
        .filter(|role| {
            matches!(
                role,
                cdb_connector::HouseholdRole::Applicant | cdb_connector::HouseholdRole::Partner
            )
        });
    Some(PersonFields {
        firstname: text(user.first_name),
        lastname: text(user.last_name),
        date_of_birth: text(user.birth_date)
            .and_then(|d| cdb_connector::time::parse_iso_date(&d).ok()),
        nir,
        caf_number: text(user.affiliation_number)
            .and_then(|raw| cdb_connector::identity::CafMatricule::parse(&raw).ok()),
        external_role: text(user.department_internal_id.clone())
            .and(household_role.map(|role| role.code().to_owned())),
        household_role,
        france_travail_id: text(user.france_travail_id)
            .and_then(|id| cdb_connector::FranceTravailId::parse(&id).ok()),
        external_id: text(user.department_internal_id),
        email: text(user.email).and_then(|e| cdb_connector::records::Email::parse(&e).ok()),
        mobile_number: text(user.phone_number)
            .and_then(|p| cdb_connector::records::PhoneNumber::parse(&p).ok())
            .map(|p| p.as_str().to_owned()),
        address1: text(user.address),
        ..PersonFields::default()
    })
}

/// Receives an event of a departmental or partner system.
#[utoipa::path(
    tag = "connectors",
    params(("id" = Uuid, Path, description = "Instance id."), ("X-RDVI-SIGNATURE" = String, Header, description = "Hex HMAC-SHA256 of the raw body with the instance's webhook secret.")),
    request_body(content = Object, description = "`{\"data\": <resource>, \"meta\": {\"model\", \"event\", \"timestamp\"}}` as rdv-insertion sends it."),
    responses(
        (status = 200, description = "Applied, dropped as older, or ignored.", body = EventOutcome),
        (status = 401, description = "Missing or wrong signature.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such instance taking events.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 256 KiB.", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/v1/connectors/{id}/events")]
pub async fn receive_event(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    mut payload: web::Payload,
) -> Result<web::Json<EventOutcome>, ApiError> {
    let id = id.into_inner();
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::invalid_parameter(format!("unreadable body: {e}")))?;
        if body.len() + chunk.len() > MAX_EVENT_BYTES {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                "An event is at most 256 KiB.",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let signature = request
        .headers()
        .get("x-rdvi-signature")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_start_matches("sha256=").to_owned());
    let instance = with_conn(&state.pool, move |conn| {
        connector_runs::enabled_instance_by_id(conn, id)?
            .filter(|i| i.kind == crate::domain::states::ConnectorKind::Departement)
            .ok_or_else(|| ApiError::not_found("connector taking events"))
    })
    .await?;
    let unauthenticated = || {
        ApiError::new(
            ErrorCode::Unauthenticated,
            "Missing or wrong X-RDVI-SIGNATURE.",
        )
    };
    let secret: String = instance
        .secrets
        .as_deref()
        .and_then(|sealed| state.secrets.open(id, sealed).ok())
        .and_then(|plain| serde_json::from_slice::<serde_json::Value>(&plain).ok())
        .and_then(|s| {
            s.get("webhook_secret")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        })
        .ok_or_else(unauthenticated)?;
    let signature = signature
        .and_then(|hex| decode_hex(&hex))
        .ok_or_else(unauthenticated)?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    ring::hmac::verify(&key, &body, &signature).map_err(|_| unauthenticated())?;

    let event: Event = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            ErrorCode::ValidationFailed,
            format!("Not an event {{data, meta}}: {e}."),
        )
    })?;
    let at = event_time(&event.meta.timestamp).ok_or_else(|| {
        ApiError::new(
            ErrorCode::ValidationFailed,
            "meta.timestamp must read like \"2023-11-13 19:53:07 +0100\".",
        )
    })?;
    if event.meta.model != "User" || event.meta.event == "destroyed" {
        return Ok(web::Json(EventOutcome {
            status: "ignored".into(),
            result: None,
        }));
    }
    let user: User = serde_json::from_value(event.data).map_err(|e| {
        ApiError::new(
            ErrorCode::ValidationFailed,
            format!("data is not a user: {e}."),
        )
    })?;
    let resource = match &user.id {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let fields = person_fields(user);
    let record = fields.map(|fields| PersonRecord {
        deployment_id: instance.deployment_id,
        source: Source {
            kind: SourceKind::Departement,
            system: format!("departement:events:{id}"),
            record_id: Some(resource.clone()),
            as_of: at,
            author_account_id: None,
        },
        fields,
    });
    let outcome = with_conn(&state.pool, move |conn| {
        crate::store::transaction(conn, |conn| {
            let newer = crate::store::inbound_events::record_if_newer(conn, id, &resource, at)?;
            if !newer {
                return Ok(EventOutcome {
                    status: "dropped_older".into(),
                    result: None,
                });
            }
            let Some(record) = &record else {
                // A NIR that is not one: refused, as the pipeline refuses it.
                return Ok(EventOutcome {
                    status: "applied".into(),
                    result: Some("rejected".into()),
                });
            };
            let outcome = crate::inbound::ingest_from_connector(conn, record, Options::default())?;
            let result = match outcome {
                Outcome::Created { .. } => "created",
                Outcome::Updated { .. } => "updated",
                Outcome::Unchanged { .. } => "unchanged",
                Outcome::PossibleMatch { .. } => "possible_match",
                Outcome::PendingReview => "pending_review",
                Outcome::Rejected { .. } => "rejected",
            };
            Ok::<_, ApiError>(EventOutcome {
                status: "applied".into(),
                result: Some(result.into()),
            })
        })
    })
    .await?;
    Ok(web::Json(outcome))
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rdv_insertion_timestamps_and_hex_signatures_are_read() {
        assert_eq!(
            event_time("2023-11-13 19:53:07 +0100").map(|t| t.to_rfc3339()),
            Some("2023-11-13T18:53:07+00:00".to_owned())
        );
        assert!(event_time("yesterday").is_none());
        assert_eq!(decode_hex("00ff"), Some(vec![0, 255]));
        assert_eq!(decode_hex("0g"), None);
        assert_eq!(decode_hex("abc"), None);
    }
}
