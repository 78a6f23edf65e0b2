-- Per-client limits on the public forms (contact, sign-up), counted in the
-- database so several servers count together: a token bucket per client,
-- under a keyed hash of its address (never the address); times in Unix
-- seconds.
CREATE TABLE rate_buckets (
    key TEXT PRIMARY KEY,
    tokens REAL NOT NULL,
    at REAL NOT NULL
) WITHOUT ROWID;
