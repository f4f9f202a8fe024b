DROP TABLE connector_run_item;
DROP TABLE connector_run;
DROP TABLE connector_instance;
