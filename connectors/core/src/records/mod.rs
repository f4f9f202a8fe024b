//! Canonical records: what one source says about one person, in the hub's vocabulary.
//!
//! Each [`Record`] carries its provenance ([`SourceRef`]) and the identity keys the source
//! gave for the person (its subject); `inbound/` matches the subject to a person and merges
//! the body field by field.

mod address;
mod appointment;
mod contact;
mod diagnostic;
mod employment;
mod family;
mod orientation;
mod person;
mod rsa;

use serde::{Deserialize, Serialize};

use crate::identity::IdentityKeys;
use crate::source::SourceRef;

pub use address::{Address, PostalCode, PostalCodeError};
pub use appointment::{Appointment, AppointmentMode, AppointmentStatus};
pub use contact::{Contact, Email, EmailError, PhoneNumber, PhoneNumberError};
pub use diagnostic::{Diagnostic, DiagnosticItem, DiagnosticItemKind};
pub use employment::{JobSeekerRegistration, RegistrationStatus};
pub use family::{FamilySituation, MaritalStatus};
pub use orientation::{Orientation, OrientationKind, OrientationStatus, StructureRef};
pub use person::{Identity, Sex, Title};
pub use rsa::{ClosureReason, RsaClosure, RsaRights, RsaState, RsaSuspension, SuspensionReason};

/// Declares an enum whose values are stored and exchanged as stable slugs.
macro_rules! slug_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $slug:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        $vis enum $name {
            $( $(#[$variant_meta])* #[serde(rename = $slug)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The stable slug the hub stores and the API shows.
            pub fn slug(self) -> &'static str {
                match self {
                    $( Self::$variant => $slug, )+
                }
            }

            /// The value with this slug, if any.
            pub fn from_slug(slug: &str) -> Option<Self> {
                match slug {
                    $( $slug => Some(Self::$variant), )+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.slug())
            }
        }
    };
}
pub(crate) use slug_enum;

/// What a source says about one person, with where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Provenance: system, id there, as-of time, run.
    pub source: SourceRef,
    /// The identity keys the source gave for the person the record is about.
    pub subject: IdentityKeys,
    /// The facts themselves.
    pub body: RecordBody,
}

/// The kinds of facts a source can state about a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RecordBody {
    /// Civil identity (the identity keys are the record's subject).
    Identity(Identity),
    /// Phones and email.
    Contact(Contact),
    /// Postal address and no-fixed-address flag.
    Address(Address),
    /// Family situation of the household.
    FamilySituation(FamilySituation),
    /// RSA rights as the paying organisation sees them.
    RsaRights(RsaRights),
    /// Registration as a job seeker at France Travail.
    JobSeekerRegistration(JobSeekerRegistration),
    /// Social and professional diagnostic (needs and constraints).
    Diagnostic(Diagnostic),
    /// Orientation (parcours) decision or proposal.
    Orientation(Orientation),
    /// An appointment with a professional.
    Appointment(Appointment),
}

impl RecordBody {
    /// A stable name of the record kind, for logs, metrics and provenance.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Identity(_) => "identity",
            Self::Contact(_) => "contact",
            Self::Address(_) => "address",
            Self::FamilySituation(_) => "family_situation",
            Self::RsaRights(_) => "rsa_rights",
            Self::JobSeekerRegistration(_) => "job_seeker_registration",
            Self::Diagnostic(_) => "diagnostic",
            Self::Orientation(_) => "orientation",
            Self::Appointment(_) => "appointment",
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::identity::Nir;
    use crate::source::SourceSystem;

    #[test]
    fn a_record_round_trips_through_json() {
        let record = Record {
            source: SourceRef {
                system: SourceSystem::CafMsa,
                record_id: "CAF521-2055990-CJT".to_owned(),
                as_of: Utc.with_ymd_and_hms(2022, 3, 5, 0, 18, 36).unwrap(),
                run_id: Some("upload-1".to_owned()),
            },
            subject: IdentityKeys {
                nir: Some(Nir::parse("2820251108030").unwrap()),
                ..IdentityKeys::default()
            },
            body: RecordBody::RsaRights(RsaRights {
                state: Some(RsaState::Closed),
                suspension: None,
                closure: Some(RsaClosure {
                    reason: Some(ClosureReason::PresidentDecision),
                    source_code: "PCG".to_owned(),
                    date: NaiveDate::from_ymd_opt(2021, 11, 30).unwrap(),
                }),
                subject_to_rights_and_duties: Some(true),
                entrant: None,
            }),
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["body"]["type"], "rsa_rights");
        assert_eq!(json["body"]["state"], "rsa_clos");
        assert_eq!(json["body"]["closure"]["reason"], "caf_decision_pcg");
        let back: Record = serde_json::from_value(json).unwrap();
        assert_eq!(back, record);
        assert_eq!(back.body.kind(), "rsa_rights");
    }
}
