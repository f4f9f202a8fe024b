DROP TABLE import_row;
DROP TABLE import;
