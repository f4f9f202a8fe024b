DROP TABLE import_correction;
