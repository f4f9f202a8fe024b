//! A person's fields as the pipeline writes them, written once: the struct every source fills,
//! the enum that names each field (its column), and the list of the values a record brings.
//!
//! The identity keys are typed by the one parser of each key (`cdb_connector`): a value that
//! reaches the pipeline is already canonical, so matching compares like with like.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use cdb_connector::identity::{CafMatricule, FranceTravailId, HouseholdRole, Nir};
pub use cdb_connector::records::Email;

/// Declares [`PersonFields`], [`PersonField`] and their one list of fields.
macro_rules! person_fields {
    ($( $(#[doc = $doc:literal])* $name:ident : $ty:ty => $variant:ident, )*) => {
        /// The fields of a person the pipeline writes; `None` means "this source says nothing
        /// about it" (never "clear it").
        #[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
        pub struct PersonFields {
            $( $(#[doc = $doc])* pub $name: Option<$ty>, )*
        }

        /// One field of a person, named by the person's column.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum PersonField {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl PersonField {
            /// Every field, in the column order of the person's table.
            pub const ALL: &'static [PersonField] = &[$( PersonField::$variant, )*];

            /// The person's column that holds this field.
            pub fn column(self) -> &'static str {
                match self {
                    $( PersonField::$variant => stringify!($name), )*
                }
            }
        }

        impl PersonFields {
            /// The fields with a value, each as the person's column holds it.
            pub fn present(&self) -> Vec<(PersonField, serde_json::Value)> {
                let mut present = Vec::new();
                $(
                    if let Some(value) = &self.$name {
                        present.push((PersonField::$variant, column_value(value)));
                    }
                )*
                present
            }
        }
    };
}

person_fields! {
    /// First name(s).
    firstname: String => Firstname,
    /// Last name.
    lastname: String => Lastname,
    /// Birth date.
    date_of_birth: NaiveDate => DateOfBirth,
    /// Place of birth, as written.
    place_of_birth: String => PlaceOfBirth,
    /// NIR, its 13 significant characters.
    nir: Nir => Nir,
    /// Paying body (`CAF093`, `MSA`…).
    caf_organisation: String => CafOrganisation,
    /// CAF/MSA file number (matricule), 7 characters.
    caf_number: CafMatricule => CafNumber,
    /// Role in the RSA household (`DEM`, `CJT`…).
    household_role: HouseholdRole => HouseholdRole,
    /// France Travail id, 11 characters.
    france_travail_id: FranceTravailId => FranceTravailId,
    /// The département's own id for the person.
    external_id: String => ExternalId,
    /// The person's role in the département's system.
    external_role: String => ExternalRole,
    /// E-mail address, lowercased.
    email: Email => Email,
    /// Mobile numbers in E.164, separated by `, ` when a source gives several.
    mobile_number: String => MobileNumber,
    /// Address, first line.
    address1: String => Address1,
    /// Address, second line.
    address2: String => Address2,
    /// Postal code.
    postal_code: String => PostalCode,
    /// City.
    city: String => City,
    /// RSA right state (`rsa_droit_ouvert_versable`…).
    right_rsa: String => RightRsa,
    /// Right to ARE.
    right_are: bool => RightAre,
    /// Right to ASS.
    right_ass: bool => RightAss,
    /// Activity bonus.
    right_bonus: bool => RightBonus,
    /// Without a fixed home.
    is_homeless: bool => IsHomeless,
    /// Subject to rights and duties (soumis aux droits et devoirs).
    subject_to_right_and_duty: bool => SubjectToRightAndDuty,
    /// Why the RSA is suspended.
    rsa_suspension_reason: String => RsaSuspensionReason,
    /// Why the RSA is closed.
    rsa_closure_reason: String => RsaClosureReason,
    /// When the RSA closed.
    rsa_closure_date: NaiveDate => RsaClosureDate,
    /// Family situation.
    family_situation: String => FamilySituation,
}

/// A value as its column holds it (the typed keys serialise to their canonical text).
fn column_value(value: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

impl PersonField {
    /// The field of this column, if the pipeline writes it.
    pub fn from_column(column: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|field| field.column() == column)
    }
}

impl PersonField {
    /// The value as results and timelines show it: the NIR masked, since they are read by
    /// people who may not see it.
    pub fn shown(self, value: serde_json::Value) -> serde_json::Value {
        if self == PersonField::Nir && !value.is_null() {
            serde_json::Value::String("•••••••••••••".into())
        } else {
            value
        }
    }
}

/// The columns of these fields, in order.
pub fn columns(fields: &[PersonField]) -> Vec<String> {
    fields
        .iter()
        .map(|field| field.column().to_owned())
        .collect()
}

/// A field is written as its column.
impl Serialize for PersonField {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.column())
    }
}

impl std::fmt::Display for PersonField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.column())
    }
}

/// The fields as kept with a possible match: each key is read again by its parser, and a value
/// it no longer accepts is dropped rather than failing the decision (kept records predate the
/// typed keys).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StoredFields(serde_json::Map<String, serde_json::Value>);

impl StoredFields {
    /// The fields the pipeline can still read.
    pub fn into_fields(self) -> PersonFields {
        let readable: serde_json::Map<String, serde_json::Value> = self
            .0
            .into_iter()
            .filter(|(column, value)| {
                let mut alone = serde_json::Map::new();
                alone.insert(column.clone(), value.clone());
                serde_json::from_value::<PersonFields>(serde_json::Value::Object(alone)).is_ok()
            })
            .collect();
        serde_json::from_value(serde_json::Value::Object(readable)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    // The person's table checks its keys (migration 1); a typed key always passes its check, so
    // a record never fails on a constraint its parser accepted.
    proptest! {
        #[test]
        fn typed_keys_satisfy_their_columns(raw in "\\PC{0,20}|[0-9AB ]{13,17}|[0-9A-Za-z ]{9,13}") {
            if let Ok(nir) = Nir::parse(&raw) {
                // nir ~ '^[0-9]{6}[0-9AB][0-9]{6}$'
                let text = nir.as_str();
                prop_assert_eq!(text.len(), 13);
                prop_assert!(text.char_indices().all(|(i, c)| c.is_ascii_digit() || (i == 6 && matches!(c, 'A' | 'B'))));
            }
            if let Ok(id) = FranceTravailId::parse(&raw) {
                // france_travail_id ~ '^[0-9A-Z]{11}$'
                prop_assert_eq!(id.as_str().len(), 11);
                prop_assert!(id.as_str().bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
            }
            if let Ok(email) = Email::parse(&raw) {
                // email ~ '^[^@\\s]+@[^@\\s]+$'
                let parts: Vec<&str> = email.as_str().split('@').collect();
                prop_assert!(parts.len() == 2 && parts.iter().all(|p| !p.is_empty()));
                prop_assert!(!email.as_str().chars().any(char::is_whitespace));
            }
            if let Ok(matricule) = CafMatricule::parse(&raw) {
                // caf_number CHECK (btrim(caf_number) <> '')
                prop_assert!(!matricule.as_str().trim().is_empty());
            }
            if let Ok(role) = HouseholdRole::parse(&raw) {
                prop_assert!(["DEM", "CJT", "ENF", "AUT", "RDO"].contains(&role.code()));
            }
        }
    }

    #[test]
    fn every_field_names_its_column_once() {
        let mut columns: Vec<&str> = PersonField::ALL.iter().map(|f| f.column()).collect();
        assert_eq!(columns.len(), 27);
        columns.sort_unstable();
        columns.dedup();
        assert_eq!(columns.len(), 27);
        for field in PersonField::ALL {
            assert_eq!(PersonField::from_column(field.column()), Some(*field));
        }
        assert_eq!(PersonField::from_column("id"), None);
    }

    #[test]
    fn present_values_are_the_columns_canonical_text() {
        let fields = PersonFields {
            nir: Nir::parse("1841276451089").ok(),
            caf_number: CafMatricule::parse("12345").ok(),
            household_role: HouseholdRole::parse("conjoint").ok(),
            email: Email::parse("Jean@Exemple.FR").ok(),
            right_are: Some(false),
            ..PersonFields::default()
        };
        assert_eq!(
            fields.present(),
            vec![
                (PersonField::Nir, json!("1841276451089")),
                (PersonField::CafNumber, json!("0012345")),
                (PersonField::HouseholdRole, json!("CJT")),
                (PersonField::Email, json!("jean@exemple.fr")),
                (PersonField::RightAre, json!(false)),
            ]
        );
    }

    #[test]
    fn a_kept_record_loses_only_what_its_parser_refuses() {
        let stored: StoredFields = serde_json::from_value(json!({
            "firstname": "Jeanne",
            "nir": "not a nir",
            "caf_number": "2055990",
            "email": null,
            "unknown_column": 3
        }))
        .unwrap();
        let fields = stored.into_fields();
        assert_eq!(fields.firstname.as_deref(), Some("Jeanne"));
        assert_eq!(fields.nir, None);
        assert_eq!(
            fields.caf_number.map(String::from).as_deref(),
            Some("2055990")
        );
    }
}
