//! Appointments (rendez-vous) of a notebook with one member of its follow-up group: created,
//! moved, marked present or absent, and soft-deleted (kept with who deleted it), each with its
//! timeline event.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::timeline::{Author, WriteError, check, commit, invalid_or};

/// The statuses of an appointment.
pub const STATUSES: &[&str] = &["pending", "present", "absent"];

#[derive(QueryableByName)]
struct AppointmentJson {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Jsonb)]
    row: serde_json::Value,
}

const APPOINTMENT_JSON: &str = "jsonb_build_object('date', a.date, 'status', a.status, 'account_id', a.account_id, \
     'with', (SELECT coalesce(p.firstname || ' ' || p.lastname, om.firstname || ' ' || om.lastname) FROM account ac \
              LEFT JOIN professional p ON p.id = ac.professional_id \
              LEFT JOIN orientation_manager om ON om.id = ac.orientation_manager_id WHERE ac.id = a.account_id))";

fn valid_status(status: &str) -> Result<(), WriteError> {
    if STATUSES.contains(&status) {
        Ok(())
    } else {
        Err(WriteError::Invalid(format!(
            "status must be one of {}",
            STATUSES.join(", ")
        )))
    }
}

/// Adds an appointment with `member`, who must be an active member of the notebook.
pub fn add(
    conn: &mut PgConnection,
    notebook: Uuid,
    member: Uuid,
    date: DateTime<Utc>,
    status: &str,
    author: Author,
) -> Result<(Uuid, i64), WriteError> {
    valid_status(status)?;
    conn.transaction(|conn| {
        let added: AppointmentJson = diesel::sql_query(format!(
            "WITH a AS (INSERT INTO notebook_appointment (deployment_id, notebook_id, account_id, date, status) \
               SELECT n.deployment_id, n.id, m.account_id, $3, $4 FROM notebook n \
               JOIN notebook_member m ON m.notebook_id = n.id AND m.active AND m.account_id = $2 WHERE n.id = $1 \
               RETURNING *) SELECT a.id, {APPOINTMENT_JSON} AS row FROM a"
        ))
        .bind::<SqlUuid, _>(notebook)
        .bind::<SqlUuid, _>(member)
        .bind::<Timestamptz, _>(date)
        .bind::<Text, _>(status)
        .get_result(conn)
        .optional()
        .map_err(invalid_or)?
        .ok_or_else(|| {
            WriteError::Invalid("account_id must be an active member of the notebook".into())
        })?;
        let payload = serde_json::json!({
            "event_label": "Rendez-vous", "status": status, "before": null, "after": added.row,
        });
        let version = commit(conn, notebook, None, author, "appointment", Utc::now(), payload)?;
        Ok((added.id, version))
    })
}

/// Moves an appointment or changes its status, if the notebook is still at `expected`.
pub fn update(
    conn: &mut PgConnection,
    notebook: Uuid,
    id: Uuid,
    date: Option<DateTime<Utc>>,
    status: Option<&str>,
    expected: i64,
    author: Author,
) -> Result<i64, WriteError> {
    if let Some(status) = status {
        valid_status(status)?;
    }
    conn.transaction(|conn| {
        let before: AppointmentJson = diesel::sql_query(format!(
            "SELECT a.id, {APPOINTMENT_JSON} AS row FROM notebook_appointment a \
             WHERE a.id = $1 AND a.notebook_id = $2 AND a.deleted_at IS NULL FOR UPDATE"
        ))
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(notebook)
        .get_result(conn)
        .optional()?
        .ok_or(WriteError::NotFound)?;
        let after: AppointmentJson = diesel::sql_query(format!(
            "WITH a AS (UPDATE notebook_appointment SET date = coalesce($2, date), status = coalesce($3, status) \
             WHERE id = $1 RETURNING *) SELECT a.id, {APPOINTMENT_JSON} AS row FROM a"
        ))
        .bind::<SqlUuid, _>(id)
        .bind::<Nullable<Timestamptz>, _>(date)
        .bind::<Nullable<Text>, _>(status)
        .get_result(conn)
        .map_err(invalid_or)?;
        if before.row == after.row {
            return check(conn, notebook, Some(expected));
        }
        let payload = serde_json::json!({
            "event_label": "Rendez-vous", "status": after.row["status"], "before": before.row, "after": after.row,
        });
        commit(conn, notebook, Some(expected), author, "appointment", Utc::now(), payload)
    })
}

/// Soft-deletes an appointment (kept with who deleted it and when).
pub fn delete(
    conn: &mut PgConnection,
    notebook: Uuid,
    id: Uuid,
    author: Author,
) -> Result<i64, WriteError> {
    conn.transaction(|conn| {
        let deleted: AppointmentJson = diesel::sql_query(format!(
            "WITH a AS (UPDATE notebook_appointment SET deleted_at = now(), deleted_by_account_id = $3 \
             WHERE id = $1 AND notebook_id = $2 AND deleted_at IS NULL RETURNING *) \
             SELECT a.id, {APPOINTMENT_JSON} AS row FROM a"
        ))
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(notebook)
        .bind::<Nullable<SqlUuid>, _>(author.account_id)
        .get_result(conn)
        .optional()?
        .ok_or(WriteError::NotFound)?;
        let payload = serde_json::json!({
            "event_label": "Rendez-vous", "status": "deleted", "before": deleted.row, "after": null,
        });
        commit(conn, notebook, None, author, "appointment", Utc::now(), payload)
    })
}

/// An appointment in a list, with its notebook and person.
#[derive(Debug, Clone, Queryable)]
pub struct AppointmentRow {
    /// The appointment.
    pub id: Uuid,
    /// Its notebook.
    pub notebook_id: Uuid,
    /// The notebook's person.
    pub beneficiary_id: Uuid,
    /// Their deployment.
    pub deployment_id: Uuid,
    /// The professional who holds it.
    pub account_id: Uuid,
    /// When.
    pub date: DateTime<Utc>,
    /// `pending`, `present` or `absent`.
    pub status: String,
}

/// The live appointments of the notebooks within reach, from `from` (included) to `to`
/// (excluded), optionally of one professional, in time order after the previous page's last
/// `(date, id)`; `limit` of them.
pub fn within(
    conn: &mut PgConnection,
    reach: super::reach::BeneficiaryFilter,
    range: (DateTime<Utc>, DateTime<Utc>),
    account: Option<Uuid>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<AppointmentRow>> {
    use crate::schema::{beneficiary, notebook, notebook_appointment as a};
    let people = super::people::filtered(reach, &super::people::BeneficiaryFilters::default())
        .select(beneficiary::id);
    let mut query = a::table
        .inner_join(notebook::table.on(notebook::id.eq(a::notebook_id)))
        .filter(a::deleted_at.is_null())
        .filter(a::date.ge(range.0))
        .filter(a::date.lt(range.1))
        .filter(notebook::beneficiary_id.eq_any(people))
        .into_boxed();
    if let Some(account) = account {
        query = query.filter(a::account_id.eq(account));
    }
    if let Some((at, id)) = after {
        query = query.filter(a::date.gt(at).or(a::date.eq(at).and(a::id.gt(id))));
    }
    query
        .select((
            a::id,
            a::notebook_id,
            notebook::beneficiary_id,
            notebook::deployment_id,
            a::account_id,
            a::date,
            a::status,
        ))
        .order((a::date.asc(), a::id.asc()))
        .limit(limit)
        .load(conn)
}
