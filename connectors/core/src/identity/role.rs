//! A person's role in an RSA household (ROLEPERS).

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A text that names no household role.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown household role {0:?}: DEM, CJT, ENF, AUT or RDO expected")]
pub struct HouseholdRoleError(pub String);

/// A person's role in the RSA household (rôle de la personne dans le foyer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum HouseholdRole {
    /// The applicant (demandeur, `DEM`).
    #[serde(rename = "DEM")]
    Applicant,
    /// The applicant's spouse or partner (conjoint, `CJT`).
    #[serde(rename = "CJT")]
    Partner,
    /// A child (enfant, `ENF`).
    #[serde(rename = "ENF")]
    Child,
    /// Another person of the household (autre personne, `AUT`).
    #[serde(rename = "AUT")]
    Other,
    /// The person responsible for the file (responsable du dossier, `RDO`).
    #[serde(rename = "RDO")]
    FileHolder,
}

impl HouseholdRole {
    /// Parses the CAF code (`DEM`, `CJT`…) or the French word partner files use
    /// (`demandeur`, `conjoint`…); padding and case are ignored.
    pub fn parse(text: &str) -> Result<Self, HouseholdRoleError> {
        match text.trim().to_uppercase().as_str() {
            "DEM" | "DEMANDEUR" | "DEMANDEUSE" => Ok(Self::Applicant),
            "CJT" | "CONJOINT" | "CONJOINTE" => Ok(Self::Partner),
            "ENF" | "ENFANT" => Ok(Self::Child),
            "AUT" | "AUTRE" => Ok(Self::Other),
            "RDO" | "RESPONSABLE" | "RESPONSABLE DOSSIER" => Ok(Self::FileHolder),
            _ => Err(HouseholdRoleError(text.to_owned())),
        }
    }

    /// The 3-letter CAF code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Applicant => "DEM",
            Self::Partner => "CJT",
            Self::Child => "ENF",
            Self::Other => "AUT",
            Self::FileHolder => "RDO",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_words_parse_and_round_trip() {
        for role in [
            HouseholdRole::Applicant,
            HouseholdRole::Partner,
            HouseholdRole::Child,
            HouseholdRole::Other,
            HouseholdRole::FileHolder,
        ] {
            assert_eq!(HouseholdRole::parse(role.code()), Ok(role));
        }
        assert_eq!(HouseholdRole::parse(" cjt "), Ok(HouseholdRole::Partner));
        assert_eq!(
            HouseholdRole::parse("Demandeur"),
            Ok(HouseholdRole::Applicant)
        );
        assert!(HouseholdRole::parse("XYZ").is_err());
    }
}
