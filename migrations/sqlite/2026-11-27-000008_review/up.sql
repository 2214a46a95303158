-- Review (DESIGN.md "Review"): a contest's rubric by round, its panel of reviewers and their invitations, conflicts
-- of interest, assignments, reviews with their history, and decisions waiting to be published.

-- A round of review. Round 1 starts with the contest's first rubric; the rubric of a round is locked once its first
-- review is submitted, and changing it afterwards starts a new round.
CREATE TABLE review_rounds (
    contest_id TEXT NOT NULL REFERENCES contests(id),
    round INTEGER NOT NULL,
    reviews_per_idea INTEGER NOT NULL,
    due_at TIMESTAMP,
    locked_at TIMESTAMP,
    closed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (contest_id, round)
);

-- A criterion of a round's rubric; `levels` is a JSON list of {"score": n, "text": "..."} describing what each level
-- means.
CREATE TABLE rubric_criteria (
    id TEXT PRIMARY KEY NOT NULL,
    contest_id TEXT NOT NULL,
    round INTEGER NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    weight REAL NOT NULL,
    min_score INTEGER NOT NULL,
    max_score INTEGER NOT NULL,
    levels TEXT NOT NULL,
    FOREIGN KEY (contest_id, round) REFERENCES review_rounds(contest_id, round)
);
CREATE INDEX rubric_criteria_round ON rubric_criteria(contest_id, round, position);

-- The panel: who reviews for a contest, and at most how many ideas each takes.
CREATE TABLE contest_reviewers (
    contest_id TEXT NOT NULL REFERENCES contests(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    cap INTEGER NOT NULL,
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (contest_id, user_id)
);
CREATE INDEX contest_reviewers_user ON contest_reviewers(user_id);

-- Invitations to a panel, sent by email; the account is created on acceptance if there is none.
CREATE TABLE reviewer_invitations (
    id TEXT PRIMARY KEY NOT NULL,
    contest_id TEXT NOT NULL REFERENCES contests(id),
    email TEXT NOT NULL,
    cap INTEGER NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    accepted_by TEXT REFERENCES users(id),
    declined_at TIMESTAMP
);
CREATE INDEX reviewer_invitations_contest ON reviewer_invitations(contest_id, email);

-- Conflicts of interest between a reviewer and an idea: found by the portal (declared_by NULL: same unit line,
-- co-author) or declared by the reviewer with a kind (family, mentor, school, other) and a reason.
CREATE TABLE conflicts (
    id TEXT PRIMARY KEY NOT NULL,
    contest_id TEXT NOT NULL REFERENCES contests(id),
    idea_id TEXT NOT NULL REFERENCES ideas(id),
    reviewer_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    declared_by TEXT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (idea_id, reviewer_id, kind)
);
CREATE INDEX conflicts_reviewer ON conflicts(contest_id, reviewer_id);

-- A reviewer's assignment to an idea. `proposed` until the organizer confirms the proposal (reviewers are emailed
-- only then); `assigned` until the reviewer accepts or declines; `recused` and `removed` free the slot.
CREATE TABLE assignments (
    id TEXT PRIMARY KEY NOT NULL,
    contest_id TEXT NOT NULL REFERENCES contests(id),
    round INTEGER NOT NULL,
    idea_id TEXT NOT NULL REFERENCES ideas(id),
    reviewer_id TEXT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL,
    reason TEXT,
    due_at TIMESTAMP,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    notified_at TIMESTAMP,
    reminded_before_at TIMESTAMP,
    reminded_after_at TIMESTAMP
);
-- One live assignment per reviewer and idea, enforced by the database.
CREATE UNIQUE INDEX assignments_live ON assignments(idea_id, reviewer_id)
    WHERE status IN ('proposed', 'assigned', 'accepted');
CREATE INDEX assignments_reviewer ON assignments(reviewer_id, status);
CREATE INDEX assignments_contest ON assignments(contest_id, status);

-- A review: one per assignment. `scores` is a JSON object from criterion id to score; `weighted_score` (1–10) is
-- set when submitted. Every submitted change is kept in review_history.
CREATE TABLE reviews (
    id TEXT PRIMARY KEY NOT NULL,
    assignment_id TEXT NOT NULL UNIQUE REFERENCES assignments(id),
    contest_id TEXT NOT NULL REFERENCES contests(id),
    round INTEGER NOT NULL,
    idea_id TEXT NOT NULL REFERENCES ideas(id),
    reviewer_id TEXT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL,
    scores TEXT NOT NULL,
    weighted_score REAL,
    confidence INTEGER,
    comment_author TEXT NOT NULL,
    comment_panel TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP
);
CREATE INDEX reviews_idea ON reviews(idea_id, status);
CREATE INDEX reviews_contest ON reviews(contest_id, round, status);

CREATE TABLE review_history (
    review_id TEXT NOT NULL REFERENCES reviews(id),
    version INTEGER NOT NULL,
    scores TEXT NOT NULL,
    weighted_score REAL,
    confidence INTEGER,
    comment_author TEXT NOT NULL,
    comment_panel TEXT NOT NULL,
    changed_by TEXT NOT NULL REFERENCES users(id),
    changed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (review_id, version)
);
CREATE TRIGGER review_history_no_update BEFORE UPDATE ON review_history
BEGIN SELECT RAISE(ABORT, 'review history is append-only'); END;
CREATE TRIGGER review_history_no_delete BEFORE DELETE ON review_history
BEGIN SELECT RAISE(ABORT, 'review history is append-only'); END;

-- Decisions (shortlisted, selected, not_selected) with their rationale: recorded first, published in a batch.
-- At most one unpublished decision per idea.
CREATE TABLE decisions (
    id TEXT PRIMARY KEY NOT NULL,
    idea_id TEXT NOT NULL REFERENCES ideas(id),
    contest_id TEXT NOT NULL REFERENCES contests(id),
    decision TEXT NOT NULL,
    rationale TEXT NOT NULL,
    decided_by TEXT NOT NULL REFERENCES users(id),
    decided_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP
);
CREATE UNIQUE INDEX decisions_pending ON decisions(idea_id) WHERE published_at IS NULL;
CREATE INDEX decisions_contest ON decisions(contest_id, published_at);

-- The screening queue and the review lists read a contest's ideas by state.
CREATE INDEX ideas_contest_status ON ideas(contest_id, status, submitted_at);
