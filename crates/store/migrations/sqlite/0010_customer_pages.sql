-- Customer pages: the language a customer reads, and private links to a
-- case's status page (only their SHA-256 digests; revoked ones stay, marked).
ALTER TABLE customers ADD COLUMN language TEXT;

CREATE TABLE status_links (
    id INTEGER PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX status_links_case ON status_links (case_id);
