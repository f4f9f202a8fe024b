//! The canonical fields a profile maps columns to: the hub's vocabulary, not the source's.

use serde::{Deserialize, Serialize};

/// A canonical field a column of an export can fill (written in snake_case in profiles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The person's id in the département's SI (ID Iodas, i_identifiant…).
    DepartementId,
    /// Form of address (civilité).
    Title,
    /// Name in use (nom d'usage).
    LastName,
    /// Birth name (nom de naissance).
    BirthName,
    /// First names, as one cell (prénom(s)).
    FirstNames,
    /// Birth date.
    BirthDate,
    /// Birth place (lieu de naissance).
    BirthPlace,
    /// Sex (Homme/Femme).
    Sex,
    /// Social security number, 13 or 15 characters.
    Nir,
    /// CAF/MSA organisation (`CAF261`), when the file gives it.
    CafOrganisation,
    /// CAF/MSA household number (matricule, numéro allocataire).
    CafMatricule,
    /// France Travail identifier (ex-identifiant Pôle emploi).
    FranceTravailId,
    /// Role in the household (demandeur, conjoint…).
    Role,
    /// E-mail address (a cell may hold several: the first one is kept).
    Email,
    /// Phone numbers (several columns and several numbers per cell are allowed).
    Phone,
    /// One part of a postal address line; see `line` in the profile.
    AddressLine,
    /// Postal code.
    PostalCode,
    /// City (commune).
    City,
    /// Postal code and city in one cell (« 26000 Valence »).
    PostalCodeCity,
    /// Country, as the source writes it.
    Country,
    /// No fixed address (sans domicile fixe), yes or no.
    NoFixedAddress,
    /// State of the RSA right: ETATDOSRSA code, Carnet de bord slug or French label.
    RsaState,
    /// Subject to rights and duties (soumis aux droits et devoirs), yes or no.
    RightsAndDuties,
    /// Date (and time) the data was true at the source, e.g. the extraction date.
    AsOf,
}

impl Field {
    /// Every field, in declaration order.
    pub const ALL: [Self; 24] = [
        Self::DepartementId,
        Self::Title,
        Self::LastName,
        Self::BirthName,
        Self::FirstNames,
        Self::BirthDate,
        Self::BirthPlace,
        Self::Sex,
        Self::Nir,
        Self::CafOrganisation,
        Self::CafMatricule,
        Self::FranceTravailId,
        Self::Role,
        Self::Email,
        Self::Phone,
        Self::AddressLine,
        Self::PostalCode,
        Self::City,
        Self::PostalCodeCity,
        Self::Country,
        Self::NoFixedAddress,
        Self::RsaState,
        Self::RightsAndDuties,
        Self::AsOf,
    ];

    /// The French noun phrase naming a value of the field in messages (« La date de naissance »).
    pub fn label(self) -> &'static str {
        match self {
            Self::DepartementId => "L'identifiant dans le SI du département",
            Self::Title => "La civilité",
            Self::LastName => "Le nom",
            Self::BirthName => "Le nom de naissance",
            Self::FirstNames => "Le prénom",
            Self::BirthDate => "La date de naissance",
            Self::BirthPlace => "Le lieu de naissance",
            Self::Sex => "Le sexe",
            Self::Nir => "Le NIR",
            Self::CafOrganisation => "L'organisme CAF/MSA",
            Self::CafMatricule => "Le numéro allocataire CAF/MSA",
            Self::FranceTravailId => "L'identifiant France Travail",
            Self::Role => "Le rôle dans le foyer",
            Self::Email => "L'adresse e-mail",
            Self::Phone => "Le téléphone",
            Self::AddressLine => "L'adresse",
            Self::PostalCode => "Le code postal",
            Self::City => "La commune",
            Self::PostalCodeCity => "Le code postal et la commune",
            Self::Country => "Le pays",
            Self::NoFixedAddress => "L'indication « sans domicile fixe »",
            Self::RsaState => "L'état du droit RSA",
            Self::RightsAndDuties => "L'indication « soumis aux droits et devoirs »",
            Self::AsOf => "La date d'extraction",
        }
    }

    /// Whether several columns of one profile may fill the field (their values add up).
    pub fn is_repeatable(self) -> bool {
        matches!(self, Self::Phone | Self::Email | Self::AddressLine)
    }

    /// Whether the field may give the records' id at the source (`record_id` of a profile).
    ///
    /// The NIR never does: record ids are kept in provenance, visible to every reader.
    pub fn can_identify_records(self) -> bool {
        matches!(
            self,
            Self::DepartementId | Self::CafMatricule | Self::FranceTravailId
        )
    }

    /// Whether the field belongs to the person's civil identity (which needs a last name).
    pub(crate) fn is_identity(self) -> bool {
        matches!(
            self,
            Self::Title
                | Self::LastName
                | Self::BirthName
                | Self::FirstNames
                | Self::BirthDate
                | Self::BirthPlace
                | Self::Sex
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_label_and_a_snake_case_name() {
        for field in Field::ALL {
            assert!(!field.label().is_empty());
            let name = serde_json::to_value(field).unwrap();
            let name = name.as_str().unwrap();
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
        }
        assert_eq!(
            serde_json::to_value(Field::PostalCodeCity).unwrap(),
            "postal_code_city"
        );
    }

    #[test]
    fn the_profile_authors_guide_lists_every_field() {
        let guide = include_str!("../profiles/README.md");
        for field in Field::ALL {
            let name = serde_json::to_value(field).unwrap();
            let row = format!("| `{}` |", name.as_str().unwrap());
            assert!(guide.contains(&row), "profiles/README.md lacks {row}");
        }
    }
}
