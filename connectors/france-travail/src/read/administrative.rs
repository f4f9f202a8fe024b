//! Informations administratives v1: civil status, addresses, phones and emails of a person.

use cdb_connector::records::{Address, Contact, Email, Identity, PhoneNumber, PostalCode};
use cdb_connector::{FranceTravailId, NameAndBirth, Nir};
use serde::Deserialize;

use crate::values::{optional_date, sex_of, text, title};

/// Path of the API (with the `ft-jeton-usager` header).
pub(crate) const PATH: &str = "/partenaire/informations-administratives/v1/usager";
/// The API's name where its raw answers are kept.
pub(crate) const API: &str = "informations-administratives";

/// The answer, as les-emplois' client reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AdministrativeInfo {
    numero_france_travail: Option<String>,
    #[serde(default)]
    adresses: Vec<FtAddress>,
    #[serde(default)]
    emails: Vec<FtEmail>,
    etat_civil: Option<CivilStatus>,
    #[serde(default)]
    telephones: Vec<FtPhone>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FtAddress {
    code_insee_commune: Option<String>,
    code_postal: Option<String>,
    complement_adresse: Option<String>,
    complement_destinataire: Option<String>,
    complement_distribution: Option<String>,
    libelle_commune: Option<String>,
    libelle_pays: Option<String>,
    numero_type_libelle_voie: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FtEmail {
    adresse_email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CivilStatus {
    civilite: Option<String>,
    date_naissance: Option<String>,
    nir: Option<String>,
    nom: Option<String>,
    prenom: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FtPhone {
    numero_telephone: Option<String>,
}

impl AdministrativeInfo {
    /// The France Travail number, when it is a valid one.
    pub(crate) fn france_travail_id(&self) -> Option<FranceTravailId> {
        text(self.numero_france_travail.as_deref()).and_then(|n| FranceTravailId::parse(&n).ok())
    }

    /// The NIR France Travail holds, when it is a valid one.
    pub(crate) fn nir(&self) -> Option<Nir> {
        let civil = self.etat_civil.as_ref()?;
        text(civil.nir.as_deref()).and_then(|n| Nir::parse(&n).ok())
    }

    /// Names and birth date, when all three are given.
    pub(crate) fn name_and_birth(&self) -> Option<NameAndBirth> {
        let civil = self.etat_civil.as_ref()?;
        Some(NameAndBirth {
            first_name: text(civil.prenom.as_deref())?,
            last_name: text(civil.nom.as_deref())?,
            birth_date: optional_date(civil.date_naissance.as_deref())?,
        })
    }

    /// The civil identity, when a last name is given.
    pub(crate) fn identity(&self) -> Option<Identity> {
        let civil = self.etat_civil.as_ref()?;
        Some(Identity {
            title: civil.civilite.as_deref().and_then(title),
            last_name: text(civil.nom.as_deref())?,
            birth_name: None,
            first_names: text(civil.prenom.as_deref()).into_iter().collect(),
            birth_date: optional_date(civil.date_naissance.as_deref()),
            birth_place: None,
            sex: self.nir().as_ref().and_then(sex_of),
        })
    }

    /// Phones and the first valid email; invalid ones are left out rather than failing the
    /// whole dossier.
    pub(crate) fn contact(&self) -> Option<Contact> {
        let phones: Vec<PhoneNumber> = self
            .telephones
            .iter()
            .filter_map(|p| text(p.numero_telephone.as_deref()))
            .filter_map(|p| PhoneNumber::parse(&p).ok())
            .collect();
        let email = self
            .emails
            .iter()
            .filter_map(|e| text(e.adresse_email.as_deref()))
            .find_map(|e| Email::parse(&e).ok());
        (!phones.is_empty() || email.is_some()).then_some(Contact { phones, email })
    }

    /// The first address.
    pub(crate) fn address(&self) -> Option<Address> {
        let first = self.adresses.first()?;
        let lines: Vec<String> = [
            &first.complement_destinataire,
            &first.complement_adresse,
            &first.numero_type_libelle_voie,
            &first.complement_distribution,
        ]
        .into_iter()
        .filter_map(|line| text(line.as_deref()))
        .collect();
        Some(Address {
            lines,
            postal_code: text(first.code_postal.as_deref())
                .and_then(|c| PostalCode::parse(&c).ok()),
            city: text(first.libelle_commune.as_deref()),
            city_insee_code: text(first.code_insee_commune.as_deref()),
            country: text(first.libelle_pays.as_deref()),
            no_fixed_address: None,
        })
    }
}
