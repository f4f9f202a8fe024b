-- What an applied line left out (an optional cell that was wrong, a structure or a referent
-- the deployment does not know), and why: [{column, value, code, message}].
ALTER TABLE import_row ADD COLUMN warnings jsonb;
