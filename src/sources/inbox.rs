//! Inbox directories: a file-fed instance may watch a directory (`config.inbox_dir`) where the
//! département's transfer drops files; each complete file is kept like an upload, then moved to
//! `.cdb-received/` in the same directory so it is taken once.

use crate::domain::states::ConnectorKind;
use std::path::Path;
use std::time::{Duration, SystemTime};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Text, Uuid as SqlUuid};
use uuid::Uuid;

use crate::store::{connector_files, connectors, large_objects};

/// A file younger than this may still be being written: it waits for the next tick.
const SETTLE: Duration = Duration::from_secs(10);
/// Where taken files go, inside the inbox.
const RECEIVED: &str = ".cdb-received";

/// The file's own creation date, or why it is not a file of the instance's kind.
pub fn inspect(
    kind: ConnectorKind,
    content: &[u8],
) -> (Option<chrono::DateTime<chrono::Utc>>, Option<String>) {
    if kind == ConnectorKind::CafMsa {
        match cdb_caf_msa::FluxReader::new(std::io::Cursor::new(content))
            .map(|reader| reader.header().created_at_utc())
        {
            Ok(created) => (Some(created), None),
            Err(error) => (None, Some(format!("not a flux bénéficiaires: {error}"))),
        }
    } else if kind == ConnectorKind::Departement {
        let options = crate::imports::table::ReadOptions::default();
        match crate::imports::table::Table::open(std::io::Cursor::new(content), &options) {
            Ok(_) => (None, None),
            Err(error) => (None, Some(format!("not a readable export: {error}"))),
        }
    } else if cdb_france_travail::smime::is_enveloped(content) {
        // Opened by the run with the instance's key; a file it cannot open is rejected then.
        (None, None)
    } else {
        use cdb_france_travail::extract::{parse_actions, parse_principal};
        match parse_principal(content) {
            Ok(_) => (None, None),
            Err(_) if parse_actions(content).is_ok() => (None, None),
            Err(error) => (
                None,
                Some(format!("not a principal or actions extract: {error}")),
            ),
        }
    }
}

#[derive(QueryableByName)]
struct Watched {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    deployment_id: Uuid,
    #[diesel(sql_type = Text)]
    kind: ConnectorKind,
    #[diesel(sql_type = Jsonb)]
    config: serde_json::Value,
}

fn settled(path: &Path) -> bool {
    std::fs::metadata(path)
        .ok()
        .filter(std::fs::Metadata::is_file)
        .and_then(|meta| meta.modified().ok())
        .and_then(|modified| SystemTime::now().duration_since(modified).ok())
        .is_some_and(|age| age >= SETTLE)
}

/// Takes the settled files of every watched inbox; answers how many were kept.
pub fn collect(
    conn: &mut PgConnection,
    rules: &super::operator::ConnectorRules,
) -> QueryResult<usize> {
    let watched: Vec<Watched> = diesel::sql_query(
        "SELECT id, deployment_id, kind, config FROM connector_instance \
         WHERE enabled AND deleted_at IS NULL AND kind IN ('caf_msa', 'france_travail', 'departement') \
           AND coalesce(config->>'inbox_dir', '') <> ''",
    )
    .load(conn)?;
    let mut kept = 0;
    for instance in watched {
        let Some(dir) = instance.config.get("inbox_dir").and_then(|d| d.as_str()) else {
            continue;
        };
        // Checked again at each read: the root may have changed, or a link been laid since.
        let dir = match rules.inbox(instance.deployment_id, dir) {
            Ok(dir) => dir,
            Err(refused) => {
                tracing::warn!(instance = %instance.id, %refused, "inbox outside the deployment's folder: not read");
                continue;
            }
        };
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) => {
                tracing::warn!(instance = %instance.id, dir = %dir.display(), %error, "inbox unreadable");
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !settled(&path) {
                continue;
            }
            match take(conn, &instance, &dir, &path, &name) {
                Ok(()) => kept += 1,
                Err(error) => {
                    tracing::warn!(instance = %instance.id, file = %name, %error, "inbox file not taken")
                }
            }
        }
    }
    Ok(kept)
}

/// Bytes of a flux kept in memory for its header.
const FLUX_HEAD: usize = 256 * 1024;

fn take(
    conn: &mut PgConnection,
    instance: &Watched,
    dir: &Path,
    path: &Path,
    name: &str,
) -> Result<(), String> {
    let (head, oid, size, sha256) = if instance.kind == ConnectorKind::CafMsa {
        // A flux is streamed into a large object: memory does not grow with the file.
        let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
        let streamed = large_objects::stream(conn, file, FLUX_HEAD).map_err(|e| e.to_string())?;
        (
            streamed.head,
            Some(streamed.oid),
            streamed.size,
            streamed.sha256,
        )
    } else {
        let content = std::fs::read(path).map_err(|e| e.to_string())?;
        let sha256 = crate::auth::secrets::sha256_hex_bytes(&content);
        let size = i64::try_from(content.len()).unwrap_or(i64::MAX);
        (content, None, size, sha256)
    };
    let (created, error) = inspect(instance.kind, &head);
    let (file, is_new) = connector_files::keep(
        conn,
        &connector_files::NewFile {
            instance_id: instance.id,
            deployment_id: instance.deployment_id,
            file_name: name,
            content: oid.is_none().then_some(head.as_slice()),
            content_oid: oid,
            size_bytes: size,
            sha256: &sha256,
            flux_created_at: created,
            error: error.clone(),
        },
    )
    .map_err(|e| e.to_string())?;
    if let (false, Some(oid)) = (is_new, oid) {
        large_objects::unlink(conn, oid).map_err(|e| e.to_string())?;
    }
    if is_new && error.is_none() {
        connectors::queue_run(conn, instance.id, "file").map_err(|e| e.to_string())?;
    }
    let received = dir.join(RECEIVED);
    std::fs::create_dir_all(&received).map_err(|e| e.to_string())?;
    std::fs::rename(path, received.join(format!("{}-{name}", file.id)))
        .map_err(|e| e.to_string())?;
    tracing::info!(instance = %instance.id, file = %file.id, is_new, rejected = error.is_some(), "inbox file taken");
    Ok(())
}
