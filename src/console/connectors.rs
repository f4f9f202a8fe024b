//! The connectors' pages, for those who administer them (the deployment's managers, national
//! administrators): each instance with its schedule, last success and staleness; the files it
//! received (a CAF/MSA flux with its report: households, matched, updated, unknown people)
//! and its runs with what they did record by record; send it a file; start a run. Every page
//! calls what the API calls, with the visitor's session as the caller.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ConsoleError;
use super::labels;
use super::render::{self, Frame};
use super::session::Session;
use crate::api::connectors::{administrators, queue_manual_run, receive_file};
use crate::api::db::with_conn;
use crate::api::problem::{ApiError, ErrorCode};
use crate::api::state::AppState;
use crate::domain::states::ConnectorKind;
use crate::store::{connector_files, connectors};

fn administrators_only(session: &Session) -> Result<Option<Uuid>, ConsoleError> {
    administrators(&session.caller).map_err(|_| {
        ConsoleError::Forbidden(
            "Les connecteurs sont administrés par les gestionnaires du déploiement.".into(),
        )
    })
}

/// A kind of connector, as agents name it.
fn kind(kind: ConnectorKind) -> &'static str {
    match kind {
        ConnectorKind::FranceTravail => "France Travail",
        ConnectorKind::CafMsa => "CAF/MSA — flux bénéficiaires",
        ConnectorKind::Departement => "Logiciel du département",
    }
}

/// A run's state, and its badge.
fn run_status(status: &str) -> (&'static str, &'static str) {
    match status {
        "queued" => ("En attente", "new"),
        "running" => ("En cours", "info"),
        "succeeded" => ("Réussie", "success"),
        "failed" => ("Échec", "error"),
        _ => ("Inconnu", "new"),
    }
}

/// Why a file was refused, in French (the hub keeps the reader's reason after its own words).
fn refusal(reason: &str) -> String {
    for (english, french) in [
        (
            "not a flux bénéficiaires: ",
            "ce n'est pas un flux bénéficiaires CAF/MSA : ",
        ),
        ("not a readable export: ", "l'export est illisible : "),
        (
            "not a principal or actions extract: ",
            "ce n'est pas une extraction France Travail (principale ou actions) : ",
        ),
    ] {
        if let Some(rest) = reason.strip_prefix(english) {
            return format!("{french}{rest}");
        }
    }
    reason.to_owned()
}

/// A received file's state, and its badge.
fn file_status(status: &str) -> (&'static str, &'static str) {
    match status {
        "received" => ("Reçu, en attente", "new"),
        "applied" => ("Appliqué", "success"),
        "rejected" => ("Refusé", "error"),
        _ => ("Inconnu", "new"),
    }
}

#[derive(Debug, Serialize)]
struct InstanceItem {
    id: Uuid,
    name: String,
    kind: &'static str,
    schedule: String,
    enabled: bool,
    last_success: String,
    stale: bool,
    stale_after_hours: i32,
}

fn instance(row: connectors::InstanceRow) -> InstanceItem {
    InstanceItem {
        id: row.id,
        name: row.name,
        kind: kind(row.kind),
        schedule: row.schedule.unwrap_or_default(),
        enabled: row.enabled,
        last_success: row.last_success_at.map(labels::when).unwrap_or_default(),
        stale: row.stale,
        stale_after_hours: row.stale_after_hours,
    }
}

/// `GET /console/connecteurs`: the instances the visitor administers.
pub async fn list(
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, ConsoleError> {
    let scope = administrators_only(&session)?;
    let rows = with_conn(&state.pool, move |conn| Ok(connectors::list(conn, scope)?)).await?;
    let items: Vec<InstanceItem> = rows.into_iter().map(instance).collect();
    let frame = Frame::new(
        "Connecteurs",
        "connecteurs",
        Some(session.visitor.clone()),
        session.csrf(),
    );
    render::page(
        "connectors_list.html",
        &frame,
        &minijinja::context! { items => items },
    )
}

#[derive(Debug, Serialize)]
struct RunItem {
    id: Uuid,
    trigger: String,
    label: &'static str,
    badge: &'static str,
    queued: String,
    finished: String,
    counts: minijinja::Value,
    error: String,
}

fn run(row: connectors::RunRow) -> RunItem {
    let (label, badge) = run_status(&row.status);
    RunItem {
        id: row.id,
        trigger: match row.trigger.as_str() {
            "manual" => "à la main".into(),
            "schedule" => "planifiée".into(),
            "file" => "fichier reçu".into(),
            other => other.to_owned(),
        },
        label,
        badge,
        queued: labels::when(row.queued_at),
        finished: row.finished_at.map(labels::when).unwrap_or_default(),
        counts: render::nested(&row.counts),
        error: row.error.unwrap_or_default(),
    }
}

#[derive(Debug, Serialize)]
struct FileItem {
    id: Uuid,
    name: String,
    size_kb: i64,
    label: &'static str,
    badge: &'static str,
    received: String,
    applied: String,
    flux_date: String,
    report: minijinja::Value,
    error: String,
}

fn file(row: connector_files::FileRow) -> FileItem {
    let (label, badge) = file_status(&row.status);
    FileItem {
        id: row.id,
        name: row.file_name,
        size_kb: (row.size_bytes + 1023) / 1024,
        label,
        badge,
        received: labels::when(row.received_at),
        applied: row.applied_at.map(labels::when).unwrap_or_default(),
        flux_date: row.flux_created_at.map(labels::when).unwrap_or_default(),
        report: row.report.as_ref().map(render::nested).unwrap_or_default(),
        error: row.error.as_deref().map(refusal).unwrap_or_default(),
    }
}

#[derive(Debug, Deserialize)]
pub struct Notice {
    /// `envoye`, `deja-recu`, `deja-en-cours`, `desactive`.
    avis: Option<String>,
}

/// `GET /console/connecteurs/{id}`: an instance, its files and its runs.
pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<Uuid>,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = administrators_only(&session)?;
    let id = id.into_inner();
    let (row, files, runs) = with_conn(&state.pool, move |conn| {
        let row =
            connectors::get(conn, scope, id)?.ok_or_else(|| ApiError::not_found("connector"))?;
        let files = connector_files::list(conn, id, None, 20)?;
        let runs = connectors::runs(conn, id, None, 20)?;
        Ok((row, files, runs))
    })
    .await
    .map_err(ConsoleError::read)?;
    let notice = match notice.avis.as_deref() {
        Some("envoye") => Some((
            "success",
            "Fichier reçu : il est appliqué dans les secondes qui suivent.",
        )),
        Some("deja-recu") => Some((
            "info",
            "Ce fichier avait déjà été reçu : il n'est pas appliqué deux fois.",
        )),
        Some("lance") => Some(("success", "Exécution lancée.")),
        Some("deja-en-cours") => Some(("info", "Une exécution est déjà en attente ou en cours.")),
        Some("desactive") => Some((
            "warning",
            "Ce connecteur est désactivé : activez-le avant de le lancer.",
        )),
        _ => None,
    };
    let title = format!("Connecteur « {} »", row.name);
    let frame = Frame::new(
        title,
        "connecteurs",
        Some(session.visitor.clone()),
        session.csrf(),
    );
    render::page(
        "connector.html",
        &frame,
        &minijinja::context! {
            instance => instance(row),
            files => files.into_iter().map(file).collect::<Vec<_>>(),
            runs => runs.into_iter().map(run).collect::<Vec<_>>(),
            notice => notice.map(|(kind, text)| minijinja::context! { kind => kind, text => text }),
        },
    )
}

#[derive(Debug, Serialize)]
struct ItemView {
    record: String,
    outcome: String,
    person: Option<Uuid>,
    message: String,
}

/// `GET /console/connecteurs/{id}/executions/{run_id}`: a run and what it did, record by record.
pub async fn show_run(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = administrators_only(&session)?;
    let (id, run_id) = path.into_inner();
    let (instance_row, run_row, items) = with_conn(&state.pool, move |conn| {
        let instance_row =
            connectors::get(conn, scope, id)?.ok_or_else(|| ApiError::not_found("connector"))?;
        let run_row =
            connectors::run(conn, id, run_id)?.ok_or_else(|| ApiError::not_found("run"))?;
        let items = connectors::items(conn, run_id, None, 500)?;
        Ok((instance_row, run_row, items))
    })
    .await
    .map_err(ConsoleError::read)?;
    let items: Vec<ItemView> = items
        .into_iter()
        .map(|item| ItemView {
            record: item.record_ref,
            outcome: item.outcome,
            person: item.beneficiary_id,
            message: item.message.unwrap_or_default(),
        })
        .collect();
    let frame = Frame::new(
        format!("Exécution du connecteur « {} »", instance_row.name),
        "connecteurs",
        Some(session.visitor.clone()),
        session.csrf(),
    );
    render::page(
        "connector_run.html",
        &frame,
        &minijinja::context! {
            instance => instance(instance_row),
            run => run(run_row),
            items => items,
        },
    )
}

/// `GET /console/connecteurs/{id}/fichiers/{file_id}`: a received file and its report.
pub async fn show_file(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = administrators_only(&session)?;
    let (id, file_id) = path.into_inner();
    let (instance_row, file_row) = with_conn(&state.pool, move |conn| {
        let instance_row =
            connectors::get(conn, scope, id)?.ok_or_else(|| ApiError::not_found("connector"))?;
        let file_row =
            connector_files::get(conn, id, file_id)?.ok_or_else(|| ApiError::not_found("file"))?;
        Ok((instance_row, file_row))
    })
    .await
    .map_err(ConsoleError::read)?;
    let frame = Frame::new(
        format!("Fichier « {} »", file_row.file_name),
        "connecteurs",
        Some(session.visitor.clone()),
        session.csrf(),
    );
    render::page(
        "connector_file.html",
        &frame,
        &minijinja::context! {
            instance => instance(instance_row),
            file => file(file_row),
        },
    )
}

/// The run form.
#[derive(Debug, Deserialize)]
pub struct RunForm {
    csrf: Option<String>,
}

/// `POST /console/connecteurs/{id}/executions`: starts a run now.
pub async fn start(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<Uuid>,
    form: web::Form<RunForm>,
) -> Result<HttpResponse, ConsoleError> {
    session.check(form.csrf.as_deref())?;
    administrators_only(&session)?;
    let id = id.into_inner();
    let caller = session.caller.clone();
    let started = with_conn(&state.pool, move |conn| queue_manual_run(conn, &caller, id)).await;
    let target = match started {
        Ok(run) => format!("/console/connecteurs/{id}/executions/{}", run.id),
        Err(error) if error.code() == ErrorCode::Conflict => {
            let notice = if error.extension("run_id").is_some() {
                "deja-en-cours"
            } else {
                "desactive"
            };
            format!("/console/connecteurs/{id}?avis={notice}")
        }
        Err(error) => return Err(ConsoleError::read(error)),
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target))
        .finish())
}

/// `POST /console/connecteurs/{id}/fichiers`: sends a file to the instance (the CSRF token
/// comes first in the form, and is checked before the file is read).
pub async fn upload(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<Uuid>,
    mut multipart: Multipart,
) -> Result<HttpResponse, ConsoleError> {
    administrators_only(&session)?;
    let id = id.into_inner();
    let bad = |error: actix_multipart::MultipartError| {
        ConsoleError::Api(ApiError::new(
            ErrorCode::BadRequest,
            format!("Le formulaire est illisible : {error}"),
        ))
    };
    let mut checked = false;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(bad)?;
        match field.name().unwrap_or_default() {
            "csrf" => {
                let bytes = field
                    .bytes(256)
                    .await
                    .map_err(|_| ConsoleError::Forged)?
                    .map_err(bad)?;
                session.check(std::str::from_utf8(&bytes).ok())?;
                checked = true;
            }
            "file" if checked => {
                let name = field
                    .content_disposition()
                    .and_then(|disposition| disposition.get_filename())
                    .map(str::to_owned);
                let received = receive_file(&state, &session.caller, id, name, &mut field).await;
                let notice = match received {
                    Ok((_, true)) => "envoye",
                    Ok((_, false)) => "deja-recu",
                    Err(error) if error.code() == ErrorCode::ValidationFailed => {
                        let reason = error
                            .detail()
                            .trim_start_matches("The file is kept, rejected: ")
                            .trim_end_matches('.');
                        return Err(ConsoleError::Api(ApiError::new(
                            ErrorCode::ValidationFailed,
                            format!("Le fichier est gardé mais refusé : {}.", refusal(reason)),
                        )));
                    }
                    Err(error) => return Err(ConsoleError::read(error)),
                };
                return Ok(HttpResponse::SeeOther()
                    .insert_header((
                        header::LOCATION,
                        format!("/console/connecteurs/{id}?avis={notice}"),
                    ))
                    .finish());
            }
            _ => return Err(ConsoleError::Forged),
        }
    }
    Err(ConsoleError::Api(ApiError::new(
        ErrorCode::ValidationFailed,
        "Choisissez le fichier à envoyer.",
    )))
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn a_refused_files_reason_is_said_in_french() {
        assert_eq!(
            refusal("not a flux bénéficiaires: balise racine inconnue"),
            "ce n'est pas un flux bénéficiaires CAF/MSA : balise racine inconnue"
        );
        assert_eq!(refusal("autre chose"), "autre chose");
    }
}
