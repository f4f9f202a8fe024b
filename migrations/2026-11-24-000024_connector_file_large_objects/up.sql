-- A CAF/MSA flux can weigh hundreds of megabytes: it is streamed into a large object at
-- reception and read back piece by piece, so that the hub's memory does not grow with the
-- file. Smaller files (extracts, exports) stay in `content`.
ALTER TABLE connector_file ALTER COLUMN content DROP NOT NULL;
ALTER TABLE connector_file ADD COLUMN content_oid oid;
ALTER TABLE connector_file ADD CONSTRAINT connector_file_has_content
    CHECK ((content IS NULL) <> (content_oid IS NULL));

-- The large object goes with its file.
CREATE FUNCTION connector_file_unlink_content() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.content_oid IS NOT NULL THEN
        PERFORM lo_unlink(OLD.content_oid);
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER connector_file_unlink_content AFTER DELETE ON connector_file
    FOR EACH ROW EXECUTE FUNCTION connector_file_unlink_content();
