-- Redress schema, version 2: surveys, invitations (access codes held as
-- SHA-256 digests), responses, the rewards ledger and private report links.
CREATE TABLE surveys (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    purpose TEXT NOT NULL,
    service_area_id BIGINT REFERENCES service_areas(id),
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    survey_id BIGINT NOT NULL REFERENCES surveys(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    code_sha256 TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    case_id BIGINT REFERENCES cases(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX invitations_survey ON invitations (survey_id, id);

CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    survey_id BIGINT NOT NULL REFERENCES surveys(id),
    invitation_id BIGINT NOT NULL UNIQUE REFERENCES invitations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    answers TEXT NOT NULL,
    lowest_rating BIGINT,
    nps BIGINT,
    case_id BIGINT REFERENCES cases(id),
    idempotency_key TEXT UNIQUE,
    receipt TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX responses_survey ON responses (survey_id, id);
CREATE INDEX responses_customer ON responses (customer_id, id);

CREATE TABLE rewards (
    id INTEGER PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    points BIGINT NOT NULL,
    reason TEXT NOT NULL,
    case_id BIGINT REFERENCES cases(id),
    response_id BIGINT REFERENCES responses(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX rewards_customer ON rewards (customer_id, id);

CREATE TABLE report_links (
    token_sha256 TEXT PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    report_id BIGINT NOT NULL
);

-- The built-in recovery survey, sent when a case closes.
INSERT INTO surveys (title, purpose, service_area_id, data, created_at)
VALUES ('How did we do?', 'recovery', NULL, '{"id":0,"title":"How did we do?","intro":"Your case is closed. Please tell us how you feel about it now.","service_area_id":null,"questions":[{"key":"satisfaction","prompt":"How satisfied are you now with how we handled your problem?","kind":"rating","required":true},{"key":"comment","prompt":"Anything else you would like to tell us?","kind":"text","required":false}],"reward_points":0,"thank_you":"Thank you for telling us how we did.","purpose":"recovery","created_at":"1970-01-01T00:00:00Z"}', 0);
