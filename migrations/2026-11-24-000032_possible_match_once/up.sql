-- A record held for a person to decide is held once: the same source's record sent again (a
-- file re-sent, next month's export, a partner's retry) finds its open possible match instead
-- of opening another. A source's record is its source record id, or its fields when it has none.
CREATE INDEX possible_match_open_record_idx ON possible_match (
    deployment_id,
    (record #>> '{source,system}'),
    md5(coalesce(record #>> '{source,record_id}', record ->> 'fields'))
) WHERE status = 'open';
