//! The French words the console shows for the hub's names (roles, kinds of file, states).

use crate::domain::role::Role;
use crate::domain::states::{ImportKind, ImportStatus, LineStatus};

/// A role, as agents name it.
pub fn role(role: Role) -> &'static str {
    match role {
        Role::AdminCdb => "Administrateur national",
        Role::Manager => "Gestionnaire du déploiement",
        Role::AdminStructure => "Administrateur de structure",
        Role::OrientationManager => "Chargé d'orientation",
        Role::Professional => "Professionnel",
        Role::Beneficiary => "Bénéficiaire",
    }
}

/// A kind of file, as the original service's templates name it.
pub fn import_kind(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Beneficiaries => "Bénéficiaires",
        ImportKind::Structures => "Structures",
        ImportKind::Professionals => "Professionnels d'une structure",
        ImportKind::Reorientations => "Réorientations",
        ImportKind::OrientationManagers => "Chargés d'orientation",
        ImportKind::Rattachements => "Rattachements à des professionnels",
    }
}

/// Where an import stands, and the badge's colour (`info`, `success`, `error`, `new`).
pub fn import_status(status: ImportStatus) -> (&'static str, &'static str) {
    match status {
        ImportStatus::Received => ("En attente", "new"),
        ImportStatus::Previewing => ("Analyse en cours", "info"),
        ImportStatus::Previewed => ("Aperçu prêt", "info"),
        ImportStatus::Committing => ("Import en cours", "info"),
        ImportStatus::Committed => ("Importé", "success"),
        ImportStatus::Failed => ("Échec", "error"),
    }
}

/// What a line became (or would become, in a preview).
pub fn line_status(status: LineStatus, preview: bool) -> &'static str {
    match (status, preview) {
        (LineStatus::Create, true) => "Sera créé",
        (LineStatus::Create, false) => "Créé",
        (LineStatus::Update, true) => "Sera mis à jour",
        (LineStatus::Update, false) => "Mis à jour",
        (LineStatus::Unchanged, _) => "Inchangé",
        (LineStatus::PossibleMatch, _) => "Rapprochement à vérifier",
        (LineStatus::Error, _) => "Erreur",
    }
}

/// A date and time in Paris time, as agents read it (`06/12/2026 à 18:30`).
pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y à %H:%M")
        .to_string()
}

/// A person's field (its column name, as line results name it), as agents name it; the name
/// itself for a field the console does not know.
pub fn field(name: &str) -> String {
    let label = match name {
        "firstname" => "Prénom",
        "lastname" => "Nom",
        "date_of_birth" => "Date de naissance",
        "place_of_birth" => "Lieu de naissance",
        "nir" => "NIR",
        "caf_organisation" => "Organisme payeur",
        "caf_number" => "Numéro d'allocataire",
        "household_role" => "Rôle dans le foyer",
        "france_travail_id" => "Identifiant France Travail",
        "external_id" => "Identifiant dans le SI du département",
        "external_role" => "Rôle dans le SI du département",
        "email" => "Courriel",
        "mobile_number" => "Téléphone",
        "address1" => "Adresse",
        "address2" => "Complément d'adresse",
        "postal_code" => "Code postal",
        "city" => "Ville",
        "right_rsa" => "Droit RSA",
        "right_are" => "Droit ARE",
        "right_ass" => "Droit ASS",
        "right_bonus" => "Prime d'activité",
        "is_homeless" => "Sans domicile stable",
        "subject_to_right_and_duty" => "Soumis aux droits et devoirs",
        "rsa_suspension_reason" => "Motif de suspension du RSA",
        "rsa_closure_reason" => "Motif de clôture du RSA",
        "rsa_closure_date" => "Date de clôture du RSA",
        "family_situation" => "Situation familiale",
        "work_situation" => "Situation professionnelle",
        "education_level" => "Niveau de formation",
        "rqth" => "RQTH",
        "wanted_jobs" => "Métiers recherchés",
        "mobility" => "Mobilité",
        "structures" => "Structures",
        "referent" => "Référent",
        "members" => "Groupe de suivi",
        "member_type" => "Rôle dans le groupe",
        "active" => "Actif",
        "role" => "Rôle",
        "structure_name" => "Structure",
        "joined_at" => "Depuis le",
        "left_at" => "Jusqu'au",
        "focuses" | "focus" => "Axes de travail",
        "theme" => "Thème",
        "targets" | "target" => "Objectifs",
        "status" => "Statut",
        "actions" | "action" => "Actions",
        "appointments" | "appointment" => "Rendez-vous",
        "date" => "Date",
        "socio_pro" => "Diagnostic socioprofessionnel",
        "work_situation_date" => "Situation depuis le",
        "work_situation_end_date" => "Situation jusqu'au",
        "last_job_ended_at" => "Fin du dernier emploi",
        "right_rqth" => "RQTH",
        "situations" | "situation" => "Situations",
        "description" => "Description",
        "since" => "Depuis le",
        "projects" | "professional_project" => "Projets professionnels",
        "rome_code" => "Code ROME",
        "rome_label" => "Métier",
        "mobility_radius" => "Rayon de mobilité (km)",
        "hourly_rate_cents" => "Salaire horaire souhaité (centimes)",
        "contract_type" => "Type de contrat",
        "employment_type" => "Temps de travail",
        "contract" => "Contrat d'engagement",
        "sign_date" => "Signé le",
        "start_date" => "Début",
        "end_date" => "Fin",
        "orientation" => "Orientation",
        "orientation_system_name" => "Dispositif d'accompagnement",
        "orientation_type" => "Type d'orientation",
        "reason" => "Motif",
        "version" => "Version",
        "created_at" => "Créé le",
        "updated_at" => "Mis à jour le",
        "member" => "Groupe de suivi",
        "households" => "Foyers",
        "persons" => "Personnes",
        "matched" => "Reconnues",
        "updated" => "Mises à jour",
        "unchanged" => "Inchangées",
        "unknown" => "Inconnues",
        "unknown_people" => "Personnes inconnues du déploiement",
        "possible_matches" | "possible_match" => "Rapprochements à vérifier",
        "created" => "Créées",
        "warnings" => "Avertissements",
        "errors" | "error" => "Erreurs",
        "read" => "Lues",
        "applied" => "Appliquées",
        other => return other.to_owned(),
    };
    label.to_owned()
}

/// A value of an API document as agents read it: text without quotes, « oui »/« non », nothing
/// for null.
pub fn value(value: Option<&serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(serde_json::Value::Bool(true)) => "oui".into(),
        Some(serde_json::Value::Bool(false)) => "non".into(),
        Some(other) => other.to_string(),
    }
}

/// A person's field (its column) in the API's view of them: at the top, or among `rights`
/// (where `right_rsa` is `rsa`).
pub fn person_field<'a>(
    view: &'a serde_json::Value,
    column: &str,
) -> Option<&'a serde_json::Value> {
    let rights = view.get("rights");
    view.get(column)
        .or_else(|| rights.and_then(|r| r.get(column)))
        .or_else(|| {
            column
                .strip_prefix("right_")
                .and_then(|short| rights.and_then(|r| r.get(short)))
        })
}
