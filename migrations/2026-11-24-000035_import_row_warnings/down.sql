ALTER TABLE import_row DROP COLUMN warnings;
