-- Redress schema, version 3: staff passwords (argon2 hashes) and console
-- sessions (held as SHA-256 digests of the cookie's token).
ALTER TABLE users ADD COLUMN password_hash TEXT;

CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
