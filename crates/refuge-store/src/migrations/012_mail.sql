-- Mail as receiving systems read it: each outbox row knows its kind (which
-- decides its headers), its language, and a random id that becomes its
-- Message-ID (never a sequence, never the same after a restore).
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'other';
ALTER TABLE outbox ADD COLUMN lang TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN uid TEXT NOT NULL DEFAULT '';
UPDATE outbox SET uid = lower(hex(randomblob(16)));
-- Permanent delivery failures per subscriber (three: left out), and when
-- the address was last sent list mail.
ALTER TABLE subscribers ADD COLUMN bounces INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscribers ADD COLUMN last_sent_at TEXT;
