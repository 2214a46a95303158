DROP INDEX ideas_author_contest;
