//! E-mail delivery: every ten seconds, unsent e-mails of the outbox go out over SMTP when a
//! server is configured (`CDB_SMTP_URL`). Each e-mail is claimed with `SKIP LOCKED`, so several
//! workers never send the same one twice; a failure is recorded and retried at the next tick.

use std::str::FromStr;
use std::sync::Arc;

use apalis::prelude::*;
use apalis_cron::{CronScheduler, Tick};
use diesel::prelude::*;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::postgres::DbPool;
use crate::store::outbox;

/// Stable name of the worker.
pub const WORKER: &str = "cdb.mail";

/// Where and as whom e-mails are sent.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Why the mail settings are unusable.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Bad SMTP URL.
    #[error(
        "CDB_SMTP_URL is not a valid SMTP URL (smtp://user:password@host:587?tls=required): {0}"
    )]
    Url(String),
    /// Bad sender.
    #[error("CDB_MAIL_FROM is not a valid mailbox: {0}")]
    From(String),
}

impl Mailer {
    /// A mailer from an SMTP URL (`smtp://`, `smtps://`, with `?tls=required` for STARTTLS).
    pub fn new(url: &str, from: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Url(e.to_string()))?
            .build();
        let from = Mailbox::from_str(from).map_err(|e| MailError::From(e.to_string()))?;
        Ok(Mailer { transport, from })
    }

    async fn send(&self, email: &outbox::EmailRow) -> Result<(), String> {
        let to = Mailbox::from_str(&email.recipient).map_err(|e| e.to_string())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Sends what the outbox holds; answers how many e-mails went out.
pub async fn deliver(pool: &DbPool, mailer: &Mailer) -> Result<usize, BoxDynError> {
    let mut sent = 0;
    loop {
        let pool_for_claim = pool.clone();
        // One e-mail per transaction: the row stays locked while it is sent, then marked.
        let claimed = tokio::task::spawn_blocking(move || -> Result<_, BoxDynError> {
            let mut conn = pool_for_claim.get()?;
            let next = conn.transaction::<_, diesel::result::Error, _>(|conn| {
                Ok(outbox::claim_unsent(conn, 1)?.into_iter().next())
            })?;
            Ok(next)
        })
        .await??;
        let Some(email) = claimed else {
            return Ok(sent);
        };
        let result = mailer.send(&email).await;
        if let Err(error) = &result {
            tracing::warn!(email_id = %email.id, %error, "e-mail not sent; retried at the next tick");
        } else {
            sent += 1;
        }
        let pool_for_mark = pool.clone();
        let id = email.id;
        let error = result.err();
        let failed = error.is_some();
        tokio::task::spawn_blocking(move || -> Result<(), BoxDynError> {
            let mut conn = pool_for_mark.get()?;
            outbox::mark(&mut conn, id, error.as_deref())?;
            Ok(())
        })
        .await??;
        // A failure (server down, address refused) is retried at the next tick, not in a loop.
        if failed {
            return Ok(sent);
        }
    }
}

async fn on_tick(
    _tick: Tick,
    pool: Data<DbPool>,
    mailer: Data<Arc<Mailer>>,
) -> Result<(), BoxDynError> {
    let sent = deliver(&pool, &mailer).await?;
    if sent > 0 {
        tracing::info!(sent, "e-mails sent");
    }
    Ok(())
}

/// Adds the delivery schedule to a monitor.
pub fn register(
    monitor: Monitor,
    pool: DbPool,
    mailer: Mailer,
    instance: &str,
) -> Result<Monitor, cron::error::Error> {
    let every_ten_seconds = cron::Schedule::from_str("*/10 * * * * *")?;
    let name = format!("{WORKER}-{instance}");
    let mailer = Arc::new(mailer);
    Ok(monitor.register(move |_| {
        WorkerBuilder::new(name.as_str())
            .backend(CronScheduler::new(every_ten_seconds.clone()))
            .data(pool.clone())
            .data(mailer.clone())
            .build(on_tick)
    }))
}
