//! Writing the socio-professional diagnostic of a notebook: its situation fields, current
//! situations and professional projects — by its active members and partner systems, each
//! change in the timeline and the change feed.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, patch, post, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::problem::{ApiError, ErrorCode, Problem};
use super::writes::{Written, if_match, write, written};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::store::diagnostic::{self, Project};

/// Changes to the diagnostic fields: an absent field stays, `null` clears it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SocioProChanges {
    /// Recognised disabled worker (RQTH).
    pub right_rqth: Option<bool>,
    /// Key of the `work_situation` referential.
    #[serde(default, deserialize_with = "super::extractors::present")]
    #[schema(value_type = Option<String>)]
    pub work_situation: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::extractors::present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub work_situation_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "super::extractors::present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub work_situation_end_date: Option<Option<NaiveDate>>,
    /// Key of the `education_level` referential.
    #[serde(default, deserialize_with = "super::extractors::present")]
    #[schema(value_type = Option<String>)]
    pub education_level: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::extractors::present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub last_job_ended_at: Option<Option<NaiveDate>>,
    /// cer, ppae, pacea, cej or no.
    #[serde(default, deserialize_with = "super::extractors::present")]
    #[schema(value_type = Option<String>)]
    pub contract_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::extractors::present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub contract_sign_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "super::extractors::present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub contract_start_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "super::extractors::present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub contract_end_date: Option<Option<NaiveDate>>,
}

impl SocioProChanges {
    /// The fields given, by column name (text values trimmed, NUL bytes refused).
    fn into_map(self) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
        let mut map = serde_json::Map::new();
        let mut put = |name: &str, value: serde_json::Value| {
            map.insert(name.to_owned(), value);
        };
        if let Some(rqth) = self.right_rqth {
            put("right_rqth", rqth.into());
        }
        let texts = [
            ("work_situation", self.work_situation),
            ("education_level", self.education_level),
            ("contract_type", self.contract_type),
        ];
        for (name, value) in texts {
            if let Some(value) = value {
                let value = value.map(|text| text.trim().to_owned());
                if value.as_deref().is_some_and(|t| t.contains('\0')) {
                    return Err(ApiError::invalid_parameter(format!(
                        "{name} contains a NUL byte"
                    )));
                }
                put(name, serde_json::json!(value));
            }
        }
        let dates = [
            ("work_situation_date", self.work_situation_date),
            ("work_situation_end_date", self.work_situation_end_date),
            ("last_job_ended_at", self.last_job_ended_at),
            ("contract_sign_date", self.contract_sign_date),
            ("contract_start_date", self.contract_start_date),
            ("contract_end_date", self.contract_end_date),
        ];
        for (name, value) in dates {
            if let Some(value) = value {
                put(name, serde_json::json!(value));
            }
        }
        Ok(map)
    }
}

/// Changes the diagnostic fields of a notebook (If-Match required).
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id."), ("If-Match" = String, Header, description = "The notebook's ETag as read.")),
    request_body = SocioProChanges,
    responses(
        (status = 200, description = "Changed (or already so).", body = Written),
        (status = 400, description = "Malformed If-Match.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook within your reach.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The notebook changed since it was read.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[patch("/v1/notebooks/{id}")]
pub async fn update_notebook(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<SocioProChanges>,
) -> Result<HttpResponse, ApiError> {
    let notebook = id.into_inner();
    let changes = body.into_inner().into_map()?;
    if changes.is_empty() {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "Give at least one field to change.",
        ));
    }
    let expected = if_match(&request)?;
    let version = write(
        &state,
        caller,
        notebook,
        "PATCH /v1/notebooks/{id}",
        move |conn, author| diagnostic::update_socio_pro(conn, notebook, changes, expected, author),
    )
    .await?;
    Ok(written(StatusCode::OK, None, version))
}

/// A situation to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSituation {
    /// Id of the `ref_situation` referential entry.
    pub situation_id: Uuid,
}

/// Adds a current situation to the notebook's diagnostic.
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id.")),
    request_body = NewSituation,
    responses(
        (status = 201, description = "Added.", body = Written),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook within your reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already a current situation.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[post("/v1/notebooks/{id}/situations")]
pub async fn add_situation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<NewSituation>,
) -> Result<HttpResponse, ApiError> {
    let notebook = id.into_inner();
    let situation = body.into_inner().situation_id;
    let (row, version) = write(
        &state,
        caller,
        notebook,
        "POST /v1/notebooks/{id}/situations",
        move |conn, author| diagnostic::add_situation(conn, notebook, situation, author),
    )
    .await?;
    Ok(written(StatusCode::CREATED, Some(row), version))
}

/// Ends a current situation of the notebook (history kept).
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id."), ("situation_id" = Uuid, Path, description = "The `ref_situation` id.")),
    responses(
        (status = 200, description = "Ended.", body = Written),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such current situation in a notebook within your reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[delete("/v1/notebooks/{id}/situations/{situation_id}")]
pub async fn remove_situation(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (notebook, situation) = path.into_inner();
    let version = write(
        &state,
        caller,
        notebook,
        "DELETE /v1/notebooks/{id}/situations/{situation_id}",
        move |conn, author| diagnostic::remove_situation(conn, notebook, situation, author),
    )
    .await?;
    Ok(written(StatusCode::OK, None, version))
}

/// A professional project.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    /// ROME code, e.g. `M1607`, or "label (CODE)"; absent or null for a project in construction.
    pub rome_code: Option<String>,
    /// Mobility radius in km.
    #[schema(minimum = 0, maximum = 1000)]
    pub mobility_radius: Option<i32>,
    /// Wished hourly rate in euro cents.
    #[schema(minimum = 1, maximum = 100000)]
    pub hourly_rate_cents: Option<i32>,
    /// Key of the `contract_type` referential (cdi, cdd, interim…).
    pub contract_type: Option<String>,
    /// full_time or part_time.
    pub employment_type: Option<String>,
}

impl ProjectInput {
    /// The project as stored, checked.
    fn parse(self) -> Result<Project, ApiError> {
        let rome_code = match self.rome_code.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(rome_code(text).ok_or_else(|| {
                ApiError::new(
                    ErrorCode::ValidationFailed,
                    format!("rome_code {text:?} is not a ROME code (a letter and 4 digits)."),
                )
            })?),
        };
        if self
            .mobility_radius
            .is_some_and(|r| !(0..=1000).contains(&r))
        {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                "mobility_radius must be between 0 and 1000 km.",
            ));
        }
        if self
            .hourly_rate_cents
            .is_some_and(|r| !(1..=100_000).contains(&r))
        {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                "hourly_rate_cents must be between 1 and 100000.",
            ));
        }
        let key = |value: Option<String>| {
            value
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty() && !v.contains('\0'))
        };
        Ok(Project {
            rome_code,
            mobility_radius: self.mobility_radius,
            hourly_rate_cents: self.hourly_rate_cents,
            contract_type: key(self.contract_type),
            employment_type: key(self.employment_type),
        })
    }
}

/// The ROME code of `M1607` or `Secrétaire (M1607)`.
fn rome_code(text: &str) -> Option<String> {
    let code = match (text.rfind('('), text.ends_with(')')) {
        (Some(open), true) => &text[open + 1..text.len() - 1],
        _ => text,
    }
    .trim()
    .to_ascii_uppercase();
    let mut chars = code.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && code.len() == 5
        && chars.all(|c| c.is_ascii_digit());
    valid.then_some(code)
}

/// Adds a professional project to the notebook.
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id.")),
    request_body = ProjectInput,
    responses(
        (status = 201, description = "Added.", body = Written),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notebook within your reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A project for this ROME code exists.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[post("/v1/notebooks/{id}/professional-projects")]
pub async fn add_project(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<ProjectInput>,
) -> Result<HttpResponse, ApiError> {
    let notebook = id.into_inner();
    let project = body.into_inner().parse()?;
    let (row, version) = write(
        &state,
        caller,
        notebook,
        "POST /v1/notebooks/{id}/professional-projects",
        move |conn, author| diagnostic::add_project(conn, notebook, &project, author),
    )
    .await?;
    Ok(written(StatusCode::CREATED, Some(row), version))
}

/// Replaces a professional project's values (If-Match required).
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id."), ("project_id" = Uuid, Path, description = "Project id."), ("If-Match" = String, Header, description = "The notebook's ETag as read.")),
    request_body = ProjectInput,
    responses(
        (status = 200, description = "Changed.", body = Written),
        (status = 400, description = "Malformed If-Match.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project in a notebook within your reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A project for this ROME code exists.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The notebook changed since it was read.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[patch("/v1/notebooks/{id}/professional-projects/{project_id}")]
pub async fn update_project(
    request: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<ProjectInput>,
) -> Result<HttpResponse, ApiError> {
    let (notebook, project_id) = path.into_inner();
    let project = body.into_inner().parse()?;
    let expected = if_match(&request)?;
    let version = write(
        &state,
        caller,
        notebook,
        "PATCH /v1/notebooks/{id}/professional-projects/{project_id}",
        move |conn, author| {
            diagnostic::update_project(conn, notebook, project_id, &project, expected, author)
        },
    )
    .await?;
    Ok(written(StatusCode::OK, None, version))
}

/// Deletes a professional project (the timeline keeps what it was).
#[utoipa::path(
    tag = "notebooks",
    params(("id" = Uuid, Path, description = "Notebook id."), ("project_id" = Uuid, Path, description = "Project id.")),
    responses(
        (status = 200, description = "Deleted.", body = Written),
        (status = 401, description = "No valid access token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing scope or role.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project in a notebook within your reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["notebooks:write"]), ("bearer" = []))
)]
#[delete("/v1/notebooks/{id}/professional-projects/{project_id}")]
pub async fn remove_project(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (notebook, project_id) = path.into_inner();
    let version = write(
        &state,
        caller,
        notebook,
        "DELETE /v1/notebooks/{id}/professional-projects/{project_id}",
        move |conn, author| diagnostic::remove_project(conn, notebook, project_id, author),
    )
    .await?;
    Ok(written(StatusCode::OK, None, version))
}

#[cfg(test)]
mod tests {
    use super::rome_code;

    #[test]
    fn rome_codes_are_read_alone_or_after_their_label() {
        assert_eq!(rome_code("m1607").as_deref(), Some("M1607"));
        assert_eq!(rome_code("Secrétariat (M1607)").as_deref(), Some("M1607"));
        assert_eq!(rome_code("M160"), None);
        assert_eq!(rome_code("11607"), None);
        assert_eq!(rome_code("Secrétariat"), None);
    }
}
