//! API clients: creation, lookup for authentication, listing, secret rotation and revocation.

use chrono::{DateTime, Duration, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::api_client;

/// An API client as stored (hashes included: never serialised to callers).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_client)]
pub struct ApiClientRow {
    /// Internal id.
    pub id: Uuid,
    /// Public client id.
    pub client_id: String,
    /// Deployment.
    pub deployment_id: Uuid,
    /// Structure it is narrowed to.
    pub structure_id: Option<Uuid>,
    /// Name given by its creator.
    pub name: String,
    /// Scopes it may request (PostgreSQL arrays have nullable elements: none is ever null).
    pub scopes: Vec<Option<String>>,
    /// argon2id hash of the current secret.
    pub secret_hash: String,
    /// argon2id hash of the previous secret, valid until `previous_secret_expires_at`.
    pub previous_secret_hash: Option<String>,
    /// End of validity of the previous secret.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Revocation.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last token issued.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl ApiClientRow {
    /// The scope names.
    pub fn scope_names(&self) -> Vec<String> {
        self.scopes.iter().flatten().cloned().collect()
    }
}

/// What a new client is.
#[derive(Debug, Clone)]
pub struct NewClient<'a> {
    /// Public client id.
    pub client_id: &'a str,
    /// Deployment.
    pub deployment_id: Uuid,
    /// Structure.
    pub structure_id: Option<Uuid>,
    /// Name.
    pub name: &'a str,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Hash of its first secret.
    pub secret_hash: &'a str,
    /// Creating account, if created through the API.
    pub created_by: Option<Uuid>,
}

/// Inserts a client.
pub fn create(conn: &mut PgConnection, new: NewClient<'_>) -> QueryResult<ApiClientRow> {
    diesel::insert_into(api_client::table)
        .values((
            api_client::client_id.eq(new.client_id),
            api_client::deployment_id.eq(new.deployment_id),
            api_client::structure_id.eq(new.structure_id),
            api_client::name.eq(new.name),
            api_client::scopes.eq(new.scopes.into_iter().map(Some).collect::<Vec<_>>()),
            api_client::secret_hash.eq(new.secret_hash),
            api_client::created_by_account_id.eq(new.created_by),
        ))
        .returning(ApiClientRow::as_returning())
        .get_result(conn)
}

/// A non-revoked client by public id (token endpoint).
pub fn active_by_client_id(
    conn: &mut PgConnection,
    client_id: &str,
) -> QueryResult<Option<ApiClientRow>> {
    api_client::table
        .filter(api_client::client_id.eq(client_id))
        .filter(api_client::revoked_at.is_null())
        .select(ApiClientRow::as_select())
        .first(conn)
        .optional()
}

/// A non-revoked client by internal id (checked on every request with its token).
pub fn active_by_id(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<ApiClientRow>> {
    api_client::table
        .find(id)
        .filter(api_client::revoked_at.is_null())
        .select(ApiClientRow::as_select())
        .first(conn)
        .optional()
}

/// A client by internal id within a deployment (or any deployment for `None`).
pub fn by_id_in(
    conn: &mut PgConnection,
    id: Uuid,
    deployment: Option<Uuid>,
) -> QueryResult<Option<ApiClientRow>> {
    let mut query = api_client::table
        .find(id)
        .select(ApiClientRow::as_select())
        .into_boxed();
    if let Some(deployment) = deployment {
        query = query.filter(api_client::deployment_id.eq(deployment));
    }
    query.first(conn).optional()
}

/// Clients of a deployment (or of all deployments for `None`), keyset-paged by id.
pub fn list(
    conn: &mut PgConnection,
    deployment: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<super::Page<ApiClientRow>> {
    let mut query = api_client::table
        .select(ApiClientRow::as_select())
        .into_boxed();
    if let Some(deployment) = deployment {
        query = query.filter(api_client::deployment_id.eq(deployment));
    }
    if let Some(after) = after {
        query = query.filter(api_client::id.gt(after));
    }
    let rows = query
        .order(api_client::id.asc())
        .limit(limit + 1)
        .load(conn)?;
    Ok(super::Page::from_rows(rows, limit, |row| row.id))
}

/// Records a token issuance.
pub fn touch(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    diesel::update(api_client::table.find(id))
        .set(api_client::last_used_at.eq(Utc::now()))
        .execute(conn)
        .map(|_| ())
}

/// Installs a new secret; the current one stays valid for `overlap` so that the partner can
/// switch without downtime.
pub fn rotate(
    conn: &mut PgConnection,
    id: Uuid,
    new_hash: &str,
    overlap: Duration,
) -> QueryResult<Option<ApiClientRow>> {
    let current: Option<String> = api_client::table
        .find(id)
        .filter(api_client::revoked_at.is_null())
        .select(api_client::secret_hash)
        .first(conn)
        .optional()?;
    let Some(current) = current else {
        return Ok(None);
    };
    diesel::update(api_client::table.find(id))
        .set((
            api_client::previous_secret_hash.eq(Some(current)),
            api_client::previous_secret_expires_at.eq(Some(Utc::now() + overlap)),
            api_client::secret_hash.eq(new_hash),
        ))
        .returning(ApiClientRow::as_returning())
        .get_result(conn)
        .optional()
}

/// Revokes a client: its tokens stop working at their next use.
pub fn revoke(conn: &mut PgConnection, id: Uuid) -> QueryResult<bool> {
    diesel::update(
        api_client::table
            .find(id)
            .filter(api_client::revoked_at.is_null()),
    )
    .set(api_client::revoked_at.eq(Utc::now()))
    .execute(conn)
    .map(|count| count == 1)
}
