//! Accounts of people: lookup by bearer token and by e-mail, login keys, sessions and personal
//! access tokens, and the creation of the first accounts of a fresh install.

use chrono::{DateTime, Duration, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

use crate::domain::role::Role;
use crate::schema::{account, account_token, login_key, professional};

/// The parts of an account that decide what it may do.
#[derive(Debug, Clone)]
pub struct AccountIdentity {
    /// The account.
    pub id: Uuid,
    /// Its role.
    pub role: Role,
    /// Its deployment.
    pub deployment_id: Option<Uuid>,
    /// Its profile row.
    pub profile_id: Option<Uuid>,
    /// The structure of a professional.
    pub structure_id: Option<Uuid>,
}

/// An account found by a bearer token.
#[derive(Debug, Clone)]
pub struct TokenAccount {
    /// The token row.
    pub token_id: Uuid,
    /// Scopes of a personal token; None for a session (the role's scopes).
    pub token_scopes: Option<Vec<String>>,
    /// The account.
    pub account: AccountIdentity,
}

/// A token row: id, scopes, last use, and its account's columns.
type TokenRowColumns = (
    Uuid,
    Option<Vec<Option<String>>>,
    Option<DateTime<Utc>>,
    AccountColumns,
);

type AccountColumns = (
    Uuid,
    String,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
);

fn identity(conn: &mut PgConnection, row: AccountColumns) -> QueryResult<Option<AccountIdentity>> {
    let (
        id,
        role,
        deployment_id,
        admin_cdb,
        manager,
        admin_structure,
        orientation_manager,
        professional_id,
        beneficiary,
    ) = row;
    let Ok(role) = role.parse::<Role>() else {
        return Ok(None);
    };
    let profile_id = admin_cdb
        .or(manager)
        .or(admin_structure)
        .or(orientation_manager)
        .or(professional_id)
        .or(beneficiary);
    let structure_id = match professional_id {
        Some(pro) => professional::table
            .find(pro)
            .select(professional::structure_id)
            .first::<Uuid>(conn)
            .optional()?,
        None => None,
    };
    Ok(Some(AccountIdentity {
        id,
        role,
        deployment_id,
        profile_id,
        structure_id,
    }))
}

const ACCOUNT_COLUMNS: (
    account::id,
    account::role,
    account::deployment_id,
    account::admin_cdb_id,
    account::manager_id,
    account::admin_structure_id,
    account::orientation_manager_id,
    account::professional_id,
    account::beneficiary_id,
) = (
    account::id,
    account::role,
    account::deployment_id,
    account::admin_cdb_id,
    account::manager_id,
    account::admin_structure_id,
    account::orientation_manager_id,
    account::professional_id,
    account::beneficiary_id,
);

/// The account of a live (unexpired, unrevoked) token of a live account.
pub fn by_token_hash(conn: &mut PgConnection, hash: &str) -> QueryResult<Option<TokenAccount>> {
    let now = Utc::now();
    let found: Option<TokenRowColumns> = account_token::table
        .inner_join(account::table.on(account::id.eq(account_token::account_id)))
        .filter(account_token::token_hash.eq(hash))
        .filter(account_token::revoked_at.is_null())
        .filter(account_token::expires_at.gt(now))
        .filter(account::deleted_at.is_null())
        .filter(account::confirmed.eq(true))
        .select((
            account_token::id,
            account_token::scopes,
            account_token::last_used_at,
            ACCOUNT_COLUMNS,
        ))
        .first(conn)
        .optional()?;
    let Some((token_id, scopes, last_used, row)) = found else {
        return Ok(None);
    };
    // Record use at most once a minute: the list of tokens shows it, the hot path stays cheap.
    if last_used.is_none_or(|at| now - at > Duration::minutes(1)) {
        diesel::update(account_token::table.find(token_id))
            .set(account_token::last_used_at.eq(now))
            .execute(conn)?;
    }
    Ok(identity(conn, row)?.map(|account| TokenAccount {
        token_id,
        token_scopes: scopes.map(|names| names.into_iter().flatten().collect()),
        account,
    }))
}

/// The identity of an account by id.
pub fn identity_by_id(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<AccountIdentity>> {
    let row: Option<AccountColumns> = account::table
        .find(id)
        .filter(account::deleted_at.is_null())
        .select(ACCOUNT_COLUMNS)
        .first(conn)
        .optional()?;
    match row {
        Some(row) => identity(conn, row),
        None => Ok(None),
    }
}

#[derive(QueryableByName)]
struct AccountByEmail {
    #[diesel(sql_type = SqlUuid)]
    account_id: Uuid,
}

/// Live accounts whose login address is this e-mail (a staff profile's e-mail, a person's
/// account's own login address) (case-insensitive), any role, any deployment.
pub fn by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Vec<Uuid>> {
    let rows: Vec<AccountByEmail> = diesel::sql_query(
        "SELECT a.id AS account_id FROM account a \
         LEFT JOIN admin_cdb p1 ON p1.id = a.admin_cdb_id \
         LEFT JOIN manager p2 ON p2.id = a.manager_id \
         LEFT JOIN admin_structure p3 ON p3.id = a.admin_structure_id \
         LEFT JOIN orientation_manager p4 ON p4.id = a.orientation_manager_id \
         LEFT JOIN professional p5 ON p5.id = a.professional_id \
         WHERE a.deleted_at IS NULL AND a.confirmed AND lower(coalesce(p1.email, p2.email, p3.email, p4.email, p5.email, a.login_email)) = lower($1) \
         ORDER BY a.created_at",
    )
    .bind::<Text, _>(email)
    .load(conn)?;
    Ok(rows.into_iter().map(|row| row.account_id).collect())
}

#[derive(QueryableByName)]
struct LoneBeneficiary {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    deployment_id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    account_id: Option<Uuid>,
}

/// A beneficiary's account is created on their first login request, as in the original, when
/// exactly one beneficiary has the e-mail (an e-mail shared by several people opens nothing).
pub fn ensure_beneficiary_account(
    conn: &mut PgConnection,
    email: &str,
) -> QueryResult<Option<Uuid>> {
    let found: Vec<LoneBeneficiary> = diesel::sql_query(
        "SELECT b.id, b.deployment_id, a.id AS account_id FROM beneficiary b \
         LEFT JOIN account a ON a.beneficiary_id = b.id WHERE lower(b.email) = lower($1) LIMIT 2",
    )
    .bind::<Text, _>(email)
    .load(conn)?;
    match found.as_slice() {
        [one] if one.account_id.is_none() => {
            let id: Uuid = diesel::insert_into(account::table)
                .values((
                    account::role.eq(Role::Beneficiary.as_str()),
                    account::deployment_id.eq(one.deployment_id),
                    account::beneficiary_id.eq(one.id),
                    account::confirmed.eq(true),
                    account::login_email.eq(email),
                ))
                .returning(account::id)
                .get_result(conn)?;
            Ok(Some(id))
        }
        _ => Ok(None),
    }
}

/// Stores a login key (its hash) valid for `validity`.
pub fn create_login_key(
    conn: &mut PgConnection,
    account_id: Uuid,
    key_hash: &str,
    validity: Duration,
) -> QueryResult<()> {
    diesel::insert_into(login_key::table)
        .values((
            login_key::account_id.eq(account_id),
            login_key::key_hash.eq(key_hash),
            login_key::expires_at.eq(Utc::now() + validity),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Uses a login key: answers its account if the key exists, is unexpired and unused, and
/// marks it used in the same statement (a key opens one session at most).
pub fn consume_login_key(conn: &mut PgConnection, key_hash: &str) -> QueryResult<Option<Uuid>> {
    let now = Utc::now();
    diesel::update(
        login_key::table
            .filter(login_key::key_hash.eq(key_hash))
            .filter(login_key::used_at.is_null())
            .filter(login_key::expires_at.gt(now)),
    )
    .set(login_key::used_at.eq(now))
    .returning(login_key::account_id)
    .get_result(conn)
    .optional()
}

/// Stores a bearer token (its hash) for an account.
pub fn create_token(
    conn: &mut PgConnection,
    account_id: Uuid,
    kind: &str,
    name: Option<&str>,
    token_hash: &str,
    scopes: Option<Vec<String>>,
    expires_at: DateTime<Utc>,
) -> QueryResult<Uuid> {
    diesel::insert_into(account_token::table)
        .values((
            account_token::account_id.eq(account_id),
            account_token::kind.eq(kind),
            account_token::name.eq(name),
            account_token::token_hash.eq(token_hash),
            account_token::scopes
                .eq(scopes.map(|names| names.into_iter().map(Some).collect::<Vec<_>>())),
            account_token::expires_at.eq(expires_at),
        ))
        .returning(account_token::id)
        .get_result(conn)
}

/// Marks the last login.
pub fn touch_login(conn: &mut PgConnection, account_id: Uuid) -> QueryResult<()> {
    diesel::update(account::table.find(account_id))
        .set(account::last_login_at.eq(Utc::now()))
        .execute(conn)
        .map(|_| ())
}

/// A personal access token as listed to its owner (never the token itself).
#[derive(Debug, Clone, Queryable)]
pub struct PersonalToken {
    /// Id.
    pub id: Uuid,
    /// Name given by the owner.
    pub name: Option<String>,
    /// Scopes.
    pub scopes: Option<Vec<Option<String>>>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Revocation time.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last use.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Creation.
    pub created_at: DateTime<Utc>,
}

/// A page of an account's personal tokens, newest first, before a token's creation instant
/// and id.
pub fn personal_tokens(
    conn: &mut PgConnection,
    account_id: Uuid,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<PersonalToken>> {
    let mut query = account_token::table
        .filter(account_token::account_id.eq(account_id))
        .filter(account_token::kind.eq("personal"))
        .into_boxed();
    if let Some((at, id)) = before {
        query = query.filter(
            account_token::created_at
                .lt(at)
                .or(account_token::created_at
                    .eq(at)
                    .and(account_token::id.lt(id))),
        );
    }
    query
        .order((account_token::created_at.desc(), account_token::id.desc()))
        .limit(limit)
        .select((
            account_token::id,
            account_token::name,
            account_token::scopes,
            account_token::expires_at,
            account_token::revoked_at,
            account_token::last_used_at,
            account_token::created_at,
        ))
        .load(conn)
}

/// Revokes a token of an account; false if it is not one of its live tokens.
pub fn revoke_token(
    conn: &mut PgConnection,
    account_id: Uuid,
    token_id: Uuid,
) -> QueryResult<bool> {
    diesel::update(
        account_token::table
            .filter(account_token::id.eq(token_id))
            .filter(account_token::account_id.eq(account_id))
            .filter(account_token::revoked_at.is_null()),
    )
    .set(account_token::revoked_at.eq(Utc::now()))
    .execute(conn)
    .map(|count| count == 1)
}

/// A person's login address as it was and as it now is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginAddressChange {
    /// The account.
    pub account_id: Uuid,
    /// The address login links went to before, if the account existed.
    pub previous: Option<String>,
}

/// Sets where a person's login links are sent, creating their account if they had none.
pub fn set_beneficiary_login_email(
    conn: &mut PgConnection,
    beneficiary: Uuid,
    deployment: Uuid,
    email: &str,
) -> QueryResult<LoginAddressChange> {
    let existing: Option<(Uuid, Option<String>)> = account::table
        .filter(account::beneficiary_id.eq(beneficiary))
        .select((account::id, account::login_email))
        .first(conn)
        .optional()?;
    match existing {
        Some((account_id, previous)) => {
            diesel::update(account::table.find(account_id))
                .set(account::login_email.eq(email))
                .execute(conn)?;
            Ok(LoginAddressChange {
                account_id,
                previous,
            })
        }
        None => {
            let account_id = diesel::insert_into(account::table)
                .values((
                    account::role.eq(Role::Beneficiary.as_str()),
                    account::deployment_id.eq(deployment),
                    account::beneficiary_id.eq(beneficiary),
                    account::confirmed.eq(true),
                    account::login_email.eq(email),
                ))
                .returning(account::id)
                .get_result(conn)?;
            Ok(LoginAddressChange {
                account_id,
                previous: None,
            })
        }
    }
}

/// How an account is shown to its owner: their name, e-mail and deployment.
#[derive(Debug, Clone, QueryableByName)]
pub struct AccountDisplay {
    /// First and last name as the profile has them (may be empty).
    #[diesel(sql_type = Text)]
    pub name: String,
    /// The login e-mail.
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub email: Option<String>,
    /// The deployment's label.
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub deployment: Option<String>,
}

/// The name, e-mail and deployment of a live account.
pub fn display(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<AccountDisplay>> {
    diesel::sql_query(
        "SELECT trim(concat_ws(' ', coalesce(p1.firstname, p2.firstname, p3.firstname, p4.firstname, p5.firstname, p6.firstname), \
                coalesce(p1.lastname, p2.lastname, p3.lastname, p4.lastname, p5.lastname, p6.lastname))) AS name, \
                coalesce(p1.email, p2.email, p3.email, p4.email, p5.email, a.login_email) AS email, d.label AS deployment \
         FROM account a \
         LEFT JOIN admin_cdb p1 ON p1.id = a.admin_cdb_id \
         LEFT JOIN manager p2 ON p2.id = a.manager_id \
         LEFT JOIN admin_structure p3 ON p3.id = a.admin_structure_id \
         LEFT JOIN orientation_manager p4 ON p4.id = a.orientation_manager_id \
         LEFT JOIN professional p5 ON p5.id = a.professional_id \
         LEFT JOIN beneficiary p6 ON p6.id = a.beneficiary_id \
         LEFT JOIN deployment d ON d.id = a.deployment_id \
         WHERE a.id = $1 AND a.deleted_at IS NULL",
    )
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .optional()
}

/// Revokes a live token by its hash (a session opened for someone the console turns away).
pub fn revoke_token_by_hash(conn: &mut PgConnection, token_hash: &str) -> QueryResult<bool> {
    diesel::update(
        account_token::table
            .filter(account_token::token_hash.eq(token_hash))
            .filter(account_token::revoked_at.is_null()),
    )
    .set(account_token::revoked_at.eq(Utc::now()))
    .execute(conn)
    .map(|count| count == 1)
}
