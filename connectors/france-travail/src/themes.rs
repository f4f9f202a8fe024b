//! Focuses (axes de travail) derived from France Travail's constraints, with Carnet de bord's
//! themes, as its FT sync built them.

use cdb_connector::records::{Diagnostic, DiagnosticItemKind};
use serde::{Deserialize, Serialize};

/// A focus theme of Carnet de bord (`ref_theme`), stored as its slug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FocusTheme {
    /// Housing (logement).
    Logement,
    /// Employment (emploi).
    Emploi,
    /// Training (formation).
    Formation,
    /// Administrative difficulties (difficultés administratives).
    DifficulteAdministrative,
    /// Financial difficulties (difficultés financières).
    DifficulteFinanciere,
    /// Mobility (mobilité).
    Mobilite,
    /// Health (santé).
    Sante,
    /// Family constraints (contraintes familiales).
    ContraintesFamiliales,
    /// Command of French (maîtrise de la langue française).
    MaitriseLangue,
    /// Digital skills (numérique).
    Numerique,
    /// Choosing a job (choisir un métier).
    ChoisirUnMetier,
    /// Getting trained (se former).
    SeFormer,
    /// Preparing one's application (préparer sa candidature).
    PreparerSaCandidature,
    /// Finding a job (trouver un emploi).
    TrouverUnEmploi,
    /// Starting a business (créer une entreprise).
    CreerUneEntreprise,
    /// Working abroad (s'ouvrir à l'international).
    SOuvrirALInternational,
}

impl FocusTheme {
    /// Every theme, in `ref_theme` order.
    pub const ALL: &'static [Self] = &[
        Self::Logement,
        Self::Emploi,
        Self::Formation,
        Self::DifficulteAdministrative,
        Self::DifficulteFinanciere,
        Self::Mobilite,
        Self::Sante,
        Self::ContraintesFamiliales,
        Self::MaitriseLangue,
        Self::Numerique,
        Self::ChoisirUnMetier,
        Self::SeFormer,
        Self::PreparerSaCandidature,
        Self::TrouverUnEmploi,
        Self::CreerUneEntreprise,
        Self::SOuvrirALInternational,
    ];

    /// The `ref_theme` slug.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Logement => "logement",
            Self::Emploi => "emploi",
            Self::Formation => "formation",
            Self::DifficulteAdministrative => "difficulte_administrative",
            Self::DifficulteFinanciere => "difficulte_financiere",
            Self::Mobilite => "mobilite",
            Self::Sante => "sante",
            Self::ContraintesFamiliales => "contraintes_familiales",
            Self::MaitriseLangue => "maitrise_langue",
            Self::Numerique => "numerique",
            Self::ChoisirUnMetier => "choisir_un_metier",
            Self::SeFormer => "se_former",
            Self::PreparerSaCandidature => "preparer_sa_candidature",
            Self::TrouverUnEmploi => "trouver_un_emploi",
            Self::CreerUneEntreprise => "creer_une_entreprise",
            Self::SOuvrirALInternational => "s_ouvrir_a_l_international",
        }
    }

    /// The theme with this slug.
    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.slug() == slug.trim())
    }

    /// The theme of a France Travail constraint code (contrainte 23 to 29).
    pub fn for_constraint(code: &str) -> Option<Self> {
        match code.trim() {
            "23" => Some(Self::Mobilite),
            "24" => Some(Self::ContraintesFamiliales),
            "25" => Some(Self::Sante),
            "26" => Some(Self::MaitriseLangue),
            "27" => Some(Self::Logement),
            "28" => Some(Self::DifficulteFinanciere),
            "29" => Some(Self::DifficulteAdministrative),
            _ => None,
        }
    }
}

/// Where a target (objectif) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// Being worked on (`EN_COURS`).
    InProgress,
    /// Reached (`REALISE`).
    Done,
    /// Given up (`ABANDONNE`).
    Abandoned,
}

/// A target (objectif) of a focus, by its France Travail label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The label, as carnet-de-bord stores targets.
    pub label: String,
    /// Where it stands.
    pub status: TargetStatus,
}

/// A focus (axe de travail) opened by a constraint France Travail marked `OUI`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Focus {
    /// Its theme.
    pub theme: FocusTheme,
    /// The France Travail constraint it comes from.
    pub constraint_code: String,
    /// Labels of the situations marked `OUI`, matched to `ref_situation` by description.
    pub situations: Vec<String>,
    /// The targets France Travail set.
    pub targets: Vec<Target>,
}

/// The focuses a diagnostic opens: one per `OUI` constraint of a known theme, with its `OUI`
/// situations and its targets under way, reached or given up.
pub fn focuses(diagnostic: &Diagnostic) -> Vec<Focus> {
    let mut focuses: Vec<Focus> = diagnostic
        .items
        .iter()
        .filter(|item| item.kind == DiagnosticItemKind::Constraint && item.value == "OUI")
        .filter_map(|item| {
            Some(Focus {
                theme: FocusTheme::for_constraint(&item.code)?,
                constraint_code: item.code.clone(),
                situations: Vec::new(),
                targets: Vec::new(),
            })
        })
        .collect();
    for item in &diagnostic.items {
        let Some(focus) = focuses
            .iter_mut()
            .find(|f| item.parent_code.as_deref() == Some(f.constraint_code.as_str()))
        else {
            continue;
        };
        match (item.kind, item.value.as_str()) {
            (DiagnosticItemKind::Situation, "OUI") => focus.situations.push(item.label.clone()),
            (DiagnosticItemKind::Goal, value) => {
                let status = match value {
                    "EN_COURS" => TargetStatus::InProgress,
                    "REALISE" => TargetStatus::Done,
                    "ABANDONNE" => TargetStatus::Abandoned,
                    _ => continue,
                };
                focus.targets.push(Target {
                    label: item.label.clone(),
                    status,
                });
            }
            _ => {}
        }
    }
    focuses
}

#[cfg(test)]
mod tests {
    use cdb_connector::records::DiagnosticItem;

    use super::*;

    fn item(
        kind: DiagnosticItemKind,
        code: &str,
        value: &str,
        parent: Option<&str>,
    ) -> DiagnosticItem {
        DiagnosticItem {
            kind,
            code: code.to_owned(),
            label: format!("label {code}"),
            value: value.to_owned(),
            parent_code: parent.map(str::to_owned),
        }
    }

    #[test]
    fn slugs_round_trip() {
        for theme in FocusTheme::ALL {
            assert_eq!(FocusTheme::from_slug(theme.slug()), Some(*theme));
            assert_eq!(
                serde_json::to_string(theme).unwrap(),
                format!("\"{}\"", theme.slug())
            );
        }
    }

    #[test]
    fn only_yes_constraints_open_a_focus() {
        use DiagnosticItemKind::*;
        let diagnostic = Diagnostic {
            updated_on: None,
            items: vec![
                item(Constraint, "23", "OUI", None),
                item(Situation, "7", "OUI", Some("23")),
                item(Situation, "6", "NON", Some("23")),
                item(Goal, "26", "EN_COURS", Some("23")),
                item(Goal, "27", "REALISE", Some("23")),
                item(Constraint, "27", "CLOTUREE", None),
                item(Goal, "20", "EN_COURS", Some("27")),
                item(Constraint, "99", "OUI", None),
            ],
        };
        let focuses = focuses(&diagnostic);
        assert_eq!(focuses.len(), 1);
        assert_eq!(focuses[0].theme, FocusTheme::Mobilite);
        assert_eq!(focuses[0].situations, vec!["label 7".to_owned()]);
        assert_eq!(
            focuses[0]
                .targets
                .iter()
                .map(|t| t.status)
                .collect::<Vec<_>>(),
            vec![TargetStatus::InProgress, TargetStatus::Done]
        );
    }
}
