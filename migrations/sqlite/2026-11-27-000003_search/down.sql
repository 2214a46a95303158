DROP TRIGGER IF EXISTS ideas_search_delete;
DROP TABLE IF EXISTS idea_search_words;
DROP TABLE IF EXISTS idea_search;
