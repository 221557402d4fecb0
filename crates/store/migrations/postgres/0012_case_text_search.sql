-- Case text search: each case's summary (weight A) and description (B) as a
-- tsvector kept by the database itself, under a GIN index; ranked with
-- ts_rank. The 'simple' configuration stems nothing, so every language reads alike.
ALTER TABLE cases ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(summary, '')), 'A') || setweight(to_tsvector('simple', coalesce(description, '')), 'B')
) STORED;
CREATE INDEX cases_search ON cases USING GIN (search);
