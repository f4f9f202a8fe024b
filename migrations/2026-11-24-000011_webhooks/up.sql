-- Outbound webhooks: an API client's subscriptions to the change feed, and one delivery per
-- change it may see. The subscription's secret is sealed by the hub (AES-256-GCM, key outside
-- the database) so that it can sign deliveries; it is shown once, at creation.
CREATE TABLE webhook_subscription (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    api_client_id      uuid NOT NULL REFERENCES api_client (id) ON DELETE CASCADE,
    deployment_id      uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    url                text NOT NULL CHECK (btrim(url) <> ''),
    event_types        text[] NOT NULL CHECK (cardinality(event_types) > 0),
    secret             bytea NOT NULL,
    enabled            boolean NOT NULL DEFAULT true,
    -- Last change sequence number considered by the fan-out (the feed's cursor).
    cursor             bigint NOT NULL DEFAULT 0,
    -- Deliveries created so far: each body carries its number, so a gap shows.
    events_since_start bigint NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscription_client_idx ON webhook_subscription (api_client_id, id);
CREATE TRIGGER webhook_subscription_set_updated_at BEFORE UPDATE ON webhook_subscription
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One change to send to one subscription. `pending` (never tried), `failed` (tried, will be
-- retried at next_attempt_at), `delivered`, `dead` (retries exhausted: in the dead letters
-- until replayed). The retry window starts at `window_started_at` (creation, or replay).
CREATE TABLE webhook_delivery (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    subscription_id   uuid NOT NULL REFERENCES webhook_subscription (id) ON DELETE CASCADE,
    change_seq        bigint NOT NULL,
    beneficiary_id    uuid,
    body              jsonb NOT NULL,
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    last_status_code  integer,
    last_error        text,
    delivered_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    window_started_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subscription_id, change_seq)
);
-- Due deliveries, and the older undelivered one of the same person that holds a delivery back.
CREATE INDEX webhook_delivery_due_idx ON webhook_delivery (next_attempt_at)
    WHERE status IN ('pending', 'failed');
CREATE INDEX webhook_delivery_person_idx ON webhook_delivery (subscription_id, beneficiary_id, change_seq)
    WHERE status IN ('pending', 'failed');
CREATE INDEX webhook_delivery_dead_idx ON webhook_delivery (subscription_id, id) WHERE status = 'dead';
