DROP TRIGGER connector_file_unlink_content ON connector_file;
DROP FUNCTION connector_file_unlink_content();
UPDATE connector_file SET content = lo_get(content_oid) WHERE content_oid IS NOT NULL;
SELECT lo_unlink(content_oid) FROM connector_file WHERE content_oid IS NOT NULL;
ALTER TABLE connector_file DROP CONSTRAINT connector_file_has_content;
ALTER TABLE connector_file DROP COLUMN content_oid;
ALTER TABLE connector_file ALTER COLUMN content SET NOT NULL;
