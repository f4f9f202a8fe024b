//! Reading one row of a bound file into canonical records, or into every error of its cells.

use cdb_connector::identity::{
    CafMatricule, CafMsaKey, CafOrganisation, DepartementKey, DepartementPersonId, FranceTravailId,
    HouseholdRole, IdentityKeys, NameAndBirth, Nir,
};
use cdb_connector::records::{
    Address, Contact, Email, Identity, PhoneNumber, PostalCode, Record, RecordBody, RsaRights,
    RsaState, Sex, Title,
};
use cdb_connector::source::SourceRef;
use chrono::{DateTime, NaiveDate, Utc};

use crate::bind::BoundProfile;
use crate::error::{CellError, ErrorCode, Invalid};
use crate::field::Field;
use crate::profile::{Column, Profile};
use crate::values;

/// What the caller knows about the file that the rows do not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowContext {
    /// When the file's data was true (upload or file date), unless a row gives its own.
    pub as_of: DateTime<Utc>,
    /// The file's name, kept as the records' run when no run id is given.
    pub file_name: Option<String>,
    /// The upload or run that carried the file.
    pub run_id: Option<String>,
    /// The CAF/MSA organisation of the matricules, unless a row gives its own: a matricule
    /// is only a key together with its organisation.
    pub caf_organisation: Option<CafOrganisation>,
}

impl RowContext {
    /// A context with only the as-of date.
    pub fn new(as_of: DateTime<Utc>) -> Self {
        Self {
            as_of,
            file_name: None,
            run_id: None,
            caf_organisation: None,
        }
    }
}

impl BoundProfile<'_> {
    /// Reads one row (`line` as the file numbers it) into the records it states about one
    /// person; a blank row gives none. Every cell that cannot be understood is reported, and
    /// then no record is produced: a bad value is never read as a missing one.
    pub fn read_row<S: AsRef<str>>(
        &self,
        line: u64,
        cells: &[S],
        context: &RowContext,
    ) -> Result<Vec<Record>, Vec<CellError>> {
        if cells.iter().all(|cell| cell.as_ref().trim().is_empty()) {
            return Ok(Vec::new());
        }
        let located = |column: &str, value: &str, invalid: Invalid| CellError {
            line,
            column: column.to_owned(),
            value: value.to_owned(),
            code: invalid.code,
            message: invalid.message,
        };
        let mut errors: Vec<CellError> = cells
            .iter()
            .enumerate()
            .filter(|(position, cell)| {
                self.is_headerless(*position) && !cell.as_ref().trim().is_empty()
            })
            .map(|(position, cell)| {
                let message = format!(
                    "La cellule n° {} « {} » n'a pas d'en-tête : un séparateur en trop a \
                     peut-être décalé la ligne",
                    position + 1,
                    cell.as_ref().trim()
                );
                located(
                    "",
                    cell.as_ref(),
                    Invalid::new(ErrorCode::CellWithoutHeader, message),
                )
            })
            .collect();
        let mut row = RowValues::default();
        let mut record_id_cell = ("", "");
        for &(index, position) in &self.bound {
            let (Some(column), Some(header)) = (
                self.profile.columns().get(index),
                self.headers.get(position),
            ) else {
                continue;
            };
            let raw = cells.get(position).map_or("", AsRef::as_ref);
            if column.field == self.profile.record_id() {
                record_id_cell = (header.as_str(), raw);
            }
            if raw.trim().is_empty() {
                if column.required {
                    let message = format!(
                        "{} est obligatoire : la colonne « {header} » doit être remplie",
                        column.field.label()
                    );
                    errors.push(located(
                        header,
                        raw,
                        Invalid::new(ErrorCode::Required, message),
                    ));
                }
                continue;
            }
            if let Err(invalid) = row.read(column, index, raw) {
                errors.push(located(header, raw, invalid));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        row.records(self.profile, context)
            .map_err(|invalid| vec![located(record_id_cell.0, record_id_cell.1, invalid)])
    }
}

/// The values of one row, typed, as the columns give them.
#[derive(Debug, Default)]
struct RowValues {
    departement_id: Option<DepartementPersonId>,
    title: Option<Title>,
    last_name: Option<String>,
    birth_name: Option<String>,
    first_names: Option<String>,
    birth_date: Option<NaiveDate>,
    birth_place: Option<String>,
    sex: Option<Sex>,
    nir: Option<Nir>,
    caf_organisation: Option<CafOrganisation>,
    caf_matricule: Option<CafMatricule>,
    france_travail_id: Option<FranceTravailId>,
    role: Option<HouseholdRole>,
    emails: Vec<Email>,
    phones: Vec<PhoneNumber>,
    /// (line number or none, column index, text) of each address part.
    address_parts: Vec<(Option<u8>, usize, String)>,
    postal_code: Option<PostalCode>,
    city: Option<String>,
    country: Option<String>,
    no_fixed_address: Option<bool>,
    /// Stated (the outer option), possibly as undefined (`Z`, the inner none).
    rsa_state: Option<Option<RsaState>>,
    rights_and_duties: Option<bool>,
    as_of: Option<DateTime<Utc>>,
}

impl RowValues {
    /// Reads one non-blank cell into the field its column fills.
    fn read(&mut self, column: &Column, index: usize, raw: &str) -> Result<(), Invalid> {
        let field = column.field;
        let label = field.label();
        if let Some(invalid) = values::spreadsheet_error(raw, label) {
            return Err(invalid);
        }
        let identifier = matches!(
            field,
            Field::DepartementId
                | Field::Nir
                | Field::CafMatricule
                | Field::FranceTravailId
                | Field::Phone
                | Field::PostalCode
        );
        if let Some(invalid) = identifier
            .then(|| values::scientific_notation(raw, label))
            .flatten()
        {
            return Err(invalid);
        }
        match field {
            Field::DepartementId => self.departement_id = Some(values::departement_id(raw, label)?),
            Field::Title => self.title = Some(values::title(raw, label)?),
            Field::LastName => self.last_name = Some(values::text(raw, label)?),
            Field::BirthName => self.birth_name = Some(values::text(raw, label)?),
            Field::FirstNames => self.first_names = Some(values::text(raw, label)?),
            Field::BirthDate => self.birth_date = Some(values::date(raw, label)?),
            Field::BirthPlace => self.birth_place = Some(values::text(raw, label)?),
            Field::Sex => self.sex = Some(values::sex(raw, label)?),
            Field::Nir => self.nir = Some(values::nir(raw, label)?),
            Field::CafOrganisation => {
                self.caf_organisation = Some(values::caf_organisation(raw, label)?);
            }
            Field::CafMatricule => self.caf_matricule = Some(values::caf_matricule(raw, label)?),
            Field::FranceTravailId => {
                self.france_travail_id = Some(values::france_travail_id(raw, label)?);
            }
            Field::Role => self.role = Some(values::role(raw, label)?),
            Field::Email => self.emails.extend(values::emails(raw, label)?),
            Field::Phone => {
                for phone in values::phones(raw, label)? {
                    if !self.phones.contains(&phone) {
                        self.phones.push(phone);
                    }
                }
            }
            Field::AddressLine => {
                let part = values::text(raw, label)?;
                self.address_parts.push((column.line, index, part));
            }
            Field::PostalCode => self.postal_code = Some(values::postal_code(raw, label)?),
            Field::City => self.city = Some(values::text(raw, label)?),
            Field::PostalCodeCity => {
                let (code, city) = values::postal_code_city(raw, label)?;
                self.postal_code = Some(code);
                self.city = city;
            }
            Field::Country => self.country = Some(values::text(raw, label)?),
            Field::NoFixedAddress => self.no_fixed_address = Some(values::boolean(raw, label)?),
            Field::RsaState => self.rsa_state = Some(values::rsa_state(raw, label)?),
            Field::RightsAndDuties => {
                self.rights_and_duties = Some(values::boolean(raw, label)?);
            }
            Field::AsOf => self.as_of = Some(values::timestamp(raw, label)?),
        }
        Ok(())
    }

    /// The id of the records at the source, from the profile's `record_id` field.
    fn record_id(&self, field: Field) -> Option<String> {
        match field {
            Field::DepartementId => self
                .departement_id
                .as_ref()
                .map(|id| id.as_str().to_owned()),
            Field::CafMatricule => self.caf_matricule.as_ref().map(|m| m.as_str().to_owned()),
            Field::FranceTravailId => self
                .france_travail_id
                .as_ref()
                .map(|id| id.as_str().to_owned()),
            _ => None,
        }
    }

    /// The identity keys of the row's person: a couple sharing one SI id stays two people,
    /// told apart by the role that goes with the id.
    fn subject(&self, context: &RowContext) -> IdentityKeys {
        let organisation = self
            .caf_organisation
            .clone()
            .or_else(|| context.caf_organisation.clone());
        let caf_msa = match (organisation, &self.caf_matricule) {
            (Some(organisation), Some(matricule)) => Some(CafMsaKey {
                organisation,
                matricule: matricule.clone(),
                role: self.role,
            }),
            _ => None,
        };
        let name_and_birth = match (&self.first_names, &self.last_name, self.birth_date) {
            (Some(first_name), Some(last_name), Some(birth_date)) => Some(NameAndBirth {
                first_name: first_name.clone(),
                last_name: last_name.clone(),
                birth_date,
            }),
            _ => None,
        };
        IdentityKeys {
            nir: self.nir.clone(),
            caf_msa,
            france_travail_id: self.france_travail_id.clone(),
            departement: self.departement_id.clone().map(|id| DepartementKey {
                id,
                role: self.role,
            }),
            name_and_birth,
        }
    }

    /// The address lines: parts of one numbered line joined with a space, numbered lines
    /// first in their order, then each unnumbered part as a line of its own.
    fn address_lines(&self) -> Vec<String> {
        let mut parts: Vec<&(Option<u8>, usize, String)> = self.address_parts.iter().collect();
        parts.sort_by_key(|(line, index, _)| (line.is_none(), *line, *index));
        let mut lines: Vec<(Option<u8>, String)> = Vec::new();
        for (line, _, text) in parts {
            match lines.last_mut() {
                Some((last, joined)) if line.is_some() && last == line => {
                    joined.push(' ');
                    joined.push_str(text);
                }
                _ => lines.push((*line, text.clone())),
            }
        }
        lines.into_iter().map(|(_, text)| text).collect()
    }

    /// The records the row states, all about the same subject and with the same source.
    fn records(self, profile: &Profile, context: &RowContext) -> Result<Vec<Record>, Invalid> {
        let record_id = self.record_id(profile.record_id()).ok_or_else(|| {
            Invalid::new(
                ErrorCode::NoIdentityKey,
                format!("{} manque", profile.record_id().label()),
            )
        })?;
        let subject = self.subject(context);
        if subject.is_empty() {
            return Err(Invalid::new(
                ErrorCode::NoIdentityKey,
                format!(
                    "{} « {record_id} » ne suffit pas à reconnaître la personne sans son \
                     organisme CAF/MSA : renseignez le NIR, ou l'organisme dans le paramétrage \
                     du connecteur",
                    profile.record_id().label()
                ),
            ));
        }
        let source = SourceRef {
            system: profile.source_system(),
            record_id,
            as_of: self.as_of.unwrap_or(context.as_of),
            run_id: context.run_id.clone().or_else(|| context.file_name.clone()),
        };
        let address_lines = self.address_lines();
        let mut bodies = Vec::new();
        if let Some(last_name) = self.last_name {
            bodies.push(RecordBody::Identity(Identity {
                title: self.title,
                last_name,
                birth_name: self.birth_name,
                first_names: self.first_names.into_iter().collect(),
                birth_date: self.birth_date,
                birth_place: self.birth_place,
                sex: self.sex,
            }));
        }
        if !self.phones.is_empty() || !self.emails.is_empty() {
            bodies.push(RecordBody::Contact(Contact {
                phones: self.phones,
                email: self.emails.into_iter().next(),
            }));
        }
        if !address_lines.is_empty()
            || self.postal_code.is_some()
            || self.city.is_some()
            || self.country.is_some()
            || self.no_fixed_address.is_some()
        {
            bodies.push(RecordBody::Address(Address {
                lines: address_lines,
                postal_code: self.postal_code,
                city: self.city,
                city_insee_code: None,
                country: self.country,
                no_fixed_address: self.no_fixed_address,
            }));
        }
        if self.rsa_state.is_some() || self.rights_and_duties.is_some() {
            bodies.push(RecordBody::RsaRights(RsaRights {
                state: self.rsa_state.flatten(),
                suspension: None,
                closure: None,
                subject_to_rights_and_duties: self.rights_and_duties,
                entrant: None,
            }));
        }
        Ok(bodies
            .into_iter()
            .map(|body| Record {
                source: source.clone(),
                subject: subject.clone(),
                body,
            })
            .collect())
    }
}
