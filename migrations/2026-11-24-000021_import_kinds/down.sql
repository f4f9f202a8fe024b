ALTER TABLE import ADD COLUMN not_applied_columns jsonb;
ALTER TABLE import_row DROP COLUMN record_id;
ALTER TABLE import DROP COLUMN send_account_email, DROP COLUMN overwrite, DROP COLUMN structure_id;
