-- Corrections of a previewed import: the lines of its errors file, corrected and sent back
-- into the same import. Each replaces the cells of one line of the original file (aligned on
-- the original header) when the import is previewed again and committed.
CREATE TABLE import_correction (
    import_id uuid NOT NULL REFERENCES import (id) ON DELETE CASCADE,
    line integer NOT NULL CHECK (line > 0),
    cells jsonb NOT NULL,
    file_name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (import_id, line)
);
