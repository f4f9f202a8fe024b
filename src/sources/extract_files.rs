//! Applying France Travail weekly *principal* extracts received by an instance, opened first
//! when France Travail sent them S/MIME-encrypted (the instance's key): every row is
//! kept raw with its hash; a row already seen (same hash) changes nothing and is skipped; a new
//! or changed row becomes canonical records that go through the one inbound pipeline, and is
//! kept column by column with the person it matched (`external_data`, versioned). Rows that
//! cannot be read are reported by line (never by value: they are personal data).

use std::borrow::Cow;
use std::collections::HashSet;

use cdb_france_travail::extract::{self, RowHash};
use cdb_france_travail::smime::{self, DecryptError, DecryptionKey};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bytea, Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::caf_files::FileError;
use super::runner::RunCounts;
use crate::inbound::canonical::person_records;
use crate::inbound::pipeline::Options;
use crate::store::connector_files::{self, PendingFile};
use crate::store::connector_runs::{self, ClaimedRun, NewItem};
use crate::store::external_data::{self, NewPayload};

/// Rows applied per committed chunk.
const CHUNK: usize = 500;

/// What an extract's application found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ExtractReport {
    /// Rows read.
    pub rows: u64,
    /// Rows already seen in an earlier file (skipped).
    pub already_seen: u64,
    /// New or changed rows applied.
    pub applied: u64,
    /// People updated.
    pub updated: u64,
    /// People unchanged.
    pub unchanged: u64,
    /// People created.
    pub created: u64,
    /// Kept for a manager to decide.
    pub possible_matches: u64,
    /// Refused by the pipeline (actions: labels without a theme).
    pub rejected: u64,
    /// Actions about people no principal row matched.
    pub unknown_people: u64,
    /// Rows that could not be read: line and problem.
    pub unreadable: Vec<String>,
}

impl ExtractReport {
    /// The report of a parsed file before its `changed` rows are applied.
    pub fn before<T>(parsed: &extract::ExtractFile<T>, changed: usize) -> Self {
        Self {
            rows: parsed.rows.len() as u64,
            already_seen: parsed.rows.len().saturating_sub(changed) as u64,
            unreadable: parsed
                .rejected
                .iter()
                .map(|row| format!("ligne {} : {}", row.line, row.problem))
                .collect(),
            ..Self::default()
        }
    }
}

#[derive(QueryableByName)]
struct Hash {
    #[diesel(sql_type = Bytea)]
    hash: Vec<u8>,
}

/// What a chunk of applied rows leaves to keep: the rows raw with their hash, their raw
/// payloads for `external_data`, and the run's items.
#[derive(Default)]
pub(super) struct Chunk {
    hashes: Vec<Vec<u8>>,
    lines: Vec<i64>,
    raws: Vec<String>,
    people: Vec<Option<Uuid>>,
    /// The rows column by column, with the person they concern.
    pub payloads: Vec<NewPayload>,
    /// The run's items.
    pub items: Vec<NewItem>,
}

impl Chunk {
    /// An applied row and the person it concerns.
    pub fn applied<T>(&mut self, row: &extract::ExtractRow<T>, person: Option<Uuid>) {
        self.hashes.push(row.hash.as_bytes().to_vec());
        self.lines.push(i64::try_from(row.line).unwrap_or(i64::MAX));
        self.raws.push(row.raw.clone());
        self.people.push(person);
    }

    /// Keeps the chunk in the run's transaction: rows, raw payloads, items and counts, and
    /// the file's progress.
    pub fn commit(
        &self,
        conn: &mut diesel::PgConnection,
        claimed: &ClaimedRun,
        file: Uuid,
        report: &ExtractReport,
        counts: &RunCounts,
    ) -> QueryResult<()> {
        diesel::sql_query(
            "INSERT INTO connector_row (instance_id, hash, file_id, line, raw, beneficiary_id) \
             SELECT $1, h, $2, l, r, b FROM unnest($3::bytea[], $4::bigint[], $5::text[], $6::uuid[]) AS t(h, l, r, b) \
             ON CONFLICT DO NOTHING",
        )
        .bind::<SqlUuid, _>(claimed.instance_id)
        .bind::<SqlUuid, _>(file)
        .bind::<Array<Bytea>, _>(&self.hashes)
        .bind::<Array<BigInt>, _>(&self.lines)
        .bind::<Array<Text>, _>(&self.raws)
        .bind::<Array<Nullable<SqlUuid>>, _>(&self.people)
        .execute(conn)?;
        external_data::keep(
            conn,
            claimed.deployment_id,
            external_data::FRANCE_TRAVAIL_EXTRACT,
            &self.payloads,
        )?;
        let counts_json = serde_json::to_value(counts).unwrap_or_default();
        connector_runs::save_page(
            conn,
            claimed.run_id,
            &self.items,
            &counts_json,
            &file.to_string(),
        )?;
        let report_json = serde_json::to_value(report).unwrap_or_default();
        connector_files::progress(conn, file, report.applied as i64, &report_json)
    }
}

/// The hashes of the rows the instance already applied, of the rows of this file.
pub(super) fn seen<T>(
    conn: &mut diesel::PgConnection,
    instance: Uuid,
    file: &extract::ExtractFile<T>,
) -> QueryResult<HashSet<RowHash>> {
    let known = known_hashes(conn, instance)?;
    Ok(file
        .rows
        .iter()
        .map(|row| row.hash)
        .filter(|hash| known.contains(hash.as_bytes().as_slice()))
        .collect())
}

fn known_hashes(conn: &mut diesel::PgConnection, instance: Uuid) -> QueryResult<HashSet<Vec<u8>>> {
    let rows: Vec<Hash> =
        diesel::sql_query("SELECT hash FROM connector_row WHERE instance_id = $1")
            .bind::<SqlUuid, _>(instance)
            .load(conn)?;
    Ok(rows.into_iter().map(|row| row.hash).collect())
}

/// The clear content of a received extract: an S/MIME (CMS) envelope is opened with the
/// instance's key; a clear file is read as it is. The reason, in French for the agents who
/// read the file's report, when it cannot be opened.
pub fn clear_content<'a>(
    content: &'a [u8],
    key: Option<&DecryptionKey>,
) -> Result<Cow<'a, [u8]>, String> {
    if !smime::is_enveloped(content) {
        return Ok(Cow::Borrowed(content));
    }
    let Some(key) = key else {
        return Err(
            "fichier chiffré (S/MIME) : aucune clé privée n'est configurée pour cette \
                    instance (secrets.extract_private_key)"
                .into(),
        );
    };
    key.decrypt(content)
        .map(Cow::Owned)
        .map_err(|error| match error {
            DecryptError::NoRecipient => "fichier chiffré (S/MIME) pour un autre destinataire : \
                 la clé privée de l'instance ne l'ouvre pas"
                .to_owned(),
            DecryptError::UnsupportedAlgorithm { what, oid } => format!(
                "fichier chiffré (S/MIME) avec un algorithme non pris en charge ({what}, OID {oid})"
            ),
            // One answer for every failure that depends on the key or the ciphertext: telling
            // them apart would be an oracle.
            DecryptError::Undecryptable => "déchiffrement impossible avec la clé de l'instance \
                 (mauvaise clé ou fichier altéré)"
                .to_owned(),
            other => format!("déchiffrement impossible : {other}"),
        })
}

/// Applies one principal extract; answers its report or why it is rejected whole.
pub fn apply_file(
    conn: &mut diesel::PgConnection,
    claimed: &ClaimedRun,
    file: &PendingFile,
    key: Option<&DecryptionKey>,
    counts: &mut RunCounts,
) -> Result<Result<ExtractReport, String>, FileError> {
    let content = match clear_content(&file.content, key) {
        Ok(content) => content,
        Err(reason) => return Ok(Err(reason)),
    };
    let parsed = match extract::parse_principal(&content) {
        Ok(parsed) => parsed,
        Err(error @ extract::ExtractError::MissingColumns(_)) => {
            return match extract::parse_actions(&content) {
                Ok(actions) => {
                    super::extract_actions::apply(conn, claimed, file, &actions, counts).map(Ok)
                }
                Err(_) => Ok(Err(error.to_string())),
            };
        }
        Err(error) => return Ok(Err(error.to_string())),
    };
    let known = seen(conn, claimed.instance_id, &parsed)?;
    let changed = parsed.changed_since(&known);
    let mut report = ExtractReport::before(&parsed, changed.len());
    let as_of = chrono::Utc::now();
    let run = claimed.run_id.to_string();
    for chunk in changed.chunks(CHUNK) {
        let snapshot = (report.clone(), counts.clone());
        let (new_report, new_counts) = conn.transaction(|conn| {
            let (mut report, mut counts) = snapshot;
            let mut kept = Chunk::default();
            for row in chunk {
                let records = row.row.records(as_of, Some(&run));
                counts.read += records.len() as u64;
                let mut person = None;
                for record in person_records(claimed.deployment_id, &records) {
                    let outcome =
                        crate::inbound::ingest_from_connector(conn, &record, Options::default())?;
                    let item = super::runner::item(
                        &format!("line {}", row.line),
                        None,
                        &outcome,
                        &mut counts,
                    );
                    match item.outcome.as_str() {
                        "created" => report.created += 1,
                        "updated" => report.updated += 1,
                        "unchanged" => report.unchanged += 1,
                        "possible_match" => report.possible_matches += 1,
                        _ => report.rejected += 1,
                    }
                    person = person.or(item.beneficiary_id);
                    kept.items.push(item);
                }
                report.applied += 1;
                if let Some(person) = person {
                    kept.payloads.push(NewPayload {
                        source_record_id: row.row.person_key.clone(),
                        beneficiary_id: person,
                        data: parsed.fields(row),
                    });
                }
                kept.applied(row, person);
            }
            kept.commit(conn, claimed, file.id, &report, &counts)?;
            QueryResult::Ok((report, counts))
        })?;
        report = new_report;
        *counts = new_counts;
    }
    Ok(Ok(report))
}

/// Applies every received extract of the instance, oldest first.
pub fn apply_pending(
    conn: &mut diesel::PgConnection,
    claimed: &ClaimedRun,
    counts: &mut RunCounts,
    key: Option<&DecryptionKey>,
) -> Result<(), FileError> {
    while let Some(file) = connector_files::next_pending(conn, claimed.instance_id)? {
        tracing::info!(file = %file.id, "applying a France Travail extract");
        let (report, error) = match apply_file(conn, claimed, &file, key, counts)? {
            Ok(report) => (serde_json::to_value(&report).unwrap_or_default(), None),
            Err(reason) => (serde_json::json!({ "rejected": reason }), Some(reason)),
        };
        connector_files::end(conn, file.id, &report, error.as_deref())?;
    }
    Ok(())
}
