-- Redress schema, version 6: attachments (photos, receipts) kept with their case.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    data BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_case ON attachments (case_id, id);
