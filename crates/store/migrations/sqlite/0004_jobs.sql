-- Redress schema, version 4: durable jobs. A job is enqueued in the same
-- transaction as the write that causes it, claimed with a lease (on
-- PostgreSQL with FOR UPDATE SKIP LOCKED, so several processes never run one
-- job twice at once), retried with backoff, and kept as `dead` after its
-- last attempt. A lease that runs out (a killed process) makes it claimable again.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_pending ON jobs (run_at) WHERE status = 'pending';
CREATE INDEX jobs_running ON jobs (locked_until) WHERE status = 'running';

ALTER TABLE notifications ADD COLUMN last_error TEXT;
ALTER TABLE notifications ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;

-- Every notification still waiting gets its delivery job.
INSERT INTO jobs (kind, payload, run_at, status, created_at, updated_at)
SELECT 'deliver_notification', '{"notification_id":' || id || '}', scheduled_for, 'pending', created_at, created_at
FROM notifications WHERE status = 'pending';
