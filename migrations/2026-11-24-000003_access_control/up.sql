-- Access control: API clients (OAuth2 client credentials), token signing keys, human logins by
-- magic link, sessions and personal access tokens, the e-mail outbox, and the append-only
-- access journal of every read or write of a person's data.

-- Keys signing the access tokens of API clients (EdDSA / Ed25519). A retired key signs nothing
-- new but still verifies the tokens it signed until they expire.
CREATE TABLE signing_key (
    kid             text PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9_-]{8,64}$'),
    private_key_der bytea NOT NULL,
    public_key      bytea NOT NULL CHECK (octet_length(public_key) = 32),
    created_at      timestamptz NOT NULL DEFAULT now(),
    retired_at      timestamptz
);

-- A partner information system calling the API with OAuth2 client credentials. Two secrets
-- may be valid at once (the current one and, until it expires, the previous one) so that a
-- partner rotates without downtime. Secrets are stored as argon2id PHC strings.
CREATE TABLE api_client (
    id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id                  text NOT NULL UNIQUE CHECK (client_id ~ '^cdb_[A-Za-z0-9]{16,64}$'),
    deployment_id              uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    structure_id               uuid REFERENCES structure (id) ON DELETE RESTRICT,
    name                       text NOT NULL CHECK (btrim(name) <> ''),
    scopes                     text[] NOT NULL,
    secret_hash                text NOT NULL,
    previous_secret_hash       text,
    previous_secret_expires_at timestamptz,
    created_by_account_id      uuid REFERENCES account (id) ON DELETE RESTRICT,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    revoked_at                 timestamptz,
    last_used_at               timestamptz,
    CONSTRAINT api_client_structure_tenant_fkey FOREIGN KEY (structure_id, deployment_id)
        REFERENCES structure (id, deployment_id),
    CONSTRAINT api_client_previous_secret_expiry CHECK ((previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL))
);
CREATE INDEX api_client_deployment_idx ON api_client (deployment_id, created_at);
CREATE TRIGGER api_client_set_updated_at BEFORE UPDATE ON api_client
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One-time login keys sent by e-mail (magic links): valid 15 minutes, usable once. Only a
-- SHA-256 of the key is stored.
CREATE TABLE login_key (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    key_hash   text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_key_account_idx ON login_key (account_id, created_at);

-- Bearer tokens of people: sessions opened by a login key, and personal access tokens that a
-- professional creates for a case-management tool (named, scoped, expiring, revocable).
CREATE TABLE account_token (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id   uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('session', 'personal')),
    name         text CHECK (kind = 'session' OR btrim(name) <> ''),
    token_hash   text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    scopes       text[],
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT account_token_personal_has_scopes CHECK (kind = 'session' OR scopes IS NOT NULL)
);
CREATE INDEX account_token_account_idx ON account_token (account_id, kind, created_at);

-- E-mails to send. SMTP delivery marks them sent; without SMTP they stay here for the demo and
-- the tests to read.
CREATE TABLE email_outbox (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    recipient  text NOT NULL CHECK (recipient ~ '^[^@\s]+@[^@\s]+$'),
    subject    text NOT NULL,
    body       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    attempts   integer NOT NULL DEFAULT 0,
    last_error text
);
CREATE INDEX email_outbox_unsent_idx ON email_outbox (created_at) WHERE sent_at IS NULL;

-- The access journal: who read or wrote which person's data, on whose behalf, why, when, and
-- with what outcome. Append-only; it keeps the person's id only (no FK), so that it outlives a
-- purge as a proof of the accesses that were made.
CREATE TABLE access_log (
    id                        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at               timestamptz NOT NULL DEFAULT now(),
    deployment_id             uuid,
    beneficiary_id            uuid NOT NULL,
    actor_kind                text NOT NULL CHECK (actor_kind IN ('account', 'api_client')),
    account_id                uuid,
    api_client_id             uuid,
    actor_role                text NOT NULL,
    on_behalf_structure_id    uuid,
    on_behalf_professional_id uuid,
    action                    text NOT NULL CHECK (action IN ('read', 'write', 'export', 'delete')),
    resource                  text NOT NULL,
    outcome                   text NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    purpose                   text,
    request_id                text,
    CONSTRAINT access_log_actor CHECK ((actor_kind = 'account') = (account_id IS NOT NULL)
                                       AND (actor_kind = 'api_client') = (api_client_id IS NOT NULL))
);
CREATE INDEX access_log_beneficiary_idx ON access_log (beneficiary_id, id);

CREATE FUNCTION access_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access journal is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER access_log_no_update BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only();
