//! What a console page answers when it cannot show what was asked: the sign-in page for a
//! visitor without a session, and otherwise an HTML page in French with the right status.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::api::problem::{ApiError, ErrorCode};

/// Why a console page is not shown.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No session (or an expired one): sign in, then come back to `next`.
    #[error("sign in first")]
    SignIn {
        /// The page to come back to.
        next: String,
    },
    /// Nothing here within the visitor's reach.
    #[error("not found")]
    NotFound,
    /// The visitor's role does not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A form came from another site, or without its token.
    #[error("forged form")]
    Forged,
    /// What the API would answer.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<actix_web::error::BlockingError> for ConsoleError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ConsoleError::Api(ApiError::from(error))
    }
}

impl ConsoleError {
    /// A read's error: the console's own « page introuvable » for what is out of reach.
    pub fn read(error: ApiError) -> Self {
        match error.code() {
            ErrorCode::NotFound => ConsoleError::NotFound,
            _ => ConsoleError::Api(error),
        }
    }

    /// The status, title and message of the page.
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            ConsoleError::SignIn { .. } => (
                StatusCode::SEE_OTHER,
                "Connexion requise",
                "Connectez-vous pour continuer.".into(),
            ),
            ConsoleError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page introuvable",
                "Cette page n'existe pas, ou elle ne vous est pas accessible.".into(),
            ),
            ConsoleError::Forbidden(message) => {
                (StatusCode::FORBIDDEN, "Accès refusé", message.clone())
            }
            ConsoleError::Forged => (
                StatusCode::FORBIDDEN,
                "Formulaire refusé",
                "Ce formulaire ne vient pas de la console, ou sa session a changé : rechargez la page et recommencez.".into(),
            ),
            ConsoleError::Api(error) => {
                let status = error.status_code();
                let (title, message) = match error.code() {
                    ErrorCode::NotFound => (
                        "Page introuvable",
                        "Cette page n'existe pas, ou elle ne vous est pas accessible.".to_owned(),
                    ),
                    ErrorCode::Forbidden | ErrorCode::InsufficientScope => (
                        "Accès refusé",
                        "Votre rôle ne permet pas cette action.".to_owned(),
                    ),
                    ErrorCode::Conflict => (
                        "Action impossible pour l'instant",
                        "L'état a changé entre-temps (un import déjà validé, une exécution déjà en cours…) : rechargez la page.".to_owned(),
                    ),
                    ErrorCode::PayloadTooLarge => (
                        "Fichier trop volumineux",
                        "Le fichier dépasse 50 Mo : découpez-le ou exportez moins de colonnes.".to_owned(),
                    ),
                    ErrorCode::DatabaseUnavailable => (
                        "Service momentanément indisponible",
                        "La base de données ne répond pas : réessayez dans quelques minutes.".to_owned(),
                    ),
                    ErrorCode::RateLimited => (
                        "Trop de requêtes",
                        "Patientez une minute avant de recommencer.".to_owned(),
                    ),
                    ErrorCode::InternalError => (
                        "Erreur inattendue",
                        "Une erreur inattendue s'est produite ; elle a été enregistrée. Réessayez, ou contactez l'équipe avec l'heure de l'erreur.".to_owned(),
                    ),
                    _ => ("Demande invalide", error.detail().to_owned()),
                };
                (status, title, message)
            }
        }
    }

    /// The HTML page of this error.
    pub fn page(&self) -> HttpResponse {
        if let ConsoleError::SignIn { next } = self {
            let target = format!(
                "/console/connexion?suite={}",
                percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
            );
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .finish();
        }
        let (status, title, message) = self.parts();
        let body = super::render::error_page(title, &message, status.as_u16());
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        self.page()
    }
}

/// A console path that is no page.
pub async fn not_found(_request: HttpRequest) -> HttpResponse {
    ConsoleError::NotFound.page()
}
