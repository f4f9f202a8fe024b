DROP FUNCTION notebook_read(uuid, uuid, uuid, jsonb);
