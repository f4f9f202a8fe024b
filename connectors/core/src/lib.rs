//! What the connectors of cdb-hub share: the canonical records they produce and the one
//! parser of each identity key.
//!
//! A connector translates one outside system (CAF/MSA files, France Travail APIs, a
//! département's SI…) into [`Record`]s and carries outbound operations back. It never
//! touches the database and never decides which person a record belongs to: it says what
//! the source says, with the identity keys the source gave, and `inbound/` matches.

#![warn(missing_docs)]

pub mod error;
pub mod identity;
pub mod outbound;
pub mod records;
pub mod source;
pub mod text;
pub mod time;

pub use error::{BoxError, ConnectorError};
pub use identity::{
    CafMatricule, CafMsaKey, CafOrganisation, DepartementKey, DepartementPersonId, FranceTravailId,
    Fund, HouseholdRole, IdentityKeys, NameAndBirth, Nir,
};
pub use outbound::{IdempotencyKey, OutboundAction, OutboundOperation, PushOutcome, ResourceRef};
pub use records::{Record, RecordBody};
pub use source::{SourceRef, SourceSystem};
