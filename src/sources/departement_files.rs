//! Applying the exports of a département's software received by a departmental instance (by
//! upload or from its inbox): each file becomes a committed beneficiaries import read through
//! the instance's mapping profile, so it has the imports' chunked and resumable runner, their
//! per-line results and their errors file. The file's report names its import and its counts.

use diesel::prelude::*;
use uuid::Uuid;

use super::caf_files::FileError;
use super::runner::RunCounts;
use crate::imports::runner::{self, RunLimit, RunState};
use crate::postgres::DbPool;
use crate::store::connector_files::{self, PendingFile};
use crate::store::connector_runs::ClaimedRun;
use crate::store::imports::{self, NewImport};

/// The import of a received file: the one started earlier (a run stopped mid-file resumes
/// it), or a new one, recorded on the file in the same transaction.
fn import_of(
    conn: &mut PgConnection,
    claimed: &ClaimedRun,
    file: &PendingFile,
) -> Result<Uuid, FileError> {
    let started = file
        .report
        .as_ref()
        .and_then(|report| report.get("import_id"))
        .and_then(|id| id.as_str())
        .and_then(|id| Uuid::parse_str(id).ok());
    if let Some(id) = started {
        return Ok(id);
    }
    let profile = claimed
        .config
        .get("profile")
        .and_then(|profile| profile.as_str())
        .map(str::to_owned);
    conn.transaction(|conn| {
        let import = imports::create(
            conn,
            &NewImport {
                deployment_id: claimed.deployment_id,
                kind: crate::domain::states::ImportKind::Beneficiaries,
                mode: crate::domain::states::ImportMode::Commit,
                profile,
                sheet: None,
                file_name: file.file_name.clone(),
                created_by_account_id: None,
                created_by_client_id: None,
                structure_id: None,
                overwrite: false,
                send_account_email: false,
            },
            std::io::Cursor::new(file.content.as_slice()),
            false,
        )?;
        connector_files::progress(
            conn,
            file.id,
            0,
            &serde_json::json!({"import_id": import.id}),
        )?;
        Ok(import.id)
    })
}

/// Applies every received export of the instance, oldest first.
pub fn apply_pending(
    conn: &mut PgConnection,
    pool: &DbPool,
    claimed: &ClaimedRun,
    counts: &mut RunCounts,
) -> Result<(), FileError> {
    while let Some(file) = connector_files::next_pending(conn, claimed.instance_id)? {
        let import_id = import_of(conn, claimed, &file)?;
        tracing::info!(file = %file.id, import = %import_id, "applying a departmental export");
        // No account is created by a beneficiaries file: no e-mail needs the application's URL.
        if runner::run(conn, pool, import_id, RunLimit::default(), "", &mut |_| {})?
            == RunState::Busy
        {
            return Ok(());
        }
        let Some(import) = imports::get(conn, import_id, None)? else {
            connector_files::end(
                conn,
                file.id,
                &serde_json::json!({}),
                Some("import vanished"),
            )?;
            continue;
        };
        let done: runner::Counts =
            serde_json::from_value(import.counts.clone()).unwrap_or_default();
        counts.read += u64::try_from(done.read).unwrap_or(0);
        counts.created += u64::try_from(done.create).unwrap_or(0);
        counts.updated += u64::try_from(done.update).unwrap_or(0);
        counts.unchanged += u64::try_from(done.unchanged).unwrap_or(0);
        counts.possible_matches += u64::try_from(done.possible_match).unwrap_or(0);
        counts.rejected += u64::try_from(done.error).unwrap_or(0);
        let report = serde_json::json!({
            "import_id": import.id,
            "status": import.status,
            "counts": done,
            "errors_file": format!("/v1/imports/{}/errors.csv", import.id),
        });
        let error = (import.status == crate::domain::states::ImportStatus::Failed).then(|| {
            import
                .failure_reason
                .clone()
                .unwrap_or_else(|| "the file could not be read".into())
        });
        connector_files::end(conn, file.id, &report, error.as_deref())?;
    }
    Ok(())
}
