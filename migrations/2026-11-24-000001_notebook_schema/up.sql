-- cdb-hub: the notebook schema (state of Carnet de bord 1.266, 2024, with the known quirks fixed).
--
-- Conventions
--   * singular snake_case table names; every id is uuid DEFAULT gen_random_uuid(), except the
--     reference (enum) tables, whose key is `id text` with a French `label`;
--   * no CREATE TYPE and no citext columns: text + CHECK / reference tables, and
--     case-insensitive uniqueness through UNIQUE indexes on lower(...);
--   * every table holding tenant data has deployment_id NOT NULL -> deployment; composite
--     foreign keys (parent id, deployment_id), at the end of this file, reject a row whose
--     parent belongs to another deployment;
--   * children of a notebook are deleted with it (ON DELETE CASCADE), so is everything hanging off
--     a beneficiary; references to profiles, accounts, structures, orientation systems and
--     reference rows are RESTRICT (soft deletion: account.deleted_at, notebook_member.active...);
--   * references to reference tables are ON UPDATE CASCADE so a key can be renamed;
--   * every table with updated_at has a BEFORE UPDATE trigger calling set_updated_at().
-- The reference rows themselves are inserted by the next migration (referentials).

CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- ---------------------------------------------------------------------------------------------
-- Trigger functions
-- ---------------------------------------------------------------------------------------------

-- Sets updated_at = now() on every real change, unless the statement sets updated_at itself
-- (imports that carry the source's timestamp). A no-op UPDATE leaves updated_at alone.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW IS DISTINCT FROM OLD AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Reference (enum) tables: id text PK + French label. Rows: next migration.
-- ---------------------------------------------------------------------------------------------

CREATE TABLE role (
    id    text PRIMARY KEY,
    label text NOT NULL CHECK (btrim(label) <> '')
);

CREATE TABLE orientation_type (
    id    text PRIMARY KEY,
    label text NOT NULL CHECK (btrim(label) <> '')
);

-- Target and action statuses (note the historical double-n 'abandonned').
CREATE TABLE action_status (
    id    text PRIMARY KEY,
    label text NOT NULL CHECK (btrim(label) <> '')
);

-- Contract type of a professional project (CDI, CDD...). Not the notebook's contract
-- (cer/ppae/pacea/cej/no), which is a CHECK on notebook.contract_type.
CREATE TABLE contract_type (
    id    text PRIMARY KEY,
    label text NOT NULL CHECK (btrim(label) <> '')
);

CREATE TABLE employment_type (
    id    text PRIMARY KEY,
    label text NOT NULL CHECK (btrim(label) <> '')
);

CREATE TABLE rsa_closure_reason (
    id    text PRIMARY KEY,
    label text NOT NULL CHECK (btrim(label) <> '')
);

CREATE TABLE rsa_suspension_reason (
    id    text PRIMARY KEY,
    label text NOT NULL CHECK (btrim(label) <> '')
);

CREATE TABLE external_source (
    id    text PRIMARY KEY,
    label text NOT NULL CHECK (btrim(label) <> '')
);

CREATE TABLE notebook_event_type (
    id    text PRIMARY KEY,
    label text NOT NULL CHECK (btrim(label) <> '')
);

CREATE TABLE notebook_creation_source_type (
    id    text PRIMARY KEY,
    label text NOT NULL CHECK (btrim(label) <> '')
);

CREATE TABLE work_situation (
    id    text PRIMARY KEY,
    label text NOT NULL CHECK (btrim(label) <> '')
);

-- beneficiary.right_rsa (ETATDOSRSA 0-6 of the CAF/MSA flux).
CREATE TABLE rsa_right (
    id    text PRIMARY KEY,
    label text NOT NULL CHECK (btrim(label) <> '')
);

CREATE TABLE education_level (
    id    text PRIMARY KEY,
    label text NOT NULL CHECK (btrim(label) <> '')
);

-- Focus themes and France Travail "objectifs" themes.
CREATE TABLE ref_theme (
    id    text PRIMARY KEY,
    label text NOT NULL CHECK (btrim(label) <> '')
);

-- Situations / targets / actions referentials. Seeded ids are md5('<table>:' || theme || ':' || description)::uuid.
CREATE TABLE ref_situation (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    theme       text NOT NULL REFERENCES ref_theme (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    description text NOT NULL CHECK (btrim(description) <> ''),
    CONSTRAINT ref_situation_theme_description_key UNIQUE (theme, description)
);

CREATE TABLE ref_target (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    theme       text NOT NULL REFERENCES ref_theme (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    description text NOT NULL CHECK (btrim(description) <> ''),
    CONSTRAINT ref_target_theme_description_key UNIQUE (theme, description)
);

CREATE TABLE ref_action (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    theme       text NOT NULL REFERENCES ref_theme (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    description text NOT NULL CHECK (btrim(description) <> ''),
    CONSTRAINT ref_action_theme_description_key UNIQUE (theme, description)
);
CREATE INDEX ref_action_description_trgm_idx ON ref_action USING gin (description gin_trgm_ops);

-- ROME "appellations". label = "{description} ({code})" (verbatim from the source, some labels
-- carry a double space or a longer text than description): match on label. Seeded ids are
-- md5('rome_code:' || label)::uuid.
CREATE TABLE rome_code (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code        text NOT NULL CHECK (code ~ '^[A-Z][0-9]{4}$'),
    description text NOT NULL CHECK (btrim(description) <> ''),
    label       text NOT NULL CHECK (btrim(label) <> ''),
    CONSTRAINT rome_code_label_key UNIQUE (label)
);
CREATE INDEX rome_code_code_idx ON rome_code (code);
CREATE INDEX rome_code_label_trgm_idx ON rome_code USING gin (label gin_trgm_ops);

-- ---------------------------------------------------------------------------------------------
-- Tenancy and organisation
-- ---------------------------------------------------------------------------------------------

-- One département instance. config: connector settings and feature flags
-- (e.g. {"enable_pe_diagnostic_api": true}).
CREATE TABLE deployment (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    label           text NOT NULL CHECK (btrim(label) <> ''),
    department_code text,
    config          jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(config) = 'object'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT deployment_label_key UNIQUE (label)
);
CREATE TRIGGER deployment_set_updated_at BEFORE UPDATE ON deployment
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- An accompanying organisation (CCAS, FT agency, association, CD service...).
-- sensitive: its name or purpose reveals sensitive personal data; never shared with partners.
CREATE TABLE structure (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    name          text NOT NULL CHECK (btrim(name) <> ''),
    siret         text CHECK (siret ~ '^[0-9]{14}$'),
    short_desc    text,
    phone         text,
    email         text CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    address1      text,
    address2      text,
    postal_code   text,
    city          text,
    website       text,
    sensitive     boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX structure_deployment_name_key ON structure (deployment_id, lower(name));
CREATE TRIGGER structure_set_updated_at BEFORE UPDATE ON structure
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- "Dispositif d'accompagnement" of a deployment.
CREATE TABLE orientation_system (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id    uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    name             text NOT NULL CHECK (btrim(name) <> ''),
    orientation_type text NOT NULL REFERENCES orientation_type (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX orientation_system_deployment_name_key ON orientation_system (deployment_id, lower(btrim(name)));
CREATE TRIGGER orientation_system_set_updated_at BEFORE UPDATE ON orientation_system
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The dispositifs a structure offers.
CREATE TABLE structure_orientation_system (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id         uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    structure_id          uuid NOT NULL REFERENCES structure (id) ON DELETE CASCADE,
    orientation_system_id uuid NOT NULL REFERENCES orientation_system (id) ON DELETE CASCADE,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT structure_orientation_system_pair_key UNIQUE (structure_id, orientation_system_id)
);
CREATE INDEX structure_orientation_system_orientation_system_idx ON structure_orientation_system (orientation_system_id);

-- ---------------------------------------------------------------------------------------------
-- Profiles (one per role) and accounts
-- ---------------------------------------------------------------------------------------------

-- National administrators (no deployment).
CREATE TABLE admin_cdb (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email      text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    firstname  text NOT NULL,
    lastname   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX admin_cdb_email_key ON admin_cdb (lower(email));
CREATE TRIGGER admin_cdb_set_updated_at BEFORE UPDATE ON admin_cdb
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Deployment administrators ("admin PDI").
CREATE TABLE manager (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    email         text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    firstname     text,
    lastname      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX manager_deployment_email_key ON manager (deployment_id, lower(email));
CREATE INDEX manager_email_idx ON manager (lower(email));
CREATE TRIGGER manager_set_updated_at BEFORE UPDATE ON manager
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Structure administrators. phone_numbers: comma-separated list.
CREATE TABLE admin_structure (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    email         text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    firstname     text,
    lastname      text,
    phone_numbers text,
    position      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX admin_structure_deployment_email_key ON admin_structure (deployment_id, lower(email));
CREATE INDEX admin_structure_email_idx ON admin_structure (lower(email));
CREATE TRIGGER admin_structure_set_updated_at BEFORE UPDATE ON admin_structure
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- "Chargés d'orientation". phone_numbers: comma-separated list.
CREATE TABLE orientation_manager (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    email         text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    firstname     text,
    lastname      text,
    phone_numbers text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX orientation_manager_deployment_email_key ON orientation_manager (deployment_id, lower(email));
CREATE INDEX orientation_manager_email_idx ON orientation_manager (lower(email));
CREATE TRIGGER orientation_manager_set_updated_at BEFORE UPDATE ON orientation_manager
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Accompanying professionals; each belongs to exactly one structure (of the same deployment).
CREATE TABLE professional (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    structure_id  uuid NOT NULL REFERENCES structure (id) ON DELETE RESTRICT,
    email         text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    firstname     text NOT NULL,
    lastname      text NOT NULL,
    position      text,
    mobile_number text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX professional_deployment_email_key ON professional (deployment_id, lower(email));
CREATE INDEX professional_email_idx ON professional (lower(email));
CREATE INDEX professional_structure_idx ON professional (structure_id);
CREATE TRIGGER professional_set_updated_at BEFORE UPDATE ON professional
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The dispositifs a professional can be referent for.
CREATE TABLE professional_orientation_system (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id         uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    professional_id       uuid NOT NULL REFERENCES professional (id) ON DELETE CASCADE,
    orientation_system_id uuid NOT NULL REFERENCES orientation_system (id) ON DELETE CASCADE,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT professional_orientation_system_pair_key UNIQUE (professional_id, orientation_system_id)
);
CREATE INDEX professional_orientation_system_orientation_system_idx ON professional_orientation_system (orientation_system_id);

-- Structures administered by an admin_structure; removal is soft (deleted_at).
CREATE TABLE admin_structure_structure (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id      uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    admin_structure_id uuid NOT NULL REFERENCES admin_structure (id) ON DELETE RESTRICT,
    structure_id       uuid NOT NULL REFERENCES structure (id) ON DELETE RESTRICT,
    created_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz
);
CREATE UNIQUE INDEX admin_structure_structure_active_pair_key
    ON admin_structure_structure (admin_structure_id, structure_id) WHERE deleted_at IS NULL;
CREATE INDEX admin_structure_structure_structure_idx ON admin_structure_structure (structure_id);

-- ---------------------------------------------------------------------------------------------
-- Beneficiary
-- ---------------------------------------------------------------------------------------------

-- The person accompanied (usually a BRSA).
-- Identity keys (all optional, normalised by the application):
--   nir                NIR without its control key (13 chars; 2A/2B kept as letters), globally unique;
--   caf_organisation   'CAF' or 'MSA' followed by the 3-digit caisse number (FONORG + NUMORG), or
--                      just 'CAF'/'MSA' when the caisse is unknown;
--   caf_number         matricule / numéro allocataire: per foyer, shared by the household;
--   household_role     ROLEPERS of the person in the foyer (DEM, CJT, ENF, AUT, RDO);
--   france_travail_id  numéro France Travail, 11 characters (digits and upper-case letters);
--   external_id        the département SI id (e.g. IODAS); some SIs give a couple one id, hence
--                      external_role (e.g. 'demandeur' / 'conjoint') in the unique key.
-- Two people may share name and birth date: there is no unique index on them (quirk of the original).
CREATE TABLE beneficiary (
    id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id             uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    firstname                 text NOT NULL CHECK (btrim(firstname) <> ''),
    lastname                  text NOT NULL CHECK (btrim(lastname) <> ''),
    date_of_birth             date NOT NULL,
    place_of_birth            text,
    nir                       text CHECK (nir ~ '^[0-9]{6}[0-9AB][0-9]{6}$'),
    caf_organisation          text CHECK (caf_organisation ~ '^(CAF|MSA)([0-9]{3})?$'),
    caf_number                text CHECK (btrim(caf_number) <> ''),
    household_role            text CHECK (household_role IN ('DEM', 'CJT', 'ENF', 'AUT', 'RDO')),
    france_travail_id         text CHECK (france_travail_id ~ '^[0-9A-Z]{11}$'),
    external_id               text CHECK (btrim(external_id) <> ''),
    external_role             text,
    email                     text CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    mobile_number             text,
    address1                  text,
    address2                  text,
    postal_code               text,
    city                      text,
    right_rsa                 text REFERENCES rsa_right (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    right_are                 boolean NOT NULL DEFAULT false,
    right_ass                 boolean NOT NULL DEFAULT false,
    right_bonus               boolean NOT NULL DEFAULT false,
    is_homeless               boolean,
    subject_to_right_and_duty boolean,
    rsa_suspension_reason     text REFERENCES rsa_suspension_reason (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    rsa_closure_reason        text REFERENCES rsa_closure_reason (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    rsa_closure_date          date,
    family_situation          text,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT beneficiary_external_role_needs_id CHECK (external_role IS NULL OR external_id IS NOT NULL)
);
CREATE UNIQUE INDEX beneficiary_nir_key ON beneficiary (nir) WHERE nir IS NOT NULL;
CREATE UNIQUE INDEX beneficiary_external_id_key
    ON beneficiary (deployment_id, external_id, coalesce(external_role, '')) WHERE external_id IS NOT NULL;
CREATE INDEX beneficiary_caf_idx ON beneficiary (deployment_id, caf_organisation, caf_number);
CREATE INDEX beneficiary_france_travail_idx ON beneficiary (deployment_id, france_travail_id);
CREATE INDEX beneficiary_birth_date_idx ON beneficiary (deployment_id, date_of_birth);
CREATE INDEX beneficiary_email_idx ON beneficiary (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX beneficiary_lastname_trgm_idx ON beneficiary USING gin (lower(lastname) gin_trgm_ops);
CREATE TRIGGER beneficiary_set_updated_at BEFORE UPDATE ON beneficiary
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Accounts: one login identity per profile
-- ---------------------------------------------------------------------------------------------

-- Exactly the profile column of its role is set (none for 'service'). deployment_id is the
-- profile's deployment: NULL for admin_cdb, optional for service accounts, required otherwise.
-- Magic links live in their own table (later migration).
CREATE TABLE account (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    role                   text NOT NULL REFERENCES role (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    deployment_id          uuid REFERENCES deployment (id) ON DELETE RESTRICT,
    admin_cdb_id           uuid REFERENCES admin_cdb (id) ON DELETE RESTRICT,
    manager_id             uuid REFERENCES manager (id) ON DELETE RESTRICT,
    admin_structure_id     uuid REFERENCES admin_structure (id) ON DELETE RESTRICT,
    orientation_manager_id uuid REFERENCES orientation_manager (id) ON DELETE RESTRICT,
    professional_id        uuid REFERENCES professional (id) ON DELETE RESTRICT,
    beneficiary_id         uuid REFERENCES beneficiary (id) ON DELETE RESTRICT,
    confirmed              boolean NOT NULL DEFAULT false,
    onboarding_done        boolean NOT NULL DEFAULT false,
    cgu_validated_at       timestamptz,
    last_login_at          timestamptz,
    deleted_at             timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT account_admin_cdb_id_key UNIQUE (admin_cdb_id),
    CONSTRAINT account_manager_id_key UNIQUE (manager_id),
    CONSTRAINT account_admin_structure_id_key UNIQUE (admin_structure_id),
    CONSTRAINT account_orientation_manager_id_key UNIQUE (orientation_manager_id),
    CONSTRAINT account_professional_id_key UNIQUE (professional_id),
    CONSTRAINT account_beneficiary_id_key UNIQUE (beneficiary_id),
    CONSTRAINT account_profile_matches_role CHECK (
        num_nonnulls(admin_cdb_id, manager_id, admin_structure_id, orientation_manager_id,
                     professional_id, beneficiary_id) = CASE WHEN role = 'service' THEN 0 ELSE 1 END
        AND CASE role
                WHEN 'admin_cdb'           THEN admin_cdb_id IS NOT NULL
                WHEN 'manager'             THEN manager_id IS NOT NULL
                WHEN 'admin_structure'     THEN admin_structure_id IS NOT NULL
                WHEN 'orientation_manager' THEN orientation_manager_id IS NOT NULL
                WHEN 'professional'        THEN professional_id IS NOT NULL
                WHEN 'beneficiary'         THEN beneficiary_id IS NOT NULL
                WHEN 'service'             THEN true
                ELSE false
            END
    ),
    CONSTRAINT account_deployment_matches_role CHECK (
        CASE role
            WHEN 'admin_cdb' THEN deployment_id IS NULL
            WHEN 'service'   THEN true
            ELSE deployment_id IS NOT NULL
        END
    )
);
CREATE INDEX account_deployment_idx ON account (deployment_id, role);
CREATE TRIGGER account_set_updated_at BEFORE UPDATE ON account
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Notebook (carnet de bord), 1-1 with the beneficiary
-- ---------------------------------------------------------------------------------------------

-- orientation_system_id NULL = "à orienter". version: bumped by the application on each change
-- of the notebook or its children (ETags).
CREATE TABLE notebook (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id           uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    beneficiary_id          uuid NOT NULL REFERENCES beneficiary (id) ON DELETE CASCADE,
    right_rqth              boolean NOT NULL DEFAULT false,
    work_situation          text REFERENCES work_situation (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    work_situation_date     date,
    work_situation_end_date date,
    education_level         text REFERENCES education_level (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    last_job_ended_at       date,
    contract_type           text CHECK (contract_type IN ('cer', 'ppae', 'pacea', 'cej', 'no')),
    contract_sign_date      date,
    contract_start_date     date,
    contract_end_date       date,
    orientation_system_id   uuid REFERENCES orientation_system (id) ON DELETE RESTRICT,
    orientation_reason      text,
    diagnostic_fetched_at   timestamptz,
    version                 bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notebook_beneficiary_id_key UNIQUE (beneficiary_id)
);
CREATE INDEX notebook_deployment_idx ON notebook (deployment_id, created_at);
CREATE INDEX notebook_orientation_system_idx ON notebook (orientation_system_id);
CREATE TRIGGER notebook_set_updated_at BEFORE UPDATE ON notebook
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- "Rattachement" of a beneficiary to a structure; history kept as 'outdated' rows.
CREATE TABLE beneficiary_structure (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id  uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    beneficiary_id uuid NOT NULL REFERENCES beneficiary (id) ON DELETE CASCADE,
    structure_id   uuid NOT NULL REFERENCES structure (id) ON DELETE RESTRICT,
    status         text NOT NULL DEFAULT 'current' CHECK (status IN ('current', 'outdated')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX beneficiary_structure_current_key
    ON beneficiary_structure (beneficiary_id, structure_id) WHERE status = 'current';
CREATE INDEX beneficiary_structure_beneficiary_idx ON beneficiary_structure (beneficiary_id);
CREATE INDEX beneficiary_structure_structure_idx ON beneficiary_structure (structure_id, status);
CREATE TRIGGER beneficiary_structure_set_updated_at BEFORE UPDATE ON beneficiary_structure
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The "groupe de suivi". History is kept by deactivating rows (active = false), never deleting.
-- At most one active row per (notebook, account) and one active referent per notebook.
CREATE TABLE notebook_member (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id       uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    notebook_id         uuid NOT NULL REFERENCES notebook (id) ON DELETE CASCADE,
    account_id          uuid NOT NULL REFERENCES account (id) ON DELETE RESTRICT,
    member_type         text NOT NULL CHECK (member_type IN ('referent', 'no_referent', 'orientation_manager')),
    active              boolean NOT NULL DEFAULT true,
    membership_ended_at timestamptz,
    last_visited_at     timestamptz,
    last_modified_at    timestamptz,
    invitation_sent_at  timestamptz,
    creator_account_id  uuid REFERENCES account (id) ON DELETE RESTRICT,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX notebook_member_active_account_key ON notebook_member (notebook_id, account_id) WHERE active;
CREATE UNIQUE INDEX notebook_member_active_referent_key
    ON notebook_member (notebook_id) WHERE active AND member_type = 'referent';
CREATE INDEX notebook_member_notebook_idx ON notebook_member (notebook_id);
CREATE INDEX notebook_member_account_idx ON notebook_member (account_id, active);
CREATE INDEX notebook_member_deployment_idx ON notebook_member (deployment_id);

-- Axe de travail.
CREATE TABLE notebook_focus (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id      uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    notebook_id        uuid NOT NULL REFERENCES notebook (id) ON DELETE CASCADE,
    theme              text NOT NULL REFERENCES ref_theme (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    creator_account_id uuid REFERENCES account (id) ON DELETE RESTRICT,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notebook_focus_notebook_idx ON notebook_focus (notebook_id);
CREATE TRIGGER notebook_focus_set_updated_at BEFORE UPDATE ON notebook_focus
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Objectif. notebook_id is denormalised from the focus (checked by trigger).
-- linked_to: the contract the target is linked to.
CREATE TABLE notebook_target (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id      uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    notebook_id        uuid NOT NULL REFERENCES notebook (id) ON DELETE CASCADE,
    focus_id           uuid NOT NULL REFERENCES notebook_focus (id) ON DELETE CASCADE,
    target             text NOT NULL CHECK (btrim(target) <> ''),
    status             text NOT NULL DEFAULT 'in_progress' REFERENCES action_status (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    linked_to          text CHECK (linked_to IN ('cer', 'ppae', 'pacea', 'cej', 'no')),
    user_consent       boolean NOT NULL DEFAULT false,
    creator_account_id uuid REFERENCES account (id) ON DELETE RESTRICT,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notebook_target_notebook_idx ON notebook_target (notebook_id);
CREATE INDEX notebook_target_focus_idx ON notebook_target (focus_id);
CREATE TRIGGER notebook_target_set_updated_at BEFORE UPDATE ON notebook_target
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Action of a target. notebook_id is denormalised from the target (checked by trigger).
CREATE TABLE notebook_action (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id      uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    notebook_id        uuid NOT NULL REFERENCES notebook (id) ON DELETE CASCADE,
    target_id          uuid NOT NULL REFERENCES notebook_target (id) ON DELETE CASCADE,
    action             text NOT NULL CHECK (btrim(action) <> ''),
    status             text NOT NULL DEFAULT 'in_progress' REFERENCES action_status (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    starting_at        timestamptz NOT NULL,
    creator_account_id uuid REFERENCES account (id) ON DELETE RESTRICT,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notebook_action_notebook_idx ON notebook_action (notebook_id);
CREATE INDEX notebook_action_target_idx ON notebook_action (target_id);
CREATE TRIGGER notebook_action_set_updated_at BEFORE UPDATE ON notebook_action
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Appointment with one member of the group (account_id = the member met). Soft delete.
CREATE TABLE notebook_appointment (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id         uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    notebook_id           uuid NOT NULL REFERENCES notebook (id) ON DELETE CASCADE,
    account_id            uuid NOT NULL REFERENCES account (id) ON DELETE RESTRICT,
    date                  timestamptz NOT NULL,
    status                text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'present', 'absent')),
    deleted_at            timestamptz,
    deleted_by_account_id uuid REFERENCES account (id) ON DELETE RESTRICT,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notebook_appointment_notebook_idx ON notebook_appointment (notebook_id, date);
CREATE INDEX notebook_appointment_account_idx ON notebook_appointment (account_id);
CREATE TRIGGER notebook_appointment_set_updated_at BEFORE UPDATE ON notebook_appointment
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Socio-professional diagnostic: current situations are the rows with deleted_at IS NULL.
CREATE TABLE notebook_situation (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id         uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    notebook_id           uuid NOT NULL REFERENCES notebook (id) ON DELETE CASCADE,
    situation_id          uuid NOT NULL REFERENCES ref_situation (id) ON DELETE RESTRICT,
    created_at            timestamptz NOT NULL DEFAULT now(),
    created_by_account_id uuid REFERENCES account (id) ON DELETE RESTRICT,
    deleted_at            timestamptz,
    deleted_by_account_id uuid REFERENCES account (id) ON DELETE RESTRICT
);
CREATE UNIQUE INDEX notebook_situation_current_key
    ON notebook_situation (notebook_id, situation_id) WHERE deleted_at IS NULL;
CREATE INDEX notebook_situation_notebook_idx ON notebook_situation (notebook_id);

-- Projet professionnel. rome_code_id NULL = "projet en construction" (at most one per notebook).
-- hourly_rate_cents: wished hourly rate in euro cents.
CREATE TABLE professional_project (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id         uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    notebook_id           uuid NOT NULL REFERENCES notebook (id) ON DELETE CASCADE,
    rome_code_id          uuid REFERENCES rome_code (id) ON DELETE RESTRICT,
    mobility_radius       integer CHECK (mobility_radius >= 0),
    hourly_rate_cents     integer CHECK (hourly_rate_cents > 0),
    contract_type_id      text REFERENCES contract_type (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    employment_type_id    text REFERENCES employment_type (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    updated_by_account_id uuid REFERENCES account (id) ON DELETE RESTRICT,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX professional_project_notebook_rome_key
    ON professional_project (notebook_id, coalesce(rome_code_id, '00000000-0000-0000-0000-000000000000'::uuid));
CREATE TRIGGER professional_project_set_updated_at BEFORE UPDATE ON professional_project
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Orientation workflow
-- ---------------------------------------------------------------------------------------------

-- Re-orientation request by the referent. Open = decided_at IS NULL (status 'pending');
-- at most one open request per beneficiary.
CREATE TABLE orientation_request (
    id                              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id                   uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    beneficiary_id                  uuid NOT NULL REFERENCES beneficiary (id) ON DELETE CASCADE,
    notebook_id                     uuid NOT NULL REFERENCES notebook (id) ON DELETE CASCADE,
    requestor_account_id            uuid NOT NULL REFERENCES account (id) ON DELETE RESTRICT,
    requested_orientation_system_id uuid NOT NULL REFERENCES orientation_system (id) ON DELETE RESTRICT,
    decided_orientation_system_id   uuid REFERENCES orientation_system (id) ON DELETE RESTRICT,
    status                          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'denied')),
    reason                          text,
    decision_reason                 text,
    decided_at                      timestamptz,
    decided_by_account_id           uuid REFERENCES account (id) ON DELETE RESTRICT,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orientation_request_decision_consistent CHECK ((status = 'pending') = (decided_at IS NULL)),
    CONSTRAINT orientation_request_accepted_has_system CHECK (status <> 'accepted' OR decided_orientation_system_id IS NOT NULL)
);
CREATE UNIQUE INDEX orientation_request_open_key ON orientation_request (beneficiary_id) WHERE decided_at IS NULL;
CREATE INDEX orientation_request_notebook_idx ON orientation_request (notebook_id, created_at);
CREATE INDEX orientation_request_deployment_open_idx ON orientation_request (deployment_id, created_at) WHERE decided_at IS NULL;
CREATE TRIGGER orientation_request_set_updated_at BEFORE UPDATE ON orientation_request
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- History of (re)orientations: what the notebook was oriented to, and from.
CREATE TABLE orientation_decision (
    id                             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id                  uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    notebook_id                    uuid NOT NULL REFERENCES notebook (id) ON DELETE CASCADE,
    orientation_request_id         uuid REFERENCES orientation_request (id) ON DELETE SET NULL,
    orientation_system_id          uuid NOT NULL REFERENCES orientation_system (id) ON DELETE RESTRICT,
    structure_id                   uuid REFERENCES structure (id) ON DELETE RESTRICT,
    referent_account_id            uuid REFERENCES account (id) ON DELETE RESTRICT,
    previous_orientation_system_id uuid REFERENCES orientation_system (id) ON DELETE RESTRICT,
    previous_structure_id          uuid REFERENCES structure (id) ON DELETE RESTRICT,
    previous_referent_account_id   uuid REFERENCES account (id) ON DELETE RESTRICT,
    reason                         text,
    decided_by_account_id          uuid REFERENCES account (id) ON DELETE RESTRICT,
    decided_at                     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orientation_decision_notebook_idx ON orientation_decision (notebook_id, decided_at);
CREATE INDEX orientation_decision_request_idx ON orientation_decision (orientation_request_id) WHERE orientation_request_id IS NOT NULL;

-- ---------------------------------------------------------------------------------------------
-- Timeline, creation audit, raw external payloads
-- ---------------------------------------------------------------------------------------------

-- The notebook timeline: every change recorded by the hub. payload = {"what", "before", "after"}.
-- author_account_id NULL = a system change (connector, job).
CREATE TABLE notebook_event (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id     uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    notebook_id       uuid NOT NULL REFERENCES notebook (id) ON DELETE CASCADE,
    event_type        text NOT NULL REFERENCES notebook_event_type (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    event_date        timestamptz NOT NULL,
    author_account_id uuid REFERENCES account (id) ON DELETE RESTRICT,
    payload           jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notebook_event_notebook_date_idx ON notebook_event (notebook_id, event_date);
CREATE INDEX notebook_event_deployment_created_idx ON notebook_event (deployment_id, created_at);

-- How (and by whom) a notebook was created.
CREATE TABLE notebook_creation (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id      uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    notebook_id        uuid NOT NULL REFERENCES notebook (id) ON DELETE CASCADE,
    creator_account_id uuid REFERENCES account (id) ON DELETE RESTRICT,
    source             text NOT NULL REFERENCES notebook_creation_source_type (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notebook_creation_notebook_id_key UNIQUE (notebook_id)
);
CREATE INDEX notebook_creation_deployment_idx ON notebook_creation (deployment_id, source);

-- Versioned raw payloads received from a source (CAF/MSA foyer, FT dossier...), per source record.
-- content_hash: hex sha256 of the payload; version: 1, 2, ... per (source, deployment, record).
-- Deleted with the beneficiary / professional they describe (purge).
CREATE TABLE external_data (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deployment_id    uuid NOT NULL REFERENCES deployment (id) ON DELETE RESTRICT,
    source           text NOT NULL REFERENCES external_source (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    source_record_id text NOT NULL CHECK (source_record_id <> ''),
    beneficiary_id   uuid REFERENCES beneficiary (id) ON DELETE CASCADE,
    professional_id  uuid REFERENCES professional (id) ON DELETE CASCADE,
    data             jsonb NOT NULL,
    content_hash     text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    version          integer NOT NULL CHECK (version >= 1),
    received_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT external_data_record_hash_key UNIQUE (source, deployment_id, source_record_id, content_hash),
    CONSTRAINT external_data_record_version_key UNIQUE (source, deployment_id, source_record_id, version)
);
CREATE INDEX external_data_deployment_idx ON external_data (deployment_id, received_at);
CREATE INDEX external_data_beneficiary_idx ON external_data (beneficiary_id, source, version) WHERE beneficiary_id IS NOT NULL;
CREATE INDEX external_data_professional_idx ON external_data (professional_id) WHERE professional_id IS NOT NULL;

-- Tenant consistency: a row and every parent it points to belong to the same deployment.
-- Enforced by composite foreign keys on (parent id, deployment_id) — checked by PostgreSQL's
-- own referential integrity at the cost of one index probe, and they also forbid moving a
-- parent to another deployment while children point to it.
ALTER TABLE structure ADD CONSTRAINT structure_tenant_key UNIQUE (id, deployment_id);
ALTER TABLE orientation_system ADD CONSTRAINT orientation_system_tenant_key UNIQUE (id, deployment_id);
ALTER TABLE professional ADD CONSTRAINT professional_tenant_key UNIQUE (id, deployment_id);
ALTER TABLE admin_structure ADD CONSTRAINT admin_structure_tenant_key UNIQUE (id, deployment_id);
ALTER TABLE manager ADD CONSTRAINT manager_tenant_key UNIQUE (id, deployment_id);
ALTER TABLE orientation_manager ADD CONSTRAINT orientation_manager_tenant_key UNIQUE (id, deployment_id);
ALTER TABLE beneficiary ADD CONSTRAINT beneficiary_tenant_key UNIQUE (id, deployment_id);
ALTER TABLE notebook ADD CONSTRAINT notebook_tenant_key UNIQUE (id, deployment_id);
ALTER TABLE account ADD CONSTRAINT account_tenant_key UNIQUE (id, deployment_id);
ALTER TABLE notebook_focus ADD CONSTRAINT notebook_focus_tenant_notebook_id_key UNIQUE (id, deployment_id, notebook_id);
ALTER TABLE notebook_target ADD CONSTRAINT notebook_target_tenant_notebook_id_key UNIQUE (id, deployment_id, notebook_id);
ALTER TABLE notebook ADD CONSTRAINT notebook_tenant_beneficiary_id_key UNIQUE (id, deployment_id, beneficiary_id);
ALTER TABLE orientation_request ADD CONSTRAINT orientation_request_tenant_notebook_id_key UNIQUE (id, deployment_id, notebook_id);
ALTER TABLE structure_orientation_system ADD CONSTRAINT structure_orientation_system_structure_tenant_fkey FOREIGN KEY (structure_id, deployment_id) REFERENCES structure (id, deployment_id);
ALTER TABLE structure_orientation_system ADD CONSTRAINT structure_orientation_system_orientation_system_tenant_fkey FOREIGN KEY (orientation_system_id, deployment_id) REFERENCES orientation_system (id, deployment_id);
ALTER TABLE professional ADD CONSTRAINT professional_structure_tenant_fkey FOREIGN KEY (structure_id, deployment_id) REFERENCES structure (id, deployment_id);
ALTER TABLE professional_orientation_system ADD CONSTRAINT professional_orientation_system_professional_tenant_fkey FOREIGN KEY (professional_id, deployment_id) REFERENCES professional (id, deployment_id);
ALTER TABLE professional_orientation_system ADD CONSTRAINT professional_orientation_system_orientation_system_tenant_fkey FOREIGN KEY (orientation_system_id, deployment_id) REFERENCES orientation_system (id, deployment_id);
ALTER TABLE admin_structure_structure ADD CONSTRAINT admin_structure_structure_admin_structure_tenant_fkey FOREIGN KEY (admin_structure_id, deployment_id) REFERENCES admin_structure (id, deployment_id);
ALTER TABLE admin_structure_structure ADD CONSTRAINT admin_structure_structure_structure_tenant_fkey FOREIGN KEY (structure_id, deployment_id) REFERENCES structure (id, deployment_id);
ALTER TABLE account ADD CONSTRAINT account_manager_tenant_fkey FOREIGN KEY (manager_id, deployment_id) REFERENCES manager (id, deployment_id);
ALTER TABLE account ADD CONSTRAINT account_admin_structure_tenant_fkey FOREIGN KEY (admin_structure_id, deployment_id) REFERENCES admin_structure (id, deployment_id);
ALTER TABLE account ADD CONSTRAINT account_orientation_manager_tenant_fkey FOREIGN KEY (orientation_manager_id, deployment_id) REFERENCES orientation_manager (id, deployment_id);
ALTER TABLE account ADD CONSTRAINT account_professional_tenant_fkey FOREIGN KEY (professional_id, deployment_id) REFERENCES professional (id, deployment_id);
ALTER TABLE account ADD CONSTRAINT account_beneficiary_tenant_fkey FOREIGN KEY (beneficiary_id, deployment_id) REFERENCES beneficiary (id, deployment_id);
ALTER TABLE notebook ADD CONSTRAINT notebook_beneficiary_tenant_fkey FOREIGN KEY (beneficiary_id, deployment_id) REFERENCES beneficiary (id, deployment_id);
ALTER TABLE notebook ADD CONSTRAINT notebook_orientation_system_tenant_fkey FOREIGN KEY (orientation_system_id, deployment_id) REFERENCES orientation_system (id, deployment_id);
ALTER TABLE beneficiary_structure ADD CONSTRAINT beneficiary_structure_beneficiary_tenant_fkey FOREIGN KEY (beneficiary_id, deployment_id) REFERENCES beneficiary (id, deployment_id);
ALTER TABLE beneficiary_structure ADD CONSTRAINT beneficiary_structure_structure_tenant_fkey FOREIGN KEY (structure_id, deployment_id) REFERENCES structure (id, deployment_id);
ALTER TABLE notebook_member ADD CONSTRAINT notebook_member_notebook_tenant_fkey FOREIGN KEY (notebook_id, deployment_id) REFERENCES notebook (id, deployment_id);
ALTER TABLE notebook_member ADD CONSTRAINT notebook_member_account_tenant_fkey FOREIGN KEY (account_id, deployment_id) REFERENCES account (id, deployment_id);
ALTER TABLE notebook_focus ADD CONSTRAINT notebook_focus_notebook_tenant_fkey FOREIGN KEY (notebook_id, deployment_id) REFERENCES notebook (id, deployment_id);
ALTER TABLE notebook_target ADD CONSTRAINT notebook_target_focus_tenant_fkey FOREIGN KEY (focus_id, deployment_id, notebook_id) REFERENCES notebook_focus (id, deployment_id, notebook_id);
ALTER TABLE notebook_action ADD CONSTRAINT notebook_action_target_tenant_fkey FOREIGN KEY (target_id, deployment_id, notebook_id) REFERENCES notebook_target (id, deployment_id, notebook_id);
ALTER TABLE notebook_appointment ADD CONSTRAINT notebook_appointment_notebook_tenant_fkey FOREIGN KEY (notebook_id, deployment_id) REFERENCES notebook (id, deployment_id);
ALTER TABLE notebook_appointment ADD CONSTRAINT notebook_appointment_account_tenant_fkey FOREIGN KEY (account_id, deployment_id) REFERENCES account (id, deployment_id);
ALTER TABLE notebook_situation ADD CONSTRAINT notebook_situation_notebook_tenant_fkey FOREIGN KEY (notebook_id, deployment_id) REFERENCES notebook (id, deployment_id);
ALTER TABLE professional_project ADD CONSTRAINT professional_project_notebook_tenant_fkey FOREIGN KEY (notebook_id, deployment_id) REFERENCES notebook (id, deployment_id);
ALTER TABLE orientation_request ADD CONSTRAINT orientation_request_notebook_tenant_fkey FOREIGN KEY (notebook_id, deployment_id, beneficiary_id) REFERENCES notebook (id, deployment_id, beneficiary_id);
ALTER TABLE orientation_request ADD CONSTRAINT orientation_request_requested_system_tenant_fkey FOREIGN KEY (requested_orientation_system_id, deployment_id) REFERENCES orientation_system (id, deployment_id);
ALTER TABLE orientation_request ADD CONSTRAINT orientation_request_decided_system_tenant_fkey FOREIGN KEY (decided_orientation_system_id, deployment_id) REFERENCES orientation_system (id, deployment_id);
ALTER TABLE orientation_decision ADD CONSTRAINT orientation_decision_notebook_tenant_fkey FOREIGN KEY (notebook_id, deployment_id) REFERENCES notebook (id, deployment_id);
ALTER TABLE orientation_decision ADD CONSTRAINT orientation_decision_request_tenant_fkey FOREIGN KEY (orientation_request_id, deployment_id, notebook_id) REFERENCES orientation_request (id, deployment_id, notebook_id);
ALTER TABLE orientation_decision ADD CONSTRAINT orientation_decision_orientation_system_tenant_fkey FOREIGN KEY (orientation_system_id, deployment_id) REFERENCES orientation_system (id, deployment_id);
ALTER TABLE orientation_decision ADD CONSTRAINT orientation_decision_structure_tenant_fkey FOREIGN KEY (structure_id, deployment_id) REFERENCES structure (id, deployment_id);
ALTER TABLE notebook_event ADD CONSTRAINT notebook_event_notebook_tenant_fkey FOREIGN KEY (notebook_id, deployment_id) REFERENCES notebook (id, deployment_id);
ALTER TABLE notebook_creation ADD CONSTRAINT notebook_creation_notebook_tenant_fkey FOREIGN KEY (notebook_id, deployment_id) REFERENCES notebook (id, deployment_id);
ALTER TABLE external_data ADD CONSTRAINT external_data_beneficiary_tenant_fkey FOREIGN KEY (beneficiary_id, deployment_id) REFERENCES beneficiary (id, deployment_id);
ALTER TABLE external_data ADD CONSTRAINT external_data_professional_tenant_fkey FOREIGN KEY (professional_id, deployment_id) REFERENCES professional (id, deployment_id);
