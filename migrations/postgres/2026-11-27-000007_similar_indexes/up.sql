-- The near-duplicate report (src/db/similar.rs) reads a contest's most recently submitted ideas; the list index
-- (contest_id, is_public, listed_at, id) cannot give that order across both values of is_public without a sort of
-- the whole contest. (SQLite orders by rowid through its own ideas_contest_rowid instead.)
CREATE INDEX ideas_contest_submitted ON ideas(contest_id, submitted_at);
