//! The e-mails the original service sent on notebook events, in French: subject and plain-text
//! body. Pure functions; [`group`] queues them in the outbox in the transaction of the change.

pub mod group;

pub use crate::store::orientation::OrientationSummary;

/// An e-mail to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

const SIGNATURE: &str = "\n\nL'équipe Carnet de bord\n";

fn notebook_link(app_url: &str, notebook: uuid::Uuid) -> String {
    format!("{}/carnet/{notebook}", app_url.trim_end_matches('/'))
}

/// Subject of the e-mail telling someone their account exists (as in the original).
pub const ACCOUNT_CREATED_SUBJECT: &str = "Création de compte sur Carnet de bord";

/// "Création de compte sur Carnet de bord": an account was made for someone (`kind`: "professionnel",
/// "gestionnaire de structure"…; `detail`: ", pour la structure « X »" or empty), with how to log in.
pub fn account_created(app_url: &str, name: &str, email: &str, kind: &str, detail: &str) -> Notice {
    let login = format!("{}/auth/login", app_url.trim_end_matches('/'));
    Notice {
        subject: ACCOUNT_CREATED_SUBJECT.into(),
        body: format!(
            "Bonjour {name},\n\n\
             Un compte {kind} vient d'être créé pour vous sur Carnet de bord{detail}.\n\n\
             Pour vous connecter, rendez-vous sur {login} et saisissez votre adresse {email} : vous recevrez un lien de connexion, valable {minutes} minutes et utilisable une seule fois.\n\n\
             Si vous ne vous attendiez pas à ce message, ignorez-le.{SIGNATURE}",
            minutes = crate::auth::login::LOGIN_KEY_VALIDITY_MINUTES,
        ),
    }
}

/// To a structure administrator given one more structure to administer.
pub fn structure_added(app_url: &str, name: &str, structure: &str) -> Notice {
    let login = format!("{}/auth/login", app_url.trim_end_matches('/'));
    Notice {
        subject: format!("Vous pouvez désormais administrer la structure {structure}"),
        body: format!(
            "Bonjour {name},\n\nVous pouvez désormais administrer la structure « {structure} » sur Carnet de bord.\n\nConnectez-vous : {login}{SIGNATURE}"
        ),
    }
}

/// "Invitation à rejoindre un carnet de bord": a professional was added to a follow-up group.
pub fn notebook_invitation(
    app_url: &str,
    notebook: uuid::Uuid,
    beneficiary: &str,
    invited_by: Option<&str>,
) -> Notice {
    let by = invited_by
        .map(|name| format!(" par {name}"))
        .unwrap_or_default();
    Notice {
        subject: "Invitation à rejoindre un carnet de bord".into(),
        body: format!(
            "Bonjour,\n\nVous avez été invité{by} à rejoindre le groupe de suivi du carnet de bord de {beneficiary}.\n\nAccédez à Carnet de bord : {}{SIGNATURE}",
            notebook_link(app_url, notebook)
        ),
    }
}

/// To the former referent when another professional becomes the referent.
pub fn referent_changed(
    app_url: &str,
    notebook: uuid::Uuid,
    beneficiary: &str,
    new_referent: &str,
) -> Notice {
    Notice {
        subject: "Changement de référent d’un bénéficiaire".into(),
        body: format!(
            "Bonjour,\n\n{new_referent} est désormais le référent de {beneficiary}. Vous restez membre de son groupe de suivi.\n\nAccédez à Carnet de bord : {}{SIGNATURE}",
            notebook_link(app_url, notebook)
        ),
    }
}

/// "Orientation d’un bénéficiaire" / "Réorientation d’un bénéficiaire": to the former and new
/// referents after an orientation decision.
pub fn orientation(app_url: &str, notebook: uuid::Uuid, summary: &OrientationSummary) -> Notice {
    let subject = if summary.former_referents.is_empty() {
        "Orientation d’un bénéficiaire"
    } else {
        "Réorientation d’un bénéficiaire"
    };
    let mut body = format!(
        "Bonjour,\n\n{} a été orienté(e) en {}",
        summary.beneficiary, summary.orientation
    );
    if let Some(structure) = &summary.structure {
        body.push_str(&format!(" auprès de la structure {structure}"));
    }
    body.push_str(".\n");
    if let Some(address) = &summary.address {
        body.push_str(&format!("Adresse : {address}\n"));
    }
    match &summary.referent {
        Some(referent) => body.push_str(&format!("Référent : {referent}\n")),
        None => body.push_str("Aucun référent n'est désigné.\n"),
    }
    if !summary.former_referents.is_empty() {
        body.push_str(&format!(
            "Ancien(s) référent(s) : {}\n",
            summary.former_referents.join(", ")
        ));
    }
    body.push_str(&format!(
        "\nAccédez à Carnet de bord : {}{SIGNATURE}",
        notebook_link(app_url, notebook)
    ));
    Notice {
        subject: subject.into(),
        body,
    }
}

/// "Maintien de l’accompagnement": to the referent whose re-orientation request was denied.
pub fn request_denied(
    app_url: &str,
    notebook: uuid::Uuid,
    beneficiary: &str,
    reason: Option<&str>,
) -> Notice {
    let reason = reason
        .map(|r| format!("\nMotif : {r}\n"))
        .unwrap_or_default();
    Notice {
        subject: "Maintien de l’accompagnement".into(),
        body: format!(
            "Bonjour,\n\nVotre demande de réorientation pour {beneficiary} a été refusée : vous continuez son accompagnement.\n{reason}\nAccédez à Carnet de bord : {}{SIGNATURE}",
            notebook_link(app_url, notebook)
        ),
    }
}

/// « Récapitulatif suite à l'import du fichier CAF/MSA du DD/MM/YYYY »: to the deployment's
/// managers once a flux is applied (or rejected).
pub fn caf_report(
    date: &str,
    file_name: &str,
    report: &crate::domain::reports::FileReport,
    error: Option<&str>,
) -> Notice {
    let body = match error {
        Some(reason) => format!(
            "Bonjour,\n\nLe fichier {file_name} n'a pas été appliqué : il ne respecte pas le format du flux bénéficiaires ({reason}).\nIl est conservé ; un fichier corrigé peut être envoyé.{SIGNATURE}"
        ),
        None => format!(
            "Bonjour,\n\nLe fichier {file_name} a été appliqué.\n\nFoyers reçus : {}\nPersonnes reçues : {}\nPersonnes reconnues : {} (dont {} mises à jour, {} inchangées)\nCarnets créés (entrants soumis aux droits et devoirs) : {}\nPersonnes inconnues : {}\nRapprochements à vérifier : {}\nErreurs : {}{SIGNATURE}",
            report.households,
            report.persons,
            report.matched,
            report.updated,
            report.unchanged,
            report.created,
            report.unknown,
            report.possible_matches,
            report.errors
        ),
    };
    Notice {
        subject: format!("Récapitulatif suite à l'import du fichier CAF/MSA du {date}"),
        body,
    }
}

/// To a deployment's managers when a connector instance went stale: no successful run within
/// its threshold, so the data it brings (CAF/MSA rights, France Travail situations…) is getting
/// old.
pub fn connector_stale(
    name: &str,
    kind: &str,
    stale_after_hours: i32,
    last_success: Option<chrono::DateTime<chrono::Utc>>,
) -> Notice {
    let last = last_success.map_or_else(
        || "aucune exécution n'a encore réussi".to_owned(),
        |at| {
            format!(
                "la dernière exécution réussie date du {}",
                at.format("%d/%m/%Y à %H:%M UTC")
            )
        },
    );
    Notice {
        subject: format!("Connecteur « {name} » : données qui ne sont plus à jour"),
        body: format!(
            "Bonjour,\n\nLe connecteur « {name} » ({kind}) n'a réussi aucune exécution depuis plus de \
             {stale_after_hours} heures : {last}. Les données qu'il apporte ne sont plus mises à jour.\n\n\
             Consultez ses exécutions et leurs erreurs dans la console (Connecteurs), ou via \
             GET /v1/connectors/{{id}}/runs ; relancez-le une fois la cause corrigée. Vous ne serez \
             prévenu(e) à nouveau que s'il redevient à jour puis cesse de l'être.{SIGNATURE}"
        ),
    }
}

/// Subject of the managers' notice of the people due for the retention purge.
pub const RETENTION_DUE_SUBJECT: &str = "Personnes dont les données seront supprimées dans un mois";

/// To a deployment's managers, a month before: how many people will be purged for inactivity,
/// on which days, and where to see who they are and keep someone. The e-mail names nobody: a
/// list of RSA beneficiaries does not travel by e-mail (it is read in the hub, behind a
/// sign-in), and the notice does not outlive the people it would name.
pub fn retention_due(
    deployment: &str,
    retention_days: i32,
    purge_days: &std::collections::BTreeMap<chrono::NaiveDate, usize>,
) -> Notice {
    let total: usize = purge_days.values().sum();
    let mut body = format!(
        "Bonjour,\n\nLes données de {total} personne(s) de « {deployment} » seront supprimées : \
         aucune activité n'a été enregistrée depuis {retention_days} jours (connexion ou action \
         de la personne, rendez-vous, modification du plan d'action, orientation, droit \
         ouvert).\n\n",
    );
    for (day, count) in purge_days {
        body.push_str(&format!(
            "- le {} : {count} personne(s)\n",
            day.format("%d/%m/%Y")
        ));
    }
    body.push_str(
        "\nQui sont ces personnes : GET /v1/retention/due (connectez-vous au hub). Pour conserver \
         une personne, reportez sa suppression en indiquant un motif \
         (POST /v1/beneficiaries/{id}/retention-postponements) ; toute nouvelle activité la \
         conserve aussi.",
    );
    body.push_str(SIGNATURE);
    Notice {
        subject: RETENTION_DUE_SUBJECT.into(),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reorientation_names_the_former_referents_and_says_so_in_the_subject() {
        let notebook = uuid::Uuid::nil();
        let mut summary = OrientationSummary {
            beneficiary: "Ada Lovelace".into(),
            orientation: "Social".into(),
            structure: Some("CCAS".into()),
            referent: Some("Jean Dupont".into()),
            ..Default::default()
        };
        assert_eq!(
            orientation("https://x", notebook, &summary).subject,
            "Orientation d’un bénéficiaire"
        );
        summary.former_referents = vec!["Marie Curie".into()];
        let notice = orientation("https://x/", notebook, &summary);
        assert_eq!(notice.subject, "Réorientation d’un bénéficiaire");
        assert!(notice.body.contains("Marie Curie"));
        assert!(notice.body.contains("https://x/carnet/"));
    }
}
