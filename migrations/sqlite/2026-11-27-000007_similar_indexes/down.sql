DROP INDEX ideas_contest_rowid;
