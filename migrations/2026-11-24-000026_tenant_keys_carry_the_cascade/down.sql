ALTER TABLE beneficiary_source
    DROP CONSTRAINT beneficiary_source_tenant_fkey,
    ADD CONSTRAINT beneficiary_source_tenant_fkey FOREIGN KEY (beneficiary_id, deployment_id)
        REFERENCES beneficiary (id, deployment_id),
    ADD CONSTRAINT beneficiary_source_deployment_id_fkey FOREIGN KEY (deployment_id)
        REFERENCES deployment (id) ON DELETE RESTRICT,
    ADD CONSTRAINT beneficiary_source_beneficiary_id_fkey FOREIGN KEY (beneficiary_id)
        REFERENCES beneficiary (id) ON DELETE CASCADE;

ALTER TABLE notebook_creation
    DROP CONSTRAINT notebook_creation_notebook_tenant_fkey,
    ADD CONSTRAINT notebook_creation_notebook_tenant_fkey FOREIGN KEY (notebook_id, deployment_id)
        REFERENCES notebook (id, deployment_id),
    ADD CONSTRAINT notebook_creation_deployment_id_fkey FOREIGN KEY (deployment_id)
        REFERENCES deployment (id) ON DELETE RESTRICT,
    ADD CONSTRAINT notebook_creation_notebook_id_fkey FOREIGN KEY (notebook_id)
        REFERENCES notebook (id) ON DELETE CASCADE;

ALTER TABLE notebook
    DROP CONSTRAINT notebook_beneficiary_tenant_fkey,
    ADD CONSTRAINT notebook_beneficiary_tenant_fkey FOREIGN KEY (beneficiary_id, deployment_id)
        REFERENCES beneficiary (id, deployment_id),
    ADD CONSTRAINT notebook_deployment_id_fkey FOREIGN KEY (deployment_id)
        REFERENCES deployment (id) ON DELETE RESTRICT,
    ADD CONSTRAINT notebook_beneficiary_id_fkey FOREIGN KEY (beneficiary_id)
        REFERENCES beneficiary (id) ON DELETE CASCADE;
