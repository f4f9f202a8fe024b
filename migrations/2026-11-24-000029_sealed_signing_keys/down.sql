ALTER TABLE signing_key DROP COLUMN sealed;
