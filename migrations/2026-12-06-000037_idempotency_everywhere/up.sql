-- Idempotency-Key on every POST: a key is claimed (status NULL) before the request runs and
-- keeps its answer once it has answered; answers carrying credentials are sealed.
ALTER TABLE idempotency_key
    ALTER COLUMN status DROP NOT NULL,
    ALTER COLUMN response_body DROP NOT NULL,
    ADD COLUMN response_headers jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN sealed_body bytea,
    ADD CONSTRAINT idempotency_key_answered CHECK (
        status IS NOT NULL OR (response_body IS NULL AND sealed_body IS NULL)),
    ADD CONSTRAINT idempotency_key_one_body CHECK (
        response_body IS NULL OR sealed_body IS NULL);
CREATE INDEX idempotency_key_created_idx ON idempotency_key (created_at);
