-- An import's file is streamed into a large object at reception and read back a piece at a
-- time, as CAF/MSA fluxes are: the hub's memory no longer grows with the file.
ALTER TABLE import ADD COLUMN file_oid oid;
UPDATE import SET file_oid = lo_from_bytea(0, file);
ALTER TABLE import ALTER COLUMN file_oid SET NOT NULL;
ALTER TABLE import DROP COLUMN file;

-- The large object goes with its import.
CREATE FUNCTION import_unlink_file() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lo_unlink(OLD.file_oid);
    RETURN OLD;
END $$;
CREATE TRIGGER import_unlink_file AFTER DELETE ON import
    FOR EACH ROW EXECUTE FUNCTION import_unlink_file();
