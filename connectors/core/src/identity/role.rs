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
    /// Parses the CAF code (`DEM`, `CJT`…) or the French words files and partners use, read
    /// as rdv-insertion reads them: the text before a `/` or `(` (`CONJOINT/CONCUBIN/PACSE`,
    /// `CONJOINT(E)`), folded (case, accents, spaces); `usager`, `allocataire`, `concubin`,
    /// `pacsé` and « responsable du dossier » included.
    pub fn parse(text: &str) -> Result<Self, HouseholdRoleError> {
        let head = text.split(['/', '(']).next().unwrap_or_default();
        match crate::text::fold(head).as_str() {
            "dem" | "demandeur" | "demandeuse" | "usager" | "allocataire" => Ok(Self::Applicant),
            "cjt" | "conjoint" | "conjointe" | "concubin" | "concubine" | "pacse" | "pacsee" => {
                Ok(Self::Partner)
            }
            "enf" | "enfant" => Ok(Self::Child),
            "aut" | "autre" | "autrepersonne" => Ok(Self::Other),
            "rdo" | "responsable" | "responsabledossier" | "responsabledudossier" => {
                Ok(Self::FileHolder)
            }
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
        assert_eq!(
            HouseholdRole::parse("CONJOINT/CONCUBIN/PACSE"),
            Ok(HouseholdRole::Partner)
        );
        assert_eq!(HouseholdRole::parse("Pacsée"), Ok(HouseholdRole::Partner));
        assert_eq!(
            HouseholdRole::parse("Responsable du dossier"),
            Ok(HouseholdRole::FileHolder)
        );
        assert!(HouseholdRole::parse("XYZ").is_err());
        assert!(HouseholdRole::parse("").is_err());
    }
}
