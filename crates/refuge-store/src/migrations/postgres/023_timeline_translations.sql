-- See the SQLite migration of the same number.
ALTER TABLE appeal_updates ADD COLUMN translates BIGINT REFERENCES appeal_updates(id) ON DELETE SET NULL;
-- A translator's entry for a published version waits for an editor
-- (1): kept from the public, the feeds and the mail until approved.
ALTER TABLE appeal_updates ADD COLUMN pending BIGINT NOT NULL DEFAULT 0;
-- One translation per language version: a second would be shown twice.
CREATE UNIQUE INDEX appeal_updates_translates ON appeal_updates (item_id, translates);

CREATE TABLE appeal_update_mailings (
    update_id BIGINT NOT NULL REFERENCES appeal_updates(id) ON DELETE CASCADE,
    lang TEXT NOT NULL,
    mailed_at TEXT NOT NULL,
    PRIMARY KEY (update_id, lang)
);

-- Existing entries paired as in the SQLite migration.
UPDATE appeal_updates SET translates = (
    SELECT s.id FROM appeal_updates s JOIN items t ON t.id = appeal_updates.item_id
    WHERE s.item_id = COALESCE(t.translated_from, (SELECT MIN(g.id) FROM items g WHERE g.group_id = t.group_id))
      AND s.item_id <> t.id AND s.date = appeal_updates.date)
WHERE (SELECT COUNT(*) FROM appeal_updates s JOIN items t ON t.id = appeal_updates.item_id
       WHERE s.item_id = COALESCE(t.translated_from, (SELECT MIN(g.id) FROM items g WHERE g.group_id = t.group_id))
         AND s.item_id <> t.id AND s.date = appeal_updates.date) = 1
  AND (SELECT COUNT(*) FROM appeal_updates o WHERE o.item_id = appeal_updates.item_id
       AND o.date = appeal_updates.date) = 1;
UPDATE appeal_updates SET translates = (SELECT p.translates FROM appeal_updates p WHERE p.id = appeal_updates.translates)
WHERE translates IN (SELECT id FROM appeal_updates WHERE translates IS NOT NULL);
UPDATE appeal_updates SET translates = (SELECT p.translates FROM appeal_updates p WHERE p.id = appeal_updates.translates)
WHERE translates IN (SELECT id FROM appeal_updates WHERE translates IS NOT NULL);
INSERT INTO appeal_update_mailings (update_id, lang, mailed_at)
SELECT DISTINCT u.id, v.lang, u.created_at FROM appeal_updates u JOIN items i ON i.id = u.item_id
JOIN items v ON v.group_id = i.group_id
WHERE u.translates IS NULL
ON CONFLICT DO NOTHING;

-- Sign-ups made with a contact message said so; they are sign-ups like
-- any other now (nothing links a subscriber to a message).
UPDATE subscribers SET source = 'form' WHERE source = 'contact form';

-- Mail sent or given up keeps no text (its key, kind, language and times
-- stay for the counts, and so nothing is sent twice).
UPDATE outbox SET subject = '', body = '' WHERE state IN ('sent', 'failed', 'unknown');

-- Contact forms taken already (a keyed hash of the form's token) until the
-- token would have expired anyway: each shown form sends one message.
CREATE TABLE spent_form_tokens (
    hash TEXT PRIMARY KEY,
    until BIGINT NOT NULL
);
