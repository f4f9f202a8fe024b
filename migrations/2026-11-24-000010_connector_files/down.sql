DROP TABLE connector_file;
