-- A notebook, its creation and a person's source links each had a foreign key to their
-- parent, another to their deployment, and a tenant key (parent id, deployment id) that already
-- implies both. Every new person paid the three checks on each of these rows. The tenant keys
-- now carry the cascade, and the keys they imply go.
ALTER TABLE notebook
    DROP CONSTRAINT notebook_beneficiary_id_fkey,
    DROP CONSTRAINT notebook_deployment_id_fkey,
    DROP CONSTRAINT notebook_beneficiary_tenant_fkey,
    ADD CONSTRAINT notebook_beneficiary_tenant_fkey FOREIGN KEY (beneficiary_id, deployment_id)
        REFERENCES beneficiary (id, deployment_id) ON DELETE CASCADE;

ALTER TABLE notebook_creation
    DROP CONSTRAINT notebook_creation_notebook_id_fkey,
    DROP CONSTRAINT notebook_creation_deployment_id_fkey,
    DROP CONSTRAINT notebook_creation_notebook_tenant_fkey,
    ADD CONSTRAINT notebook_creation_notebook_tenant_fkey FOREIGN KEY (notebook_id, deployment_id)
        REFERENCES notebook (id, deployment_id) ON DELETE CASCADE;

ALTER TABLE beneficiary_source
    DROP CONSTRAINT beneficiary_source_beneficiary_id_fkey,
    DROP CONSTRAINT beneficiary_source_deployment_id_fkey,
    DROP CONSTRAINT beneficiary_source_tenant_fkey,
    ADD CONSTRAINT beneficiary_source_tenant_fkey FOREIGN KEY (beneficiary_id, deployment_id)
        REFERENCES beneficiary (id, deployment_id) ON DELETE CASCADE;
