-- PostgreSQL schema. Keep it column-for-column equal to migrations/sqlite and src/db/schema.rs.
-- Ids are UUID text; timestamps are UTC, truncated to microseconds by the application.

CREATE TABLE units (
    id TEXT PRIMARY KEY NOT NULL,
    parent_id TEXT REFERENCES units(id),
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- Materialised path of ids ('/root/child/…/self/') so a subtree is one prefix query.
    path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX units_parent ON units(parent_id);
CREATE INDEX units_path ON units(path);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    phone TEXT,
    unit_id TEXT REFERENCES units(id),
    role TEXT NOT NULL,
    password_hash TEXT,
    email_verified_at TIMESTAMP,
    disabled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE categories (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE contests (
    id TEXT PRIMARY KEY NOT NULL,
    unit_id TEXT NOT NULL REFERENCES units(id),
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    rules TEXT NOT NULL,
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    max_ideas_per_member INTEGER NOT NULL,
    ideas_public BOOLEAN NOT NULL,
    blind_review BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX contests_unit ON contests(unit_id);
CREATE INDEX contests_closes ON contests(closes_at);

CREATE TABLE contest_categories (
    contest_id TEXT NOT NULL REFERENCES contests(id),
    category_id TEXT NOT NULL REFERENCES categories(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (contest_id, category_id)
);

CREATE TABLE ideas (
    id TEXT PRIMARY KEY NOT NULL,
    contest_id TEXT NOT NULL REFERENCES contests(id),
    category_id TEXT NOT NULL REFERENCES categories(id),
    unit_id TEXT NOT NULL REFERENCES units(id),
    author_id TEXT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    situation TEXT NOT NULL,
    solution TEXT NOT NULL,
    impact TEXT NOT NULL,
    resources TEXT NOT NULL,
    applies_where TEXT NOT NULL,
    status TEXT NOT NULL,
    -- Derived from status and the contest's settings by domain::idea, stored so lists are index scans.
    is_public BOOLEAN NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    -- The public list's sort key (first submission); NULL while a draft.
    listed_at TIMESTAMP
);
-- Public lists are "newest first" with a keyset cursor on (listed_at, id); one index per filter.
CREATE INDEX ideas_public_list ON ideas(is_public, listed_at, id);
CREATE INDEX ideas_contest_list ON ideas(contest_id, is_public, listed_at, id);
CREATE INDEX ideas_category_list ON ideas(category_id, is_public, listed_at, id);
CREATE INDEX ideas_unit_list ON ideas(unit_id, is_public, listed_at, id);
CREATE INDEX ideas_status_list ON ideas(status, is_public, listed_at, id);
CREATE INDEX ideas_author ON ideas(author_id, created_at);

CREATE TABLE idea_coauthors (
    idea_id TEXT NOT NULL REFERENCES ideas(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (idea_id, user_id)
);
CREATE INDEX idea_coauthors_user ON idea_coauthors(user_id);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY NOT NULL,
    idea_id TEXT NOT NULL REFERENCES ideas(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    storage_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX attachments_idea ON attachments(idea_id);

CREATE TABLE adoptions (
    idea_id TEXT PRIMARY KEY NOT NULL REFERENCES ideas(id),
    responsible_unit_id TEXT NOT NULL REFERENCES units(id),
    plan TEXT NOT NULL,
    progress INTEGER NOT NULL,
    latest_update TEXT,
    started_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX adoptions_updated ON adoptions(updated_at);

CREATE TABLE events (
    id TEXT PRIMARY KEY NOT NULL,
    idea_id TEXT REFERENCES ideas(id),
    contest_id TEXT REFERENCES contests(id),
    actor_id TEXT REFERENCES users(id),
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    reason TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX events_idea ON events(idea_id, created_at);
CREATE INDEX events_contest ON events(contest_id, created_at);

-- The audit log is append-only: the database itself refuses edits and deletions.
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END;
$$;
CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
