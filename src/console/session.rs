//! The console's session: a cookie holding the session token the magic link opened (the API
//! takes the same token as a bearer; the API itself never reads the cookie, so it needs no CSRF
//! defence), the person's caller built from it exactly as the API builds it, and the CSRF
//! defences of every form: a token bound to the session (or, before sign-in, to a form cookie),
//! and a refusal of any POST a browser says came from another site.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, web};

use super::error::ConsoleError;
use super::render::Visitor;
use crate::api::db::with_conn;
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::auth::secrets;
use crate::domain::scopes::Scope;

/// The cookie holding the session token.
pub const SESSION_COOKIE: &str = crate::api::caller::CONSOLE_SESSION_COOKIE;

/// The cookie binding the sign-in forms' token before there is a session.
pub const FORM_COOKIE: &str = "cdb_console_form";

/// A signed-in person on a console page.
pub struct Session {
    /// The caller, as the API would see this person's session token.
    pub caller: Caller,
    /// How the header shows them.
    pub visitor: Visitor,
    token: String,
}

impl Session {
    /// The token this session's forms carry.
    pub fn csrf(&self) -> String {
        csrf_of(&self.token)
    }

    /// Refuses a form whose token is not this session's.
    pub fn check(&self, submitted: Option<&str>) -> Result<(), ConsoleError> {
        check_token(&self.csrf(), submitted)
    }
}

/// The CSRF token bound to a secret (the session token, or the form cookie): a digest, so the
/// page never shows the secret itself.
fn csrf_of(secret: &str) -> String {
    secrets::sha256_hex(&format!("cdb-console-csrf:{secret}"))
}

/// Compares a submitted token with the expected one, in constant time.
fn check_token(expected: &str, submitted: Option<&str>) -> Result<(), ConsoleError> {
    let submitted = submitted.unwrap_or_default().as_bytes();
    let expected = expected.as_bytes();
    let same = submitted.len() == expected.len()
        && submitted
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same && !expected.is_empty() {
        Ok(())
    } else {
        Err(ConsoleError::Forged)
    }
}

/// The page a visitor asked for, to come back to after signing in.
fn asked(request: &HttpRequest) -> String {
    match request.method() {
        &Method::GET => request
            .uri()
            .path_and_query()
            .map_or("/console", |p| p.as_str())
            .to_owned(),
        _ => "/console".to_owned(),
    }
}

/// The signed-in person of a request, or the sign-in page.
pub async fn session(request: &HttpRequest) -> Result<Session, ConsoleError> {
    let sign_in = || ConsoleError::SignIn {
        next: asked(request),
    };
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(sign_in)?
        .clone();
    let token = request
        .cookie(SESSION_COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .filter(|token| token.starts_with("cdbt_"))
        .ok_or_else(sign_in)?;
    // The rate limiter already authenticated the cookie for this request.
    let known = request.extensions().get::<Caller>().cloned();
    let caller = match known {
        Some(caller) => caller,
        None => crate::api::caller::authenticate(&state, token.clone())
            .await
            .map_err(|_| sign_in())?,
    };
    let account = caller.account().cloned().ok_or_else(sign_in)?;
    // A personal access token set as the cookie by hand is not a session.
    if !account.is_session {
        return Err(sign_in());
    }
    let display = with_conn(&state.pool, move |conn| {
        Ok(crate::store::accounts::display(conn, account.account_id)?)
    })
    .await?
    .ok_or_else(sign_in)?;
    let name = match display.name.trim() {
        "" => display.email.clone().unwrap_or_default(),
        name => name.to_owned(),
    };
    let visitor = Visitor {
        name,
        role: super::labels::role(account.role),
        deployment: display.deployment,
        imports: crate::auth::policy::imports_anything(&caller)
            && caller.scopes.contains(Scope::ImportsWrite),
        people: caller.scopes.contains(Scope::BeneficiariesRead),
        matches: crate::api::matches::managed_deployment(&caller).is_ok(),
        connectors: crate::api::connectors::administrators(&caller).is_ok(),
    };
    Ok(Session {
        caller,
        visitor,
        token,
    })
}

impl FromRequest for Session {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move { session(&request).await })
    }
}

/// Whether the console's cookies must be `Secure`: the hub is public over https, or this
/// request came over https.
fn secure(request: &HttpRequest) -> bool {
    let public = request
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.auth.public_url.starts_with("https://"));
    public || request.connection_info().scheme() == "https"
}

/// The session cookie for a new session token.
pub fn session_cookie(request: &HttpRequest, token: String, hours: i64) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure(request))
        .max_age(CookieDuration::hours(hours))
        .finish()
}

/// The cookie that removes the session cookie.
pub fn removed_session_cookie(request: &HttpRequest) -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "")
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure(request))
        .finish();
    cookie.make_removal();
    cookie
}

/// The token of the sign-in forms, and the form cookie to set when the visitor has none yet.
pub fn form_token(request: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    match request.cookie(FORM_COOKIE) {
        Some(cookie) if cookie.value().len() >= 32 => (csrf_of(cookie.value()), None),
        _ => {
            let secret = secrets::random_token(32);
            let cookie = Cookie::build(FORM_COOKIE, secret.clone())
                .path("/console")
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(secure(request))
                .finish();
            (csrf_of(&secret), Some(cookie))
        }
    }
}

/// Refuses a sign-in form whose token is not bound to the visitor's form cookie.
pub fn check_form_token(
    request: &HttpRequest,
    submitted: Option<&str>,
) -> Result<(), ConsoleError> {
    let expected = request
        .cookie(FORM_COOKIE)
        .map(|cookie| csrf_of(cookie.value()))
        .unwrap_or_default();
    check_token(&expected, submitted)
}

/// Refuses, before reading its body, any console POST that a browser says came from another
/// site (`Sec-Fetch-Site`), or whose `Origin` is not the host it was sent to.
pub async fn same_origin_posts(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let headers = request.headers();
        let fetch_site = headers
            .get("sec-fetch-site")
            .and_then(|value| value.to_str().ok());
        let cross_site = !matches!(fetch_site, None | Some("same-origin" | "none"));
        let host = headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let other_origin = headers
            .get(header::ORIGIN)
            .map(|value| {
                value
                    .to_str()
                    .ok()
                    .and_then(|origin| origin.split_once("://").map(|(_, rest)| rest))
                    .is_none_or(|origin_host| !origin_host.eq_ignore_ascii_case(host))
            })
            .unwrap_or(false);
        if cross_site || other_origin {
            tracing::warn!(
                path = request.path(),
                fetch_site,
                "console: cross-site form refused"
            );
            let response = ConsoleError::Forged.page();
            return Ok(request.into_response(response).map_into_right_body());
        }
    }
    Ok(next.call(request).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_accepted_only_when_it_is_the_expected_one() {
        let expected = csrf_of("cdbt_secret");
        assert!(check_token(&expected, Some(&expected)).is_ok());
        assert!(check_token(&expected, Some(&csrf_of("cdbt_other"))).is_err());
        assert!(check_token(&expected, None).is_err());
        assert!(check_token(&expected, Some("")).is_err());
        assert!(check_token("", Some("")).is_err());
    }
}
