//! Operations the hub pushes to outside systems, made idempotent by a derived key.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::identity::IdentityKeys;
use crate::records::RecordBody;

/// A version of a hub resource that an operation carries (e.g. its change-feed sequence).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResourceRef {
    /// Kind of resource, a stable snake_case name (`appointment`, `orientation`).
    pub kind: String,
    /// The resource's id in the hub.
    pub id: String,
    /// Its version; a later change of the same resource has a greater version.
    pub version: u64,
}

/// The key under which a remote system must apply an operation at most once.
///
/// Derived from the resource and its version only, so retrying the same push (after a
/// timeout, a crash, a replay) yields the same key, and a new version a new key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The key of one version of one resource: `kind/id@version`.
    pub fn for_resource(resource: &ResourceRef) -> Self {
        // The kind is a slug without '/', and the version is read after the last '@', so
        // the three parts can always be told apart even if the id contains '/' or '@'.
        Self(format!(
            "{}/{}@{}",
            resource.kind, resource.id, resource.version
        ))
    }

    /// The key as text (to send in an `Idempotency-Key` header, or store).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What to do with the resource remotely.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", content = "record", rename_all = "snake_case")]
pub enum OutboundAction {
    /// Create it, or update it if the remote system already has it.
    Upsert(RecordBody),
    /// Cancel or delete it remotely.
    Delete,
}

/// One outbound operation: a version of a hub resource, about one person, to apply remotely.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboundOperation {
    /// The hub resource and its version.
    pub resource: ResourceRef,
    /// The person concerned, by the keys the remote system may know.
    pub subject: IdentityKeys,
    /// The remote system's id for the resource, once known (from an earlier push).
    pub remote_id: Option<String>,
    /// What to do.
    pub action: OutboundAction,
}

impl OutboundOperation {
    /// The idempotency key of this operation, derived from its resource and version.
    pub fn idempotency_key(&self) -> IdempotencyKey {
        IdempotencyKey::for_resource(&self.resource)
    }
}

/// What the remote system did with a pushed operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PushOutcome {
    /// Applied now.
    Applied {
        /// The remote system's id for the resource, when it returns one.
        remote_id: Option<String>,
    },
    /// Already applied under the same idempotency key (or an older version was refused as
    /// superseded); nothing changed.
    AlreadyApplied {
        /// The remote system's id for the resource, when known.
        remote_id: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(id: &str, version: u64) -> ResourceRef {
        ResourceRef {
            kind: "appointment".to_owned(),
            id: id.to_owned(),
            version,
        }
    }

    #[test]
    fn the_key_depends_on_the_resource_and_its_version_only() {
        let operation = OutboundOperation {
            resource: resource("0190a", 3),
            subject: IdentityKeys::default(),
            remote_id: None,
            action: OutboundAction::Delete,
        };
        let retried = OutboundOperation {
            remote_id: Some("ft-42".to_owned()),
            ..operation.clone()
        };
        assert_eq!(operation.idempotency_key(), retried.idempotency_key());
        assert_eq!(operation.idempotency_key().as_str(), "appointment/0190a@3");
        assert_ne!(
            IdempotencyKey::for_resource(&resource("0190a", 4)),
            operation.idempotency_key()
        );
        assert_ne!(
            IdempotencyKey::for_resource(&resource("0190b", 3)),
            operation.idempotency_key()
        );
    }
}
