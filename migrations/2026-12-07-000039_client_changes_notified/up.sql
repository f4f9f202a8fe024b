-- Every hub process keeps API clients a few seconds in memory. A change of a client (revoked,
-- its secret rotated, deleted), whoever makes it (the API, the command line, an operator's
-- SQL), is announced on the channel `cdb_api_client` when its transaction commits: every
-- process forgets the client at once.
CREATE FUNCTION api_client_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cdb_api_client', OLD.id::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER api_client_announce_change AFTER UPDATE OR DELETE ON api_client
    FOR EACH ROW EXECUTE FUNCTION api_client_announce_change();
