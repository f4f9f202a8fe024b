//! The retention sweep: for each deployment, tells the managers a month ahead who will be purged
//! for inactivity, purges those whose day has come (with the purge on request's own steps, their
//! access journal included, and a tombstone in the change feed), and deletes the received files
//! and raw payloads past their retention.
//!
//! The sweep takes the day it runs as a parameter (`as_of`): the scheduled job passes now, an
//! operator may pass another day to catch up, and the tests move the clock so. One sweep runs
//! at a time across every process (an advisory lock); each purge re-reads the person's activity
//! under the person's lock, so a person active since the list was read is kept.

use chrono::{DateTime, Days, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::domain::retention::{RetentionSettings, notice_horizon, purge_on};
use crate::notify;
use crate::store::privacy::{self, PurgeError, PurgeRequest, Purger};
use crate::store::retention::{self as store, DueQuery, DueRow, ExpiredFiles};

/// What a sweep did in one deployment.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeploymentSweep {
    /// The deployment.
    pub deployment_id: Uuid,
    /// People newly announced to the managers.
    pub noticed: usize,
    /// Notices withdrawn (the person was active again, or postponed).
    pub withdrawn: usize,
    /// People purged.
    pub purged: usize,
    /// People due whose purge was refused (their account is referenced elsewhere).
    pub refused: usize,
    /// Files and payloads expired.
    pub files: ExpiredFiles,
}

/// What a sweep did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SweepReport {
    /// The day it ran as.
    pub as_of: DateTime<Utc>,
    /// False when another process was sweeping (nothing done here).
    pub ran: bool,
    /// Each deployment's outcome.
    pub deployments: Vec<DeploymentSweep>,
}

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A query failed.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Runs the sweep over every deployment as of a day, on one connection (which holds the sweep's
/// lock meanwhile).
pub fn sweep(conn: &mut PgConnection, as_of: DateTime<Utc>) -> Result<SweepReport, SweepError> {
    if !store::try_lock_sweep(conn)? {
        tracing::info!("retention sweep skipped: another process is sweeping");
        return Ok(SweepReport {
            as_of,
            ran: false,
            deployments: Vec::new(),
        });
    }
    let outcome = sweep_locked(conn, as_of);
    let unlocked = store::unlock_sweep(conn);
    let report = outcome?;
    unlocked?;
    Ok(report)
}

fn sweep_locked(conn: &mut PgConnection, as_of: DateTime<Utc>) -> Result<SweepReport, SweepError> {
    let mut deployments = Vec::new();
    for deployment in store::deployments(conn)? {
        let settings = store::settings(conn, deployment.id)?;
        let mut outcome = people(conn, &deployment, settings, as_of)?;
        outcome.files =
            store::expire_files(conn, deployment.id, file_cutoff(settings, as_of), as_of)?;
        tracing::info!(
            deployment = %deployment.id,
            noticed = outcome.noticed,
            withdrawn = outcome.withdrawn,
            purged = outcome.purged,
            refused = outcome.refused,
            imports = outcome.files.imports,
            connector_files = outcome.files.connector_files,
            "retention sweep"
        );
        deployments.push(outcome);
    }
    Ok(SweepReport {
        as_of,
        ran: true,
        deployments,
    })
}

/// The people of one deployment: notices, then purges.
fn people(
    conn: &mut PgConnection,
    deployment: &store::DeploymentRow,
    settings: RetentionSettings,
    as_of: DateTime<Utc>,
) -> Result<DeploymentSweep, SweepError> {
    let due = due_by(conn, deployment.id, settings, notice_horizon(as_of))?;
    let (noticed, withdrawn) =
        conn.transaction(|conn| notify_managers(conn, deployment, settings, &due, as_of))?;
    let today = as_of.date_naive();
    let mut purged = 0;
    let mut refused = 0;
    for row in &due {
        // A person noticed in this very sweep is purged a notice period later, not now.
        let noticed_at = row.noticed_at.or(Some(as_of));
        if purge_on(row.due_on, noticed_at).is_none_or(|day| day > today) {
            continue;
        }
        match purge_one(conn, deployment.id, settings, row.beneficiary_id, as_of) {
            Ok(true) => purged += 1,
            Ok(false) => {}
            Err(PurgeError::StillReferenced(constraint)) => {
                tracing::warn!(person = %row.beneficiary_id, %constraint, "retention purge refused: the person's account is referenced elsewhere");
                refused += 1;
            }
            Err(PurgeError::NotFound) => {}
            Err(PurgeError::Database(error)) => return Err(error.into()),
        }
    }
    Ok(DeploymentSweep {
        deployment_id: deployment.id,
        noticed,
        withdrawn,
        purged,
        refused,
        files: ExpiredFiles::default(),
    })
}

/// Every person of the deployment due by a day, in one statement (paging would compute every
/// person's activity again for each page).
fn due_by(
    conn: &mut PgConnection,
    deployment: Uuid,
    settings: RetentionSettings,
    by: chrono::NaiveDate,
) -> QueryResult<Vec<DueRow>> {
    store::due(
        conn,
        &DueQuery {
            deployment_id: deployment,
            inactivity_days: settings.person_inactivity_days,
            by,
            person: None,
            after: None,
            limit: i64::MAX,
        },
    )
}

/// Withdraws the notices of people no longer due, records the new ones and e-mails them to the
/// managers, in one transaction; answers (noticed, withdrawn).
fn notify_managers(
    conn: &mut PgConnection,
    deployment: &store::DeploymentRow,
    settings: RetentionSettings,
    due: &[DueRow],
    as_of: DateTime<Utc>,
) -> QueryResult<(usize, usize)> {
    let still_due: Vec<Uuid> = due.iter().map(|row| row.beneficiary_id).collect();
    let withdrawn = store::withdraw_notices(conn, deployment.id, &still_due)?;
    let new: Vec<&DueRow> = due.iter().filter(|row| row.noticed_at.is_none()).collect();
    if new.is_empty() {
        return Ok((0, withdrawn));
    }
    let people: Vec<(Uuid, chrono::NaiveDate)> = new
        .iter()
        .map(|row| (row.beneficiary_id, row.due_on))
        .collect();
    let noticed = store::record_notices(conn, deployment.id, &people, as_of)?;
    let mut purge_days = std::collections::BTreeMap::new();
    for row in &new {
        let day = purge_on(row.due_on, Some(as_of)).unwrap_or(row.due_on);
        *purge_days.entry(day).or_insert(0) += 1;
    }
    let notice = notify::retention_due(
        &deployment.label,
        settings.person_inactivity_days,
        &purge_days,
    );
    for manager in crate::store::directory::manager_emails(conn, deployment.id)? {
        crate::store::outbox::queue(conn, &manager, &notice.subject, &notice.body)?;
    }
    Ok((noticed, withdrawn))
}

/// Purges one person if, under their lock, they are still due and were told about; answers
/// whether they were purged.
fn purge_one(
    conn: &mut PgConnection,
    deployment: Uuid,
    settings: RetentionSettings,
    person: Uuid,
    as_of: DateTime<Utc>,
) -> Result<bool, PurgeError> {
    let today = as_of.date_naive();
    conn.transaction(|conn| {
        if !store::lock_person(conn, person)? {
            return Ok(false);
        }
        let rows = store::due(
            conn,
            &DueQuery {
                deployment_id: deployment,
                inactivity_days: settings.person_inactivity_days,
                by: today,
                person: Some(person),
                after: None,
                limit: 1,
            },
        )?;
        let Some(row) = rows.first() else {
            return Ok(false);
        };
        if purge_on(row.due_on, row.noticed_at).is_none_or(|day| day > today) {
            return Ok(false);
        }
        let reason = format!(
            "Durée de conservation échue : dernière activité le {}, conservation de {} jours après la dernière activité.",
            row.last_activity_at.date_naive().format("%d/%m/%Y"),
            settings.person_inactivity_days,
        );
        privacy::purge(
            conn,
            &PurgeRequest {
                beneficiary_id: person,
                purger: Purger::Retention,
                reason,
            },
        )?;
        Ok(true)
    })
}

/// The day a sweep as of `as_of` removes files received (or applied) before.
pub fn file_cutoff(settings: RetentionSettings, as_of: DateTime<Utc>) -> DateTime<Utc> {
    as_of
        .checked_sub_days(Days::new(u64::try_from(settings.file_days).unwrap_or(0)))
        .unwrap_or(as_of)
}
