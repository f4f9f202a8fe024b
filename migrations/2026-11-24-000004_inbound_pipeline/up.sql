-- The one inbound pipeline: where each person's record comes from in each source, which source
-- set each field and as of when, possible matches for a human to resolve, the change feed, and
-- the idempotency keys of partner POSTs.

-- A person as known to a source: (system, record id) → beneficiary. The key of partner batches
-- and of full-snapshot sync sessions.
CREATE TABLE beneficiary_source (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id      uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    beneficiary_id     uuid NOT NULL REFERENCES beneficiary (id) ON DELETE CASCADE,
    source_system      text NOT NULL CHECK (btrim(source_system) <> ''),
    source_record_id   text NOT NULL CHECK (btrim(source_record_id) <> ''),
    last_as_of         timestamptz NOT NULL,
    last_seen_at       timestamptz NOT NULL DEFAULT now(),
    no_longer_reported_at timestamptz,
    CONSTRAINT beneficiary_source_key UNIQUE (deployment_id, source_system, source_record_id),
    CONSTRAINT beneficiary_source_tenant_fkey FOREIGN KEY (beneficiary_id, deployment_id)
        REFERENCES beneficiary (id, deployment_id)
);
CREATE INDEX beneficiary_source_beneficiary_idx ON beneficiary_source (beneficiary_id);

-- Per-field provenance: the source that set each field of a person, and the as-of date of the
-- data it came from. The merge rules read it to decide which source wins.
CREATE TABLE field_provenance (
    beneficiary_id   uuid NOT NULL REFERENCES beneficiary (id) ON DELETE CASCADE,
    field            text NOT NULL,
    source_system    text NOT NULL,
    source_record_id text,
    as_of            timestamptz NOT NULL,
    set_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (beneficiary_id, field)
);

-- A record that matched several people, or disagreed on an identity pivot (NIR, birth date):
-- never merged silently; a manager decides.
CREATE TABLE possible_match (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id      uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    reason             text NOT NULL CHECK (reason IN ('ambiguous', 'pivot_conflict')),
    record             jsonb NOT NULL,
    candidate_ids      uuid[] NOT NULL,
    status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'same_person', 'different_person')),
    resolved_beneficiary_id uuid,
    decided_by_account_id uuid REFERENCES account (id) ON DELETE RESTRICT,
    decided_at         timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT possible_match_decision CHECK ((status = 'open') = (decided_at IS NULL))
);
CREATE INDEX possible_match_open_idx ON possible_match (deployment_id, created_at) WHERE status = 'open';

-- The change feed. A change's sequence number is taken from a one-row counter as the last
-- statement of its transaction: the counter's row lock is held until commit, so sequence
-- numbers become visible in increasing order and a reader resuming after N never misses a
-- change committed later with a smaller number.
CREATE TABLE change_counter (
    id    boolean PRIMARY KEY DEFAULT true CHECK (id),
    value bigint NOT NULL
);
INSERT INTO change_counter (value) VALUES (0);

CREATE TABLE change (
    seq            bigint PRIMARY KEY,
    deployment_id  uuid NOT NULL,
    beneficiary_id uuid,
    notebook_id    uuid,
    kind           text NOT NULL CHECK (kind IN ('beneficiary.created', 'beneficiary.updated',
                                                 'beneficiary.merged', 'beneficiary.purged',
                                                 'beneficiary.no_longer_reported', 'notebook.updated')),
    fields         text[] NOT NULL DEFAULT '{}',
    source_system  text,
    committed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX change_deployment_seq_idx ON change (deployment_id, seq);

-- Idempotency keys of partner POSTs: a replay answers the first response; the same key with
-- another body is refused.
CREATE TABLE idempotency_key (
    caller        text NOT NULL,
    key           text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    request_hash  text NOT NULL,
    status        integer NOT NULL,
    response_body jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (caller, key)
);
