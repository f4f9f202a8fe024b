//! Personal data rights (GDPR): everything held about one person, read as one JSON document
//! (right of access), and the purge of all of it with a proof that holds no personal data
//! (right to erasure).

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::access_log::NewAccess;
use super::changes::{self, PendingChange};

/// Change-feed kind of a purge tombstone.
pub const PURGED: &str = "beneficiary.purged";

/// Every row held about person $1, one member per table (rows as `to_jsonb`, so a column added
/// later is exported too). Tables with secrets are left out on purpose: login keys, tokens, the
/// bodies of e-mails (a login link is a credential).
const EXPORT_QUERY: &str = "WITH nb AS (SELECT id FROM notebook WHERE beneficiary_id = $1),
person AS (SELECT email FROM beneficiary WHERE id = $1)
SELECT jsonb_build_object(
  'beneficiary', (SELECT to_jsonb(b) - 'provenance' FROM beneficiary b WHERE b.id = $1),
  'field_provenance', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.field)
      FROM field_provenance t WHERE t.beneficiary_id = $1), '[]'),
  'beneficiary_source', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.last_seen_at, t.id)
      FROM beneficiary_source t WHERE t.beneficiary_id = $1), '[]'),
  'beneficiary_structure', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.created_at, t.id)
      FROM beneficiary_structure t WHERE t.beneficiary_id = $1), '[]'),
  'notebook', (SELECT to_jsonb(t) FROM notebook t WHERE t.beneficiary_id = $1),
  'notebook_member', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.created_at, t.id)
      FROM notebook_member t WHERE t.notebook_id IN (SELECT id FROM nb)), '[]'),
  'notebook_focus', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.created_at, t.id)
      FROM notebook_focus t WHERE t.notebook_id IN (SELECT id FROM nb)), '[]'),
  'notebook_target', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.created_at, t.id)
      FROM notebook_target t WHERE t.notebook_id IN (SELECT id FROM nb)), '[]'),
  'notebook_action', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.created_at, t.id)
      FROM notebook_action t WHERE t.notebook_id IN (SELECT id FROM nb)), '[]'),
  'notebook_appointment', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.date, t.id)
      FROM notebook_appointment t WHERE t.notebook_id IN (SELECT id FROM nb)), '[]'),
  'notebook_situation', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.created_at, t.id)
      FROM notebook_situation t WHERE t.notebook_id IN (SELECT id FROM nb)), '[]'),
  'professional_project', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.created_at, t.id)
      FROM professional_project t WHERE t.notebook_id IN (SELECT id FROM nb)), '[]'),
  'notebook_event', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.event_date, t.id)
      FROM notebook_event t WHERE t.notebook_id IN (SELECT id FROM nb)), '[]'),
  'notebook_creation', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.created_at, t.id)
      FROM notebook_creation t WHERE t.notebook_id IN (SELECT id FROM nb)), '[]'),
  'orientation_request', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.created_at, t.id)
      FROM orientation_request t WHERE t.beneficiary_id = $1), '[]'),
  'orientation_decision', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.decided_at, t.id)
      FROM orientation_decision t WHERE t.notebook_id IN (SELECT id FROM nb)), '[]'),
  'external_data', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.received_at, t.id)
      FROM external_data t WHERE t.beneficiary_id = $1), '[]'),
  'possible_match', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.created_at, t.id)
      FROM possible_match t WHERE $1 = ANY (t.candidate_ids) OR t.resolved_beneficiary_id = $1), '[]'),
  'account', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.created_at, t.id)
      FROM account t WHERE t.beneficiary_id = $1), '[]'),
  'email_outbox', coalesce((SELECT jsonb_agg(jsonb_build_object('id', t.id, 'recipient', t.recipient,
        'subject', t.subject, 'created_at', t.created_at, 'sent_at', t.sent_at) ORDER BY t.created_at, t.id)
      FROM email_outbox t, person p WHERE lower(t.recipient) = lower(p.email)), '[]'),
  'retention_postponement', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.created_at, t.id)
      FROM retention_postponement t WHERE t.beneficiary_id = $1), '[]'),
  'access_log', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id)
      FROM access_log t WHERE t.beneficiary_id = $1), '[]')
) AS document";

#[derive(QueryableByName)]
struct Document {
    #[diesel(sql_type = Jsonb)]
    document: serde_json::Value,
}

/// Everything held about a person, one member per table; the caller checked the reach. One
/// statement, so one snapshot: the parts agree with each other even while the person is written.
pub fn export(conn: &mut PgConnection, beneficiary_id: Uuid) -> QueryResult<serde_json::Value> {
    diesel::sql_query(EXPORT_QUERY)
        .bind::<SqlUuid, _>(beneficiary_id)
        .get_result::<Document>(conn)
        .map(|row| row.document)
}

/// What a purge deletes, children before parents, so that each count is the table's own (the
/// cascades of the schema find nothing left). $1 is the person.
const PURGE_STEPS: &[(&str, &str)] = &[
    (
        // The lines of imports keep their outcome for the import's counts, not the person.
        "import_row",
        "UPDATE import_row SET beneficiary_id = NULL, possible_match_id = NULL, changes = NULL, \
         kept = NULL, errors = NULL, cells = NULL WHERE beneficiary_id = $1",
    ),
    (
        // The items of connector runs likewise keep their outcome only.
        "connector_run_item",
        "UPDATE connector_run_item SET beneficiary_id = NULL, record_ref = 'purged', message = NULL \
         WHERE beneficiary_id = $1 OR record_ref = 'beneficiary:' || $1::text",
    ),
    (
        "connector_row",
        "DELETE FROM connector_row WHERE beneficiary_id = $1",
    ),
    (
        // Deliveries about the person; the tombstone's, made after the purge, holds ids only.
        "webhook_delivery",
        "DELETE FROM webhook_delivery WHERE beneficiary_id = $1",
    ),
    (
        // Answers kept for replays that name the person or their notebook.
        "idempotency_key",
        "DELETE FROM idempotency_key WHERE response_body::text LIKE '%' || $1::text || '%' \
         OR response_body::text LIKE ANY (SELECT '%' || id::text || '%' FROM notebook WHERE beneficiary_id = $1)",
    ),
    (
        // The departmental events' state names the person by the département's own id.
        "inbound_event_state",
        "DELETE FROM inbound_event_state s USING beneficiary_source bs \
         WHERE bs.beneficiary_id = $1 AND bs.source_system = 'departement:events:' || s.instance_id::text \
         AND s.resource_id = bs.source_record_id",
    ),
    (
        "notebook_event",
        "DELETE FROM notebook_event WHERE notebook_id IN (SELECT id FROM notebook WHERE beneficiary_id = $1)",
    ),
    (
        "notebook_creation",
        "DELETE FROM notebook_creation WHERE notebook_id IN (SELECT id FROM notebook WHERE beneficiary_id = $1)",
    ),
    (
        "orientation_decision",
        "DELETE FROM orientation_decision WHERE notebook_id IN (SELECT id FROM notebook WHERE beneficiary_id = $1)",
    ),
    (
        "orientation_request",
        "DELETE FROM orientation_request WHERE beneficiary_id = $1",
    ),
    (
        "notebook_action",
        "DELETE FROM notebook_action WHERE notebook_id IN (SELECT id FROM notebook WHERE beneficiary_id = $1)",
    ),
    (
        "notebook_target",
        "DELETE FROM notebook_target WHERE notebook_id IN (SELECT id FROM notebook WHERE beneficiary_id = $1)",
    ),
    (
        "notebook_focus",
        "DELETE FROM notebook_focus WHERE notebook_id IN (SELECT id FROM notebook WHERE beneficiary_id = $1)",
    ),
    (
        "notebook_appointment",
        "DELETE FROM notebook_appointment WHERE notebook_id IN (SELECT id FROM notebook WHERE beneficiary_id = $1)",
    ),
    (
        "notebook_situation",
        "DELETE FROM notebook_situation WHERE notebook_id IN (SELECT id FROM notebook WHERE beneficiary_id = $1)",
    ),
    (
        "professional_project",
        "DELETE FROM professional_project WHERE notebook_id IN (SELECT id FROM notebook WHERE beneficiary_id = $1)",
    ),
    (
        "notebook_member",
        "DELETE FROM notebook_member WHERE notebook_id IN (SELECT id FROM notebook WHERE beneficiary_id = $1)",
    ),
    (
        // Sent or not: the e-mails to the person, and those about them (a link to their
        // notebook, with their name) sent to the professionals of their group.
        "email_outbox",
        "DELETE FROM email_outbox WHERE lower(recipient) = (SELECT lower(email) FROM beneficiary WHERE id = $1) \
         OR lower(recipient) IN (SELECT lower(login_email) FROM account WHERE beneficiary_id = $1) \
         OR EXISTS (SELECT 1 FROM notebook n WHERE n.beneficiary_id = $1 AND email_outbox.body LIKE '%/carnet/' || n.id::text || '%')",
    ),
    ("notebook", "DELETE FROM notebook WHERE beneficiary_id = $1"),
    (
        "account_token",
        "DELETE FROM account_token WHERE account_id IN (SELECT id FROM account WHERE beneficiary_id = $1)",
    ),
    (
        "login_key",
        "DELETE FROM login_key WHERE account_id IN (SELECT id FROM account WHERE beneficiary_id = $1)",
    ),
    ("account", "DELETE FROM account WHERE beneficiary_id = $1"),
    (
        "beneficiary_structure",
        "DELETE FROM beneficiary_structure WHERE beneficiary_id = $1",
    ),
    (
        "beneficiary_source",
        "DELETE FROM beneficiary_source WHERE beneficiary_id = $1",
    ),
    (
        "external_data",
        "DELETE FROM external_data WHERE beneficiary_id = $1",
    ),
    (
        "possible_match",
        "DELETE FROM possible_match WHERE $1 = ANY (candidate_ids) OR resolved_beneficiary_id = $1",
    ),
    (
        "retention_notice",
        "DELETE FROM retention_notice WHERE beneficiary_id = $1",
    ),
    (
        "retention_postponement",
        "DELETE FROM retention_postponement WHERE beneficiary_id = $1",
    ),
    ("beneficiary", "DELETE FROM beneficiary WHERE id = $1"),
];

/// Who purges.
#[derive(Debug, Clone)]
pub enum Purger {
    /// A manager or national administrator, on request (right to erasure); the journal entry of
    /// the purge is written in the same transaction, and the person's journal is kept.
    Account {
        /// Their account.
        account_id: Uuid,
        /// The journal entry of the purge.
        journal: Box<NewAccess>,
    },
    /// The deployment's retention rule: the person's access journal goes with them, the proof
    /// remains.
    Retention,
}

/// Who purges whom, and why.
#[derive(Debug, Clone)]
pub struct PurgeRequest {
    /// The person.
    pub beneficiary_id: Uuid,
    /// Who purges.
    pub purger: Purger,
    /// Why (kept in the proof: it must hold no personal data).
    pub reason: String,
}

/// The proof of a purge: ids, who, when, why and how many rows of each table; no personal data.
#[derive(Debug, Clone, QueryableByName)]
pub struct PurgeProofRow {
    /// The proof.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// The person's deployment.
    #[diesel(sql_type = SqlUuid)]
    pub deployment_id: Uuid,
    /// The person's former id.
    #[diesel(sql_type = SqlUuid)]
    pub beneficiary_id: Uuid,
    /// When.
    #[diesel(sql_type = Timestamptz)]
    pub purged_at: DateTime<Utc>,
    /// Who: the account, or none for the retention rule.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub purged_by_account_id: Option<Uuid>,
    /// `account` or `retention`.
    #[diesel(sql_type = Text)]
    pub purged_by: String,
    /// Why.
    #[diesel(sql_type = Text)]
    pub reason: String,
    /// Rows deleted, by table name.
    #[diesel(sql_type = Jsonb)]
    pub deleted_rows: serde_json::Value,
}

/// Why a purge did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    /// The person does not exist (any more).
    #[error("no such beneficiary")]
    NotFound,
    /// A row outside the person's data still points to their account.
    #[error("the person's account is referenced elsewhere: {0}")]
    StillReferenced(String),
    /// The database failed.
    #[error(transparent)]
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for PurgeError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                PurgeError::StillReferenced(info.constraint_name().unwrap_or("").to_owned())
            }
            other => PurgeError::Database(other),
        }
    }
}

#[derive(QueryableByName)]
struct Target {
    #[diesel(sql_type = SqlUuid)]
    deployment_id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    notebook_id: Option<Uuid>,
}

/// Deletes everything personal about a person in one transaction, keeps the access journal
/// (a purge on request) or deletes it too (the retention rule), writes the proof and, on
/// request, the journal entry, and announces a `beneficiary.purged` tombstone in
/// the change feed (last, as the feed requires).
pub fn purge(conn: &mut PgConnection, request: &PurgeRequest) -> Result<PurgeProofRow, PurgeError> {
    conn.transaction(|conn| {
        // The lock makes concurrent writes to the person wait, then fail on the foreign keys,
        // and a concurrent purge find nobody.
        let Some(target) = diesel::sql_query(
            "SELECT b.deployment_id, (SELECT n.id FROM notebook n WHERE n.beneficiary_id = b.id) AS notebook_id \
             FROM beneficiary b WHERE b.id = $1 FOR UPDATE",
        )
        .bind::<SqlUuid, _>(request.beneficiary_id)
        .get_result::<Target>(conn)
        .optional()?
        else {
            return Err(PurgeError::NotFound);
        };
        let mut deleted_rows = serde_json::Map::new();
        for (table, statement) in PURGE_STEPS {
            let count = diesel::sql_query(*statement)
                .bind::<SqlUuid, _>(request.beneficiary_id)
                .execute(conn)?;
            deleted_rows.insert((*table).to_owned(), count.into());
        }
        let (account_id, purged_by) = match &request.purger {
            Purger::Account { account_id, .. } => (Some(*account_id), "account"),
            Purger::Retention => {
                // The journal's trigger lets this transaction delete this person's rows only.
                diesel::sql_query("SELECT set_config('cdb.journal_purge', $1, true)")
                    .bind::<Text, _>(request.beneficiary_id.to_string())
                    .execute(conn)?;
                let count = diesel::sql_query("DELETE FROM access_log WHERE beneficiary_id = $1")
                    .bind::<SqlUuid, _>(request.beneficiary_id)
                    .execute(conn)?;
                diesel::sql_query("SELECT set_config('cdb.journal_purge', '', true)").execute(conn)?;
                deleted_rows.insert("access_log".to_owned(), count.into());
                (None, "retention")
            }
        };
        let proof = diesel::sql_query(
            "INSERT INTO purge_proof (deployment_id, beneficiary_id, purged_by_account_id, purged_by, reason, deleted_rows) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING id, deployment_id, beneficiary_id, purged_at, purged_by_account_id, purged_by, reason, deleted_rows",
        )
        .bind::<SqlUuid, _>(target.deployment_id)
        .bind::<SqlUuid, _>(request.beneficiary_id)
        .bind::<Nullable<SqlUuid>, _>(account_id)
        .bind::<Text, _>(purged_by)
        .bind::<Text, _>(&request.reason)
        .bind::<Jsonb, _>(serde_json::Value::Object(deleted_rows))
        .get_result::<PurgeProofRow>(conn)?;
        if let Purger::Account { journal, .. } = &request.purger {
            super::access_log::record(conn, std::slice::from_ref(journal))?;
        }
        changes::record(
            conn,
            &[PendingChange {
                deployment_id: target.deployment_id,
                beneficiary_id: request.beneficiary_id,
                notebook_id: target.notebook_id,
                kind: PURGED,
                fields: Vec::new(),
                source_system: None,
            }],
        )?;
        Ok(proof)
    })
}
