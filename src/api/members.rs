//! Managing the follow-up group of a notebook: invite, change the referent, leave or deactivate.
//! Managers, orientation managers and partner systems manage every group of their deployment;
//! a structure administrator manages the memberships of their structures' professionals; a
//! professional member invites colleagues, takes over as referent and leaves.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, post, put, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::problem::{ApiError, ErrorCode, Problem};
use super::writes::{Written, write_within, written};
use crate::api::state::AppState;
use crate::auth::caller::{Caller, Principal};
use crate::auth::policy::{self, Reach};
use crate::domain::role::Role;
use crate::domain::scopes::Scope;
use crate::store::members;
use crate::store::timeline::WriteError;

/// What the caller may do with a group.
#[derive(Debug, Clone, Copy)]
enum GroupRight {
    /// Everything (manager, orientation manager, national administrator, partner system).
    Manage,
    /// The memberships of the professionals of the structures this administrator administers.
    AdministeredStructures(Uuid),
    /// A professional member: invite as non-referent, take over as referent, leave.
    Member(Uuid),
}

fn group_reach(caller: &Caller) -> Result<(Reach, GroupRight), ApiError> {
    caller.require(Scope::NotebooksWrite)?;
    let reach = policy::beneficiaries(caller);
    match &caller.principal {
        Principal::Client(_) => Ok((reach, GroupRight::Manage)),
        Principal::Account(account) => match account.role {
            Role::AdminCdb | Role::Manager | Role::OrientationManager => {
                Ok((reach, GroupRight::Manage))
            }
            Role::AdminStructure => match account.profile_id {
                Some(profile) => Ok((reach, GroupRight::AdministeredStructures(profile))),
                None => Err(ApiError::not_found("notebook")),
            },
            Role::Professional => Ok((reach, GroupRight::Member(account.account_id))),
            Role::Beneficiary => Err(ApiError::new(
                ErrorCode::Forbidden,
                "The follow-up group is managed by the professionals.",
            )),
        },
    }
}

/// Checks that the caller may act on `account`'s membership (`as_referent`: making it the
/// referent).
fn may_act_on(
    conn: &mut crate::store::Connection,
    right: GroupRight,
    account: Option<Uuid>,
    inviting_colleague: bool,
) -> Result<(), WriteError> {
    match right {
        GroupRight::Manage => Ok(()),
        GroupRight::AdministeredStructures(profile) => match account {
            Some(account) if members::administered_by(conn, account, profile)? => Ok(()),
            _ => Err(WriteError::Forbidden(
                "You manage only the memberships of your structures' professionals.".into(),
            )),
        },
        GroupRight::Member(me) if account == Some(me) || inviting_colleague => Ok(()),
        GroupRight::Member(_) => Err(WriteError::Forbidden(
            "A member invites colleagues, takes over as referent or leaves; a manager does the rest."
                .into(),
        )),
    }
}

/// A member to invite.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    /// The professional's or orientation manager's account.
    pub account_id: Uuid,
    /// `no_referent` (default) or `referent` (the current referent stays as a member).
    pub member_type: Option<String>,
}

/// Invites a professional into the follow-up group (e-mail "Invitation à rejoindre un carnet
/// de bord").
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id.")),
    request_body = NewMember,
    responses(
        (status = 201, description = "Invited.", body = Written),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook within your reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already an active member (or already the referent).", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[post("/v1/notebooks/{id}/members")]
pub async fn invite_member(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<NewMember>,
) -> Result<HttpResponse, ApiError> {
    let (reach, right) = group_reach(&caller)?;
    let notebook = id.into_inner();
    let body = body.into_inner();
    let as_referent = match body.member_type.as_deref() {
        None | Some("no_referent") => false,
        Some("referent") => true,
        Some(other) => {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                format!("member_type must be referent or no_referent, not {other:?}."),
            ));
        }
    };
    let app_url = state.auth.app_url.clone();
    let version = write_within(
        &state,
        caller,
        reach,
        notebook,
        "POST /v1/notebooks/{id}/members",
        move |conn, author| {
            may_act_on(conn, right, Some(body.account_id), !as_referent)?;
            crate::notify::group::invite(
                conn,
                &app_url,
                notebook,
                body.account_id,
                as_referent,
                author,
            )
        },
    )
    .await?;
    Ok(written(StatusCode::CREATED, None, version))
}

/// The new referent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferentChoice {
    /// The account to make referent; null to leave the notebook without referent.
    pub account_id: Option<Uuid>,
}

/// Changes the referent: the former referent stays in the group as a non-referent member.
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id.")),
    request_body = ReferentChoice,
    responses(
        (status = 200, description = "Changed (or already so).", body = Written),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook within your reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[put("/v1/notebooks/{id}/referent")]
pub async fn set_referent(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<ReferentChoice>,
) -> Result<HttpResponse, ApiError> {
    let (reach, right) = group_reach(&caller)?;
    let notebook = id.into_inner();
    let account = body.into_inner().account_id;
    let app_url = state.auth.app_url.clone();
    let version = write_within(
        &state,
        caller,
        reach,
        notebook,
        "PUT /v1/notebooks/{id}/referent",
        move |conn, author| {
            may_act_on(conn, right, account, false)?;
            crate::notify::group::change_referent(conn, &app_url, notebook, account, author)
        },
    )
    .await?;
    Ok(written(StatusCode::OK, None, version))
}

/// Ends a membership: a member leaving (their own account) or deactivated by someone who
/// manages the group. The history stays.
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id."), ("account_id" = Uuid, Path, description = "The member's account.")),
    responses(
        (status = 200, description = "Ended.", body = Written),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such active member in a notebook within your reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[delete("/v1/notebooks/{id}/members/{account_id}")]
pub async fn end_membership(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (reach, right) = group_reach(&caller)?;
    let (notebook, account) = path.into_inner();
    let version = write_within(
        &state,
        caller,
        reach,
        notebook,
        "DELETE /v1/notebooks/{id}/members/{account_id}",
        move |conn, author| {
            may_act_on(conn, right, Some(account), false)?;
            members::end_membership(conn, notebook, account, author)
        },
    )
    .await?;
    Ok(written(StatusCode::OK, None, version))
}
