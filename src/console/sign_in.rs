//! Signing in to the console with the magic link: ask for a link by e-mail, open it (a page
//! with a button: mail scanners that fetch links do not spend the one-time key), and the
//! session cookie; signing out revokes the session.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::error::ConsoleError;
use super::render::{self, Frame};
use super::session::{self, Session};
use crate::api::db::with_conn;
use crate::api::state::AppState;
use crate::auth::login::{self, LinkTo};
use crate::domain::role::Role;

/// Where to go after signing in.
#[derive(Debug, Deserialize)]
pub struct Next {
    /// A console path (anything else is ignored).
    pub suite: Option<String>,
}

/// A console path to come back to; `/console` for anything else (no open redirect).
fn next_path(asked: Option<&str>) -> String {
    match asked {
        Some(path)
            if path.starts_with("/console")
                && !path.starts_with("//")
                && !path.contains(['\\', '\r', '\n'])
                && !path.starts_with("/console/connexion") =>
        {
            path.to_owned()
        }
        _ => "/console".to_owned(),
    }
}

#[derive(Serialize)]
struct SignInPage {
    suite: String,
    email: String,
    error: Option<&'static str>,
}

fn with_form_cookie(
    mut response: HttpResponse,
    cookie: Option<actix_web::cookie::Cookie<'static>>,
) -> HttpResponse {
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

/// `GET /console/connexion`: the e-mail form (or the console, for someone signed in).
pub async fn form(
    request: HttpRequest,
    next: web::Query<Next>,
) -> Result<HttpResponse, ConsoleError> {
    let suite = next_path(next.suite.as_deref());
    if session::session(&request).await.is_ok() {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, suite))
            .finish());
    }
    let (csrf, cookie) = session::form_token(&request);
    let frame = Frame::new("Connexion", "connexion", None, csrf);
    let page = SignInPage {
        suite,
        email: String::new(),
        error: None,
    };
    Ok(with_form_cookie(
        render::page("sign_in.html", &frame, &page)?,
        cookie,
    ))
}

/// The e-mail form, sent.
#[derive(Debug, Deserialize)]
pub struct LinkRequest {
    email: String,
    csrf: Option<String>,
    suite: Option<String>,
}

/// `POST /console/connexion`: e-mails a sign-in link to the console when the address is an
/// account's; the answer is the same either way.
pub async fn request_link(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LinkRequest>,
) -> Result<HttpResponse, ConsoleError> {
    let form = form.into_inner();
    session::check_form_token(&request, form.csrf.as_deref())?;
    let suite = next_path(form.suite.as_deref());
    let (csrf, cookie) = session::form_token(&request);
    let Ok(email) = cdb_connector::records::Email::parse(&form.email) else {
        let frame = Frame::new("Connexion", "connexion", None, csrf);
        let page = SignInPage {
            suite,
            email: form.email.chars().take(254).collect(),
            error: Some(
                "Saisissez une adresse électronique valide, par exemple prenom.nom@departement.fr.",
            ),
        };
        let body = render::render("sign_in.html", &frame, &page)?;
        return Ok(with_form_cookie(
            render::html(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, body),
            cookie,
        ));
    };
    let public_url = state.auth.public_url.clone();
    with_conn(&state.pool, move |conn| {
        Ok(login::request_to(
            conn,
            email.as_str(),
            LinkTo::Console(&public_url),
        )?)
    })
    .await?;
    let frame = Frame::new("Vérifiez votre messagerie", "connexion", None, csrf);
    Ok(with_form_cookie(
        render::page("sign_in_sent.html", &frame, &minijinja::context! {})?,
        cookie,
    ))
}

#[derive(Serialize)]
struct ConfirmPage {
    key: String,
    error: Option<&'static str>,
}

/// `GET /console/connexion/{key}`: the page of the link, with the button that opens the
/// session (the key is spent only by the button).
pub async fn confirm(
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let (csrf, cookie) = session::form_token(&request);
    let frame = Frame::new("Se connecter", "connexion", None, csrf);
    let page = ConfirmPage {
        key: key.into_inner().chars().take(128).collect(),
        error: None,
    };
    Ok(with_form_cookie(
        render::page("sign_in_confirm.html", &frame, &page)?,
        cookie,
    ))
}

/// The button's form.
#[derive(Debug, Deserialize)]
pub struct OpenForm {
    csrf: Option<String>,
}

/// `POST /console/connexion/{key}`: spends the key, opens the session and sets its cookie.
pub async fn open(
    request: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
    form: web::Form<OpenForm>,
) -> Result<HttpResponse, ConsoleError> {
    session::check_form_token(&request, form.csrf.as_deref())?;
    let key = key.into_inner();
    let hours = state.auth.session_lifetime_hours;
    let opened = with_conn(&state.pool, move |conn| {
        let Some(session) = login::open_session(conn, key.trim(), Duration::hours(hours))? else {
            return Ok(None);
        };
        // The console is for the professionals who follow people, not for the people.
        if session.account.role == Role::Beneficiary {
            let token_hash = crate::auth::secrets::sha256_hex(&session.token);
            crate::store::accounts::revoke_token_by_hash(conn, &token_hash)?;
            return Ok(Some(Err(())));
        }
        Ok(Some(Ok(session)))
    })
    .await?;
    match opened {
        Some(Ok(session)) => {
            let cookie = session::session_cookie(&request, session.token, hours);
            let mut response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/console"))
                .finish();
            let _ = response.add_cookie(&cookie);
            Ok(response)
        }
        Some(Err(())) => Err(ConsoleError::Forbidden(
            "La console est réservée aux professionnels et aux gestionnaires ; votre carnet se consulte dans Carnet de bord.".into(),
        )),
        None => {
            let (csrf, cookie) = session::form_token(&request);
            let frame = Frame::new("Lien expiré", "connexion", None, csrf);
            let page = ConfirmPage {
                key: String::new(),
                error: Some("Ce lien de connexion est inconnu, expiré ou déjà utilisé. Demandez-en un nouveau : il est valable 15 minutes et ne sert qu'une fois."),
            };
            let body = render::render("sign_in_confirm.html", &frame, &page)?;
            Ok(with_form_cookie(
                render::html(actix_web::http::StatusCode::BAD_REQUEST, body),
                cookie,
            ))
        }
    }
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
pub struct CloseForm {
    csrf: Option<String>,
}

/// `POST /console/deconnexion`: revokes the session and removes its cookie.
pub async fn close(
    request: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<CloseForm>,
) -> Result<HttpResponse, ConsoleError> {
    session.check(form.csrf.as_deref())?;
    if let Some(account) = session.caller.account().cloned() {
        with_conn(&state.pool, move |conn| {
            Ok(crate::store::accounts::revoke_token(
                conn,
                account.account_id,
                account.token_id,
            )?)
        })
        .await?;
    }
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/connexion"))
        .finish();
    let _ = response.add_cookie(&session::removed_session_cookie(&request));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::next_path;

    #[test]
    fn only_console_paths_are_followed_after_signing_in() {
        assert_eq!(next_path(Some("/console/imports")), "/console/imports");
        assert_eq!(next_path(Some("https://evil.example/")), "/console");
        assert_eq!(next_path(Some("//evil.example/console")), "/console");
        assert_eq!(next_path(Some("/console\\@evil")), "/console");
        assert_eq!(next_path(Some("/v1/beneficiaries")), "/console");
        assert_eq!(next_path(None), "/console");
    }
}
