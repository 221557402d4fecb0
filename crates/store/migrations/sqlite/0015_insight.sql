-- Insight (SPEC §5): complaint categories, and the per-day rollups every
-- figure of GET /api/v1/metrics is computed from.

-- An admin-managed list; categories are retired, never deleted.
CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX categories_name ON categories (lower(name));

ALTER TABLE cases ADD COLUMN category_id BIGINT REFERENCES categories(id);
CREATE INDEX cases_category_reported ON cases (category_id, reported_at);

-- What each case and customer last contributed to the rollups (JSON), so a
-- change takes out exactly what was put in.
ALTER TABLE cases ADD COLUMN facts TEXT;
ALTER TABLE customers ADD COLUMN loyalty TEXT;

-- One row per day (in the organisation's zone), service area, channel,
-- owner and category; 0 and '' stand for none. Rows with owner 0 hold the
-- sum over all owners, and the survey and loyalty rows, which have none.
CREATE TABLE rollups (
    owner_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    service_area_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    category_id BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (owner_id, day, service_area_id, channel, category_id)
);

-- Changes written by each write transaction (never updated, so writers never
-- wait on each other's rows), folded into rollups by the compactor.
CREATE TABLE rollup_deltas (
    id INTEGER PRIMARY KEY,
    owner_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    service_area_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    category_id BIGINT NOT NULL,
    plus TEXT NOT NULL,
    minus TEXT NOT NULL
);
CREATE INDEX rollup_deltas_day ON rollup_deltas (day);

-- Set when the rollups must be rebuilt from the cases and responses (on
-- this migration, and when the organisation's calendar changes); the store
-- rebuilds them before it serves.
CREATE TABLE insight_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    rebuild_needed BOOLEAN NOT NULL
);
INSERT INTO insight_state (id, rebuild_needed) VALUES (1, 1);
