-- File imports (imports de fichiers): the uploaded file is kept with its import before anything
-- else happens, then a job previews or commits it row by row through the inbound pipeline.
-- A commit advances in chunks; `checkpoint` (rows of the file already handled) is written in
-- the same transaction as the chunk's results, so a restarted worker resumes there.
CREATE TABLE import (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id           uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    kind                    text NOT NULL CHECK (kind IN ('beneficiaries', 'structures', 'professionals',
                                                          'reorientations', 'orientation_managers', 'rattachements')),
    mode                    text NOT NULL CHECK (mode IN ('preview', 'commit')),
    status                  text NOT NULL DEFAULT 'received'
                            CHECK (status IN ('received', 'previewing', 'previewed', 'committing', 'committed', 'failed')),
    profile                 text CHECK (btrim(profile) <> ''),
    sheet                   text CHECK (btrim(sheet) <> ''),
    file_name               text NOT NULL,
    file_size               bigint NOT NULL CHECK (file_size >= 0),
    file_sha256             text NOT NULL,
    file                    bytea NOT NULL,
    file_format             text,
    encoding                text,
    delimiter               text,
    header                  jsonb,
    unknown_columns         jsonb,
    -- columns the kind reads but the hub does not apply yet (their values are not written).
    not_applied_columns     jsonb,
    counts                  jsonb NOT NULL DEFAULT '{}'::jsonb,
    rows_total              integer CHECK (rows_total >= 0),
    rows_done               integer NOT NULL DEFAULT 0 CHECK (rows_done >= 0),
    checkpoint              integer NOT NULL DEFAULT 0 CHECK (checkpoint >= 0),
    created_at              timestamptz NOT NULL DEFAULT now(),
    started_at              timestamptz,
    finished_at             timestamptz,
    failure_code            text,
    failure_reason          text,
    created_by_account_id   uuid REFERENCES account (id) ON DELETE SET NULL,
    created_by_client_id    uuid REFERENCES api_client (id) ON DELETE SET NULL,
    CONSTRAINT import_failed_has_reason CHECK ((status = 'failed') = (failure_reason IS NOT NULL)),
    CONSTRAINT import_finished CHECK ((status IN ('previewed', 'committed', 'failed')) = (finished_at IS NOT NULL))
);
CREATE INDEX import_deployment_idx ON import (deployment_id, created_at DESC);

-- What each line of the file became (preview: what it would become).
CREATE TABLE import_row (
    import_id       uuid NOT NULL REFERENCES import (id) ON DELETE CASCADE,
    line            integer NOT NULL CHECK (line > 0),
    status          text NOT NULL CHECK (status IN ('create', 'update', 'unchanged', 'possible_match', 'error')),
    beneficiary_id  uuid,
    possible_match_id uuid,
    -- field → {before, after, source}: what changes, and which source set the value it replaces.
    changes         jsonb,
    -- fields the file brings whose current value stays: field → {current, proposed, source}.
    kept            jsonb,
    -- [{column, value, code, message}] with French messages.
    errors          jsonb,
    -- the line's cells as read, for the errors file.
    cells           jsonb,
    PRIMARY KEY (import_id, line)
);
CREATE INDEX import_row_status_idx ON import_row (import_id, status, line);
