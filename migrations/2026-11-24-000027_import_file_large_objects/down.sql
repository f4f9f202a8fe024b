DROP TRIGGER import_unlink_file ON import;
DROP FUNCTION import_unlink_file();
ALTER TABLE import ADD COLUMN file bytea;
UPDATE import SET file = lo_get(file_oid);
SELECT lo_unlink(file_oid) FROM import;
ALTER TABLE import ALTER COLUMN file SET NOT NULL;
ALTER TABLE import DROP COLUMN file_oid;
