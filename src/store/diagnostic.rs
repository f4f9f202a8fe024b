//! The socio-professional diagnostic of a notebook: its situation fields (work situation,
//! education, RQTH, contract), its current situations and its professional projects. Every
//! change records its timeline event with before → after, bumps the version and enters the
//! change feed, in one transaction.

use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::Count;

use super::timeline::{Author, WriteError, check, commit, invalid_or};

/// The notebook columns of the diagnostic that a write may set (our own names, never input).
pub const SOCIO_PRO_FIELDS: &[&str] = &[
    "right_rqth",
    "work_situation",
    "work_situation_date",
    "work_situation_end_date",
    "education_level",
    "last_job_ended_at",
    "contract_type",
    "contract_sign_date",
    "contract_start_date",
    "contract_end_date",
];

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Jsonb)]
    row: serde_json::Value,
}

/// Sets the given diagnostic fields of the notebook (a JSON null clears one), if the notebook
/// is still at `expected`. Fields outside [`SOCIO_PRO_FIELDS`] are refused.
pub fn update_socio_pro(
    conn: &mut PgConnection,
    notebook: Uuid,
    changes: serde_json::Map<String, serde_json::Value>,
    expected: i64,
    author: Author,
) -> Result<i64, WriteError> {
    if let Some(unknown) = changes
        .keys()
        .find(|key| !SOCIO_PRO_FIELDS.contains(&key.as_str()))
    {
        return Err(WriteError::Invalid(format!(
            "{unknown} is not a field of the diagnostic"
        )));
    }
    if changes.is_empty() {
        return Err(WriteError::Invalid("nothing to change".into()));
    }
    conn.transaction(|conn| {
        let names: Vec<&str> = SOCIO_PRO_FIELDS
            .iter()
            .copied()
            .filter(|name| changes.contains_key(*name))
            .collect();
        let list = names.join(", ");
        let before: JsonRow = diesel::sql_query(format!(
            "SELECT to_jsonb(x) AS row FROM (SELECT {list} FROM notebook WHERE id = $1) x"
        ))
        .bind::<SqlUuid, _>(notebook)
        .get_result(conn)?;
        let after = serde_json::Value::Object(changes);
        if before.row == after {
            return check(conn, notebook, Some(expected));
        }
        diesel::sql_query(format!(
            "UPDATE notebook SET ({list}) = (SELECT {list} FROM jsonb_populate_record(NULL::notebook, $2)) WHERE id = $1"
        ))
        .bind::<SqlUuid, _>(notebook)
        .bind::<Jsonb, _>(&after)
        .execute(conn)
        .map_err(invalid_or)?;
        let payload = serde_json::json!({
            "event_label": "Diagnostic socio-professionnel", "before": before.row, "after": after,
        });
        commit(
            conn,
            notebook,
            Some(expected),
            author,
            "notebook",
            Utc::now(),
            payload,
        )
    })
}

#[derive(QueryableByName)]
struct Labelled {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = Text)]
    theme: String,
}

/// Adds a current situation (key of `ref_situation`) to the notebook; answers the row id and
/// the new version. A situation already current is refused.
pub fn add_situation(
    conn: &mut PgConnection,
    notebook: Uuid,
    situation: Uuid,
    author: Author,
) -> Result<(Uuid, i64), WriteError> {
    conn.transaction(|conn| {
        let added: Option<Labelled> = diesel::sql_query(
            "INSERT INTO notebook_situation (deployment_id, notebook_id, situation_id, created_by_account_id) \
             SELECT n.deployment_id, n.id, rs.id, $3 FROM notebook n, ref_situation rs WHERE n.id = $1 AND rs.id = $2 \
             ON CONFLICT (notebook_id, situation_id) WHERE deleted_at IS NULL DO NOTHING \
             RETURNING id, (SELECT description FROM ref_situation WHERE id = $2) AS label, \
                       (SELECT theme FROM ref_situation WHERE id = $2) AS theme",
        )
        .bind::<SqlUuid, _>(notebook)
        .bind::<SqlUuid, _>(situation)
        .bind::<Nullable<SqlUuid>, _>(author.account_id)
        .get_result(conn)
        .optional()
        .map_err(invalid_or)?;
        let Some(added) = added else {
            let known: i64 = diesel::sql_query("SELECT count(*) AS n FROM ref_situation WHERE id = $1")
                .bind::<SqlUuid, _>(situation)
                .get_result::<Count>(conn)?
                .n;
            return Err(if known == 0 {
                WriteError::Invalid(format!("{situation} is not a situation of the referential"))
            } else {
                WriteError::Conflict("this situation is already current in the notebook".into())
            });
        };
        let payload = serde_json::json!({
            "category": added.theme, "event_label": added.label, "status": "created",
            "before": null, "after": {"situation": added.label},
        });
        let version = commit(conn, notebook, None, author, "situation", Utc::now(), payload)?;
        Ok((added.id, version))
    })
}

/// Ends a current situation of the notebook (kept with who ended it and when).
pub fn remove_situation(
    conn: &mut PgConnection,
    notebook: Uuid,
    situation: Uuid,
    author: Author,
) -> Result<i64, WriteError> {
    conn.transaction(|conn| {
        let removed: Labelled = diesel::sql_query(
            "UPDATE notebook_situation ns SET deleted_at = now(), deleted_by_account_id = $3 \
             FROM ref_situation rs WHERE rs.id = ns.situation_id AND ns.notebook_id = $1 \
             AND ns.situation_id = $2 AND ns.deleted_at IS NULL \
             RETURNING ns.id, rs.description AS label, rs.theme",
        )
        .bind::<SqlUuid, _>(notebook)
        .bind::<SqlUuid, _>(situation)
        .bind::<Nullable<SqlUuid>, _>(author.account_id)
        .get_result(conn)
        .optional()?
        .ok_or(WriteError::NotFound)?;
        let payload = serde_json::json!({
            "category": removed.theme, "event_label": removed.label, "status": "deleted",
            "before": {"situation": removed.label}, "after": null,
        });
        commit(
            conn,
            notebook,
            None,
            author,
            "situation",
            Utc::now(),
            payload,
        )
    })
}

/// A professional project's values; `rome_code` None is the "projet en construction".
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Project {
    /// ROME code (e.g. `M1607`), resolved against the referential.
    pub rome_code: Option<String>,
    /// How far the person would travel, in km.
    pub mobility_radius: Option<i32>,
    /// Wished hourly rate in euro cents.
    pub hourly_rate_cents: Option<i32>,
    /// Key of `contract_type`.
    pub contract_type: Option<String>,
    /// Key of `employment_type`.
    pub employment_type: Option<String>,
}

const PROJECT_JSON: &str = "jsonb_build_object('rome_code', (SELECT code FROM rome_code WHERE id = pp.rome_code_id), \
     'mobility_radius', pp.mobility_radius, 'hourly_rate_cents', pp.hourly_rate_cents, \
     'contract_type', pp.contract_type_id, 'employment_type', pp.employment_type_id)";

#[derive(QueryableByName)]
struct ProjectRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Jsonb)]
    row: serde_json::Value,
}

fn rome_id(conn: &mut PgConnection, code: Option<&str>) -> Result<Option<Uuid>, WriteError> {
    let Some(code) = code else {
        return Ok(None);
    };
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    diesel::sql_query("SELECT id FROM rome_code WHERE code = $1 ORDER BY label LIMIT 1")
        .bind::<Text, _>(code)
        .get_result::<Found>(conn)
        .optional()?
        .map(|found| Some(found.id))
        .ok_or_else(|| WriteError::Invalid(format!("{code} is not a ROME code")))
}

fn unique_project(error: WriteError) -> WriteError {
    match error {
        WriteError::Database(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => WriteError::Conflict("the notebook already has a project for this ROME code".into()),
        other => other,
    }
}

/// Adds a professional project; answers its id and the new version.
pub fn add_project(
    conn: &mut PgConnection,
    notebook: Uuid,
    project: &Project,
    author: Author,
) -> Result<(Uuid, i64), WriteError> {
    conn.transaction(|conn| {
        let rome = rome_id(conn, project.rome_code.as_deref())?;
        let added: ProjectRow = diesel::sql_query(format!(
            "WITH pp AS (INSERT INTO professional_project (deployment_id, notebook_id, rome_code_id, mobility_radius, \
               hourly_rate_cents, contract_type_id, employment_type_id, updated_by_account_id) \
             SELECT deployment_id, id, $2, $3, $4, $5, $6, $7 FROM notebook WHERE id = $1 RETURNING *) \
             SELECT pp.id, {PROJECT_JSON} AS row FROM pp"
        ))
        .bind::<SqlUuid, _>(notebook)
        .bind::<Nullable<SqlUuid>, _>(rome)
        .bind::<Nullable<diesel::sql_types::Integer>, _>(project.mobility_radius)
        .bind::<Nullable<diesel::sql_types::Integer>, _>(project.hourly_rate_cents)
        .bind::<Nullable<Text>, _>(project.contract_type.as_deref())
        .bind::<Nullable<Text>, _>(project.employment_type.as_deref())
        .bind::<Nullable<SqlUuid>, _>(author.account_id)
        .get_result(conn)
        .map_err(|e| unique_project(invalid_or(e)))?;
        let payload = serde_json::json!({
            "event_label": project.rome_code.clone().unwrap_or_else(|| "Projet en construction".into()),
            "status": "created", "before": null, "after": added.row,
        });
        let version = commit(conn, notebook, None, author, "professional_project", Utc::now(), payload)?;
        Ok((added.id, version))
    })
}

/// Replaces the values of a professional project, if the notebook is still at `expected`.
pub fn update_project(
    conn: &mut PgConnection,
    notebook: Uuid,
    id: Uuid,
    project: &Project,
    expected: i64,
    author: Author,
) -> Result<i64, WriteError> {
    conn.transaction(|conn| {
        let before: ProjectRow = diesel::sql_query(format!(
            "SELECT pp.id, {PROJECT_JSON} AS row FROM professional_project pp WHERE pp.id = $1 AND pp.notebook_id = $2 FOR UPDATE"
        ))
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(notebook)
        .get_result(conn)
        .optional()?
        .ok_or(WriteError::NotFound)?;
        let rome = rome_id(conn, project.rome_code.as_deref())?;
        let after: ProjectRow = diesel::sql_query(format!(
            "WITH pp AS (UPDATE professional_project SET rome_code_id = $2, mobility_radius = $3, hourly_rate_cents = $4, \
               contract_type_id = $5, employment_type_id = $6, updated_by_account_id = $7 WHERE id = $1 RETURNING *) \
             SELECT pp.id, {PROJECT_JSON} AS row FROM pp"
        ))
        .bind::<SqlUuid, _>(id)
        .bind::<Nullable<SqlUuid>, _>(rome)
        .bind::<Nullable<diesel::sql_types::Integer>, _>(project.mobility_radius)
        .bind::<Nullable<diesel::sql_types::Integer>, _>(project.hourly_rate_cents)
        .bind::<Nullable<Text>, _>(project.contract_type.as_deref())
        .bind::<Nullable<Text>, _>(project.employment_type.as_deref())
        .bind::<Nullable<SqlUuid>, _>(author.account_id)
        .get_result(conn)
        .map_err(|e| unique_project(invalid_or(e)))?;
        if before.row == after.row {
            return check(conn, notebook, Some(expected));
        }
        let payload = serde_json::json!({
            "event_label": project.rome_code.clone().unwrap_or_else(|| "Projet en construction".into()),
            "status": "updated", "before": before.row, "after": after.row,
        });
        commit(conn, notebook, Some(expected), author, "professional_project", Utc::now(), payload)
    })
}

/// Deletes a professional project (the timeline keeps what it was).
pub fn remove_project(
    conn: &mut PgConnection,
    notebook: Uuid,
    id: Uuid,
    author: Author,
) -> Result<i64, WriteError> {
    conn.transaction(|conn| {
        let removed: ProjectRow = diesel::sql_query(format!(
            "WITH pp AS (DELETE FROM professional_project WHERE id = $1 AND notebook_id = $2 RETURNING *) \
             SELECT pp.id, {PROJECT_JSON} AS row FROM pp"
        ))
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(notebook)
        .get_result(conn)
        .optional()?
        .ok_or(WriteError::NotFound)?;
        let label = removed.row["rome_code"]
            .as_str()
            .unwrap_or("Projet en construction")
            .to_owned();
        let payload = serde_json::json!({
            "event_label": label, "status": "deleted", "before": removed.row, "after": null,
        });
        commit(conn, notebook, None, author, "professional_project", Utc::now(), payload)
    })
}
