//! The connector contract of cdb-hub and the canonical records connectors produce.
//!
//! A connector translates one outside system (CAF/MSA files, France Travail APIs, a
//! département's SI…) into [`Record`]s and carries outbound operations back. It never
//! touches the database and never decides which person a record belongs to: it says what
//! the source says, with the identity keys the source gave, and `inbound/` matches.

#![warn(missing_docs)]

pub mod connector;
pub mod error;
pub mod identity;
pub mod outbound;
pub mod records;
pub mod source;
pub mod text;
pub mod time;

pub use connector::{Capabilities, Connector, Cursor, Page};
pub use error::{BoxError, ConnectorError};
pub use identity::{
    CafMatricule, CafMsaKey, CafOrganisation, DepartementKey, DepartementPersonId, FranceTravailId,
    Fund, HouseholdRole, IdentityKeys, NameAndBirth, Nir,
};
pub use outbound::{IdempotencyKey, OutboundAction, OutboundOperation, PushOutcome, ResourceRef};
pub use records::{Record, RecordBody};
pub use source::{SourceRef, SourceSystem};
