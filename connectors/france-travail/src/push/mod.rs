//! Pushing the hub's orientations and appointments to France Travail, at most once per
//! version.

mod appointment;
pub(crate) mod journal;
mod orientation;

use cdb_connector::records::RecordBody;
use cdb_connector::{ConnectorError, OutboundAction, OutboundOperation, PushOutcome};

use crate::auth::ScopeSet;
use crate::config::FranceTravailConfig;
use crate::identify::{Identification, identify};
use crate::transport::Transport;

use self::appointment::AppointmentPush;
use self::journal::{PushJournal, ResourceLocks};

/// Resource kind of an appointment (`ResourceRef::kind`).
pub const APPOINTMENT: &str = "appointment";
/// Resource kind of an orientation (`ResourceRef::kind`).
pub const ORIENTATION: &str = "orientation";

/// What a push needs from the connector.
pub(crate) struct Pusher<'a> {
    pub transport: &'a Transport,
    pub config: &'a FranceTravailConfig,
    pub journal: &'a dyn PushJournal,
    pub locks: &'a ResourceLocks,
}

impl Pusher<'_> {
    /// Applies the operation unless this version (or a later one) already was.
    pub(crate) async fn push(
        &self,
        operation: &OutboundOperation,
    ) -> Result<PushOutcome, ConnectorError> {
        let resource = &operation.resource;
        let _turn = self.locks.lock(resource).await;
        let applied = self.journal.last_applied(resource);
        if let Some(done) = &applied
            && done.version >= resource.version
        {
            // The same key again, or an older version arriving late (rdv-insertion drops
            // those too): nothing to do.
            return Ok(PushOutcome::AlreadyApplied {
                remote_id: done.remote_id.clone(),
            });
        }
        // An earlier version may have been created without the hub learning the id (crash
        // between our call and its commit): update that one instead of creating another.
        let remote_id = operation
            .remote_id
            .clone()
            .or_else(|| applied.and_then(|a| a.remote_id));
        let outcome = self.apply(operation, remote_id.as_deref()).await?;
        let remote = match &outcome {
            PushOutcome::Applied { remote_id } | PushOutcome::AlreadyApplied { remote_id } => {
                remote_id.as_deref()
            }
        };
        self.journal
            .remember(&operation.idempotency_key(), resource, remote);
        Ok(outcome)
    }

    async fn apply(
        &self,
        operation: &OutboundOperation,
        remote_id: Option<&str>,
    ) -> Result<PushOutcome, ConnectorError> {
        let scopes = &self.config.scopes;
        match (operation.resource.kind.as_str(), &operation.action) {
            (APPOINTMENT, OutboundAction::Delete) if remote_id.is_none() => {
                // Never sent, so nothing to cancel.
                Ok(PushOutcome::AlreadyApplied { remote_id: None })
            }
            (APPOINTMENT, action) => {
                let body = match action {
                    OutboundAction::Upsert(RecordBody::Appointment(a)) => Some(a),
                    OutboundAction::Delete => None,
                    OutboundAction::Upsert(other) => return Err(mismatch(other.kind())),
                };
                let Some(scope) = &scopes.appointments else {
                    return Err(ConnectorError::unsupported(
                        "appointments (no rendez-vous-partenaire scope configured)",
                    ));
                };
                let set = ScopeSet::of([scopes.search.as_str(), scope.as_str()]);
                let who = Identification::from_keys(&operation.subject)?;
                let user = identify(
                    self.transport,
                    &set,
                    &who,
                    self.config.accept_uncertified_identity,
                )
                .await?;
                let push = AppointmentPush {
                    transport: self.transport,
                    scopes: &set,
                    user: &user,
                    partner: &self.config.partner,
                };
                match (body, remote_id) {
                    (Some(appointment), remote_id) => push.upsert(appointment, remote_id).await,
                    (None, Some(remote_id)) => push.delete(remote_id).await,
                    (None, None) => Ok(PushOutcome::AlreadyApplied { remote_id: None }),
                }
            }
            (ORIENTATION, OutboundAction::Upsert(RecordBody::Orientation(orientation))) => {
                let Some(scope) = &scopes.orientation else {
                    return Err(ConnectorError::unsupported(
                        "orientations (no orientationusager scope configured)",
                    ));
                };
                let set = ScopeSet::of([scopes.search.as_str(), scope.as_str()]);
                let who = Identification::from_keys(&operation.subject)?;
                let user = identify(
                    self.transport,
                    &set,
                    &who,
                    self.config.accept_uncertified_identity,
                )
                .await?;
                orientation::send(
                    self.transport,
                    &set,
                    &user,
                    &self.config.partner,
                    orientation,
                )
                .await
            }
            (ORIENTATION, OutboundAction::Delete) => Err(ConnectorError::Invalid(
                "France Travail offers no way to withdraw an orientation".to_owned(),
            )),
            (ORIENTATION, OutboundAction::Upsert(other)) => Err(mismatch(other.kind())),
            (kind, _) => Err(ConnectorError::Invalid(format!(
                "France Travail takes no {kind:?} resource (appointment or orientation)"
            ))),
        }
    }
}

fn mismatch(kind: &str) -> ConnectorError {
    ConnectorError::Invalid(format!("a {kind} record does not fit this resource kind"))
}
