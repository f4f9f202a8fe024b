//! The action plan of a notebook (focuses, targets, actions) and its timeline: every change is
//! written with its timeline event, bumps the notebook's version and enters the change feed, in
//! one transaction.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::timeline::{Author, WriteError as PlanError, commit, invalid_or};

#[derive(QueryableByName)]
struct Created {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    theme: String,
}

/// Adds a focus (axe de travail); answers its id and the new version.
pub fn add_focus(
    conn: &mut PgConnection,
    notebook: Uuid,
    theme: &str,
    author: Author,
) -> Result<(Uuid, i64), PlanError> {
    conn.transaction(|conn| {
        let created: Created = diesel::sql_query(
            "INSERT INTO notebook_focus (deployment_id, notebook_id, theme, creator_account_id) \
             SELECT deployment_id, id, $2, $3 FROM notebook WHERE id = $1 RETURNING id, theme",
        )
        .bind::<SqlUuid, _>(notebook)
        .bind::<Text, _>(theme)
        .bind::<Nullable<SqlUuid>, _>(author.account_id)
        .get_result(conn)
        .map_err(invalid_or)?;
        let payload = serde_json::json!({"category": created.theme, "event_label": created.theme, "status": "created"});
        let version = commit(conn, notebook, None, author, "focus", Utc::now(), payload)?;
        Ok((created.id, version))
    })
}

/// Adds a target (objectif) to a focus of the notebook.
pub fn add_target(
    conn: &mut PgConnection,
    notebook: Uuid,
    focus: Uuid,
    target: &str,
    linked_to: Option<&str>,
    author: Author,
) -> Result<(Uuid, i64), PlanError> {
    conn.transaction(|conn| {
        let created: Option<Created> = diesel::sql_query(
            "INSERT INTO notebook_target (deployment_id, notebook_id, focus_id, target, linked_to, creator_account_id) \
             SELECT f.deployment_id, f.notebook_id, f.id, $3, $4, $5 FROM notebook_focus f WHERE f.id = $2 AND f.notebook_id = $1 \
             RETURNING id, (SELECT theme FROM notebook_focus WHERE id = $2) AS theme",
        )
        .bind::<SqlUuid, _>(notebook)
        .bind::<SqlUuid, _>(focus)
        .bind::<Text, _>(target)
        .bind::<Nullable<Text>, _>(linked_to)
        .bind::<Nullable<SqlUuid>, _>(author.account_id)
        .get_result(conn)
        .optional()
        .map_err(invalid_or)?;
        let created = created.ok_or(PlanError::NotFound)?;
        let payload = serde_json::json!({"category": created.theme, "event_label": target, "status": "in_progress"});
        let version = commit(conn, notebook, None, author, "target", Utc::now(), payload)?;
        Ok((created.id, version))
    })
}

/// Adds an action to a target of the notebook.
pub fn add_action(
    conn: &mut PgConnection,
    notebook: Uuid,
    target: Uuid,
    action: &str,
    starting_at: DateTime<Utc>,
    author: Author,
) -> Result<(Uuid, i64), PlanError> {
    conn.transaction(|conn| {
        let created: Option<Created> = diesel::sql_query(
            "INSERT INTO notebook_action (deployment_id, notebook_id, target_id, action, starting_at, creator_account_id) \
             SELECT t.deployment_id, t.notebook_id, t.id, $3, $4, $5 FROM notebook_target t WHERE t.id = $2 AND t.notebook_id = $1 \
             RETURNING id, (SELECT f.theme FROM notebook_focus f JOIN notebook_target t ON t.focus_id = f.id WHERE t.id = $2) AS theme",
        )
        .bind::<SqlUuid, _>(notebook)
        .bind::<SqlUuid, _>(target)
        .bind::<Text, _>(action)
        .bind::<Timestamptz, _>(starting_at)
        .bind::<Nullable<SqlUuid>, _>(author.account_id)
        .get_result(conn)
        .optional()
        .map_err(invalid_or)?;
        let created = created.ok_or(PlanError::NotFound)?;
        let payload = serde_json::json!({"category": created.theme, "event_label": action, "status": "in_progress"});
        // As the original: an action's event is dated by its start.
        let version = commit(conn, notebook, None, author, "action", starting_at, payload)?;
        Ok((created.id, version))
    })
}

#[derive(QueryableByName)]
struct StatusChange {
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = Text)]
    before: String,
    #[diesel(sql_type = Text)]
    theme: String,
}

/// Changes the status of a target or an action, if the notebook is still at `expected`.
pub fn set_status(
    conn: &mut PgConnection,
    notebook: Uuid,
    item: PlanItem,
    id: Uuid,
    status: &str,
    expected: i64,
    author: Author,
) -> Result<i64, PlanError> {
    conn.transaction(|conn| {
        let (query, event_type) = match item {
            PlanItem::Target => (
                "WITH old AS (SELECT t.target AS label, t.status AS before, f.theme FROM notebook_target t \
                   JOIN notebook_focus f ON f.id = t.focus_id WHERE t.id = $2 AND t.notebook_id = $1 FOR UPDATE OF t) \
                 UPDATE notebook_target SET status = $3 FROM old WHERE id = $2 RETURNING old.label, old.before, old.theme",
                "target",
            ),
            PlanItem::Action => (
                "WITH old AS (SELECT a.action AS label, a.status AS before, f.theme FROM notebook_action a \
                   JOIN notebook_target t ON t.id = a.target_id JOIN notebook_focus f ON f.id = t.focus_id \
                   WHERE a.id = $2 AND a.notebook_id = $1 FOR UPDATE OF a) \
                 UPDATE notebook_action SET status = $3 FROM old WHERE id = $2 RETURNING old.label, old.before, old.theme",
                "action",
            ),
        };
        let changed: StatusChange = diesel::sql_query(query)
            .bind::<SqlUuid, _>(notebook)
            .bind::<SqlUuid, _>(id)
            .bind::<Text, _>(status)
            .get_result(conn)
            .optional()
            .map_err(invalid_or)?
            .ok_or(PlanError::NotFound)?;
        let payload = serde_json::json!({
            "category": changed.theme, "event_label": changed.label, "status": status,
            "before": {"status": changed.before}, "after": {"status": status},
        });
        commit(conn, notebook, Some(expected), author, event_type, Utc::now(), payload)
    })
}

/// Which kind of plan item.
#[derive(Debug, Clone, Copy)]
pub enum PlanItem {
    /// A target.
    Target,
    /// An action.
    Action,
}

/// A timeline event.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::notebook_event)]
pub struct EventRow {
    pub id: Uuid,
    pub event_type: String,
    pub event_date: DateTime<Utc>,
    pub author_account_id: Option<Uuid>,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// The timeline of a notebook, newest first.
pub fn events(
    conn: &mut PgConnection,
    notebook: Uuid,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    use crate::schema::notebook_event;
    let mut query = notebook_event::table
        .filter(notebook_event::notebook_id.eq(notebook))
        .into_boxed();
    if let Some((at, id)) = before {
        query = query.filter(
            notebook_event::event_date
                .lt(at)
                .or(notebook_event::event_date
                    .eq(at)
                    .and(notebook_event::id.lt(id))),
        );
    }
    query
        .order((notebook_event::event_date.desc(), notebook_event::id.desc()))
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)
}
