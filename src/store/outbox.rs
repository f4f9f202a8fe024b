//! The e-mail outbox: every e-mail is written here first, in the same transaction as what caused
//! it, then delivered by SMTP when configured.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::email_outbox;

/// An e-mail waiting or sent.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = email_outbox)]
pub struct EmailRow {
    pub id: Uuid,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: i32,
}

/// Queues an e-mail.
pub fn queue(
    conn: &mut PgConnection,
    recipient: &str,
    subject: &str,
    body: &str,
) -> QueryResult<Uuid> {
    diesel::insert_into(email_outbox::table)
        .values((
            email_outbox::recipient.eq(recipient),
            email_outbox::subject.eq(subject),
            email_outbox::body.eq(body),
        ))
        .returning(email_outbox::id)
        .get_result(conn)
}

/// The latest e-mails to a recipient, newest first.
pub fn to_recipient(
    conn: &mut PgConnection,
    recipient: &str,
    limit: i64,
) -> QueryResult<Vec<EmailRow>> {
    email_outbox::table
        .filter(email_outbox::recipient.eq(recipient))
        .order(email_outbox::created_at.desc())
        .limit(limit)
        .select(EmailRow::as_select())
        .load(conn)
}

/// Unsent e-mails, oldest first, locked for this sender.
pub fn claim_unsent(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<EmailRow>> {
    email_outbox::table
        .filter(email_outbox::sent_at.is_null())
        .filter(email_outbox::attempts.lt(10))
        .order(email_outbox::created_at.asc())
        .limit(limit)
        .for_update()
        .skip_locked()
        .select(EmailRow::as_select())
        .load(conn)
}

/// Records a delivery or a failed attempt.
pub fn mark(conn: &mut PgConnection, id: Uuid, error: Option<&str>) -> QueryResult<()> {
    let target = email_outbox::table.find(id);
    match error {
        None => diesel::update(target)
            .set((
                email_outbox::sent_at.eq(Utc::now()),
                email_outbox::attempts.eq(email_outbox::attempts + 1),
            ))
            .execute(conn),
        Some(error) => diesel::update(target)
            .set((
                email_outbox::last_error.eq(error),
                email_outbox::attempts.eq(email_outbox::attempts + 1),
            ))
            .execute(conn),
    }
    .map(|_| ())
}
