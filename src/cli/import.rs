//! `cdb-hub import`: keeps the file as an upload would (same store code), runs it in this
//! process with a progress bar on a terminal, and answers the summary.

use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::api::imports::ImportView;
use crate::cli::ImportOptions;
use crate::domain::states::{ImportKind, ImportMode};
use crate::imports::runner::{self, RunLimit, RunState};
use crate::postgres::DbPool;
use crate::store::{directory, imports};

/// Set by SIGINT or SIGTERM: the import stops at its next checkpoint, resumable.
pub static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Runs an import from the command line; answers its summary as JSON. Blocking.
pub fn run(pool: &DbPool, options: &ImportOptions) -> anyhow::Result<serde_json::Value> {
    let Ok(kind) = options.kind.parse::<ImportKind>() else {
        bail!(
            "unknown kind {} (expected one of {})",
            options.kind,
            ImportKind::names()
        );
    };
    let mut conn = pool.get()?;
    let deployment =
        directory::find_deployment(&mut conn, &options.deployment)?.with_context(|| {
            format!(
                "no deployment {:?} (see `cdb-hub deployments list`)",
                options.deployment
            )
        })?;
    let structure_id = match &options.structure {
        Some(structure) => Some(
            directory::find_structure(&mut conn, deployment.id, structure)?
                .map(|found| found.id)
                .with_context(|| format!("no structure {structure:?} in this deployment"))?,
        ),
        None if kind.needs_structure() => {
            bail!("--structure is required for a {} file", options.kind)
        }
        None => None,
    };
    let import_id = match (&options.resume, &options.file) {
        (Some(id), _) => {
            let found = imports::get(&mut conn, *id, Some(deployment.id))?
                .with_context(|| format!("no import {id} in this deployment"))?;
            found.id
        }
        (None, Some(path)) => {
            // Streamed into the import's large object: memory does not grow with the file.
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let file_name = path.file_name().map_or_else(
                || "import.csv".into(),
                |name| name.to_string_lossy().into_owned(),
            );
            imports::create(
                &mut conn,
                &imports::NewImport {
                    deployment_id: deployment.id,
                    kind,
                    mode: if options.preview {
                        ImportMode::Preview
                    } else {
                        ImportMode::Commit
                    },
                    profile: options.profile.clone(),
                    sheet: options.sheet.clone(),
                    file_name,
                    created_by_account_id: None,
                    created_by_client_id: None,
                    structure_id,
                    overwrite: options.overwrite,
                    send_account_email: options.send_account_email,
                },
                std::io::BufReader::new(file),
                false,
            )?
            .id
        }
        (None, None) => bail!("give a FILE to import, or --resume <import id>"),
    };
    eprintln!("import {import_id}");
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} lignes ({per_sec}, reste {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let state = runner::run(
        &mut conn,
        pool,
        import_id,
        RunLimit {
            stop: Some(&INTERRUPTED),
            ..RunLimit::default()
        },
        &options.app_url,
        &mut |progress| {
            if let Some(total) = progress.total {
                bar.set_length(total);
            }
            bar.set_position(progress.done);
        },
    )?;
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    let row = imports::get(&mut conn, import_id, None)?.context("the import vanished")?;
    let view = ImportView::from(row);
    let rows = view.progress.rows_done;
    eprintln!(
        "{} : {} ligne(s) en {:.1} s — {} à créer, {} à mettre à jour, {} inchangée(s), {} rapprochement(s) possible(s), {} en erreur, {} avec avertissement(s){}",
        view.status,
        rows,
        elapsed.as_secs_f64(),
        view.counts.create,
        view.counts.update,
        view.counts.unchanged,
        view.counts.possible_match,
        view.counts.error,
        view.counts.warning,
        view.failure
            .as_ref()
            .map(|failure| format!(" — {}", failure.reason))
            .unwrap_or_default()
    );
    if state == RunState::Busy {
        bail!("another worker is running this import");
    }
    if state == RunState::Paused {
        bail!(
            "interrupted after line {rows}, at a checkpoint: resume with `cdb-hub import --deployment {:?} --resume {import_id}`",
            options.deployment
        );
    }
    Ok(serde_json::json!({
        "import": view,
        "elapsed_ms": elapsed.as_millis() as u64,
        "rows_per_second": if elapsed.as_secs_f64() > 0.0 { f64::from(rows) / elapsed.as_secs_f64() } else { 0.0 },
    }))
}
