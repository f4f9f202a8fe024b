//! File imports: `POST /v1/imports` keeps the upload and enqueues its job (202), then the
//! import is followed (`GET /v1/imports/{id}`), its lines read (`/rows`), a preview committed
//! (`/commit`) and the rejected lines downloaded to fix in Excel (`/errors.csv`).

use std::io::Cursor;

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::db::with_conn;
use super::pagination::{ListPage, PageParams};
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::auth::policy::{self, ImportAccess, Importer};
use crate::domain::scopes::Scope;
use crate::domain::states::{ImportKind, ImportMode};
use crate::imports::errors_csv::{self, ErrorLine};
use crate::imports::records::LineError;
use crate::imports::runner::Counts;
use crate::imports::table::{ReadOptions, SheetChoice, Table};
use crate::store::imports::{self as store, CommitError, ImportRow, NewImport, SavedLine};

/// Largest file accepted (50 MiB: a 110,000-line export is about 25 MB).
pub const MAX_FILE_BYTES: usize = 50 * 1024 * 1024;

/// Largest text field of the form.
const MAX_FIELD_BYTES: usize = 1024;

/// The multipart form of an upload.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// The file: CSV (UTF-8, Windows-1252 or ISO-8859-1; `;`, `,` or tab), XLSX, XLS or ODS.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// beneficiaries, structures, professionals, reorientations, orientation_managers or
    /// rattachements.
    kind: String,
    /// `preview` (the default: nothing is written until `/commit`) or `commit`.
    mode: Option<String>,
    /// Mapping profile of a beneficiaries file exported by a département's software: `iodas`,
    /// `webrsa_frsa` or `cnaf_contacts` (`cdb`, the default, is the Carnet de bord templates);
    /// it names the source system of the values (`departement:<profile>`).
    profile: Option<String>,
    /// Sheet of a workbook to read (the first one by default).
    sheet: Option<String>,
    /// Deployment to import into: required for a national administrator, else the caller's.
    deployment: Option<Uuid>,
    /// The structure a professionals or rattachements file is for (required for them).
    structure: Option<Uuid>,
    /// Structures: `true` overwrites the details of the structures that already exist
    /// ("Écraser les informations des structures existantes"); otherwise a line that would
    /// change one is in error.
    overwrite: Option<bool>,
    /// Structures: `true` e-mails the new structure administrators their account.
    send_account_email: Option<bool>,
}

/// The file of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportFile {
    /// Name as uploaded.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// csv, xlsx, xls, xlsb or ods, once read.
    pub format: Option<String>,
    /// Encoding of a CSV, once read.
    pub encoding: Option<String>,
    /// Separator of a CSV, once read.
    pub delimiter: Option<String>,
    /// When the file was deleted at the end of its retention (its counts and lines' outcomes
    /// remain; `errors.csv` answers 410).
    pub expired_at: Option<DateTime<Utc>>,
}

/// How far an import is.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportProgress {
    /// Lines after the header, once counted.
    pub rows_total: Option<i32>,
    /// Lines done.
    pub rows_done: i32,
    /// Lines per second since the start.
    pub rate_per_second: Option<f64>,
    /// Seconds left at that rate.
    pub eta_seconds: Option<f64>,
}

/// Why an import stopped.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportFailure {
    /// Stable code (`missing_columns`, `unknown_format`, `empty_file`…).
    pub code: Option<String>,
    /// Reason in French.
    pub reason: String,
}

/// An import as answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportView {
    /// The import.
    pub id: Uuid,
    /// Its deployment.
    pub deployment_id: Uuid,
    /// The kind of file.
    pub kind: String,
    /// preview or commit.
    pub mode: String,
    /// received, previewing, previewed, committing, committed or failed.
    pub status: String,
    /// The mapping profile.
    pub profile: Option<String>,
    /// The file.
    pub file: ImportFile,
    /// The header line as read.
    #[schema(value_type = Option<Vec<String>>)]
    pub header: Option<serde_json::Value>,
    /// Columns not recognised (ignored), with their letter.
    #[schema(value_type = Option<Vec<Object>>)]
    pub unknown_columns: Option<serde_json::Value>,
    /// The structure of a professionals or rattachements file.
    pub structure_id: Option<Uuid>,
    /// Structures: whether existing structures are overwritten.
    pub overwrite: bool,
    /// Structures: whether new administrators are e-mailed their account.
    pub send_account_email: bool,
    /// How many lines became what (or would, for a preview).
    pub counts: Counts,
    /// How far it is.
    pub progress: ImportProgress,
    /// Why it failed.
    pub failure: Option<ImportFailure>,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
    /// When its processing started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<ImportRow> for ImportView {
    fn from(row: ImportRow) -> Self {
        let counts: Counts = serde_json::from_value(row.counts).unwrap_or_default();
        let elapsed = row
            .started_at
            .map(|start| (row.finished_at.unwrap_or_else(Utc::now) - start).num_milliseconds());
        let rate = elapsed
            .filter(|ms| *ms > 0 && row.rows_done > 0)
            .map(|ms| f64::from(row.rows_done) * 1000.0 / ms as f64);
        let eta = match (rate, row.rows_total, row.finished_at) {
            (_, _, Some(_)) => Some(0.0),
            (Some(rate), Some(total), None) => {
                Some(f64::from((total - row.rows_done).max(0)) / rate)
            }
            _ => None,
        };
        ImportView {
            id: row.id,
            deployment_id: row.deployment_id,
            kind: row.kind.to_string(),
            mode: row.mode.to_string(),
            status: row.status.to_string(),
            profile: row.profile,
            file: ImportFile {
                name: row.file_name,
                size: row.file_size,
                sha256: row.file_sha256,
                format: row.file_format,
                encoding: row.encoding,
                delimiter: row.delimiter,
                expired_at: row.file_expired_at,
            },
            header: row.header,
            unknown_columns: row.unknown_columns,
            structure_id: row.structure_id,
            overwrite: row.overwrite,
            send_account_email: row.send_account_email,
            counts,
            progress: ImportProgress {
                rows_total: row.rows_total,
                rows_done: row.rows_done,
                rate_per_second: rate,
                eta_seconds: eta,
            },
            failure: row.failure_reason.map(|reason| ImportFailure {
                code: row.failure_code,
                reason,
            }),
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
        }
    }
}

/// The fields of an upload, read from the multipart stream.
#[derive(Default)]
pub struct Form {
    /// The file's name and bytes.
    pub file: Option<(String, Vec<u8>)>,
    /// The kind of file.
    pub kind: Option<String>,
    /// preview or commit.
    pub mode: Option<String>,
    /// The mapping profile.
    pub profile: Option<String>,
    /// The sheet of a workbook.
    pub sheet: Option<String>,
    /// The deployment (a national administrator's upload).
    pub deployment: Option<String>,
    /// The structure of a professionals or rattachements file.
    pub structure: Option<String>,
    /// Structures: overwrite existing ones.
    pub overwrite: Option<String>,
    /// Structures: e-mail new administrators.
    pub send_account_email: Option<String>,
    /// Fields the caller of [`read_form`] allowed besides the upload's own (the console's
    /// CSRF token), by name.
    pub extra: Vec<(String, String)>,
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!(
            "The file is larger than {} MiB: split it, or export fewer columns.",
            MAX_FILE_BYTES / (1024 * 1024)
        ),
    )
}

impl Form {
    /// The value of an extra field allowed by [`read_form`].
    pub fn extra(&self, name: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Reads an upload's form, refusing unknown fields but those named in `extra`, with the file
/// bounded to [`MAX_FILE_BYTES`] and every other field to 1 KiB.
pub async fn read_form(mut multipart: Multipart, extra: &[&str]) -> Result<Form, ApiError> {
    let mut form = Form::default();
    let bad = |error: actix_multipart::MultipartError| {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("The body is not a valid multipart/form-data upload: {error}"),
        )
    };
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(bad)?;
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field
                .content_disposition()
                .and_then(|disposition| disposition.get_filename())
                .unwrap_or("import.csv")
                .to_owned();
            let bytes = field
                .bytes(MAX_FILE_BYTES)
                .await
                .map_err(|_| too_large())?
                .map_err(bad)?;
            form.file = Some((file_name, bytes.to_vec()));
            continue;
        }
        let bytes = field
            .bytes(MAX_FIELD_BYTES)
            .await
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::ValidationFailed,
                    format!("The field {name} is too long."),
                )
            })?
            .map_err(bad)?;
        let text = String::from_utf8_lossy(&bytes).trim().to_owned();
        let value = (!text.is_empty()).then_some(text);
        match name.as_str() {
            "kind" => form.kind = value,
            "mode" => form.mode = value,
            "profile" => form.profile = value,
            "sheet" => form.sheet = value,
            "deployment" => form.deployment = value,
            "structure" => form.structure = value,
            "overwrite" => form.overwrite = value,
            "send_account_email" => form.send_account_email = value,
            other if extra.contains(&other) => {
                form.extra.push((name.clone(), value.unwrap_or_default()));
            }
            other => {
                return Err(ApiError::new(
                    ErrorCode::ValidationFailed,
                    format!(
                        "Unknown field {other:?}: expected file, kind, mode, profile, sheet, deployment, \
                         structure, overwrite or send_account_email."
                    ),
                ));
            }
        }
    }
    Ok(form)
}

/// A yes/no form field (`true`/`false`, `1`/`0`, `oui`/`non`); absent is no.
fn flag(value: Option<&str>, name: &str) -> Result<bool, ApiError> {
    match value.map(str::to_lowercase).as_deref() {
        None | Some("false" | "0" | "non" | "no") => Ok(false),
        Some("true" | "1" | "oui" | "yes" | "on") => Ok(true),
        Some(_) => Err(invalid(format!("{name} must be true or false."))),
    }
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::ValidationFailed, detail)
}

fn forbidden() -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        "Your role does not import this kind of file.",
    )
}

/// The deployment an upload goes to, per the policy.
fn target_deployment(importer: Importer, asked: Option<&str>) -> Result<Uuid, ApiError> {
    let asked = asked
        .map(|text| {
            Uuid::parse_str(text).map_err(|_| invalid("deployment must be a deployment id."))
        })
        .transpose()?;
    match (importer, asked) {
        (Importer::AnyDeployment, Some(deployment)) => Ok(deployment),
        (Importer::AnyDeployment, None) => Err(invalid(
            "deployment is required: a national administrator names the deployment to import into.",
        )),
        (
            Importer::Deployment(own)
            | Importer::AdministeredStructures {
                deployment: own, ..
            }
            | Importer::Client {
                deployment: own, ..
            },
            asked,
        ) => match asked {
            Some(other) if other != own => Err(ApiError::new(
                ErrorCode::Forbidden,
                "You may only import into your own deployment.",
            )),
            _ => Ok(own),
        },
    }
}

/// Uploads a file to import: it is kept, then read and processed by a background job.
#[utoipa::path(
    tag = "imports",
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Kept; processed in the background. `Location` is the import.", body = ImportView),
        (status = 400, description = "Not a multipart upload.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not import this kind, or into this deployment.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than 50 MiB.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or invalid, or the kind is not supported yet.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["imports:write"]), ("bearer" = []))
)]
#[post("/v1/imports")]
#[tracing::instrument(skip_all)]
pub async fn upload(
    state: web::Data<AppState>,
    caller: Caller,
    multipart: Multipart,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ImportsWrite)?;
    // Refuse before reading the file when the caller may import nothing at all.
    if !policy::imports_anything(&caller) {
        return Err(forbidden());
    }
    let form = read_form(multipart, &[]).await?;
    let row = receive(&state, &caller, form).await?;
    tracing::info!(import_id = %row.id, kind = %row.kind, size = row.file_size, "import received");
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/v1/imports/{}", row.id)))
        .json(ImportView::from(row)))
}

/// Checks an upload's form against the policy and keeps the file with its job (the API's
/// `POST /v1/imports` and the console's upload).
pub async fn receive(state: &AppState, caller: &Caller, form: Form) -> Result<ImportRow, ApiError> {
    caller.require(Scope::ImportsWrite)?;
    let kind: ImportKind = form
        .kind
        .ok_or_else(|| invalid("kind is required."))?
        .parse()
        .map_err(|_| invalid(format!("kind must be one of {}.", ImportKind::names())))?;
    if let Some(profile) = form.profile.as_deref() {
        let names = crate::imports::apply::profile_names();
        if profile != "cdb" && !names.contains(&profile) {
            return Err(invalid(format!(
                "profile must be cdb (the Carnet de bord templates) or one of {}.",
                names.join(", ")
            )));
        }
        if profile != "cdb" && kind != ImportKind::Beneficiaries {
            return Err(invalid(
                "A mapping profile reads beneficiaries files only: use kind=beneficiaries.",
            ));
        }
    }
    let structure_kind = kind.needs_structure();
    let importer = policy::importer(caller, ImportAccess::of(kind)).ok_or_else(forbidden)?;
    let overwrite = flag(form.overwrite.as_deref(), "overwrite")?;
    let send_account_email = flag(form.send_account_email.as_deref(), "send_account_email")?;
    let structure = form
        .structure
        .as_deref()
        .map(|text| Uuid::parse_str(text).map_err(|_| invalid("structure must be a structure id.")))
        .transpose()?;
    if structure_kind && structure.is_none() {
        return Err(invalid(format!(
            "structure is required: a {kind} file is for one structure."
        )));
    }
    let mode: ImportMode = match form.mode.as_deref() {
        None => ImportMode::Preview,
        Some(text) => text
            .parse()
            .map_err(|_| invalid("mode must be preview or commit."))?,
    };
    let deployment = target_deployment(importer, form.deployment.as_deref())?;
    let (file_name, file) = form.file.ok_or_else(|| invalid("file is required."))?;
    let account = caller.account().map(|account| account.account_id);
    let client = match importer {
        Importer::Client { api_client_id, .. } => Some(api_client_id),
        _ => None,
    };
    let new = NewImport {
        deployment_id: deployment,
        kind,
        mode,
        profile: form.profile,
        sheet: form.sheet,
        file_name,
        created_by_account_id: account,
        created_by_client_id: client,
        structure_id: structure.filter(|_| structure_kind),
        overwrite,
        send_account_email,
    };
    let admin_structure = match importer {
        Importer::AdministeredStructures {
            admin_structure_id, ..
        } => Some(admin_structure_id),
        _ => None,
    };
    with_conn(&state.pool, move |conn| {
        if !crate::store::connectors::deployment_exists(conn, deployment)? {
            return Err(ApiError::not_found("deployment"));
        }
        if let Some(structure) = new.structure_id {
            if crate::store::directory_writes::structure(conn, structure, Some(deployment))?
                .is_none()
            {
                return Err(invalid("structure is not a structure of the deployment."));
            }
            if let Some(admin) = admin_structure
                && !crate::store::directory_writes::administers(conn, admin, structure)?
            {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    "You do not administer this structure.",
                ));
            }
        }
        Ok(store::create(conn, &new, Cursor::new(file), true)?)
    })
    .await
}

/// The import if the caller may follow it (404 otherwise, whether or not it exists).
pub fn reachable(
    conn: &mut crate::store::Connection,
    caller: &Caller,
    id: Uuid,
) -> Result<ImportRow, ApiError> {
    let not_found = || ApiError::not_found("import");
    let row = store::get(conn, id, None)?.ok_or_else(not_found)?;
    let within = match policy::importer(caller, ImportAccess::of(row.kind)) {
        Some(Importer::AnyDeployment) => true,
        Some(Importer::Deployment(deployment)) => deployment == row.deployment_id,
        // A structure administrator follows only the files of the structures they administer.
        Some(Importer::AdministeredStructures {
            deployment,
            admin_structure_id,
        }) => {
            deployment == row.deployment_id
                && match row.structure_id {
                    Some(structure) => crate::store::directory_writes::administers(
                        conn,
                        admin_structure_id,
                        structure,
                    )?,
                    None => false,
                }
        }
        Some(Importer::Client {
            deployment,
            api_client_id,
        }) => deployment == row.deployment_id && row.created_by_client_id == Some(api_client_id),
        None => false,
    };
    if within { Ok(row) } else { Err(not_found()) }
}

/// The imports a caller follows, as the store's scope: `None` for a caller who follows none.
pub fn followed_scope(caller: &Caller) -> Option<store::ImportScope> {
    caller.require(Scope::ImportsWrite).ok()?;
    let (importer, kinds) = policy::followed_imports(caller)?;
    let mut scope = store::ImportScope {
        deployment: importer.deployment(),
        kinds,
        ..store::ImportScope::default()
    };
    match importer {
        Importer::AdministeredStructures {
            admin_structure_id, ..
        } => scope.administered_by = Some(admin_structure_id),
        Importer::Client { api_client_id, .. } => scope.uploaded_by_client = Some(api_client_id),
        Importer::AnyDeployment | Importer::Deployment(_) => {}
    }
    Some(scope)
}

/// Filters of the list of imports.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// received, previewing, previewed, committing, committed or failed.
    pub status: Option<String>,
    /// beneficiaries, structures, professionals, reorientations, orientation_managers or
    /// rattachements.
    pub kind: Option<String>,
    /// Uploaded at or after this instant (RFC 3339).
    pub since: Option<DateTime<Utc>>,
}

/// A filter's value parsed, or a 400 naming the parameter.
fn parse_filter<T: std::str::FromStr>(
    name: &str,
    text: Option<String>,
) -> Result<Option<T>, ApiError> {
    text.map(|text| {
        text.parse()
            .map_err(|_| ApiError::invalid_parameter(format!("{name}: unknown value « {text} ».")))
    })
    .transpose()
}

/// Lists the imports the caller follows, newest first: a manager their deployment's, a
/// structure administrator those of their structures, a partner system its own uploads, a
/// national administrator all.
#[utoipa::path(
    tag = "imports",
    params(ListParams, PageParams),
    responses(
        (status = 200, description = "One page of imports, newest first.", body = ListPage<ImportView>),
        (status = 400, description = "An unknown status or kind, or a bad cursor.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing imports:write, or a caller who follows no import.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exceeded.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["imports:write"]), ("bearer" = []))
)]
#[get("/v1/imports")]
pub async fn list_imports(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<ListParams>,
    page: web::Query<PageParams>,
) -> Result<web::Json<ListPage<ImportView>>, ApiError> {
    caller.require(Scope::ImportsWrite)?;
    let scope = followed_scope(&caller).ok_or_else(|| {
        ApiError::new(
            ErrorCode::Forbidden,
            "Your role uploads no file: it follows no import.",
        )
    })?;
    let params = params.into_inner();
    let filter = store::ImportFilter {
        status: parse_filter("status", params.status)?,
        kind: parse_filter("kind", params.kind)?,
        since: params.since,
    };
    let (limit, before) = (page.limit()?, page.after_instant()?);
    let rows = with_conn(&state.pool, move |conn| {
        Ok(store::list(conn, &scope, filter, before, limit + 1)?)
    })
    .await?;
    Ok(web::Json(ListPage::from_timed(
        rows,
        limit,
        |row| (row.created_at, row.id),
        ImportView::from,
    )))
}

/// Reads an import: status, counts, progress.
#[utoipa::path(
    tag = "imports",
    params(("id" = Uuid, Path, description = "Import id.")),
    responses(
        (status = 200, description = "The import.", body = ImportView),
        (status = 401, description = "No valid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing imports:write.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such import within reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["imports:write"]), ("bearer" = []))
)]
#[get("/v1/imports/{id}")]
pub async fn get_import(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<ImportView>, ApiError> {
    caller.require(Scope::ImportsWrite)?;
    let id = id.into_inner();
    let row = with_conn(&state.pool, move |conn| reachable(conn, &caller, id)).await?;
    Ok(web::Json(ImportView::from(row)))
}

/// Filters of the lines of an import.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RowsParams {
    /// create, update, unchanged, possible_match or error.
    pub status: Option<String>,
    /// Cursor of the next page (the `next_cursor` of the previous page).
    pub cursor: Option<String>,
    /// Lines after this line number: the former `cursor`, accepted for one more version.
    #[deprecated(note = "send `cursor`")]
    pub after_line: Option<i32>,
    /// Lines per page (1–1000, 100 by default).
    pub limit: Option<i64>,
}

/// One line's result.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportLine {
    /// Line number in the file (as Excel shows it).
    pub line: i32,
    /// create, update, unchanged, possible_match or error.
    pub status: String,
    /// The person.
    pub beneficiary_id: Option<Uuid>,
    /// The possible match to resolve (committed imports).
    pub possible_match_id: Option<Uuid>,
    /// The structure, professional, orientation manager or notebook the line wrote.
    pub record_id: Option<Uuid>,
    /// For updates: field → {before, after, source} (`source`: who set the value replaced).
    #[schema(value_type = Option<Object>)]
    pub changes: Option<serde_json::Value>,
    /// Values of the file that do not win: field → {current, proposed, source}.
    #[schema(value_type = Option<Object>)]
    pub kept: Option<serde_json::Value>,
    /// The line's errors (the line was not applied).
    pub errors: Vec<LineError>,
    /// What the line was applied without: an optional cell that was wrong, a structure or a
    /// referent the deployment does not know (avertissements).
    pub warnings: Vec<LineError>,
}

impl From<SavedLine> for ImportLine {
    fn from(line: SavedLine) -> Self {
        ImportLine {
            line: line.line,
            status: line.status.to_string(),
            beneficiary_id: line.beneficiary_id,
            possible_match_id: line.possible_match_id,
            record_id: line.record_id,
            changes: line.changes,
            kept: line.kept,
            errors: line
                .errors
                .and_then(|errors| serde_json::from_value(errors).ok())
                .unwrap_or_default(),
            warnings: line
                .warnings
                .and_then(|warnings| serde_json::from_value(warnings).ok())
                .unwrap_or_default(),
        }
    }
}

/// A page of lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportLines {
    /// The lines, by line number.
    pub items: Vec<ImportLine>,
    /// Pass it as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// The last line of this page, for the deprecated `after_line` (kept one more version).
    #[deprecated(note = "read `next_cursor`")]
    pub next_after_line: Option<i32>,
}

/// Lists what each line became (or would become), with before → after for updates.
#[utoipa::path(
    tag = "imports",
    params(("id" = Uuid, Path, description = "Import id."), RowsParams),
    responses(
        (status = 200, description = "One page of lines.", body = ImportLines),
        (status = 400, description = "Invalid filter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing imports:write or beneficiaries:read.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such import within reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["imports:write", "beneficiaries:read"]), ("bearer" = []))
)]
#[get("/v1/imports/{id}/rows")]
pub async fn list_rows(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    params: web::Query<RowsParams>,
) -> Result<web::Json<ImportLines>, ApiError> {
    caller.require(Scope::ImportsWrite)?;
    let id = id.into_inner();
    let params = params.into_inner();
    if let Some(status) = &params.status
        && !["create", "update", "unchanged", "possible_match", "error"].contains(&status.as_str())
    {
        return Err(ApiError::invalid_parameter(
            "status must be create, update, unchanged, possible_match or error.",
        ));
    }
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid_parameter(
            "limit must be between 1 and 1000.",
        ));
    }
    #[allow(deprecated)]
    let after_line = match (&params.cursor, params.after_line) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_parameter(
                "Send `cursor` only (`after_line` is its former name).",
            ));
        }
        (Some(cursor), None) => {
            let line = crate::domain::cursor::decode_after_sequence(cursor)
                .map_err(|error| ApiError::invalid_parameter(error.to_string()))?;
            i32::try_from(line)
                .map_err(|_| ApiError::invalid_parameter("This cursor is not one of this API."))?
        }
        (None, line) => line.unwrap_or(0),
    };
    // The lines show people's values (before → after): a read of each person shown.
    caller.require(Scope::BeneficiariesRead)?;
    let mut lines = with_conn(&state.pool, move |conn| {
        lines_of(
            conn,
            &caller,
            id,
            params.status.as_deref(),
            after_line,
            limit,
            "GET /v1/imports/{id}/rows",
        )
    })
    .await?;
    let more = lines.len() > usize::try_from(limit).unwrap_or(0);
    lines.truncate(usize::try_from(limit).unwrap_or(0));
    let next_after_line = more.then(|| lines.last().map(|l| l.line)).flatten();
    #[allow(deprecated)]
    let page = ImportLines {
        items: lines.into_iter().map(ImportLine::from).collect(),
        next_cursor: next_after_line
            .map(|line| crate::domain::cursor::after_sequence(i64::from(line))),
        next_after_line,
    };
    Ok(web::Json(page))
}

/// The lines of an import the caller may follow, after a line and optionally of one status:
/// `limit + 1` of them (to tell whether a page follows), each person shown journaled as read
/// through `resource`.
pub fn lines_of(
    conn: &mut crate::store::Connection,
    caller: &Caller,
    id: Uuid,
    status: Option<&str>,
    after_line: i32,
    limit: i64,
    resource: &str,
) -> Result<Vec<SavedLine>, ApiError> {
    caller.require(Scope::BeneficiariesRead)?;
    let row = reachable(conn, caller, id)?;
    let lines = store::lines(conn, id, status, after_line, limit + 1)?;
    let shown: Vec<_> = lines
        .iter()
        .take(usize::try_from(limit).unwrap_or(0))
        .filter_map(|line| line.beneficiary_id)
        .map(|person| {
            super::journal::entry(
                caller,
                person,
                Some(row.deployment_id),
                super::journal::Access::Read,
                resource,
                true,
                None,
            )
        })
        .collect();
    crate::store::access_log::record(conn, &shown)?;
    Ok(lines)
}

/// Turns a previewed import the caller may follow into a commit (its job enqueued).
pub fn request_commit(
    conn: &mut crate::store::Connection,
    caller: &Caller,
    id: Uuid,
) -> Result<ImportRow, ApiError> {
    caller.require(Scope::ImportsWrite)?;
    let row = reachable(conn, caller, id)?;
    store::request_commit(conn, id, Some(row.deployment_id)).map_err(|error| match error {
        CommitError::NotPreviewed(status) => ApiError::new(
            ErrorCode::Conflict,
            format!("Only a previewed import can be committed; this one is {status}."),
        )
        .with("status", serde_json::json!(status)),
        CommitError::NotFound => ApiError::not_found("import"),
        CommitError::Database(error) => ApiError::internal(&error),
    })
}

/// Commits a previewed import: the same file is processed again, for real.
#[utoipa::path(
    tag = "imports",
    params(("id" = Uuid, Path, description = "Import id.")),
    responses(
        (status = 202, description = "Commit started.", body = ImportView),
        (status = 401, description = "No valid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing imports:write.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such import within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The import is not a finished preview.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["imports:write"]), ("bearer" = []))
)]
#[post("/v1/imports/{id}/commit")]
pub async fn commit(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ImportsWrite)?;
    let id = id.into_inner();
    let row = with_conn(&state.pool, move |conn| request_commit(conn, &caller, id)).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/v1/imports/{id}")))
        .json(ImportView::from(row)))
}

/// The multipart form of corrections.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CorrectionsUpload {
    /// The errors file (`errors.csv`), corrected: CSV, XLSX, XLS or ODS, with the original
    /// columns and « Ligne d'origine ».
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Sheet of a workbook to read (the first one by default).
    sheet: Option<String>,
}

/// Sends corrected lines back into a previewed import: each line of the corrected errors file
/// replaces the original line it names (« Ligne d'origine »), and the import is previewed again
/// (202), then committed as usual. A later correction of a line replaces an earlier one.
#[utoipa::path(
    tag = "imports",
    params(("id" = Uuid, Path, description = "Import id.")),
    request_body(content = CorrectionsUpload, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Kept; the import is previewed again. `Location` is the import.", body = ImportView),
        (status = 400, description = "Not a multipart upload.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing imports:write.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such import within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The import is not a finished preview.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than 50 MiB.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file cannot be read, or lines cannot be taken: `errors` lists each (line, column, value, code, French message); nothing was kept.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["imports:write"]), ("bearer" = []))
)]
#[post("/v1/imports/{id}/corrections")]
pub async fn correct(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    multipart: Multipart,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ImportsWrite)?;
    if !policy::imports_anything(&caller) {
        return Err(forbidden());
    }
    let id = id.into_inner();
    let form = read_form(multipart, &[]).await?;
    let row = receive_corrections(&state, &caller, id, form).await?;
    tracing::info!(import_id = %row.id, "import corrections received");
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/v1/imports/{id}")))
        .json(ImportView::from(row)))
}

/// Checks a corrections form, reads its file against the import's header and the lines to
/// correct, keeps the corrections and previews the import again (the API's and the console's).
pub async fn receive_corrections(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    form: Form,
) -> Result<ImportRow, ApiError> {
    caller.require(Scope::ImportsWrite)?;
    if form.kind.is_some()
        || form.mode.is_some()
        || form.profile.is_some()
        || form.deployment.is_some()
        || form.structure.is_some()
        || form.overwrite.is_some()
        || form.send_account_email.is_some()
    {
        return Err(invalid(
            "Corrections take a file (and a sheet) only: the import keeps its kind and settings.",
        ));
    }
    let (file_name, bytes) = form.file.ok_or_else(|| invalid("file is required."))?;
    let sheet = form.sheet;
    let caller = caller.clone();
    with_conn(&state.pool, move |conn| {
        let row = reachable(conn, &caller, id)?;
        if row.status != crate::domain::states::ImportStatus::Previewed {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "Only a previewed import takes corrections; this one is {}.",
                    row.status
                ),
            )
            .with("status", serde_json::json!(row.status.to_string())));
        }
        let header: Vec<String> = row
            .header
            .clone()
            .and_then(|header| serde_json::from_value(header).ok())
            .ok_or_else(|| {
                ApiError::new(ErrorCode::Conflict, "The import's file was never read.")
            })?;
        let correctable = store::correctable_lines(conn, id)?;
        let options = ReadOptions {
            sheet: sheet.map_or(SheetChoice::First, SheetChoice::Named),
            ..ReadOptions::default()
        };
        let corrections = crate::imports::corrections::read(
            Cursor::new(bytes),
            &options,
            &header,
            &correctable,
        )
        .map_err(|error| match error {
            crate::imports::corrections::CorrectionsError::Table(error) => ApiError::new(
                ErrorCode::ValidationFailed,
                format!("The corrections file cannot be read: {error}"),
            )
            .with("errors", serde_json::json!([{
                "line": 1, "column": "", "value": "", "code": error.code(), "message": error.to_string()
            }])),
            crate::imports::corrections::CorrectionsError::Problems(problems) => ApiError::new(
                ErrorCode::ValidationFailed,
                format!(
                    "{} line(s) of the corrections file cannot be taken; nothing was kept: see errors.",
                    problems.len()
                ),
            )
            .with("errors", serde_json::json!(problems)),
        })?;
        if corrections.is_empty() {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                "The corrections file holds no line to correct.",
            )
            .with("errors", serde_json::json!([{
                "line": 2, "column": "", "value": "", "code": "no_corrections",
                "message": "Le fichier ne contient aucune ligne corrigée."
            }])));
        }
        let corrections: Vec<(i32, Vec<String>)> = corrections
            .into_iter()
            .map(|correction| (correction.line, correction.cells))
            .collect();
        store::correct(conn, id, Some(row.deployment_id), &corrections, &file_name).map_err(
            |error| match error {
                CommitError::NotPreviewed(status) => ApiError::new(
                    ErrorCode::Conflict,
                    format!("Only a previewed import takes corrections; this one is {status}."),
                ),
                CommitError::NotFound => ApiError::not_found("import"),
                CommitError::Database(error) => ApiError::internal(&error),
            },
        )
    })
    .await
}

/// The rejected lines with their original columns and an « Erreurs » column, in the file's
/// own encoding and separator, to fix in Excel and upload again.
#[utoipa::path(
    tag = "imports",
    params(("id" = Uuid, Path, description = "Import id.")),
    responses(
        (status = 200, description = "The errors file.", content_type = "text/csv", body = String),
        (status = 401, description = "No valid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing imports:write or beneficiaries:read.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such import within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The file was never read (failed before its header).", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["imports:write", "beneficiaries:read"]), ("bearer" = []))
)]
#[get("/v1/imports/{id}/errors.csv")]
pub async fn errors_file(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ImportsWrite)?;
    // The lines in error carry people's data as the file gave it.
    caller.require(Scope::BeneficiariesRead)?;
    let id = id.into_inner();
    let files = state.pool.clone();
    let file = with_conn(&state.pool, move |conn| {
        errors_file_of(conn, &files, &caller, id)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            format!("text/csv; charset={}", file.charset),
        ))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", file.name),
        ))
        .body(file.bytes))
}

/// 410 for an import whose file was deleted at the end of its retention.
fn file_expired() -> ApiError {
    ApiError::new(
        ErrorCode::Gone,
        "The import's file was deleted at the end of its retention period: upload it again as a new import.",
    )
}

/// An import's errors file, ready to download.
pub struct ErrorsFile {
    /// `<stem>-erreurs.csv`.
    pub name: String,
    /// The CSV, in the upload's encoding.
    pub bytes: Vec<u8>,
    /// That encoding's name.
    pub charset: String,
}

/// Writes the errors file of an import the caller may follow (the API's and the console's).
pub fn errors_file_of(
    conn: &mut crate::store::Connection,
    files: &crate::postgres::DbPool,
    caller: &Caller,
    id: Uuid,
) -> Result<ErrorsFile, ApiError> {
    let row = reachable(conn, caller, id)?;
    let oid = store::file(conn, id)?.ok_or_else(file_expired)?;
    let file = crate::store::large_objects::Reader::open(files, oid)
        .map_err(|error| ApiError::internal(&error))?;
    let options = ReadOptions {
        sheet: row
            .sheet
            .clone()
            .map_or(SheetChoice::First, SheetChoice::Named),
        ..ReadOptions::default()
    };
    let table = Table::open(file, &options).map_err(|error| {
        ApiError::new(
            ErrorCode::Conflict,
            format!("The file cannot be read: {error}"),
        )
    })?;
    let dialect = table.dialect();
    let header = table.header().cells.clone();
    let mut lines = Vec::new();
    let mut after = 0;
    loop {
        let page = store::lines_to_correct(conn, id, after, 1000)?;
        let Some(last) = page.last() else { break };
        after = last.line;
        lines.extend(page.into_iter().map(|line| {
            let cells: Vec<String> = line
                .cells
                .and_then(|cells| serde_json::from_value(cells).ok())
                .unwrap_or_default();
            let read = |list: Option<serde_json::Value>| -> Vec<(String, String)> {
                list.and_then(|list| serde_json::from_value::<Vec<LineError>>(list).ok())
                    .unwrap_or_default()
                    .into_iter()
                    .map(|e| (e.column, e.message))
                    .collect()
            };
            ErrorLine {
                line: u64::try_from(line.line).unwrap_or_default(),
                cells,
                messages: read(line.errors),
                warnings: read(line.warnings),
            }
        }));
    }
    let mut out = Vec::new();
    errors_csv::write_error_lines(&mut out, dialect, &header, &lines)
        .map_err(|error| ApiError::internal(&error))?;
    let stem = row
        .file_name
        .rsplit_once('.')
        .map_or(row.file_name.as_str(), |(stem, _)| stem)
        .replace(['"', '\\', '/'], "_");
    Ok(ErrorsFile {
        name: format!("{stem}-erreurs.csv"),
        bytes: out,
        charset: dialect.encoding.name().to_owned(),
    })
}
