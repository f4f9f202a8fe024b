ALTER TABLE connector_row ALTER COLUMN raw SET NOT NULL;
ALTER TABLE connector_file DROP CONSTRAINT connector_file_has_content;
ALTER TABLE connector_file ADD CONSTRAINT connector_file_has_content CHECK ((content IS NULL) <> (content_oid IS NULL));
ALTER TABLE connector_file DROP COLUMN content_expired_at;
CREATE OR REPLACE FUNCTION import_unlink_file() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lo_unlink(OLD.file_oid);
    RETURN OLD;
END $$;
ALTER TABLE import DROP CONSTRAINT import_file_or_expired;
ALTER TABLE import DROP COLUMN file_expired_at;
ALTER TABLE import ALTER COLUMN file_oid SET NOT NULL;
CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access journal is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
ALTER TABLE purge_proof DROP CONSTRAINT purge_proof_purged_by;
ALTER TABLE purge_proof DROP COLUMN purged_by;
ALTER TABLE purge_proof ALTER COLUMN purged_by_account_id SET NOT NULL;
DROP TABLE retention_notice;
DROP TABLE retention_postponement;
DROP TABLE retention_setting;
