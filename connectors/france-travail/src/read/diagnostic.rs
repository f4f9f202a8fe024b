//! Diagnostic argumenté: needs per job project and personal constraints, read from the v4
//! dossier (jeton usager) and also from the v1 shape carnet-de-bord stored.

use std::collections::BTreeSet;

use cdb_connector::records::{Diagnostic, DiagnosticItem, DiagnosticItemKind};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::follow_up::Project;
use crate::values::{optional_date, text};

/// Path of the v4 API (with the `ft-jeton-usager` header).
pub(crate) const PATH: &str = "/partenaire/diagnosticargumente/v4/dossiers";
/// The API's name where its raw answers are kept.
pub(crate) const API: &str = "diagnostic-argumente";

/// The dossier. v1 names its parts `besoinsParDiagnosticIndividuDtos` and
/// `contraintesIndividusDto`; v4 `besoinsParDiagnostic` and `thematiqueContrainte`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DiagnosticDossier {
    #[serde(default, alias = "besoinsParDiagnosticIndividuDtos")]
    besoins_par_diagnostic: Vec<JobNeeds>,
    #[serde(alias = "contraintesIndividusDto")]
    thematique_contrainte: Option<ConstraintTheme>,
}

/// The needs explored for one job project. v1 is flat; v4 nests the project in
/// `diagnostic` and groups the needs by theme.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobNeeds {
    diagnostic: Option<JobProject>,
    #[serde(flatten)]
    flat: JobProject,
    #[serde(default)]
    besoins: Vec<Item>,
    #[serde(default)]
    thematiques_besoins: Vec<NeedTheme>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobProject {
    nom_metier: Option<String>,
    code_rome: Option<String>,
    statut: Option<String>,
    est_prioritaire: Option<bool>,
    date_mise_a_jour: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NeedTheme {
    #[serde(default)]
    besoins: Vec<Item>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConstraintTheme {
    #[serde(alias = "dateExploration")]
    date_de_modification: Option<String>,
    #[serde(default)]
    contraintes: Vec<Constraint>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Constraint {
    code: Option<String>,
    libelle: Option<String>,
    valeur: Option<String>,
    #[serde(alias = "dateExploration")]
    date: Option<String>,
    #[serde(default)]
    situations: Vec<Item>,
    #[serde(default)]
    objectifs: Vec<Item>,
}

#[derive(Debug, Deserialize)]
struct Item {
    code: Option<String>,
    libelle: Option<String>,
    valeur: Option<String>,
}

/// Values meaning "not talked about": they state nothing, so they make no item.
const UNADDRESSED: [&str; 3] = ["NON_EXPLORE", "NON_ABORDEE", "NON_ABORDE"];

impl JobNeeds {
    fn project(&self) -> &JobProject {
        self.diagnostic.as_ref().unwrap_or(&self.flat)
    }

    /// Closed diagnostics are history; les-emplois reads only those under way.
    fn in_progress(&self) -> bool {
        text(self.project().statut.as_deref()).is_none_or(|s| s == "EN_COURS")
    }

    fn key(&self) -> Option<String> {
        let project = self.project();
        text(project.code_rome.as_deref()).or_else(|| text(project.nom_metier.as_deref()))
    }

    fn needs(&self) -> impl Iterator<Item = &Item> {
        self.besoins.iter().chain(
            self.thematiques_besoins
                .iter()
                .flat_map(|t| t.besoins.iter()),
        )
    }
}

impl DiagnosticDossier {
    /// The job projects under way.
    pub(crate) fn projects(&self) -> Vec<Project> {
        let mut projects: Vec<Project> = Vec::new();
        for needs in self
            .besoins_par_diagnostic
            .iter()
            .filter(|n| n.in_progress())
        {
            let project = needs.project();
            let candidate = Project {
                rome_code: text(project.code_rome.as_deref()),
                label: text(project.nom_metier.as_deref()),
                priority: project.est_prioritaire.unwrap_or(false),
            };
            if candidate.rome_code.is_none() && candidate.label.is_none() {
                // A diagnostic not tied to a job yet ("projet en construction").
                continue;
            }
            // FT lists one entry per diagnostic; two diagnostics of one job are one project.
            match projects
                .iter_mut()
                .find(|p| p.rome_code == candidate.rome_code && p.label == candidate.label)
            {
                Some(known) => known.priority |= candidate.priority,
                None => projects.push(candidate),
            }
        }
        projects
    }

    /// The diagnostic: explored needs (parented to their job), addressed constraints, and
    /// their addressed situations and goals (parented to their constraint).
    pub(crate) fn diagnostic(&self) -> Option<Diagnostic> {
        let mut items: Vec<DiagnosticItem> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut dates: Vec<Option<NaiveDate>> = Vec::new();
        for needs in self
            .besoins_par_diagnostic
            .iter()
            .filter(|n| n.in_progress())
        {
            dates.push(optional_date(needs.project().date_mise_a_jour.as_deref()));
            let parent = needs.key();
            for need in needs.needs() {
                if let Some(item) = item(DiagnosticItemKind::Need, need, parent.as_deref())
                    && seen.insert((
                        item.code.clone(),
                        item.value.clone(),
                        item.parent_code.clone(),
                    ))
                {
                    items.push(item);
                }
            }
        }
        if let Some(theme) = &self.thematique_contrainte {
            dates.push(optional_date(theme.date_de_modification.as_deref()));
            for constraint in &theme.contraintes {
                let head = Item {
                    code: constraint.code.clone(),
                    libelle: constraint.libelle.clone(),
                    valeur: constraint.valeur.clone(),
                };
                let Some(parent) = item(DiagnosticItemKind::Constraint, &head, None) else {
                    continue;
                };
                dates.push(optional_date(constraint.date.as_deref()));
                let code = parent.code.clone();
                items.push(parent);
                for situation in &constraint.situations {
                    items.extend(item(DiagnosticItemKind::Situation, situation, Some(&code)));
                }
                for goal in &constraint.objectifs {
                    items.extend(item(DiagnosticItemKind::Goal, goal, Some(&code)));
                }
            }
        }
        if items.is_empty() && self.thematique_contrainte.is_none() {
            return None;
        }
        Some(Diagnostic {
            updated_on: dates.into_iter().flatten().max(),
            items,
        })
    }
}

fn item(kind: DiagnosticItemKind, raw: &Item, parent: Option<&str>) -> Option<DiagnosticItem> {
    let value = text(raw.valeur.as_deref())?;
    if UNADDRESSED.contains(&value.as_str()) {
        return None;
    }
    Some(DiagnosticItem {
        kind,
        code: text(raw.code.as_deref())?,
        label: text(raw.libelle.as_deref()).unwrap_or_default(),
        value,
        parent_code: parent.map(str::to_owned),
    })
}
