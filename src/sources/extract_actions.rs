//! Applying France Travail weekly *actions* extracts: each new or changed row (by its hash, as
//! for the principal extract) is kept raw; an action not seen before becomes an action of the
//! person's plan, under the focus of its theme (carnet-de-bord's categorisation of labels) and
//! a target for France Travail's actions. The person is the one their `principal` row matched
//! (`identifiant_unique_de`, kept in `external_data`).

use cdb_france_travail::extract::{ActionCategories, ActionRow, ExtractFile, ExtractRow};
use chrono::{NaiveTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::caf_files::FileError;
use super::extract_files::{Chunk, ExtractReport, seen};
use super::runner::RunCounts;
use crate::store::connector_files::PendingFile;
use crate::store::connector_runs::{ClaimedRun, NewItem};
use crate::store::external_data::{self, NewPayload};
use crate::store::plan;
use crate::store::timeline::{Author, WriteError};

/// The target France Travail's actions are filed under, in each theme's focus.
pub const TARGET: &str = "Actions prescrites par France Travail";

/// Rows applied per committed chunk.
const CHUNK: usize = 200;

#[derive(QueryableByName)]
struct Person {
    #[diesel(sql_type = SqlUuid)]
    beneficiary_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    notebook_id: Uuid,
}

/// The person and notebook the `principal` row of this key was applied to.
fn person(
    conn: &mut diesel::PgConnection,
    deployment: Uuid,
    key: &str,
) -> QueryResult<Option<Person>> {
    diesel::sql_query(
        "SELECT e.beneficiary_id, n.id AS notebook_id FROM external_data e \
         JOIN notebook n ON n.beneficiary_id = e.beneficiary_id \
         WHERE e.source = $1 AND e.deployment_id = $2 AND e.source_record_id = $3 \
         ORDER BY e.version DESC LIMIT 1",
    )
    .bind::<Text, _>(external_data::FRANCE_TRAVAIL_EXTRACT)
    .bind::<SqlUuid, _>(deployment)
    .bind::<Text, _>(key)
    .get_result(conn)
    .optional()
}

/// The action's identity across files: person, code (or label) and prescription date. A
/// changed row of the same action (an end date added) is a new version of it, not a new one.
fn action_id(row: &ActionRow) -> String {
    let what = row.code.as_deref().unwrap_or(&row.label);
    let when = row
        .prescribed_on
        .map_or_else(|| "-".to_owned(), |d| d.to_string());
    format!("{}/action/{what}/{when}", row.person_key)
}

/// True when a version of this action is already kept.
fn known_action(conn: &mut diesel::PgConnection, deployment: Uuid, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        crate::schema::external_data::table
            .filter(crate::schema::external_data::source.eq(external_data::FRANCE_TRAVAIL_EXTRACT))
            .filter(crate::schema::external_data::deployment_id.eq(deployment))
            .filter(crate::schema::external_data::source_record_id.eq(id)),
    ))
    .get_result(conn)
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// Adds the action to the person's plan: the focus of its theme and the France Travail target
/// in it are made when missing.
fn add_to_plan(
    conn: &mut diesel::PgConnection,
    notebook: Uuid,
    theme: &str,
    row: &ActionRow,
) -> Result<(), WriteError> {
    let author = || Author { account_id: None };
    let focus = diesel::sql_query(
        "SELECT id FROM notebook_focus WHERE notebook_id = $1 AND theme = $2 ORDER BY created_at LIMIT 1",
    )
    .bind::<SqlUuid, _>(notebook)
    .bind::<Text, _>(theme)
    .get_result::<Id>(conn)
    .optional()?;
    let focus = match focus {
        Some(focus) => focus.id,
        None => plan::add_focus(conn, notebook, theme, author())?.0,
    };
    let target = diesel::sql_query(
        "SELECT id FROM notebook_target WHERE focus_id = $1 AND target = $2 ORDER BY created_at LIMIT 1",
    )
    .bind::<SqlUuid, _>(focus)
    .bind::<Text, _>(TARGET)
    .get_result::<Id>(conn)
    .optional()?;
    let target = match target {
        Some(target) => target.id,
        None => plan::add_target(conn, notebook, focus, TARGET, None, author())?.0,
    };
    let starting_at = row
        .event_date()
        .map_or_else(Utc::now, |date| date.and_time(NaiveTime::MIN).and_utc());
    plan::add_action(conn, notebook, target, &row.label, starting_at, author())?;
    Ok(())
}

/// What became of one row, as a run item.
fn outcome(
    conn: &mut diesel::PgConnection,
    claimed: &ClaimedRun,
    categories: &ActionCategories,
    file: &ExtractFile<ActionRow>,
    row: &ExtractRow<ActionRow>,
    payloads: &mut Vec<NewPayload>,
) -> Result<(NewItem, Option<Uuid>), FileError> {
    let item = |outcome: &str, person: Option<Uuid>, message: Option<String>| NewItem {
        record_ref: format!("line {}", row.line),
        outcome: outcome.into(),
        beneficiary_id: person,
        message,
    };
    let Some(person) = person(conn, claimed.deployment_id, &row.row.person_key)? else {
        return Ok((item("not_found", None, None), None));
    };
    let id = action_id(&row.row);
    let known = known_action(conn, claimed.deployment_id, &id)?;
    payloads.push(NewPayload {
        source_record_id: id,
        beneficiary_id: person.beneficiary_id,
        data: file.fields(row),
    });
    let who = Some(person.beneficiary_id);
    if known {
        return Ok((
            item("unchanged", who, Some("action already received".into())),
            who,
        ));
    }
    let Some(theme) = row.row.theme(categories) else {
        let message = format!("no theme for the action label {:?}", row.row.label);
        return Ok((item("rejected", who, Some(message)), who));
    };
    match add_to_plan(conn, person.notebook_id, theme.slug(), &row.row) {
        Ok(()) => Ok((
            item(
                "updated",
                who,
                Some(format!("action added ({})", theme.slug())),
            ),
            who,
        )),
        Err(WriteError::Database(error)) => Err(error.into()),
        Err(other) => Ok((item("rejected", who, Some(other.to_string())), who)),
    }
}

/// Applies one actions extract; answers its report.
pub fn apply(
    conn: &mut diesel::PgConnection,
    claimed: &ClaimedRun,
    file: &PendingFile,
    parsed: &ExtractFile<ActionRow>,
    counts: &mut RunCounts,
) -> Result<ExtractReport, FileError> {
    let known = seen(conn, claimed.instance_id, parsed)?;
    let changed = parsed.changed_since(&known);
    let mut report = ExtractReport::before(parsed, changed.len());
    let categories = ActionCategories::builtin();
    for chunk in changed.chunks(CHUNK) {
        let snapshot = (report.clone(), counts.clone());
        let (new_report, new_counts) = conn.transaction(|conn| {
            let (mut report, mut counts) = snapshot;
            let mut kept = Chunk::default();
            for row in chunk {
                counts.read += 1;
                let (item, person) =
                    outcome(conn, claimed, &categories, parsed, row, &mut kept.payloads)?;
                match item.outcome.as_str() {
                    "updated" => {
                        (report.updated, counts.updated) = (report.updated + 1, counts.updated + 1)
                    }
                    "unchanged" => {
                        (report.unchanged, counts.unchanged) =
                            (report.unchanged + 1, counts.unchanged + 1)
                    }
                    "not_found" => {
                        (report.unknown_people, counts.not_found) =
                            (report.unknown_people + 1, counts.not_found + 1)
                    }
                    _ => {
                        (report.rejected, counts.rejected) =
                            (report.rejected + 1, counts.rejected + 1)
                    }
                }
                kept.items.push(item);
                report.applied += 1;
                kept.applied(row, person);
            }
            kept.commit(conn, claimed, file.id, &report, &counts)?;
            Ok::<_, FileError>((report, counts))
        })?;
        report = new_report;
        *counts = new_counts;
    }
    Ok(report)
}
