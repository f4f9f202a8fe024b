//! The memory of what was pushed, which makes pushes idempotent: France Travail's APIs take
//! no idempotency key, so the connector must not send the same version twice.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use cdb_connector::{IdempotencyKey, ResourceRef};

/// The last version of a resource applied at France Travail, and its id there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedPush {
    /// The version applied.
    pub version: u64,
    /// France Travail's id for the resource (an appointment's id), when it has one.
    pub remote_id: Option<String>,
}

/// Where the connector records applied pushes; the hub may back it with its database so that
/// the memory survives restarts.
pub trait PushJournal: Send + Sync {
    /// The last applied version of this resource (same kind and id, any version).
    fn last_applied(&self, resource: &ResourceRef) -> Option<AppliedPush>;

    /// Records that `resource` (this version) was applied under `key`.
    fn remember(&self, key: &IdempotencyKey, resource: &ResourceRef, remote_id: Option<&str>);
}

/// A journal kept in memory, for one process.
#[derive(Debug, Default)]
pub struct MemoryJournal {
    applied: Mutex<HashMap<(String, String), AppliedPush>>,
}

impl PushJournal for MemoryJournal {
    fn last_applied(&self, resource: &ResourceRef) -> Option<AppliedPush> {
        let applied = self.applied.lock().unwrap_or_else(|e| e.into_inner());
        applied
            .get(&(resource.kind.clone(), resource.id.clone()))
            .cloned()
    }

    fn remember(&self, _key: &IdempotencyKey, resource: &ResourceRef, remote_id: Option<&str>) {
        let mut applied = self.applied.lock().unwrap_or_else(|e| e.into_inner());
        let entry = applied
            .entry((resource.kind.clone(), resource.id.clone()))
            .or_insert(AppliedPush {
                version: resource.version,
                remote_id: None,
            });
        if resource.version >= entry.version {
            entry.version = resource.version;
            entry.remote_id = remote_id.map(str::to_owned).or(entry.remote_id.take());
        }
    }
}

/// Serialises pushes of one resource, so two workers cannot both pass the journal check
/// and create an appointment twice; striped to keep memory bounded.
pub(crate) struct ResourceLocks {
    stripes: [tokio::sync::Mutex<()>; 64],
}

impl ResourceLocks {
    /// Unlocked stripes.
    pub(crate) fn new() -> Self {
        Self {
            stripes: std::array::from_fn(|_| tokio::sync::Mutex::new(())),
        }
    }

    /// Waits for the resource's stripe.
    pub(crate) async fn lock(&self, resource: &ResourceRef) -> tokio::sync::MutexGuard<'_, ()> {
        let mut hasher = DefaultHasher::new();
        (&resource.kind, &resource.id).hash(&mut hasher);
        let index = (hasher.finish() % self.stripes.len() as u64) as usize;
        self.stripes[index].lock().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(version: u64) -> ResourceRef {
        ResourceRef {
            kind: "appointment".to_owned(),
            id: "a1".to_owned(),
            version,
        }
    }

    #[test]
    fn the_latest_version_and_its_remote_id_are_kept() {
        let journal = MemoryJournal::default();
        assert_eq!(journal.last_applied(&resource(1)), None);
        let key = IdempotencyKey::for_resource(&resource(2));
        journal.remember(&key, &resource(2), Some("ft-1"));
        journal.remember(&key, &resource(1), Some("stale"));
        journal.remember(&key, &resource(3), None);
        assert_eq!(
            journal.last_applied(&resource(9)),
            Some(AppliedPush {
                version: 3,
                remote_id: Some("ft-1".to_owned())
            })
        );
    }
}
