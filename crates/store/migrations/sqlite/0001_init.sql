-- Redress schema, version 1 (SQLite). Times are microseconds since the Unix
-- epoch; money is integer minor units. The case aggregate lives in `data`
-- (JSON); the columns beside it are projections kept for filtering and figures.
CREATE TABLE settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    data TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL,
    mandate_minor BIGINT NOT NULL,
    manager_id BIGINT REFERENCES users(id),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE email IS NOT NULL;

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    token_sha256 TEXT NOT NULL UNIQUE,
    label TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    timezone TEXT NOT NULL,
    client_manager_id BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX customers_email ON customers (lower(email));

CREATE TABLE service_areas (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    service_manager_id BIGINT NOT NULL REFERENCES users(id),
    targets TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE problems (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT,
    root_cause TEXT,
    permanent_solution TEXT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES users(id),
    created_by BIGINT NOT NULL REFERENCES users(id),
    service_area_id BIGINT REFERENCES service_areas(id),
    problem_id BIGINT REFERENCES problems(id),
    significant BOOLEAN NOT NULL,
    flagged BOOLEAN NOT NULL,
    summary TEXT NOT NULL,
    description TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    reported_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    first_response_due_at BIGINT NOT NULL,
    responded_at BIGINT,
    update_due_at BIGINT,
    resolution_due_at BIGINT NOT NULL,
    closed_at BIGINT,
    transfer_count BIGINT NOT NULL,
    reopen_count BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX cases_status ON cases (status, id);
CREATE INDEX cases_owner ON cases (owner_id, id);
CREATE INDEX cases_customer ON cases (customer_id, id);
CREATE INDEX cases_created_by ON cases (created_by, id);
CREATE INDEX cases_problem ON cases (problem_id);
CREATE INDEX cases_first_response_due ON cases (first_response_due_at) WHERE responded_at IS NULL AND closed_at IS NULL;
CREATE INDEX cases_update_due ON cases (update_due_at) WHERE closed_at IS NULL;

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, id);

CREATE TABLE communications (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    direction TEXT NOT NULL,
    channel TEXT NOT NULL,
    body TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES users(id)
);
CREATE INDEX communications_case ON communications (case_id, id);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    case_id BIGINT REFERENCES cases(id),
    kind TEXT NOT NULL,
    recipient_kind TEXT NOT NULL,
    recipient_id BIGINT NOT NULL,
    address TEXT,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    scheduled_for BIGINT NOT NULL,
    status TEXT NOT NULL,
    sent_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX notifications_case ON notifications (case_id, id);
CREATE INDEX notifications_due ON notifications (scheduled_for) WHERE status = 'pending';
