//! Identity keys of a person as sources give them, parsed into typed values at the edge.
//!
//! Matching order (decided by `inbound/`, not here): NIR, CAF/MSA key, France Travail id,
//! département SI id, then names + birth date.

mod caf;
mod departement;
mod france_travail;
mod keys;
mod nir;
mod role;

pub use caf::{
    CafMatricule, CafMatriculeError, CafMsaKey, CafOrganisation, CafOrganisationError, Fund,
};
pub use departement::{DepartementKey, DepartementPersonId, DepartementPersonIdError};
pub use france_travail::{FranceTravailId, FranceTravailIdError};
pub use keys::{IdentityKeys, NameAndBirth};
pub use nir::{Nir, NirError};
pub use role::{HouseholdRole, HouseholdRoleError};
