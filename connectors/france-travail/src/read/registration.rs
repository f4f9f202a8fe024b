//! Contrat usager v2: where the person stands on the job seekers' list (inscription).

use cdb_connector::records::{JobSeekerRegistration, RegistrationStatus};
use serde::Deserialize;

use crate::values::{optional_date, text};

/// Path of the API (with the `ft-jeton-usager` header).
pub(crate) const PATH: &str = "/partenaire/contrat-usager/v2/contrat";
/// The API's name where its raw answers are kept.
pub(crate) const API: &str = "contrat-usager";

/// The answer: everything sits in `m_contrat`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ContractAnswer {
    m_contrat: Option<Contract>,
}

#[derive(Debug, Deserialize)]
struct Contract {
    m_statut: Option<String>,
    m_date_effet_statut: Option<String>,
    m_categ_inscription_code: Option<String>,
    m_motif_cloture_code: Option<String>,
}

/// Reads the status label; France Travail documents only `Inscrit`, the others are read by
/// their stem so that `Radié`, `RADIE` or `Cessation` all land where they belong.
fn status(label: &str) -> Option<RegistrationStatus> {
    let folded: String = label
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' => 'e',
            other => other,
        })
        .collect();
    if folded.starts_with("non") {
        Some(RegistrationStatus::NotRegistered)
    } else if folded.starts_with("inscrit") {
        Some(RegistrationStatus::Registered)
    } else if folded.starts_with("radi") {
        Some(RegistrationStatus::StruckOff)
    } else if folded.starts_with("cess") || folded.starts_with("clotur") {
        Some(RegistrationStatus::Ceased)
    } else {
        None
    }
}

impl ContractAnswer {
    /// The registration, when the status is one the hub knows.
    pub(crate) fn registration(&self) -> Option<JobSeekerRegistration> {
        let contract = self.m_contrat.as_ref()?;
        let label = text(contract.m_statut.as_deref())?;
        let Some(status) = status(&label) else {
            tracing::warn!(status = %label, "unknown France Travail registration status");
            return None;
        };
        let since = optional_date(contract.m_date_effet_statut.as_deref());
        let registered = status == RegistrationStatus::Registered;
        let ended = matches!(
            status,
            RegistrationStatus::Ceased | RegistrationStatus::StruckOff
        );
        Some(JobSeekerRegistration {
            status,
            registered_on: since.filter(|_| registered),
            category: text(contract.m_categ_inscription_code.as_deref()),
            ended_on: since.filter(|_| ended),
            // A closing reason next to an open registration is a past one: not this status's.
            end_reason: text(contract.m_motif_cloture_code.as_deref()).filter(|_| ended),
            agency_code: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_labels_are_read_by_their_stem() {
        assert_eq!(status("Inscrit"), Some(RegistrationStatus::Registered));
        assert_eq!(
            status("NON INSCRIT"),
            Some(RegistrationStatus::NotRegistered)
        );
        assert_eq!(status("Radié"), Some(RegistrationStatus::StruckOff));
        assert_eq!(status("Cessé"), Some(RegistrationStatus::Ceased));
        assert_eq!(status("Suspendu"), None);
    }
}
