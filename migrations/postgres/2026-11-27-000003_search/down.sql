DROP TABLE IF EXISTS idea_search;
