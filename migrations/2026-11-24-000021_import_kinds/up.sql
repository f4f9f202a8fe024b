-- Import kinds beyond beneficiaries: the structure a professionals or rattachement file is
-- for, the two options of the structures import, and the record each line concerns
-- (the structure, professional, orientation manager or notebook written).
ALTER TABLE import
    ADD COLUMN structure_id uuid REFERENCES structure (id) ON DELETE SET NULL,
    -- structures: "Écraser les informations des structures existantes".
    ADD COLUMN overwrite boolean NOT NULL DEFAULT false,
    -- structures: "Envoyer un email de création de compte aux nouveaux gestionnaires".
    ADD COLUMN send_account_email boolean NOT NULL DEFAULT false;

ALTER TABLE import_row ADD COLUMN record_id uuid;

-- Every column of every kind is applied now.
ALTER TABLE import DROP COLUMN not_applied_columns;
