ALTER TABLE connector_instance DROP COLUMN stale_alerted_at;
