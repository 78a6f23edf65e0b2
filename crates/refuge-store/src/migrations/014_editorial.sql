-- Work set aside from an editor form, never applied by itself:
--   'review'   a change to a published item by someone who may not publish
--              it (a translator): awaits an editor, the published text stays;
--   'autosave' the form as it was 30 s ago, offered back on the next open;
--   'expired'  the form sent after the session ended, kept under a one-time
--              key (its SHA-256 here) until the author signs in again.
-- `form` holds the fields as sent (URL-encoded, without the form token);
-- `base_revision` the item's latest revision when the form was opened.
CREATE TABLE set_aside (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('review', 'autosave', 'expired')),
    key_hash TEXT,
    user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    item_id INTEGER REFERENCES items(id) ON DELETE CASCADE,
    place TEXT NOT NULL,
    base_revision INTEGER NOT NULL DEFAULT 0,
    form TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX set_aside_one ON set_aside (kind, place, user_id) WHERE kind <> 'expired';
CREATE UNIQUE INDEX set_aside_key ON set_aside (key_hash) WHERE key_hash IS NOT NULL;
CREATE INDEX set_aside_item ON set_aside (item_id, kind);

-- The password was printed or shown to someone (a new account, a reset):
-- the person chooses their own at the next sign-in.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;

-- The account's own time zone (an IANA name); none: the site's.
ALTER TABLE users ADD COLUMN time_zone TEXT;
