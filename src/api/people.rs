//! Person endpoints: beneficiaries (list, one, access journal). Every read is journaled.

use actix_web::{HttpRequest, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::db::with_conn;
use super::journal::{self, Access};
use super::pagination::{ListPage, PageParams, cursor_before_sequence};
use super::problem::{ApiError, Problem};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::auth::policy;
use crate::domain::Nir;
use crate::domain::scopes::Scope;
use crate::store::{
    self, access_log::AccessRow, people::BeneficiaryFilters, people::BeneficiaryRow,
};

/// A beneficiary: identity, identifiers, contact, address and rights.
#[derive(Debug, Serialize, ToSchema)]
pub struct BeneficiaryView {
    pub id: Uuid,
    pub deployment_id: Uuid,
    /// The person's notebook (`GET /v1/notebooks/{id}`); absent while they have none.
    pub notebook_id: Option<Uuid>,
    pub firstname: String,
    pub lastname: String,
    pub date_of_birth: NaiveDate,
    pub place_of_birth: Option<String>,
    /// NIR (13 characters): present only for callers holding `nir:read`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nir: Option<String>,
    /// CAF/MSA organisation (FONORG + NUMORG, e.g. `CAF261`).
    pub caf_organisation: Option<String>,
    /// CAF/MSA file number (matricule / numéro allocataire).
    pub caf_number: Option<String>,
    /// Role in the CAF household: DEM, CJT, ENF, AUT, RDO.
    pub household_role: Option<String>,
    pub france_travail_id: Option<String>,
    /// Id in the département's information system.
    pub external_id: Option<String>,
    pub external_role: Option<String>,
    pub email: Option<String>,
    pub mobile_number: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub rights: RightsView,
    pub family_situation: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// With `?include=provenance`: for each field, the source that set it and the as-of date
    /// of its data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<std::collections::BTreeMap<String, ProvenanceView>>,
}

/// Where a field's value comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvenanceView {
    /// Source system, e.g. `cafmsa`, `partner:cdb_…`, `departement:iodas`, `human:professional`.
    pub source_system: String,
    /// The record's id in that system.
    pub source_record_id: Option<String>,
    /// As-of date of the data.
    pub as_of: DateTime<Utc>,
    /// When the hub wrote it.
    pub set_at: DateTime<Utc>,
}

/// RSA and other rights (droits).
#[derive(Debug, Serialize, ToSchema)]
pub struct RightsView {
    /// RSA right state (key of the `rsa_right` referential).
    pub rsa: Option<String>,
    pub are: bool,
    pub ass: bool,
    /// Prime d'activité.
    pub bonus: bool,
    pub is_homeless: Option<bool>,
    /// Soumis aux droits et devoirs.
    pub subject_to_right_and_duty: Option<bool>,
    pub rsa_suspension_reason: Option<String>,
    pub rsa_closure_reason: Option<String>,
    pub rsa_closure_date: Option<NaiveDate>,
}

impl BeneficiaryView {
    /// The view of a row; the NIR only when the caller may see it.
    pub fn from_row(row: BeneficiaryRow, show_nir: bool) -> Self {
        BeneficiaryView {
            id: row.id,
            deployment_id: row.deployment_id,
            notebook_id: None,
            firstname: row.firstname,
            lastname: row.lastname,
            date_of_birth: row.date_of_birth,
            place_of_birth: row.place_of_birth,
            nir: if show_nir { row.nir } else { None },
            caf_organisation: row.caf_organisation,
            caf_number: row.caf_number,
            household_role: row.household_role,
            france_travail_id: row.france_travail_id,
            external_id: row.external_id,
            external_role: row.external_role,
            email: row.email,
            mobile_number: row.mobile_number,
            address1: row.address1,
            address2: row.address2,
            postal_code: row.postal_code,
            city: row.city,
            rights: RightsView {
                rsa: row.right_rsa,
                are: row.right_are,
                ass: row.right_ass,
                bonus: row.right_bonus,
                is_homeless: row.is_homeless,
                subject_to_right_and_duty: row.subject_to_right_and_duty,
                rsa_suspension_reason: row.rsa_suspension_reason,
                rsa_closure_reason: row.rsa_closure_reason,
                rsa_closure_date: row.rsa_closure_date,
            },
            family_situation: row.family_situation,
            created_at: row.created_at,
            updated_at: row.updated_at,
            provenance: None,
        }
    }
}

/// Filters of the beneficiary list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BeneficiaryQuery {
    /// Words of the first or last name (case- and accent-insensitive).
    pub name: Option<String>,
    /// Birth date, `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    /// CAF/MSA file number.
    pub caf_number: Option<String>,
    /// France Travail id.
    pub france_travail_id: Option<String>,
    /// Id in the département's information system.
    pub external_id: Option<String>,
    /// NIR (13 or 15 characters); needs `nir:read`.
    pub nir: Option<String>,
}

fn parse_filters(
    query: &BeneficiaryQuery,
    caller: &Caller,
) -> Result<BeneficiaryFilters, ApiError> {
    // PostgreSQL text cannot hold a NUL character: refuse it here rather than fail there.
    for (name, value) in [
        ("name", &query.name),
        ("caf_number", &query.caf_number),
        ("france_travail_id", &query.france_travail_id),
        ("external_id", &query.external_id),
    ] {
        if value.as_deref().is_some_and(|v| v.contains('\0')) {
            return Err(ApiError::invalid_parameter(format!(
                "{name} contains a NUL character."
            )));
        }
    }
    let date_of_birth = query
        .date_of_birth
        .as_deref()
        .map(|date| {
            NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| {
                ApiError::invalid_parameter(format!(
                    "date_of_birth must be a date YYYY-MM-DD, not {date:?}."
                ))
            })
        })
        .transpose()?;
    let nir = match query.nir.as_deref() {
        None => None,
        Some(text) => {
            caller.require(Scope::NirRead)?;
            Some(
                Nir::parse(text)
                    .map_err(|error| {
                        ApiError::invalid_parameter(format!("nir is not a valid NIR: {error}."))
                    })?
                    .as_str()
                    .to_owned(),
            )
        }
    };
    let text = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    Ok(BeneficiaryFilters {
        name: text(&query.name),
        date_of_birth,
        // The keys in the form they are stored in: the one parser of each, a value it cannot
        // read kept as given (it then finds nobody).
        caf_number: text(&query.caf_number).map(|raw| {
            cdb_connector::identity::CafMatricule::parse(&raw)
                .map_or(raw, |matricule| matricule.as_str().to_owned())
        }),
        france_travail_id: text(&query.france_travail_id).map(|raw| {
            cdb_connector::FranceTravailId::parse(&raw).map_or(raw, |id| id.as_str().to_owned())
        }),
        external_id: text(&query.external_id),
        nir,
    })
}

/// Lists the beneficiaries within the caller's reach.
#[utoipa::path(
    tag = "people",
    params(BeneficiaryQuery, PageParams, ("X-Purpose" = Option<String>, Header, description = "Why the data is read; required for API clients.")),
    responses(
        (status = 200, description = "One page of beneficiaries.", body = ListPage<BeneficiaryView>),
        (status = 400, description = "Invalid filter or missing purpose.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["beneficiaries:read"]), ("bearer" = []))
)]
#[get("/v1/beneficiaries")]
pub async fn list_beneficiaries(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<BeneficiaryQuery>,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<BeneficiaryView>>, ApiError> {
    caller.require(Scope::BeneficiariesRead)?;
    let purpose = journal::purpose(&request, &caller)?;
    let filters = parse_filters(&query, &caller)?;
    let (limit, after) = (page.limit()?, page.after()?);
    let show_nir = caller.scopes.contains(Scope::NirRead);
    let (page, notebooks) = with_conn(&state.pool, move |conn| {
        let page = list_within(
            conn,
            &caller,
            &filters,
            after,
            limit,
            "GET /v1/beneficiaries",
            purpose.as_deref(),
        )?;
        let people: Vec<Uuid> = page.items.iter().map(|row| row.id).collect();
        let notebooks = store::notebooks::ids_of_beneficiaries(conn, &people)?;
        Ok((page, notebooks))
    })
    .await?;
    Ok(web::Json(ListPage::from_store(page, |row| {
        let notebook_id = notebooks.get(&row.id).copied();
        BeneficiaryView {
            notebook_id,
            ..BeneficiaryView::from_row(row, show_nir)
        }
    })))
}

/// One page of the beneficiaries within the caller's reach, each journaled as read through
/// `resource` (the API's list and the console's).
pub fn list_within(
    conn: &mut store::Connection,
    caller: &Caller,
    filters: &store::people::BeneficiaryFilters,
    after: Option<Uuid>,
    limit: i64,
    resource: &str,
    purpose: Option<&str>,
) -> Result<store::Page<store::people::BeneficiaryRow>, ApiError> {
    caller.require(Scope::BeneficiariesRead)?;
    let reach = policy::beneficiaries(caller);
    let page = store::people::list(
        conn,
        store::reach::beneficiaries(reach),
        filters,
        after,
        limit,
    )?;
    let entries: Vec<_> = page
        .items
        .iter()
        .map(|row| {
            journal::entry(
                caller,
                row.id,
                Some(row.deployment_id),
                Access::Read,
                resource,
                true,
                purpose,
            )
        })
        .collect();
    store::access_log::record(conn, &entries)?;
    Ok(page)
}

/// A person within the caller's reach, with the provenance of each field when asked, journaled
/// as read through `resource` (a refusal of an existing person journaled too): the API's read
/// and the console's person page.
pub fn read_beneficiary(
    conn: &mut store::Connection,
    caller: &Caller,
    id: Uuid,
    resource: &str,
    purpose: Option<&str>,
    with_provenance: bool,
) -> Result<
    (
        store::people::BeneficiaryRow,
        Option<Vec<store::people::ProvenanceRow>>,
    ),
    ApiError,
> {
    caller.require(Scope::BeneficiariesRead)?;
    let reach = policy::beneficiaries(caller);
    match store::people::get(conn, store::reach::beneficiaries(reach), id)? {
        Some(row) => {
            store::access_log::record(
                conn,
                &[journal::entry(
                    caller,
                    row.id,
                    Some(row.deployment_id),
                    Access::Read,
                    resource,
                    true,
                    purpose,
                )],
            )?;
            let provenance = if with_provenance {
                Some(store::people::provenance(conn, row.id)?)
            } else {
                None
            };
            Ok((row, provenance))
        }
        None => {
            let found = store::people::deployment_of(conn, id)?.map(|deployment| (id, deployment));
            journal_refusal(conn, caller, found, resource, purpose)?;
            Err(ApiError::not_found("beneficiary"))
        }
    }
}

/// The access journal of a person within the caller's reach, newest first, when the caller may
/// read journals (the API's and the console's).
pub fn read_access_log(
    conn: &mut store::Connection,
    caller: &Caller,
    id: Uuid,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<store::access_log::AccessRow>, Option<i64>), ApiError> {
    if !policy::may_read_access_log(caller) {
        return Err(ApiError::not_found("beneficiary"));
    }
    let reach = policy::beneficiaries(caller);
    let Some(row) = store::people::get(conn, store::reach::beneficiaries(reach), id)? else {
        return Err(ApiError::not_found("beneficiary"));
    };
    Ok(store::access_log::for_beneficiary(
        conn, row.id, before, limit,
    )?)
}

/// Journals a refused access to a person who exists outside the caller's reach.
pub fn journal_refusal(
    conn: &mut store::Connection,
    caller: &Caller,
    beneficiary: Option<(Uuid, Uuid)>,
    resource: &str,
    purpose: Option<&str>,
) -> Result<(), ApiError> {
    if let Some((beneficiary_id, deployment_id)) = beneficiary {
        store::access_log::record(
            conn,
            &[journal::entry(
                caller,
                beneficiary_id,
                Some(deployment_id),
                Access::Read,
                resource,
                false,
                purpose,
            )],
        )?;
    }
    Ok(())
}

/// Reads one beneficiary.
#[utoipa::path(
    tag = "people",
    params(("id" = Uuid, Path, description = "Beneficiary id."), IncludeQuery, ("X-Purpose" = Option<String>, Header, description = "Why the data is read; required for API clients.")),
    responses(
        (status = 200, description = "The beneficiary.", body = BeneficiaryView),
        (status = 400, description = "Missing purpose.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such beneficiary within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["beneficiaries:read"]), ("bearer" = []))
)]
#[get("/v1/beneficiaries/{id}")]
pub async fn get_beneficiary(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    include: web::Query<IncludeQuery>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let with_provenance = match include.include.as_deref() {
        None => false,
        Some("provenance") => true,
        Some(other) => {
            return Err(ApiError::invalid_parameter(format!(
                "include may only be provenance, not {other:?}."
            )));
        }
    };
    caller.require(Scope::BeneficiariesRead)?;
    let purpose = journal::purpose(&request, &caller)?;
    let id = id.into_inner();
    let show_nir = caller.scopes.contains(Scope::NirRead);
    let (row, provenance, notebook_id) = with_conn(&state.pool, move |conn| {
        let (row, provenance) = read_beneficiary(
            conn,
            &caller,
            id,
            "GET /v1/beneficiaries/{id}",
            purpose.as_deref(),
            with_provenance,
        )?;
        let notebook_id = store::notebooks::id_of_beneficiary(conn, row.id)?;
        Ok((row, provenance, notebook_id))
    })
    .await?;
    let mut view = BeneficiaryView::from_row(row, show_nir);
    view.notebook_id = notebook_id;
    view.provenance = provenance.map(|rows| {
        rows.into_iter()
            // The NIR's provenance tells a caller without nir:read that there is one.
            .filter(|row| show_nir || row.field != "nir")
            .map(|row| {
                (
                    row.field,
                    ProvenanceView {
                        source_system: row.source_system,
                        source_record_id: row.source_record_id,
                        as_of: row.as_of,
                        set_at: row.set_at,
                    },
                )
            })
            .collect()
    });
    Ok(actix_web::HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::ETAG,
            super::identity::etag(view.updated_at),
        ))
        .json(view))
}

/// Extra parts of a beneficiary.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncludeQuery {
    /// `provenance`: for each field, its source and as-of date.
    pub include: Option<String>,
}

/// One access to a person's data.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessView {
    pub occurred_at: DateTime<Utc>,
    /// `account` (a person) or `api_client` (a partner system).
    pub actor_kind: String,
    pub account_id: Option<Uuid>,
    pub api_client_id: Option<Uuid>,
    /// Role of the account, or `api_client`.
    pub actor_role: String,
    /// Structure on whose behalf the access was made.
    pub on_behalf_structure_id: Option<Uuid>,
    /// Professional on whose behalf the access was made.
    pub on_behalf_professional_id: Option<Uuid>,
    /// `read`, `write`, `export` or `delete`.
    pub action: String,
    /// The operation, e.g. `GET /v1/notebooks/{id}`.
    pub resource: String,
    /// `allowed` or `denied`.
    pub outcome: String,
    /// The purpose given by the caller.
    pub purpose: Option<String>,
    pub request_id: Option<String>,
}

impl From<AccessRow> for AccessView {
    fn from(row: AccessRow) -> Self {
        AccessView {
            occurred_at: row.occurred_at,
            actor_kind: row.actor_kind,
            account_id: row.account_id,
            api_client_id: row.api_client_id,
            actor_role: row.actor_role,
            on_behalf_structure_id: row.on_behalf_structure_id,
            on_behalf_professional_id: row.on_behalf_professional_id,
            action: row.action,
            resource: row.resource,
            outcome: row.outcome,
            purpose: row.purpose,
            request_id: row.request_id,
        }
    }
}

/// The access journal of a person, newest first: for the deployment's managers and the person.
#[utoipa::path(
    tag = "people",
    params(("id" = Uuid, Path, description = "Beneficiary id."), PageParams),
    responses(
        (status = 200, description = "One page of the journal.", body = ListPage<AccessView>),
        (status = 400, description = "Invalid parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such beneficiary within reach, or not allowed to read its journal.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/beneficiaries/{id}/access-log")]
pub async fn access_log(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<AccessView>>, ApiError> {
    let id = id.into_inner();
    let (limit, before) = (page.limit()?, page.before_sequence()?);
    let (rows, next) = with_conn(&state.pool, move |conn| {
        read_access_log(conn, &caller, id, before, limit)
    })
    .await?;
    Ok(web::Json(ListPage {
        items: rows.into_iter().map(AccessView::from).collect(),
        next_cursor: next.map(cursor_before_sequence),
    }))
}
