DROP TABLE import_rows;
DROP TABLE imports;
DROP INDEX ideas_contact;
ALTER TABLE ideas DROP COLUMN contact_id;
DROP TABLE contacts;
