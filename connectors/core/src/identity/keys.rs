//! The set of identity keys a source gives for one person.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{CafMsaKey, DepartementKey, FranceTravailId, Nir};

/// Names and birth date, the last-resort key (compared after normalisation by `inbound/`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NameAndBirth {
    /// First name as the source writes it (prénom).
    pub first_name: String,
    /// Last name as the source writes it (nom d'usage).
    pub last_name: String,
    /// Birth date (date de naissance).
    pub birth_date: NaiveDate,
}

/// Every identity key a source knows for a person; the subject of each record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdentityKeys {
    /// Social security number (NIR), 13 significant characters.
    pub nir: Option<Nir>,
    /// CAF/MSA organisation, household matricule and role.
    pub caf_msa: Option<CafMsaKey>,
    /// France Travail identifier.
    pub france_travail_id: Option<FranceTravailId>,
    /// Identifier in the département's SI, with the role when a couple shares it.
    pub departement: Option<DepartementKey>,
    /// Names and birth date.
    pub name_and_birth: Option<NameAndBirth>,
}

impl IdentityKeys {
    /// True when the source gave no key at all (such a record cannot be matched).
    pub fn is_empty(&self) -> bool {
        self.nir.is_none()
            && self.caf_msa.is_none()
            && self.france_travail_id.is_none()
            && self.departement.is_none()
            && self.name_and_birth.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_means_empty() {
        assert!(IdentityKeys::default().is_empty());
        let keys = IdentityKeys {
            nir: Some(Nir::parse("1841276451089").unwrap()),
            ..IdentityKeys::default()
        };
        assert!(!keys.is_empty());
    }
}
