//! The imports' pages: the list (status, kind, who, when, counts, progress), a new upload,
//! an import's preview or result (counts, its lines filtered by outcome, before → after of
//! each change, each error's line, column, value and message), its commit and its errors file.
//! Every page calls what the API calls, with the visitor's session as the caller.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ConsoleError;
use super::labels;
use super::render::{self, Frame};
use super::session::Session;
use crate::api::db::with_conn;
use crate::api::imports::{self as api, ImportView};
use crate::api::state::AppState;
use crate::auth::policy::{self, Importer};
use crate::domain::scopes::Scope;
use crate::domain::states::{ImportKind, ImportStatus, LineStatus};
use crate::imports::records::LineError;
use crate::imports::runner::Counts;
use crate::store::imports::{ImportRow, ImportScope, SavedLine};

/// Imports per page of the list.
const PAGE: i64 = 25;

/// Lines per page of an import.
const LINES_PAGE: i64 = 100;

/// `GET /console`: the visitor's first page (imports for those who import, else people).
pub async fn home(session: Session) -> HttpResponse {
    let target = if session.visitor.imports {
        "/console/imports"
    } else {
        "/console/personnes"
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target))
        .finish()
}

fn no_imports() -> ConsoleError {
    ConsoleError::Forbidden("Votre rôle n'importe pas de fichiers.".into())
}

/// The store's scope of the imports a caller follows.
fn scope_of(session: &Session) -> Result<ImportScope, ConsoleError> {
    crate::api::imports::followed_scope(&session.caller).ok_or_else(no_imports)
}

/// How far an import is, as the page and its script show it.
#[derive(Debug, Serialize)]
pub struct ProgressView {
    /// Status code.
    pub status: String,
    /// Status in French.
    pub label: &'static str,
    /// Badge colour.
    pub badge: &'static str,
    /// Nothing left to do.
    pub finished: bool,
    /// Lines done.
    pub done: i32,
    /// Lines in all, once counted.
    pub total: Option<i32>,
    /// Percent done (0–100).
    pub percent: i32,
    /// « 1 240 lignes/s, fin dans 40 s ».
    pub pace: Option<String>,
}

impl ProgressView {
    fn of(view: &ImportView, status: ImportStatus) -> Self {
        let (label, badge) = labels::import_status(status);
        let done = view.progress.rows_done;
        let total = view.progress.rows_total;
        let finished = status.is_finished();
        let percent = match (finished, total) {
            (true, _) => 100,
            (false, Some(total)) if total > 0 => (i64::from(done) * 100 / i64::from(total)) as i32,
            _ => 0,
        };
        let pace = match (
            finished,
            view.progress.rate_per_second,
            view.progress.eta_seconds,
        ) {
            (false, Some(rate), Some(eta)) => Some(format!(
                "{} lignes/s, fin estimée dans {}",
                rate.round() as i64,
                duration(eta)
            )),
            _ => None,
        };
        ProgressView {
            status: status.to_string(),
            label,
            badge,
            finished,
            done,
            total,
            percent: percent.clamp(0, 100),
            pace,
        }
    }
}

/// « 1 min 20 s », « 12 s ».
fn duration(seconds: f64) -> String {
    let seconds = seconds.max(0.0).round() as i64;
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min {} s", seconds / 60, seconds % 60),
        _ => format!("{} h {} min", seconds / 3600, (seconds % 3600) / 60),
    }
}

#[derive(Debug, Serialize)]
struct ImportItem {
    id: Uuid,
    file_name: String,
    kind: &'static str,
    who: String,
    when: String,
    counts: Counts,
    progress: ProgressView,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// The last import of the previous page: `<created_at>_<id>`.
    avant: Option<String>,
}

/// The names of the accounts that uploaded these imports (an API client's uploads say so).
fn uploader_names(
    conn: &mut crate::store::Connection,
    rows: &[ImportRow],
) -> Result<BTreeMap<Uuid, String>, crate::api::problem::ApiError> {
    let mut names = BTreeMap::new();
    for account in rows.iter().filter_map(|row| row.created_by_account_id) {
        if let std::collections::btree_map::Entry::Vacant(entry) = names.entry(account)
            && let Some(display) = crate::store::accounts::display(conn, account)?
        {
            let name = if display.name.trim().is_empty() {
                display.email.unwrap_or_default()
            } else {
                display.name
            };
            entry.insert(name);
        }
    }
    Ok(names)
}

fn who(row: &ImportRow, names: &BTreeMap<Uuid, String>) -> String {
    match (row.created_by_account_id, row.created_by_client_id) {
        (Some(account), _) => names.get(&account).cloned().unwrap_or_default(),
        (None, Some(_)) => "Logiciel partenaire (API)".into(),
        (None, None) => "Ligne de commande".into(),
    }
}

fn item(row: ImportRow, names: &BTreeMap<Uuid, String>) -> ImportItem {
    let who = who(&row, names);
    let (id, file_name, kind, status, created_at) = (
        row.id,
        row.file_name.clone(),
        row.kind,
        row.status,
        row.created_at,
    );
    let view = ImportView::from(row);
    ImportItem {
        id,
        file_name,
        kind: labels::import_kind(kind),
        who,
        when: labels::when(created_at),
        counts: view.counts,
        progress: ProgressView::of(&view, status),
    }
}

fn parse_before(text: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (at, id) = text.split_once('_')?;
    Some((
        DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
        Uuid::parse_str(id).ok()?,
    ))
}

/// `GET /console/imports`: the imports the visitor follows, newest first.
pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = scope_of(&session)?;
    let before = query.avant.as_deref().and_then(parse_before);
    let (rows, names) = with_conn(&state.pool, move |conn| {
        let rows = crate::store::imports::list(conn, &scope, Default::default(), before, PAGE + 1)?;
        let names = uploader_names(conn, &rows)?;
        Ok((rows, names))
    })
    .await?;
    let more = rows.len() > PAGE as usize;
    let next = more
        .then(|| rows.get(PAGE as usize - 1))
        .flatten()
        .map(|row| format!("{}_{}", row.created_at.to_rfc3339(), row.id));
    let items: Vec<ImportItem> = rows
        .into_iter()
        .take(PAGE as usize)
        .map(|row| item(row, &names))
        .collect();
    let frame = Frame::new(
        "Imports de fichiers",
        "imports",
        Some(session.visitor.clone()),
        session.csrf(),
    );
    render::page(
        "imports_list.html",
        &frame,
        &minijinja::context! { items => items, next => next },
    )
}

#[derive(Debug, Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Debug, Serialize, Default)]
struct NewImportPage {
    kinds: Vec<Choice>,
    structure_kinds: Vec<String>,
    profiles: Vec<Choice>,
    structures: Vec<Choice>,
    deployments: Vec<Choice>,
    error: Option<String>,
    chosen_kind: String,
}

async fn new_page(
    state: &AppState,
    session: &Session,
    error: Option<String>,
    chosen_kind: Option<String>,
) -> Result<NewImportPage, ConsoleError> {
    let (importer, kinds) = policy::followed_imports(&session.caller).ok_or_else(no_imports)?;
    let reach = policy::directory(&session.caller);
    let any_deployment = matches!(importer, Importer::AnyDeployment);
    let (mut structures, deployments) = with_conn(&state.pool, move |conn| {
        let structures = crate::store::directory::structures(conn, reach, false, None, 2000)?;
        let deployments = if any_deployment {
            crate::store::directory::all_deployments(conn)?
        } else {
            Vec::new()
        };
        Ok((structures.items, deployments))
    })
    .await?;
    structures.sort_by_key(|s| s.name.to_lowercase());
    let mut profiles = vec![Choice {
        value: "cdb".into(),
        label: "Modèle Carnet de bord".into(),
    }];
    profiles.extend(
        crate::imports::apply::profile_names()
            .into_iter()
            .map(|name| Choice {
                value: name.into(),
                label: match name {
                    "iodas" => "Export IODAS".into(),
                    "webrsa_frsa" => "Export WebRSA (FRSA)".into(),
                    "cnaf_contacts" => "Fichier contacts CNAF".into(),
                    other => other.to_owned(),
                },
            }),
    );
    Ok(NewImportPage {
        structure_kinds: kinds
            .iter()
            .filter(|kind| kind.needs_structure())
            .map(|kind| kind.to_string())
            .collect(),
        kinds: kinds
            .iter()
            .map(|kind| Choice {
                value: kind.to_string(),
                label: labels::import_kind(*kind).into(),
            })
            .collect(),
        profiles,
        structures: structures
            .into_iter()
            .map(|s| Choice {
                value: s.id.to_string(),
                label: s.name,
            })
            .collect(),
        deployments: deployments
            .into_iter()
            .map(|d| Choice {
                value: d.id.to_string(),
                label: d.label,
            })
            .collect(),
        error,
        chosen_kind: chosen_kind.unwrap_or_else(|| "beneficiaries".into()),
    })
}

/// `GET /console/imports/nouveau`: the upload form.
pub async fn new(
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, ConsoleError> {
    scope_of(&session)?;
    let page = new_page(&state, &session, None, None).await?;
    let frame = Frame::new(
        "Nouvel import",
        "imports",
        Some(session.visitor.clone()),
        session.csrf(),
    );
    render::page("import_new.html", &frame, &page)
}

/// `POST /console/imports`: keeps the file and its preview job, then shows the import.
pub async fn upload(
    state: web::Data<AppState>,
    session: Session,
    multipart: Multipart,
) -> Result<HttpResponse, ConsoleError> {
    scope_of(&session)?;
    let mut form = api::read_form(multipart, &["csrf"]).await?;
    session.check(form.extra("csrf"))?;
    let chosen = form.kind.clone();
    let problem = match (
        &form.file,
        form.kind.as_deref().map(str::parse::<ImportKind>),
    ) {
        (None, _) => Some("Choisissez le fichier à importer.".to_owned()),
        (Some((_, bytes)), _) if bytes.is_empty() => Some("Le fichier choisi est vide.".to_owned()),
        (_, None | Some(Err(_))) => Some("Choisissez le type de fichier.".to_owned()),
        (_, Some(Ok(kind))) if kind.needs_structure() && form.structure.is_none() => {
            Some("Choisissez la structure à laquelle ce fichier s'applique.".to_owned())
        }
        _ => None,
    };
    if let Some(problem) = problem {
        return form_error(&state, &session, problem, chosen).await;
    }
    // The console always previews first: nothing is written before the agent commits.
    form.mode = Some("preview".into());
    match api::receive(&state, &session.caller, form).await {
        Ok(row) => {
            tracing::info!(import_id = %row.id, kind = %row.kind, size = row.file_size, "import received (console)");
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/console/imports/{}", row.id)))
                .finish())
        }
        Err(error) => match error.code() {
            crate::api::problem::ErrorCode::ValidationFailed
            | crate::api::problem::ErrorCode::Forbidden
            | crate::api::problem::ErrorCode::NotFound => {
                let message = match error.detail() {
                    detail if detail.contains("administer") => {
                        "Vous n'administrez pas cette structure.".to_owned()
                    }
                    detail if detail.contains("structure is not") => {
                        "Cette structure n'appartient pas au déploiement choisi.".to_owned()
                    }
                    detail if detail.contains("deployment is required") => {
                        "Choisissez le déploiement dans lequel importer.".to_owned()
                    }
                    detail if detail.contains("does not import") => {
                        "Votre rôle n'importe pas ce type de fichier.".to_owned()
                    }
                    detail => format!("Le formulaire est incomplet : {detail}"),
                };
                form_error(&state, &session, message, chosen).await
            }
            _ => Err(error.into()),
        },
    }
}

async fn form_error(
    state: &AppState,
    session: &Session,
    message: String,
    chosen: Option<String>,
) -> Result<HttpResponse, ConsoleError> {
    let page = new_page(state, session, Some(message), chosen).await?;
    let frame = Frame::new(
        "Nouvel import",
        "imports",
        Some(session.visitor.clone()),
        session.csrf(),
    );
    Ok(render::html(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        render::render("import_new.html", &frame, &page)?,
    ))
}

/// One message of a line.
#[derive(Debug, Serialize)]
struct MessageView {
    column: String,
    value: String,
    message: String,
}

impl From<LineError> for MessageView {
    fn from(error: LineError) -> Self {
        MessageView {
            column: error.column,
            value: error.value,
            message: error.message,
        }
    }
}

/// One field an update changes, or keeps.
#[derive(Debug, Serialize)]
struct ChangeView {
    field: String,
    before: String,
    after: String,
    source: String,
}

#[derive(Debug, Serialize)]
struct LineView {
    line: i32,
    status: String,
    label: &'static str,
    person: Option<Uuid>,
    possible_match: Option<Uuid>,
    changes: Vec<ChangeView>,
    kept: Vec<ChangeView>,
    errors: Vec<MessageView>,
    warnings: Vec<MessageView>,
}

/// field → {before|current, after|proposed, source}, as rows.
fn changes(value: Option<serde_json::Value>, before: &str, after: &str) -> Vec<ChangeView> {
    let Some(serde_json::Value::Object(fields)) = value else {
        return Vec::new();
    };
    fields
        .into_iter()
        .map(|(field, change)| ChangeView {
            field: labels::field(&field),
            before: labels::value(change.get(before)),
            after: labels::value(change.get(after)),
            source: labels::value(change.get("source")),
        })
        .collect()
}

fn messages(value: Option<serde_json::Value>) -> Vec<MessageView> {
    value
        .and_then(|list| serde_json::from_value::<Vec<LineError>>(list).ok())
        .unwrap_or_default()
        .into_iter()
        .map(MessageView::from)
        .collect()
}

fn line_view(line: SavedLine, preview: bool) -> LineView {
    LineView {
        line: line.line,
        status: line.status.to_string(),
        label: labels::line_status(line.status, preview),
        person: line.beneficiary_id,
        possible_match: line.possible_match_id,
        changes: changes(line.changes, "before", "after"),
        kept: changes(line.kept, "current", "proposed"),
        errors: messages(line.errors),
        warnings: messages(line.warnings),
    }
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    /// create, update, unchanged, possible_match or error.
    statut: Option<String>,
    /// Lines after this one.
    apres: Option<i32>,
}

#[derive(Debug, Serialize)]
struct Filter {
    value: &'static str,
    label: &'static str,
    count: i64,
    current: bool,
}

/// `GET /console/imports/{id}`: the import's counts, progress and lines.
pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<Uuid>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let page = import_page(&state, &session, id.into_inner(), &query, None).await?;
    Ok(render::html(actix_web::http::StatusCode::OK, page))
}

/// Why a corrections file was refused, as the import's page lists it.
#[derive(Debug, Serialize)]
struct RefusedCorrections {
    summary: String,
    problems: Vec<serde_json::Value>,
}

async fn import_page(
    state: &AppState,
    session: &Session,
    id: Uuid,
    query: &ShowQuery,
    refused: Option<RefusedCorrections>,
) -> Result<String, ConsoleError> {
    scope_of(session)?;
    let status_filter = match query.statut.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<LineStatus>()
                .map_err(|_| ConsoleError::NotFound)?
                .to_string(),
        ),
    };
    let after = query.apres.unwrap_or(0).max(0);
    let caller = session.caller.clone();
    let reads_people = caller.scopes.contains(Scope::BeneficiariesRead);
    let filter = status_filter.clone();
    let (row, mut lines, names, corrected) = with_conn(&state.pool, move |conn| {
        let row = api::reachable(conn, &caller, id)?;
        let corrected = crate::store::imports::corrected_count(conn, id)?;
        let lines = if reads_people {
            api::lines_of(
                conn,
                &caller,
                id,
                filter.as_deref(),
                after,
                LINES_PAGE,
                "GET /console/imports/{id}",
            )?
        } else {
            Vec::new()
        };
        let names = uploader_names(conn, std::slice::from_ref(&row))?;
        Ok((row, lines, names, corrected))
    })
    .await?;
    let more = lines.len() > LINES_PAGE as usize;
    lines.truncate(LINES_PAGE as usize);
    let next = more.then(|| lines.last().map(|l| l.line)).flatten();
    let preview = row.status != ImportStatus::Committed && row.status != ImportStatus::Committing;
    let can_commit = row.status == ImportStatus::Previewed;
    let item = item(row.clone(), &names);
    let counts = item.counts;
    let filters = [
        ("", "Toutes", counts.read),
        ("error", "Erreurs", counts.error),
        (
            "create",
            if preview { "Créations" } else { "Créés" },
            counts.create,
        ),
        ("update", "Mises à jour", counts.update),
        ("unchanged", "Inchangées", counts.unchanged),
        (
            "possible_match",
            "Rapprochements à vérifier",
            counts.possible_match,
        ),
    ]
    .into_iter()
    .map(|(value, label, count)| Filter {
        value,
        label,
        count,
        current: status_filter.as_deref().unwrap_or("") == value,
    })
    .collect::<Vec<_>>();
    let unknown_columns: Vec<String> = row
        .unknown_columns
        .as_ref()
        .and_then(|columns| columns.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|column| match column {
            serde_json::Value::Object(fields) => fields
                .get("header")
                .or_else(|| fields.get("name"))
                .map(|v| labels::value(Some(v)))
                .unwrap_or_else(|| column.to_string()),
            other => labels::value(Some(other)),
        })
        .collect();
    let failure = row.failure_reason.clone();
    let title = format!("Import « {} »", row.file_name);
    let frame = Frame::new(
        title,
        "imports",
        Some(session.visitor.clone()),
        session.csrf(),
    );
    render::render(
        "import_show.html",
        &frame,
        &minijinja::context! {
            import => item,
            corrected => corrected,
            refused => refused,
            preview => preview,
            can_commit => can_commit,
            has_errors => counts.error + counts.warning > 0,
            lines => lines.into_iter().map(|line| line_view(line, preview)).collect::<Vec<_>>(),
            reads_people => reads_people,
            filters => filters,
            statut => status_filter.unwrap_or_default(),
            next => next,
            unknown_columns => unknown_columns,
            failure => failure,
            file => minijinja::context! {
                format => row.file_format,
                encoding => row.encoding,
                size_kb => (row.file_size + 1023) / 1024,
            },
        },
    )
}

/// `POST /console/imports/{id}/corrections`: the corrected errors file, sent back into the
/// import, which is previewed again; a refused file is listed line by line on the import's page.
pub async fn corrections(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<Uuid>,
    multipart: Multipart,
) -> Result<HttpResponse, ConsoleError> {
    scope_of(&session)?;
    let id = id.into_inner();
    let mut form = api::read_form(multipart, &["csrf"]).await?;
    session.check(form.extra("csrf"))?;
    form.extra.clear();
    let refused = match &form.file {
        None => Some(RefusedCorrections {
            summary: "Choisissez le fichier des corrections.".into(),
            problems: Vec::new(),
        }),
        Some(_) => match api::receive_corrections(&state, &session.caller, id, form).await {
            Ok(_) => None,
            Err(error) if error.code() == crate::api::problem::ErrorCode::ValidationFailed => {
                let problems = error
                    .extension("errors")
                    .and_then(|list| list.as_array().cloned())
                    .unwrap_or_default();
                Some(RefusedCorrections {
                    summary: format!(
                        "Le fichier des corrections n'a pas été pris en compte ({} problème{}) : corrigez-le et envoyez-le à nouveau. Rien n'a été modifié.",
                        problems.len().max(1),
                        if problems.len() > 1 { "s" } else { "" }
                    ),
                    problems,
                })
            }
            Err(error) => return Err(error.into()),
        },
    };
    match refused {
        None => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/console/imports/{id}")))
            .finish()),
        Some(refused) => {
            let query = ShowQuery {
                statut: None,
                apres: None,
            };
            let page = import_page(&state, &session, id, &query, Some(refused)).await?;
            Ok(render::html(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                page,
            ))
        }
    }
}

/// `GET /console/imports/{id}/progression`: the progress, as JSON, for the page's script.
pub async fn progress(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ConsoleError> {
    scope_of(&session)?;
    let id = id.into_inner();
    let caller = session.caller.clone();
    let row = with_conn(&state.pool, move |conn| api::reachable(conn, &caller, id)).await?;
    let status = row.status;
    let view = ImportView::from(row);
    Ok(HttpResponse::Ok().json(ProgressView::of(&view, status)))
}

/// The commit form.
#[derive(Debug, Deserialize)]
pub struct CommitForm {
    csrf: Option<String>,
}

/// `POST /console/imports/{id}/validation`: commits a previewed import.
pub async fn commit(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<Uuid>,
    form: web::Form<CommitForm>,
) -> Result<HttpResponse, ConsoleError> {
    session.check(form.csrf.as_deref())?;
    scope_of(&session)?;
    let id = id.into_inner();
    let caller = session.caller.clone();
    with_conn(&state.pool, move |conn| {
        api::request_commit(conn, &caller, id)
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/console/imports/{id}")))
        .finish())
}

/// `GET /console/imports/{id}/erreurs.csv`: the lines to correct, in the file's encoding.
pub async fn errors_file(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ConsoleError> {
    scope_of(&session)?;
    session
        .caller
        .require(Scope::BeneficiariesRead)
        .map_err(|_| no_imports())?;
    let id = id.into_inner();
    let caller = session.caller.clone();
    let files = state.pool.clone();
    let file = with_conn(&state.pool, move |conn| {
        api::errors_file_of(conn, &files, &caller, id)
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
