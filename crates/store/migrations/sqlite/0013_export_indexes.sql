-- The CSV export selects cases by when they were reported and responses by
-- when they were given, and counts them for its progress bar.
CREATE INDEX cases_reported ON cases (reported_at);
CREATE INDEX responses_created ON responses (created_at);
