//! From a typed line of a beneficiaries file to the canonical person record the inbound
//! pipeline takes. Pure: where the record comes from is given by the caller.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::kinds::{BeneficiaryRow, RowError};
use super::values::ValueSet;
use crate::inbound::record::{PersonFields, PersonRecord, Source, SourceKind};

/// An error of one line as stored and shown: where, what, and why in French.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineError {
    /// The column's header as written in the file (empty for an error of the whole line).
    pub column: String,
    /// The cell's text as read.
    pub value: String,
    /// Stable machine-readable code.
    pub code: String,
    /// Message in French for the agent.
    pub message: String,
}

impl From<&RowError> for LineError {
    fn from(error: &RowError) -> Self {
        LineError {
            column: error.column.clone(),
            value: error.raw.clone(),
            code: error.code.as_str().to_owned(),
            message: error.message.clone(),
        }
    }
}

/// The source system of file imports, or of a named mapping profile.
pub fn source_system(profile: Option<&str>) -> String {
    match profile {
        Some(profile) => format!("departement:{profile}"),
        None => "departement:import".to_owned(),
    }
}

/// The stable key of a line for its source: the SI identifier, else the NIR, else the CAF
/// number; `None` when the line has none of them (matching then uses names and birth date).
pub fn record_id(row: &BeneficiaryRow) -> Option<String> {
    if let Some(id) = &row.external_id {
        return Some(format!("si:{id}"));
    }
    if let Some(nir) = &row.nir {
        return Some(format!("nir:{}", nir.as_str()));
    }
    row.caf_number
        .as_ref()
        .map(|caf| format!("caf:{}", caf.as_str()))
}

/// The person record of a line, or the errors the typed parsers could not see.
pub fn beneficiary_record(
    row: &BeneficiaryRow,
    pe_column: &str,
    deployment_id: Uuid,
    source: &str,
    as_of: DateTime<Utc>,
) -> Result<PersonRecord, Vec<LineError>> {
    let france_travail = match &row.pe_number {
        Some(raw) => match cdb_connector::FranceTravailId::parse(raw).ok() {
            Some(id) => Some(id),
            None => {
                return Err(vec![LineError {
                    column: pe_column.to_owned(),
                    value: raw.clone(),
                    code: "invalid_france_travail_id".into(),
                    message: format!(
                        "L'identifiant France Travail « {raw} » doit compter 11 chiffres ou lettres"
                    ),
                }]);
            }
        },
        None => None,
    };
    let phones: Vec<&str> = row.mobile_numbers.iter().map(|p| p.as_str()).collect();
    let fields = PersonFields {
        firstname: Some(row.firstname.clone()),
        lastname: Some(row.lastname.clone()),
        date_of_birth: Some(row.date_of_birth),
        place_of_birth: row.place_of_birth.clone(),
        nir: row.nir.clone(),
        caf_number: row.caf_number.clone(),
        france_travail_id: france_travail,
        external_id: row.external_id.clone(),
        email: row.email.clone(),
        mobile_number: (!phones.is_empty()).then(|| phones.join(", ")),
        address1: row.address1.clone(),
        address2: row.address2.clone(),
        postal_code: row
            .postal_code
            .as_ref()
            .map(|code| code.as_str().to_owned()),
        city: row.city.clone(),
        right_rsa: row.right_rsa.map(|right| right.key().to_owned()),
        right_are: row.right_are,
        right_ass: row.right_ass,
        right_bonus: row.right_bonus,
        ..PersonFields::default()
    };
    Ok(PersonRecord {
        deployment_id,
        source: Source {
            kind: SourceKind::Departement,
            system: source.to_owned(),
            record_id: record_id(row),
            as_of,
            author_account_id: None,
        },
        fields,
    })
}

/// A pipeline refusal in words an agent understands.
pub fn rejection_message(code: &str, message: &str) -> String {
    match code {
        "nir_in_other_deployment" => {
            "Une personne avec ce NIR est suivie dans un autre département : la ligne n'a pas été importée".into()
        }
        "missing_identity" => {
            "Le prénom, le nom et la date de naissance sont nécessaires pour créer une personne".into()
        }
        "invalid_nir" => "Le NIR n'est pas valide".into(),
        _ => format!("La ligne n'a pas pu être enregistrée : {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_name_the_source_system() {
        assert_eq!(source_system(None), "departement:import");
        assert_eq!(source_system(Some("iodas")), "departement:iodas");
    }
}
