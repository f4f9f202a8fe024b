-- Personal data rights (GDPR): the proof that a person's data was purged. It holds no personal
-- data: the person's id (no foreign key: the person is gone), who purged, why, when, and how
-- many rows of each table were deleted. The access journal, which holds only ids, is kept.
CREATE TABLE purge_proof (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id        uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    beneficiary_id       uuid NOT NULL UNIQUE,
    purged_at            timestamptz NOT NULL DEFAULT now(),
    purged_by_account_id uuid NOT NULL REFERENCES account (id) ON DELETE RESTRICT,
    reason               text NOT NULL CHECK (btrim(reason) <> '' AND char_length(reason) <= 500),
    deleted_rows         jsonb NOT NULL CHECK (jsonb_typeof(deleted_rows) = 'object')
);
CREATE INDEX purge_proof_deployment_idx ON purge_proof (deployment_id, purged_at);
