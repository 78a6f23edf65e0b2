-- Back office: account details, sessions, revisions, translation links
-- and the audit log.
ALTER TABLE users ADD COLUMN languages TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN recovery_codes TEXT NOT NULL DEFAULT '';

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    verified INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE revisions (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    title TEXT NOT NULL,
    slug TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    category TEXT,
    tags TEXT NOT NULL,
    status TEXT NOT NULL,
    published_at TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX revisions_item ON revisions (item_id, id);

ALTER TABLE items ADD COLUMN translated_from INTEGER REFERENCES items(id) ON DELETE SET NULL;
ALTER TABLE items ADD COLUMN source_revision INTEGER;

CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
