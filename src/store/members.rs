//! The follow-up group (groupe de suivi) of a notebook: invite a professional, change the
//! referent (the former one stays as a non-referent member), leave or deactivate a member.
//! History is kept: memberships are ended, never deleted. Each change is in the timeline and
//! the change feed, and the e-mails of the original are queued in the same transaction.

use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::Count;

use super::outbox;
use super::timeline::{Author, WriteError, commit};

/// An account as shown in the group: its e-mail and name.
#[derive(Debug, Clone, QueryableByName)]
pub struct AccountPerson {
    /// The account.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its role.
    #[diesel(sql_type = Text)]
    pub role: String,
    /// Its deployment.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub deployment_id: Option<Uuid>,
    /// Its profile's e-mail.
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
    /// First and last names (the e-mail when there are none).
    #[diesel(sql_type = Text)]
    pub name: String,
}

/// A live account with its profile's e-mail and name.
pub fn account_person(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<AccountPerson>> {
    Ok(account_people(conn, &[id])?.into_iter().next())
}

/// The live accounts among these, with their profiles' e-mails and names (one query).
pub fn account_people(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<AccountPerson>> {
    diesel::sql_query(
        "SELECT a.id, a.role, a.deployment_id, \
           coalesce(p.email, om.email, m.email, ad.email) AS email, \
           coalesce(nullif(btrim(concat_ws(' ', coalesce(p.firstname, om.firstname, m.firstname, ad.firstname), \
                                           coalesce(p.lastname, om.lastname, m.lastname, ad.lastname))), ''), \
                    coalesce(p.email, om.email, m.email, ad.email), 'Carnet de bord') AS name \
         FROM account a \
         LEFT JOIN professional p ON p.id = a.professional_id \
         LEFT JOIN orientation_manager om ON om.id = a.orientation_manager_id \
         LEFT JOIN manager m ON m.id = a.manager_id \
         LEFT JOIN admin_structure ad ON ad.id = a.admin_structure_id \
         WHERE a.id = ANY ($1) AND a.deleted_at IS NULL",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .load(conn)
}

/// Whether an account may join a notebook's group: a live professional or orientation
/// manager of the notebook's deployment.
pub fn may_join(person: &AccountPerson, deployment: Uuid) -> bool {
    person.deployment_id == Some(deployment)
        && matches!(person.role.as_str(), "professional" | "orientation_manager")
}

/// The person a notebook is about, for e-mails.
#[derive(Debug, Clone, QueryableByName)]
pub struct NotebookPerson {
    /// The notebook's deployment.
    #[diesel(sql_type = SqlUuid)]
    pub deployment_id: Uuid,
    /// First and last names.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Address on one line.
    #[diesel(sql_type = Nullable<Text>)]
    pub address: Option<String>,
}

/// The person of a notebook.
pub fn notebook_person(conn: &mut PgConnection, notebook: Uuid) -> QueryResult<NotebookPerson> {
    diesel::sql_query(
        "SELECT n.deployment_id, b.firstname || ' ' || b.lastname AS name, \
           nullif(concat_ws(' ', b.address1, b.address2, b.postal_code, b.city), '') AS address \
         FROM notebook n JOIN beneficiary b ON b.id = n.beneficiary_id WHERE n.id = $1",
    )
    .bind::<SqlUuid, _>(notebook)
    .get_result(conn)
}

/// Queues an e-mail to an account that has an address.
pub fn queue_mail(
    conn: &mut PgConnection,
    to: &AccountPerson,
    subject: &str,
    body: &str,
) -> QueryResult<()> {
    if let Some(email) = &to.email {
        outbox::queue(conn, email, subject, body)?;
    }
    Ok(())
}

/// A professional or orientation manager of the notebook's deployment, who can join its group.
fn eligible(
    conn: &mut PgConnection,
    notebook: &NotebookPerson,
    account: Uuid,
) -> Result<AccountPerson, WriteError> {
    account_person(conn, account)?
        .filter(|person| may_join(person, notebook.deployment_id))
        .ok_or_else(|| {
            WriteError::Invalid(
                "account_id must be a live professional or orientation manager account of the notebook's deployment"
                    .into(),
            )
        })
}

/// How the referent changed.
#[derive(Debug, Clone, Default)]
pub struct ReferentChange {
    /// The referent before, now a non-referent member.
    pub former: Option<AccountPerson>,
    /// The referent now.
    pub new: Option<AccountPerson>,
    /// Whether anything changed.
    pub changed: bool,
}

#[derive(QueryableByName)]
struct AccountRow {
    #[diesel(sql_type = SqlUuid)]
    account_id: Uuid,
}

/// Makes `new` the referent (none when `None`): the former referent stays as a non-referent
/// member; the new one's other active membership is replaced. Does not commit the version.
pub fn set_referent(
    conn: &mut PgConnection,
    notebook: Uuid,
    new: Option<Uuid>,
    author: Author,
) -> Result<ReferentChange, WriteError> {
    let person = notebook_person(conn, notebook)?;
    let new_person = match new {
        Some(account) => Some(eligible(conn, &person, account)?),
        None => None,
    };
    let old: Option<AccountRow> = diesel::sql_query(
        "SELECT account_id FROM notebook_member WHERE notebook_id = $1 AND active AND member_type = 'referent' FOR UPDATE",
    )
    .bind::<SqlUuid, _>(notebook)
    .get_result(conn)
    .optional()?;
    let old = old.map(|row| row.account_id);
    if old == new {
        return Ok(ReferentChange {
            former: None,
            new: new_person,
            changed: false,
        });
    }
    let mut former = None;
    if let Some(old) = old {
        end(conn, notebook, old)?;
        add(conn, notebook, old, "no_referent", author)?;
        former = account_person(conn, old)?;
    }
    if let Some(new) = new {
        end(conn, notebook, new)?;
        add(conn, notebook, new, "referent", author)?;
    }
    Ok(ReferentChange {
        former,
        new: new_person,
        changed: true,
    })
}

fn end(conn: &mut PgConnection, notebook: Uuid, account: Uuid) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE notebook_member SET active = false, membership_ended_at = now() \
         WHERE notebook_id = $1 AND account_id = $2 AND active",
    )
    .bind::<SqlUuid, _>(notebook)
    .bind::<SqlUuid, _>(account)
    .execute(conn)
}

fn add(
    conn: &mut PgConnection,
    notebook: Uuid,
    account: Uuid,
    member_type: &str,
    author: Author,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO notebook_member (deployment_id, notebook_id, account_id, member_type, creator_account_id, invitation_sent_at) \
         SELECT deployment_id, id, $2, $3, $4, now() FROM notebook WHERE id = $1",
    )
    .bind::<SqlUuid, _>(notebook)
    .bind::<SqlUuid, _>(account)
    .bind::<Text, _>(member_type)
    .bind::<Nullable<SqlUuid>, _>(author.account_id)
    .execute(conn)
}

fn author_name(conn: &mut PgConnection, author: Author) -> QueryResult<Option<String>> {
    Ok(match author.account_id {
        Some(id) => account_person(conn, id)?.map(|person| person.name),
        None => None,
    })
}

/// Who an invitation concerns, for the e-mails that tell them.
#[derive(Debug, Clone)]
pub struct Invitation {
    /// The notebook's new version.
    pub version: i64,
    /// The person of the notebook.
    pub person: NotebookPerson,
    /// The account invited.
    pub invited: AccountPerson,
    /// The referent replaced, when invited as referent.
    pub former: Option<AccountPerson>,
    /// The name of who invited them, when a person did.
    pub by: Option<String>,
}

/// Invites a professional or orientation manager into the group, as referent or not. An active
/// member cannot be invited again.
pub fn invite(
    conn: &mut PgConnection,
    notebook: Uuid,
    account: Uuid,
    as_referent: bool,
    author: Author,
) -> Result<Invitation, WriteError> {
    conn.transaction(|conn| {
        let person = notebook_person(conn, notebook)?;
        let invited = eligible(conn, &person, account)?;
        let active: i64 = diesel::sql_query(
            "SELECT count(*) AS n FROM notebook_member WHERE notebook_id = $1 AND account_id = $2 AND active",
        )
        .bind::<SqlUuid, _>(notebook)
        .bind::<SqlUuid, _>(account)
        .get_result::<Count>(conn)?
        .n;
        if active > 0 && !as_referent {
            return Err(WriteError::Conflict(
                "this account is already an active member of the group".into(),
            ));
        }
        let mut former = None;
        if as_referent {
            let change = set_referent(conn, notebook, Some(account), author)?;
            if !change.changed {
                return Err(WriteError::Conflict(
                    "this account is already the referent".into(),
                ));
            }
            former = change.former;
        } else {
            add(conn, notebook, account, "no_referent", author)?;
        }
        let by = author_name(conn, author)?;
        let member_type = if as_referent { "referent" } else { "no_referent" };
        let payload = serde_json::json!({
            "event_label": "Ajout au groupe de suivi",
            "before": former.as_ref().map(|f| serde_json::json!({"referent": f.name, "account_id": f.id})),
            "after": {"account_id": invited.id, "name": invited.name, "member_type": member_type},
        });
        let version = commit(conn, notebook, None, author, "member", Utc::now(), payload)?;
        Ok(Invitation {
            version,
            person,
            invited,
            former,
            by,
        })
    })
}

/// A referent change and the notebook's person, for the e-mails that tell it.
#[derive(Debug, Clone)]
pub struct ReferentChanged {
    /// The notebook's version (unchanged when nothing changed).
    pub version: i64,
    /// The person of the notebook, when something changed.
    pub person: Option<NotebookPerson>,
    /// Who was and who is referent.
    pub change: ReferentChange,
}

/// Names the referent of a notebook (none: no referent), keeping the change in the history.
pub fn change_referent(
    conn: &mut PgConnection,
    notebook: Uuid,
    account: Option<Uuid>,
    author: Author,
) -> Result<ReferentChanged, WriteError> {
    conn.transaction(|conn| {
        let change = set_referent(conn, notebook, account, author)?;
        if !change.changed {
            let version = super::timeline::check(conn, notebook, None)?;
            return Ok(ReferentChanged {
                version,
                person: None,
                change,
            });
        }
        let person = notebook_person(conn, notebook)?;
        let payload = serde_json::json!({
            "event_label": "Changement de référent",
            "before": change.former.as_ref().map(|p| serde_json::json!({"referent": p.name, "account_id": p.id})),
            "after": change.new.as_ref().map(|p| serde_json::json!({"referent": p.name, "account_id": p.id})),
        });
        let version = commit(conn, notebook, None, author, "member", Utc::now(), payload)?;
        Ok(ReferentChanged {
            version,
            person: Some(person),
            change,
        })
    })
}

#[derive(QueryableByName)]
struct Ended {
    #[diesel(sql_type = Text)]
    member_type: String,
}

/// Ends an active membership (a member leaving, or deactivated by someone who manages the
/// group). The row stays, inactive, with the date it ended.
pub fn end_membership(
    conn: &mut PgConnection,
    notebook: Uuid,
    account: Uuid,
    author: Author,
) -> Result<i64, WriteError> {
    conn.transaction(|conn| {
        let ended: Ended = diesel::sql_query(
            "UPDATE notebook_member SET active = false, membership_ended_at = now() \
             WHERE notebook_id = $1 AND account_id = $2 AND active RETURNING member_type",
        )
        .bind::<SqlUuid, _>(notebook)
        .bind::<SqlUuid, _>(account)
        .get_result(conn)
        .optional()?
        .ok_or(WriteError::NotFound)?;
        let name = account_person(conn, account)?.map(|person| person.name);
        let leaving = author.account_id == Some(account);
        let payload = serde_json::json!({
            "event_label": if leaving { "Départ du groupe de suivi" } else { "Retrait du groupe de suivi" },
            "before": {"account_id": account, "name": name, "member_type": ended.member_type},
            "after": null,
        });
        commit(conn, notebook, None, author, "member", Utc::now(), payload)
    })
}

/// Whether an account is a professional of a structure the administrator administers.
pub fn administered_by(
    conn: &mut PgConnection,
    account: Uuid,
    admin_structure: Uuid,
) -> QueryResult<bool> {
    let n: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM account a JOIN professional p ON p.id = a.professional_id \
         JOIN admin_structure_structure ass ON ass.structure_id = p.structure_id AND ass.deleted_at IS NULL \
         WHERE a.id = $1 AND ass.admin_structure_id = $2",
    )
    .bind::<SqlUuid, _>(account)
    .bind::<SqlUuid, _>(admin_structure)
    .get_result(conn)?;
    Ok(n.n > 0)
}

#[derive(QueryableByName)]
struct Membership {
    #[diesel(sql_type = Text)]
    member_type: String,
}

/// The member type of an account's active membership of a group, if any.
pub fn active_membership(
    conn: &mut PgConnection,
    notebook: Uuid,
    account: Uuid,
) -> QueryResult<Option<String>> {
    let found: Option<Membership> = diesel::sql_query(
        "SELECT member_type FROM notebook_member WHERE notebook_id = $1 AND account_id = $2 AND active",
    )
    .bind::<SqlUuid, _>(notebook)
    .bind::<SqlUuid, _>(account)
    .get_result(conn)
    .optional()?;
    Ok(found.map(|row| row.member_type))
}

/// The account of the group's active referent, if any.
pub fn referent(conn: &mut PgConnection, notebook: Uuid) -> QueryResult<Option<Uuid>> {
    let found: Option<AccountRow> = diesel::sql_query(
        "SELECT account_id FROM notebook_member WHERE notebook_id = $1 AND active AND member_type = 'referent'",
    )
    .bind::<SqlUuid, _>(notebook)
    .get_result(conn)
    .optional()?;
    Ok(found.map(|row| row.account_id))
}

/// Puts an account in the group, as referent (the former referent stays as a member) or as a
/// member, without e-mail and without committing the version (file imports stage their
/// events): the timeline payload, or `None` when the account already is so.
pub fn join(
    conn: &mut PgConnection,
    notebook: Uuid,
    account: Uuid,
    as_referent: bool,
    author: Author,
) -> Result<Option<serde_json::Value>, WriteError> {
    let person = notebook_person(conn, notebook)?;
    let joining = eligible(conn, &person, account)?;
    let current = active_membership(conn, notebook, account)?;
    let member_type = if as_referent {
        "referent"
    } else {
        "no_referent"
    };
    let mut former = None;
    match (as_referent, current.as_deref()) {
        (true, Some("referent")) | (false, Some(_)) => return Ok(None),
        (true, _) => former = set_referent(conn, notebook, Some(account), author)?.former,
        (false, None) => {
            add(conn, notebook, account, "no_referent", author)?;
        }
    }
    Ok(Some(serde_json::json!({
        "event_label": "Ajout au groupe de suivi",
        "before": former.map(|f| serde_json::json!({"referent": f.name, "account_id": f.id})),
        "after": {"account_id": joining.id, "name": joining.name, "member_type": member_type},
    })))
}

/// Ends an account's active membership without committing the version: the timeline
/// payload, or `None` when the account was not a member.
pub fn leave(
    conn: &mut PgConnection,
    notebook: Uuid,
    account: Uuid,
) -> Result<Option<serde_json::Value>, WriteError> {
    let Some(member_type) = active_membership(conn, notebook, account)? else {
        return Ok(None);
    };
    end(conn, notebook, account)?;
    let name = account_person(conn, account)?.map(|person| person.name);
    Ok(Some(serde_json::json!({
        "event_label": "Retrait du groupe de suivi",
        "before": {"account_id": account, "name": name, "member_type": member_type},
        "after": null,
    })))
}

#[derive(QueryableByName)]
struct ActiveMember {
    #[diesel(sql_type = SqlUuid)]
    notebook_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    account_id: Uuid,
    #[diesel(sql_type = Text)]
    member_type: String,
}

/// The active members of these notebooks: notebook, account and member type (one query).
pub fn active_members(
    conn: &mut PgConnection,
    notebooks: &[Uuid],
) -> QueryResult<Vec<(Uuid, Uuid, String)>> {
    if notebooks.is_empty() {
        return Ok(Vec::new());
    }
    Ok(diesel::sql_query(
        "SELECT notebook_id, account_id, member_type FROM notebook_member \
         WHERE notebook_id = ANY ($1) AND active",
    )
    .bind::<Array<SqlUuid>, _>(notebooks)
    .load::<ActiveMember>(conn)?
    .into_iter()
    .map(|m| (m.notebook_id, m.account_id, m.member_type))
    .collect())
}

/// Accounts joining groups together, as [`join`] puts each (without e-mail, the version
/// bumped by the staged events): `(notebook, account, member_type)`, an account already a
/// member and becoming referent leaving its former membership first. Two statements.
pub fn join_all(
    conn: &mut PgConnection,
    joins: &[(Uuid, Uuid, &str)],
    author: Author,
) -> QueryResult<()> {
    if joins.is_empty() {
        return Ok(());
    }
    let notebooks: Vec<Uuid> = joins.iter().map(|(notebook, _, _)| *notebook).collect();
    let accounts: Vec<Uuid> = joins.iter().map(|(_, account, _)| *account).collect();
    let types: Vec<&str> = joins.iter().map(|(_, _, kind)| *kind).collect();
    diesel::sql_query(
        "UPDATE notebook_member m SET active = false, membership_ended_at = now() \
         FROM unnest($1::uuid[], $2::uuid[]) AS t(notebook_id, account_id) \
         WHERE m.notebook_id = t.notebook_id AND m.account_id = t.account_id AND m.active \
         AND m.notebook_id = ANY ($1)",
    )
    .bind::<Array<SqlUuid>, _>(&notebooks)
    .bind::<Array<SqlUuid>, _>(&accounts)
    .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO notebook_member (deployment_id, notebook_id, account_id, member_type, creator_account_id, invitation_sent_at) \
         SELECT n.deployment_id, n.id, t.account_id, t.member_type, $4, now() \
         FROM unnest($1::uuid[], $2::uuid[], $3::text[]) WITH ORDINALITY AS t(notebook_id, account_id, member_type, position) \
         JOIN notebook n ON n.id = t.notebook_id AND n.id = ANY ($1) ORDER BY t.position",
    )
    .bind::<Array<SqlUuid>, _>(&notebooks)
    .bind::<Array<SqlUuid>, _>(&accounts)
    .bind::<Array<Text>, _>(&types)
    .bind::<Nullable<SqlUuid>, _>(author.account_id)
    .execute(conn)?;
    Ok(())
}
