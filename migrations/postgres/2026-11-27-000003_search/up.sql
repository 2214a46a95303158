-- Full-text search over ideas (src/db/search.rs is the only code that reads or writes this table).
--
-- title and body (summary, situation, solution, impact, where it applies) are stored as folded by
-- domain::text::fold in Rust: lower case, no diacritics, đ → d, words separated by single spaces, so the 'simple'
-- configuration (no stemming, no stop words) needs no unaccent. `document` is derived from them, the title weighted
-- A and the body B for ts_rank; it is not in src/db/schema.rs, since the multi-connection cannot read tsvector.
--
-- Existing ideas are indexed by the application (folding needs Rust): seeding indexes what it inserts, and
-- `db::search::fill_if_empty` / `reindex_all` index a database that has ideas but no index yet.
CREATE TABLE idea_search (
    idea_id TEXT PRIMARY KEY NOT NULL REFERENCES ideas(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, title), 'A')
        || setweight(to_tsvector('simple'::regconfig, body), 'B')
    ) STORED
);
CREATE INDEX idea_search_document ON idea_search USING gin (document);
