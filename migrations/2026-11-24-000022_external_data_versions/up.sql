-- external_data keeps a record's payloads versioned: a payload that differs from the latest
-- version is the next version, even when it is the same as an older one (A, B, then A again).
-- The content hash is therefore not unique per record any more; the latest version is found
-- through external_data_record_version_key (source, deployment_id, source_record_id, version).
ALTER TABLE external_data DROP CONSTRAINT external_data_record_hash_key;
