-- One parser per identity key: file lines, partner calls and CAF/MSA fluxes now normalise the
-- CAF/MSA file number the same way (cdb_connector::CafMatricule). Numbers stored by the former
-- file rule are put in that form, so that a file and a flux about one household meet.
CREATE OR REPLACE FUNCTION pg_temp.caf_matricule(raw text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  compact text := upper(regexp_replace(raw, '\s', '', 'g'));
  stripped text;
BEGIN
  IF compact = '' OR compact !~ '^[0-9A-Z]+$' OR compact ~ '^0+$' OR length(compact) > 20 THEN
    RETURN raw;
  END IF;
  LOOP
    EXIT WHEN length(compact) <= 7;
    IF substr(compact, 8) ~ '^0*$' THEN
      compact := left(compact, 7);
      EXIT;
    END IF;
    stripped := ltrim(compact, '0');
    EXIT WHEN stripped = compact;
    compact := stripped;
  END LOOP;
  IF length(compact) < 7 AND compact ~ '^[0-9]+$' THEN
    compact := lpad(compact, 7, '0');
  END IF;
  RETURN compact;
END $$;

UPDATE beneficiary SET caf_number = pg_temp.caf_matricule(caf_number)
 WHERE caf_number IS NOT NULL AND caf_number IS DISTINCT FROM pg_temp.caf_matricule(caf_number);
DROP FUNCTION pg_temp.caf_matricule(text);
