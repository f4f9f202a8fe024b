DROP TRIGGER api_client_announce_change ON api_client;
DROP FUNCTION api_client_announce_change();
