-- Connector instances (one per deployment and outside system), their runs and what each run did
-- record by record. Secrets are encrypted by the hub (AES-256-GCM, key outside the database)
-- and never leave it.
CREATE TABLE connector_instance (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id     uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    kind              text NOT NULL CHECK (kind IN ('france_travail', 'caf_msa', 'departement')),
    name              text NOT NULL CHECK (btrim(name) <> ''),
    config            jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(config) = 'object'),
    secrets           bytea,
    schedule          text,
    enabled           boolean NOT NULL DEFAULT true,
    stale_after_hours integer NOT NULL DEFAULT 48 CHECK (stale_after_hours > 0),
    last_success_at   timestamptz,
    last_scheduled_at timestamptz,
    deleted_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX connector_instance_name_key ON connector_instance (deployment_id, lower(name)) WHERE deleted_at IS NULL;
CREATE TRIGGER connector_instance_set_updated_at BEFORE UPDATE ON connector_instance
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A run: queued by the schedule, a person (manual) or a file; at most one queued or running
-- per instance. `checkpoint` is where a long run resumes after a restart.
CREATE TABLE connector_run (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    instance_id   uuid NOT NULL REFERENCES connector_instance (id) ON DELETE CASCADE,
    deployment_id uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    trigger       text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'file')),
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    queued_at     timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    counts        jsonb NOT NULL DEFAULT '{}'::jsonb,
    checkpoint    text,
    error         text,
    attempts      integer NOT NULL DEFAULT 0,
    -- When the worker's tick handed it to the job queue (a queued run not handed over, or
    -- handed over long ago and still queued, is handed over again).
    pushed_at     timestamptz
);
CREATE UNIQUE INDEX connector_run_one_active_key ON connector_run (instance_id) WHERE status IN ('queued', 'running');
CREATE INDEX connector_run_instance_idx ON connector_run (instance_id, queued_at DESC);

-- What a run did with each record: its outcome and, for errors, the reason.
CREATE TABLE connector_run_item (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id         uuid NOT NULL REFERENCES connector_run (id) ON DELETE CASCADE,
    record_ref     text NOT NULL,
    outcome        text NOT NULL CHECK (outcome IN ('created', 'updated', 'unchanged', 'possible_match', 'rejected', 'not_found', 'error')),
    beneficiary_id uuid,
    message        text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connector_run_item_run_idx ON connector_run_item (run_id, id);
