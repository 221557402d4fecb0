-- Summaries of the rollups (redress_core::insight::summary): the owner-0
-- rows summed over every value of some of service area, channel and
-- category, per day ('d') and per week starting on its Monday ('w'), so a
-- dashboard reads a bounded number of rows whatever the volume. -1 and '*'
-- stand for every value summed; 0 and '' for none, as in rollups. The
-- level says which are summed (1: service area, 2: channel, 4: category),
-- so a read of one level over a range of days is one range of the key.
-- data is Rollup::encode's compact binary form; cases is its case count,
-- which the trends sum in SQL; lag its identification-lag sketch alone
-- (DurationSketch::encode), which is all the lag by channel reads.
CREATE TABLE rollup_summaries (
    span TEXT NOT NULL,
    level SMALLINT NOT NULL,
    start TEXT NOT NULL,
    service_area_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    category_id BIGINT NOT NULL,
    cases BIGINT NOT NULL,
    data BLOB NOT NULL,
    lag BLOB NOT NULL,
    PRIMARY KEY (span, level, start, service_area_id, channel, category_id)
);

-- Filled by the rebuild the store runs before it serves.
UPDATE insight_state SET rebuild_needed = TRUE WHERE id = 1;

-- A rebuild passes over invitations by creation, as over cases and responses.
CREATE INDEX invitations_created ON invitations (created_at);
