//! Beneficiaries (`import_beneficiaires.csv`): the 2024 template, and the 2022 one it
//! replaced (no NIR, optional SI identifier, « Courriel », « AAH », the « Numéro allocaire »
//! typo), both read by header name.

use chrono::NaiveDate;

use super::super::headers::ColumnSpec;
use super::super::values::{
    self, CafMatricule, EducationLevel, Email, GeographicalArea, Nir, PhoneNumber, PostalCode,
    RomeCode, RsaRight, WorkSituation,
};
use super::{Cells, TemplateKind};
use cdb_connector::text::fold;

/// Which template a beneficiaries file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BeneficiaryTemplate {
    /// Before 2024: the SI identifier may be empty.
    V2022,
    /// 2024: the SI identifier is required, the NIR column exists.
    V2024,
}

impl BeneficiaryTemplate {
    /// Guesses the template from a header row: 2024 unless only 2022 headers are seen.
    pub fn detect(header: &[String]) -> Self {
        const ONLY_2024: [&str; 4] = ["nir", "rqth", "email", "emploirecherche(coderome)"];
        const ONLY_2022: [&str; 4] = [
            "aah",
            "courriel",
            "numeroallocairecaf/msa",
            "emploisrecherches(texte+coderome)",
        ];
        let folded: Vec<String> = header.iter().map(|cell| fold(cell)).collect();
        let has = |names: &[&str]| folded.iter().any(|cell| names.contains(&cell.as_str()));
        if !has(&ONLY_2024) && has(&ONLY_2022) {
            Self::V2022
        } else {
            Self::V2024
        }
    }
}

/// One beneficiary to create or update (bénéficiaire).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BeneficiaryRow {
    /// The département's identifier (identifiant dans le SI).
    pub external_id: Option<String>,
    /// First name.
    pub firstname: String,
    /// Last name.
    pub lastname: String,
    /// Birth date.
    pub date_of_birth: NaiveDate,
    /// Social security number.
    pub nir: Option<Nir>,
    /// Place of birth.
    pub place_of_birth: Option<String>,
    /// Phone numbers, E.164.
    pub mobile_numbers: Vec<PhoneNumber>,
    /// E-mail address.
    pub email: Option<Email>,
    /// Address line.
    pub address1: Option<String>,
    /// Address complement.
    pub address2: Option<String>,
    /// Postal code.
    pub postal_code: Option<PostalCode>,
    /// City.
    pub city: Option<String>,
    /// Work situation.
    pub work_situation: Option<WorkSituation>,
    /// CAF/MSA allocataire number.
    pub caf_number: Option<CafMatricule>,
    /// Pôle emploi / France Travail identifier.
    pub pe_number: Option<String>,
    /// RSA right.
    pub right_rsa: Option<RsaRight>,
    /// ARE right (unemployment benefit).
    pub right_are: Option<bool>,
    /// ASS right (solidarity benefit).
    pub right_ass: Option<bool>,
    /// Activity bonus (prime d'activité).
    pub right_bonus: Option<bool>,
    /// Disabled worker status (RQTH; the 2022 template's « AAH » column fed it too).
    pub right_rqth: Option<bool>,
    /// Mobility area.
    pub geographical_area: Option<GeographicalArea>,
    /// Wanted jobs.
    pub wanted_jobs: Vec<RomeCode>,
    /// Education level.
    pub education_level: Option<EducationLevel>,
    /// Structure names to attach the beneficiary to.
    pub structures: Vec<String>,
    /// E-mail addresses of the professionals to make referents (accompagnateurs).
    pub advisors: Vec<Email>,
}

const EXTERNAL_ID_NAMES: &[&str] = &["Identifiant dans le SI", "Identifiant SI"];
const EXTERNAL_ID_LABEL: &str = "L'identifiant dans le SI";
const EXTERNAL_ID_2024: ColumnSpec =
    ColumnSpec::new("external_id", EXTERNAL_ID_NAMES, true, EXTERNAL_ID_LABEL);
const EXTERNAL_ID_2022: ColumnSpec =
    ColumnSpec::new("external_id", EXTERNAL_ID_NAMES, false, EXTERNAL_ID_LABEL);
const FIRSTNAME: ColumnSpec = ColumnSpec::new("firstname", &["Prénom"], true, "Le prénom");
const LASTNAME: ColumnSpec = ColumnSpec::new("lastname", &["Nom"], true, "Le nom");
const DATE_OF_BIRTH: ColumnSpec = ColumnSpec::new(
    "date_of_birth",
    &["Date de naissance"],
    true,
    "La date de naissance",
);
const NIR: ColumnSpec = ColumnSpec::new(
    "nir",
    &[
        "NIR",
        "Numéro de sécurité sociale",
        "N° de sécurité sociale",
    ],
    false,
    "Le NIR",
);
const PLACE_OF_BIRTH: ColumnSpec = ColumnSpec::new(
    "place_of_birth",
    &["Lieu de naissance"],
    false,
    "Le lieu de naissance",
);
const MOBILE_NUMBER: ColumnSpec = ColumnSpec::new(
    "mobile_number",
    &["Téléphone", "Téléphones"],
    false,
    "Le téléphone",
);
const EMAIL: ColumnSpec = ColumnSpec::new(
    "email",
    &["Email", "Courriel", "E-mail", "Mail"],
    false,
    "Le courriel",
);
const ADDRESS1: ColumnSpec = ColumnSpec::new("address1", &["Adresse"], false, "L'adresse");
const ADDRESS2: ColumnSpec = ColumnSpec::new(
    "address2",
    &["Adresse (complément)", "Complément d'adresse"],
    false,
    "Le complément d'adresse",
);
const POSTAL_CODE: ColumnSpec =
    ColumnSpec::new("postal_code", &["Code postal"], false, "Le code postal");
const CITY: ColumnSpec = ColumnSpec::new("city", &["Ville", "Commune"], false, "La ville");
const WORK_SITUATION: ColumnSpec = ColumnSpec::new(
    "work_situation",
    &[
        "Situation",
        "Situation de travail",
        "Situation professionnelle",
    ],
    false,
    "La situation",
);
const CAF_NUMBER: ColumnSpec = ColumnSpec::new(
    "caf_number",
    &[
        "Numéro allocataire CAF/MSA",
        "Numéro allocaire CAF/MSA",
        "N° CAF/MSA",
        "N° allocataire CAF/MSA",
        "Numéro allocataire",
    ],
    false,
    "Le numéro allocataire",
);
const PE_NUMBER: ColumnSpec = ColumnSpec::new(
    "pe_number",
    &[
        "Identifiant Pôle emploi",
        "N° Pôle emploi",
        "Identifiant France Travail",
        "N° France Travail",
    ],
    false,
    "L'identifiant Pôle emploi",
);
const RIGHT_RSA: ColumnSpec = ColumnSpec::new("right_rsa", &["Droits RSA"], false, "Le droit RSA");
const RIGHT_ARE: ColumnSpec = ColumnSpec::new("right_are", &["Droits ARE"], false, "Le droit ARE");
const RIGHT_ASS: ColumnSpec = ColumnSpec::new("right_ass", &["Droits ASS"], false, "Le droit ASS");
const RIGHT_BONUS: ColumnSpec = ColumnSpec::new(
    "right_bonus",
    &["Prime d'activité"],
    false,
    "La prime d'activité",
);
const RIGHT_RQTH: ColumnSpec = ColumnSpec::new("right_rqth", &["RQTH", "AAH"], false, "La RQTH");
const GEOGRAPHICAL_AREA: ColumnSpec = ColumnSpec::new(
    "geographical_area",
    &["Zone de mobilité"],
    false,
    "La zone de mobilité",
);
const WANTED_JOBS: ColumnSpec = ColumnSpec::new(
    "wanted_jobs",
    &[
        "Emploi recherché (code ROME)",
        "Emplois recherchés (texte + code ROME)",
        "Emploi recherché",
        "Emplois recherchés",
    ],
    false,
    "L'emploi recherché",
);
const EDUCATION_LEVEL: ColumnSpec = ColumnSpec::new(
    "education_level",
    &["Niveau de formation"],
    false,
    "Le niveau de formation",
);
const STRUCTURES: ColumnSpec = ColumnSpec::new(
    "structures",
    &["Structure", "Structures"],
    false,
    "La structure",
);
const ADVISORS: ColumnSpec = ColumnSpec::new(
    "advisors",
    &["Accompagnateurs", "Accompagnateur"],
    false,
    "L'accompagnateur",
);

/// The columns after the SI identifier, common to both templates.
macro_rules! common_columns {
    ($external_id:expr) => {
        &[
            $external_id,
            FIRSTNAME,
            LASTNAME,
            DATE_OF_BIRTH,
            NIR,
            PLACE_OF_BIRTH,
            MOBILE_NUMBER,
            EMAIL,
            ADDRESS1,
            ADDRESS2,
            POSTAL_CODE,
            CITY,
            WORK_SITUATION,
            CAF_NUMBER,
            PE_NUMBER,
            RIGHT_RSA,
            RIGHT_ARE,
            RIGHT_ASS,
            RIGHT_BONUS,
            RIGHT_RQTH,
            GEOGRAPHICAL_AREA,
            WANTED_JOBS,
            EDUCATION_LEVEL,
            STRUCTURES,
            ADVISORS,
        ]
    };
}

const COLUMNS_2024: &[ColumnSpec] = common_columns!(EXTERNAL_ID_2024);
const COLUMNS_2022: &[ColumnSpec] = common_columns!(EXTERNAL_ID_2022);

/// The beneficiaries import, for one template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Beneficiaries {
    /// The template the file follows.
    pub template: BeneficiaryTemplate,
}

impl Beneficiaries {
    /// The import for the template a header row follows.
    pub fn detect(header: &[String]) -> Self {
        Self {
            template: BeneficiaryTemplate::detect(header),
        }
    }
}

impl TemplateKind for Beneficiaries {
    type Row = BeneficiaryRow;

    fn columns(&self) -> &'static [ColumnSpec] {
        match self.template {
            BeneficiaryTemplate::V2022 => COLUMNS_2022,
            BeneficiaryTemplate::V2024 => COLUMNS_2024,
        }
    }

    fn parse(&self, c: &mut Cells<'_>) -> Option<BeneficiaryRow> {
        let external_id = match self.template {
            BeneficiaryTemplate::V2022 => c.get(&EXTERNAL_ID_2022, values::identifier),
            BeneficiaryTemplate::V2024 => c.get(&EXTERNAL_ID_2024, values::identifier),
        };
        // The identity of the person: a wrong value rejects the line.
        let firstname = c.get(&FIRSTNAME, values::name);
        let lastname = c.get(&LASTNAME, values::name);
        let date_of_birth = c.get(&DATE_OF_BIRTH, values::date);
        let nir = c.get(&NIR, values::nir);
        // Everything else is optional: a wrong value is left out with a warning.
        let place_of_birth = c.optional(&PLACE_OF_BIRTH, values::text);
        let mobile_numbers = c.items(&MOBILE_NUMBER, values::phone_items);
        let email = c.optional(&EMAIL, values::email);
        let address1 = c.optional(&ADDRESS1, values::text);
        let address2 = c.optional(&ADDRESS2, values::text);
        let postal_code = c.optional(&POSTAL_CODE, values::postal_code);
        let city = c.optional(&CITY, values::text);
        let work_situation = c.optional(&WORK_SITUATION, values::choice);
        let caf_number = c.get(&CAF_NUMBER, values::caf_number);
        let pe_number = c.optional(&PE_NUMBER, values::france_travail_id);
        let right_rsa = c.optional(&RIGHT_RSA, values::choice);
        let right_are = c.optional(&RIGHT_ARE, values::boolean);
        let right_ass = c.optional(&RIGHT_ASS, values::boolean);
        let right_bonus = c.optional(&RIGHT_BONUS, values::boolean);
        let right_rqth = c.optional(&RIGHT_RQTH, values::boolean);
        let geographical_area = c.optional(&GEOGRAPHICAL_AREA, values::mobility_area);
        let wanted_jobs = c.items(&WANTED_JOBS, values::rome_items);
        let education_level = c.optional(&EDUCATION_LEVEL, values::choice);
        let structures = c.items(&STRUCTURES, values::text_items);
        let advisors = c.items(&ADVISORS, values::email_items);
        Some(BeneficiaryRow {
            external_id,
            firstname: firstname?,
            lastname: lastname?,
            date_of_birth: date_of_birth?,
            nir,
            place_of_birth,
            mobile_numbers,
            email,
            address1,
            address2,
            postal_code,
            city,
            work_situation,
            caf_number,
            pe_number,
            right_rsa,
            right_are,
            right_ass,
            right_bonus,
            right_rqth,
            geographical_area,
            wanted_jobs,
            education_level,
            structures,
            advisors,
        })
    }
}
