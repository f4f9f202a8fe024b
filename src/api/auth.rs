//! People's authentication: magic-link login, sessions, the caller's identity and personal
//! access tokens.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::db::with_conn;
use super::pagination::{ListPage, PageParams};
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::auth::caller::{Caller, Principal};
use crate::auth::{login, secrets};
use crate::domain::role::Role;
use crate::domain::scopes::Scopes;
use crate::store;

/// A login request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// The e-mail of the account.
    pub email: String,
}

/// The answer to a login request, the same whether or not the e-mail is known.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginAccepted {
    /// A message for the person.
    pub message: String,
}

/// Asks for a login link by e-mail.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 202, description = "If an account has this e-mail, a login link was sent to it.", body = LoginAccepted),
        (status = 422, description = "Not an e-mail address.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address.", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/v1/auth/login")]
pub async fn request_login(
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = body.into_inner().email.trim().to_owned();
    if email.contains('\0') {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "email must be an e-mail address.",
        ));
    }
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !email.chars().any(char::is_whitespace)
        });
    if !valid {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "email must be an e-mail address.",
        ));
    }
    let app_url = state.auth.app_url.clone();
    with_conn(&state.pool, move |conn| {
        Ok(login::request(conn, &email, &app_url)?)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(LoginAccepted {
        message:
            "Si un compte existe pour cette adresse, un lien de connexion vient d'y être envoyé."
                .into(),
    }))
}

/// A login key to exchange.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SessionRequest {
    /// The key of the login link.
    pub key: String,
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    /// Bearer token of the session.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: i64,
    /// The account.
    pub account_id: Uuid,
    /// Its role.
    pub role: Role,
}

/// Exchanges a login key (valid 15 minutes, usable once) for a session token.
#[utoipa::path(
    tag = "auth",
    request_body = SessionRequest,
    responses(
        (status = 201, description = "The session.", body = SessionResponse),
        (status = 401, description = "The key is unknown, expired or already used.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address.", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/v1/auth/session")]
pub async fn open_session(
    state: web::Data<AppState>,
    body: web::Json<SessionRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = body.into_inner().key;
    let lifetime = Duration::hours(state.auth.session_lifetime_hours);
    let session = with_conn(&state.pool, move |conn| {
        Ok(login::open_session(conn, key.trim(), lifetime)?)
    })
    .await?
    .ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidLoginKey,
            "This login link is unknown, expired or already used: ask for a new one.",
        )
    })?;
    Ok(HttpResponse::Created().json(SessionResponse {
        access_token: session.token,
        token_type: "Bearer".into(),
        expires_in: session.expires_in,
        account_id: session.account.id,
        role: session.account.role,
    }))
}

fn account_of(caller: &Caller) -> Result<&crate::auth::caller::AccountPrincipal, ApiError> {
    caller.account().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Forbidden,
            "This operation is for people's accounts, not API clients.",
        )
    })
}

/// Ends the current session (or revokes the personal token used).
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "Signed out."),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a person's token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/auth/session")]
pub async fn close_session(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let account = account_of(&caller)?.clone();
    with_conn(&state.pool, move |conn| {
        Ok(store::accounts::revoke_token(
            conn,
            account.account_id,
            account.token_id,
        )?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who is calling.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    /// `account` or `api_client`.
    pub kind: String,
    pub account_id: Option<Uuid>,
    pub role: Option<Role>,
    pub client_id: Option<String>,
    pub deployment_id: Option<Uuid>,
    pub structure_id: Option<Uuid>,
    /// Scopes of this request.
    pub scopes: Vec<String>,
}

/// The caller's identity and scopes.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "The caller.", body = MeView),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = []), ("bearer" = []))
)]
#[get("/v1/me")]
pub async fn me(caller: Caller) -> web::Json<MeView> {
    let scopes = caller.scopes.names();
    web::Json(match caller.principal {
        Principal::Account(account) => MeView {
            kind: "account".into(),
            account_id: Some(account.account_id),
            role: Some(account.role),
            client_id: None,
            deployment_id: account.deployment_id,
            structure_id: account.structure_id,
            scopes,
        },
        Principal::Client(client) => MeView {
            kind: "api_client".into(),
            account_id: None,
            role: None,
            client_id: Some(client.client_id),
            deployment_id: Some(client.deployment_id),
            structure_id: client.structure_id,
            scopes,
        },
    })
}

/// A personal access token to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewPersonalToken {
    /// A name to recognise it (e.g. the tool using it).
    pub name: String,
    /// Scopes, among those of the account's role.
    pub scopes: Vec<String>,
    /// Days until it expires, 1 to 365.
    pub expires_in_days: i64,
}

/// A personal access token (never the token itself, except once at creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonalTokenView {
    pub id: Uuid,
    pub name: Option<String>,
    pub scopes: Vec<String>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The token: present only in the creation answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl From<store::accounts::PersonalToken> for PersonalTokenView {
    fn from(row: store::accounts::PersonalToken) -> Self {
        PersonalTokenView {
            id: row.id,
            name: row.name,
            scopes: row
                .scopes
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .collect(),
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
            last_used_at: row.last_used_at,
            created_at: row.created_at,
            token: None,
        }
    }
}

/// Creates a personal access token (professionals, for their case-management tool).
#[utoipa::path(
    tag = "auth",
    request_body = NewPersonalToken,
    responses(
        (status = 201, description = "The token, shown once.", body = PersonalTokenView),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a person's session.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name, scopes or lifetime.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/me/tokens")]
pub async fn create_personal_token(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewPersonalToken>,
) -> Result<HttpResponse, ApiError> {
    let account = account_of(&caller)?.clone();
    if !account.is_session {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "Personal access tokens are created from a session, not with another personal token.",
        ));
    }
    let body = body.into_inner();
    let invalid = |detail: String| ApiError::new(ErrorCode::ValidationFailed, detail);
    let name = body.name.trim().replace('\0', "");
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name must have 1 to 100 characters.".into()));
    }
    if !(1..=365).contains(&body.expires_in_days) {
        return Err(invalid("expires_in_days must be between 1 and 365.".into()));
    }
    let scopes = Scopes::from_names(&body.scopes).map_err(|e| invalid(format!("{e}.")))?;
    if !account.role.scopes().includes(scopes) || scopes.is_empty() {
        return Err(invalid(format!(
            "scopes must be a non-empty subset of: {}.",
            account.role.scopes()
        )));
    }
    let token = format!("cdbp_{}", secrets::random_token(32));
    let expires_at = Utc::now() + Duration::days(body.expires_in_days);
    let hash = secrets::sha256_hex(&token);
    let created = with_conn(&state.pool, move |conn| {
        let id = store::accounts::create_token(
            conn,
            account.account_id,
            "personal",
            Some(&name),
            &hash,
            Some(scopes.names()),
            expires_at,
        )?;
        Ok(
            store::accounts::personal_tokens(conn, account.account_id, None, i64::MAX)?
                .into_iter()
                .find(|t| t.id == id),
        )
    })
    .await?
    .ok_or_else(|| ApiError::internal(&std::io::Error::other("created token not found")))?;
    let mut view = PersonalTokenView::from(created);
    view.token = Some(token);
    Ok(HttpResponse::Created().json(view))
}

/// Lists the caller's personal access tokens, newest first, paged.
#[utoipa::path(
    tag = "auth",
    params(PageParams),
    responses(
        (status = 200, description = "One page of tokens, newest first.", body = ListPage<PersonalTokenView>),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a person's session.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/me/tokens")]
pub async fn list_personal_tokens(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<PersonalTokenView>>, ApiError> {
    let account = account_of(&caller)?.account_id;
    let (limit, before) = (page.limit()?, page.after_instant()?);
    let tokens = with_conn(&state.pool, move |conn| {
        Ok(store::accounts::personal_tokens(
            conn,
            account,
            before,
            limit + 1,
        )?)
    })
    .await?;
    Ok(web::Json(ListPage::from_timed(
        tokens,
        limit,
        |token| (token.created_at, token.id),
        PersonalTokenView::from,
    )))
}

/// Revokes one of the caller's personal access tokens.
#[utoipa::path(
    tag = "auth",
    params(("id" = Uuid, Path, description = "Token id.")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a person's session.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live token of yours.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/me/tokens/{id}")]
pub async fn revoke_personal_token(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let account = account_of(&caller)?.account_id;
    let id = id.into_inner();
    let revoked = with_conn(&state.pool, move |conn| {
        Ok(store::accounts::revoke_token(conn, account, id)?)
    })
    .await?;
    if revoked {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("token"))
    }
}
