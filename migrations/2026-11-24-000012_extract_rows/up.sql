-- Rows of France Travail weekly extract files, kept raw and hashed per instance: a row whose
-- hash was seen before changes nothing and is not applied again.
CREATE TABLE connector_row (
    instance_id    uuid NOT NULL REFERENCES connector_instance (id) ON DELETE CASCADE,
    hash           bytea NOT NULL CHECK (octet_length(hash) = 32),
    file_id        uuid NOT NULL REFERENCES connector_file (id) ON DELETE CASCADE,
    line           bigint NOT NULL,
    raw            text NOT NULL,
    beneficiary_id uuid REFERENCES beneficiary (id) ON DELETE CASCADE,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instance_id, hash)
);
CREATE INDEX connector_row_beneficiary_idx ON connector_row (beneficiary_id) WHERE beneficiary_id IS NOT NULL;
