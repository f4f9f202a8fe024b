DROP INDEX idempotency_key_created_idx;
DELETE FROM idempotency_key WHERE status IS NULL OR response_body IS NULL;
ALTER TABLE idempotency_key
    DROP CONSTRAINT idempotency_key_one_body,
    DROP CONSTRAINT idempotency_key_answered,
    DROP COLUMN sealed_body,
    DROP COLUMN response_headers,
    ALTER COLUMN response_body SET NOT NULL,
    ALTER COLUMN status SET NOT NULL;
