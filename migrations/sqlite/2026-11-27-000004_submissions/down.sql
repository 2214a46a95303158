DROP TABLE idempotency_keys;
DROP TABLE idea_versions;
