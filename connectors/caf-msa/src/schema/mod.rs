//! The structure of `vrsb0801.xsd` as static tables the reader walks.
//!
//! The schema only uses sequences of elements with occurrence bounds and simple values
//! (bounded strings, integers, decimals, dates, times, booleans), so it fits in a table of
//! [`Element`]s. Elements the reader uses are tagged with a [`Field`] (values) or a
//! [`Group`] (blocks whose start and end matter).

mod vrsb0801;

pub(crate) use vrsb0801::ROOT;

/// No upper bound (`maxOccurs="unbounded"`).
pub(crate) const UNBOUNDED: u32 = u32::MAX;

/// The type of a simple value, with its facets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueType {
    /// `xsd:string` with `maxLength`.
    Text(u16),
    /// `xsd:integer` with `totalDigits`.
    Integer(u8),
    /// `xsd:decimal` with `totalDigits` and `fractionDigits`.
    Decimal(u8, u8),
    /// `xsd:date`.
    Date,
    /// `xsd:time`.
    Time,
    /// `xsd:boolean`.
    Boolean,
}

/// What an element contains.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Content {
    /// A simple value, delivered to the reader when tagged.
    Value(ValueType, Option<Field>),
    /// A sequence of child elements, announced to the reader when tagged.
    Children(&'static [Element], Option<Group>),
}

/// One element declaration of a sequence.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Element {
    pub name: &'static str,
    pub min: u32,
    pub max: u32,
    pub content: Content,
}

impl Element {
    /// Makes the element optional (`minOccurs="0"`).
    pub(crate) const fn optional(self) -> Self {
        self.occurs(0, 1)
    }

    /// Sets the occurrence bounds.
    pub(crate) const fn occurs(mut self, min: u32, max: u32) -> Self {
        self.min = min;
        self.max = max;
        self
    }

    /// Delivers the element's value to the reader as `field`.
    pub(crate) const fn read(mut self, field: Field) -> Self {
        if let Content::Value(value_type, _) = self.content {
            self.content = Content::Value(value_type, Some(field));
        }
        self
    }

    /// Announces the element's start and end to the reader as `group`.
    pub(crate) const fn tag(mut self, group: Group) -> Self {
        if let Content::Children(children, _) = self.content {
            self.content = Content::Children(children, Some(group));
        }
        self
    }
}

const fn value(name: &'static str, value_type: ValueType) -> Element {
    Element {
        name,
        min: 1,
        max: 1,
        content: Content::Value(value_type, None),
    }
}

/// A mandatory string of at most `max` characters.
pub(crate) const fn text(name: &'static str, max: u16) -> Element {
    value(name, ValueType::Text(max))
}

/// A mandatory integer of at most `digits` digits.
pub(crate) const fn integer(name: &'static str, digits: u8) -> Element {
    value(name, ValueType::Integer(digits))
}

/// A mandatory decimal.
pub(crate) const fn decimal(name: &'static str, total: u8, fraction: u8) -> Element {
    value(name, ValueType::Decimal(total, fraction))
}

/// A mandatory date.
pub(crate) const fn date(name: &'static str) -> Element {
    value(name, ValueType::Date)
}

/// A mandatory time.
pub(crate) const fn time(name: &'static str) -> Element {
    value(name, ValueType::Time)
}

/// A mandatory boolean.
pub(crate) const fn boolean(name: &'static str) -> Element {
    value(name, ValueType::Boolean)
}

/// A mandatory block of child elements.
pub(crate) const fn block(name: &'static str, children: &'static [Element]) -> Element {
    Element {
        name,
        min: 1,
        max: 1,
        content: Content::Children(children, None),
    }
}

/// Blocks whose start and end the reader is told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    Header,
    Household,
    Person,
    Benefit,
    Address,
    RightSuspension,
    PaymentSuspension,
    Trailer,
}

/// Values the reader uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    // IdentificationFlux
    Application,
    ApplicationVersion,
    FluxType,
    FluxNature,
    CreatedOn,
    CreatedTime,
    ReferenceDate,
    // IdentificationRSA
    Fund,
    OrganisationNumber,
    Matricule,
    PartnerKind,
    PartnerId,
    ApplicationDate,
    ApplicationNumber,
    // Personne
    Title,
    LastName,
    BirthName,
    FirstName,
    OtherFirstName,
    BirthPlace,
    BirthDate,
    Nir,
    Sex,
    FileHolder,
    BenefitNature,
    Role,
    Dependent,
    RightsAndDuties,
    Entrant,
    // DonneesAdministratives
    FamilyStatus,
    FamilySince,
    AddressRank,
    MovedInOn,
    Country,
    AddressKind,
    AddressState,
    RecipientComplement,
    PlaceComplement,
    StreetNumber,
    StreetType,
    StreetName,
    Locality,
    InseeCode,
    PostalCode,
    City,
    ForeignLine,
    // PrestationRSA
    RsaState,
    RefusalDate,
    RefusalReason,
    RightSuspensionReason,
    RightSuspensionSince,
    PaymentSuspensionReason,
    PaymentSuspensionSince,
    ClosureReason,
    ClosureDate,
    EarlierClosureReason,
    EarlierClosureDate,
    NoFixedAddress,
    Dependants,
    ApplicationOrigin,
    // TransmissionFlux
    DeclaredHouseholds,
    DeclaredAnomalies,
}
