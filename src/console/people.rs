//! The people's page: the beneficiaries within the visitor's reach (a professional sees the
//! people of their notebooks, a manager their deployment's), searched by name; each person
//! listed is journaled as read, as the API does.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ConsoleError;
use super::render::{self, Frame};
use super::session::Session;
use crate::api::db::with_conn;
use crate::api::state::AppState;
use crate::domain::scopes::Scope;
use crate::store::people::BeneficiaryFilters;

/// People per page.
const PAGE: i64 = 50;

/// The search form.
#[derive(Debug, Deserialize)]
pub struct Search {
    /// Words of the name.
    nom: Option<String>,
    /// The last person of the previous page.
    apres: Option<Uuid>,
}

#[derive(Debug, Serialize)]
struct PersonItem {
    id: Uuid,
    name: String,
    birth_date: String,
    caf_number: String,
    france_travail_id: String,
    city: String,
}

/// `GET /console/personnes`: the people within reach.
pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    search: web::Query<Search>,
) -> Result<HttpResponse, ConsoleError> {
    session
        .caller
        .require(Scope::BeneficiariesRead)
        .map_err(|_| ConsoleError::Forbidden("Votre rôle ne consulte pas les personnes.".into()))?;
    let search = search.into_inner();
    let name = search
        .nom
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(|text| text.chars().take(100).collect::<String>());
    let filters = BeneficiaryFilters {
        name: name.clone(),
        ..BeneficiaryFilters::default()
    };
    let caller = session.caller.clone();
    let after = search.apres;
    let page = with_conn(&state.pool, move |conn| {
        crate::api::people::list_within(
            conn,
            &caller,
            &filters,
            after,
            PAGE,
            "GET /console/personnes",
            None,
        )
    })
    .await?;
    let items: Vec<PersonItem> = page
        .items
        .into_iter()
        .map(|row| PersonItem {
            id: row.id,
            name: format!("{} {}", row.lastname.to_uppercase(), row.firstname),
            birth_date: row.date_of_birth.format("%d/%m/%Y").to_string(),
            caf_number: row.caf_number.unwrap_or_default(),
            france_travail_id: row.france_travail_id.unwrap_or_default(),
            city: row.city.unwrap_or_default(),
        })
        .collect();
    let frame = Frame::new(
        "Personnes accompagnées",
        "personnes",
        Some(session.visitor.clone()),
        session.csrf(),
    );
    render::page(
        "people_list.html",
        &frame,
        &minijinja::context! {
            items => items,
            nom => name.unwrap_or_default(),
            next => page.next_after,
        },
    )
}

/// One field of the person, with who set it.
#[derive(Debug, Serialize)]
struct FieldView {
    label: String,
    value: String,
    source: String,
    as_of: String,
}

/// One event of the timeline.
#[derive(Debug, Serialize)]
struct EventItem {
    when: String,
    kind: String,
    payload: minijinja::Value,
}

/// One access of the journal.
#[derive(Debug, Serialize)]
struct AccessItem {
    when: String,
    who: String,
    action: String,
    resource: String,
    outcome: String,
    purpose: String,
}

/// The person's fields in the person's column order, each with its provenance.
fn fields_of(
    row: &crate::store::people::BeneficiaryRow,
    provenance: &[crate::store::people::ProvenanceRow],
    show_nir: bool,
) -> Vec<FieldView> {
    let view = serde_json::to_value(crate::api::people::BeneficiaryView::from_row(
        row.clone(),
        show_nir,
    ))
    .unwrap_or_default();
    crate::domain::person::PersonField::ALL
        .iter()
        .map(|field| field.column())
        .filter(|column| show_nir || *column != "nir")
        .filter_map(|column| {
            let value = super::labels::value(super::labels::person_field(&view, column));
            if value.is_empty() {
                return None;
            }
            let set = provenance.iter().find(|p| p.field == column);
            Some(FieldView {
                label: super::labels::field(column),
                value,
                source: set.map(|p| p.source_system.clone()).unwrap_or_default(),
                as_of: set
                    .map(|p| super::labels::when(p.as_of))
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// `GET /console/personnes/{id}`: the person as the API shows them to the visitor: their
/// fields and who set each, their notebook, its timeline and (for managers) their access
/// journal. Each read is journaled, as the API's.
pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ConsoleError> {
    let id = id.into_inner();
    let caller = session.caller.clone();
    let show_nir = caller.scopes.contains(Scope::NirRead);
    let reads_notebooks = caller.scopes.contains(Scope::NotebooksRead);
    let (row, provenance, notebook, events, journal) = with_conn(&state.pool, move |conn| {
        let resource = "GET /console/personnes/{id}";
        let (row, provenance) =
            crate::api::people::read_beneficiary(conn, &caller, id, resource, None, true)?;
        let notebook_id = crate::store::notebooks::id_of_beneficiary(conn, id)?;
        let (notebook, events) = match (notebook_id, reads_notebooks) {
            (Some(notebook_id), true) => (
                Some(crate::api::notebooks::read_notebook(
                    conn,
                    &caller,
                    notebook_id,
                    resource,
                    None,
                )?),
                crate::api::plan::read_events(
                    conn,
                    &caller,
                    notebook_id,
                    resource,
                    None,
                    None,
                    200,
                )?
                .rows,
            ),
            _ => (None, Vec::new()),
        };
        let journal = if crate::auth::policy::may_read_access_log(&caller) {
            Some(crate::api::people::read_access_log(conn, &caller, id, None, 50)?.0)
        } else {
            None
        };
        Ok((row, provenance, notebook, events, journal))
    })
    .await
    .map_err(ConsoleError::read)?;
    let fields = fields_of(&row, &provenance.unwrap_or_default(), show_nir);
    let mut notebook = notebook
        .map(|view| serde_json::to_value(view).unwrap_or_default())
        .unwrap_or(serde_json::Value::Null);
    if let Some(parts) = notebook.as_object_mut() {
        // The person's own fields are shown above, with their sources.
        parts.remove("beneficiary");
    }
    let events: Vec<EventItem> = events
        .into_iter()
        .map(|event| EventItem {
            when: super::labels::when(event.event_date),
            kind: event.event_type,
            payload: super::render::nested(&event.payload),
        })
        .collect();
    let journal: Option<Vec<AccessItem>> = journal.map(|rows| {
        rows.into_iter()
            .map(|access| AccessItem {
                when: super::labels::when(access.occurred_at),
                who: match access.actor_kind.as_str() {
                    "api_client" => "Logiciel partenaire".to_owned(),
                    _ => access
                        .actor_role
                        .parse::<crate::domain::role::Role>()
                        .map(super::labels::role)
                        .unwrap_or("Compte")
                        .to_owned(),
                },
                action: match access.action.as_str() {
                    "read" => "Consultation",
                    "write" => "Modification",
                    "export" => "Export",
                    "delete" => "Suppression",
                    _ => "Accès",
                }
                .to_owned(),
                resource: access.resource,
                outcome: match access.outcome.as_str() {
                    "allowed" => "autorisé",
                    _ => "refusé",
                }
                .to_owned(),
                purpose: access.purpose.unwrap_or_default(),
            })
            .collect()
    });
    let name = format!("{} {}", row.firstname, row.lastname.to_uppercase());
    let frame = Frame::new(
        name,
        "personnes",
        Some(session.visitor.clone()),
        session.csrf(),
    );
    render::page(
        "person.html",
        &frame,
        &minijinja::context! {
            fields => fields,
            notebook => (!notebook.is_null()).then(|| super::render::nested(&notebook)),
            events => events,
            journal => journal,
        },
    )
}
