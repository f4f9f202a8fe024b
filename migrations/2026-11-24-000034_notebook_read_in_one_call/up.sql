-- A notebook read in one round trip: the caller's reach is the query's filter, and for the row
-- it lets through this function journals the access and answers the document, in the same
-- statement (so a document is never read without its journal entry, nor journalled unread).
-- `p_access` is the journal entry (access_log's columns as JSON); its person and deployment
-- are those of the notebook read.
CREATE FUNCTION notebook_read(p_notebook uuid, p_beneficiary uuid, p_deployment uuid, p_access jsonb)
RETURNS json LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  INSERT INTO access_log (deployment_id, beneficiary_id, actor_kind, account_id, api_client_id,
                          actor_role, on_behalf_structure_id, on_behalf_professional_id, action,
                          resource, outcome, purpose, request_id)
  VALUES (p_deployment, p_beneficiary, p_access ->> 'actor_kind', (p_access ->> 'account_id')::uuid,
          (p_access ->> 'api_client_id')::uuid, p_access ->> 'actor_role',
          (p_access ->> 'on_behalf_structure_id')::uuid,
          (p_access ->> 'on_behalf_professional_id')::uuid, p_access ->> 'action',
          p_access ->> 'resource', p_access ->> 'outcome', p_access ->> 'purpose',
          p_access ->> 'request_id');
  RETURN notebook_document(p_notebook, p_beneficiary);
END
$$;
