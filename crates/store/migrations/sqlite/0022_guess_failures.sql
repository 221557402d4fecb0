-- Failed guesses (access codes, status links, console sign-ins), counted by
-- every process that shares the database, so a guessing limit holds across
-- all of them. Only the last window's rows are kept.
CREATE TABLE guess_failures (
    id INTEGER PRIMARY KEY,
    limiter TEXT NOT NULL,
    client TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX guess_failures_client ON guess_failures (limiter, client, at);
CREATE INDEX guess_failures_at ON guess_failures (at);
