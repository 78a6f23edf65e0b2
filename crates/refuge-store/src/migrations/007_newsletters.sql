-- Newsletters: numbered per language, sent to one topic's subscribers,
-- archived on the public site once sent.
CREATE TABLE newsletters (
    id INTEGER PRIMARY KEY,
    lang TEXT NOT NULL,
    number INTEGER NOT NULL,
    topic TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (lang, number)
);
