//! Webhook subscriptions and their deliveries (tables of migration 000011, queried with SQL:
//! they are not in `schema.rs`).

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Bool, Bytea, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use uuid::Uuid;

/// A subscription as stored (its sealed secret included: never serialised).
#[derive(Debug, Clone, QueryableByName)]
pub struct SubscriptionRow {
    /// Id.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// The API client it belongs to.
    #[diesel(sql_type = SqlUuid)]
    pub api_client_id: Uuid,
    /// The client's deployment.
    #[diesel(sql_type = SqlUuid)]
    pub deployment_id: Uuid,
    /// Endpoint.
    #[diesel(sql_type = Text)]
    pub url: String,
    /// Event types, or `*`.
    #[diesel(sql_type = Array<Text>)]
    pub event_types: Vec<String>,
    /// Signing secret, sealed for this subscription.
    #[diesel(sql_type = Bytea)]
    pub secret: Vec<u8>,
    /// Whether changes are fanned out and delivered.
    #[diesel(sql_type = Bool)]
    pub enabled: bool,
    /// Last change sequence number considered.
    #[diesel(sql_type = BigInt)]
    pub cursor: i64,
    /// Deliveries created so far.
    #[diesel(sql_type = BigInt)]
    pub events_since_start: i64,
    /// Creation.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Last change.
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

const SUBSCRIPTION_COLUMNS: &str = "id, api_client_id, deployment_id, url, event_types, secret, \
     enabled, cursor, events_since_start, created_at, updated_at";

/// A subscription to create.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    /// Id (chosen before, since the secret is sealed for it).
    pub id: Uuid,
    /// Owner.
    pub api_client_id: Uuid,
    /// Owner's deployment.
    pub deployment_id: Uuid,
    /// Endpoint.
    pub url: String,
    /// Event types.
    pub event_types: Vec<String>,
    /// Sealed secret.
    pub secret: Vec<u8>,
    /// Enabled.
    pub enabled: bool,
    /// Where the fan-out starts: the feed's current end (a subscriber gets what happens next).
    pub cursor: i64,
}

/// Inserts a subscription.
pub fn create(conn: &mut PgConnection, new: &NewSubscription) -> QueryResult<SubscriptionRow> {
    diesel::sql_query(format!(
        "INSERT INTO webhook_subscription (id, api_client_id, deployment_id, url, event_types, secret, enabled, cursor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {SUBSCRIPTION_COLUMNS}"
    ))
    .bind::<SqlUuid, _>(new.id)
    .bind::<SqlUuid, _>(new.api_client_id)
    .bind::<SqlUuid, _>(new.deployment_id)
    .bind::<Text, _>(&new.url)
    .bind::<Array<Text>, _>(&new.event_types)
    .bind::<Bytea, _>(&new.secret)
    .bind::<Bool, _>(new.enabled)
    .bind::<BigInt, _>(new.cursor)
    .get_result(conn)
}

/// The last sequence number of the change feed.
pub fn feed_end(conn: &mut PgConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct End {
        #[diesel(sql_type = BigInt)]
        value: i64,
    }
    diesel::sql_query("SELECT coalesce(max(seq), 0) AS value FROM change")
        .get_result::<End>(conn)
        .map(|end| end.value)
}

/// One subscription of a client.
pub fn get(
    conn: &mut PgConnection,
    api_client_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<SubscriptionRow>> {
    diesel::sql_query(format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscription WHERE id = $1 AND api_client_id = $2"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(api_client_id)
    .get_result(conn)
    .optional()
}

/// A client's subscriptions, keyset-paged by id (`limit + 1` rows).
pub fn list(
    conn: &mut PgConnection,
    api_client_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<super::Page<SubscriptionRow>> {
    let rows = diesel::sql_query(format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscription \
         WHERE api_client_id = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3"
    ))
    .bind::<SqlUuid, _>(api_client_id)
    .bind::<Nullable<SqlUuid>, _>(after)
    .bind::<BigInt, _>(limit + 1)
    .load(conn)?;
    Ok(super::Page::from_rows(rows, limit, |row| row.id))
}

/// Changes to a subscription: absent fields stay.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionChanges {
    /// New endpoint.
    pub url: Option<String>,
    /// New event types.
    pub event_types: Option<Vec<String>>,
    /// Enable or disable.
    pub enabled: Option<bool>,
}

/// Changes a client's subscription.
pub fn update(
    conn: &mut PgConnection,
    api_client_id: Uuid,
    id: Uuid,
    changes: &SubscriptionChanges,
) -> QueryResult<Option<SubscriptionRow>> {
    diesel::sql_query(format!(
        "UPDATE webhook_subscription SET url = coalesce($3, url), \
         event_types = coalesce($4, event_types), enabled = coalesce($5, enabled) \
         WHERE id = $1 AND api_client_id = $2 RETURNING {SUBSCRIPTION_COLUMNS}"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(api_client_id)
    .bind::<Nullable<Text>, _>(changes.url.as_deref())
    .bind::<Nullable<Array<Text>>, _>(changes.event_types.as_ref())
    .bind::<Nullable<Bool>, _>(changes.enabled)
    .get_result(conn)
    .optional()
}

/// Deletes a client's subscription and its deliveries.
pub fn delete(conn: &mut PgConnection, api_client_id: Uuid, id: Uuid) -> QueryResult<bool> {
    diesel::sql_query("DELETE FROM webhook_subscription WHERE id = $1 AND api_client_id = $2")
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(api_client_id)
        .execute(conn)
        .map(|count| count == 1)
}

/// Deliveries of a subscription by status.
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct DeliveryCounts {
    /// Not tried yet.
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    /// Tried, failed, to be retried.
    #[diesel(sql_type = BigInt)]
    pub failed: i64,
    /// Received (2xx).
    #[diesel(sql_type = BigInt)]
    pub delivered: i64,
    /// Retries exhausted: in the dead letters.
    #[diesel(sql_type = BigInt)]
    pub dead: i64,
}

/// Counts a subscription's deliveries by status (the delivered ones pruned since included).
pub fn counts(conn: &mut PgConnection, subscription: Uuid) -> QueryResult<DeliveryCounts> {
    diesel::sql_query(
        "SELECT count(*) FILTER (WHERE status = 'pending') AS pending, \
                count(*) FILTER (WHERE status = 'failed') AS failed, \
                count(*) FILTER (WHERE status = 'delivered') \
                  + (SELECT delivered_pruned FROM webhook_subscription WHERE id = $1) AS delivered, \
                count(*) FILTER (WHERE status = 'dead') AS dead \
         FROM webhook_delivery WHERE subscription_id = $1",
    )
    .bind::<SqlUuid, _>(subscription)
    .get_result(conn)
}

#[derive(QueryableByName)]
struct Pruned {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Deletes the deliveries delivered more than `days` ago, adding them to their subscription's
/// `delivered_pruned`; answers how many. Undelivered, failed and dead ones stay.
pub fn prune_delivered(conn: &mut PgConnection, days: u32) -> QueryResult<i64> {
    let pruned: Pruned = diesel::sql_query(
        "WITH d AS (DELETE FROM webhook_delivery WHERE status = 'delivered' \
                      AND delivered_at < now() - make_interval(days => $1) RETURNING subscription_id), \
              c AS (SELECT subscription_id, count(*) AS n FROM d GROUP BY subscription_id), \
              u AS (UPDATE webhook_subscription s SET delivered_pruned = s.delivered_pruned + c.n \
                    FROM c WHERE s.id = c.subscription_id) \
         SELECT coalesce(sum(n), 0)::bigint AS n FROM c",
    )
    .bind::<diesel::sql_types::Integer, _>(i32::try_from(days).unwrap_or(i32::MAX))
    .get_result(conn)?;
    Ok(pruned.n)
}

/// A delivery as stored.
#[derive(Debug, Clone, QueryableByName)]
pub struct DeliveryRow {
    /// Id (also the body's `id`).
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Subscription.
    #[diesel(sql_type = SqlUuid)]
    pub subscription_id: Uuid,
    /// The change.
    #[diesel(sql_type = BigInt)]
    pub change_seq: i64,
    /// The person of the change.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub beneficiary_id: Option<Uuid>,
    /// The JSON body sent.
    #[diesel(sql_type = Jsonb)]
    pub body: serde_json::Value,
    /// Where it stands.
    #[diesel(sql_type = Text)]
    pub status: crate::domain::states::DeliveryStatus,
    /// Attempts made.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// When it is next tried.
    #[diesel(sql_type = Timestamptz)]
    pub next_attempt_at: DateTime<Utc>,
    /// HTTP status of the last attempt.
    #[diesel(sql_type = Nullable<Integer>)]
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed.
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
    /// When it was received.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub delivered_at: Option<DateTime<Utc>>,
    /// Creation.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Start of the retry window (creation or replay).
    #[diesel(sql_type = Timestamptz)]
    pub window_started_at: DateTime<Utc>,
}

const DELIVERY_COLUMNS: &str = "id, subscription_id, change_seq, beneficiary_id, body, status, \
     attempts, next_attempt_at, last_status_code, last_error, delivered_at, created_at, window_started_at";

/// A delivery to create.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// Id.
    pub id: Uuid,
    /// The change.
    pub change_seq: i64,
    /// The person.
    pub beneficiary_id: Option<Uuid>,
    /// Body.
    pub body: serde_json::Value,
}

/// Inserts a delivery (once per subscription and change); answers whether it was new.
pub fn add_delivery(
    conn: &mut PgConnection,
    subscription: Uuid,
    new: &NewDelivery,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::sql_query(
        "INSERT INTO webhook_delivery (id, subscription_id, change_seq, beneficiary_id, body, next_attempt_at, created_at, window_started_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $6) ON CONFLICT (subscription_id, change_seq) DO NOTHING",
    )
    .bind::<SqlUuid, _>(new.id)
    .bind::<SqlUuid, _>(subscription)
    .bind::<BigInt, _>(new.change_seq)
    .bind::<Nullable<SqlUuid>, _>(new.beneficiary_id)
    .bind::<Jsonb, _>(&new.body)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .map(|count| count == 1)
}

/// A subscription locked for its fan-out, with what its client may see.
#[derive(Debug, Clone, QueryableByName)]
pub struct FanOutTarget {
    /// Subscription.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Event types.
    #[diesel(sql_type = Array<Text>)]
    pub event_types: Vec<String>,
    /// Last change considered.
    #[diesel(sql_type = BigInt)]
    pub cursor: i64,
    /// Deliveries created so far.
    #[diesel(sql_type = BigInt)]
    pub events_since_start: i64,
    /// The client's deployment.
    #[diesel(sql_type = SqlUuid)]
    pub deployment_id: Uuid,
    /// The structure the client is narrowed to.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub structure_id: Option<Uuid>,
    /// Whether the client may read people (`beneficiaries:read`).
    #[diesel(sql_type = Bool)]
    pub may_read: bool,
}

/// Ids of the enabled subscriptions of non-revoked clients.
pub fn enabled_subscriptions(conn: &mut PgConnection) -> QueryResult<Vec<Uuid>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    diesel::sql_query(
        "SELECT s.id FROM webhook_subscription s JOIN api_client c ON c.id = s.api_client_id \
         WHERE s.enabled AND c.revoked_at IS NULL ORDER BY s.id",
    )
    .load::<Id>(conn)
    .map(|ids| ids.into_iter().map(|i| i.id).collect())
}

/// Locks an enabled subscription for its fan-out (None when disabled, revoked, or locked by
/// another fan-out).
pub fn lock_for_fan_out(
    conn: &mut PgConnection,
    subscription: Uuid,
) -> QueryResult<Option<FanOutTarget>> {
    diesel::sql_query(
        "SELECT s.id, s.event_types, s.cursor, s.events_since_start, c.deployment_id, c.structure_id, \
                'beneficiaries:read' = ANY(c.scopes) AS may_read \
         FROM webhook_subscription s JOIN api_client c ON c.id = s.api_client_id \
         WHERE s.id = $1 AND s.enabled AND c.revoked_at IS NULL \
         FOR UPDATE OF s SKIP LOCKED",
    )
    .bind::<SqlUuid, _>(subscription)
    .get_result(conn)
    .optional()
}

/// Moves a subscription's cursor and counter after a fan-out.
pub fn advance(
    conn: &mut PgConnection,
    subscription: Uuid,
    cursor: i64,
    events_since_start: i64,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE webhook_subscription SET cursor = $2, events_since_start = $3 WHERE id = $1",
    )
    .bind::<SqlUuid, _>(subscription)
    .bind::<BigInt, _>(cursor)
    .bind::<BigInt, _>(events_since_start)
    .execute(conn)
    .map(|_| ())
}

/// How long a claimed delivery is held for the worker before it may be claimed again.
pub const CLAIM_LEASE_SECS: i64 = 300;

/// Claims the deliveries due at `now` of enabled subscriptions whose person has no older
/// undelivered delivery (order per person), holding them for the worker for a lease. A client
/// revoked, or that lost `webhooks:admin`, gets nothing more (its deliveries wait, and resume
/// if the scope is given back).
pub fn claim_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Uuid>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    diesel::sql_query(
        "WITH due AS ( \
           SELECT d.id FROM webhook_delivery d \
           JOIN webhook_subscription s ON s.id = d.subscription_id AND s.enabled \
           JOIN api_client c ON c.id = s.api_client_id AND c.revoked_at IS NULL \
                AND 'webhooks:admin' = ANY (c.scopes) \
           WHERE d.status IN ('pending', 'failed') AND d.next_attempt_at <= $1 \
             AND NOT EXISTS (SELECT 1 FROM webhook_delivery o \
                 WHERE o.subscription_id = d.subscription_id \
                   AND o.beneficiary_id IS NOT DISTINCT FROM d.beneficiary_id \
                   AND o.status IN ('pending', 'failed') AND o.change_seq < d.change_seq) \
           ORDER BY d.next_attempt_at, d.change_seq LIMIT $2 \
           FOR UPDATE OF d SKIP LOCKED) \
         UPDATE webhook_delivery w SET next_attempt_at = $1 + make_interval(secs => $3) \
         FROM due WHERE w.id = due.id RETURNING w.id",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(CLAIM_LEASE_SECS)
    .load::<Id>(conn)
    .map(|ids| ids.into_iter().map(|i| i.id).collect())
}

/// What the worker needs to send a delivery.
#[derive(Debug, Clone, QueryableByName)]
pub struct Outgoing {
    /// The delivery.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its subscription.
    #[diesel(sql_type = SqlUuid)]
    pub subscription_id: Uuid,
    /// Endpoint.
    #[diesel(sql_type = Text)]
    pub url: String,
    /// Sealed secret.
    #[diesel(sql_type = Bytea)]
    pub secret: Vec<u8>,
    /// Body.
    #[diesel(sql_type = Jsonb)]
    pub body: serde_json::Value,
    /// Where it stands.
    #[diesel(sql_type = Text)]
    pub status: crate::domain::states::DeliveryStatus,
    /// Attempts made.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// Start of the retry window.
    #[diesel(sql_type = Timestamptz)]
    pub window_started_at: DateTime<Utc>,
    /// Whether the subscription is enabled and its client may still receive (not revoked,
    /// still holding `webhooks:admin`).
    #[diesel(sql_type = Bool)]
    pub enabled: bool,
}

/// A delivery with its subscription's endpoint and secret.
pub fn outgoing(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Outgoing>> {
    diesel::sql_query(
        "SELECT d.id, d.subscription_id, s.url, s.secret, d.body, d.status, d.attempts, \
                d.window_started_at, \
                (s.enabled AND c.revoked_at IS NULL AND 'webhooks:admin' = ANY (c.scopes)) AS enabled \
         FROM webhook_delivery d JOIN webhook_subscription s ON s.id = d.subscription_id \
         JOIN api_client c ON c.id = s.api_client_id \
         WHERE d.id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .optional()
}

/// Records a received delivery.
pub fn mark_delivered(
    conn: &mut PgConnection,
    id: Uuid,
    status_code: i32,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE webhook_delivery SET status = 'delivered', attempts = attempts + 1, \
         last_status_code = $2, last_error = NULL, delivered_at = $3 \
         WHERE id = $1 AND status IN ('pending', 'failed')",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Integer, _>(status_code)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .map(|_| ())
}

/// Records a failed attempt: retried at `next_attempt_at`, or dead when `None`.
pub fn mark_failed(
    conn: &mut PgConnection,
    id: Uuid,
    status_code: Option<i32>,
    error: &str,
    next_attempt_at: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE webhook_delivery SET status = CASE WHEN $4::timestamptz IS NULL THEN 'dead' ELSE 'failed' END, \
         attempts = attempts + 1, last_status_code = $2, last_error = $3, \
         next_attempt_at = coalesce($4, next_attempt_at) \
         WHERE id = $1 AND status IN ('pending', 'failed')",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Nullable<Integer>, _>(status_code)
    .bind::<Text, _>(error)
    .bind::<Nullable<Timestamptz>, _>(next_attempt_at)
    .execute(conn)
    .map(|_| ())
}

/// Dead deliveries of a subscription in change order, after a sequence number (`limit + 1`).
pub fn dead_letters(
    conn: &mut PgConnection,
    subscription: Uuid,
    after_seq: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    diesel::sql_query(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_delivery \
         WHERE subscription_id = $1 AND status = 'dead' AND change_seq > $2 \
         ORDER BY change_seq LIMIT $3"
    ))
    .bind::<SqlUuid, _>(subscription)
    .bind::<BigInt, _>(after_seq.unwrap_or(0))
    .bind::<BigInt, _>(limit + 1)
    .load(conn)
}

/// Puts dead deliveries back in the queue (all of the subscription's, or those listed) with a
/// fresh retry window; answers how many.
pub fn replay(
    conn: &mut PgConnection,
    subscription: Uuid,
    ids: Option<&[Uuid]>,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE webhook_delivery SET status = 'pending', attempts = 0, next_attempt_at = $3, \
         window_started_at = $3, last_error = NULL, last_status_code = NULL \
         WHERE subscription_id = $1 AND status = 'dead' AND ($2::uuid[] IS NULL OR id = ANY($2))",
    )
    .bind::<SqlUuid, _>(subscription)
    .bind::<Nullable<Array<SqlUuid>>, _>(ids.map(<[Uuid]>::to_vec))
    .bind::<Timestamptz, _>(now)
    .execute(conn)
}

/// All deliveries of a subscription in change order (tests and diagnostics).
pub fn deliveries(conn: &mut PgConnection, subscription: Uuid) -> QueryResult<Vec<DeliveryRow>> {
    diesel::sql_query(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_delivery WHERE subscription_id = $1 ORDER BY change_seq"
    ))
    .bind::<SqlUuid, _>(subscription)
    .load(conn)
}
