//! The France Travail connector: looks people up through the partner APIs and pushes the
//! hub's orientations and appointments.

use std::sync::Arc;

use cdb_connector::records::Record;
use cdb_connector::{ConnectorError, IdentityKeys, OutboundOperation, PushOutcome};

use crate::config::{ConfigError, FranceTravailConfig};
use crate::dossier::JobSeekerDossier;
use crate::push::Pusher;
use crate::push::journal::{MemoryJournal, PushJournal, ResourceLocks};
use crate::read;
use crate::transport::Transport;

/// The connector; one per département's France Travail habilitation, shared by its jobs.
///
/// Its calls share one token cache and one quota, so clone an `Arc` of it rather than
/// building several.
pub struct FranceTravailConnector {
    config: FranceTravailConfig,
    transport: Transport,
    journal: Arc<dyn PushJournal>,
    locks: ResourceLocks,
}

impl std::fmt::Debug for FranceTravailConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FranceTravailConnector")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl FranceTravailConnector {
    /// Builds the connector with an in-memory push journal.
    ///
    /// The process must have installed a rustls crypto provider first
    /// (`rustls::crypto::ring::default_provider().install_default()`).
    pub fn new(config: FranceTravailConfig) -> Result<Self, ConfigError> {
        Self::with_journal(config, Arc::new(MemoryJournal::default()))
    }

    /// Builds the connector with the hub's push journal.
    pub fn with_journal(
        config: FranceTravailConfig,
        journal: Arc<dyn PushJournal>,
    ) -> Result<Self, ConfigError> {
        let transport = Transport::new(&config)?;
        Ok(Self {
            config,
            transport,
            journal,
            locks: ResourceLocks::new(),
        })
    }

    /// Reads what France Travail knows of the person, with the typed parts canonical
    /// records have no kind for (projects, focuses).
    pub async fn read_dossier(
        &self,
        keys: &IdentityKeys,
    ) -> Result<JobSeekerDossier, ConnectorError> {
        read::read_dossier(&self.transport, &self.config, keys).await
    }

    /// Finds the person the keys designate and returns what France Travail knows of them as
    /// canonical records; fails with `NotFound` or `Ambiguous` rather than guessing.
    pub async fn lookup(&self, keys: &IdentityKeys) -> Result<Vec<Record>, ConnectorError> {
        Ok(self.read_dossier(keys).await?.records(None))
    }

    /// Applies an orientation or appointment at France Travail, at most once per idempotency
    /// key: the same operation again answers `AlreadyApplied`.
    pub async fn push(&self, operation: &OutboundOperation) -> Result<PushOutcome, ConnectorError> {
        Pusher {
            transport: &self.transport,
            config: &self.config,
            journal: self.journal.as_ref(),
            locks: &self.locks,
        }
        .push(operation)
        .await
    }
}
