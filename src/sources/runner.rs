//! Executes a connector run: claims it, builds the instance's connector, and feeds what it reads
//! through the one inbound pipeline, page by page, each page committed with its items and the
//! checkpoint where a restarted run resumes. Only one process executes a run at a time (an
//! advisory lock held for the run).

use crate::domain::person::columns;
use crate::domain::states::ConnectorKind;
use std::sync::Arc;
use std::time::Duration;

use cdb_connector::ConnectorError;
use cdb_connector::identity::{FranceTravailId, IdentityKeys, NameAndBirth, Nir};
use cdb_france_travail::{FranceTravailConnector, JobSeekerDossier};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use uuid::Uuid;

use super::caf_files::{self, FileError};
use super::operator::ConnectorRules;
use super::{extract_files, kinds};
use crate::auth::secret_box::SecretBox;
use crate::inbound::canonical::person_records;
use crate::inbound::pipeline::{Options, Outcome};
use crate::postgres::DbPool;
use crate::store::connector_runs::{self, ClaimedRun, Lookup, NewItem};
use crate::store::external_data::{self, NewPayload};

/// People looked up per committed page.
const PAGE: i64 = 50;
/// Reads of one person retried after a transient failure (each call was already retried
/// once by the connector), before the person is reported as an error.
const TRANSIENT_RETRIES: u32 = 2;
/// First pause before such a retry, doubled each time.
const TRANSIENT_BACKOFF: Duration = Duration::from_secs(1);
/// How long the reads of one person may wait out France Travail's 429s, each for its
/// `Retry-After`, before the person is reported as an error.
const RATE_LIMIT_BUDGET: Duration = Duration::from_secs(300);

/// Why a run stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum SourceRunError {
    /// The database failed (the run is retried and resumes at its checkpoint).
    #[error("database: {0}")]
    Database(String),
    /// The blocking task failed.
    #[error("worker: {0}")]
    Worker(String),
}

impl From<diesel::result::Error> for SourceRunError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(error.to_string())
    }
}

impl From<diesel::r2d2::PoolError> for SourceRunError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        Self::Database(error.to_string())
    }
}

/// The counts of a run.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct RunCounts {
    /// Records read.
    pub read: u64,
    /// People created.
    pub created: u64,
    /// People updated.
    pub updated: u64,
    /// People unchanged.
    pub unchanged: u64,
    /// Records refused by the pipeline.
    pub rejected: u64,
    /// Records kept for a person to decide.
    pub possible_matches: u64,
    /// People the source does not know.
    pub not_found: u64,
    /// Records that failed (the source's error).
    pub errors: u64,
}

async fn blocking<T, F>(pool: &DbPool, work: F) -> Result<T, SourceRunError>
where
    F: FnOnce(&mut diesel::PgConnection) -> Result<T, SourceRunError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await
    .map_err(|e| SourceRunError::Worker(e.to_string()))?
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Runs a run to its end (or to a failure recorded on it). A run already finished, or executed
/// by another process right now, is left alone.
pub async fn execute(
    pool: &DbPool,
    secrets: &Arc<SecretBox>,
    rules: &ConnectorRules,
    run: Uuid,
) -> Result<(), SourceRunError> {
    // The lock lives on one connection for the whole run.
    let lock_pool = pool.clone();
    let (lock_conn, locked) = tokio::task::spawn_blocking(move || {
        let mut conn = lock_pool.get()?;
        let locked: Locked =
            diesel::sql_query("SELECT pg_try_advisory_lock(hashtextextended($1, 7)) AS locked")
                .bind::<Text, _>(run.to_string())
                .get_result(&mut conn)?;
        Ok::<_, SourceRunError>((conn, locked.locked))
    })
    .await
    .map_err(|e| SourceRunError::Worker(e.to_string()))??;
    if !locked {
        tracing::info!(%run, "run executed by another process");
        return Ok(());
    }
    let result = execute_locked(pool, secrets, rules, run).await;
    tokio::task::spawn_blocking(move || {
        let mut conn = lock_conn;
        diesel::sql_query("SELECT pg_advisory_unlock(hashtextextended($1, 7))")
            .bind::<Text, _>(run.to_string())
            .execute(&mut conn)
            .map(|_| ())
    })
    .await
    .map_err(|e| SourceRunError::Worker(e.to_string()))??;
    result
}

async fn execute_locked(
    pool: &DbPool,
    secrets: &Arc<SecretBox>,
    rules: &ConnectorRules,
    run: Uuid,
) -> Result<(), SourceRunError> {
    let Some(claimed) = blocking(pool, move |conn| Ok(connector_runs::claim(conn, run)?)).await?
    else {
        return Ok(());
    };
    tracing::info!(%run, instance = %claimed.instance_id, kind = %claimed.kind, "connector run started");
    let mut counts: RunCounts = serde_json::from_value(claimed.counts.clone()).unwrap_or_default();
    let outcome = match claimed.kind {
        ConnectorKind::FranceTravail => {
            let key = match extract_key(secrets, &claimed) {
                Ok(key) => key,
                Err(stop) => return finish(pool, &claimed, &counts, Some(stop.0)).await,
            };
            let apply = move |conn: &mut diesel::PgConnection,
                              claimed: &ClaimedRun,
                              counts: &mut RunCounts| {
                extract_files::apply_pending(conn, claimed, counts, key.as_ref())
            };
            match apply_files(pool, &claimed, &mut counts, apply).await {
                // A run for received files applies them only; the others also ask the partner
                // APIs.
                Ok(()) if claimed.trigger != "file" => {
                    refresh_from_france_travail(pool, secrets, rules, &claimed, &mut counts).await
                }
                other => other,
            }
        }
        ConnectorKind::CafMsa => {
            // A big flux is read from its large object on a second connection.
            let reading = pool.clone();
            let apply = move |conn: &mut diesel::PgConnection,
                              claimed: &ClaimedRun,
                              counts: &mut RunCounts| {
                caf_files::apply_pending(conn, &reading, claimed, counts)
            };
            apply_files(pool, &claimed, &mut counts, apply).await
        }
        ConnectorKind::Departement => {
            // The export is read from its import's large object on a second connection.
            let reading = pool.clone();
            let apply = move |conn: &mut diesel::PgConnection,
                              claimed: &ClaimedRun,
                              counts: &mut RunCounts| {
                super::departement_files::apply_pending(conn, &reading, claimed, counts)
            };
            apply_files(pool, &claimed, &mut counts, apply).await
        }
    };
    let error = match outcome {
        Ok(()) => None,
        Err(Stop(reason)) => Some(reason),
    };
    finish(pool, &claimed, &counts, error).await
}

/// Records the end of a run, its counts and why it failed, if it did.
async fn finish(
    pool: &DbPool,
    claimed: &ClaimedRun,
    counts: &RunCounts,
    error: Option<String>,
) -> Result<(), SourceRunError> {
    let run = claimed.run_id;
    let counts_json = serde_json::to_value(counts).unwrap_or_default();
    let failed = error.clone();
    blocking(pool, move |conn| {
        Ok(connector_runs::finish(
            conn,
            run,
            &counts_json,
            failed.as_deref(),
        )?)
    })
    .await?;
    crate::telemetry::metrics::connector_run_finished(claimed.kind.as_str(), error.is_none());
    match &error {
        None => tracing::info!(%run, ?counts, "connector run succeeded"),
        Some(reason) => tracing::warn!(%run, %reason, "connector run failed"),
    }
    Ok(())
}

/// Applies an instance's received files on the blocking pool with `apply`, adding to `counts`.
async fn apply_files<F>(
    pool: &DbPool,
    claimed: &ClaimedRun,
    counts: &mut RunCounts,
    apply: F,
) -> Result<(), Stop>
where
    F: FnOnce(&mut diesel::PgConnection, &ClaimedRun, &mut RunCounts) -> Result<(), FileError>
        + Send
        + 'static,
{
    let files = claimed.clone();
    let mut file_counts = counts.clone();
    *counts = blocking(pool, move |conn| {
        apply(conn, &files, &mut file_counts)
            .map_err(|e| SourceRunError::Database(e.to_string()))?;
        Ok(file_counts)
    })
    .await?;
    Ok(())
}

/// A reason to end the run as failed.
struct Stop(String);

impl From<SourceRunError> for Stop {
    fn from(error: SourceRunError) -> Self {
        Stop(error.to_string())
    }
}

/// The identity keys of a person as France Travail is asked.
pub fn keys_of(person: &Lookup) -> IdentityKeys {
    IdentityKeys {
        nir: person.nir.as_deref().and_then(|nir| Nir::parse(nir).ok()),
        france_travail_id: person
            .france_travail_id
            .as_deref()
            .and_then(|id| FranceTravailId::parse(id).ok()),
        name_and_birth: Some(NameAndBirth {
            first_name: person.firstname.clone(),
            last_name: person.lastname.clone(),
            birth_date: person.date_of_birth,
        }),
        ..IdentityKeys::default()
    }
}

/// The instance's secrets, opened.
fn open_secrets(secrets: &SecretBox, claimed: &ClaimedRun) -> Result<serde_json::Value, Stop> {
    let opened = match &claimed.secrets {
        Some(sealed) => secrets
            .open(claimed.instance_id, sealed)
            .map_err(|e| Stop(e.to_string()))?,
        None => return Err(Stop("the instance has no secrets".into())),
    };
    serde_json::from_slice(&opened).map_err(|_| Stop("unreadable secrets".into()))
}

/// The key opening the instance's S/MIME extract files, when it has one.
fn extract_key(
    secrets: &SecretBox,
    claimed: &ClaimedRun,
) -> Result<Option<cdb_france_travail::smime::DecryptionKey>, Stop> {
    if claimed.secrets.is_none() {
        return Ok(None);
    }
    kinds::extract_key(&open_secrets(secrets, claimed)?)
        .map_err(|e| Stop(format!("{}: {}", e.field, e.message)))
}

/// Looks every identifiable person of the deployment up at France Travail and applies what it
/// says.
async fn refresh_from_france_travail(
    pool: &DbPool,
    secrets: &Arc<SecretBox>,
    rules: &ConnectorRules,
    claimed: &ClaimedRun,
    counts: &mut RunCounts,
) -> Result<(), Stop> {
    let opened = open_secrets(secrets, claimed)?;
    let connector = kinds::france_travail(rules, &claimed.config, &opened)
        .map_err(|e| Stop(format!("{}: {}", e.field, e.message)))?;
    let mut after: Option<Uuid> = claimed.checkpoint.as_deref().and_then(|c| c.parse().ok());
    let deployment = claimed.deployment_id;
    loop {
        let people = blocking(pool, move |conn| {
            Ok(connector_runs::people_to_look_up(
                conn, deployment, after, PAGE,
            )?)
        })
        .await?;
        let Some(last) = people.last().map(|p| p.id) else {
            return Ok(());
        };
        let mut looked_up = Vec::with_capacity(people.len());
        for person in &people {
            let result = read_patiently(&connector, &keys_of(person)).await;
            if let Err(error) = &result
                && matches!(
                    error,
                    ConnectorError::Forbidden(_) | ConnectorError::Fatal { .. }
                )
            {
                return Err(Stop(format!("France Travail refused the run: {error}")));
            }
            looked_up.push((person.id, result));
        }
        let run = claimed.run_id;
        let snapshot = counts.clone();
        let secrets = Arc::clone(secrets);
        let (items, new_counts) = blocking(pool, move |conn| {
            conn.transaction(|conn| {
                let mut counts = snapshot;
                let mut items = Vec::new();
                let mut raw = Vec::new();
                for (person, result) in looked_up {
                    let record_ref = format!("beneficiary:{person}");
                    match result {
                        Ok(dossier) => {
                            raw.extend(raw_payloads(person, &dossier, &secrets));
                            let records = dossier_records(&dossier, &secrets);
                            counts.read += records.len() as u64;
                            for record in person_records(deployment, &records) {
                                let outcome = crate::inbound::ingest_from_connector(
                                    conn,
                                    &record,
                                    Options::default(),
                                )?;
                                items.push(item(&record_ref, Some(person), &outcome, &mut counts));
                            }
                        }
                        Err(ConnectorError::NotFound) => {
                            counts.not_found += 1;
                            items.push(NewItem {
                                record_ref,
                                outcome: "not_found".into(),
                                beneficiary_id: Some(person),
                                message: None,
                            });
                        }
                        Err(error) => {
                            counts.errors += 1;
                            items.push(NewItem {
                                record_ref,
                                outcome: "error".into(),
                                beneficiary_id: Some(person),
                                message: Some(format!("{} ({})", error, error.code())),
                            });
                        }
                    }
                }
                external_data::keep(conn, deployment, external_data::FRANCE_TRAVAIL_API, &raw)?;
                let counts_json = serde_json::to_value(&counts).unwrap_or_default();
                connector_runs::save_page(conn, run, &items, &counts_json, &last.to_string())?;
                Ok::<_, SourceRunError>((items.len(), counts))
            })
        })
        .await?;
        *counts = new_counts;
        tracing::debug!(items, "connector page committed");
        after = Some(last);
    }
}

/// Reads one person's dossier, waiting as France Travail asks: after a 429 nothing is sent
/// before its `Retry-After` (the run slows down rather than skipping people), and transient
/// failures are retried with backoff; what still fails is the person's error item.
async fn read_patiently(
    connector: &FranceTravailConnector,
    keys: &IdentityKeys,
) -> Result<JobSeekerDossier, ConnectorError> {
    let mut transient = 0;
    let mut rate_limited = Duration::ZERO;
    loop {
        let error = match connector.read_dossier(keys).await {
            Ok(dossier) => return Ok(dossier),
            Err(error) => error,
        };
        let pause = match &error {
            ConnectorError::RateLimited { retry_after }
                if rate_limited.saturating_add(*retry_after) <= RATE_LIMIT_BUDGET =>
            {
                rate_limited = rate_limited.saturating_add(*retry_after);
                *retry_after
            }
            ConnectorError::Transient { .. } if transient < TRANSIENT_RETRIES => {
                let pause = TRANSIENT_BACKOFF.saturating_mul(1 << transient);
                transient += 1;
                pause
            }
            _ => return Err(error),
        };
        tracing::warn!(%error, pause_ms = pause.as_millis() as u64, "France Travail read retried");
        tokio::time::sleep(pause).await;
    }
}

/// The raw answers of a dossier, to keep versioned with the person they were read for.
pub fn raw_payloads(
    person: Uuid,
    dossier: &JobSeekerDossier,
    secrets: &SecretBox,
) -> Vec<NewPayload> {
    dossier
        .raw
        .iter()
        .map(|payload| NewPayload {
            source_record_id: private_record_id(secrets, &dossier.raw_record_id(payload)),
            beneficiary_id: person,
            data: payload.body.clone(),
        })
        .collect()
}

/// The records of a dossier, their record ids made private (see [`private_record_id`]).
pub fn dossier_records(
    dossier: &JobSeekerDossier,
    secrets: &SecretBox,
) -> Vec<cdb_connector::records::Record> {
    let mut records = dossier.records(None);
    for record in &mut records {
        record.source.record_id = private_record_id(secrets, &record.source.record_id);
    }
    records
}

/// Prefix of the record id the France Travail connector gives a person it found by NIR only.
const NIR_DIGEST: &str = "nir-sha256:";

/// A France Travail record id that shows nothing derived from a NIR: the connector's plain
/// digest of a NIR (a person without a France Travail number; a NIR can be found back from it
/// by trying them all) becomes a digest keyed with the hub's secret.
pub fn private_record_id(secrets: &SecretBox, id: &str) -> String {
    match id.strip_prefix(NIR_DIGEST) {
        Some(rest) => {
            let (digest, api) = rest
                .split_once('/')
                .map_or((rest, None), |(d, a)| (d, Some(a)));
            let keyed = format!(
                "nir-hmac:{}",
                secrets.keyed_id("france_travail_record", digest)
            );
            match api {
                Some(api) => format!("{keyed}/{api}"),
                None => keyed,
            }
        }
        None => id.to_owned(),
    }
}

/// What the pipeline did with one record of a run, counted and kept as a run item. `person` is
/// who the run asked about, when it asked about someone.
pub fn item(
    record_ref: &str,
    person: Option<Uuid>,
    outcome: &Outcome,
    counts: &mut RunCounts,
) -> NewItem {
    let (name, beneficiary, message) = match outcome {
        Outcome::Created { beneficiary_id, .. } => {
            counts.created += 1;
            ("created", Some(*beneficiary_id), None)
        }
        Outcome::Updated {
            beneficiary_id,
            fields,
            ..
        } => {
            counts.updated += 1;
            (
                "updated",
                Some(*beneficiary_id),
                Some(columns(fields).join(", ")),
            )
        }
        Outcome::Unchanged { beneficiary_id, .. } => {
            counts.unchanged += 1;
            ("unchanged", Some(*beneficiary_id), None)
        }
        Outcome::PossibleMatch {
            possible_match_id,
            reason,
        } => {
            counts.possible_matches += 1;
            (
                "possible_match",
                person,
                Some(format!("{reason}: possible match {possible_match_id}")),
            )
        }
        Outcome::PendingReview => {
            counts.possible_matches += 1;
            (
                "possible_match",
                person,
                Some("held for the deployment's managers".to_owned()),
            )
        }
        Outcome::Rejected { code, .. } if code == "unknown_person" => {
            counts.not_found += 1;
            ("not_found", person, None)
        }
        Outcome::Rejected { code, message } => {
            counts.rejected += 1;
            ("rejected", person, Some(format!("{code}: {message}")))
        }
    };
    NewItem {
        record_ref: record_ref.to_owned(),
        outcome: name.into(),
        beneficiary_id: beneficiary,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_id_derived_from_a_nir_is_keyed_with_the_hubs_secret() {
        let secrets = SecretBox::from_key(&[3u8; 32]).unwrap();
        let other = SecretBox::from_key(&[4u8; 32]).unwrap();
        let plain = "nir-sha256:0123456789abcdef";
        let keyed = private_record_id(&secrets, plain);
        assert!(
            keyed.starts_with("nir-hmac:") && !keyed.contains("0123456789abcdef"),
            "{keyed}"
        );
        assert_eq!(
            keyed,
            private_record_id(&secrets, plain),
            "stable: the source link holds"
        );
        assert_ne!(keyed, private_record_id(&other, plain), "keyed");
        assert_eq!(
            private_record_id(&secrets, &format!("{plain}/informations-administratives")),
            format!("{keyed}/informations-administratives")
        );
        assert_eq!(
            private_record_id(&secrets, "12345678901"),
            "12345678901",
            "a France Travail number stays"
        );
    }
}
