DROP TABLE connector_row;
