DROP INDEX beneficiary_source_system_seen_idx;
DROP TABLE sync_session;
