//! Parsing the bodies of directory writes into the store's insert and update forms, with the
//! import's value parsers (SIRET with its Luhn key, postal code, e-mail, phone, web site, names),
//! collecting every invalid field for one `validation_failed` answer.

use uuid::Uuid;

use super::directory_writes::{NewProfessional, NewStructure, ProfessionalPatch, StructurePatch};
use super::problem::{ApiError, ErrorCode};
use super::sync::FieldError;
use crate::imports::values::{self, CellError};
use crate::store::directory_writes::{
    NewProfessionalRow, NewStructureRow, ProfessionalChanges, StructureChanges,
};

/// Longest short text (the original's `varchar(255)` columns).
const MAX_TEXT: usize = 255;
/// Longest description.
const MAX_DESCRIPTION: usize = 2000;

pub use super::extractors::present;

/// The invalid fields of a body.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Records an invalid field.
    pub fn fail(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        });
    }

    /// The 422 answer listing the fields.
    pub fn into_error(self) -> ApiError {
        ApiError::new(ErrorCode::ValidationFailed, "Some fields are invalid.")
            .with("errors", serde_json::to_value(self.0).unwrap_or_default())
    }

    /// The parsed value when every field is valid, the 422 answer otherwise.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, ApiError> {
        match value {
            Some(value) if self.0.is_empty() => Ok(value),
            _ => Err(self.into_error()),
        }
    }

    /// A free text: trimmed, `None` when empty, at most `max` characters and no NUL.
    fn text(&mut self, field: &str, raw: Option<&str>, max: usize) -> Option<String> {
        let value = raw.map(str::trim).filter(|value| !value.is_empty())?;
        if value.contains('\0') {
            self.fail(
                field,
                "invalid_text",
                format!("{field} must not contain a NUL character"),
            );
            return None;
        }
        if value.chars().count() > max {
            self.fail(
                field,
                "too_long",
                format!("{field} must have at most {max} characters"),
            );
            return None;
        }
        Some(value.to_owned())
    }

    /// A value read by one of the import's parsers; `None` when empty or invalid.
    fn parsed<T>(
        &mut self,
        field: &str,
        raw: Option<&str>,
        parse: impl Fn(&str) -> Result<T, CellError>,
        expected: &str,
    ) -> Option<T> {
        let value = self.text(field, raw, MAX_TEXT)?;
        match parse(&value) {
            Ok(parsed) => Some(parsed),
            Err(error) => {
                self.fail(
                    field,
                    error.code.as_str(),
                    format!("{field} {value:?} is not {expected}"),
                );
                None
            }
        }
    }

    /// An update's field: absent stays absent (`None`), null or `""` empties the column
    /// (`Some(None)`), an invalid value is recorded and changes nothing.
    fn update<T>(
        &mut self,
        raw: &Option<Option<String>>,
        parse: impl FnOnce(&mut Self, Option<&str>) -> Option<T>,
    ) -> Option<Option<T>> {
        let raw = raw.as_ref()?;
        let before = self.0.len();
        let parsed = parse(self, raw.as_deref());
        (self.0.len() == before).then_some(parsed)
    }

    /// An update's field that cannot be emptied.
    fn not_emptied(&mut self, field: &str, value: Option<Option<String>>) -> Option<String> {
        if value == Some(None) {
            self.fail(field, "required", format!("{field} cannot be emptied"));
        }
        value.flatten()
    }

    fn required(&mut self, field: &str, value: Option<String>) -> Option<String> {
        if value.is_none() && !self.0.iter().any(|error| error.field == field) {
            self.fail(field, "required", format!("{field} is required"));
        }
        value
    }

    fn siret(&mut self, raw: Option<&str>) -> Option<String> {
        self.parsed(
            "siret",
            raw,
            |v| values::siret(v, "Le SIRET"),
            "a SIRET: 14 digits with a valid Luhn key",
        )
        .map(|siret| siret.as_str().to_owned())
    }

    fn postal_code(&mut self, raw: Option<&str>) -> Option<String> {
        self.parsed(
            "postal_code",
            raw,
            |v| values::postal_code(v, "Le code postal"),
            "a postal code of 5 digits",
        )
        .map(|code| code.as_str().to_owned())
    }

    fn email(&mut self, field: &str, raw: Option<&str>) -> Option<String> {
        self.parsed(
            field,
            raw,
            |v| values::email(v, "Le courriel"),
            "an e-mail address",
        )
        .map(|email| email.as_str().to_owned())
    }

    fn website(&mut self, raw: Option<&str>) -> Option<String> {
        self.parsed(
            "website",
            raw,
            |v| values::website(v, "Le site web"),
            "a web address",
        )
        .map(|site| site.as_str().to_owned())
    }

    fn phones(&mut self, raw: Option<&str>) -> Option<String> {
        self.parsed(
            "phone",
            raw,
            |v| values::phone_list(v, "Le téléphone"),
            "a list of phone numbers",
        )
        .map(|numbers| {
            numbers
                .iter()
                .map(|number| number.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
    }

    fn mobile(&mut self, raw: Option<&str>) -> Option<String> {
        self.parsed(
            "mobile_number",
            raw,
            |v| values::phone(v, "Le téléphone"),
            "a phone number",
        )
        .map(|number| number.as_str().to_owned())
    }

    fn person_name(&mut self, field: &str, raw: Option<&str>) -> Option<String> {
        self.parsed(
            field,
            raw,
            |v| values::name(v, "Le nom"),
            "a name (letters, spaces, hyphens, apostrophes and dots)",
        )
    }
}

/// A structure to insert, from a creation body.
pub fn new_structure(
    errors: &mut FieldErrors,
    input: &NewStructure,
    deployment: Option<Uuid>,
) -> Option<NewStructureRow> {
    let name = errors.text("name", input.name.as_deref(), MAX_TEXT);
    let name = errors.required("name", name);
    let siret = errors.siret(input.siret.as_deref());
    let short_desc = errors.text("short_desc", input.short_desc.as_deref(), MAX_DESCRIPTION);
    let phone = errors.phones(input.phone.as_deref());
    let email = errors.email("email", input.email.as_deref());
    let address1 = errors.text("address1", input.address1.as_deref(), MAX_TEXT);
    let address2 = errors.text("address2", input.address2.as_deref(), MAX_TEXT);
    let postal_code = errors.postal_code(input.postal_code.as_deref());
    let city = errors.text("city", input.city.as_deref(), MAX_TEXT);
    let website = errors.website(input.website.as_deref());
    Some(NewStructureRow {
        deployment_id: deployment?,
        name: name?,
        siret,
        short_desc,
        phone,
        email,
        address1,
        address2,
        postal_code,
        city,
        website,
        sensitive: input.sensitive.unwrap_or(false),
    })
}

/// The changes of a structure update.
pub fn structure_changes(
    errors: &mut FieldErrors,
    input: &StructurePatch,
) -> Option<StructureChanges> {
    let name = errors.update(&input.name, |e, v| e.text("name", v, MAX_TEXT));
    let name = errors.not_emptied("name", name);
    Some(StructureChanges {
        name,
        siret: errors.update(&input.siret, |e, v| e.siret(v)),
        short_desc: errors.update(&input.short_desc, |e, v| {
            e.text("short_desc", v, MAX_DESCRIPTION)
        }),
        phone: errors.update(&input.phone, |e, v| e.phones(v)),
        email: errors.update(&input.email, |e, v| e.email("email", v)),
        address1: errors.update(&input.address1, |e, v| e.text("address1", v, MAX_TEXT)),
        address2: errors.update(&input.address2, |e, v| e.text("address2", v, MAX_TEXT)),
        postal_code: errors.update(&input.postal_code, |e, v| e.postal_code(v)),
        city: errors.update(&input.city, |e, v| e.text("city", v, MAX_TEXT)),
        website: errors.update(&input.website, |e, v| e.website(v)),
        sensitive: input.sensitive,
    })
}

/// A professional to create, once the structure (and so the deployment) is known.
#[derive(Debug, Clone)]
pub struct ProfessionalFields {
    /// Their structure.
    pub structure_id: Uuid,
    email: String,
    firstname: String,
    lastname: String,
    position: Option<String>,
    mobile_number: Option<String>,
}

impl ProfessionalFields {
    /// The row to insert in the structure's deployment.
    pub fn into_row(self, deployment_id: Uuid) -> NewProfessionalRow {
        NewProfessionalRow {
            deployment_id,
            structure_id: self.structure_id,
            email: self.email,
            firstname: self.firstname,
            lastname: self.lastname,
            position: self.position,
            mobile_number: self.mobile_number,
        }
    }
}

/// A professional to create, from a creation body.
pub fn new_professional(
    errors: &mut FieldErrors,
    input: &NewProfessional,
) -> Option<ProfessionalFields> {
    if input.structure_id.is_none() {
        errors.fail("structure_id", "required", "structure_id is required");
    }
    let email = errors.email("email", input.email.as_deref());
    let email = errors.required("email", email);
    let firstname = errors.person_name("firstname", input.firstname.as_deref());
    let firstname = errors.required("firstname", firstname);
    let lastname = errors.person_name("lastname", input.lastname.as_deref());
    let lastname = errors.required("lastname", lastname);
    let position = errors.text("position", input.position.as_deref(), MAX_TEXT);
    let mobile_number = errors.mobile(input.mobile_number.as_deref());
    Some(ProfessionalFields {
        structure_id: input.structure_id?,
        email: email?,
        firstname: firstname?,
        lastname: lastname?,
        position,
        mobile_number,
    })
}

/// The changes of a professional update.
pub fn professional_changes(
    errors: &mut FieldErrors,
    input: &ProfessionalPatch,
) -> Option<ProfessionalChanges> {
    let email = errors.update(&input.email, |e, v| e.email("email", v));
    let email = errors.not_emptied("email", email);
    let firstname = errors.update(&input.firstname, |e, v| e.person_name("firstname", v));
    let firstname = errors.not_emptied("firstname", firstname);
    let lastname = errors.update(&input.lastname, |e, v| e.person_name("lastname", v));
    let lastname = errors.not_emptied("lastname", lastname);
    Some(ProfessionalChanges {
        structure_id: input.structure_id,
        email,
        firstname,
        lastname,
        position: errors.update(&input.position, |e, v| e.text("position", v, MAX_TEXT)),
        mobile_number: errors.update(&input.mobile_number, |e, v| e.mobile(v)),
    })
}
