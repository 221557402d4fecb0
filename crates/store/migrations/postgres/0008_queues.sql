-- What the console's queues select on, kept by every write of a case.
-- `projection` says which version of these columns a row carries; rows
-- below the current one are brought up to date when the store opens.
ALTER TABLE cases ADD COLUMN next_due_at BIGINT;
ALTER TABLE cases ADD COLUMN pending_value_minor BIGINT;
ALTER TABLE cases ADD COLUMN pending_proposer_id BIGINT;
ALTER TABLE cases ADD COLUMN awaits_follow_up BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cases ADD COLUMN projection BIGINT NOT NULL DEFAULT 0;
CREATE INDEX cases_open_owner ON cases (owner_id, id) WHERE closed_at IS NULL;
CREATE INDEX cases_next_due ON cases (next_due_at) WHERE closed_at IS NULL;
CREATE INDEX cases_pending ON cases (pending_value_minor) WHERE pending_value_minor IS NOT NULL;
CREATE INDEX cases_awaiting_follow_up ON cases (id) WHERE awaits_follow_up;
CREATE INDEX cases_flagged ON cases (id) WHERE flagged;
CREATE INDEX cases_projection ON cases (projection);
CREATE INDEX customers_name ON customers (lower(name));
