//! The six roles of a person's account, and the scopes each role's sessions hold.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::scopes::{Scope, Scopes};

/// Role of an account (the original service's six roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// National administrator (administrateur Carnet de bord).
    AdminCdb,
    /// Deployment manager (the département's administrator).
    Manager,
    /// Structure administrator (gestionnaire de structure).
    AdminStructure,
    /// Orientation manager (chargé d'orientation).
    OrientationManager,
    /// Accompanying professional.
    Professional,
    /// The person accompanied (bénéficiaire).
    Beneficiary,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::AdminCdb,
        Role::Manager,
        Role::AdminStructure,
        Role::OrientationManager,
        Role::Professional,
        Role::Beneficiary,
    ];

    /// The role's name in the database and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::AdminCdb => "admin_cdb",
            Role::Manager => "manager",
            Role::AdminStructure => "admin_structure",
            Role::OrientationManager => "orientation_manager",
            Role::Professional => "professional",
            Role::Beneficiary => "beneficiary",
        }
    }

    /// What a session of this role may do (a personal token may hold less).
    pub fn scopes(self) -> Scopes {
        use Scope::*;
        match self {
            Role::AdminCdb | Role::Manager => Scopes::all(),
            Role::OrientationManager | Role::Professional => Scopes::from_iter([
                BeneficiariesRead,
                BeneficiariesWrite,
                NotebooksRead,
                NotebooksWrite,
                NirRead,
            ]),
            Role::AdminStructure => {
                // Notebooks: the memberships of their structures' professionals.
                Scopes::from_iter([
                    BeneficiariesRead,
                    NotebooksRead,
                    NotebooksWrite,
                    ImportsWrite,
                ])
            }
            // Writes: their own contact details only (the policy narrows it).
            Role::Beneficiary => Scopes::from_iter([
                BeneficiariesRead,
                BeneficiariesWrite,
                NotebooksRead,
                NirRead,
            ]),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| format!("unknown role {text:?} (expected one of admin_cdb, manager, admin_structure, orientation_manager, professional, beneficiary)"))
    }
}
