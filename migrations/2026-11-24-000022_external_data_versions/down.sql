-- Fails if a record went back to an earlier content: those versions must be removed first.
ALTER TABLE external_data
    ADD CONSTRAINT external_data_record_hash_key UNIQUE (source, deployment_id, source_record_id, content_hash);
