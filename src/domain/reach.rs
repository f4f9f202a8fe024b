//! Reach: which people (and so which notebooks) a caller may read and change. The policy in
//! `auth` decides a caller's reach; the store turns it into SQL and the inbound pipeline holds
//! every write to it.

use uuid::Uuid;

/// Which beneficiaries (and so which notebooks) a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every beneficiary of every deployment (national administrator).
    Everything,
    /// Every beneficiary of one deployment (manager, orientation manager, API client).
    Deployment(Uuid),
    /// Beneficiaries attached to, or followed by a professional of, the structures a structure
    /// administrator administers.
    AdministeredStructures {
        /// The deployment.
        deployment: Uuid,
        /// The administrator's profile.
        admin_structure_id: Uuid,
    },
    /// Beneficiaries attached to, or followed by a professional of, one structure (an API
    /// client narrowed to a structure).
    Structure {
        /// The deployment.
        deployment: Uuid,
        /// The structure.
        structure_id: Uuid,
    },
    /// Beneficiaries whose notebook has this account as an active member (professional).
    ActiveMember {
        /// The deployment.
        deployment: Uuid,
        /// The member's account.
        account_id: Uuid,
    },
    /// One's own record (beneficiary).
    Own {
        /// The beneficiary.
        beneficiary_id: Uuid,
    },
    /// Nobody.
    Nothing,
}

impl Reach {
    /// Whether every person of this deployment is within reach (no per-person check needed).
    pub fn covers_deployment(self, deployment: Uuid) -> bool {
        match self {
            Reach::Everything => true,
            Reach::Deployment(own) => own == deployment,
            _ => false,
        }
    }
}

/// Reach over the directory of structures and professionals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryReach {
    /// All deployments.
    Everything,
    /// One deployment.
    Deployment(Uuid),
    /// None.
    Nothing,
}

/// Which purge tombstones of the change feed a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TombstoneReach {
    /// Those of every deployment.
    Everything,
    /// Those of one deployment.
    Deployment(Uuid),
    /// None.
    Nothing,
}
