DROP INDEX ideas_contest_submitted;
