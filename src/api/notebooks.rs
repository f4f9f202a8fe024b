//! The notebook document endpoint: the whole notebook of a person, journaled.

use actix_web::{HttpRequest, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::db::with_conn;
use super::journal::{self, Access};
use super::pagination::{ListPage, PageParams};
use super::people::{BeneficiaryView, journal_refusal};
use super::problem::{ApiError, Problem};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::auth::policy;
use crate::domain::scopes::Scope;
use crate::store::{self, notebooks::NotebookDocument};

/// A member of the follow-up group (groupe de suivi).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub id: Uuid,
    pub account_id: Uuid,
    /// `referent`, `no_referent` or `orientation_manager`.
    pub member_type: String,
    /// False once the member left the group.
    pub active: bool,
    pub role: String,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub email: Option<String>,
    pub structure_id: Option<Uuid>,
    pub structure_name: Option<String>,
    pub joined_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
}

/// An action of a target.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionView {
    pub id: Uuid,
    pub action: String,
    /// Key of the `action_status` referential.
    pub status: String,
    pub starting_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A target (objectif) of a focus.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetView {
    pub id: Uuid,
    pub target: String,
    pub status: String,
    /// Contract the target is linked to: cer, ppae, pacea, cej or no.
    pub linked_to: Option<String>,
    pub user_consent: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub actions: Vec<ActionView>,
}

/// A focus (axe de travail) of the plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct FocusView {
    pub id: Uuid,
    /// Key of the `ref_theme` referential.
    pub theme: String,
    pub creator_account_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub targets: Vec<TargetView>,
}

/// An appointment with a member of the group.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentView {
    pub id: Uuid,
    /// The member met.
    pub account_id: Uuid,
    pub date: DateTime<Utc>,
    /// `pending`, `present` or `absent`.
    pub status: String,
}

/// A current socio-professional situation.
#[derive(Debug, Serialize, ToSchema)]
pub struct SituationView {
    pub id: Uuid,
    pub situation_id: Uuid,
    pub theme: String,
    pub description: String,
    pub since: DateTime<Utc>,
}

/// A professional project (emploi recherché).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectView {
    pub id: Uuid,
    /// ROME code; null for a project still being built.
    pub rome_code: Option<String>,
    pub rome_label: Option<String>,
    /// Kilometres.
    pub mobility_radius: Option<i32>,
    /// Hourly rate wanted, in euro cents.
    pub hourly_rate_cents: Option<i32>,
    pub contract_type: Option<String>,
    pub employment_type: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// The socio-professional situation.
#[derive(Debug, Serialize, ToSchema)]
pub struct SocioProView {
    pub work_situation: Option<String>,
    pub work_situation_date: Option<NaiveDate>,
    pub work_situation_end_date: Option<NaiveDate>,
    pub education_level: Option<String>,
    pub last_job_ended_at: Option<NaiveDate>,
    /// Reconnaissance de la qualité de travailleur handicapé.
    pub right_rqth: bool,
    pub situations: Vec<SituationView>,
    pub projects: Vec<ProjectView>,
}

/// The contract (CER, PPAE…).
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractView {
    pub contract_type: Option<String>,
    pub sign_date: Option<NaiveDate>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
}

/// A structure the person is attached to.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachedStructureView {
    pub structure_id: Uuid,
    pub name: String,
    pub since: DateTime<Utc>,
}

/// The orientation.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrientationView {
    /// The orientation system (dispositif d'accompagnement); null when still to orient.
    pub orientation_system_id: Option<Uuid>,
    pub orientation_system_name: Option<String>,
    /// `pro`, `sociopro`, `social` or `autre`.
    pub orientation_type: Option<String>,
    pub reason: Option<String>,
    pub structures: Vec<AttachedStructureView>,
}

/// The whole notebook (carnet) of a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotebookView {
    pub id: Uuid,
    pub deployment_id: Uuid,
    pub beneficiary: BeneficiaryView,
    pub members: Vec<MemberView>,
    pub focuses: Vec<FocusView>,
    pub appointments: Vec<AppointmentView>,
    pub socio_pro: SocioProView,
    pub contract: ContractView,
    pub orientation: OrientationView,
    /// Version of the notebook, as in its ETag.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl NotebookView {
    fn from_document(document: NotebookDocument, show_nir: bool, hide_sensitive: bool) -> Self {
        let NotebookDocument {
            notebook,
            beneficiary,
            members,
            focuses,
            targets,
            actions,
            appointments,
            situations,
            projects,
            orientation_system,
            structures,
        } = document;
        let mut actions_by_target: std::collections::HashMap<Uuid, Vec<ActionView>> =
            std::collections::HashMap::new();
        for action in actions {
            actions_by_target
                .entry(action.target_id)
                .or_default()
                .push(ActionView {
                    id: action.id,
                    action: action.action,
                    status: action.status,
                    starting_at: action.starting_at,
                    created_at: action.created_at,
                    updated_at: action.updated_at,
                });
        }
        let mut targets_by_focus: std::collections::HashMap<Uuid, Vec<TargetView>> =
            std::collections::HashMap::new();
        for target in targets {
            targets_by_focus
                .entry(target.focus_id)
                .or_default()
                .push(TargetView {
                    actions: actions_by_target.remove(&target.id).unwrap_or_default(),
                    id: target.id,
                    target: target.target,
                    status: target.status,
                    linked_to: target.linked_to,
                    user_consent: target.user_consent,
                    created_at: target.created_at,
                    updated_at: target.updated_at,
                });
        }
        NotebookView {
            id: notebook.id,
            deployment_id: notebook.deployment_id,
            beneficiary: BeneficiaryView {
                notebook_id: Some(notebook.id),
                ..BeneficiaryView::from_row(beneficiary, show_nir)
            },
            members: members
                .into_iter()
                .map(|m| {
                    // Partners never learn that a person is followed by a sensitive structure.
                    let hidden = hide_sensitive && m.structure_sensitive == Some(true);
                    MemberView {
                        id: m.id,
                        account_id: m.account_id,
                        member_type: m.member_type,
                        active: m.active,
                        role: m.role,
                        firstname: m.firstname,
                        lastname: m.lastname,
                        email: m.email,
                        structure_id: if hidden { None } else { m.structure_id },
                        structure_name: if hidden { None } else { m.structure_name },
                        joined_at: m.created_at,
                        left_at: m.membership_ended_at,
                    }
                })
                .collect(),
            focuses: focuses
                .into_iter()
                .map(|f| FocusView {
                    targets: targets_by_focus.remove(&f.id).unwrap_or_default(),
                    id: f.id,
                    theme: f.theme,
                    creator_account_id: f.creator_account_id,
                    created_at: f.created_at,
                    updated_at: f.updated_at,
                })
                .collect(),
            appointments: appointments
                .into_iter()
                .map(|a| AppointmentView {
                    id: a.id,
                    account_id: a.account_id,
                    date: a.date,
                    status: a.status,
                })
                .collect(),
            socio_pro: SocioProView {
                work_situation: notebook.work_situation,
                work_situation_date: notebook.work_situation_date,
                work_situation_end_date: notebook.work_situation_end_date,
                education_level: notebook.education_level,
                last_job_ended_at: notebook.last_job_ended_at,
                right_rqth: notebook.right_rqth,
                situations: situations
                    .into_iter()
                    .map(|s| SituationView {
                        id: s.id,
                        situation_id: s.situation_id,
                        theme: s.theme,
                        description: s.description,
                        since: s.created_at,
                    })
                    .collect(),
                projects: projects
                    .into_iter()
                    .map(|p| ProjectView {
                        id: p.id,
                        rome_code: p.rome_code,
                        rome_label: p.rome_label,
                        mobility_radius: p.mobility_radius,
                        hourly_rate_cents: p.hourly_rate_cents,
                        contract_type: p.contract_type_id,
                        employment_type: p.employment_type_id,
                        updated_at: p.updated_at,
                    })
                    .collect(),
            },
            contract: ContractView {
                contract_type: notebook.contract_type,
                sign_date: notebook.contract_sign_date,
                start_date: notebook.contract_start_date,
                end_date: notebook.contract_end_date,
            },
            orientation: OrientationView {
                orientation_system_id: notebook.orientation_system_id,
                orientation_system_name: orientation_system.as_ref().map(|o| o.name.clone()),
                orientation_type: orientation_system.map(|o| o.orientation_type),
                reason: notebook.orientation_reason,
                structures: structures
                    .into_iter()
                    .filter(|s| !(hide_sensitive && s.sensitive))
                    .map(|s| AttachedStructureView {
                        structure_id: s.structure_id,
                        name: s.name,
                        since: s.since,
                    })
                    .collect(),
            },
            version: notebook.version,
            created_at: notebook.created_at,
            updated_at: notebook.updated_at,
        }
    }
}

/// Reads a notebook within the caller's reach as the API shows it to them, journaled as read
/// through `resource` (a refusal of an existing notebook journaled too): the API's read and
/// the console's person page.
pub fn read_notebook(
    conn: &mut store::Connection,
    caller: &Caller,
    id: Uuid,
    resource: &str,
    purpose: Option<&str>,
) -> Result<NotebookView, ApiError> {
    caller.require(Scope::NotebooksRead)?;
    let show_nir = caller.scopes.contains(Scope::NirRead);
    let is_client = matches!(caller.principal, crate::auth::caller::Principal::Client(_));
    let reach = policy::beneficiaries(caller);
    match store::notebooks::get(conn, store::reach::beneficiaries(reach), id)? {
        Some(document) => {
            store::access_log::record(
                conn,
                &[journal::entry(
                    caller,
                    document.beneficiary.id,
                    Some(document.beneficiary.deployment_id),
                    Access::Read,
                    resource,
                    true,
                    purpose,
                )],
            )?;
            Ok(NotebookView::from_document(document, show_nir, is_client))
        }
        None => {
            let found = store::notebooks::beneficiary_of(conn, id)?;
            journal_refusal(conn, caller, found, resource, purpose)?;
            Err(ApiError::not_found("notebook"))
        }
    }
}

/// Reads the whole notebook of a person.
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id."), ("X-Purpose" = Option<String>, Header, description = "Why the data is read; required for API clients.")),
    responses(
        (status = 200, description = "The notebook; its ETag is the version to send in If-Match.", body = NotebookView),
        (status = 400, description = "Missing purpose.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:read"]), ("bearer" = []))
)]
#[get("/v1/notebooks/{id}")]
pub async fn get_notebook(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<actix_web::HttpResponse, ApiError> {
    caller.require(Scope::NotebooksRead)?;
    let purpose = journal::purpose(&request, &caller)?;
    let id = id.into_inner();
    let view = with_conn(&state.pool, move |conn| {
        read_notebook(
            conn,
            &caller,
            id,
            "GET /v1/notebooks/{id}",
            purpose.as_deref(),
        )
    })
    .await?;
    Ok(actix_web::HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::ETAG,
            super::writes::etag(view.version),
        ))
        .json(view))
}

/// Filters of the notebook list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotebookQuery {
    /// Words of the person's names (accents and case ignored).
    pub q: Option<String>,
    /// Notebooks of which this account is the active referent.
    pub referent: Option<Uuid>,
    /// `true`: notebooks without an active referent.
    pub without_referent: Option<bool>,
    /// People attached to this structure.
    pub structure: Option<Uuid>,
    /// Notebooks changed since this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
    /// `pending`: notebooks with a re-orientation request waiting for a decision; `none`:
    /// without one.
    pub orientation: Option<String>,
    /// People whose RSA right is this value (`rsa_droit_ouvert`, `rsa_droit_ouvert_et_suspendu`,
    /// `rsa_droit_ouvert_versable`, `rsa_clos`…).
    pub rsa_right: Option<String>,
}

/// A notebook in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotebookSummary {
    /// The notebook (`GET /v1/notebooks/{id}`).
    pub id: Uuid,
    /// Its person (`GET /v1/beneficiaries/{id}`).
    pub beneficiary_id: Uuid,
    pub firstname: String,
    pub lastname: String,
    pub date_of_birth: NaiveDate,
    /// The account of the active referent, if any (none shown to a partner for a sensitive
    /// structure's professional).
    pub referent_account_id: Option<Uuid>,
    /// The notebook's version (its ETag).
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// Lists the notebooks within the caller's reach — a professional's own notebooks, a
/// manager's deployment, a partner's deployment or structure — by person, with the filters a
/// case-management tool needs. Each person listed is journaled as read.
#[utoipa::path(
    tag = "notebooks",
    params(NotebookQuery, PageParams, ("X-Purpose" = Option<String>, Header, description = "Why the data is read; required for API clients.")),
    responses(
        (status = 200, description = "One page of notebooks, ordered by person.", body = ListPage<NotebookSummary>),
        (status = 400, description = "Invalid filter or missing purpose.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:read"]), ("bearer" = []))
)]
#[get("/v1/notebooks")]
pub async fn list_notebooks(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<NotebookQuery>,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<NotebookSummary>>, ApiError> {
    caller.require(Scope::NotebooksRead)?;
    let purpose = journal::purpose(&request, &caller)?;
    let (limit, after) = (page.limit()?, page.after()?);
    let query = query.into_inner();
    let people = store::people::BeneficiaryFilters {
        name: query
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| q.chars().take(100).collect()),
        ..Default::default()
    };
    let orientation_pending = match query.orientation.as_deref() {
        None => None,
        Some("pending") => Some(true),
        Some("none") => Some(false),
        Some(_) => {
            return Err(ApiError::invalid_parameter(
                "orientation must be pending or none.",
            ));
        }
    };
    let rsa_right = query
        .rsa_right
        .as_deref()
        .map(str::trim)
        .filter(|right| !right.is_empty())
        .map(|right| {
            if right.len() <= 64 && right.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                Ok(right.to_owned())
            } else {
                Err(ApiError::invalid_parameter(
                    "rsa_right must be a right's code, such as rsa_droit_ouvert.",
                ))
            }
        })
        .transpose()?;
    let filters = store::notebooks::NotebookFilters {
        referent: query.referent,
        without_referent: query.without_referent.unwrap_or(false),
        structure: query.structure,
        updated_since: query.updated_since,
        orientation_pending,
        rsa_right,
    };
    let is_client = matches!(caller.principal, crate::auth::caller::Principal::Client(_));
    let reach = policy::beneficiaries(&caller);
    let page = with_conn(&state.pool, move |conn| {
        let mut page = store::notebooks::list(
            conn,
            store::reach::beneficiaries(reach),
            &people,
            &filters,
            after,
            limit,
        )?;
        // Partners never learn that a person is followed by a sensitive structure.
        if is_client && let Some(deployment) = caller.deployment_id() {
            let sensitive = store::directory::sensitive_structures(conn, deployment)?;
            for row in &mut page.items {
                if row
                    .referent_account_id
                    .is_some_and(|account| sensitive.accounts.contains(&account))
                {
                    row.referent_account_id = None;
                }
            }
        }
        let entries: Vec<_> = page
            .items
            .iter()
            .map(|row| {
                journal::entry(
                    &caller,
                    row.beneficiary_id,
                    Some(row.deployment_id),
                    Access::Read,
                    "GET /v1/notebooks",
                    true,
                    purpose.as_deref(),
                )
            })
            .collect();
        store::access_log::record(conn, &entries)?;
        Ok(page)
    })
    .await?;
    Ok(web::Json(ListPage::from_store(page, |row| {
        NotebookSummary {
            id: row.notebook_id,
            beneficiary_id: row.beneficiary_id,
            firstname: row.firstname,
            lastname: row.lastname,
            date_of_birth: row.date_of_birth,
            referent_account_id: row.referent_account_id,
            version: row.version,
            updated_at: row.updated_at,
        }
    })))
}
