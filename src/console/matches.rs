//! Possible matches: records the pipeline kept aside because they may be about several
//! people, or disagree with the person they matched on a NIR or a birth date. A manager sees
//! the record and each candidate side by side, field by field, with the source of each value,
//! and says whether the record is about one of them or about someone new.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ConsoleError;
use super::labels;
use super::render::{self, Frame};
use super::session::Session;
use crate::api::db::with_conn;
use crate::api::matches::managed_deployment;
use crate::api::state::AppState;

/// Possible matches per page.
const PAGE: i64 = 50;

fn managers_only(session: &Session) -> Result<Uuid, ConsoleError> {
    managed_deployment(&session.caller).map_err(|_| {
        ConsoleError::Forbidden(
            "Les rapprochements sont tranchés par les gestionnaires du déploiement.".into(),
        )
    })
}

/// « ambiguous » and « pivot_conflict », as agents read them.
fn reason(code: &str) -> &'static str {
    match code {
        "ambiguous" => "Plusieurs personnes partagent un identifiant de cette fiche",
        "pivot_conflict" => {
            "Le NIR ou la date de naissance ne concorde pas avec la personne trouvée"
        }
        _ => "À vérifier",
    }
}

#[derive(Debug, Serialize)]
struct MatchItem {
    id: Uuid,
    name: String,
    reason: &'static str,
    source: String,
    when: String,
    candidates: usize,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    apres: Option<Uuid>,
    fait: Option<String>,
}

fn record_name(record: &serde_json::Value) -> String {
    let fields = &record["fields"];
    format!(
        "{} {}",
        labels::value(fields.get("firstname")),
        labels::value(fields.get("lastname")).to_uppercase()
    )
    .trim()
    .to_owned()
}

/// `GET /console/rapprochements`: the open possible matches of the manager's deployment.
pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let deployment = managers_only(&session)?;
    let after = query.apres;
    let rows = with_conn(&state.pool, move |conn| {
        Ok(crate::store::possible_matches::open(
            conn,
            deployment,
            after,
            PAGE + 1,
        )?)
    })
    .await?;
    let page = crate::store::Page::from_rows(rows, PAGE, |row| row.id);
    let items: Vec<MatchItem> = page
        .items
        .into_iter()
        .map(|row| MatchItem {
            id: row.id,
            name: record_name(&row.record),
            reason: reason(&row.reason),
            source: labels::value(row.record["source"].get("system")),
            when: labels::when(row.created_at),
            candidates: row.candidate_ids.len(),
        })
        .collect();
    let frame = Frame::new(
        "Rapprochements à vérifier",
        "rapprochements",
        Some(session.visitor.clone()),
        session.csrf(),
    );
    render::page(
        "matches_list.html",
        &frame,
        &minijinja::context! {
            items => items,
            next => page.next_after,
            done => query.fait.is_some(),
        },
    )
}

#[derive(Debug, Serialize)]
struct Cell {
    value: String,
    source: String,
    differs: bool,
}

#[derive(Debug, Serialize)]
struct Row {
    label: String,
    record: String,
    candidates: Vec<Cell>,
}

#[derive(Debug, Serialize)]
struct Candidate {
    id: Uuid,
    name: String,
}

/// `GET /console/rapprochements/{id}`: the record and its candidates side by side.
pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ConsoleError> {
    let deployment = managers_only(&session)?;
    let id = id.into_inner();
    let caller = session.caller.clone();
    let (found, candidates) = with_conn(&state.pool, move |conn| {
        let Some(found) = crate::store::possible_matches::lock_open(conn, id, deployment)? else {
            return Err(crate::api::problem::ApiError::not_found(
                "open possible match",
            ));
        };
        let mut candidates = Vec::new();
        for candidate in &found.candidate_ids {
            let (row, provenance) = crate::api::people::read_beneficiary(
                conn,
                &caller,
                *candidate,
                "GET /console/rapprochements/{id}",
                None,
                true,
            )?;
            candidates.push((row, provenance.unwrap_or_default()));
        }
        Ok((found, candidates))
    })
    .await
    .map_err(ConsoleError::read)?;
    let show_nir = session
        .caller
        .scopes
        .contains(crate::domain::scopes::Scope::NirRead);
    let fields = found.record["fields"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let views: Vec<serde_json::Value> = candidates
        .iter()
        .map(|(row, _)| {
            serde_json::to_value(crate::api::people::BeneficiaryView::from_row(
                row.clone(),
                show_nir,
            ))
            .unwrap_or_default()
        })
        .collect();
    let rows: Vec<Row> = crate::domain::person::PersonField::ALL
        .iter()
        .map(|field| field.column())
        .filter(|column| show_nir || *column != "nir")
        .filter_map(|column| {
            let record = labels::value(fields.get(column));
            let cells: Vec<Cell> = views
                .iter()
                .zip(&candidates)
                .map(|(view, (_, provenance))| {
                    let value = labels::value(labels::person_field(view, column));
                    Cell {
                        differs: !record.is_empty() && !value.is_empty() && value != record,
                        source: provenance
                            .iter()
                            .find(|p| p.field == column)
                            .map(|p| p.source_system.clone())
                            .unwrap_or_default(),
                        value,
                    }
                })
                .collect();
            (!record.is_empty() || cells.iter().any(|cell| !cell.value.is_empty())).then(|| Row {
                label: labels::field(column),
                record,
                candidates: cells,
            })
        })
        .collect();
    let people: Vec<Candidate> = candidates
        .iter()
        .enumerate()
        .map(|(index, (row, _))| Candidate {
            id: row.id,
            name: format!(
                "Personne {} : {} {}",
                index + 1,
                row.firstname,
                row.lastname.to_uppercase()
            ),
        })
        .collect();
    let frame = Frame::new(
        format!("Rapprochement : {}", record_name(&found.record)),
        "rapprochements",
        Some(session.visitor.clone()),
        session.csrf(),
    );
    render::page(
        "match.html",
        &frame,
        &minijinja::context! {
            id => found.id,
            reason => reason(&found.reason),
            source => labels::value(found.record["source"].get("system")),
            as_of => found.record["source"]
                .get("as_of")
                .and_then(|v| v.as_str())
                .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
                .map(|at| labels::when(at.with_timezone(&chrono::Utc)))
                .unwrap_or_default(),
            rows => rows,
            candidates => people,
        },
    )
}

/// The decision form.
#[derive(Debug, Deserialize)]
pub struct Decision {
    csrf: Option<String>,
    /// `different_person`, or the id of the candidate it is about.
    decision: String,
}

/// `POST /console/rapprochements/{id}`: applies the decision as the API does.
pub async fn decide(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<Uuid>,
    form: web::Form<Decision>,
) -> Result<HttpResponse, ConsoleError> {
    session.check(form.csrf.as_deref())?;
    managers_only(&session)?;
    let id = id.into_inner();
    let (decision, person) = match form.decision.as_str() {
        "different_person" => ("different_person", None),
        other => (
            "same_person",
            Some(Uuid::parse_str(other).map_err(|_| ConsoleError::NotFound)?),
        ),
    };
    let caller = session.caller.clone();
    with_conn(&state.pool, move |conn| {
        crate::api::matches::resolve(conn, &caller, id, decision, person)
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/rapprochements?fait=1"))
        .finish())
}
