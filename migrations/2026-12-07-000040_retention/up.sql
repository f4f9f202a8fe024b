-- The data lifecycle: how long a deployment keeps a person who no longer comes, and the
-- files and raw payloads it received; who was told, and who was kept on purpose.

-- A deployment's own retention; a deployment without a row keeps the defaults (2 years after
-- the person's last activity, 90 days for files once applied).
CREATE TABLE retention_setting (
    deployment_id          uuid PRIMARY KEY REFERENCES deployment (id) ON DELETE CASCADE,
    person_inactivity_days integer NOT NULL CHECK (person_inactivity_days BETWEEN 180 AND 3650),
    file_days              integer NOT NULL CHECK (file_days BETWEEN 7 AND 730),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    updated_by_account_id  uuid REFERENCES account (id) ON DELETE SET NULL
);

-- A manager keeps a person past their due date, with a reason (kept until the person goes).
CREATE TABLE retention_postponement (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id           uuid NOT NULL,
    beneficiary_id          uuid NOT NULL,
    until                   date NOT NULL,
    reason                  text NOT NULL CHECK (btrim(reason) <> '' AND char_length(reason) <= 500),
    postponed_by_account_id uuid REFERENCES account (id) ON DELETE SET NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT retention_postponement_beneficiary_tenant_fkey FOREIGN KEY (beneficiary_id, deployment_id)
        REFERENCES beneficiary (id, deployment_id) ON DELETE CASCADE
);
CREATE INDEX retention_postponement_beneficiary_idx ON retention_postponement (beneficiary_id, until DESC);

-- The managers were told that the person is due: nobody is purged less than the notice
-- period after this (a notice sent late pushes the purge back).
CREATE TABLE retention_notice (
    beneficiary_id uuid PRIMARY KEY,
    deployment_id  uuid NOT NULL,
    due_on         date NOT NULL,
    noticed_at     timestamptz NOT NULL,
    CONSTRAINT retention_notice_beneficiary_tenant_fkey FOREIGN KEY (beneficiary_id, deployment_id)
        REFERENCES beneficiary (id, deployment_id) ON DELETE CASCADE
);
CREATE INDEX retention_notice_deployment_idx ON retention_notice (deployment_id);

-- A purge by the retention rule has no account behind it.
ALTER TABLE purge_proof ALTER COLUMN purged_by_account_id DROP NOT NULL;
ALTER TABLE purge_proof ADD COLUMN purged_by text NOT NULL DEFAULT 'account'
    CHECK (purged_by IN ('account', 'retention'));
ALTER TABLE purge_proof ADD CONSTRAINT purge_proof_purged_by
    CHECK ((purged_by = 'account') = (purged_by_account_id IS NOT NULL));

-- The access journal stays append-only, except for the rows of the one person a retention
-- purge forgets in its own transaction (`SET LOCAL cdb.journal_purge = '<person id>'`).
CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('cdb.journal_purge', true) = OLD.beneficiary_id::text THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the access journal is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- Expired files: the content goes, the import's or file's counts and outcomes stay.
ALTER TABLE import ALTER COLUMN file_oid DROP NOT NULL;
ALTER TABLE import ADD COLUMN file_expired_at timestamptz;
ALTER TABLE import ADD CONSTRAINT import_file_or_expired CHECK ((file_oid IS NULL) = (file_expired_at IS NOT NULL));
CREATE OR REPLACE FUNCTION import_unlink_file() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.file_oid IS NOT NULL THEN
        PERFORM lo_unlink(OLD.file_oid);
    END IF;
    RETURN OLD;
END $$;

ALTER TABLE connector_file ADD COLUMN content_expired_at timestamptz;
ALTER TABLE connector_file DROP CONSTRAINT connector_file_has_content;
ALTER TABLE connector_file ADD CONSTRAINT connector_file_has_content CHECK (
    CASE WHEN content_expired_at IS NULL THEN (content IS NULL) <> (content_oid IS NULL)
         ELSE content IS NULL AND content_oid IS NULL END);
-- Extract rows keep their hash (a row already applied is not applied again), not their text.
ALTER TABLE connector_row ALTER COLUMN raw DROP NOT NULL;
