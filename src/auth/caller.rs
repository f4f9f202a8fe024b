//! Who is calling: a person (session or personal token) or a partner system, with its scopes.
//! The HTTP extractor that builds it lives in `api::caller`.

use uuid::Uuid;

use crate::domain::role::Role;
use crate::domain::scopes::{Scope, Scopes};

/// A person logged in (session) or using a personal access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountPrincipal {
    /// The account.
    pub account_id: Uuid,
    /// Its role.
    pub role: Role,
    /// Its deployment (none for admin_cdb).
    pub deployment_id: Option<Uuid>,
    /// The id of its profile row (manager, professional, beneficiary…).
    pub profile_id: Option<Uuid>,
    /// The structure of a professional.
    pub structure_id: Option<Uuid>,
    /// The token (session or personal) used for this request.
    pub token_id: Uuid,
    /// Whether that token is a session opened by a login (not a personal access token):
    /// only sessions may create tokens or manage API clients.
    pub is_session: bool,
}

/// A partner information system using OAuth2 client credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPrincipal {
    /// Internal id of the API client.
    pub api_client_id: Uuid,
    /// Its public client id.
    pub client_id: String,
    /// Its deployment.
    pub deployment_id: Uuid,
    /// The structure it is narrowed to, if any.
    pub structure_id: Option<Uuid>,
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A person.
    Account(AccountPrincipal),
    /// A partner system.
    Client(ClientPrincipal),
}

/// An authenticated caller and the scopes of this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Who.
    pub principal: Principal,
    /// What they may do.
    pub scopes: Scopes,
}

impl Caller {
    /// Who this is across tokens, as a key: `client:<id>` for a partner system (whatever token
    /// it holds), `account:<id>` for a person. Rate limits and idempotency keys count by it.
    pub fn subject(&self) -> String {
        match &self.principal {
            Principal::Client(client) => format!("client:{}", client.api_client_id),
            Principal::Account(account) => format!("account:{}", account.account_id),
        }
    }

    /// Fails with [`MissingScope`] (403 `insufficient_scope`) unless the caller holds the scope.
    pub fn require(&self, scope: Scope) -> Result<(), MissingScope> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(MissingScope(scope))
        }
    }

    /// The caller's deployment, if bound to one.
    pub fn deployment_id(&self) -> Option<Uuid> {
        match &self.principal {
            Principal::Account(account) => account.deployment_id,
            Principal::Client(client) => Some(client.deployment_id),
        }
    }

    /// The account, when the caller is a person.
    pub fn account(&self) -> Option<&AccountPrincipal> {
        match &self.principal {
            Principal::Account(account) => Some(account),
            Principal::Client(_) => None,
        }
    }

    /// Whether the caller is a person with this role.
    pub fn has_role(&self, role: Role) -> bool {
        self.account().is_some_and(|account| account.role == role)
    }
}

/// The caller lacks a scope the operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("This operation needs the scope {}.", .0.as_str())]
pub struct MissingScope(pub Scope);
