-- Problems as managed records: an owner (its creator until someone else is
-- named), a status (open, diagnosed, solved, closed), when it last changed
-- and who closed it. Problems recorded before this start owned by their
-- creator, in the status what they record takes them to.
ALTER TABLE problems ADD COLUMN owner_id BIGINT REFERENCES users(id);
ALTER TABLE problems ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
ALTER TABLE problems ADD COLUMN updated_at BIGINT;
ALTER TABLE problems ADD COLUMN closed_at BIGINT;
ALTER TABLE problems ADD COLUMN closed_by BIGINT REFERENCES users(id);
UPDATE problems SET owner_id = created_by, updated_at = created_at,
    status = CASE WHEN permanent_solution IS NOT NULL THEN 'solved' WHEN root_cause IS NOT NULL THEN 'diagnosed' ELSE 'open' END;
CREATE INDEX problems_status ON problems (status, id);

-- A problem's history: who changed what, when. Append-only.
CREATE TABLE problem_events (
    id INTEGER PRIMARY KEY,
    problem_id BIGINT NOT NULL REFERENCES problems(id),
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX problem_events_problem ON problem_events (problem_id, id);
INSERT INTO problem_events (problem_id, at, actor_id, kind, summary, detail)
    SELECT id, created_at, created_by, 'recorded', 'Problem recorded', '{}' FROM problems ORDER BY id;

-- What each case cost, kept by every write of a case (projection 2), so a
-- problem's cost is a sum over its linked cases' rows.
ALTER TABLE cases ADD COLUMN remedies_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN gifts_minor BIGINT NOT NULL DEFAULT 0;
