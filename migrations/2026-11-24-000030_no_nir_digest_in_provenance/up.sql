-- France Travail record ids were a plain digest of the NIR for people without a France Travail
-- number: anyone could find the NIR back by trying them all. New ones are keyed with the hub's
-- secret; the old ones are taken out of provenance, and their source links (made again at the
-- next run, under the new id) deleted.
UPDATE beneficiary
   SET provenance = regexp_replace(provenance::text, 'nir-sha256:[0-9a-f]+', 'nir-digest-removed', 'g')::jsonb
 WHERE provenance::text LIKE '%nir-sha256:%';
DELETE FROM beneficiary_source WHERE source_record_id LIKE 'nir-sha256:%';
UPDATE external_data
   SET source_record_id = regexp_replace(source_record_id, '^nir-sha256:[0-9a-f]+', 'nir-digest-removed:' || id::text)
 WHERE source_record_id LIKE 'nir-sha256:%';
