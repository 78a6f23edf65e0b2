-- Failed sign-ins, shared by every server (see the SQLite migration 017).
CREATE TABLE sign_in_failures (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    locked_until BIGINT,
    last_at BIGINT NOT NULL
);
