//! Changes to a notebook's group and orientation that tell people by e-mail: the change and its
//! e-mails are queued in one transaction, so that neither goes without the other.

use diesel::Connection;
use diesel::pg::PgConnection;
use uuid::Uuid;

use super::Notice;
use crate::store::members::{self, AccountPerson};
use crate::store::orientation::{self, Decision};
use crate::store::timeline::{Author, WriteError};

fn tell(conn: &mut PgConnection, to: &AccountPerson, notice: &Notice) -> Result<(), WriteError> {
    members::queue_mail(conn, to, &notice.subject, &notice.body)?;
    Ok(())
}

/// Invites an account into the group and e-mails them (and the referent replaced, if any).
pub fn invite(
    conn: &mut PgConnection,
    app_url: &str,
    notebook: Uuid,
    account: Uuid,
    as_referent: bool,
    author: Author,
) -> Result<i64, WriteError> {
    conn.transaction(|conn| {
        let invitation = members::invite(conn, notebook, account, as_referent, author)?;
        let name = &invitation.person.name;
        let by = invitation.by.as_deref();
        tell(
            conn,
            &invitation.invited,
            &super::notebook_invitation(app_url, notebook, name, by),
        )?;
        if let Some(former) = &invitation.former {
            let notice = super::referent_changed(app_url, notebook, name, &invitation.invited.name);
            tell(conn, former, &notice)?;
        }
        Ok(invitation.version)
    })
}

/// Names the referent and e-mails the former one and the new one (unless they did it).
pub fn change_referent(
    conn: &mut PgConnection,
    app_url: &str,
    notebook: Uuid,
    account: Option<Uuid>,
    author: Author,
) -> Result<i64, WriteError> {
    conn.transaction(|conn| {
        let changed = members::change_referent(conn, notebook, account, author)?;
        let Some(person) = &changed.person else {
            return Ok(changed.version);
        };
        let change = &changed.change;
        if let (Some(former), Some(new)) = (&change.former, &change.new) {
            let notice = super::referent_changed(app_url, notebook, &person.name, &new.name);
            tell(conn, former, &notice)?;
        }
        if let Some(new) = &change.new
            && author.account_id != Some(new.id)
        {
            let notice = super::notebook_invitation(app_url, notebook, &person.name, None);
            tell(conn, new, &notice)?;
        }
        Ok(changed.version)
    })
}

/// Denies an open re-orientation request and e-mails the professional who asked. Answers the
/// notebook and its new version.
pub fn deny(
    conn: &mut PgConnection,
    app_url: &str,
    deployment: Option<Uuid>,
    request: Uuid,
    reason: Option<&str>,
    author: Author,
) -> Result<(Uuid, i64), WriteError> {
    conn.transaction(|conn| {
        let denial = orientation::deny(conn, deployment, request, reason, author)?;
        if let Some(requestor) = &denial.requestor {
            let notice =
                super::request_denied(app_url, denial.notebook, &denial.person.name, reason);
            tell(conn, requestor, &notice)?;
        }
        Ok((denial.notebook, denial.version))
    })
}

/// Orients or re-orients a notebook and e-mails the former and new referents. Answers the
/// decision and the notebook's new version.
pub fn decide(
    conn: &mut PgConnection,
    app_url: &str,
    notebook: Uuid,
    decision: &Decision,
    author: Author,
) -> Result<(Uuid, i64), WriteError> {
    conn.transaction(|conn| {
        let decided = orientation::decide(conn, notebook, decision, author)?;
        let notice = super::orientation(app_url, notebook, &decided.summary);
        for recipient in &decided.recipients {
            tell(conn, recipient, &notice)?;
        }
        Ok((decided.id, decided.version))
    })
}
