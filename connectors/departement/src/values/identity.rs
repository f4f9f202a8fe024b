//! Identifiers and e-mail addresses: parsed into the core's typed keys, with French messages.

use cdb_connector::identity::{
    CafMatricule, CafMatriculeError, CafOrganisation, DepartementPersonId,
    DepartementPersonIdError, FranceTravailId, FranceTravailIdError, Nir, NirError,
};
use cdb_connector::records::Email;

use crate::error::{ErrorCode, Invalid};

/// Parses a NIR of 13 characters, or 15 whose last two are its control key.
pub(crate) fn nir(raw: &str, label: &str) -> Result<Nir, Invalid> {
    let value = raw.trim();
    Nir::parse(value).map_err(|error| match error {
        NirError::Length(length) => Invalid::new(
            ErrorCode::InvalidNirLength,
            format!(
                "{label} « {value} » a {length} caractères : 13, ou 15 avec la clé, sont attendus"
            ),
        ),
        NirError::Character => Invalid::new(
            ErrorCode::InvalidNirCharacters,
            format!(
                "{label} « {value} » ne peut contenir que des chiffres (et 2A ou 2B pour la Corse)"
            ),
        ),
        // The expected key is not given: it would turn a mistyped NIR into a valid, wrong one.
        NirError::Key { .. } => Invalid::new(
            ErrorCode::InvalidNirKey,
            format!(
                "{label} « {value} » n'est pas valide : sa clé de contrôle ne correspond pas \
                 à ses 13 premiers caractères"
            ),
        ),
    })
}

/// Parses a CAF/MSA matricule in any of the forms sources write (padded or not).
pub(crate) fn caf_matricule(raw: &str, label: &str) -> Result<CafMatricule, Invalid> {
    let value = raw.trim();
    CafMatricule::parse(value).map_err(|error| {
        let reason = match error {
            CafMatriculeError::Empty => "ne contient que des zéros".to_owned(),
            CafMatriculeError::Character => {
                "ne peut contenir que des lettres et des chiffres".to_owned()
            }
            CafMatriculeError::Length(length) => format!(
                "a {length} caractères : {} au plus sont attendus",
                CafMatricule::MAX_LENGTH
            ),
        };
        Invalid::new(
            ErrorCode::InvalidCafNumber,
            format!("{label} « {value} » {reason}"),
        )
    })
}

/// Parses an organisation written `CAF261` or `MSA 026`.
pub(crate) fn caf_organisation(raw: &str, label: &str) -> Result<CafOrganisation, Invalid> {
    let value = raw.trim();
    CafOrganisation::parse(value).map_err(|_| {
        Invalid::new(
            ErrorCode::InvalidCafOrganisation,
            format!(
                "{label} « {value} » n'est pas reconnu : CAF ou MSA suivi du numéro de \
                 l'organisme attendu, par exemple CAF261"
            ),
        )
    })
}

/// Parses an 11-character France Travail identifier.
pub(crate) fn france_travail_id(raw: &str, label: &str) -> Result<FranceTravailId, Invalid> {
    let value = raw.trim();
    FranceTravailId::parse(value).map_err(|error| {
        let reason = match error {
            FranceTravailIdError::Length(length) => {
                format!("a {length} caractères : 11 sont attendus")
            }
            FranceTravailIdError::Character => {
                "ne peut contenir que des chiffres et des lettres".to_owned()
            }
        };
        Invalid::new(
            ErrorCode::InvalidFranceTravailId,
            format!("{label} « {value} » {reason}"),
        )
    })
}

/// Parses the id a département's SI gives a person (only trimmed).
pub(crate) fn departement_id(raw: &str, label: &str) -> Result<DepartementPersonId, Invalid> {
    let value = raw.trim();
    DepartementPersonId::parse(value).map_err(|error| {
        let reason = match error {
            DepartementPersonIdError::Empty => "est vide".to_owned(),
            DepartementPersonIdError::Length(length) => format!(
                "a {length} caractères : {} au plus sont attendus",
                DepartementPersonId::MAX_LENGTH
            ),
            DepartementPersonIdError::Character => "contient des caractères de contrôle".to_owned(),
        };
        Invalid::new(
            ErrorCode::InvalidDepartementId,
            format!("{label} « {value} » {reason}"),
        )
    })
}

/// Parses the addresses of a cell (separated by `,`, `;` or spaces), in order; the first is
/// the person's address, and every one of them must be an address.
pub(crate) fn emails(raw: &str, label: &str) -> Result<Vec<Email>, Invalid> {
    raw.split([',', ';', ' ', '\n', '\r', '\t'])
        .filter(|item| !item.trim().is_empty())
        .map(|item| {
            let item = item.trim();
            Email::parse(item).map_err(|_| {
                Invalid::new(
                    ErrorCode::InvalidEmail,
                    format!("{label} « {item} » n'est pas une adresse e-mail valide"),
                )
            })
        })
        .collect()
}

/// The spreadsheet's scientific notation of a long number (`1,84127E+14`), which has lost
/// digits: the identifier cannot be recovered from it.
pub(crate) fn scientific_notation(raw: &str, label: &str) -> Option<Invalid> {
    let value = raw.trim();
    let upper = value.to_ascii_uppercase();
    let (mantissa, exponent) = upper.split_once("E+")?;
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let (whole, fraction) = mantissa.split_once([',', '.']).unwrap_or((mantissa, "0"));
    (digits(whole) && digits(fraction) && digits(exponent)).then(|| {
        Invalid::new(
            ErrorCode::ScientificNotation,
            format!(
                "{label} « {value} » a été transformé par le tableur en notation scientifique \
                 et a perdu des chiffres : mettez la colonne au format Texte et recopiez-le"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nirs_with_and_without_key() {
        assert_eq!(
            nir("1 84 12 76 451 089 46", "Le NIR").unwrap().as_str(),
            "1841276451089"
        );
        assert_eq!(
            nir("2820251108030", "Le NIR").unwrap().as_str(),
            "2820251108030"
        );
        let key = nir("184127645108947", "Le NIR").unwrap_err();
        assert_eq!(key.code, ErrorCode::InvalidNirKey);
        assert_eq!(
            key.message,
            "Le NIR « 184127645108947 » n'est pas valide : sa clé de contrôle ne correspond \
             pas à ses 13 premiers caractères"
        );
        assert_eq!(
            nir("1841276", "Le NIR").unwrap_err().code,
            ErrorCode::InvalidNirLength
        );
        assert_eq!(
            nir("1841276X51089", "Le NIR").unwrap_err().code,
            ErrorCode::InvalidNirCharacters
        );
    }

    #[test]
    fn matricules_organisations_and_ids() {
        let label = "Le numéro allocataire CAF/MSA";
        assert_eq!(
            caf_matricule("205599000000000", label).unwrap().as_str(),
            "2055990"
        );
        assert_eq!(caf_matricule("0000123", label).unwrap().as_str(), "0000123");
        assert_eq!(
            caf_matricule("12-34", label).unwrap_err().message,
            "Le numéro allocataire CAF/MSA « 12-34 » ne peut contenir que des lettres et des \
             chiffres"
        );
        assert_eq!(
            caf_organisation("caf 261", "L'organisme")
                .unwrap()
                .to_string(),
            "CAF261"
        );
        assert!(caf_organisation("CPAM26", "L'organisme").is_err());
        assert_eq!(
            france_travail_id("1253359X", "L'identifiant")
                .unwrap_err()
                .code,
            ErrorCode::InvalidFranceTravailId
        );
        assert_eq!(
            departement_id(" IODAS822920 ", "L'id").unwrap().as_str(),
            "IODAS822920"
        );
        assert_eq!(
            departement_id("a\u{1}b", "L'id").unwrap_err().code,
            ErrorCode::InvalidDepartementId
        );
    }

    #[test]
    fn emails_one_or_several() {
        let list = emails("a@b.fr; c@d.fr", "L'adresse e-mail").unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].as_str(), "a@b.fr");
        assert_eq!(
            emails("a@b.fr, pas-une-adresse", "L'adresse e-mail")
                .unwrap_err()
                .message,
            "L'adresse e-mail « pas-une-adresse » n'est pas une adresse e-mail valide"
        );
    }

    #[test]
    fn scientific_notation_is_spotted() {
        assert!(scientific_notation("1,84127E+14", "Le NIR").is_some());
        assert!(scientific_notation("2.05599e+14", "Le NIR").is_some());
        assert!(scientific_notation("184127645108946", "Le NIR").is_none());
        assert!(scientific_notation("E+14", "Le NIR").is_none());
    }
}
