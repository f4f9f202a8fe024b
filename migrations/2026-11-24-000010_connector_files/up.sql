-- Files received by file-fed connector instances (CAF/MSA flux, departmental exports): kept
-- whole before anything else, applied in the order of their own creation date, each with its
-- report. The same file sent twice is the same file.
CREATE TABLE connector_file (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    instance_id      uuid NOT NULL REFERENCES connector_instance (id) ON DELETE CASCADE,
    deployment_id    uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    file_name        text NOT NULL CHECK (btrim(file_name) <> ''),
    content          bytea NOT NULL,
    sha256           text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes       bigint NOT NULL CHECK (size_bytes >= 0),
    -- The file's own creation date and time (CAF/MSA header); the order of application.
    flux_created_at  timestamptz,
    status           text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'applied', 'rejected')),
    -- Households (or rows) already applied: where an interrupted application resumes.
    units_done       bigint NOT NULL DEFAULT 0,
    report           jsonb,
    error            text,
    received_at      timestamptz NOT NULL DEFAULT now(),
    applied_at       timestamptz,
    CONSTRAINT connector_file_content_key UNIQUE (instance_id, sha256)
);
CREATE INDEX connector_file_pending_idx ON connector_file (instance_id, flux_created_at, received_at) WHERE status = 'received';
