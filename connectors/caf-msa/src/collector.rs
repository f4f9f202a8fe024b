//! Assembling the header, households and trailer from the values the walker delivers.

use cdb_connector::identity::{CafMatricule, CafOrganisation, HouseholdRole, Nir};
use cdb_connector::records::{Address, FamilySituation, PostalCode};
use chrono::{NaiveDate, NaiveTime};

use crate::codes;
use crate::error::{HouseholdWarning, Position};
use crate::header::{FluxHeader, FluxKind, Trailer};
use crate::household::{CafAddress, CodedDate, Household, Person};
use crate::schema::{Field, Group};
use crate::values::Value;
use crate::walker::Sink;

/// What the walker has read so far that is not handed out yet.
#[derive(Default)]
pub(crate) struct Collector {
    header: HeaderDraft,
    /// The header, once IdentificationFlux is complete.
    pub(crate) header_ready: Option<FluxHeader>,
    household: HouseholdDraft,
    person: PersonDraft,
    benefit: BenefitDraft,
    address: AddressDraft,
    coded: CodedDraft,
    households: u64,
    /// The last complete household, until the reader takes it.
    pub(crate) ready: Option<Household>,
    trailer: TrailerDraft,
    /// The trailer, once TransmissionFlux is complete.
    pub(crate) trailer_ready: Option<Trailer>,
}

#[derive(Default)]
struct HeaderDraft {
    application: String,
    application_version: String,
    kind: String,
    nature: String,
    created_on: Option<NaiveDate>,
    created_time: Option<NaiveTime>,
    reference_date: Option<NaiveDate>,
}

#[derive(Default)]
struct HouseholdDraft {
    household: Household,
    fund: String,
    organisation_number: String,
    matricule: String,
    family_code: Option<String>,
    family_since: Option<NaiveDate>,
    refusal: CodedDraft,
    closure: CodedDraft,
    earlier_closure: CodedDraft,
}

#[derive(Default)]
struct PersonDraft {
    person: Person,
    nir: Option<String>,
    sex: String,
    benefits: Vec<BenefitDraft>,
}

#[derive(Default)]
struct BenefitDraft {
    nature: String,
    role: String,
    dependent: Option<bool>,
}

#[derive(Default)]
struct AddressDraft {
    rank: String,
    moved_in_on: Option<NaiveDate>,
    country: String,
    kind: String,
    state: String,
    recipient: String,
    place: String,
    street: Vec<String>,
    locality: String,
    insee_code: String,
    postal_code: String,
    city: String,
    foreign_lines: Vec<String>,
}

#[derive(Default)]
struct CodedDraft {
    code: Option<String>,
    date: Option<NaiveDate>,
}

impl CodedDraft {
    fn take(&mut self) -> Option<CodedDate> {
        match (self.code.take(), self.date.take()) {
            (Some(code), Some(date)) => Some(CodedDate { code, date }),
            _ => None,
        }
    }
}

#[derive(Default)]
struct TrailerDraft {
    households: u64,
    anomalies: u64,
}

fn text(value: Value<'_>) -> &str {
    match value {
        Value::Text(text) | Value::Integer(text) | Value::Decimal(text) => text,
        Value::Date(_) | Value::Time(_) | Value::Boolean(_) => "",
    }
}

fn trimmed(value: Value<'_>) -> String {
    text(value).trim().to_owned()
}

fn date(value: Value<'_>) -> Option<NaiveDate> {
    match value {
        Value::Date(date) => Some(date),
        _ => None,
    }
}

fn boolean(value: Value<'_>) -> Option<bool> {
    match value {
        Value::Boolean(flag) => Some(flag),
        _ => None,
    }
}

fn count(value: Value<'_>) -> u64 {
    // The schema bounds the digits; a negative count reads as zero.
    text(value).trim_start_matches('+').parse().unwrap_or(0)
}

fn non_blank(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

impl Sink for Collector {
    fn enter(&mut self, group: Group, at: Position) {
        match group {
            Group::Household => {
                self.households += 1;
                self.household = HouseholdDraft::default();
                self.household.household.number = self.households;
                self.household.household.position = at;
            }
            Group::Person => self.person = PersonDraft::default(),
            Group::Benefit => self.benefit = BenefitDraft::default(),
            Group::Address => self.address = AddressDraft::default(),
            Group::RightSuspension | Group::PaymentSuspension => self.coded = CodedDraft::default(),
            Group::Header | Group::Trailer => {}
        }
    }

    fn value(&mut self, field: Field, value: Value<'_>) {
        let household = &mut self.household;
        let person = &mut self.person.person;
        let rights = &mut household.household.rights;
        let address = &mut self.address;
        match field {
            Field::Application => self.header.application = trimmed(value),
            Field::ApplicationVersion => self.header.application_version = trimmed(value),
            Field::FluxType => self.header.kind = trimmed(value),
            Field::FluxNature => self.header.nature = trimmed(value),
            Field::CreatedOn => self.header.created_on = date(value),
            Field::CreatedTime => {
                if let Value::Time(time) = value {
                    self.header.created_time = Some(time);
                }
            }
            Field::ReferenceDate => self.header.reference_date = date(value),
            Field::Fund => household.fund = trimmed(value),
            Field::OrganisationNumber => household.organisation_number = trimmed(value),
            Field::Matricule => household.matricule = trimmed(value),
            Field::PartnerKind => household.household.partner.kind = trimmed(value),
            Field::PartnerId => household.household.partner.code = trimmed(value),
            Field::ApplicationDate => household.household.application.date = date(value),
            Field::ApplicationNumber => household.household.application.number = trimmed(value),
            Field::Title => person.title = codes::title(text(value)),
            Field::LastName => person.last_name = trimmed(value),
            Field::BirthName => person.birth_name = trimmed(value),
            Field::FirstName | Field::OtherFirstName => {
                if let Some(name) = non_blank(trimmed(value)) {
                    person.first_names.push(name);
                }
            }
            Field::BirthPlace => person.birth_place = trimmed(value),
            Field::BirthDate => person.birth_date = date(value),
            Field::Nir => self.person.nir = non_blank(trimmed(value)),
            Field::Sex => self.person.sex = trimmed(value),
            Field::FileHolder => person.file_holder = boolean(value).unwrap_or(false),
            Field::BenefitNature => self.benefit.nature = trimmed(value),
            Field::Role => self.benefit.role = trimmed(value),
            Field::Dependent => self.benefit.dependent = boolean(value),
            Field::RightsAndDuties => person.subject_to_rights_and_duties = boolean(value),
            Field::Entrant => person.entrant = boolean(value),
            Field::FamilyStatus => household.family_code = Some(trimmed(value)),
            Field::FamilySince => household.family_since = date(value),
            Field::AddressRank => address.rank = trimmed(value),
            Field::MovedInOn => address.moved_in_on = date(value),
            Field::Country => address.country = trimmed(value),
            Field::AddressKind => address.kind = trimmed(value),
            Field::AddressState => address.state = trimmed(value),
            Field::RecipientComplement => address.recipient = trimmed(value),
            Field::PlaceComplement => address.place = trimmed(value),
            Field::StreetNumber | Field::StreetType | Field::StreetName => {
                if let Some(part) = non_blank(trimmed(value)) {
                    address.street.push(part);
                }
            }
            Field::Locality => address.locality = trimmed(value),
            Field::InseeCode => address.insee_code = trimmed(value),
            Field::PostalCode => address.postal_code = trimmed(value),
            Field::City => address.city = trimmed(value),
            Field::ForeignLine => {
                if let Some(line) = non_blank(trimmed(value)) {
                    address.foreign_lines.push(line);
                }
            }
            Field::RsaState => rights.state_code = trimmed(value),
            Field::RefusalReason => household.refusal.code = Some(trimmed(value)),
            Field::RefusalDate => household.refusal.date = date(value),
            Field::RightSuspensionReason | Field::PaymentSuspensionReason => {
                self.coded.code = Some(trimmed(value));
            }
            Field::RightSuspensionSince | Field::PaymentSuspensionSince => {
                self.coded.date = date(value);
            }
            Field::ClosureReason => household.closure.code = Some(trimmed(value)),
            Field::ClosureDate => household.closure.date = date(value),
            Field::EarlierClosureReason => household.earlier_closure.code = Some(trimmed(value)),
            Field::EarlierClosureDate => household.earlier_closure.date = date(value),
            Field::NoFixedAddress => rights.no_fixed_address = boolean(value).unwrap_or(false),
            Field::Dependants => rights.dependants = text(value).parse().ok(),
            Field::ApplicationOrigin => rights.origin = trimmed(value),
            Field::DeclaredHouseholds => self.trailer.households = count(value),
            Field::DeclaredAnomalies => self.trailer.anomalies = count(value),
        }
    }

    fn leave(&mut self, group: Group) -> bool {
        match group {
            Group::Header => {
                self.header_ready = self.header.finish();
                true
            }
            Group::Household => {
                self.ready = Some(std::mem::take(&mut self.household).finish());
                true
            }
            Group::Person => {
                let draft = std::mem::take(&mut self.person);
                let number = self.household.household.persons.len() + 1;
                let (person, warnings) = draft.finish(number);
                self.household.household.persons.push(person);
                self.household.household.warnings.extend(warnings);
                false
            }
            Group::Benefit => {
                self.person.benefits.push(std::mem::take(&mut self.benefit));
                false
            }
            Group::Address => {
                let (address, warning) = std::mem::take(&mut self.address).finish();
                self.household.household.addresses.push(address);
                self.household.household.warnings.extend(warning);
                false
            }
            Group::RightSuspension => {
                let suspension = self.coded.take();
                self.household
                    .household
                    .rights
                    .right_suspensions
                    .extend(suspension);
                false
            }
            Group::PaymentSuspension => {
                let suspension = self.coded.take();
                self.household
                    .household
                    .rights
                    .payment_suspensions
                    .extend(suspension);
                false
            }
            Group::Trailer => {
                self.trailer_ready = Some(Trailer {
                    households: self.trailer.households,
                    households_with_anomalies: self.trailer.anomalies,
                });
                false
            }
        }
    }
}

impl HeaderDraft {
    fn finish(&mut self) -> Option<FluxHeader> {
        Some(FluxHeader {
            application: std::mem::take(&mut self.application),
            application_version: std::mem::take(&mut self.application_version),
            kind: FluxKind::from_code(&self.kind),
            nature: std::mem::take(&mut self.nature),
            created_on: self.created_on?,
            created_time: self.created_time?,
            reference_date: self.reference_date?,
        })
    }
}

impl HouseholdDraft {
    fn finish(mut self) -> Household {
        let mut household = self.household;
        household.file_key = format!(
            "{}{}-{}",
            self.fund, self.organisation_number, self.matricule
        );
        match CafOrganisation::new(&self.fund, &self.organisation_number) {
            Ok(organisation) => household.organisation = Some(organisation),
            Err(problem) => household.warnings.push(HouseholdWarning::Organisation {
                fund: self.fund,
                number: self.organisation_number,
                problem,
            }),
        }
        match CafMatricule::parse(&self.matricule) {
            Ok(matricule) => household.matricule = Some(matricule),
            Err(problem) => household.warnings.push(HouseholdWarning::Matricule {
                value: self.matricule,
                problem,
            }),
        }
        if let Some(code) = self.family_code {
            match codes::marital_status(&code) {
                Some(status) => {
                    household.family = Some(FamilySituation {
                        status,
                        since: self.family_since,
                        dependants: household.rights.dependants,
                    });
                }
                None => household
                    .warnings
                    .push(HouseholdWarning::FamilySituation { code }),
            }
        }
        let rights = &mut household.rights;
        rights.state = codes::rsa_state(&rights.state_code);
        if rights.state.is_none() {
            let code = rights.state_code.clone();
            household.warnings.push(HouseholdWarning::RsaState { code });
        }
        rights.refusal = self.refusal.take();
        rights.closure = self.closure.take();
        rights.earlier_closure = self.earlier_closure.take();
        for suspension in &rights.payment_suspensions {
            if codes::suspension_reason(&suspension.code).is_none() {
                let code = suspension.code.clone();
                household
                    .warnings
                    .push(HouseholdWarning::SuspensionReason { code });
            }
        }
        for closure in rights.closure.iter().chain(&rights.earlier_closure) {
            if codes::closure_reason(&closure.code).is_none() {
                let code = closure.code.clone();
                household
                    .warnings
                    .push(HouseholdWarning::ClosureReason { code });
            }
        }
        if !household.addresses.iter().any(|a| a.rank == 1)
            && let Some(used) = household.addresses.iter().map(|a| a.rank).min()
        {
            household
                .warnings
                .push(HouseholdWarning::NoCurrentAddress { used });
        }
        household
    }
}

impl PersonDraft {
    fn finish(self, number: usize) -> (Person, Vec<HouseholdWarning>) {
        let mut person = self.person;
        let mut warnings = Vec::new();
        if let Some(text) = self.nir {
            match Nir::parse(&text) {
                Ok(nir) => person.nir = Some(nir),
                Err(problem) => warnings.push(HouseholdWarning::Nir {
                    person: number,
                    problem,
                }),
            }
        }
        person.sex = codes::sex(&self.sex);
        if person.sex.is_none() {
            warnings.push(HouseholdWarning::Sex {
                person: number,
                code: self.sex,
            });
        }
        // The RSA benefit carries the role that matters here; PFA is the fallback.
        let benefit = self
            .benefits
            .iter()
            .find(|b| b.nature == "RSA")
            .or_else(|| self.benefits.first());
        if let Some(benefit) = benefit {
            person.role_code = benefit.role.clone();
            person.dependent = benefit.dependent;
            match HouseholdRole::parse(&benefit.role) {
                Ok(role) => person.role = Some(role),
                Err(_) => warnings.push(HouseholdWarning::Role {
                    person: number,
                    code: benefit.role.clone(),
                }),
            }
        }
        (person, warnings)
    }
}

impl AddressDraft {
    fn finish(self) -> (CafAddress, Option<HouseholdWarning>) {
        let mut warning = None;
        let lines = if self.foreign_lines.is_empty() {
            [
                self.recipient,
                self.place,
                self.street.join(" "),
                self.locality,
            ]
            .into_iter()
            .filter(|line| !line.is_empty())
            .collect()
        } else {
            self.foreign_lines
        };
        let postal_code = non_blank(self.postal_code).and_then(|code| {
            PostalCode::from_number_text(&code)
                .map_err(|_| warning = Some(HouseholdWarning::PostalCode { value: code }))
                .ok()
        });
        let address = CafAddress {
            rank: self.rank.parse().unwrap_or(0),
            moved_in_on: self.moved_in_on,
            kind: self.kind,
            state: self.state,
            address: Address {
                lines,
                postal_code,
                city: non_blank(self.city),
                city_insee_code: non_blank(self.insee_code),
                country: non_blank(self.country),
                no_fixed_address: None,
            },
        };
        (address, warning)
    }
}
