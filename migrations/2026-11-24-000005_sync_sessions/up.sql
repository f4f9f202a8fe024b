-- Full-snapshot sync sessions: a partner that sends its whole stock opens a session, sends
-- every record (batches), then completes it; the records of that source not seen since the
-- session started are marked as no longer reported by it (and announced in the change feed).
CREATE TABLE sync_session (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id      uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    source_system      text NOT NULL CHECK (btrim(source_system) <> ''),
    status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'abandoned')),
    started_at         timestamptz NOT NULL DEFAULT now(),
    ended_at           timestamptz,
    no_longer_reported integer CHECK (no_longer_reported >= 0),
    CONSTRAINT sync_session_ended CHECK ((status = 'open') = (ended_at IS NULL))
);
-- One open session per source.
CREATE UNIQUE INDEX sync_session_open_key ON sync_session (deployment_id, source_system) WHERE status = 'open';
CREATE INDEX beneficiary_source_system_seen_idx ON beneficiary_source (deployment_id, source_system, last_seen_at);
