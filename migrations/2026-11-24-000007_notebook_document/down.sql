DROP FUNCTION notebook_document(uuid, uuid);
