-- Failed sign-ins, counted in the database so every server sharing it
-- sees the same count (an attacker gets no more tries from two servers
-- than from one). The key is a keyed hash of the account name or of the
-- client's address, never the address itself; times are Unix seconds.
CREATE TABLE sign_in_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until INTEGER,
    last_at INTEGER NOT NULL
) WITHOUT ROWID;
