-- Accounts: sessions, personal access tokens, email links, the email outbox and rate-limit counters.
-- Keep it column-for-column equal to the PostgreSQL migration and src/db/schema.rs.

ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'vi';

-- A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a leaked table signs no one in.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    user_agent TEXT NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Personal access tokens for API clients (Authorization: Bearer), stored hashed like sessions.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- Single-use, expiring links sent by email (verification, password reset), stored hashed.
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    purpose TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX email_tokens_user ON email_tokens(user_id, purpose);

-- Every email, written in the same transaction as the change that causes it; the worker delivers and marks it.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    recipient TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    lang TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    locked_until TIMESTAMP,
    locked_by TEXT,
    sent_at TIMESTAMP,
    failed_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox(sent_at, failed_at, next_attempt_at);
CREATE INDEX outbox_created ON outbox(created_at);

-- Fixed-window counters shared by every app instance (key: what is limited and for whom).
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY NOT NULL,
    window_start TIMESTAMP NOT NULL,
    count INTEGER NOT NULL
);
