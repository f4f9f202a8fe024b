-- Reverts 2026-11-24-000001_notebook_schema: drops every table and function it created, in
-- reverse dependency order (indexes and triggers go with their tables). The extensions are kept:
-- they may be shared with other objects of the database.

DROP TABLE external_data;
DROP TABLE notebook_creation;
DROP TABLE notebook_event;
DROP TABLE orientation_decision;
DROP TABLE orientation_request;
DROP TABLE professional_project;
DROP TABLE notebook_situation;
DROP TABLE notebook_appointment;
DROP TABLE notebook_action;
DROP TABLE notebook_target;
DROP TABLE notebook_focus;
DROP TABLE notebook_member;
DROP TABLE beneficiary_structure;
DROP TABLE notebook;
DROP TABLE account;
DROP TABLE beneficiary;
DROP TABLE admin_structure_structure;
DROP TABLE professional_orientation_system;
DROP TABLE professional;
DROP TABLE orientation_manager;
DROP TABLE admin_structure;
DROP TABLE manager;
DROP TABLE admin_cdb;
DROP TABLE structure_orientation_system;
DROP TABLE orientation_system;
DROP TABLE structure;
DROP TABLE deployment;
DROP TABLE rome_code;
DROP TABLE ref_action;
DROP TABLE ref_target;
DROP TABLE ref_situation;
DROP TABLE ref_theme;
DROP TABLE education_level;
DROP TABLE rsa_right;
DROP TABLE work_situation;
DROP TABLE notebook_creation_source_type;
DROP TABLE notebook_event_type;
DROP TABLE external_source;
DROP TABLE rsa_suspension_reason;
DROP TABLE rsa_closure_reason;
DROP TABLE employment_type;
DROP TABLE contract_type;
DROP TABLE action_status;
DROP TABLE orientation_type;
DROP TABLE role;

DROP FUNCTION set_updated_at();
