-- The mailing list as its owners manage it: how each address joined, when
-- it left (kept 30 days, then deleted), and the suppression list of salted
-- address hashes that an import never brings back.
ALTER TABLE subscribers ADD COLUMN source TEXT NOT NULL DEFAULT 'form';
ALTER TABLE subscribers ADD COLUMN unsubscribed_at TEXT;
CREATE TABLE suppressed (
    hash TEXT PRIMARY KEY,
    at TEXT NOT NULL
) WITHOUT ROWID;
-- The salt of those hashes, made once per site.
INSERT OR IGNORE INTO settings (key, lang, value) VALUES ('suppression_salt', '', lower(hex(randomblob(16))));
