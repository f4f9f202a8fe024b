//! Orientation usager v1, reading side (lectureOrientation): the person's parcours.

use cdb_connector::records::{Orientation, OrientationKind, OrientationStatus, StructureRef};
use serde::Deserialize;

use crate::values::{optional_date, text};

/// Path of the API (with the `ft-jeton-usager` header).
pub(crate) const PATH: &str = "/partenaire/orientationusager/v1/lectureOrientation";
/// The API's name where its raw answers are kept.
pub(crate) const API: &str = "orientation";

/// One orientation as WebRSA reads it and les-emplois mocks it.
#[derive(Debug, Deserialize)]
pub(crate) struct FtOrientation {
    parcours: Option<String>,
    structure: Option<FtStructure>,
    structure_decision: Option<FtStructure>,
    statut: Option<String>,
    etat: Option<String>,
    date_entree_parcours: Option<String>,
    date_sortie_parcours: Option<String>,
    date_creation: Option<String>,
    origine: Option<String>,
    criteres_orientation: Option<Criteria>,
    decision: Option<Decision>,
}

#[derive(Debug, Deserialize)]
struct FtStructure {
    code_safir: Option<String>,
    code_aurore: Option<String>,
    libelle_structure: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Criteria {
    origine: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Decision {
    etat_decision: Option<String>,
    date_decision: Option<String>,
}

/// The France Travail parcours code of a kind of follow-up (WebRSA's mapping).
pub(crate) fn parcours_code(kind: OrientationKind) -> &'static str {
    match kind {
        OrientationKind::Professional => "PED",
        OrientationKind::SocioProfessional => "PSO",
        OrientationKind::Social => "PSP",
    }
}

fn kind(parcours: &str) -> Option<OrientationKind> {
    OrientationKind::ALL
        .iter()
        .copied()
        .find(|k| parcours_code(*k) == parcours)
}

impl FtOrientation {
    /// A stable key among the person's orientations (they carry no id).
    pub(crate) fn key(&self) -> String {
        let created = text(self.date_creation.as_deref())
            .or_else(|| text(self.date_entree_parcours.as_deref()))
            .unwrap_or_else(|| "undated".to_owned());
        let parcours = text(self.parcours.as_deref()).unwrap_or_else(|| "?".to_owned());
        format!("{created}-{parcours}")
    }

    /// The canonical orientation.
    pub(crate) fn orientation(&self) -> Orientation {
        let structure = self
            .structure_decision
            .as_ref()
            .or(self.structure.as_ref())
            .map(|s| StructureRef {
                code: text(s.code_safir.as_deref()).or_else(|| text(s.code_aurore.as_deref())),
                name: text(s.libelle_structure.as_deref()),
            });
        Orientation {
            kind: text(self.parcours.as_deref()).as_deref().and_then(kind),
            status: self.status(),
            structure,
            decided_on: self
                .decision
                .as_ref()
                .and_then(|d| optional_date(d.date_decision.as_deref())),
            started_on: optional_date(self.date_entree_parcours.as_deref()),
            ended_on: optional_date(self.date_sortie_parcours.as_deref()),
            origin: self
                .criteres_orientation
                .as_ref()
                .and_then(|c| text(c.origine.as_deref()))
                .or_else(|| text(self.origine.as_deref())),
        }
    }

    /// The status: the orientation's own state and status first; a refused decision counts
    /// only for an orientation not decided otherwise (the decision block may be about a
    /// later request).
    fn status(&self) -> OrientationStatus {
        let etat = text(self.etat.as_deref()).unwrap_or_default();
        let statut = text(self.statut.as_deref()).unwrap_or_default();
        let refused = self
            .decision
            .as_ref()
            .and_then(|d| text(d.etat_decision.as_deref()))
            .is_some_and(|e| e.starts_with("REFUS"));
        if !etat.is_empty() && etat != "OUVERT" {
            OrientationStatus::Ended
        } else if statut.starts_with("DECID") {
            OrientationStatus::Decided
        } else if refused || statut.starts_with("REFUS") {
            OrientationStatus::Refused
        } else {
            OrientationStatus::Proposed
        }
    }
}
