-- Jobs are claimed per kind (mail and webhooks in lanes of their own), so
-- each kind's due jobs are found by an index of their own.
DROP INDEX jobs_pending;
DROP INDEX jobs_running;
CREATE INDEX jobs_pending ON jobs (kind, run_at) WHERE status = 'pending';
CREATE INDEX jobs_running ON jobs (kind, locked_until) WHERE status = 'running';
