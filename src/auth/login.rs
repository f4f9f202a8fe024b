//! Logging people in by magic link, as the original did: an e-mail with a one-time key valid 15
//! minutes, exchanged for a session token. Answers never reveal whether an e-mail is known.

use chrono::{Duration, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::secrets;
use crate::store;

/// How long a login key is valid.
pub const LOGIN_KEY_VALIDITY_MINUTES: i64 = 15;

/// A session opened by a login key.
#[derive(Debug, Clone)]
pub struct Session {
    /// The bearer token, shown once.
    pub token: String,
    /// The account.
    pub account: store::accounts::AccountIdentity,
    /// Lifetime in seconds.
    pub expires_in: i64,
}

/// The login link for a key.
pub fn login_link(app_url: &str, key: &str) -> String {
    format!("{}/auth/jwt/{key}", app_url.trim_end_matches('/'))
}

/// The console's sign-in link for a key (the hub's own page, which opens a session cookie).
pub fn console_link(public_url: &str, key: &str) -> String {
    format!(
        "{}/console/connexion/{key}",
        public_url.trim_end_matches('/')
    )
}

/// Where a login link leads: the Carnet de bord application, or the hub's console.
#[derive(Debug, Clone, Copy)]
pub enum LinkTo<'a> {
    /// The application, at its base URL.
    App(&'a str),
    /// The console, at the hub's public URL.
    Console(&'a str),
}

impl LinkTo<'_> {
    /// The link for a key.
    pub fn link(self, key: &str) -> String {
        match self {
            LinkTo::App(app_url) => login_link(app_url, key),
            LinkTo::Console(public_url) => console_link(public_url, key),
        }
    }
}

/// Issues a login key for an account and queues the e-mail carrying it; answers the key and
/// the link.
pub fn send_login_link(
    conn: &mut PgConnection,
    account_id: Uuid,
    recipient: &str,
    app_url: &str,
) -> QueryResult<String> {
    send_link(conn, account_id, recipient, LinkTo::App(app_url)).map(|(_, link)| link)
}

/// Issues a login key for an account and queues the e-mail carrying its link; answers the key
/// and the link.
pub fn send_link(
    conn: &mut PgConnection,
    account_id: Uuid,
    recipient: &str,
    to: LinkTo<'_>,
) -> QueryResult<(String, String)> {
    let key = secrets::random_token(32);
    store::accounts::create_login_key(
        conn,
        account_id,
        &secrets::sha256_hex(&key),
        Duration::minutes(LOGIN_KEY_VALIDITY_MINUTES),
    )?;
    let link = to.link(&key);
    let body = format!(
        "Bonjour,\n\nPour accéder à Carnet de bord, cliquez sur le lien suivant (valable {LOGIN_KEY_VALIDITY_MINUTES} minutes, utilisable une seule fois) :\n\n{link}\n\nSi vous n'avez pas demandé ce lien, ignorez ce message.\n\nL'équipe Carnet de bord\n"
    );
    store::outbox::queue(conn, recipient, "Accédez à Carnet de bord", &body)?;
    Ok((key, link))
}

/// Handles a login request for an e-mail: one link per live account of that e-mail (creating
/// a beneficiary's account on first request). Does the same work whether or not the e-mail is
/// known, apart from writing the keys.
pub fn request(conn: &mut PgConnection, email: &str, app_url: &str) -> QueryResult<()> {
    request_to(conn, email, LinkTo::App(app_url))
}

/// [`request`], with links leading to the application or the console.
pub fn request_to(conn: &mut PgConnection, email: &str, to: LinkTo<'_>) -> QueryResult<()> {
    conn.transaction(|conn| {
        let mut accounts = store::accounts::by_email(conn, email)?;
        if accounts.is_empty()
            && let Some(created) = store::accounts::ensure_beneficiary_account(conn, email)?
        {
            accounts.push(created);
        }
        for account in accounts {
            send_link(conn, account, email, to)?;
        }
        Ok(())
    })
}

/// Exchanges a login key for a session; None when the key is unknown, expired or used.
pub fn open_session(
    conn: &mut PgConnection,
    key: &str,
    lifetime: Duration,
) -> QueryResult<Option<Session>> {
    conn.transaction(|conn| {
        let Some(account_id) = store::accounts::consume_login_key(conn, &secrets::sha256_hex(key))?
        else {
            return Ok(None);
        };
        let Some(account) = store::accounts::identity_by_id(conn, account_id)? else {
            return Ok(None);
        };
        let token = format!("cdbt_{}", secrets::random_token(32));
        store::accounts::create_token(
            conn,
            account_id,
            "session",
            None,
            &secrets::sha256_hex(&token),
            None,
            Utc::now() + lifetime,
        )?;
        store::accounts::touch_login(conn, account_id)?;
        Ok(Some(Session {
            token,
            account,
            expires_in: lifetime.num_seconds(),
        }))
    })
}
