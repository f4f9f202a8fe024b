//! The rattachement round trip's first half: a structure's people waiting for a referent,
//! as the CSV its administrator fills in (last column) and uploads back as a `rattachements`
//! import for the structure.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use uuid::Uuid;

use super::db::with_conn;
use super::problem::{ApiError, ErrorCode, Problem};
use crate::api::state::AppState;
use crate::auth::caller::Caller;
use crate::auth::policy::{self, Importer};
use crate::domain::scopes::Scope;
use crate::store::{directory, directory_writes};

/// The header of the file, as the original exported it.
pub const HEADER: [&str; 5] = [
    "id",
    "nom",
    "prénom",
    "date de naissance",
    "emails des professionnels",
];

/// The structure's people waiting for a referent (`beneficiaires_en_attente.csv`: UTF-8 with
/// BOM, `;`), the last column empty, to fill in with the structure's professionals' e-mails.
#[utoipa::path(
    tag = "imports",
    params(("id" = Uuid, Path, description = "Structure id.")),
    responses(
        (status = 200, description = "The file.", content_type = "text/csv", body = String),
        (status = 401, description = "No valid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing imports:write, or not an administrator of the structure.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such structure within reach.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["imports:write"]), ("bearer" = []))
)]
#[get("/v1/structures/{id}/pending-beneficiaries.csv")]
pub async fn pending_beneficiaries(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ImportsWrite)?;
    // The file names people: a read of each of them.
    caller.require(Scope::BeneficiariesRead)?;
    let importer =
        policy::importer(&caller, policy::ImportAccess::OneStructure).ok_or_else(|| {
            ApiError::new(
                ErrorCode::Forbidden,
                "Your role does not import rattachement files.",
            )
        })?;
    let admin_structure = match importer {
        Importer::AdministeredStructures {
            admin_structure_id, ..
        } => Some(admin_structure_id),
        _ => None,
    };
    let id = id.into_inner();
    let bytes = with_conn(&state.pool, move |conn| {
        let deployment = importer.deployment();
        let structure = directory_writes::structure(conn, id, deployment)?
            .ok_or_else(|| ApiError::not_found("structure"))?;
        if let Some(admin) = admin_structure
            && !directory_writes::administers(conn, admin, structure.id)?
        {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "You do not administer this structure.",
            ));
        }
        let people = directory::pending_beneficiaries(conn, structure.id)?;
        let shown: Vec<_> = people
            .iter()
            .map(|person| {
                super::journal::entry(
                    &caller,
                    person.beneficiary_id,
                    Some(structure.deployment_id),
                    super::journal::Access::Read,
                    "GET /v1/structures/{id}/pending-beneficiaries.csv",
                    true,
                    None,
                )
            })
            .collect();
        crate::store::access_log::record(conn, &shown)?;
        let mut out = "\u{feff}".as_bytes().to_vec();
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let write = |writer: &mut csv::Writer<&mut Vec<u8>>, record: &[&str]| {
            writer
                .write_record(record)
                .map_err(|error| ApiError::internal(&error))
        };
        write(&mut writer, &HEADER)?;
        for person in &people {
            let id = person.notebook_id.to_string();
            let born = person.date_of_birth.format("%Y-%m-%d").to_string();
            let (lastname, firstname) = (
                crate::domain::spreadsheet_cell::inert(&person.lastname),
                crate::domain::spreadsheet_cell::inert(&person.firstname),
            );
            write(&mut writer, &[&id, &lastname, &firstname, &born, ""])?;
        }
        writer.flush().map_err(|error| ApiError::internal(&error))?;
        drop(writer);
        Ok(out)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"beneficiaires_en_attente.csv\"",
        ))
        .body(bytes))
}
