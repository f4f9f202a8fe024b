DROP VIEW field_provenance;

CREATE TABLE field_provenance (
    beneficiary_id   uuid NOT NULL REFERENCES beneficiary (id) ON DELETE CASCADE,
    field            text NOT NULL,
    source_system    text NOT NULL,
    source_record_id text,
    as_of            timestamptz NOT NULL,
    set_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (beneficiary_id, field)
);

INSERT INTO field_provenance (beneficiary_id, field, source_system, source_record_id, as_of, set_at)
SELECT b.id, f.key, s->>'system', s->>'record_id', (s->>'as_of')::timestamptz, (s->>'set_at')::timestamptz
FROM beneficiary b, jsonb_each_text(b.provenance->'fields') AS f,
     LATERAL (SELECT b.provenance->'sources'->(f.value::int) AS s) AS claim;

ALTER TABLE beneficiary DROP COLUMN provenance;
