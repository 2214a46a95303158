-- Importing ideas from spreadsheet and online-form exports (src/app/import.rs).

-- People named as the authors of imported ideas who have no account: the idea's `author_id` is then the organizer
-- who imported it ("entered on behalf of") and `contact_id` names the real author, whose name is shown publicly.
CREATE TABLE contacts (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- Normalised (trimmed, lower case); one contact per address, so a person's several ideas share it.
    email TEXT,
    phone TEXT,
    unit_id TEXT REFERENCES units(id),
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX contacts_email ON contacts(email);

-- Added, not rebuilt: the full-text index (idea_search) is keyed by the ideas' rowids, which a rebuild could change.
ALTER TABLE ideas ADD COLUMN contact_id TEXT REFERENCES contacts(id);
CREATE INDEX ideas_contact ON ideas(contact_id);

-- One uploaded file and how far its import got. `source` keeps the file's text (UTF-8, without BOM) until the import
-- finishes, so a restarted server (or another instance) resumes it at `next_row`; it is emptied afterwards, since it
-- holds personal data. `mapping` is a JSON array with a field code (or null) per column.
CREATE TABLE imports (
    id TEXT PRIMARY KEY NOT NULL,
    contest_id TEXT NOT NULL REFERENCES contests(id),
    created_by TEXT NOT NULL REFERENCES users(id),
    file_name TEXT NOT NULL,
    source TEXT NOT NULL,
    mapping TEXT NOT NULL,
    -- mapping | running | done | failed
    status TEXT NOT NULL,
    total_rows INTEGER NOT NULL,
    -- The index (from 0, blank rows left out) of the next data row to import; rows before it are in import_rows.
    next_row INTEGER NOT NULL,
    imported INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    error TEXT,
    created_at TIMESTAMP NOT NULL,
    -- Written with every batch; a running import whose heartbeat is old has lost its worker and may be resumed.
    heartbeat_at TIMESTAMP,
    finished_at TIMESTAMP
);
CREATE INDEX imports_contest ON imports(contest_id, created_at);
CREATE INDEX imports_status ON imports(status);

-- The per-row report: what became of each data row, by its row number as a spreadsheet shows it (header = 1).
CREATE TABLE import_rows (
    import_id TEXT NOT NULL REFERENCES imports(id),
    row_number INTEGER NOT NULL,
    -- imported | duplicate | rejected
    outcome TEXT NOT NULL,
    title TEXT NOT NULL,
    idea_id TEXT REFERENCES ideas(id),
    duplicate_of_row INTEGER,
    duplicate_of_idea TEXT REFERENCES ideas(id),
    -- JSON array of {field, code, params} for a rejected row.
    problems TEXT NOT NULL,
    PRIMARY KEY (import_id, row_number)
);
