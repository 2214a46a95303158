DROP TABLE rate_limits;
DROP TABLE outbox;
DROP TABLE email_tokens;
DROP TABLE api_tokens;
DROP TABLE sessions;
ALTER TABLE users DROP COLUMN lang;
