-- Summaries per calendar month ('m', starting on the month's first day)
-- beside those per day and per week, so a year's totals and its lag by
-- channel read a dozen rows per value instead of fifty-odd weeks'.
-- The rollup bytes are varints already: stored out of line uncompressed,
-- a read does not spend its time decompressing them.
ALTER TABLE rollup_summaries ALTER COLUMN data SET STORAGE EXTERNAL, ALTER COLUMN lag SET STORAGE EXTERNAL;
-- Filled by the rebuild the store runs before it serves.
UPDATE insight_state SET rebuild_needed = TRUE WHERE id = 1;
