-- Summaries of the rollups (redress_core::insight::summary): the owner-0
-- rows summed over every value of some of service area, channel and
-- category, per day ('d') and per week starting on its Monday ('w'), so a
-- dashboard reads a bounded number of rows whatever the volume. -1 and '*'
-- stand for every value summed; 0 and '' for none, as in rollups.
CREATE TABLE rollup_summaries (
    span TEXT NOT NULL,
    service_area_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    category_id BIGINT NOT NULL,
    start TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (span, service_area_id, channel, category_id, start)
);

-- Filled by the rebuild the store runs before it serves.
UPDATE insight_state SET rebuild_needed = TRUE WHERE id = 1;
