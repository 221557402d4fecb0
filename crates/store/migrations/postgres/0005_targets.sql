-- Redress schema, version 5: when each case next needs a service-level
-- target check (a reminder, a breach or an update due). Open cases are checked
-- once straight away.
ALTER TABLE cases ADD COLUMN target_check_at BIGINT;
UPDATE cases SET target_check_at = 0 WHERE closed_at IS NULL;
CREATE INDEX cases_target_check ON cases (target_check_at) WHERE target_check_at IS NOT NULL;
