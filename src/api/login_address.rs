//! Where a person's login links go (`PUT /v1/beneficiaries/{id}/login-email`). It is not a
//! data field: data exchange changes the person's contact e-mail, never their login address.
//! Only the person themself or a manager (in a session) changes it, and the old address is told.

use actix_web::{HttpResponse, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::db::with_conn;
use super::journal::{self, Access};
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::auth::caller::{Caller, Principal};
use crate::auth::policy;
use crate::domain::role::Role;
use crate::store;

/// The new login address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginAddress {
    /// Where login links are sent from now on.
    pub email: String,
}

/// What changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginAddressChanged {
    /// The person's account.
    pub account_id: Uuid,
    /// The new login address.
    pub email: String,
    /// Whether the previous address was told of the change.
    pub previous_address_notified: bool,
}

/// Who may change a person's login address: the person in their own session, a manager or a
/// national administrator in a session (a personal token never: a leaked one must not hand
/// out a login). Applied on a person within reach.
fn may_change_login_address(caller: &Caller) -> bool {
    match &caller.principal {
        Principal::Account(account) => {
            account.is_session
                && matches!(
                    account.role,
                    Role::Beneficiary | Role::Manager | Role::AdminCdb
                )
        }
        Principal::Client(_) => false,
    }
}

fn valid_email(email: &str) -> bool {
    let email = email.trim();
    email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        })
}

/// Changes where a person's login links are sent (creating their account if they had none);
/// the previous address receives a notice of the change.
#[utoipa::path(
    tag = "people",
    params(("id" = Uuid, Path, description = "Beneficiary id.")),
    request_body = LoginAddress,
    responses(
        (status = 200, description = "Changed.", body = LoginAddressChanged),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the person or a manager, in a session, changes a login address.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such beneficiary within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another account logs in with this address.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an e-mail address.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/v1/beneficiaries/{id}/login-email")]
pub async fn set_login_email(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<LoginAddress>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let email = body.into_inner().email.trim().to_owned();
    let reach = policy::beneficiaries(&caller);
    let allowed = may_change_login_address(&caller);
    let app_url = state.auth.app_url.clone();
    let changed = with_conn(&state.pool, move |conn| {
        store::transaction(conn, |conn| {
            let Some(row) = store::people::get(conn, store::reach::beneficiaries(reach), id)?
            else {
                return Err(ApiError::not_found("beneficiary"));
            };
            let entry = |allowed: bool| {
                journal::entry(
                    &caller,
                    id,
                    Some(row.deployment_id),
                    Access::Write,
                    "PUT /v1/beneficiaries/{id}/login-email",
                    allowed,
                    None,
                )
            };
            if !allowed {
                store::access_log::record(conn, &[entry(false)])?;
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    "Only the person themself or a manager, in a session, changes a login address.",
                ));
            }
            if !valid_email(&email) {
                return Err(ApiError::new(
                    ErrorCode::ValidationFailed,
                    format!("{email:?} is not an e-mail address."),
                ));
            }
            let taken = store::accounts::by_email(conn, &email)?;
            let change = store::accounts::set_beneficiary_login_email(conn, id, row.deployment_id, &email)?;
            if taken.iter().any(|account| *account != change.account_id) {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    "Another account already logs in with this address.",
                ));
            }
            let notified = match change.previous.as_deref() {
                Some(previous) if !previous.eq_ignore_ascii_case(&email) => {
                    store::outbox::queue(
                        conn,
                        previous,
                        "Votre adresse de connexion à Carnet de bord a changé",
                        &format!(
                            "Bonjour,\n\nL'adresse à laquelle vous recevez vos liens de connexion à Carnet de bord vient d'être changée : ils seront désormais envoyés à une autre adresse.\n\nSi vous n'êtes pas à l'origine de ce changement, contactez votre référent ou le service RSA de votre département.\n\n{}\n\nL'équipe Carnet de bord\n",
                            app_url.trim_end_matches('/')
                        ),
                    )?;
                    true
                }
                _ => false,
            };
            store::access_log::record(conn, &[entry(true)])?;
            Ok(LoginAddressChanged {
                account_id: change.account_id,
                email: email.clone(),
                previous_address_notified: notified,
            })
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(changed))
}

#[cfg(test)]
mod tests {
    use super::valid_email;

    #[test]
    fn login_addresses_are_plain_e_mails() {
        assert!(valid_email("marie.dupont@example.fr"));
        assert!(!valid_email("marie dupont@example.fr"));
        assert!(!valid_email("@example.fr"));
        assert!(!valid_email("marie@localhost"));
        assert!(!valid_email("a@b@c.fr"));
    }
}
