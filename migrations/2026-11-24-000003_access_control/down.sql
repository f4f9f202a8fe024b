DROP TABLE access_log;
DROP FUNCTION access_log_append_only();
DROP TABLE email_outbox;
DROP TABLE account_token;
DROP TABLE login_key;
DROP TABLE api_client;
DROP TABLE signing_key;
