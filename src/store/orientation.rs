//! The orientation workflow: the referent asks for a re-orientation; an orientation manager (or
//! a manager) denies it or decides an orientation — which sets the notebook's orientation, its
//! current structure and referent (the former referent stays as a non-referent member), keeps
//! the decision in the history and e-mails the referents, as the 2024 original did.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::Count;

use super::members::{self, AccountPerson, NotebookPerson, notebook_person};
use super::timeline::{Author, WriteError, commit, invalid_or};

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

fn orientation_system_name(
    conn: &mut PgConnection,
    deployment: Uuid,
    id: Uuid,
) -> Result<String, WriteError> {
    diesel::sql_query("SELECT name FROM orientation_system WHERE id = $1 AND deployment_id = $2")
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(deployment)
        .get_result::<Name>(conn)
        .optional()?
        .map(|row| row.name)
        .ok_or_else(|| {
            WriteError::Invalid(format!(
                "Orientation system with id '{id}' not found in this deployment."
            ))
        })
}

/// Asks for a re-orientation; only the notebook's active referent may. One open request per
/// person.
pub fn request(
    conn: &mut PgConnection,
    notebook: Uuid,
    requestor: Uuid,
    requested_system: Uuid,
    reason: Option<&str>,
) -> Result<(Uuid, i64), WriteError> {
    conn.transaction(|conn| {
        let person = notebook_person(conn, notebook)?;
        let system = orientation_system_name(conn, person.deployment_id, requested_system)?;
        let created: Option<IdRow> = diesel::sql_query(
            "INSERT INTO orientation_request (deployment_id, beneficiary_id, notebook_id, requestor_account_id, \
               requested_orientation_system_id, reason) \
             SELECT n.deployment_id, n.beneficiary_id, n.id, $2, $3, $4 FROM notebook n \
             WHERE n.id = $1 AND EXISTS (SELECT 1 FROM notebook_member m WHERE m.notebook_id = n.id \
               AND m.account_id = $2 AND m.active AND m.member_type = 'referent') \
             ON CONFLICT (beneficiary_id) WHERE decided_at IS NULL DO NOTHING RETURNING id",
        )
        .bind::<SqlUuid, _>(notebook)
        .bind::<SqlUuid, _>(requestor)
        .bind::<SqlUuid, _>(requested_system)
        .bind::<Nullable<Text>, _>(reason)
        .get_result(conn)
        .optional()
        .map_err(invalid_or)?;
        let Some(created) = created else {
            let referent: i64 = diesel::sql_query(
                "SELECT count(*) AS n FROM notebook_member WHERE notebook_id = $1 AND account_id = $2 \
                 AND active AND member_type = 'referent'",
            )
            .bind::<SqlUuid, _>(notebook)
            .bind::<SqlUuid, _>(requestor)
            .get_result::<Count>(conn)?
            .n;
            return Err(if referent == 0 {
                WriteError::Forbidden("Only the notebook's referent asks for a re-orientation.".into())
            } else {
                WriteError::Conflict("A re-orientation request is already open for this person.".into())
            });
        };
        let payload = serde_json::json!({
            "event_label": "Demande de réorientation",
            "status": "pending",
            "before": null,
            "after": {"requested_orientation": system, "reason": reason},
        });
        let version = commit(conn, notebook, None, Author { account_id: Some(requestor) }, "orientation", Utc::now(), payload)?;
        Ok((created.id, version))
    })
}

#[derive(QueryableByName)]
struct OpenRequest {
    #[diesel(sql_type = SqlUuid)]
    notebook_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    requestor_account_id: Uuid,
}

/// A denied request, and who asked for it (to be told).
#[derive(Debug, Clone)]
pub struct Denial {
    /// The notebook.
    pub notebook: Uuid,
    /// Its new version.
    pub version: i64,
    /// The person of the notebook.
    pub person: NotebookPerson,
    /// The professional who asked, if their account still exists.
    pub requestor: Option<AccountPerson>,
}

/// Denies an open request ("maintien de l'accompagnement").
pub fn deny(
    conn: &mut PgConnection,
    deployment: Option<Uuid>,
    request: Uuid,
    reason: Option<&str>,
    author: Author,
) -> Result<Denial, WriteError> {
    conn.transaction(|conn| {
        let open: OpenRequest = diesel::sql_query(
            "UPDATE orientation_request SET status = 'denied', decided_at = now(), decision_reason = $3, \
               decided_by_account_id = $4 \
             WHERE id = $1 AND decided_at IS NULL AND ($2::uuid IS NULL OR deployment_id = $2) \
             RETURNING notebook_id, requestor_account_id",
        )
        .bind::<SqlUuid, _>(request)
        .bind::<Nullable<SqlUuid>, _>(deployment)
        .bind::<Nullable<Text>, _>(reason)
        .bind::<Nullable<SqlUuid>, _>(author.account_id)
        .get_result(conn)
        .optional()?
        .ok_or(WriteError::NotFound)?;
        let person = notebook_person(conn, open.notebook_id)?;
        let requestor = members::account_person(conn, open.requestor_account_id)?;
        let payload = serde_json::json!({
            "event_label": "Demande de réorientation refusée",
            "status": "denied",
            "before": {"status": "pending"},
            "after": {"status": "denied", "reason": reason},
        });
        let version = commit(conn, open.notebook_id, None, author, "orientation", Utc::now(), payload)?;
        Ok(Denial {
            notebook: open.notebook_id,
            version,
            person,
            requestor,
        })
    })
}

/// An orientation decision.
#[derive(Debug, Clone)]
pub struct Decision {
    /// The orientation system decided.
    pub orientation_system_id: Uuid,
    /// The structure that will accompany the person.
    pub structure_id: Uuid,
    /// The request it answers, if any (must be the person's open request).
    pub orientation_request_id: Option<Uuid>,
    /// The new referent, if any (none leaves the notebook without referent).
    pub referent_account_id: Option<Uuid>,
    /// Why.
    pub reason: Option<String>,
}

#[derive(QueryableByName)]
struct Before {
    #[diesel(sql_type = SqlUuid)]
    beneficiary_id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    orientation_system_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    orientation: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    structure_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    structure: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    open_request: Option<Uuid>,
}

/// What an orientation decision tells the referents.
#[derive(Debug, Clone, Default)]
pub struct OrientationSummary {
    /// The person's name.
    pub beneficiary: String,
    /// The person's address, on one line.
    pub address: Option<String>,
    /// The new orientation system's name.
    pub orientation: String,
    /// The new structure's name.
    pub structure: Option<String>,
    /// The new referent's name.
    pub referent: Option<String>,
    /// The former referents' names.
    pub former_referents: Vec<String>,
}

/// A decision taken, and who is to be told.
#[derive(Debug, Clone)]
pub struct Decided {
    /// The decision.
    pub id: Uuid,
    /// The notebook's new version.
    pub version: i64,
    /// What changed, in words.
    pub summary: OrientationSummary,
    /// The former and new referents.
    pub recipients: Vec<AccountPerson>,
}

/// Orients or re-orients a notebook (accepting the open request when given): sets the
/// orientation, the current structure and the referent, keeps the decision.
pub fn decide(
    conn: &mut PgConnection,
    notebook: Uuid,
    decision: &Decision,
    author: Author,
) -> Result<Decided, WriteError> {
    conn.transaction(|conn| {
        let person = notebook_person(conn, notebook)?;
        let deployment = person.deployment_id;
        let orientation = orientation_system_name(conn, deployment, decision.orientation_system_id)?;
        let structure: String = diesel::sql_query("SELECT name FROM structure WHERE id = $1 AND deployment_id = $2")
            .bind::<SqlUuid, _>(decision.structure_id)
            .bind::<SqlUuid, _>(deployment)
            .get_result::<Name>(conn)
            .optional()?
            .map(|row| row.name)
            .ok_or_else(|| WriteError::Invalid(format!("Structure with id '{}' not found in this deployment.", decision.structure_id)))?;
        let before: Before = diesel::sql_query(
            "SELECT n.beneficiary_id, n.orientation_system_id, os.name AS orientation, \
               (SELECT bs.structure_id FROM beneficiary_structure bs WHERE bs.beneficiary_id = n.beneficiary_id \
                 AND bs.status = 'current' ORDER BY bs.created_at DESC LIMIT 1) AS structure_id, \
               (SELECT s.name FROM beneficiary_structure bs JOIN structure s ON s.id = bs.structure_id \
                 WHERE bs.beneficiary_id = n.beneficiary_id AND bs.status = 'current' ORDER BY bs.created_at DESC LIMIT 1) AS structure, \
               (SELECT r.id FROM orientation_request r WHERE r.beneficiary_id = n.beneficiary_id AND r.decided_at IS NULL) AS open_request \
             FROM notebook n LEFT JOIN orientation_system os ON os.id = n.orientation_system_id WHERE n.id = $1 FOR UPDATE OF n",
        )
        .bind::<SqlUuid, _>(notebook)
        .get_result(conn)?;
        if let Some(request) = decision.orientation_request_id
            && before.open_request != Some(request)
        {
            return Err(WriteError::Invalid(
                "orientation_request_id and beneficiary don't match: it is not this person's open request.".into(),
            ));
        }
        if let Some(request) = decision.orientation_request_id {
            diesel::sql_query(
                "UPDATE orientation_request SET status = 'accepted', decided_at = now(), decided_orientation_system_id = $2, \
                   decided_by_account_id = $3, decision_reason = $4 WHERE id = $1",
            )
            .bind::<SqlUuid, _>(request)
            .bind::<SqlUuid, _>(decision.orientation_system_id)
            .bind::<Nullable<SqlUuid>, _>(author.account_id)
            .bind::<Nullable<Text>, _>(decision.reason.as_deref())
            .execute(conn)?;
        }
        diesel::sql_query("UPDATE notebook SET orientation_system_id = $2, orientation_reason = $3 WHERE id = $1")
            .bind::<SqlUuid, _>(notebook)
            .bind::<SqlUuid, _>(decision.orientation_system_id)
            .bind::<Nullable<Text>, _>(decision.reason.as_deref())
            .execute(conn)
            .map_err(invalid_or)?;
        let current_structure: i64 = diesel::sql_query(
            "SELECT count(*) AS n FROM beneficiary_structure WHERE beneficiary_id = $1 AND structure_id = $2 AND status = 'current'",
        )
        .bind::<SqlUuid, _>(before.beneficiary_id)
        .bind::<SqlUuid, _>(decision.structure_id)
        .get_result::<Count>(conn)?
        .n;
        if current_structure == 0 {
            diesel::sql_query("UPDATE beneficiary_structure SET status = 'outdated' WHERE beneficiary_id = $1 AND status = 'current'")
                .bind::<SqlUuid, _>(before.beneficiary_id)
                .execute(conn)?;
            diesel::sql_query(
                "INSERT INTO beneficiary_structure (deployment_id, beneficiary_id, structure_id) VALUES ($1, $2, $3)",
            )
            .bind::<SqlUuid, _>(deployment)
            .bind::<SqlUuid, _>(before.beneficiary_id)
            .bind::<SqlUuid, _>(decision.structure_id)
            .execute(conn)?;
        }
        let change = members::set_referent(conn, notebook, decision.referent_account_id, author)?;
        // The referent before the decision, whether it changed or not.
        let previous_referent = if change.changed {
            change.former.clone()
        } else {
            change.new.clone()
        };
        let decided: IdRow = diesel::sql_query(
            "INSERT INTO orientation_decision (deployment_id, notebook_id, orientation_request_id, orientation_system_id, \
               structure_id, referent_account_id, previous_orientation_system_id, previous_structure_id, \
               previous_referent_account_id, reason, decided_by_account_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind::<SqlUuid, _>(deployment)
        .bind::<SqlUuid, _>(notebook)
        .bind::<Nullable<SqlUuid>, _>(decision.orientation_request_id)
        .bind::<SqlUuid, _>(decision.orientation_system_id)
        .bind::<SqlUuid, _>(decision.structure_id)
        .bind::<Nullable<SqlUuid>, _>(decision.referent_account_id)
        .bind::<Nullable<SqlUuid>, _>(before.orientation_system_id)
        .bind::<Nullable<SqlUuid>, _>(before.structure_id)
        .bind::<Nullable<SqlUuid>, _>(previous_referent.as_ref().map(|p| p.id))
        .bind::<Nullable<Text>, _>(decision.reason.as_deref())
        .bind::<Nullable<SqlUuid>, _>(author.account_id)
        .get_result(conn)?;
        let summary = OrientationSummary {
            beneficiary: person.name.clone(),
            address: person.address.clone(),
            orientation: orientation.clone(),
            structure: Some(structure.clone()),
            referent: change.new.as_ref().map(|p| p.name.clone()),
            former_referents: change.former.iter().map(|p| p.name.clone()).collect(),
        };
        let recipients = change.former.iter().chain(change.new.iter()).cloned().collect();
        let payload = serde_json::json!({
            "event_label": "(Ré)Orientation",
            "orientation": orientation,
            "structure": structure,
            "referent": change.new.as_ref().map(|p| &p.name),
            "previousOrientation": before.orientation,
            "previousReferent": previous_referent.as_ref().map(|p| &p.name),
            "previousStructure": before.structure,
            "before": {"orientation": before.orientation, "structure": before.structure, "referent": previous_referent.as_ref().map(|p| &p.name)},
            "after": {"orientation": orientation, "structure": structure, "referent": change.new.as_ref().map(|p| &p.name)},
        });
        let version = commit(conn, notebook, None, author, "orientation", Utc::now(), payload)?;
        Ok(Decided {
            id: decided.id,
            version,
            summary,
            recipients,
        })
    })
}

/// A re-orientation request, as listed for orientation managers.
#[derive(Debug, Clone, QueryableByName)]
pub struct RequestRow {
    /// The request.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// The notebook.
    #[diesel(sql_type = SqlUuid)]
    pub notebook_id: Uuid,
    /// The person.
    #[diesel(sql_type = SqlUuid)]
    pub beneficiary_id: Uuid,
    /// Who asked (the referent).
    #[diesel(sql_type = SqlUuid)]
    pub requestor_account_id: Uuid,
    /// The orientation asked for.
    #[diesel(sql_type = SqlUuid)]
    pub requested_orientation_system_id: Uuid,
    /// The orientation decided (accepted requests).
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub decided_orientation_system_id: Option<Uuid>,
    /// Where it stands.
    #[diesel(sql_type = Text)]
    pub status: crate::domain::states::OrientationRequestStatus,
    /// Why it was asked.
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
    /// Why it was decided so.
    #[diesel(sql_type = Nullable<Text>)]
    pub decision_reason: Option<String>,
    /// When it was decided.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub decided_at: Option<DateTime<Utc>>,
    /// When it was asked.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

const REQUEST_SELECT: &str = "SELECT id, notebook_id, beneficiary_id, requestor_account_id, \
     requested_orientation_system_id, decided_orientation_system_id, status, reason, decision_reason, \
     decided_at, created_at FROM orientation_request";

/// Requests of a deployment (every deployment when `None`), oldest first, optionally by status,
/// after a request id (keyset on creation time and id).
pub fn list(
    conn: &mut PgConnection,
    deployment: Option<Uuid>,
    status: Option<&str>,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<RequestRow>> {
    diesel::sql_query(
        format!("{REQUEST_SELECT} r \
         WHERE ($1::uuid IS NULL OR deployment_id = $1) AND ($2::text IS NULL OR status = $2) \
           AND ($3::uuid IS NULL OR (created_at, id) > (SELECT created_at, id FROM orientation_request WHERE id = $3)) \
         ORDER BY created_at, id LIMIT $4"),
    )
    .bind::<Nullable<SqlUuid>, _>(deployment)
    .bind::<Nullable<Text>, _>(status)
    .bind::<Nullable<SqlUuid>, _>(after)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .get_results(conn)
}

/// One request of a deployment (any deployment when `None`).
pub fn list_one(
    conn: &mut PgConnection,
    deployment: Option<Uuid>,
    id: Uuid,
) -> QueryResult<Option<RequestRow>> {
    diesel::sql_query(format!(
        "{REQUEST_SELECT} WHERE id = $1 AND ($2::uuid IS NULL OR deployment_id = $2)"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Nullable<SqlUuid>, _>(deployment)
    .get_result(conn)
    .optional()
}

#[derive(QueryableByName)]
struct Attachment {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    beneficiary_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    structure_id: Uuid,
}

/// The structures these people are currently attached to: (person, structure), one query.
pub fn current_structures(
    conn: &mut PgConnection,
    beneficiaries: &[Uuid],
) -> QueryResult<Vec<(Uuid, Uuid)>> {
    if beneficiaries.is_empty() {
        return Ok(Vec::new());
    }
    Ok(diesel::sql_query(
        "SELECT beneficiary_id, structure_id FROM beneficiary_structure \
         WHERE beneficiary_id = ANY ($1) AND status = 'current'",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(beneficiaries)
    .load::<Attachment>(conn)?
    .into_iter()
    .map(|a| (a.beneficiary_id, a.structure_id))
    .collect())
}

/// Attaches people to structures (current rattachements), (person, structure) pairs none of
/// which is current yet: one statement.
pub fn attach_all(conn: &mut PgConnection, pairs: &[(Uuid, Uuid)]) -> QueryResult<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    let (people, structures): (Vec<Uuid>, Vec<Uuid>) = pairs.iter().copied().unzip();
    diesel::sql_query(
        "INSERT INTO beneficiary_structure (deployment_id, beneficiary_id, structure_id) \
         SELECT b.deployment_id, b.id, t.structure_id \
         FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS t(beneficiary_id, structure_id, position) \
         JOIN beneficiary b ON b.id = t.beneficiary_id AND b.id = ANY ($1) ORDER BY t.position",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(&people)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(&structures)
    .execute(conn)?;
    Ok(())
}
