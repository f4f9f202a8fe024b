DROP INDEX beneficiary_caf_number_idx;
DROP TABLE import_row;
DROP TABLE import;
