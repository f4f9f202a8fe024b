CREATE INDEX rome_code_code_idx ON rome_code (code);
DROP INDEX rome_code_code_label_idx;
