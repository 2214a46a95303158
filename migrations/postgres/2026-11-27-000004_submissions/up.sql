-- Submitting ideas: every submitted version is kept, and a retried submission finds the idea it already made.

CREATE TABLE idea_versions (
    idea_id TEXT NOT NULL REFERENCES ideas(id),
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    situation TEXT NOT NULL,
    solution TEXT NOT NULL,
    impact TEXT NOT NULL,
    resources TEXT NOT NULL,
    applies_where TEXT NOT NULL,
    category_id TEXT NOT NULL REFERENCES categories(id),
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (idea_id, version)
);

-- One row per (account, key): the second request with the same key gets the first one's idea.
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users(id),
    key TEXT NOT NULL,
    idea_id TEXT NOT NULL REFERENCES ideas(id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key)
);
