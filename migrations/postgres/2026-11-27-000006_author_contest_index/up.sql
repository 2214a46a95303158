-- The per-member limit counts an author's own ideas (not those entered for a contact) in one contest by status at
-- every submission. The older index on (author_id, created_at) made that count read every idea of the author from
-- the table; this one answers it from the index alone.
CREATE INDEX ideas_author_contest ON ideas(author_id, contest_id, status, contact_id);
