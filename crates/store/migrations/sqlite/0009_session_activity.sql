-- When each console session was last used: a session idle for too long ends.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT;
