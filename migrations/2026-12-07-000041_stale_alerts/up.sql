-- When the managers were last told that a connector instance is stale (no successful run within
-- its threshold): told once per staleness, told again if it recovers then goes stale again.
ALTER TABLE connector_instance ADD COLUMN stale_alerted_at timestamptz;
