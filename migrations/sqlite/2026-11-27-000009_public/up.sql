-- The public side (DESIGN.md "Public side"): how an adopted idea is applied (plan dates, milestones with photos, the
-- end), support from members, and people's-choice rounds.

-- The plan's dates and, once it is over, when and why it ended (a reason is kept for a discontinued one).
ALTER TABLE adoptions ADD COLUMN planned_start DATE;
ALTER TABLE adoptions ADD COLUMN planned_end DATE;
ALTER TABLE adoptions ADD COLUMN ended_at TIMESTAMP;
ALTER TABLE adoptions ADD COLUMN end_reason TEXT;
CREATE INDEX adoptions_unit ON adoptions(responsible_unit_id);

-- A milestone update on an adopted idea: what was done and when, and the progress it brought the idea to.
CREATE TABLE milestones (
    id TEXT PRIMARY KEY NOT NULL,
    idea_id TEXT NOT NULL REFERENCES adoptions(idea_id),
    happened_on DATE NOT NULL,
    body TEXT NOT NULL,
    progress INTEGER NOT NULL CHECK (progress BETWEEN 0 AND 100),
    author_id TEXT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX milestones_idea ON milestones(idea_id, happened_on, created_at);

-- A photo of a milestone (stored like an attachment: recognised by content, random storage name).
CREATE TABLE milestone_photos (
    id TEXT PRIMARY KEY NOT NULL,
    milestone_id TEXT NOT NULL REFERENCES milestones(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    storage_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX milestone_photos_milestone ON milestone_photos(milestone_id);

-- A member's support for a public idea: once per member and idea, by the primary key.
CREATE TABLE supports (
    idea_id TEXT NOT NULL REFERENCES ideas(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (idea_id, user_id)
);
CREATE INDEX supports_user ON supports(user_id);

-- A contest's people's-choice round: between these times each account may vote for one idea of the contest.
CREATE TABLE vote_rounds (
    contest_id TEXT PRIMARY KEY NOT NULL REFERENCES contests(id),
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK (closes_at > opens_at)
);

-- One vote per account in a contest's people's-choice round, by the primary key.
CREATE TABLE votes (
    contest_id TEXT NOT NULL REFERENCES vote_rounds(contest_id),
    user_id TEXT NOT NULL REFERENCES users(id),
    idea_id TEXT NOT NULL REFERENCES ideas(id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (contest_id, user_id)
);
CREATE INDEX votes_idea ON votes(idea_id);
