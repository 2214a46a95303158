-- Similar ideas within one contest (src/db/similar.rs) read the search index between the contest's first and last
-- idea by rowid, newest first. An index on contest_id alone ends with the rowid, so both ends are one lookup each;
-- the list indexes (contest_id, is_public, listed_at, id) would have to be read through for them.
CREATE INDEX ideas_contest_rowid ON ideas(contest_id);
