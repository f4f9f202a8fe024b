//! What each problem `code` means and what to do about it, in French and English: the page
//! its `type` URI (`/problems/{code}`) serves.

use super::problem::ErrorCode;

/// Every code, in the order of the pages' index.
pub const ALL: [ErrorCode; 22] = [
    ErrorCode::BadRequest,
    ErrorCode::InvalidParameter,
    ErrorCode::ValidationFailed,
    ErrorCode::PurposeRequired,
    ErrorCode::Unauthenticated,
    ErrorCode::InvalidLoginKey,
    ErrorCode::InsufficientScope,
    ErrorCode::Forbidden,
    ErrorCode::NotFound,
    ErrorCode::MethodNotAllowed,
    ErrorCode::Conflict,
    ErrorCode::PreconditionFailed,
    ErrorCode::PreconditionRequired,
    ErrorCode::Gone,
    ErrorCode::IdempotencyKeyReused,
    ErrorCode::IdempotencyInProgress,
    ErrorCode::IdempotencyOutcomeUnknown,
    ErrorCode::PayloadTooLarge,
    ErrorCode::RateLimited,
    ErrorCode::UpstreamUnavailable,
    ErrorCode::DatabaseUnavailable,
    ErrorCode::InternalError,
];

/// A code's explanation in one language.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Explanation {
    /// What happened.
    pub meaning: &'static str,
    /// What the caller does next.
    pub what_to_do: &'static str,
}

/// A code's explanation in French and in English.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Guide {
    /// En français.
    pub fr: Explanation,
    /// In English.
    pub en: Explanation,
}

const fn guide(fr: [&'static str; 2], en: [&'static str; 2]) -> Guide {
    Guide {
        fr: Explanation {
            meaning: fr[0],
            what_to_do: fr[1],
        },
        en: Explanation {
            meaning: en[0],
            what_to_do: en[1],
        },
    }
}

/// The explanation of a code.
pub fn of(code: ErrorCode) -> Guide {
    match code {
        ErrorCode::BadRequest => guide(
            [
                "La requête est mal formée : corps illisible, JSON invalide ou en-tête incorrect.",
                "Corrigez la requête d'après le champ `detail` ; la renvoyer telle quelle donnera la même réponse.",
            ],
            [
                "The request is malformed: an unreadable body, invalid JSON or a wrong header.",
                "Fix the request as `detail` says; sending it again unchanged gets the same answer.",
            ],
        ),
        ErrorCode::InvalidParameter => guide(
            [
                "Un paramètre de chemin, de requête ou d'en-tête est invalide (un identifiant qui n'est pas un UUID, une limite hors bornes, un curseur altéré…).",
                "Corrigez le paramètre nommé dans `detail` ; un curseur se réutilise tel que l'API l'a donné.",
            ],
            [
                "A path, query or header parameter is invalid (an id that is not a UUID, a limit out of range, an altered cursor…).",
                "Fix the parameter named in `detail`; pass cursors back exactly as the API gave them.",
            ],
        ),
        ErrorCode::ValidationFailed => guide(
            [
                "Le corps est du JSON valide mais des champs manquent ou ont des valeurs refusées. `errors` les liste, champ par champ.",
                "Corrigez chaque champ de `errors` (son `code` est stable, son `message` explique) puis renvoyez.",
            ],
            [
                "The body is valid JSON but fields are missing or have refused values. `errors` lists them, field by field.",
                "Fix each field of `errors` (its `code` is stable, its `message` explains) and send again.",
            ],
        ),
        ErrorCode::PurposeRequired => guide(
            [
                "Un système partenaire lit des données personnelles sans en dire la finalité.",
                "Ajoutez l'en-tête `X-Purpose` (la raison de la lecture, en clair) : elle est inscrite au journal des accès de la personne.",
            ],
            [
                "A partner system reads personal data without saying why.",
                "Add the `X-Purpose` header (the reason for the read, in plain words): it is written in the person's access journal.",
            ],
        ),
        ErrorCode::Unauthenticated => guide(
            [
                "Aucun jeton valide : absent, expiré, révoqué ou mal signé.",
                "Obtenez un jeton (`POST /oauth/token` pour un système, lien de connexion pour une personne) et envoyez-le dans `Authorization: Bearer …`.",
            ],
            [
                "No valid token: missing, expired, revoked or badly signed.",
                "Get a token (`POST /oauth/token` for a system, a sign-in link for a person) and send it in `Authorization: Bearer …`.",
            ],
        ),
        ErrorCode::InvalidLoginKey => guide(
            [
                "Le lien de connexion est inconnu, expiré ou a déjà servi.",
                "Demandez un nouveau lien ; un lien ne sert qu'une fois.",
            ],
            [
                "The sign-in link is unknown, expired or already used.",
                "Ask for a new link; a link works once.",
            ],
        ),
        ErrorCode::InsufficientScope => guide(
            [
                "Le jeton n'a pas la portée (scope) qu'exige l'opération.",
                "Demandez au gestionnaire de votre déploiement d'ajouter la portée nommée dans `detail` à votre client, puis prenez un nouveau jeton.",
            ],
            [
                "The token lacks the scope the operation needs.",
                "Ask your deployment's manager to add the scope named in `detail` to your client, then take a new token.",
            ],
        ),
        ErrorCode::Forbidden => guide(
            [
                "Votre rôle ne permet pas cette opération (elle n'est pas de votre ressort).",
                "Faites-la faire par la personne habilitée que nomme `detail` (gestionnaire, référent, administrateur de structure…).",
            ],
            [
                "Your role may not do this (it is not yours to do).",
                "Have it done by the person `detail` names (manager, referent, structure administrator…).",
            ],
        ),
        ErrorCode::NotFound => guide(
            [
                "Rien à cette adresse, ou rien qui soit dans votre périmètre : la réponse est la même, pour ne rien révéler.",
                "Vérifiez l'identifiant ; si la ressource existe, elle est hors de votre périmètre (autre déploiement, autre structure, carnet dont vous n'êtes pas membre).",
            ],
            [
                "Nothing at this URL, or nothing within your reach: the answer is the same, so that it reveals nothing.",
                "Check the id; if the resource exists, it is outside your reach (another deployment, another structure, a notebook you are not a member of).",
            ],
        ),
        ErrorCode::MethodNotAllowed => guide(
            [
                "Cette ressource n'accepte pas cette méthode HTTP.",
                "Consultez le contrat (`/openapi.yaml`) pour les méthodes de cette adresse.",
            ],
            [
                "This resource does not accept this HTTP method.",
                "See the contract (`/openapi.yaml`) for this URL's methods.",
            ],
        ),
        ErrorCode::Conflict => guide(
            [
                "La ressource existe déjà, ou son état ne permet pas l'opération. Le document nomme souvent l'existante (`notebook_id`, `structure_id`…).",
                "Lisez la ressource nommée, puis décidez : la mettre à jour plutôt que la créer, ou attendre le bon état.",
            ],
            [
                "The resource already exists, or its state does not allow the operation. The document often names the existing one (`notebook_id`, `structure_id`…).",
                "Read the named resource, then decide: update it rather than create it, or wait for the right state.",
            ],
        ),
        ErrorCode::PreconditionFailed => guide(
            [
                "Le carnet a changé depuis la version envoyée dans `If-Match` : quelqu'un d'autre l'a modifié.",
                "Relisez-le (`current_etag` donne la version actuelle), réappliquez votre modification, renvoyez avec le nouvel `ETag`.",
            ],
            [
                "The notebook changed since the version sent in `If-Match`: someone else modified it.",
                "Read it again (`current_etag` gives the current version), re-apply your change, send with the new `ETag`.",
            ],
        ),
        ErrorCode::PreconditionRequired => guide(
            [
                "Une modification doit dire quelle version elle modifie.",
                "Lisez la ressource, puis envoyez son `ETag` dans `If-Match`.",
            ],
            [
                "An update must say which version it changes.",
                "Read the resource, then send its `ETag` in `If-Match`.",
            ],
        ),
        ErrorCode::IdempotencyKeyReused => guide(
            [
                "Cette `Idempotency-Key` a déjà servi pour une autre requête (autre chemin ou autre corps).",
                "Prenez une nouvelle clé pour chaque nouvelle requête ; ne réutilisez une clé que pour renvoyer exactement la même.",
            ],
            [
                "This `Idempotency-Key` was already used for another request (another path or body).",
                "Use a new key for each new request; reuse a key only to send exactly the same one again.",
            ],
        ),
        ErrorCode::IdempotencyInProgress => guide(
            [
                "La première requête avec cette clé est encore en cours.",
                "Attendez quelques secondes et renvoyez la même requête avec la même clé : vous recevrez sa réponse.",
            ],
            [
                "The first request with this key is still running.",
                "Wait a few seconds and send the same request with the same key: you will get its answer.",
            ],
        ),
        ErrorCode::IdempotencyOutcomeUnknown => guide(
            [
                "Le hub s'est arrêté pendant la première requête avec cette clé : on ne sait pas si elle a été faite, et elle ne sera pas rejouée avec cette clé.",
                "Lisez la ressource pour savoir si l'opération a eu lieu ; sinon, renvoyez-la avec une nouvelle clé.",
            ],
            [
                "The hub stopped while it ran the first request with this key: whether it was done is unknown, and it is not run again with this key.",
                "Read the resource to learn whether it happened; if not, send it again with a new key.",
            ],
        ),
        ErrorCode::Gone => guide(
            [
                "Le contenu demandé (le fichier d'un import, d'un flux) a été supprimé à la fin de sa durée de conservation ; les comptes et les résultats par ligne restent.",
                "Déposez le fichier à nouveau, dans un nouvel import. La durée de conservation du déploiement se lit sur `GET /v1/deployments/{id}/retention`.",
            ],
            [
                "The content asked for (an import's or a flux's file) was deleted at the end of its retention period; the counts and per-line outcomes remain.",
                "Upload the file again, as a new import. The deployment's retention is at `GET /v1/deployments/{id}/retention`.",
            ],
        ),
        ErrorCode::PayloadTooLarge => guide(
            [
                "Le corps dépasse la taille que cette opération accepte (`detail` la donne).",
                "Découpez l'envoi : des lots plus petits, ou un fichier avec moins de lignes ou de colonnes.",
            ],
            [
                "The body is larger than this operation accepts (`detail` gives the size).",
                "Split it: smaller batches, or a file with fewer lines or columns.",
            ],
        ),
        ErrorCode::RateLimited => guide(
            [
                "Trop de requêtes : votre quota par minute est atteint. `RateLimit-Policy` et `RateLimit` donnent le quota et ce qu'il en reste.",
                "Attendez le nombre de secondes de `Retry-After`, puis reprenez à un rythme plus régulier.",
            ],
            [
                "Too many requests: your quota per minute is spent. `RateLimit-Policy` and `RateLimit` give the quota and what is left.",
                "Wait for the seconds of `Retry-After`, then resume at a steadier pace.",
            ],
        ),
        ErrorCode::UpstreamUnavailable => guide(
            [
                "Un système que le hub appelle pour vous (France Travail, le serveur d'un département) a échoué ou refusé.",
                "Réessayez plus tard ; si cela dure, prévenez l'exploitant du hub avec le `request_id`.",
            ],
            [
                "A system the hub calls for you (France Travail, a département's server) failed or refused.",
                "Try again later; if it lasts, tell the hub's operator the `request_id`.",
            ],
        ),
        ErrorCode::DatabaseUnavailable => guide(
            [
                "La base de données du hub est injoignable ou pas encore migrée.",
                "Réessayez dans quelques instants ; `/readyz` dit quand le hub est prêt.",
            ],
            [
                "The hub's database cannot be reached or is not migrated yet.",
                "Try again in a moment; `/readyz` says when the hub is ready.",
            ],
        ),
        ErrorCode::InternalError => guide(
            [
                "Une erreur inattendue du hub. Ses détails sont dans le journal du serveur, sous le `request_id`.",
                "Réessayez ; si elle se répète, transmettez le `request_id` à l'exploitant du hub.",
            ],
            [
                "An unexpected error of the hub. Its details are in the server log, under the `request_id`.",
                "Try again; if it repeats, give the `request_id` to the hub's operator.",
            ],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once() {
        let names: std::collections::BTreeSet<String> = ALL
            .iter()
            .map(|code| {
                serde_json::to_value(code)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(names.len(), ALL.len());
        let schema = serde_json::to_value(<ErrorCode as utoipa::PartialSchema>::schema()).unwrap();
        let declared = schema["enum"].as_array().map(Vec::len).unwrap_or_default();
        assert_eq!(declared, ALL.len(), "a code without its page: {schema}");
    }
}
