-- The contact inbox: messages sealed to the organisation's key. Only the
-- time, size, category and language are in clear.
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    size INTEGER NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    lang TEXT NOT NULL DEFAULT '',
    sealed BLOB NOT NULL,
    handled INTEGER NOT NULL DEFAULT 0
);
