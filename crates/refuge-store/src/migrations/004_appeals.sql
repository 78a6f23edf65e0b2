-- Urgent appeals: the facts of a case per language version, its
-- addressees and its dated timeline of updates.
CREATE TABLE appeals (
    item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    number TEXT NOT NULL DEFAULT '',
    people_count INTEGER,
    people TEXT NOT NULL DEFAULT '',
    names_public INTEGER NOT NULL DEFAULT 0,
    ages TEXT NOT NULL DEFAULT '',
    held_where TEXT NOT NULL DEFAULT '',
    held_since TEXT NOT NULL DEFAULT '',
    risk TEXT NOT NULL DEFAULT '',
    case_status TEXT NOT NULL DEFAULT 'at-risk'
        CHECK (case_status IN ('at-risk', 'detained', 'released', 'repatriated', 'safe', 'unknown')),
    action TEXT NOT NULL DEFAULT '',
    letter TEXT NOT NULL DEFAULT '',
    deadline TEXT NOT NULL DEFAULT ''
);

CREATE TABLE appeal_addressees (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    institution TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    fax TEXT NOT NULL DEFAULT ''
);
CREATE INDEX appeal_addressees_item ON appeal_addressees (item_id, position);

CREATE TABLE appeal_updates (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    date TEXT NOT NULL,
    text TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX appeal_updates_item ON appeal_updates (item_id, date);
