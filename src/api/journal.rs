//! Why and on whose behalf a person's data is accessed: the `X-Purpose` header and the access
//! journal entries written beside every read or write of a person's data.

use actix_web::HttpRequest;
use uuid::Uuid;

use super::problem::{ApiError, ErrorCode};
use crate::auth::caller::{Caller, Principal};
use crate::domain::role::Role;
use crate::store::access_log::NewAccess;

/// Header carrying the purpose of an access.
pub const PURPOSE_HEADER: &str = "x-purpose";

/// The purpose sent with the request: required from partner systems on person endpoints,
/// optional for people (their role and membership already say why).
pub fn purpose(request: &HttpRequest, caller: &Caller) -> Result<Option<String>, ApiError> {
    let sent = request
        .headers()
        .get(PURPOSE_HEADER)
        // French purposes carry accents: header bytes are read as UTF-8, else as ISO-8859-1
        // (what HTTP historically allowed), never refused.
        .map(|value| match std::str::from_utf8(value.as_bytes()) {
            Ok(text) => text.to_owned(),
            Err(_) => value.as_bytes().iter().map(|&b| char::from(b)).collect(),
        })
        .map(|value| {
            value
                .trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect::<String>()
        })
        .filter(|value| !value.is_empty());
    match (&caller.principal, sent) {
        (Principal::Client(_), None) => Err(ApiError::new(
            ErrorCode::PurposeRequired,
            "Partner systems must say why they access a person's data: send an X-Purpose header (e.g. « suivi RSA »).",
        )),
        (_, sent) => Ok(sent),
    }
}

/// What was done.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    /// Read.
    Read,
    /// Write.
    Write,
    /// Deletion of the person (purge).
    Delete,
}

/// A journal entry for one person.
pub fn entry(
    caller: &Caller,
    beneficiary_id: Uuid,
    deployment_id: Option<Uuid>,
    access: Access,
    resource: &str,
    allowed: bool,
    purpose: Option<&str>,
) -> NewAccess {
    let (actor_kind, account_id, api_client_id, actor_role, structure, professional) =
        match &caller.principal {
            Principal::Account(account) => (
                "account",
                Some(account.account_id),
                None,
                account.role.as_str().to_owned(),
                account.structure_id,
                (account.role == Role::Professional)
                    .then_some(account.profile_id)
                    .flatten(),
            ),
            Principal::Client(client) => (
                "api_client",
                None,
                Some(client.api_client_id),
                "api_client".to_owned(),
                client.structure_id,
                None,
            ),
        };
    NewAccess {
        deployment_id,
        beneficiary_id,
        actor_kind: actor_kind.to_owned(),
        account_id,
        api_client_id,
        actor_role,
        on_behalf_structure_id: structure,
        on_behalf_professional_id: professional,
        action: match access {
            Access::Read => "read".to_owned(),
            Access::Write => "write".to_owned(),
            Access::Delete => "delete".to_owned(),
        },
        resource: resource.to_owned(),
        outcome: if allowed { "allowed" } else { "denied" }.to_owned(),
        purpose: purpose.map(str::to_owned),
        request_id: super::request_id::current(),
    }
}
