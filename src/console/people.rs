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
