//! France Travail connector of cdb-hub.
//!
//! - **Partner APIs** ([`FranceTravailConnector`], a [`cdb_connector::Connector`]): OAuth2
//!   client credentials (realm in the token URL's query, one cached token per scope set,
//!   refreshed before expiry and once on a 401), a client-side quota, identification with
//!   rechercher-usager v2 whose *jeton usager* is used for the next calls and then dropped,
//!   reads (informations administratives, contrat, diagnostic argumenté, orientation)
//!   mapped to canonical records, and idempotent pushes of orientations and appointments.
//!   France Travail's return codes become [`cdb_connector::ConnectorError`]s that tell the
//!   job runner whether and when to retry.
//! - **Weekly extract files** ([`extract`]): the `principal` and `actions` files, parsed into
//!   canonical records and typed rows, each row kept raw with its SHA-256 so that only a
//!   changed row makes a change; [`smime`] opens the S/MIME (CMS, DER) envelope they are
//!   sent in.
//!
//! ```no_run
//! use cdb_connector::IdentityKeys;
//! use cdb_france_travail::{FranceTravailConfig, FranceTravailConnector, Secret};
//!
//! # async fn run(keys: IdentityKeys) -> Result<(), Box<dyn std::error::Error>> {
//! let _ = rustls::crypto::ring::default_provider().install_default();
//! let config = FranceTravailConfig::new("client-id", Secret::new("client-secret"));
//! let connector = FranceTravailConnector::new(config)?;
//! let records = connector.lookup(&keys).await?;
//! # let _ = records;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod auth;
pub mod codes;
mod config;
mod connector;
mod dossier;
pub mod extract;
mod follow_up;
mod identify;
mod push;
mod rate;
mod read;
pub mod smime;
pub mod themes;
mod transport;
mod values;

pub use config::{
    AgentIdentity, ConfigError, FranceTravailConfig, PartnerOrganisation, Scopes, Secret,
};
pub use connector::FranceTravailConnector;
pub use dossier::{JobSeekerDossier, OrientationEntry, RawPayload};
pub use follow_up::{Project, Referent};
pub use identify::Identification;
pub use push::journal::{AppliedPush, MemoryJournal, PushJournal};
pub use push::{APPOINTMENT, ORIENTATION};
pub use themes::{Focus, FocusTheme, Target, TargetStatus};
