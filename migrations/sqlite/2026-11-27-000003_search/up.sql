-- Full-text search over ideas (src/db/search.rs is the only code that reads or writes these tables).
--
-- idea_search holds each idea's title and body (summary, situation, solution, impact, where it applies) as folded
-- by domain::text::fold in Rust: lower case, no diacritics, đ → d, words separated by single spaces. The tokenizer
-- still removes diacritics, but the text it gets has none left. The rowid of an index row is the rowid of its idea
-- in `ideas`, so replacing or deleting an idea's row is a lookup, not a scan. `prefix = '1 2'` keeps prefix lists
-- for one- and two-letter beginnings of words, so a one- or two-letter last word is read lazily (newest first)
-- instead of merging every matching word's list; longer beginnings are expanded through idea_search_words.
--
-- Existing ideas are indexed by the application (folding needs Rust): seeding indexes what it inserts, and
-- `db::search::fill_if_empty` / `reindex_all` index a database that has ideas but no index yet.
CREATE VIRTUAL TABLE idea_search USING fts5(
    title,
    body,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2'
);

-- Every folded word of three letters or more that was ever indexed, so the beginning of a word ("thon") becomes
-- the few whole words it can end as ("thon", "thong") with one index range read. Words are only added.
CREATE TABLE idea_search_words (
    word TEXT PRIMARY KEY NOT NULL
) WITHOUT ROWID;

-- An idea deleted from `ideas` leaves the index with it (its rowid could otherwise be reused by a new idea).
CREATE TRIGGER ideas_search_delete AFTER DELETE ON ideas
BEGIN
    DELETE FROM idea_search WHERE rowid = old.rowid;
END;
