DROP TABLE idempotency_key;
DROP TABLE change;
DROP TABLE change_counter;
DROP TABLE possible_match;
DROP TABLE field_provenance;
DROP TABLE beneficiary_source;
