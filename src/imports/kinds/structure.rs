//! Structures with their administrator (`import_structures.csv`), 2022 (with `*` marks) and
//! 2024 (without) templates.

use super::super::headers::ColumnSpec;
use super::super::values::{self, Email, PhoneNumber, PostalCode, Siret, Website};
use super::{Cells, TemplateKind};

/// One structure to create or update, with the person who administers it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StructureRow {
    /// Name, unique in the deployment.
    pub name: String,
    /// Short description.
    pub short_desc: Option<String>,
    /// Phone numbers.
    pub phones: Vec<PhoneNumber>,
    /// Address line.
    pub address1: Option<String>,
    /// Address complement.
    pub address2: Option<String>,
    /// Postal code (required although the template never starred it).
    pub postal_code: PostalCode,
    /// City.
    pub city: String,
    /// Web site.
    pub website: Option<Website>,
    /// Contact e-mail.
    pub email: Option<Email>,
    /// SIRET.
    pub siret: Option<Siret>,
    /// The administrator (responsable / gestionnaire de structure).
    pub admin: StructureAdmin,
}

/// The administrator of an imported structure.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StructureAdmin {
    /// E-mail, the account key.
    pub email: Email,
    /// First name.
    pub firstname: Option<String>,
    /// Last name.
    pub lastname: Option<String>,
    /// Job title.
    pub position: Option<String>,
    /// Phone numbers.
    pub phones: Vec<PhoneNumber>,
}

const NAME: ColumnSpec = ColumnSpec::new(
    "name",
    &["Nom", "Nom de la structure"],
    true,
    "Le nom de la structure",
);
const SHORT_DESC: ColumnSpec =
    ColumnSpec::new("short_desc", &["Description"], false, "La description");
const PHONES: ColumnSpec = ColumnSpec::new(
    "phones",
    &["Téléphones", "Téléphone"],
    false,
    "Le téléphone",
);
const ADDRESS1: ColumnSpec = ColumnSpec::new("address1", &["Adresse"], false, "L'adresse");
const ADDRESS2: ColumnSpec = ColumnSpec::new(
    "address2",
    &["Adresse (complément)", "Complément d'adresse"],
    false,
    "Le complément d'adresse",
);
const POSTAL_CODE: ColumnSpec =
    ColumnSpec::new("postal_code", &["Code postal"], true, "Le code postal");
const CITY: ColumnSpec = ColumnSpec::new("city", &["Ville", "Commune"], true, "La ville");
const WEBSITE: ColumnSpec = ColumnSpec::new(
    "website",
    &["Site web", "Site internet"],
    false,
    "Le site web",
);
const EMAIL: ColumnSpec = ColumnSpec::new("email", &["Courriel", "Email"], false, "Le courriel");
const SIRET: ColumnSpec = ColumnSpec::new("siret", &["Siret", "N° Siret"], false, "Le SIRET");
const ADMIN_EMAIL: ColumnSpec = ColumnSpec::new(
    "admin_email",
    &["Courriel responsable", "Email responsable"],
    true,
    "Le courriel du responsable",
);
const ADMIN_FIRSTNAME: ColumnSpec = ColumnSpec::new(
    "admin_firstname",
    &["Prénom responsable"],
    false,
    "Le prénom du responsable",
);
const ADMIN_LASTNAME: ColumnSpec = ColumnSpec::new(
    "admin_lastname",
    &["Nom responsable"],
    false,
    "Le nom du responsable",
);
const ADMIN_POSITION: ColumnSpec = ColumnSpec::new(
    "admin_position",
    &["Fonction responsable"],
    false,
    "La fonction du responsable",
);
const ADMIN_PHONES: ColumnSpec = ColumnSpec::new(
    "admin_phones",
    &["Téléphones responsable", "Téléphone responsable"],
    false,
    "Le téléphone du responsable",
);

const COLUMNS: &[ColumnSpec] = &[
    NAME,
    SHORT_DESC,
    PHONES,
    ADDRESS1,
    ADDRESS2,
    POSTAL_CODE,
    CITY,
    WEBSITE,
    EMAIL,
    SIRET,
    ADMIN_EMAIL,
    ADMIN_FIRSTNAME,
    ADMIN_LASTNAME,
    ADMIN_POSITION,
    ADMIN_PHONES,
];

/// The structures import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Structures;

impl TemplateKind for Structures {
    type Row = StructureRow;

    fn columns(&self) -> &'static [ColumnSpec] {
        COLUMNS
    }

    fn parse(&self, c: &mut Cells<'_>) -> Option<StructureRow> {
        let name = c.get(&NAME, values::text);
        let short_desc = c.get(&SHORT_DESC, values::text);
        let phones = c.list(&PHONES, values::phone_list);
        let address1 = c.get(&ADDRESS1, values::text);
        let address2 = c.get(&ADDRESS2, values::text);
        let postal_code = c.get(&POSTAL_CODE, values::postal_code);
        let city = c.get(&CITY, values::text);
        let website = c.get(&WEBSITE, values::website);
        let email = c.get(&EMAIL, values::email);
        let siret = c.get(&SIRET, values::siret);
        let admin_email = c.get(&ADMIN_EMAIL, values::email);
        let admin_firstname = c.get(&ADMIN_FIRSTNAME, values::name);
        let admin_lastname = c.get(&ADMIN_LASTNAME, values::name);
        let admin_position = c.get(&ADMIN_POSITION, values::text);
        let admin_phones = c.list(&ADMIN_PHONES, values::phone_list);
        Some(StructureRow {
            name: name?,
            short_desc,
            phones: phones?,
            address1,
            address2,
            postal_code: postal_code?,
            city: city?,
            website,
            email,
            siret,
            admin: StructureAdmin {
                email: admin_email?,
                firstname: admin_firstname,
                lastname: admin_lastname,
                position: admin_position,
                phones: admin_phones?,
            },
        })
    }
}
