//! Rendez-vous partenaire v1: appointments sent to France Travail, created, updated or
//! cancelled, keeping France Travail's id.

use cdb_connector::records::{Appointment, AppointmentMode, AppointmentStatus};
use cdb_connector::time::paris_to_utc;
use cdb_connector::{ConnectorError, PushOutcome};
use chrono::{DateTime, FixedOffset, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::auth::ScopeSet;
use crate::codes::Failure;
use crate::config::PartnerOrganisation;
use crate::identify::UserToken;
use crate::transport::{Call, Transport};

const PATH: &str = "/partenaire/rendez-vous-partenaire/v1/rendez-vous";

/// The error code France Travail answers when it merged the person's records and no longer
/// knows the appointment: it must be created again.
const UNKNOWN_ID: &str = "ID_NON_RECONNU";

/// The appointment payload (rdv-insertion's `to_ft_payload`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RdvPayload<'a> {
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    adresse: Option<&'a str>,
    date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    duree: Option<u32>,
    initiateur: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    libelle_adresse: Option<&'a str>,
    modalite_contact: &'static str,
    motif: &'static str,
    organisme: Organisme<'a>,
    statut: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    theme: Option<&'a str>,
    type_reception: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Organisme<'a> {
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_contact: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_structure: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    libelle_structure: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    telephone_contact: Option<&'a str>,
}

#[derive(Debug, Deserialize)]
struct Created {
    id: serde_json::Value,
}

/// Sends appointments for one identified person.
pub(crate) struct AppointmentPush<'a> {
    /// The transport.
    pub transport: &'a Transport,
    /// Search and appointment scopes.
    pub scopes: &'a ScopeSet,
    /// The person's jeton.
    pub user: &'a UserToken,
    /// The département as sender.
    pub partner: &'a PartnerOrganisation,
}

impl AppointmentPush<'_> {
    /// Creates the appointment, or updates it when France Travail already has it; an update
    /// of an id France Travail no longer knows becomes a creation.
    pub(crate) async fn upsert(
        &self,
        appointment: &Appointment,
        remote_id: Option<&str>,
    ) -> Result<PushOutcome, ConnectorError> {
        let Some(id) = remote_id else {
            return self.create(appointment).await;
        };
        let call = self.call("PUT rendez-vous", Method::PUT, PATH.to_owned(), true);
        let call = Call {
            body: Some(self.payload(appointment, Some(id))?),
            ..call
        };
        match self.transport.call(&call).await {
            Ok(_) => Ok(PushOutcome::Applied {
                remote_id: Some(id.to_owned()),
            }),
            Err(failure) if unknown_id(&failure) => {
                tracing::info!("France Travail no longer knows the appointment, creating it again");
                self.create(appointment).await
            }
            Err(failure) => Err(failure.error),
        }
    }

    /// Cancels (deletes) the appointment at France Travail.
    pub(crate) async fn delete(&self, remote_id: &str) -> Result<PushOutcome, ConnectorError> {
        let path = format!("{PATH}/{}", encode_segment(remote_id));
        let call = self.call("DELETE rendez-vous", Method::DELETE, path, true);
        match self.transport.call(&call).await {
            Ok(_) => Ok(PushOutcome::Applied {
                remote_id: Some(remote_id.to_owned()),
            }),
            // Nothing left to cancel there.
            Err(failure)
                if unknown_id(&failure) || matches!(failure.error, ConnectorError::NotFound) =>
            {
                Ok(PushOutcome::AlreadyApplied {
                    remote_id: Some(remote_id.to_owned()),
                })
            }
            Err(failure) => Err(failure.error),
        }
    }

    async fn create(&self, appointment: &Appointment) -> Result<PushOutcome, ConnectorError> {
        // A creation is never re-sent by the transport: a lost answer must not make two.
        let call = self.call("POST rendez-vous", Method::POST, PATH.to_owned(), false);
        let call = Call {
            body: Some(self.payload(appointment, None)?),
            ..call
        };
        let answer = self.transport.call(&call).await.map_err(|f| f.error)?;
        let created: Created = answer.json(call.name)?;
        let id = match created.id {
            serde_json::Value::String(id) if !id.trim().is_empty() => id,
            serde_json::Value::Number(id) => id.to_string(),
            _ => {
                return Err(ConnectorError::Invalid(
                    "France Travail created the appointment but gave no id".to_owned(),
                ));
            }
        };
        Ok(PushOutcome::Applied {
            remote_id: Some(id),
        })
    }

    fn call(&self, name: &'static str, method: Method, path: String, idempotent: bool) -> Call<'_> {
        Call {
            name,
            method,
            path,
            query: &[],
            body: None,
            user: Some(self.user),
            scopes: self.scopes,
            idempotent,
        }
    }

    fn payload(
        &self,
        appointment: &Appointment,
        id: Option<&str>,
    ) -> Result<serde_json::Value, ConnectorError> {
        let structure = appointment.structure.as_ref();
        let payload = RdvPayload {
            id,
            adresse: appointment.location.as_deref(),
            date: paris_time(appointment.starts_at).to_rfc3339(),
            duree: appointment.duration_minutes,
            initiateur: "PARTENAIRE",
            libelle_adresse: structure
                .and_then(|s| s.name.as_deref())
                .or(self.partner.default_structure_name.as_deref()),
            modalite_contact: match appointment.mode {
                Some(AppointmentMode::Phone) => "TELEPHONE",
                Some(AppointmentMode::Video) => "VISIO",
                Some(AppointmentMode::InPerson) | None => "PHYSIQUE",
            },
            motif: motive(appointment.purpose.as_deref()),
            organisme: Organisme {
                code: &self.partner.code,
                email_contact: self.partner.email.as_deref(),
                id_structure: structure
                    .and_then(|s| s.code.as_deref())
                    .or(self.partner.default_structure_id.as_deref()),
                libelle_structure: structure
                    .and_then(|s| s.name.as_deref())
                    .or(self.partner.default_structure_name.as_deref()),
                telephone_contact: self.partner.phone.as_deref(),
            },
            statut: match appointment.status {
                AppointmentStatus::Planned => "PRIS",
                AppointmentStatus::Attended => "EFFECTUE",
                AppointmentStatus::Absent => "ABSENT",
                AppointmentStatus::Cancelled => "ANNULE",
            },
            theme: appointment.purpose.as_deref(),
            type_reception: "IND",
        };
        serde_json::to_value(payload)
            .map_err(|e| ConnectorError::fatal("cannot write the appointment payload", e))
    }
}

fn unknown_id(failure: &Failure) -> bool {
    failure.remote_code.as_deref() == Some(UNKNOWN_ID)
}

/// France Travail's motive code: `ORI` orientation, `ACC` first RSA follow-up meeting,
/// `AUT` anything else.
fn motive(purpose: Option<&str>) -> &'static str {
    let purpose = purpose.unwrap_or_default().trim().to_lowercase();
    if purpose == "ori" || purpose.contains("orient") {
        "ORI"
    } else if purpose == "acc" || purpose.contains("accompagnement") {
        "ACC"
    } else {
        "AUT"
    }
}

/// The time on Paris clocks, with its offset, as France Travail's examples write it.
fn paris_time(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    let summer = FixedOffset::east_opt(2 * 3600);
    let winter = FixedOffset::east_opt(3600);
    for offset in [summer, winter].into_iter().flatten() {
        let local = at.with_timezone(&offset);
        if paris_to_utc(local.naive_local()) == at {
            return local;
        }
    }
    // Only the repeated autumn hour's second pass gets here, and it is winter time.
    winter.map_or_else(|| at.fixed_offset(), |offset| at.with_timezone(&offset))
}

/// An appointment id as one path segment.
fn encode_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn times_carry_the_paris_offset() {
        let summer = Utc.with_ymd_and_hms(2024, 5, 2, 7, 0, 0).unwrap();
        assert_eq!(paris_time(summer).to_rfc3339(), "2024-05-02T09:00:00+02:00");
        let winter = Utc.with_ymd_and_hms(2024, 12, 2, 8, 30, 0).unwrap();
        assert_eq!(paris_time(winter).to_rfc3339(), "2024-12-02T09:30:00+01:00");
        let second_pass = Utc.with_ymd_and_hms(2024, 10, 27, 1, 30, 0).unwrap();
        assert_eq!(
            paris_time(second_pass).to_rfc3339(),
            "2024-10-27T02:30:00+01:00"
        );
    }

    #[test]
    fn motives_and_ids() {
        assert_eq!(motive(Some("RSA orientation")), "ORI");
        assert_eq!(motive(Some("1er RDV d'accompagnement")), "ACC");
        assert_eq!(motive(None), "AUT");
        assert_eq!(encode_segment("ab/12 é"), "ab%2F12%20%C3%A9");
    }
}
